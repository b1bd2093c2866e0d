//! Bad input: every refusal is a problem+json answer with a stable code, the field
//! at fault, messages in Chinese and English, and no write. Tricky but valid input
//! (lowercase x, full-width digits, SQL-looking text) is accepted and kept as given.

use super::support::{
    enc, id, id_number, id_number_ending_in_x, masked, on_both_backends, wrong_check, App, Tree,
    ZONE,
};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};

const PEOPLE: &str = "/api/v1/people";

/// A tree with one resident, and the snapshot taken after it.
async fn setup(app: &App) -> (Tree, Vec<String>) {
    let t = app.tree().await;
    app.person("常住居民", &id_number("19750315", 11), &t.building)
        .await;
    let before = app.snapshot().await;
    (t, before)
}

fn person(t: &Tree, id_number: &str) -> Value {
    json!({"name": "测试人", "id_number": id_number, "unit": t.building})
}

#[test]
fn malformed_json_is_400() {
    on_both_backends(|app| async move {
        let (t, before) = setup(&app).await;
        // A valid person followed by more text is not one JSON value.
        let trailing = format!("{} x", person(&t, &id_number("19800101", 20)));
        app.post_bytes(PEOPLE, trailing).await.problem(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            None,
        );
        for body in [
            "{\"name\": ",
            "",
            "{\"name\": \"x\",}",
            "{'name': 'x'}",
            "{} trailing",
            "{\"name\": \"x\"} {}",
        ] {
            app.post_bytes(PEOPLE, body).await.problem(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                None,
            );
        }
        app.post_bytes("/api/v1/units", "not json").await.problem(
            StatusCode::BAD_REQUEST,
            "malformed_json",
            None,
        );
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn wrong_types_unknown_and_missing_fields_are_422_naming_the_field() {
    on_both_backends(|app| async move {
        let (t, before) = setup(&app).await;
        let valid = id_number("19800101", 21);
        let cases = [
            (
                json!({"name": 5, "id_number": valid, "unit": t.building}),
                "name",
            ),
            (
                json!({"name": "甲", "id_number": 37179919800101u64, "unit": t.building}),
                "id_number",
            ),
            (
                json!({"name": "甲", "id_number": valid, "unit": [t.building]}),
                "unit",
            ),
            (
                json!({"name": "甲", "id_number": valid, "unit": t.building, "household_id": "one"}),
                "household_id",
            ),
            (
                json!({"name": "甲", "id_number": valid, "unit": t.building, "relation": "cousin"}),
                "relation",
            ),
            (
                json!({"name": "甲", "id_number": valid, "unit": t.building, "nickname": "小甲"}),
                "nickname",
            ),
            (
                json!({"name": "甲", "id_number": valid, "unit": t.building, "id": 1}),
                "id",
            ),
            (json!({"name": "甲", "unit": t.building}), "id_number"),
            (json!({"id_number": valid, "unit": t.building}), "name"),
            (json!({"name": "甲", "id_number": valid}), "unit"),
            (json!("a string"), "body"),
        ];
        for (body, field) in cases {
            let p = app.post_json(PEOPLE, body).await.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some(field),
            );
            if field == "nickname" {
                assert!(
                    p["message_en"].as_str().unwrap().contains("nickname"),
                    "{p}"
                );
            }
        }
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn oversized_bodies_are_413() {
    on_both_backends(|app| async move {
        let (t, before) = setup(&app).await;
        let mut body = person(&t, &id_number("19800101", 23));
        body["address_detail"] = Value::String("很".repeat(400_000));
        let bytes = body.to_string();
        assert!(bytes.len() > 1024 * 1024);
        app.post_bytes(PEOPLE, bytes).await.problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            None,
        );
        // Just under the limit is read (and then judged on its content).
        body["address_detail"] = Value::String("a".repeat(1024 * 1024 - 200));
        assert!(body.to_string().len() <= 1024 * 1024);
        app.post_json(PEOPLE, body).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "too_long",
            Some("address_detail"),
        );
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn bodies_that_are_not_json_are_415() {
    on_both_backends(|app| async move {
        let (t, before) = setup(&app).await;
        let body = person(&t, &id_number("19800101", 25)).to_string();
        for ct in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            None,
        ] {
            app.send_raw(Method::POST, PEOPLE, ct, body.clone())
                .await
                .problem(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    None,
                );
        }
        app.assert_unchanged(&before).await;
        // JSON with parameters, or in another case, is JSON.
        let r = app
            .send_raw(
                Method::POST,
                PEOPLE,
                Some("Application/JSON; charset=utf-8"),
                body,
            )
            .await;
        r.expect(StatusCode::CREATED);
    });
}

#[test]
fn id_numbers_are_validated() {
    on_both_backends(|app| async move {
        let (t, before) = setup(&app).await;
        let post = |number: String| {
            let app = app.clone();
            let body = person(&t, &number);
            async move { app.post_json(PEOPLE, body).await }
        };
        let invalid = |code| (StatusCode::UNPROCESSABLE_ENTITY, code, Some("id_number"));

        let (s, c, f) = invalid("id_number_checksum");
        post(wrong_check(&id_number("19800101", 31)))
            .await
            .problem(s, c, f);

        // Impossible dates, and birth dates after today (2026-11-24 in Beijing).
        for birth in [
            "19900230", "19901301", "19900000", "18991231", "20261125", "20270101",
        ] {
            let (s, c, f) = invalid("id_number_birth_date");
            post(id_number(birth, 32)).await.problem(s, c, f);
        }

        let (s, c, f) = invalid("id_number_legacy");
        let p = post("371799800101123".into()).await.problem(s, c, f);
        assert!(p["message_en"].as_str().unwrap().contains("18"), "{p}");
        assert!(p["message_zh"].as_str().unwrap().contains("18位"), "{p}");

        for (number, code) in [
            ("37179919800101", "id_number_length"),
            ("3717991980010100311", "id_number_length"),
            ("37179919800101A031", "id_number_format"),
            ("00179919800101003X", "id_number_region"),
        ] {
            let (s, c, f) = invalid(code);
            post(number.into()).await.problem(s, c, f);
        }
        app.assert_unchanged(&before).await;

        // Born today is fine.
        post(id_number("20261124", 33))
            .await
            .expect(StatusCode::CREATED);
    });
}

#[test]
fn lowercase_x_and_full_width_digits_are_normalised() {
    on_both_backends(|app| async move {
        let (t, _) = setup(&app).await;
        let with_x = id_number_ending_in_x("19881010");
        let p = app
            .post_json(PEOPLE, person(&t, &with_x.to_lowercase()))
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(p["id_number"], masked(&with_x));
        assert!(p["id_number"].as_str().unwrap().ends_with('X'));
        let found = app
            .post_json("/api/v1/people/lookup", json!({"id_number": with_x}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(found["id"], p["id"]);

        let number = id_number("19920606", 44);
        let wide: String = number
            .chars()
            .map(|c| match c {
                '0'..='9' => char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap(),
                'X' => 'Ｘ',
                other => other,
            })
            .collect();
        assert_ne!(wide, number);
        let p = app
            .post_json(PEOPLE, person(&t, &wide))
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(p["id_number"], masked(&number));
        assert_eq!(p["birth_year"], 1992);
        let found = app
            .post_json("/api/v1/people/lookup", json!({"id_number": number}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(found["id"], p["id"]);

        // Both are the same numbers as their plain forms.
        let before = app.snapshot().await;
        for again in [with_x, number] {
            app.post_json(PEOPLE, person(&t, &again)).await.problem(
                StatusCode::CONFLICT,
                "person_exists",
                None,
            );
        }
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn a_duplicate_id_number_is_409_without_revealing_who_has_it() {
    on_both_backends(|app| async move {
        let (t, _) = setup(&app).await;
        let number = id_number("19600808", 51);
        let first = app
            .post_json(
                PEOPLE,
                json!({"name": "欧阳娜娜", "id_number": number, "phone": "13700001111", "unit": t.building}),
            )
            .await
            .expect(StatusCode::CREATED);
        let before = app.snapshot().await;
        let r = app
            .post_json(
                PEOPLE,
                json!({"name": "冒名者", "id_number": number, "unit": t.compound}),
            )
            .await;
        r.problem(StatusCode::CONFLICT, "person_exists", None);
        let text = r.text();
        for secret in [
            "欧阳娜娜",
            "欧阳",
            number.as_str(),
            "13700001111",
            "1号楼",
            &t.building,
        ] {
            assert!(
                !text.contains(secret),
                "the answer reveals {secret}: {text}"
            );
        }
        assert!(!text.contains(&format!("\"id\":{}", id(&first))), "{text}");
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn references_to_unknown_units_are_422() {
    on_both_backends(|app| async move {
        let (_, before) = setup(&app).await;
        for unit in ["999999", "371799009", "", "'; --"] {
            let body = json!({"name": "甲", "id_number": id_number("19800101", 61), "unit": unit});
            app.post_json(PEOPLE, body).await.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_unit",
                Some("unit"),
            );
        }
        // Other field checks name their field too.
        let mut body = json!({"name": "甲", "id_number": id_number("19800101", 61), "unit": ZONE});
        body["phone"] = json!("12345");
        app.post_json(PEOPLE, body.clone()).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "phone_format",
            Some("phone"),
        );
        body["phone"] = Value::Null;
        body["name"] = json!("  ");
        app.post_json(PEOPLE, body.clone()).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "required",
            Some("name"),
        );
        body["name"] = json!("甲");
        body["household_id"] = json!(12345);
        body["relation"] = json!("head");
        app.post_json(PEOPLE, body).await.problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_household",
            Some("household_id"),
        );
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn person_ids_in_paths_must_be_numbers() {
    on_both_backends(|app| async move {
        let (_, before) = setup(&app).await;
        for raw in [
            "abc",
            "1.5",
            "-",
            "1e3",
            "%E4%B8%80",
            "99999999999999999999",
        ] {
            let path = format!("{PEOPLE}/{raw}");
            app.get(&path)
                .await
                .problem(StatusCode::NOT_FOUND, "not_found", None);
            app.patch_json(&path, json!({"name": "x"})).await.problem(
                StatusCode::NOT_FOUND,
                "not_found",
                None,
            );
        }
        app.get("/api/v1/organisations/abc").await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        app.get("/api/v1/households/abc")
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn bad_cursors_and_limits_are_422() {
    on_both_backends(|app| async move {
        let (t, _) = setup(&app).await;
        for list in [
            format!("{PEOPLE}?unit={}", t.zone),
            format!("/api/v1/units?under={}", t.zone),
            "/api/v1/organisations?".to_string(),
            "/api/v1/households?".to_string(),
        ] {
            for cursor in ["!!!", "bm8tbmV3bGluZQ", "eAp5", "%00"] {
                app.get(&format!("{list}&cursor={cursor}")).await.problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "cursor",
                    Some("cursor"),
                );
            }
            for limit in ["0", "-1", "501", "1000"] {
                app.get(&format!("{list}&limit={limit}")).await.problem(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "limit_range",
                    Some("limit"),
                );
            }
            app.get(&format!("{list}&limit=ten")).await.problem(
                StatusCode::BAD_REQUEST,
                "bad_query",
                None,
            );
            app.get(&format!("{list}&limit=500"))
                .await
                .expect(StatusCode::OK);
        }
        app.get(&format!("{PEOPLE}?unknown=1")).await.problem(
            StatusCode::BAD_REQUEST,
            "bad_query",
            None,
        );
    });
}

#[test]
fn sql_looking_text_is_only_text() {
    on_both_backends(|app| async move {
        let (t, _) = setup(&app).await;
        let names = [
            "Robert'); DROP TABLE people;--",
            "1' OR '1'='1",
            "\"; DELETE FROM units; --",
            "$1 $$ \\x00 %_ ?",
        ];
        for (seq, name) in names.iter().enumerate() {
            let p = app
                .person(name, &id_number("19800101", 70 + seq as u32), &t.building)
                .await;
            assert_eq!(p["name"], *name);
            let shown = app
                .get(&format!("{PEOPLE}/{}", p["id"]))
                .await
                .expect(StatusCode::OK);
            assert_eq!(shown["name"], *name);
        }
        // The tables are all still there.
        let page = app
            .get(&format!("{PEOPLE}?unit={}&limit=500", t.zone))
            .await
            .expect(StatusCode::OK);
        assert_eq!(page["items"].as_array().unwrap().len(), 1 + names.len());
        app.person("后来者", &id_number("19800101", 80), &t.building)
            .await;

        // In search filters, quotes and LIKE wildcards match only themselves.
        app.unit("building", "x'); DROP TABLE units;--", &t.compound)
            .await;
        app.unit("building", "100%_楼", &t.compound).await;
        let search = |q: &str| {
            let app = app.clone();
            let path = format!("/api/v1/units?q={}", enc(q));
            async move {
                let page = app.get(&path).await.expect(StatusCode::OK);
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|u| u["name"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            }
        };
        assert!(search("' OR '1'='1").await.is_empty());
        assert!(search("'; DROP TABLE units;--").await.is_empty());
        assert_eq!(
            search("DROP TABLE units").await,
            ["x'); DROP TABLE units;--"]
        );
        assert_eq!(search("%").await, ["100%_楼"]);
        assert_eq!(search("_").await, ["100%_楼"]);
        assert!(search("\\").await.is_empty());
        assert_eq!(search("%_楼").await, ["100%_楼"]);
        assert_eq!(search("楼").await.len(), 2);
        let page = app
            .get(&format!("/api/v1/units?under={}", t.zone))
            .await
            .expect(StatusCode::OK);
        assert_eq!(page["items"].as_array().unwrap().len(), 7);
    });
}
