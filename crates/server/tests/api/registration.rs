//! An ID number registered outside the caller's scope is no oracle: a create
//! or an import row becomes a registration request for the staff of the unit
//! that holds the person, with one answer that says nothing about them; the
//! staff accept or refuse it; requests are limited per account; lookups are
//! audited. Both backends.

use super::support::{code, id_number, on_both_backends, App, Tree};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use wangge_core::auth::Role;

const REQUESTS: &str = "/api/v1/people/registration-requests";

/// Words that would tell the caller the number is registered somewhere.
const TELLING: &[&str] = &[
    "以外",
    "已登记",
    "已在",
    "outside",
    "elsewhere",
    "registered",
    "exists",
];

/// A second community (with a building) beside the tree's.
async fn other_side(app: &App, t: &Tree) -> String {
    let community = app.unit("community", "黄河社区", &t.street).await;
    let compound = app.unit("compound", "和平小区", &code(&community)).await;
    code(&app.unit("building", "9号楼", &code(&compound)).await)
}

async fn audit_rows(app: &App, action: &'static str) -> Vec<(String, i64, String)> {
    app.store
        .db
        .read(move |c| {
            c.query(
                "SELECT actor, entity_id, detail FROM audit_log WHERE entity = 'person' AND action = $1 ORDER BY seq",
                wangge_store::params![action],
            )?
            .iter()
            .map(|r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .collect()
        })
        .await
        .expect("audit rows")
}

#[track_caller]
fn says_nothing(r: &Value, secrets: &[&str]) {
    let text = r.to_string();
    for word in TELLING.iter().chain(secrets) {
        assert!(!text.contains(word), "{word:?} in {text}");
    }
}

#[test]
fn a_number_registered_elsewhere_becomes_a_request_for_the_owning_unit() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let far = other_side(&app, &t).await;
        let owner = app.as_user("owner", Role::CommunityCadre, Some(&t.community), None);
        let asker = app.as_user("asker", Role::CommunityCadre, Some(&far), None);
        let number = id_number("19700707", 1);
        let person = app.person("欧阳娜娜", &number, &t.building).await;
        let pid = person["id"].as_i64().unwrap();

        // The create answers 202 with the same words whoever holds the person.
        let r = asker
            .post_json(
                "/api/v1/people",
                json!({"name": "冒名者", "id_number": number, "unit": far}),
            )
            .await
            .expect(StatusCode::ACCEPTED);
        assert_eq!(r["code"], "registration_requested", "{r}");
        assert_eq!(r["message_zh"], "登记申请已提交,由相关单位核实后办理");
        assert_eq!(
            r["message_en"],
            "the registration was submitted for verification by the responsible unit"
        );
        says_nothing(&r, &["欧阳娜娜", "长江社区", "1号楼", &t.building]);
        assert!(r.get("id").is_none() && r.get("person_id").is_none(), "{r}");
        // Nobody was created, and the asker still cannot see the person.
        asker.get(&format!("/api/v1/people/{pid}")).await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        // The request is audited with no personal value.
        let audited = audit_rows(&app, "registration_requested").await;
        assert_eq!(audited.len(), 1, "{audited:?}");
        assert_eq!((audited[0].0.as_str(), audited[0].1), ("asker", pid));
        assert!(!audited[0].2.contains(&number) && !audited[0].2.contains("冒名者"));

        // Inside one's own scope a duplicate is still 409, as before.
        let mine = id_number("19800808", 2);
        asker.person("本地居民", &mine, &far).await;
        asker
            .post_json(
                "/api/v1/people",
                json!({"name": "本地居民", "id_number": mine, "unit": far}),
            )
            .await
            .problem(StatusCode::CONFLICT, "person_exists", None);

        // The owning unit's staff see it; the asker sees only the outcome.
        let seen = owner.get(REQUESTS).await.expect(StatusCode::OK);
        let pending = seen["to_decide"].as_array().unwrap();
        assert_eq!(pending.len(), 1, "{seen}");
        let rid = pending[0]["id"].as_i64().unwrap();
        assert_eq!(pending[0]["person_id"], pid);
        assert_eq!(pending[0]["unit"], far.as_str());
        assert_eq!(pending[0]["requested_by"], "asker");
        assert_eq!(pending[0]["status"], "pending");
        let own = asker.get(REQUESTS).await.expect(StatusCode::OK);
        assert_eq!(own["to_decide"], json!([]), "{own}");
        assert_eq!(own["mine"][0]["id"], rid);
        assert_eq!(own["mine"][0]["status"], "pending");
        assert!(own["mine"][0].get("person_id").is_none(), "{own}");
        says_nothing(&own, &["欧阳娜娜", &t.building]);
        // Someone else's staff may not decide it; a resident may not even list.
        let path = format!("{REQUESTS}/{rid}/accept");
        let resident = app.as_user("resident", Role::Resident, None, None);
        // (A token's first use records its time: use it before comparing.)
        resident.get("/api/v1/session").await;
        let before = app.snapshot().await;
        asker
            .post_json(&path, Value::Null)
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        resident
            .get(REQUESTS)
            .await
            .problem(StatusCode::FORBIDDEN, "forbidden", None);
        owner
            .post_json(&format!("{REQUESTS}/{rid}/maybe"), Value::Null)
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        app.assert_unchanged(&before).await;

        // Accepted: the person moves to the requested unit, audited.
        let done = owner
            .post_json(&path, Value::Null)
            .await
            .expect(StatusCode::OK);
        assert_eq!(done["status"], "accepted", "{done}");
        assert_eq!(done["decided_by"], "owner");
        let moved = asker
            .get(&format!("/api/v1/people/{pid}"))
            .await
            .expect(StatusCode::OK);
        assert_eq!(moved["unit"], far.as_str());
        let accepted = audit_rows(&app, "registration_accepted").await;
        assert_eq!(accepted.len(), 1);
        assert_eq!((accepted[0].0.as_str(), accepted[0].1), ("owner", pid));
        // The person is no longer the owner's: nor is the request.
        owner
            .post_json(&path, Value::Null)
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        let own = asker.get(REQUESTS).await.expect(StatusCode::OK);
        assert_eq!(own["mine"][0]["status"], "accepted");
        // Who decided would name the unit that held the person.
        assert_eq!(own["mine"][0]["decided_by"], Value::Null, "{own}");
        says_nothing(&own, &["owner"]);

        // Refused: the person stays where they are.
        let second = id_number("19710101", 3);
        let p2 = app.person("留守居民", &second, &t.building).await;
        asker
            .post_json(
                "/api/v1/people",
                json!({"name": "留守居民", "id_number": second, "unit": far}),
            )
            .await
            .expect(StatusCode::ACCEPTED);
        let seen = owner.get(REQUESTS).await.expect(StatusCode::OK);
        let rid2 = seen["to_decide"][0]["id"].as_i64().unwrap();
        let done = owner
            .post_json(&format!("{REQUESTS}/{rid2}/refuse"), Value::Null)
            .await
            .expect(StatusCode::OK);
        assert_eq!(done["status"], "refused");
        owner
            .post_json(&format!("{REQUESTS}/{rid2}/accept"), Value::Null)
            .await
            .problem(StatusCode::CONFLICT, "request_decided", None);
        assert_eq!(audit_rows(&app, "registration_refused").await.len(), 1);
        asker
            .get(&format!("/api/v1/people/{}", p2["id"]))
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        let own = asker.get(REQUESTS).await.expect(StatusCode::OK);
        assert_eq!(own["mine"][0]["status"], "refused", "{own}");

        // An import row with that number: counted as pending, and not why.
        let csv = format!(
            "\u{feff}姓名,身份证号,联系电话,单元代码,单元,房号\n留守居民,{second},13812345678,{far},2,301\n"
        );
        let s = asker
            .send_raw(
                Method::POST,
                "/api/v1/imports/people?file_name=p.csv",
                Some("text/csv"),
                csv,
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            (
                &s["committed"],
                &s["created"],
                &s["pending"],
                &s["rejected"]
            ),
            (&json!(true), &json!(0), &json!(1), &json!(0)),
            "{s}"
        );
        says_nothing(&s, &["留守居民", &t.building]);
        let run = asker
            .get(&format!("/api/v1/imports/runs/{}", s["run_id"]))
            .await
            .expect(StatusCode::OK);
        assert_eq!(run["pending"], 1, "{run}");
        assert_eq!(audit_rows(&app, "registration_requested").await.len(), 3);
    });
}

#[test]
fn registration_requests_are_limited_per_account() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let far = other_side(&app, &t).await;
        let asker = app.as_user("prober", Role::GridWorker, Some(&far), None);
        let number = id_number("19650505", 4);
        app.person("被查居民", &number, &t.building).await;
        let body = json!({"name": "某人", "id_number": number, "unit": far});
        for _ in 0..wangge_store::people::registration::PER_DAY {
            asker
                .post_json("/api/v1/people", body.clone())
                .await
                .expect(StatusCode::ACCEPTED);
        }
        let before = app.snapshot().await;
        let p = asker
            .post_json("/api/v1/people", body.clone())
            .await
            .problem(
                StatusCode::TOO_MANY_REQUESTS,
                "registration_request_limit",
                None,
            );
        assert!(p["message_zh"].as_str().unwrap().contains("20"), "{p}");
        app.assert_unchanged(&before).await;
        // An import row over the limit is rejected with the same reason.
        let csv = format!(
            "\u{feff}姓名,身份证号,联系电话,单元代码,单元,房号\n某人,{number},13812345678,{far},2,301\n"
        );
        let s = asker
            .send_raw(
                Method::POST,
                "/api/v1/imports/people",
                Some("text/csv"),
                csv,
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(s["pending"], 0, "{s}");
        assert_eq!(s["issues"][0]["code"], "registration_request_limit", "{s}");
        // Another account is not held back by the first one's requests.
        app.as_user("other", Role::GridWorker, Some(&far), None)
            .post_json("/api/v1/people", body)
            .await
            .expect(StatusCode::ACCEPTED);
    });
}

#[test]
fn lookups_are_audited_without_the_id_number() {
    on_both_backends(|app| async move {
        let t = app.tree().await;
        let far = other_side(&app, &t).await;
        let number = id_number("19900909", 5);
        let pid = app.person("被查居民", &number, &t.building).await["id"]
            .as_i64()
            .unwrap();
        let near = app.as_user("near", Role::CommunityCadre, Some(&t.community), None);
        let away = app.as_user("away", Role::CommunityCadre, Some(&far), None);
        let look = |who: App, n: String| async move {
            who.post_json("/api/v1/people/lookup", json!({"id_number": n}))
                .await
        };
        look(near.clone(), number.clone())
            .await
            .expect(StatusCode::OK);
        look(away.clone(), number.clone())
            .await
            .problem(StatusCode::NOT_FOUND, "not_found", None);
        look(near.clone(), id_number("19900909", 6)).await.problem(
            StatusCode::NOT_FOUND,
            "not_found",
            None,
        );
        let rows = audit_rows(&app, "lookup").await;
        let found: Vec<(&str, i64, Value)> = rows
            .iter()
            .map(|(a, id, d)| (a.as_str(), *id, serde_json::from_str(d).unwrap()))
            .collect();
        assert_eq!(
            found,
            [
                ("near", pid, json!({"found": true})),
                // Found only outside the caller's scope: recorded as not found.
                ("away", 0, json!({"found": false})),
                ("near", 0, json!({"found": false})),
            ]
        );
        assert!(rows.iter().all(|(_, _, d)| !d.contains(&number)));
    });
}
