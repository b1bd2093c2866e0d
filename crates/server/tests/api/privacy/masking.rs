//! Phone and ID numbers in public text, however they are written, and birth
//! dates beside masked ID numbers.

use super::super::support::{id_number, on_both_backends};
use super::seed;
use axum::http::StatusCode;
use serde_json::json;

/// The ways the penetration test wrote one mobile number into a report.
const WRITTEN: &[&str] = &[
    "138.1234.5678",
    "138_1234_5678",
    "138/1234/5678",
    "138，1234，5678",
    "138  1234  5678",
    "一三八一二三四五六七八",
    "138\u{2010}1234\u{2010}5678",
    "(138)1234-5678",
    "１３８１２３４５６７８",
];

#[test]
fn open311_masks_phone_numbers_however_written() {
    on_both_backends(|app| async move {
        seed(&app).await;
        let tree = app.tree().await;
        let anon = app.anonymous();
        let id = id_number("19800101", 25);
        let mut numbers = Vec::new();
        for (i, w) in WRITTEN.iter().enumerate() {
            let r = anon
                .call(axum::http::Method::POST, "/api/v1/public/cases")
                .client_ip(&format!("10.17.7.{}", i + 1))
                .json(json!({"category": "0101", "unit": tree.building,
                    "description": format!("垃圾满了,电话{w},身份证{id}")}))
                .send()
                .await;
            let body = r.expect(StatusCode::CREATED);
            numbers.push(body["number"].as_str().unwrap().to_string());
        }
        for ext in ["json", "xml"] {
            let list = anon.get(&format!("/open311/v2/requests.{ext}")).await;
            assert_eq!(list.status, StatusCode::OK, "{}", list.text());
            let text = list.text();
            for no in &numbers {
                assert!(text.contains(no.as_str()), "{no} listed");
            }
            for w in WRITTEN {
                assert!(!text.contains(w), "{w} published verbatim: {text}");
            }
            assert!(!text.contains("123*5678"), "{text}");
            assert!(!text.contains("19800101"), "{text}");
            assert_eq!(text.matches("138****5678").count(), WRITTEN.len(), "{text}");
        }
        // With a key the text is in full, as before.
        let staff = app.get("/open311/v2/requests.json").await.text();
        assert!(staff.contains("138.1234.5678"), "{staff}");
    });
}
