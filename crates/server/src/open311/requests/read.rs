//! Reading service requests: the list with its filters, one request, the
//! follow token, and FixMyStreet's `servicerequestupdates`.

use super::{MAX_RESULTS, MAX_SPAN};
use crate::auth::ClientAddr;
use crate::open311::error::{O311Error, O311Result};
use crate::open311::format::{obj, respond, split, Format, Node};
use crate::open311::services::{self, Service};
use crate::open311::status::{self, both};
use crate::open311::{public_reader, who, Params, Who};
use crate::AppState;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use time::{Duration, OffsetDateTime};
use wangge_core::cases::CaseState;
use wangge_core::mask::public_text;
use wangge_store::cases::{self, CaseView, ListFilter, Order, Stage};
use wangge_store::{params, Ctx, Error as StoreError};

/// A case as an Open311 request. `notes` is its status notes.
fn request_node(v: &CaseView, service_name: String, notes: String, full: bool) -> Node {
    let ext = status::extended(v.state, v.close_kind.as_ref());
    let address = match (&v.address_detail, full) {
        (Some(d), true) => format!("{} {d}", v.unit_name),
        _ => v.unit_name.clone(),
    };
    let (description, notes) = if full {
        (v.description.clone(), notes)
    } else {
        (public_text(&v.description), public_text(&notes))
    };
    let expected = match v.stage {
        Some(Stage::Handle) => v.due_at,
        _ => None,
    };
    obj([
        ("service_request_id", Node::text(v.tracking_no.clone())),
        ("status", Node::text(status::spec_status(v.state))),
        ("status_notes", Node::text(notes)),
        ("service_name", Node::text(service_name)),
        ("service_code", Node::text(v.category.clone())),
        ("description", Node::text(description)),
        (
            "agency_responsible",
            Node::opt_text(v.lead_org_name.clone()),
        ),
        ("service_notice", Node::Null),
        ("requested_datetime", Node::time(v.reported_at)),
        ("updated_datetime", Node::time(v.updated_at)),
        ("expected_datetime", Node::opt_time(expected)),
        ("address", Node::text(address)),
        ("address_id", Node::text(v.unit.clone())),
        ("zipcode", Node::Null),
        ("lat", Node::opt_float(v.lat)),
        ("long", Node::opt_float(v.lon)),
        ("media_url", Node::Null),
        (
            "extended_attributes",
            obj([
                ("x_wangge_state", Node::text(v.state.as_str())),
                (
                    "x_wangge_state_label",
                    Node::text(both(v.state.label_zh(), status::state_en(v.state))),
                ),
                ("x_wangge_status", Node::text(ext.as_str())),
                (
                    "x_wangge_close_kind",
                    Node::opt_text(v.close_kind.as_ref().map(|k| k.as_str())),
                ),
                ("x_wangge_suspended", Node::Bool(v.suspended)),
                (
                    "x_wangge_merged_into",
                    Node::opt_text(v.merged_into_tracking_no.clone()),
                ),
            ]),
        ),
    ])
}

/// The reader for a caller: their own context, or the public's.
fn reader(s: &AppState, caller: &Who) -> Ctx {
    match caller {
        Who::Public => public_reader(s),
        Who::Key(ctx) => ctx.clone(),
    }
}

/// A tracking number as people type it, or `None` when it cannot be one.
fn tracking_no(raw: &str) -> Option<String> {
    let t = raw.trim().to_ascii_uppercase();
    let mut parts = t.split('-');
    let ok = parts.next() == Some("WG")
        && parts
            .next()
            .is_some_and(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))
        && parts
            .next()
            .is_some_and(|n| (1..=9).contains(&n.len()) && n.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_none();
    ok.then_some(t)
}

/// The case with this tracking number, if the caller may see it.
pub(super) async fn find_case(
    s: &AppState,
    caller: &Who,
    hidden: &[String],
    raw: &str,
) -> O311Result<Option<CaseView>> {
    let Some(no) = tracking_no(raw) else {
        return Ok(None);
    };
    let ctx = reader(s, caller);
    let tips = caller.sees_tips();
    let hidden = hidden.to_vec();
    let found = s
        .store
        .db
        .read(move |c| {
            let Some(row) = c.query_opt(
                "SELECT id FROM cases WHERE tracking_no = $1",
                params![no.as_str()],
            )?
            else {
                return Ok(None);
            };
            match cases::get(c, &ctx, row.get(0)?) {
                Ok(v) if (tips || !v.confidential) && !hidden.contains(&v.category) => Ok(Some(v)),
                Ok(_) | Err(StoreError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .await?;
    Ok(found)
}

/// The answer for some cases: their nodes, with the reason of each refusal
/// read from its log (the public wording only).
async fn nodes(
    s: &AppState,
    caller: &Who,
    services: &[Service],
    views: Vec<CaseView>,
) -> O311Result<Vec<Node>> {
    let sys = public_reader(s);
    let rejected: Vec<i64> = views
        .iter()
        .filter(|v| v.state == CaseState::Rejected)
        .map(|v| v.id)
        .collect();
    let reasons = s
        .store
        .db
        .read(move |c| {
            let mut out = Vec::new();
            for id in rejected {
                let reason = cases::events(c, &sys, id)?
                    .into_iter()
                    .rev()
                    .find(|e| e.action == "reject")
                    .and_then(|e| e.note);
                out.push((id, reason));
            }
            Ok(out)
        })
        .await?;
    let full = caller.full();
    Ok(views
        .iter()
        .map(|v| {
            let reason = reasons
                .iter()
                .find(|(id, _)| *id == v.id)
                .and_then(|(_, r)| r.as_deref());
            let name = services
                .iter()
                .find(|x| x.code == v.category)
                .map_or_else(|| v.category_name.clone(), |x| x.name.clone());
            request_node(v, name, status::status_notes(v, reason), full)
        })
        .collect())
}

/// `start_date`, `end_date` and the like: ISO 8601 with an offset, or a day.
fn parse_when(field: &str, raw: &str, end: bool) -> O311Result<OffsetDateTime> {
    use time::format_description::well_known::{Iso8601, Rfc3339};
    let t = raw.trim();
    // An unencoded '+' arrives as a space.
    let fixed = match t.rfind(' ') {
        Some(i) if !t.contains('+') => format!("{}+{}", &t[..i], &t[i + 1..]),
        _ => t.to_string(),
    };
    if let Ok(x) = OffsetDateTime::parse(&fixed, &Rfc3339) {
        return Ok(x);
    }
    if let Ok(x) = OffsetDateTime::parse(&fixed, &Iso8601::DEFAULT) {
        return Ok(x);
    }
    let day = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(t, &day) {
        let local = if end {
            d.midnight() + Duration::days(1) - Duration::milliseconds(1)
        } else {
            d.midnight()
        };
        return Ok(local.assume_offset(wangge_store::ctx::CST));
    }
    Err(O311Error::field(
        field,
        &format!("应为带时区的 ISO 8601 时间(如 2026-11-24T10:00:00+08:00)或日期,收到“{raw}”"),
        &format!("an ISO 8601 time with its offset (e.g. 2026-11-24T10:00:00+08:00) or a date, got '{raw}'"),
    ))
}

/// The period a list covers: `end_date` (default now) back to `start_date`
/// (default `default_span` before the end); at most [`MAX_SPAN`].
fn period(
    p: &Params,
    now: OffsetDateTime,
    default_span: Duration,
) -> O311Result<(OffsetDateTime, OffsetDateTime)> {
    let end = match p.one("end_date")? {
        Some(t) => parse_when("end_date", t, true)?,
        None => now,
    };
    let start = match p.one("start_date")? {
        Some(t) => parse_when("start_date", t, false)?,
        None => end - default_span,
    };
    if start > end {
        return Err(O311Error::field(
            "start_date",
            "不能晚于 end_date",
            "must not be after end_date",
        ));
    }
    if end - start > MAX_SPAN {
        return Err(O311Error::bad(
            "start_date 与 end_date 相隔不能超过90天",
            "start_date and end_date may not span more than 90 days",
        ));
    }
    Ok((start, end))
}

const OPEN: [CaseState; 6] = [
    CaseState::Reported,
    CaseState::Accepted,
    CaseState::Dispatched,
    CaseState::InProgress,
    CaseState::Handled,
    CaseState::Verified,
];
const CLOSED: [CaseState; 4] = [
    CaseState::Rejected,
    CaseState::Withdrawn,
    CaseState::Closed,
    CaseState::Rated,
];

/// `GET requests.{fmt}`.
pub async fn list(
    s: &AppState,
    fmt: Format,
    q: &str,
    headers: &HeaderMap,
    addr: &str,
) -> O311Result<Response> {
    let p = Params::parse(q)?;
    let caller = who(s, p.one("api_key")?, headers, addr).await?;
    let services = services::visible(s, &caller).await?;
    let hidden = services::hidden(s, &caller).await?;
    let ids = p.list("service_request_id");
    let mut views: Vec<CaseView> = Vec::new();
    if !ids.is_empty() {
        // With ids, the spec ignores every other filter.
        if ids.len() > 100 {
            return Err(O311Error::field(
                "service_request_id",
                "一次最多100个",
                "at most 100 at a time",
            ));
        }
        for id in &ids {
            if let Some(v) = find_case(s, &caller, &hidden, id).await? {
                if !views.iter().any(|x| x.id == v.id) {
                    views.push(v);
                }
            }
        }
    } else {
        let codes = p.list("service_code");
        for c in &codes {
            services::find(&services, c)?;
        }
        let mut states: Vec<CaseState> = Vec::new();
        for st in p.list("status") {
            match st.to_ascii_lowercase().as_str() {
                "open" => states.extend(OPEN),
                "closed" => states.extend(CLOSED),
                _ => {
                    return Err(O311Error::field(
                        "status",
                        &format!("应为 open 或 closed,收到“{st}”"),
                        &format!("open or closed, got '{st}'"),
                    ))
                }
            }
        }
        let (start, end) = period(&p, s.clock.now(), MAX_SPAN)?;
        let tips = caller.sees_tips();
        let filter = ListFilter {
            states,
            category: if codes.len() == 1 {
                codes.first().cloned()
            } else {
                None
            },
            confidential: match caller {
                Who::Public => Some(false),
                Who::Key(_) => None,
            },
            order: Order::Newest,
            ..ListFilter::default()
        };
        let ctx = reader(s, &caller);
        // Reports entered later than they were made are found by entry time:
        // scan back a little past the start.
        let floor = start - Duration::minutes(5);
        views = s
            .store
            .db
            .read(move |c| {
                let mut out: Vec<CaseView> = Vec::new();
                let mut cursor: Option<String> = None;
                'pages: loop {
                    let page = cases::list(c, &ctx, &filter, cursor.as_deref(), Some(500))?;
                    for v in page.items {
                        if v.created_at < floor {
                            break 'pages;
                        }
                        let wanted = (tips || !v.confidential)
                            && !hidden.contains(&v.category)
                            && (codes.len() < 2 || codes.contains(&v.category))
                            && v.reported_at >= start
                            && v.reported_at <= end;
                        if wanted {
                            out.push(v);
                            if out.len() >= MAX_RESULTS {
                                break 'pages;
                            }
                        }
                    }
                    match page.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
                Ok(out)
            })
            .await?;
        views.sort_by(|a, b| b.reported_at.cmp(&a.reported_at).then(b.id.cmp(&a.id)));
    }
    let body = Node::List("request", nodes(s, &caller, &services, views).await?);
    Ok(respond(fmt, StatusCode::OK, "service_requests", &body))
}

/// `GET requests/{id}.{fmt}`: an array of one, as the spec says.
pub async fn one(
    State(s): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let Some((id, fmt)) = file
        .ok()
        .and_then(|Path(f)| split(&f).map(|(c, fmt)| (c.to_string(), fmt)))
    else {
        return crate::open311::no_format().respond(Format::Json);
    };
    let answer = async {
        let p = Params::parse(q.as_deref().unwrap_or_default())?;
        let caller = who(&s, p.one("api_key")?, &headers, &addr).await?;
        let services = services::visible(&s, &caller).await?;
        let hidden = services::hidden(&s, &caller).await?;
        let v = find_case(&s, &caller, &hidden, &id).await?.ok_or_else(|| {
            O311Error::not_found(
                &format!("未找到服务请求“{id}”(service_request_id)"),
                &format!("no service request '{id}'"),
            )
        })?;
        let body = Node::List("request", nodes(&s, &caller, &services, vec![v]).await?);
        Ok::<_, O311Error>(respond(fmt, StatusCode::OK, "service_requests", &body))
    };
    answer.await.unwrap_or_else(|e| e.respond(fmt))
}

/// `GET tokens/{token}.{fmt}`: the request a follow token belongs to.
pub async fn token(
    State(s): State<AppState>,
    file: Result<Path<String>, PathRejection>,
    ClientAddr(addr): ClientAddr,
) -> Response {
    let Some((token, fmt)) = file
        .ok()
        .and_then(|Path(f)| split(&f).map(|(c, fmt)| (c.to_string(), fmt)))
    else {
        return crate::open311::no_format().respond(Format::Json);
    };
    let unknown = || {
        O311Error::not_found(
            "未找到该 token 对应的服务请求",
            "no service request has this token",
        )
    };
    let answer = async {
        if token.len() > 200 {
            return Err(unknown());
        }
        let ctx = crate::public::resident(&s, addr.clone());
        let cfg = s.cases.clone();
        let t = token.clone();
        let found = s
            .store
            .db
            .read(move |c| match cases::public_view(c, &ctx, &cfg, &t) {
                Ok(v) => Ok(Some(v.tracking_no)),
                Err(StoreError::NotFound { .. }) => Ok(None),
                Err(e) => Err(e),
            })
            .await?;
        let no = found.ok_or_else(unknown)?;
        let body = Node::List(
            "request",
            vec![obj([
                ("service_request_id", Node::text(no)),
                ("token", Node::text(token.clone())),
            ])],
        );
        Ok(respond(fmt, StatusCode::OK, "service_requests", &body))
    };
    answer.await.unwrap_or_else(|e: O311Error| e.respond(fmt))
}

/// `GET servicerequestupdates.{fmt}` (FixMyStreet's extension): the public
/// steps of the logs of the cases the caller may see, oldest first.
pub async fn updates(
    s: &AppState,
    fmt: Format,
    q: &str,
    headers: &HeaderMap,
    addr: &str,
) -> O311Result<Response> {
    let p = Params::parse(q)?;
    let caller = who(s, p.one("api_key")?, headers, addr).await?;
    let (start, end) = period(&p, s.clock.now(), Duration::days(1))?;
    let to_ms = |t: OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000) as i64;
    let (from_ms, until_ms) = (to_ms(start), to_ms(end));
    let ctx = reader(s, &caller);
    let sys = public_reader(s);
    let tips = caller.sees_tips();
    let hidden = services::hidden(s, &caller).await?;
    let mut found = s
        .store
        .db
        .read(move |c| {
            // The store has no query for "cases with steps in a period"; this
            // one finds their ids, and the store's own reads (with the
            // caller's scope) do the rest.
            let rows = c.query(
                "SELECT DISTINCT case_id FROM case_events
                 WHERE at >= $1 AND at <= $2 AND event IS NOT NULL ORDER BY case_id LIMIT 5000",
                params![from_ms, until_ms],
            )?;
            let mut out = Vec::new();
            for r in &rows {
                let id: i64 = r.get(0)?;
                let v = match cases::get(c, &ctx, id) {
                    Ok(v) => v,
                    Err(StoreError::NotFound { .. }) => continue,
                    Err(e) => return Err(e),
                };
                if (v.confidential && !tips) || hidden.contains(&v.category) {
                    continue;
                }
                let events = cases::events(c, &sys, id)?;
                let last_close = events
                    .iter()
                    .rposition(|e| e.action == "close" && e.to_state == CaseState::Closed);
                for (i, e) in events.iter().enumerate() {
                    if e.at < start || e.at > end {
                        continue;
                    }
                    let kind = match last_close {
                        Some(lc) if i >= lc => v.close_kind.as_ref(),
                        _ => None,
                    };
                    if let Some((st, words)) =
                        status::update(e, kind, v.merged_into_tracking_no.as_deref())
                    {
                        out.push((e.at, v.tracking_no.clone(), e.seq, st, words));
                    }
                }
            }
            Ok(out)
        })
        .await?;
    found.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    found.truncate(MAX_RESULTS);
    let full = caller.full();
    let items = found
        .into_iter()
        .map(|(at, no, seq, st, words)| {
            obj([
                ("update_id", Node::text(format!("{no}-{seq}"))),
                ("service_request_id", Node::text(no)),
                ("status", Node::text(st.as_str())),
                ("updated_datetime", Node::time(at)),
                (
                    "description",
                    Node::text(if full { words } else { public_text(&words) }),
                ),
                ("media_url", Node::Null),
            ])
        })
        .collect();
    Ok(respond(
        fmt,
        StatusCode::OK,
        "service_request_updates",
        &Node::List("request_update", items),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_numbers() {
        assert_eq!(
            tracking_no(" wg-20261124-00001 ").as_deref(),
            Some("WG-20261124-00001")
        );
        assert_eq!(tracking_no("WG-2026-1"), None);
        assert_eq!(tracking_no("1 OR 1=1"), None);
    }

    #[test]
    fn periods() {
        let p = |s: &str| Params::parse(s).unwrap_or_default();
        let now = time::macros::datetime!(2026-11-24 02:00 UTC);
        let (a, b) = period(&p(""), now, MAX_SPAN).unwrap_or((now, now));
        assert_eq!((b - a, b), (MAX_SPAN, now));
        // '+' unencoded arrives as a space.
        let (a, _) =
            period(&p("start_date=2026-11-24T09:00:00+08:00"), now, MAX_SPAN).unwrap_or((now, now));
        assert_eq!(a, time::macros::datetime!(2026-11-24 01:00 UTC));
        let (a, b) = period(
            &p("start_date=2026-11-20&end_date=2026-11-20"),
            now,
            MAX_SPAN,
        )
        .unwrap_or((now, now));
        assert_eq!(
            iso8601_pair(a, b),
            (
                "2026-11-20T00:00:00+08:00".into(),
                "2026-11-20T23:59:59+08:00".into()
            )
        );
        assert!(period(&p("start_date=2026-01-01T00:00:00Z"), now, MAX_SPAN).is_err());
        assert!(period(&p("start_date=yesterday"), now, MAX_SPAN).is_err());
        assert!(period(
            &p("start_date=2026-11-24&end_date=2026-11-23"),
            now,
            MAX_SPAN
        )
        .is_err());
    }

    fn iso8601_pair(a: OffsetDateTime, b: OffsetDateTime) -> (String, String) {
        (crate::open311::iso8601(a), crate::open311::iso8601(b))
    }
}
