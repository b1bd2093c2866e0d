//! UI text from message catalogues (`messages/zh.toml`, `messages/en.toml`),
//! compiled into the binary. Chinese is the default; `?lang=en` or `?lang=zh`
//! switches, and the choice is remembered in a cookie.

use axum::extract::{FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::HashMap;
use std::sync::OnceLock;

pub const LANG_COOKIE: &str = "wangge_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

type Catalog = HashMap<String, String>;

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalog) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            _ => {}
        }
    }
}

/// One catalogue per language and feature, so that features grow their own
/// text side by side; a key means the same in every file of a language.
const ZH: &[&str] = &[
    include_str!("../../messages/zh.toml"),
    include_str!("../../messages/inspections.zh.toml"),
    include_str!("../../messages/equipment.zh.toml"),
    include_str!("../../messages/exports.zh.toml"),
    include_str!("../../messages/totp.zh.toml"),
    include_str!("../../messages/staff.zh.toml"),
    include_str!("../../messages/audit.zh.toml"),
    include_str!("../../messages/resident.zh.toml"),
    include_str!("../../messages/intake.zh.toml"),
    include_str!("../../messages/records.zh.toml"),
];
const EN: &[&str] = &[
    include_str!("../../messages/en.toml"),
    include_str!("../../messages/inspections.en.toml"),
    include_str!("../../messages/equipment.en.toml"),
    include_str!("../../messages/exports.en.toml"),
    include_str!("../../messages/totp.en.toml"),
    include_str!("../../messages/staff.en.toml"),
    include_str!("../../messages/audit.en.toml"),
    include_str!("../../messages/resident.en.toml"),
    include_str!("../../messages/intake.en.toml"),
    include_str!("../../messages/records.en.toml"),
];

fn parse(texts: &[&str]) -> Catalog {
    let mut out = Catalog::new();
    // The catalogues ship inside the binary and a unit test parses them, so a
    // broken one cannot reach a running server; an empty catalogue would show keys.
    for text in texts {
        if let Ok(table) = text.parse::<toml::Table>() {
            flatten("", &table, &mut out);
        }
    }
    out
}

pub fn catalog(lang: Lang) -> &'static Catalog {
    static ZH_CATALOG: OnceLock<Catalog> = OnceLock::new();
    static EN_CATALOG: OnceLock<Catalog> = OnceLock::new();
    match lang {
        Lang::Zh => ZH_CATALOG.get_or_init(|| parse(ZH)),
        Lang::En => EN_CATALOG.get_or_init(|| parse(EN)),
    }
}

/// The translator handed to every template.
#[derive(Debug, Clone, Copy, Default)]
pub struct T {
    pub lang: Lang,
}

impl T {
    /// The text for `key`; the key itself when missing, so a gap shows on screen
    /// (and in the catalogue tests) instead of hiding.
    pub fn t<'a>(&self, key: &'a str) -> &'a str {
        match catalog(self.lang).get(key) {
            Some(s) => s.as_str(),
            None => {
                tracing::warn!(key, lang = self.lang.code(), "missing UI text");
                key
            }
        }
    }
    pub fn lang_tag(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
    pub fn other_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        }
    }
    /// The language link: this page's own query with only `lang` replaced, so
    /// a switch keeps the filters and the page (relative to the page's
    /// address, so the path stays too). Text typed into a form but not yet
    /// sent is not kept: that would need a script.
    pub fn switch_href(&self) -> String {
        let query = PAGE_QUERY.try_with(|q| q.clone()).unwrap_or_default();
        let mut out = String::from("?");
        for pair in query.split('&').filter(|kv| !kv.is_empty()) {
            if pair.split('=').next() != Some("lang") {
                out.push_str(pair);
                out.push('&');
            }
        }
        out.push_str("lang=");
        out.push_str(self.other_lang());
        out
    }
    /// Picks the message of a bilingual error.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

fn query_lang(query: Option<&str>) -> Option<Lang> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == "lang")
        .and_then(|(_, v)| Lang::parse(v))
}

tokio::task_local! {
    /// The query of the request being answered, for the language link. A task
    /// local rather than a field of `T`, which every template and handler copies.
    static PAGE_QUERY: String;
}

/// Middleware: settles the request's language and remembers a switch.
pub async fn layer(mut req: Request, next: Next) -> Response {
    let query = req.uri().query().unwrap_or_default().to_string();
    let asked = query_lang(req.uri().query());
    let lang = asked
        .or_else(|| crate::auth::cookie(req.headers(), LANG_COOKIE).and_then(|v| Lang::parse(&v)))
        .unwrap_or_default();
    req.extensions_mut().insert(T { lang });
    let mut res = PAGE_QUERY.scope(query, next.run(req)).await;
    if let Some(l) = asked {
        let cookie = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            l.code()
        );
        if let Ok(v) = HeaderValue::from_str(&cookie) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

impl<S: Send + Sync> FromRequestParts<S> for T {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts.extensions.get::<T>().copied().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_file_parses_and_no_key_is_defined_twice() {
        for texts in [ZH, EN] {
            let mut seen = std::collections::HashSet::new();
            for text in texts {
                let table: toml::Table = text.parse().expect("a catalogue file parses");
                let mut keys = Catalog::new();
                flatten("", &table, &mut keys);
                for k in keys.into_keys() {
                    assert!(seen.insert(k.clone()), "{k} is defined twice");
                }
            }
        }
    }

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let zh = catalog(Lang::Zh);
        let en = catalog(Lang::En);
        assert!(zh.len() > 20, "the Chinese catalogue parsed");
        let mut missing: Vec<_> = zh.keys().filter(|k| !en.contains_key(*k)).collect();
        missing.extend(en.keys().filter(|k| !zh.contains_key(*k)));
        assert!(
            missing.is_empty(),
            "keys in one catalogue only: {missing:?}"
        );
    }

    #[test]
    fn every_key_used_in_templates_exists() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        let mut used = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for part in text.split("t.t(\"").skip(1) {
                used.push(part.split('"').next().unwrap().to_string());
            }
        }
        assert!(!used.is_empty());
        for key in used {
            for lang in [Lang::Zh, Lang::En] {
                assert!(
                    catalog(lang).contains_key(&key),
                    "{key} missing in {lang:?}"
                );
            }
        }
    }

    /// The pages made from registries' declarations name their text by key.
    #[test]
    fn every_key_a_registry_page_declares_exists() {
        struct Keys(Vec<&'static str>);
        impl wangge_store::registry::Visit for Keys {
            fn visit<R: wangge_store::registry::Registry>(&mut self) {
                self.0.extend(R::PAGES.iter().flat_map(|p| p.keys()));
            }
        }
        let mut keys = Keys(vec!["records.required", "records.choose", "records.unit"]);
        wangge_store::registry::each(&mut keys);
        assert!(keys.0.len() > 10, "the site pages declare their text");
        for key in keys.0 {
            for lang in [Lang::Zh, Lang::En] {
                assert!(catalog(lang).contains_key(key), "{key} missing in {lang:?}");
            }
        }
    }

    #[test]
    fn chinese_text_is_chinese_and_english_is_english() {
        let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for (k, v) in catalog(Lang::En) {
            // The language switch names the other language in its own script.
            if k != "app.lang_switch" && k != "app.footer" {
                assert!(!cjk(v), "English text {k} has CJK: {v}");
            }
        }
        for (k, v) in catalog(Lang::Zh) {
            if k != "app.lang_switch" {
                assert!(cjk(v), "Chinese text {k} has no CJK: {v}");
            }
        }
    }
}
