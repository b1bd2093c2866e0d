//! Keyset pagination: every list answers a page of items and an opaque cursor
//! for the next page, so that deep pages cost the same as the first.

use crate::error::{Error, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Serialize;
use wangge_core::Error as CoreError;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 500;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Clamps a requested page size into 1..=MAX_LIMIT.
pub fn limit(requested: Option<i64>) -> Result<i64> {
    match requested {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(CoreError::invalid(
            "limit",
            "limit_range",
            format!("每页条数应在1到{MAX_LIMIT}之间"),
            format!("limit must be between 1 and {MAX_LIMIT}"),
        )
        .into()),
    }
}

/// A cursor holds the sort key of the last row: text and an id.
pub fn encode(key: &str, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{key}\n{id}"))
}

pub fn decode(cursor: &str) -> Result<(String, i64)> {
    let bad = || -> Error {
        CoreError::invalid(
            "cursor",
            "cursor",
            "翻页游标无效,请从第一页重新开始",
            "the cursor is not valid; start again from the first page",
        )
        .into()
    };
    let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (key, id) = text.rsplit_once('\n').ok_or_else(bad)?;
    Ok((key.to_string(), id.parse().map_err(|_| bad())?))
}

/// Cuts a fetched `limit + 1` rows down to a page, with the cursor from the last kept row.
pub fn page<T>(mut items: Vec<T>, limit: i64, key: impl Fn(&T) -> (String, i64)) -> Page<T> {
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next_cursor = if more {
        items.last().map(|last| {
            let (k, id) = key(last);
            encode(&k, id)
        })
    } else {
        None
    };
    Page { items, next_cursor }
}

/// One page of the rows of `select` (which reads `table` under the alias
/// `alias`; the table has `unit_path` and `id`) that live in the subtree at
/// `root`, in (place, id) order: one index range scan whatever the depth or the
/// page. The page is cut from `table` alone before anything is joined to it,
/// so the planner never joins first and sorts a whole street afterwards.
/// `filters` is given the next free placeholder number and answers extra
/// conditions on `alias` with their values; `from_row` answers the item and its
/// unit path.
#[allow(clippy::too_many_arguments)]
pub fn subtree_page<T>(
    c: &mut dyn crate::db::Conn,
    select: &str,
    table: &str,
    alias: &str,
    root: &str,
    filters: impl FnOnce(usize) -> (String, Vec<crate::db::Value>),
    cursor: Option<&str>,
    limit: i64,
    from_row: impl Fn(&crate::db::Row) -> Result<(T, String)>,
    id_of: impl Fn(&T) -> i64,
) -> Result<Page<T>> {
    let a = alias;
    let (lo, hi) = crate::ctx::subtree_range(root);
    let mut args: Vec<crate::db::Value> = vec![lo.into(), hi.into(), (limit + 1).into()];
    let mut cond = format!("{a}.unit_path >= $1 AND {a}.unit_path < $2");
    // Only a real cursor gets a lower bound of its own: a dummy one for the
    // first page would make both SQLite and PostgreSQL start the index scan at
    // the very beginning and walk every earlier street.
    if let Some(cur) = cursor {
        let (after_path, after_id) = decode(cur)?;
        args.push(after_path.into());
        args.push(after_id.into());
        cond.push_str(&format!(
            " AND ({a}.unit_path, {a}.id) > (${}, ${})",
            args.len() - 1,
            args.len()
        ));
    }
    let (extra, extra_args) = filters(args.len() + 1);
    args.extend(extra_args);
    let inner = format!(
        "SELECT * FROM {table} {a} WHERE {cond}{extra} ORDER BY {a}.unit_path, {a}.id LIMIT $3"
    );
    let sql = format!(
        "{} ORDER BY {a}.unit_path, {a}.id",
        select.replacen(
            &format!("FROM {table} {a}"),
            &format!("FROM ({inner}) {a}"),
            1
        )
    );
    let rows = c.query(&sql, &args)?;
    let items = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    let p = page(items, limit, |(item, path)| (path.clone(), id_of(item)));
    Ok(Page {
        items: p.items.into_iter().map(|(item, _)| item).collect(),
        next_cursor: p.next_cursor,
    })
}
