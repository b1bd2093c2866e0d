//! Attachments (附件): photos of a problem before and after, and documents,
//! for reports and their updates.
//!
//! An upload goes through [`AttachmentStore::put`], which decides what it is
//! from its bytes (never from its name or declared type), refuses anything but
//! JPEG, PNG, WebP and PDF, and anything empty or over the size limit, and for
//! images makes two copies that are safe to show: the photo turned upright by
//! its EXIF orientation and re-encoded (so no EXIF location, device data or
//! other metadata survives), and a small JPEG thumbnail. The original bytes
//! are kept too, but only for those who may see personal data
//! ([`open_original`], audited): a phone photo's EXIF says where it was taken.
//!
//! Files are content-addressed and sealed with the personal-data keys (see
//! `files`), 0600 in a directory of their own of mode 0700, and
//! [`record`] then enters the upload in the `attachments` table, unowned until
//! [`link`] gives it to what it belongs to (a case, an update). Nothing here
//! deletes an attachment: when cases merge, [`relink`] moves their
//! attachments to the surviving case.
//!
//! [`get`] and [`list_for`] do not check scope: an attachment is shown only
//! through its owner, which the caller has already checked the actor may see.

mod files;

// Recognising uploads and re-encoding photos is the formats crate's.
use wangge_formats::{detect, images};

pub use images::{DISPLAY_SIDE, MAX_PIXELS, MAX_SIDE, THUMBNAIL_SIDE};

use crate::crypto::Keys;
use crate::ctx::{ms_to_time, Ctx};
use crate::db::{Conn, Row};
use crate::error::{Error, Result};
use crate::{audit, params, StoreOptions};
use detect::Accepted;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;
use time::OffsetDateTime;
use wangge_core::auth::Permission;
use wangge_core::people::check_text;
use wangge_core::wire::Wire;
use wangge_core::Error as CoreError;

/// The default size limit of one upload: 10 MiB, more than a phone photo.
pub const DEFAULT_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// Where attachment files are kept, how large one upload may be (the server
/// configures both), and the keys that seal the files.
#[derive(Debug, Clone)]
pub struct AttachmentStore {
    pub dir: PathBuf,
    pub max_bytes: u64,
    keys: Arc<Keys>,
}

/// The attachment directory when none is configured: beside a SQLite file
/// (`FILE.files/`), so that the database and its files move together; for
/// PostgreSQL, `wangge-files` in the working directory.
pub fn default_dir(opts: &StoreOptions) -> PathBuf {
    match opts.db.sqlite_path() {
        Some(path) => PathBuf::from(format!("{path}.files")),
        None => PathBuf::from("wangge-files"),
    }
}

wangge_core::wire_enum! {
    /// Photos or documents.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[schema(as = AttachmentKind)]
    pub enum Kind {
        Image => "image",
        Document => "document",
    }
}

impl Kind {
    fn parse(s: &str) -> Result<Kind> {
        <Kind as Wire>::from_wire(s)
            .ok_or_else(|| Error::Db(format!("unknown attachment kind {s:?}")))
    }
}

/// What an attachment belongs to: `("case", 42)`, `("case_event", 7)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Owner {
    pub kind: String,
    pub id: i64,
}

impl Owner {
    pub fn new(kind: &str, id: i64) -> Owner {
        Owner {
            kind: kind.to_string(),
            id,
        }
    }

    pub fn case(id: i64) -> Owner {
        Owner::new("case", id)
    }
}

/// Owner kinds are identifiers chosen by code, not by users; anything else is
/// a programming error.
fn check_owner(o: &Owner) -> Result<()> {
    let ok = !o.kind.is_empty()
        && o.kind.len() <= 32
        && o.kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(Error::Db(format!(
            "invalid attachment owner kind {:?}",
            o.kind
        )))
    }
}

/// An upload whose files are written, ready for [`record`]. Made only by
/// [`AttachmentStore::put`], so its hashes always name files that exist.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stored {
    pub kind: Kind,
    /// The type of the copy shown to others.
    pub content_type: &'static str,
    pub display_sha256: String,
    pub display_size: u64,
    /// The type found in the upload's bytes.
    pub original_type: &'static str,
    pub original_sha256: String,
    pub original_size: u64,
    /// Images only.
    pub thumbnail_sha256: Option<String>,
    /// Of the display copy (upright); images only.
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The declared name, made safe, with the extension of the display copy.
    pub file_name: String,
}

/// An attachment as the API shows it. The original's fields are not
/// serialised: only the display copy and the thumbnail are for others.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct AttachmentInfo {
    pub id: i64,
    pub kind: Kind,
    /// The type of the copy shown (`image/jpeg`, `image/png`, `application/pdf`).
    pub content_type: String,
    pub file_name: String,
    /// Bytes of the copy shown.
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub has_thumbnail: bool,
    /// SHA-256 of the copy shown (usable as an ETag: it never changes).
    pub sha256: String,
    /// The account (or `resident@<address>`) that uploaded it; absent where
    /// the case's reporter is hidden from the caller.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub uploaded_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub uploaded_at: OffsetDateTime,
    /// `None` until linked.
    pub owner: Option<Owner>,
    #[serde(skip)]
    pub thumbnail_sha256: Option<String>,
    #[serde(skip)]
    pub original_sha256: String,
    #[serde(skip)]
    pub original_type: String,
    #[serde(skip)]
    pub original_size: u64,
}

// ---------------------------------------------------------------------------
// Files

impl AttachmentStore {
    /// A store in `dir` with the default size limit, sealing with `keys`
    /// (a [`crate::Store`]'s: see [`crate::Store::attachments`]).
    pub fn new(dir: impl Into<PathBuf>, keys: Arc<Keys>) -> AttachmentStore {
        AttachmentStore {
            dir: dir.into(),
            max_bytes: DEFAULT_MAX_BYTES,
            keys,
        }
    }

    /// Seals under the current key every file sealed by an older one, and
    /// every file kept in clear from before files were sealed (`wangge keys
    /// rotate`); returns how many were written.
    pub fn reseal_files(&self) -> Result<u64> {
        files::reseal_all(&self.dir, &self.keys)
    }

    /// How many files are not sealed by the current key.
    pub fn stale_files(&self) -> Result<u64> {
        files::stale(&self.dir, &self.keys)
    }

    /// Where the file with this hash is kept, sealed.
    pub fn sealed_path(&self, sha256: &str) -> Result<PathBuf> {
        files::sealed_path_of(&self.dir, sha256)
    }

    pub fn with_max_bytes(mut self, max_bytes: u64) -> AttachmentStore {
        self.max_bytes = max_bytes;
        self
    }

    /// Checks an upload and writes its files. `declared_name` and
    /// `declared_type` are what the client said; the name (made safe) is kept
    /// for downloads, the type only quoted when the content is refused.
    ///
    /// Decoding a large photo takes a while: call this off the async runtime
    /// (`spawn_blocking`), before the database write that [`record`]s it.
    pub fn put(&self, bytes: &[u8], declared_name: &str, declared_type: &str) -> Result<Stored> {
        if bytes.is_empty() {
            return Err(invalid(
                "attachment_empty",
                "文件是空的",
                "the file is empty",
            ));
        }
        let size = bytes.len() as u64;
        if size > self.max_bytes {
            return Err(invalid(
                "attachment_too_large",
                format!(
                    "文件大小 {} 超过上限 {}",
                    human(size),
                    human(self.max_bytes)
                ),
                format!(
                    "the file is {}, over the limit of {}",
                    human(size),
                    human(self.max_bytes)
                ),
            ));
        }
        let accepted = detect::detect(bytes).map_err(|r| wrong_type(r, declared_type))?;
        if accepted == Accepted::Pdf {
            return self.put_document(bytes, declared_name);
        }
        let p = images::process(bytes, accepted).map_err(|f| image_failure(f, accepted))?;
        let original_sha256 = files::put(&self.dir, &self.keys, bytes)?;
        let display_sha256 = files::put(&self.dir, &self.keys, &p.display)?;
        let thumbnail_sha256 = files::put(&self.dir, &self.keys, &p.thumbnail)?;
        Ok(Stored {
            kind: Kind::Image,
            content_type: p.display_type,
            display_sha256,
            display_size: p.display.len() as u64,
            original_type: accepted.mime(),
            original_sha256,
            original_size: size,
            thumbnail_sha256: Some(thumbnail_sha256),
            width: Some(p.width),
            height: Some(p.height),
            file_name: clean_name(declared_name, extension(p.display_type)),
        })
    }

    /// A PDF is kept as uploaded: there is no pixel copy to make, and
    /// rewriting a PDF needs a PDF library. Its display copy is the original.
    fn put_document(&self, bytes: &[u8], declared_name: &str) -> Result<Stored> {
        if !detect::pdf_complete(bytes) {
            return Err(invalid(
                "attachment_unreadable",
                "PDF 文件不完整(可能上传中断),请重新上传",
                "the PDF document is incomplete (the upload may have been cut off); please upload it again",
            ));
        }
        let sha = files::put(&self.dir, &self.keys, bytes)?;
        Ok(Stored {
            kind: Kind::Document,
            content_type: Accepted::Pdf.mime(),
            display_sha256: sha.clone(),
            display_size: bytes.len() as u64,
            original_type: Accepted::Pdf.mime(),
            original_sha256: sha,
            original_size: bytes.len() as u64,
            thumbnail_sha256: None,
            width: None,
            height: None,
            file_name: clean_name(declared_name, "pdf"),
        })
    }
}

fn invalid(code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Error {
    CoreError::invalid("file", code, zh, en).into()
}

const ALLOWED_ZH: &str = "只接受 JPEG、PNG、WebP 图片和 PDF 文档";
const ALLOWED_EN: &str = "only JPEG, PNG and WebP images and PDF documents are accepted";

fn wrong_type(found: detect::Refused, declared_type: &str) -> Error {
    // The declared type is quoted only when it looks like one (`type/subtype`),
    // so that arbitrary client text never reaches the message.
    let declared = declared_type.trim();
    let quotable = !declared.is_empty()
        && declared.len() <= 80
        && declared.contains('/')
        && declared
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/.+-_".contains(&b));
    let (dzh, den) = if quotable {
        (
            format!("(声明为 {declared})"),
            format!(" (declared as {declared})"),
        )
    } else {
        (String::new(), String::new())
    };
    invalid(
        "attachment_type",
        format!("不支持的文件类型:内容是{}{dzh};{ALLOWED_ZH}", found.zh),
        format!(
            "unsupported file type: the content is {}{den}; {ALLOWED_EN}",
            found.en
        ),
    )
}

fn image_failure(f: images::Failure, kind: Accepted) -> Error {
    let limits_zh = format!(
        "每边最多 {MAX_SIDE} 像素、总计最多 {} 万像素",
        MAX_PIXELS / 10_000
    );
    let limits_en = format!(
        "at most {MAX_SIDE} pixels a side and {} megapixels in all",
        MAX_PIXELS / 1_000_000
    );
    match f {
        images::Failure::TooLarge(dims) => {
            let (zh, en) = match dims {
                Some((w, h)) => (format!("{w}×{h} "), format!(" ({w}×{h})")),
                None => (String::new(), String::new()),
            };
            invalid(
                "attachment_too_large",
                format!("图片尺寸 {zh}超过上限:{limits_zh}"),
                format!("the image is too large{en}: {limits_en}"),
            )
        }
        images::Failure::Unreadable(why) => {
            let name = match kind {
                Accepted::Jpeg => "JPEG",
                Accepted::Png => "PNG",
                Accepted::Webp => "WebP",
                Accepted::Pdf => "PDF",
            };
            tracing::debug!(%why, "unreadable {name} upload");
            invalid(
                "attachment_unreadable",
                format!("{name} 图片已损坏或无法读取"),
                format!("the {name} image is damaged or cannot be read"),
            )
        }
        images::Failure::Internal(why) => Error::Db(format!("attachment processing: {why}")),
    }
}

/// Bytes as MB (MiB, as phones and browsers count them) or KB.
fn human(n: u64) -> String {
    let (v, unit) = if n >= 1024 * 1024 {
        (n as f64 / (1024.0 * 1024.0), "MB")
    } else {
        (n as f64 / 1024.0, "KB")
    };
    let s = format!("{v:.1}");
    let s = s.strip_suffix(".0").unwrap_or(&s);
    format!("{s} {unit}")
}

fn extension(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => "png",
        "image/webp" => "webp",
        "application/pdf" => "pdf",
        _ => "jpg",
    }
}

/// The declared name made safe to show and to offer as a download name: its
/// last path component only, without control and bidirectional-override
/// characters (which can disguise `gpj.exe` as `exe.jpg`) or characters that
/// file systems refuse, at most 80 characters, and with the extension of what
/// is actually stored.
fn clean_name(declared: &str, ext: &str) -> String {
    let base = declared.rsplit(['/', '\\']).next().unwrap_or_default();
    let stem = match base.rfind('.') {
        Some(i) if i > 0 => &base[..i],
        _ => base,
    };
    let stem: String = stem
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
                && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .take(80)
        .collect();
    let stem = stem.trim_matches(|c: char| c.is_whitespace() || c == '.');
    let stem = if stem.is_empty() { "attachment" } else { stem };
    format!("{stem}.{ext}")
}

/// The copy shown to others.
pub fn open_display(files: &AttachmentStore, info: &AttachmentInfo) -> Result<Vec<u8>> {
    files::read(&files.dir, &files.keys, &info.sha256)
}

/// The thumbnail (JPEG); documents have none.
pub fn open_thumbnail(files: &AttachmentStore, info: &AttachmentInfo) -> Result<Vec<u8>> {
    match &info.thumbnail_sha256 {
        Some(sha) => files::read(&files.dir, &files.keys, sha),
        None => Err(Error::not_found("thumbnail")),
    }
}

/// The upload as received, with whatever metadata it carried (a photo's GPS
/// position): for those who may see personal data, giving a reason, audited.
/// Runs in a write transaction for the audit entry. Like [`get`], it does not
/// check scope: the caller has checked that the actor may see the owner.
pub fn open_original(
    c: &mut dyn Conn,
    ctx: &Ctx,
    files: &AttachmentStore,
    id: i64,
    reason: &str,
) -> Result<Vec<u8>> {
    ctx.require(Permission::RevealPersonal)?;
    let reason = check_text("reason", reason, 200)?;
    let info = get(c, id)?;
    let bytes = files::read(&files.dir, &files.keys, &info.original_sha256)?;
    audit::record(
        c,
        ctx,
        "attachment",
        id,
        "reveal_original",
        json!({"reason": reason}),
    )?;
    Ok(bytes)
}

// ---------------------------------------------------------------------------
// The table

const SELECT: &str = "SELECT id, kind, content_type, file_name, display_size, width, height,
    thumbnail_sha256, display_sha256, uploaded_by, uploaded_at, owner_kind, owner_id,
    original_sha256, original_type, original_size FROM attachments";

fn dimension(r: &Row, i: usize) -> Result<Option<u32>> {
    r.get::<Option<i64>>(i)?
        .map(|v| u32::try_from(v).map_err(|_| Error::Db(format!("bad image dimension {v}"))))
        .transpose()
}

fn size(r: &Row, i: usize) -> Result<u64> {
    let v: i64 = r.get(i)?;
    u64::try_from(v).map_err(|_| Error::Db(format!("bad attachment size {v}")))
}

fn from_row(r: &Row) -> Result<AttachmentInfo> {
    let thumbnail_sha256: Option<String> = r.get(7)?;
    let owner = match (r.get::<Option<String>>(11)?, r.get::<Option<i64>>(12)?) {
        (Some(kind), Some(id)) => Some(Owner { kind, id }),
        _ => None,
    };
    Ok(AttachmentInfo {
        id: r.get(0)?,
        kind: Kind::parse(&r.get::<String>(1)?)?,
        content_type: r.get(2)?,
        file_name: r.get(3)?,
        size: size(r, 4)?,
        width: dimension(r, 5)?,
        height: dimension(r, 6)?,
        has_thumbnail: thumbnail_sha256.is_some(),
        sha256: r.get(8)?,
        uploaded_by: r.get(9)?,
        uploaded_at: ms_to_time(r.get(10)?),
        owner,
        thumbnail_sha256,
        original_sha256: r.get(13)?,
        original_type: r.get(14)?,
        original_size: size(r, 15)?,
    })
}

/// Enters a stored upload, unowned, uploaded by the actor.
pub fn record(c: &mut dyn Conn, ctx: &Ctx, stored: &Stored) -> Result<AttachmentInfo> {
    let as_i64 = |n: u64| i64::try_from(n).map_err(|_| Error::Db("attachment too large".into()));
    let id: i64 = c
        .query_one(
            "INSERT INTO attachments (kind, content_type, display_sha256, display_size,
                original_type, original_sha256, original_size, thumbnail_sha256, width, height,
                file_name, uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            params![
                stored.kind.as_str(),
                stored.content_type,
                stored.display_sha256.as_str(),
                as_i64(stored.display_size)?,
                stored.original_type,
                stored.original_sha256.as_str(),
                as_i64(stored.original_size)?,
                stored.thumbnail_sha256.clone(),
                stored.width.map(i64::from),
                stored.height.map(i64::from),
                stored.file_name.as_str(),
                ctx.actor.as_str(),
                ctx.now_ms(),
            ],
        )?
        .get(0)?;
    // Not the file name: it may name a person ("张三身份证.jpg"), and the
    // audit log never holds personal values.
    audit::record(
        c,
        ctx,
        "attachment",
        id,
        "upload",
        json!({"kind": stored.kind.as_str(), "content_type": stored.content_type, "size": stored.original_size}),
    )?;
    get(c, id)
}

pub fn get(c: &mut dyn Conn, id: i64) -> Result<AttachmentInfo> {
    let r = c
        .query_opt(&format!("{SELECT} WHERE id = $1"), params![id])?
        .ok_or_else(|| Error::not_found("attachment"))?;
    from_row(&r)
}

/// Several attachments in the order of `ids` (a case's or an update's list);
/// ids that do not exist are left out.
pub fn get_many(c: &mut dyn Conn, ids: &[i64]) -> Result<Vec<AttachmentInfo>> {
    let mut out = Vec::with_capacity(ids.len());
    for &id in ids {
        match get(c, id) {
            Ok(info) => out.push(info),
            Err(Error::NotFound { .. }) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

/// Every attachment of an owner, oldest first.
pub fn list_for(c: &mut dyn Conn, owner: &Owner) -> Result<Vec<AttachmentInfo>> {
    check_owner(owner)?;
    c.query(
        &format!("{SELECT} WHERE owner_kind = $1 AND owner_id = $2 ORDER BY id"),
        params![owner.kind.as_str(), owner.id],
    )?
    .iter()
    .map(from_row)
    .collect()
}

fn unknown(id: i64) -> Error {
    CoreError::invalid(
        "attachments",
        "attachment_unknown",
        format!("附件 {id} 不存在"),
        format!("there is no attachment {id}"),
    )
    .into()
}

/// Gives uploads to `owner`, in the caller's transaction (the one that
/// creates the case or the update). An attachment may be linked only by whoever
/// uploaded it (or by the system): any other id is unknown, so that nobody can
/// take over another person's upload by guessing its number. Linking again to
/// the same owner changes nothing; an attachment already owned by something
/// else is refused (`attachment_linked`): use [`relink`] to move attachments.
pub fn link(
    c: &mut dyn Conn,
    ctx: &Ctx,
    ids: &[i64],
    owner: &Owner,
) -> Result<Vec<AttachmentInfo>> {
    check_owner(owner)?;
    let mut out: Vec<AttachmentInfo> = Vec::with_capacity(ids.len());
    for &id in ids {
        if out.iter().any(|a| a.id == id) {
            continue;
        }
        let info = match get(c, id) {
            Err(Error::NotFound { .. }) => return Err(unknown(id)),
            other => other?,
        };
        if ctx.role.is_some() && info.uploaded_by != ctx.actor {
            return Err(unknown(id));
        }
        match &info.owner {
            Some(o) if o == owner => {
                out.push(info);
                continue;
            }
            Some(_) => return Err(already_linked(id)),
            None => {}
        }
        // `owner_kind IS NULL` again: a concurrent transaction may have linked
        // it since it was read; then this one must not take it over.
        let n = c.execute(
            "UPDATE attachments SET owner_kind = $1, owner_id = $2, linked_at = $3
             WHERE id = $4 AND owner_kind IS NULL",
            params![owner.kind.as_str(), owner.id, ctx.now_ms(), id],
        )?;
        if n != 1 {
            return Err(already_linked(id));
        }
        audit::record(
            c,
            ctx,
            "attachment",
            id,
            "link",
            json!({"owner_kind": owner.kind, "owner_id": owner.id}),
        )?;
        out.push(get(c, id)?);
    }
    Ok(out)
}

fn already_linked(id: i64) -> Error {
    CoreError::conflict(
        "attachment_linked",
        format!("附件 {id} 已属于其他记录"),
        format!("attachment {id} already belongs to something else"),
    )
    .into()
}

/// Moves every attachment of `from` to `to` (when a case is merged into
/// another), in the caller's transaction, and returns their ids. Nothing is
/// deleted or copied: the rows and files stay, only their owner changes. The
/// caller has checked that the actor may change both owners.
pub fn relink(c: &mut dyn Conn, ctx: &Ctx, from: &Owner, to: &Owner) -> Result<Vec<i64>> {
    check_owner(from)?;
    check_owner(to)?;
    if from == to {
        return Ok(Vec::new());
    }
    let mut ids: Vec<i64> = c
        .query(
            "UPDATE attachments SET owner_kind = $1, owner_id = $2, linked_at = $3
             WHERE owner_kind = $4 AND owner_id = $5 RETURNING id",
            params![
                to.kind.as_str(),
                to.id,
                ctx.now_ms(),
                from.kind.as_str(),
                from.id
            ],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_>>()?;
    ids.sort_unstable();
    for &id in &ids {
        audit::record(
            c,
            ctx,
            "attachment",
            id,
            "relink",
            json!({"from_kind": from.kind, "from_id": from.id, "to_kind": to.kind, "to_id": to.id}),
        )?;
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_safe() {
        assert_eq!(clean_name("IMG_2034.JPG", "jpg"), "IMG_2034.jpg");
        assert_eq!(clean_name("C:\\Users\\a\\照片.png", "jpg"), "照片.jpg");
        assert_eq!(clean_name("../../etc/passwd", "pdf"), "passwd.pdf");
        assert_eq!(clean_name("photo\u{202e}gpj.exe", "jpg"), "photogpj.jpg");
        assert_eq!(clean_name("", "png"), "attachment.png");
        assert_eq!(clean_name(".bashrc", "png"), "bashrc.png");
        assert_eq!(clean_name("a<b>|c?.jpg", "jpg"), "abc.jpg");
        assert_eq!(clean_name(&"长".repeat(300), "jpg").chars().count(), 84);
    }

    #[test]
    fn sizes_read_as_people_count_them() {
        assert_eq!(human(DEFAULT_MAX_BYTES), "10 MB");
        assert_eq!(human(DEFAULT_MAX_BYTES + 300 * 1024), "10.3 MB");
        assert_eq!(human(1536), "1.5 KB");
    }

    #[test]
    fn default_dir_is_beside_a_sqlite_file() {
        let s = StoreOptions::new("sqlite:/var/lib/wangge/w.db");
        assert_eq!(default_dir(&s), PathBuf::from("/var/lib/wangge/w.db.files"));
        let p = StoreOptions::new("postgres://db/wangge");
        assert_eq!(default_dir(&p), PathBuf::from("wangge-files"));
    }
}
