//! Errors in plain words: a not-found answer names what was not found, for
//! every kind of record, and a body the parser refuses is explained in
//! Chinese without serde's English in the Chinese message.

use super::support::on_both_backends;
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

const MISSING: i64 = 987_654;

/// Every kind of record the API reads or changes by its identifier, with the
/// words its not-found answer must use.
fn lookups() -> Vec<(Method, String, Option<Value>, &'static str, &'static str)> {
    let m = MISSING;
    vec![
        (
            Method::GET,
            "/api/v1/units/999999999".into(),
            None,
            "单元",
            "unit",
        ),
        (
            Method::GET,
            format!("/api/v1/people/{m}"),
            None,
            "人员",
            "person",
        ),
        (
            Method::GET,
            format!("/api/v1/households/{m}"),
            None,
            "户",
            "household",
        ),
        (
            Method::GET,
            format!("/api/v1/organisations/{m}"),
            None,
            "组织",
            "organisation",
        ),
        (
            Method::POST,
            format!("/api/v1/positions/{m}/end"),
            Some(json!({"to": "2026-11-24"})),
            "职务",
            "position",
        ),
        (
            Method::POST,
            "/api/v1/users/nobody/disable".into(),
            None,
            "用户",
            "user",
        ),
        (
            Method::DELETE,
            format!("/api/v1/tokens/{m}"),
            None,
            "令牌",
            "token",
        ),
        (
            Method::GET,
            format!("/api/v1/cases/{m}"),
            None,
            "案件",
            "case",
        ),
        (
            Method::GET,
            format!("/api/v1/cases/{m}/events"),
            None,
            "案件",
            "case",
        ),
        (
            Method::PATCH,
            "/api/v1/categories/no_such_category".into(),
            Some(json!({"active": true})),
            "问题类别",
            "category",
        ),
        (
            Method::GET,
            format!("/api/v1/attachments/{m}"),
            None,
            "附件",
            "attachment",
        ),
        (
            Method::GET,
            format!("/api/v1/construction-sites/{m}"),
            None,
            "建筑工地",
            "construction site",
        ),
        (
            Method::GET,
            format!("/api/v1/equipment/{m}"),
            None,
            "特种设备",
            "equipment",
        ),
        (
            Method::GET,
            format!("/api/v1/imports/runs/{m}"),
            None,
            "导入批次",
            "import",
        ),
        (
            Method::GET,
            format!("/api/v1/inspection-plans/{m}"),
            None,
            "排查计划",
            "inspection plan",
        ),
        (
            Method::GET,
            format!("/api/v1/inspection-records/{m}"),
            None,
            "排查记录",
            "inspection record",
        ),
        (
            Method::GET,
            "/api/v1/inspection-templates/no_such_template".into(),
            None,
            "检查表",
            "inspection template",
        ),
        (
            Method::POST,
            format!("/api/v1/people/registration-requests/{m}/approve"),
            Some(json!({})),
            "登记申请",
            "registration request",
        ),
    ]
}

#[test]
fn every_not_found_names_its_entity() {
    on_both_backends(|app| async move {
        app.tree().await;
        let mut wrong = Vec::new();
        for (method, path, body, zh, en) in lookups() {
            let mut call = app.call(method.clone(), &path);
            if let Some(b) = body {
                call = call.json(b);
            }
            let res = call.send().await;
            let p = res.json();
            let named = res.status == StatusCode::NOT_FOUND
                && p["code"] == "not_found"
                && p["message_zh"] == format!("未找到该{zh}")
                && p["message_en"] == format!("no such {en}");
            if !named {
                wrong.push(format!("{method} {path}: {} {p}", res.status));
            }
        }
        assert!(
            wrong.is_empty(),
            "not-found answers not naming their entity:\n{}",
            wrong.join("\n")
        );
    });
}

/// Latin words from serde's messages that must never reach the Chinese text.
fn has_serde_english(zh: &str) -> bool {
    [
        "missing", "invalid", "expected", "unknown", "type:", "line", "column",
    ]
    .iter()
    .any(|w| zh.contains(w))
}

#[test]
fn parser_messages_are_plain_words() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let before = app.snapshot().await;
        let cases = [
            (
                json!({"name": "甲"}),
                "id_number",
                "缺少字段“id_number”",
                "missing field \"id_number\"",
            ),
            (
                json!({"name": "甲", "id_number": "x", "unit": t.building, "nick": 1}),
                "nick",
                "不认识的字段“nick”",
                "unknown field \"nick\"",
            ),
            (
                json!({"name": 5, "id_number": "x", "unit": t.building}),
                "name",
                "字段“name”的值类型不对,应为文本",
                "field \"name\" has the wrong type of value",
            ),
        ];
        for (body, field, zh, en) in cases {
            let p = app.post_json("/api/v1/people", body).await.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some(field),
            );
            let msg_zh = p["message_zh"].as_str().unwrap_or_default();
            assert!(msg_zh.contains(zh), "{p}");
            assert!(!has_serde_english(msg_zh), "{p}");
            assert!(
                p["message_en"].as_str().unwrap_or_default().contains(en),
                "{p}"
            );
        }
        let p = app
            .post_bytes("/api/v1/people", "{\"name\": ")
            .await
            .problem(StatusCode::BAD_REQUEST, "malformed_json", None);
        let msg_zh = p["message_zh"].as_str().unwrap_or_default();
        assert!(msg_zh.starts_with("请求内容不是有效的JSON(第1行"), "{p}");
        assert!(!has_serde_english(msg_zh), "{p}");
        let p = app.get("/api/v1/cases?status=nonsense").await.problem(
            StatusCode::BAD_REQUEST,
            "bad_query",
            None,
        );
        let msg_zh = p["message_zh"].as_str().unwrap_or_default();
        assert!(!has_serde_english(msg_zh), "{p}");
        app.assert_unchanged(&before).await;
    });
}
