//! One document, two renderings: every Open311 answer is built once as a
//! [`Node`] tree and written as JSON or as XML (the spec's element names), as
//! the path's suffix asks. XML is written by quick-xml, which escapes text;
//! characters that XML 1.0 cannot carry at all are dropped.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use time::OffsetDateTime;

/// The format a path's suffix asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Json => "application/json",
            Format::Xml => "text/xml; charset=utf-8",
        }
    }
}

/// Splits `services.json` into `("services", Json)`; `None` without a known suffix.
pub fn split(file: &str) -> Option<(&str, Format)> {
    let (stem, ext) = file.rsplit_once('.')?;
    let fmt = match ext.to_ascii_lowercase().as_str() {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    (!stem.is_empty()).then_some((stem, fmt))
}

/// A value of an answer. Objects keep their fields in order; a list knows the
/// element name each item gets in XML.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    Obj(Vec<(String, Node)>),
    List(&'static str, Vec<Node>),
}

impl Node {
    pub fn text(s: impl Into<String>) -> Node {
        Node::Text(s.into())
    }

    pub fn opt_text(s: Option<impl Into<String>>) -> Node {
        s.map_or(Node::Null, |s| Node::Text(s.into()))
    }

    pub fn opt_float(f: Option<f64>) -> Node {
        f.map_or(Node::Null, Node::Float)
    }

    pub fn time(t: OffsetDateTime) -> Node {
        Node::Text(iso8601(t))
    }

    pub fn opt_time(t: Option<OffsetDateTime>) -> Node {
        t.map_or(Node::Null, Node::time)
    }
}

/// Builds an object: `obj([("a", Node::Int(1))])`.
pub fn obj<const N: usize>(fields: [(&str, Node); N]) -> Node {
    Node::Obj(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

const ISO: &[BorrowedFormatItem<'static>] = format_description!(
    "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
);

/// ISO 8601 in Beijing time to the second: `2026-11-24T10:00:00+08:00`.
pub fn iso8601(t: OffsetDateTime) -> String {
    t.to_offset(wangge_store::ctx::CST)
        .format(ISO)
        .unwrap_or_default()
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Null => s.serialize_none(),
            Node::Bool(b) => s.serialize_bool(*b),
            Node::Int(i) => s.serialize_i64(*i),
            Node::Float(f) => s.serialize_f64(*f),
            Node::Text(t) => s.serialize_str(t),
            Node::Obj(fields) => {
                let mut m = s.serialize_map(Some(fields.len()))?;
                for (k, v) in fields {
                    m.serialize_entry(k, v)?;
                }
                m.end()
            }
            Node::List(_, items) => {
                let mut q = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    q.serialize_element(v)?;
                }
                q.end()
            }
        }
    }
}

/// Whether XML 1.0 can carry the character at all.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

fn scalar_text(n: &Node) -> Option<String> {
    match n {
        Node::Null => Some(String::new()),
        Node::Bool(b) => Some(b.to_string()),
        Node::Int(i) => Some(i.to_string()),
        Node::Float(f) => Some(f.to_string()),
        Node::Text(t) => Some(t.chars().filter(|c| xml_char(*c)).collect()),
        Node::Obj(_) | Node::List(..) => None,
    }
}

/// Text escaped where XML requires it (`<`, `>`, `&`); quotes stay readable.
fn text(t: &str) -> BytesText<'static> {
    BytesText::from_escaped(quick_xml::escape::partial_escape(t).into_owned())
}

fn write_children<W: std::io::Write>(w: &mut Writer<W>, n: &Node) -> std::io::Result<()> {
    match n {
        Node::Obj(fields) => {
            for (k, v) in fields {
                write_element(w, k, v)?;
            }
        }
        Node::List(item, items) => {
            for v in items {
                write_element(w, item, v)?;
            }
        }
        _ => {
            if let Some(t) = scalar_text(n) {
                w.write_event(Event::Text(text(&t)))?;
            }
        }
    }
    Ok(())
}

fn write_element<W: std::io::Write>(
    w: &mut Writer<W>,
    name: &str,
    n: &Node,
) -> std::io::Result<()> {
    let el = w.create_element(name);
    match n {
        Node::Null => {
            el.write_empty()?;
        }
        Node::Obj(_) | Node::List(..) => {
            el.write_inner_content(|w| write_children(w, n))?;
        }
        _ => {
            let t = scalar_text(n).unwrap_or_default();
            el.write_text_content(text(&t))?;
        }
    }
    Ok(())
}

/// The document as XML under the element `root`.
pub fn to_xml(root: &str, n: &Node) -> std::io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    write_element(&mut w, root, n)?;
    let mut out = w.into_inner();
    out.push(b'\n');
    Ok(out)
}

/// The answer: `body` in the format asked for, with `root` naming the XML
/// document element.
pub fn respond(fmt: Format, status: StatusCode, root: &str, body: &Node) -> Response {
    let bytes = match fmt {
        Format::Json => serde_json::to_vec(body).map_err(std::io::Error::other),
        Format::Xml => to_xml(root, body),
    };
    match bytes {
        Ok(b) => {
            let mut res = (status, b).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(fmt.content_type()),
            );
            res
        }
        Err(e) => {
            tracing::error!(error = %e, "cannot write an Open311 answer");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn suffixes() {
        assert_eq!(split("services.json"), Some(("services", Format::Json)));
        assert_eq!(
            split("WG-20261124-00001.XML"),
            Some(("WG-20261124-00001", Format::Xml))
        );
        assert_eq!(split("services"), None);
        assert_eq!(split("services.html"), None);
        assert_eq!(split(".json"), None);
    }

    #[test]
    fn times_are_beijing_to_the_second() {
        let t = time::macros::datetime!(2026-11-24 02:00:00.123 UTC);
        assert_eq!(iso8601(t), "2026-11-24T10:00:00+08:00");
    }

    #[test]
    fn xml_escapes_and_drops_what_xml_cannot_hold() {
        let doc = Node::List(
            "request",
            vec![obj([
                (
                    "description",
                    Node::text("<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>&e;\u{1}"),
                ),
                ("lat", Node::Float(35.25)),
                ("address", Node::Null),
                ("flag", Node::Bool(true)),
            ])],
        );
        let xml = String::from_utf8(to_xml("service_requests", &doc).unwrap()).unwrap();
        assert!(
            xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"),
            "{xml}"
        );
        assert!(
            xml.contains(r#"&lt;!DOCTYPE x [&lt;!ENTITY e SYSTEM "file:///etc/passwd"&gt;]&gt;&amp;e;</description>"#),
            "{xml}"
        );
        assert!(!xml.contains('\u{1}'));
        assert!(
            xml.contains("<lat>35.25</lat>")
                && xml.contains("<address/>")
                && xml.contains("<flag>true</flag>"),
            "{xml}"
        );
        let json = serde_json::to_string(&doc).unwrap();
        assert!(json.starts_with("[{\"description\":"), "{json}");
        assert!(json.contains("\"address\":null"), "{json}");
    }
}
