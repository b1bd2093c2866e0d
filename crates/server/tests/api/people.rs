//! `/api/v1/people`: registration with masking, cursor paging, optimistic
//! updates, lookup by ID number, and names in any script.

use super::support::{enc, id, id_number, masked, on_both_backends};
use axum::http::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;

#[test]
fn a_person_is_registered_with_personal_data_masked() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let number = id_number("19800101", 123);
        let r = app
            .post_json(
                "/api/v1/people",
                json!({
                    "name": "王五",
                    "id_number": number,
                    "phone": "13812345678",
                    "unit": t.building,
                    "address_detail": "2单元301室",
                }),
            )
            .await;
        let text = r.text();
        let p = r.expect(StatusCode::CREATED);
        assert_eq!(p["name"], "王五");
        assert_eq!(p["id_number"], masked(&number));
        assert_eq!(p["id_number"].as_str().unwrap().len(), 18);
        assert!(p["id_number"]
            .as_str()
            .unwrap()
            .starts_with("371799********"));
        assert_eq!(p["phone"], "138****5678");
        assert_eq!(p["address_detail"], "****");
        assert_eq!(p["unit"], t.building);
        assert_eq!(p["unit_name"], "1号楼");
        assert_eq!(p["birth_year"], 1980);
        assert!(p.get("birth_date").is_none(), "{p}");
        assert_eq!(p["sex"], "male");
        assert_eq!(p["version"], 1);
        // The full values are nowhere in the answer.
        for secret in [number.as_str(), "13812345678", "2单元301室", "19800101"] {
            assert!(!text.contains(secret), "{secret} leaked: {text}");
        }

        let shown = app
            .get(&format!("/api/v1/people/{}", p["id"]))
            .await
            .expect(StatusCode::OK);
        assert_eq!(shown, p);
        app.get("/api/v1/people/999999")
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
    });
}

#[test]
fn people_are_listed_in_pages_with_cursors() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let building2 = app.unit("building", "2号楼", &t.compound).await["code"]
            .as_str()
            .unwrap()
            .to_string();
        let elsewhere = app.unit("compound", "幸福小区", &t.community).await["code"]
            .as_str()
            .unwrap()
            .to_string();
        let mut in_compound = HashSet::new();
        let mut in_building = HashSet::new();
        for seq in 1..=11u32 {
            // Interleave the buildings so that id order and place order differ.
            let unit = if seq % 3 == 0 {
                &building2
            } else {
                &t.building
            };
            let p = app
                .person(&format!("居民{seq}"), &id_number("19900101", seq), unit)
                .await;
            in_compound.insert(id(&p));
            if unit == &t.building {
                in_building.insert(id(&p));
            }
        }
        let outsider = app
            .person("外人", &id_number("19900101", 99), &elsewhere)
            .await;

        for limit in [1, 3, 4, 50] {
            let (ids, pages) = app.people_ids(&t.compound, limit).await;
            let unique: HashSet<i64> = ids.iter().copied().collect();
            assert_eq!(
                unique.len(),
                ids.len(),
                "limit {limit}: someone listed twice: {ids:?}"
            );
            assert_eq!(unique, in_compound, "limit {limit}");
            assert_eq!(pages, 11usize.div_ceil(limit).max(1), "limit {limit}");
        }
        let (ids, _) = app.people_ids(&t.building, 2).await;
        assert_eq!(ids.iter().copied().collect::<HashSet<_>>(), in_building);
        let (ids, _) = app.people_ids(&t.zone, 5).await;
        assert_eq!(ids.len(), 12);
        assert!(ids.contains(&id(&outsider)));

        // Without a unit: everyone in scope.
        let page = app
            .get("/api/v1/people?limit=500")
            .await
            .expect(StatusCode::OK);
        assert_eq!(page["items"].as_array().unwrap().len(), 12);
        assert!(page.get("next_cursor").and_then(Value::as_str).is_none());

        app.get("/api/v1/people?unit=999999").await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
    });
}

#[test]
fn updates_carry_a_version_and_stale_ones_are_refused() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let building2 = app.unit("building", "2号楼", &t.compound).await["code"]
            .as_str()
            .unwrap()
            .to_string();
        let p = app
            .post_json(
                "/api/v1/people",
                json!({"name": "赵六", "id_number": id_number("19700707", 8), "phone": "13912345678", "unit": t.building}),
            )
            .await
            .expect(StatusCode::CREATED);
        let path = format!("/api/v1/people/{}", p["id"]);

        let v2 = app
            .patch_json(
                &path,
                json!({"name": "赵六六", "unit": building2, "version": 1}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(v2["name"], "赵六六");
        assert_eq!(v2["unit"], building2);
        assert_eq!(v2["version"], 2);
        assert_eq!(v2["id_number"], p["id_number"]);

        // Someone else's edit was based on version 1.
        let before = app.snapshot().await;
        let problem = app
            .patch_json(&path, json!({"name": "过期修改", "version": 1}))
            .await
            .problem(StatusCode::CONFLICT, "stale_version", None);
        assert!(problem["message_en"]
            .as_str()
            .unwrap()
            .contains("version 2"));
        app.assert_unchanged(&before).await;

        // `null` clears an optional field; a change without a version is applied.
        let v3 = app
            .patch_json(
                &path,
                json!({"phone": null, "address_detail": "3单元502室"}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(v3["phone"], Value::Null);
        assert_eq!(v3["address_detail"], "****");
        assert_eq!(v3["version"], 3);
        // An empty change changes nothing.
        let same = app
            .patch_json(&path, json!({}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(same, v3);
        assert_eq!(app.get(&path).await.expect(StatusCode::OK), v3);

        let before = app.snapshot().await;
        app.patch_json(&path, json!({"phone": "12345"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "phone_format",
                Some("phone"),
            );
        app.patch_json(&path, json!({"unit": "999999"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unknown_unit",
                Some("unit"),
            );
        app.patch_json(&path, json!({"id_number": id_number("19700707", 9)}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("id_number"),
            );
        app.patch_json("/api/v1/people/999999", json!({"name": "无人"}))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.assert_unchanged(&before).await;
    });
}

#[test]
fn lookup_by_id_number_finds_the_person() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let number = id_number("19621212", 40);
        let p = app.person("孙七", &number, &t.building).await;
        app.person("周八", &id_number("19621212", 41), &t.building)
            .await;

        let found = app
            .post_json("/api/v1/people/lookup", json!({"id_number": number}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(found, p);
        // With spaces around and in full-width digits, as phones type it.
        let wide: String = number
            .chars()
            .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
            .collect();
        let found = app
            .post_json(
                "/api/v1/people/lookup",
                json!({"id_number": format!(" {wide} ")}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(found["id"], p["id"]);

        app.post_json(
            "/api/v1/people/lookup",
            json!({"id_number": id_number("19621212", 42)}),
        )
        .await
        .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.post_json("/api/v1/people/lookup", json!({"id_number": "123"}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "id_number_length",
                Some("id_number"),
            );
        app.post_json("/api/v1/people/lookup", json!({}))
            .await
            .problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_value",
                Some("id_number"),
            );
    });
}

#[test]
fn names_in_any_script_round_trip_intact() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let names = [
            "𠀀𪚥",
            "𠀀𪚥明",
            "阿依古丽·买买提",
            "Zhang 三 🌸",
            "👨‍👩‍👧‍👦家",
            "Ngô Thị Hương",
        ];
        let mut ids = Vec::new();
        for (seq, name) in names.iter().enumerate() {
            let number = id_number("20000229", seq as u32 + 1);
            let p = app.person(name, &number, &t.building).await;
            assert_eq!(p["name"], *name);
            let shown = app
                .get(&format!("/api/v1/people/{}", p["id"]))
                .await
                .expect(StatusCode::OK);
            assert_eq!(shown["name"], *name);
            let found = app
                .post_json("/api/v1/people/lookup", json!({"id_number": number}))
                .await
                .expect(StatusCode::OK);
            assert_eq!(found["name"], *name);
            ids.push(id(&p));
        }
        let page = app
            .get(&format!("/api/v1/people?unit={}", enc(&t.building)))
            .await
            .expect(StatusCode::OK);
        let listed: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["name"].as_str().unwrap())
            .collect();
        assert_eq!(listed, names);

        // Units too.
        let unit = app.unit("building", "𪚥楼🏠", &t.compound).await;
        assert_eq!(unit["name"], "𪚥楼🏠");
        let page = app
            .get(&format!("/api/v1/units?q={}", enc("𪚥楼")))
            .await
            .expect(StatusCode::OK);
        assert_eq!(page["items"][0]["name"], "𪚥楼🏠");
    });
}
