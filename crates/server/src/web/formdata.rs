//! `multipart/form-data` bodies for the forms that carry photos: text fields
//! and files read in one pass, with the size checked per file so that a wrong
//! file is refused next to its field, before anything is created.

use axum::extract::Multipart;
use std::collections::HashMap;

/// One file from a form.
pub struct FilePart {
    pub field: String,
    pub name: String,
    pub content_type: String,
    pub bytes: axum::body::Bytes,
}

/// A form's fields (repeated names keep every value) and its files.
#[derive(Default)]
pub struct FormData {
    pub fields: HashMap<String, Vec<String>>,
    pub files: Vec<FilePart>,
    /// A file over the limit (its name), or a body cut off because the whole
    /// request was too large: the fields read before it are still kept.
    pub too_large: Option<String>,
    pub broken: bool,
}

impl FormData {
    /// The first value of a field, trimmed of nothing (what the user typed).
    pub fn get(&self, name: &str) -> String {
        self.fields
            .get(name)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default()
    }

    /// A comma-separated list of ids (photos kept from an earlier try);
    /// anything that is not an id is left out.
    pub fn ids(&self, name: &str) -> Vec<i64> {
        self.get(name)
            .split(',')
            .filter_map(|v| v.trim().parse().ok())
            .collect()
    }

    pub fn all(&self, name: &str) -> Vec<String> {
        self.fields.get(name).cloned().unwrap_or_default()
    }

    /// Reads the whole body. Files larger than `max_file` are dropped and
    /// remembered in `too_large`; an empty file input (nothing chosen) is skipped.
    pub async fn read(mut mp: Multipart, max_file: u64) -> FormData {
        let mut out = FormData::default();
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    // A body over the route's limit ends here; so does a broken one.
                    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                        out.too_large.get_or_insert_with(String::new);
                    } else {
                        out.broken = true;
                    }
                    break;
                }
            };
            let name = field.name().unwrap_or_default().to_string();
            let file_name = field.file_name().map(str::to_string);
            let ctype = field.content_type().unwrap_or_default().to_string();
            match file_name {
                Some(file_name) => {
                    let bytes = match field.bytes().await {
                        Ok(b) => b,
                        Err(_) => {
                            out.too_large.get_or_insert(file_name);
                            break;
                        }
                    };
                    if bytes.is_empty() && file_name.is_empty() {
                        continue;
                    }
                    if bytes.len() as u64 > max_file {
                        out.too_large.get_or_insert(file_name);
                        continue;
                    }
                    out.files.push(FilePart {
                        field: name,
                        name: file_name,
                        content_type: ctype,
                        bytes,
                    });
                }
                None => match field.text().await {
                    Ok(v) => out.fields.entry(name).or_default().push(v),
                    Err(_) => {
                        out.broken = true;
                        break;
                    }
                },
            }
        }
        out
    }
}

/// The whole body a photo form may send: a few photos at the store's limit.
pub fn body_limit(max_file: u64) -> usize {
    usize::try_from(max_file.saturating_mul(4).saturating_add(256 * 1024)).unwrap_or(usize::MAX)
}

/// What a finished submission answered: enough to answer its repeat the same.
pub(super) type Slot = std::sync::Arc<tokio::sync::Mutex<Option<(String, String)>>>;

/// Form submissions by idempotency key, so that a double click waits for the
/// first submission and answers as it did. The store replays a key with the
/// same body by itself; this covers photos, which a second click would upload
/// again under new ids (a different body). Per node and in memory only.
pub(super) fn in_flight(key: &str) -> Slot {
    static SLOTS: std::sync::OnceLock<std::sync::Mutex<HashMap<String, Slot>>> =
        std::sync::OnceLock::new();
    let map = SLOTS.get_or_init(|| std::sync::Mutex::new(HashMap::new()));
    let Ok(mut map) = map.lock() else {
        return Slot::default();
    };
    if map.len() > 10_000 {
        map.retain(|_, v| std::sync::Arc::strong_count(v) > 1);
    }
    map.entry(key.to_string()).or_default().clone()
}

/// A new key for a form's hidden `idem` field.
pub(super) fn fresh_key() -> String {
    wangge_store::accounts::new_token("").unwrap_or_default()
}

/// Ids as a form's hidden field holds them, for `FormData::ids` to read back.
pub(super) fn id_list(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}
