//! The audit log: a scenario leaves a chain that verifies; a changed, a deleted, a
//! reordered and a truncated entry are each named by `verify`; auditors browse
//! the log and nobody else does.

use super::roles::snapshot_all;
use super::support::{id_number, on_both_backends, App};
use axum::http::{Method, StatusCode};
use serde_json::{json, Value};
use wangge_core::auth::Role;
use wangge_store::audit::{self, Verdict};
use wangge_store::params;

const PASSWORD: &str = "Gridworker-2026!";

async fn verify(app: &App) -> Verdict {
    app.store.db.read(audit::verify).await.expect("verify")
}

async fn head_seq(app: &App) -> i64 {
    app.store
        .db
        .read(|c| {
            c.query_one("SELECT seq FROM audit_head WHERE id = 1", &[])?
                .get(0)
        })
        .await
        .expect("head")
}

/// One stored entry, column by column.
#[derive(Debug, Clone, PartialEq)]
struct Row {
    seq: i64,
    at: i64,
    actor: String,
    client_addr: Option<String>,
    entity: String,
    entity_id: i64,
    action: String,
    detail: String,
    prev_hash: String,
    hash: String,
}

async fn row(app: &App, seq: i64) -> Row {
    app.store
        .db
        .read(move |c| {
            let r = c.query_one(
                "SELECT seq, at, actor, client_addr, entity, entity_id, action, detail, prev_hash, hash
                 FROM audit_log WHERE seq = $1",
                params![seq],
            )?;
            Ok(Row {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                client_addr: r.get(3)?,
                entity: r.get(4)?,
                entity_id: r.get(5)?,
                action: r.get(6)?,
                detail: r.get(7)?,
                prev_hash: r.get(8)?,
                hash: r.get(9)?,
            })
        })
        .await
        .expect("audit row")
}

/// Writes `content` (all but its seq) into the entry numbered `seq`, inserting
/// it if it is not there.
async fn put(app: &App, seq: i64, content: &Row) {
    let r = content.clone();
    app.store
        .db
        .write(move |c| {
            c.execute("DELETE FROM audit_log WHERE seq = $1", params![seq])?;
            c.execute(
                "INSERT INTO audit_log (seq, at, actor, client_addr, entity, entity_id, action, detail, prev_hash, hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                params![seq, r.at, r.actor, r.client_addr, r.entity, r.entity_id, r.action, r.detail, r.prev_hash, r.hash],
            )?;
            Ok(())
        })
        .await
        .expect("write audit row");
}

async fn sql(app: &App, statement: &'static str, seq: i64) {
    let n = app
        .store
        .db
        .write(move |c| c.execute(statement, params![seq]))
        .await
        .expect("tamper");
    assert_eq!(n, 1, "{statement}");
}

#[track_caller]
fn named(v: &Verdict, seq: i64, why: &str) {
    match &v.first_bad {
        Some(b) => {
            assert_eq!(b.seq, seq, "{v:?}");
            assert!(b.en.contains(why), "{v:?} should say {why}");
        }
        None => panic!("tampering with entry {seq} went unnoticed: {v:?}"),
    }
}

/// Logins good and bad, registrations, a reveal, a token: a log of some length.
async fn scenario(app: &App) -> super::support::Tree {
    let t = app.tree().await;
    app.password_account(
        "li",
        PASSWORD,
        Role::CommunityCadre,
        Some(&t.community),
        None,
    )
    .await;
    app.login("li", "Wrong-password-1")
        .await
        .problem(StatusCode::UNAUTHORIZED, "bad_login", None);
    app.login("nobody", "Wrong-password-1").await.problem(
        StatusCode::UNAUTHORIZED,
        "bad_login",
        None,
    );
    let s = app.session("li", PASSWORD).await;
    for seq in 1..=3 {
        let p = app
            .with_session(&s, Method::POST, "/api/v1/people")
            .json(
                json!({"name": format!("居民{seq}"), "id_number": id_number("19800101", seq),
                         "phone": "13812345678", "unit": t.building}),
            )
            .send()
            .await
            .expect(StatusCode::CREATED);
        app.with_session(
            &s,
            Method::POST,
            &format!("/api/v1/people/{}/reveal", p["id"]),
        )
        .json(json!({"reason": "核对"}))
        .send()
        .await
        .expect(StatusCode::OK);
    }
    app.with_session(&s, Method::POST, "/api/v1/tokens")
        .json(json!({"name": "脚本"}))
        .send()
        .await
        .expect(StatusCode::CREATED);
    t
}

#[test]
fn verify_names_a_changed_a_deleted_a_reordered_and_a_missing_last_entry() {
    on_both_backends(|app| async move {
        scenario(&app).await;
        let last = head_seq(&app).await;
        assert!(last >= 12, "only {last} entries");
        let v = verify(&app).await;
        assert_eq!(
            v,
            Verdict {
                entries: last,
                first_bad: None
            }
        );
        let k = last / 2;
        let original = row(&app, k).await;

        // Changed: the detail, the actor, the time: each is caught, and putting
        // the entry back makes the chain whole again.
        for statement in [
            "UPDATE audit_log SET detail = '{}' WHERE seq = $1",
            "UPDATE audit_log SET actor = 'someone-else' WHERE seq = $1",
            "UPDATE audit_log SET at = at + 1 WHERE seq = $1",
            "UPDATE audit_log SET entity_id = entity_id + 1 WHERE seq = $1",
            "UPDATE audit_log SET client_addr = '10.0.0.1' WHERE seq = $1",
        ] {
            sql(&app, statement, k).await;
            named(&verify(&app).await, k, "changed");
            put(&app, k, &original).await;
            assert_eq!(verify(&app).await.first_bad, None, "{statement}");
        }

        // Deleted from the middle.
        sql(&app, "DELETE FROM audit_log WHERE seq = $1", k).await;
        named(&verify(&app).await, k, "missing");
        put(&app, k, &original).await;
        assert_eq!(verify(&app).await.first_bad, None);

        // Reordered: two neighbours swap places (their seq stays in order).
        let next = row(&app, k + 1).await;
        put(&app, k, &next).await;
        put(&app, k + 1, &original).await;
        named(&verify(&app).await, k, "link");
        put(&app, k, &original).await;
        put(&app, k + 1, &next).await;
        assert_eq!(verify(&app).await.first_bad, None);

        // A copy of an entry's hash does not make a changed entry fit.
        let mut forged = original.clone();
        forged.detail = r#"{"reason":"nothing to see"}"#.into();
        put(&app, k, &forged).await;
        named(&verify(&app).await, k, "changed");
        put(&app, k, &original).await;

        // The last entry deleted: the chain ends before the head.
        sql(&app, "DELETE FROM audit_log WHERE seq = $1", last).await;
        let v = verify(&app).await;
        named(&v, last, "ends");
        assert_eq!(v.entries, last - 1);
    });
}

#[test]
fn auditors_browse_the_log_and_nobody_else_does() {
    on_both_backends(|app| async move {
        let t = scenario(&app).await;
        let auditor = app.as_user("auditor", Role::Auditor, None, None);
        let t_cadre = app.as_user("street", Role::StreetStaff, Some(&t.street), None);
        let resident = app.as_user("resident", Role::Resident, None, None);
        let list = |who: App, query: &str| {
            let path = format!("/api/v1/audit{query}");
            async move { who.get(&path).await }
        };

        let r = list(auditor.clone(), "?actor=li").await;
        let text = r.text();
        let entries = r.expect(StatusCode::OK);
        let entries = entries.as_array().expect("entries");
        let actions: Vec<&str> = entries
            .iter()
            .map(|e| e["action"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            actions,
            ["create", "reveal", "create", "reveal", "create", "reveal", "create", "login"],
            "newest first"
        );
        assert!(entries.iter().all(|e| e["actor"] == "li"));
        let seqs: Vec<i64> = entries
            .iter()
            .map(|e| e["seq"].as_i64().unwrap_or(0))
            .collect();
        assert!(seqs.windows(2).all(|w| w[0] > w[1]), "{seqs:?}");
        // What was seen is logged, never the values themselves.
        for secret in [id_number("19800101", 1).as_str(), "13812345678", PASSWORD] {
            assert!(
                !text.contains(secret),
                "{secret} is in the audit log: {text}"
            );
        }
        assert_eq!(entries[1]["detail"]["reason"], "核对");

        let failed = list(auditor.clone(), "?action=login_failed")
            .await
            .expect(StatusCode::OK);
        let names: Vec<&Value> = failed
            .as_array()
            .expect("entries")
            .iter()
            .map(|e| &e["detail"]["username"])
            .collect();
        // An unknown name is not kept: it may be a password typed into the wrong box.
        assert_eq!(names, [&Value::Null, &json!("li")]);
        // Paging backwards.
        let page = list(auditor.clone(), "?actor=li&limit=3")
            .await
            .expect(StatusCode::OK);
        assert_eq!(page.as_array().expect("page").len(), 3);
        let rest = list(auditor.clone(), &format!("?actor=li&before={}", seqs[2]))
            .await
            .expect(StatusCode::OK);
        let rest: Vec<i64> = rest
            .as_array()
            .expect("page")
            .iter()
            .map(|e| e["seq"].as_i64().unwrap_or(0))
            .collect();
        assert_eq!(rest, seqs[3..]);

        // Filter values are values, not SQL.
        for q in [
            "?actor=li'%20OR%20'1'='1",
            "?action=%25",
            "?entity=person'--",
        ] {
            let r = list(auditor.clone(), q).await.expect(StatusCode::OK);
            assert_eq!(r, json!([]), "{q}");
        }

        // Browsing writes nothing, and only auditors and zone administrators may.
        let snapshot = snapshot_all(&app).await;
        list(app.clone(), "?limit=1").await.expect(StatusCode::OK);
        for who in [&t_cadre, &resident] {
            list(who.clone(), "")
                .await
                .problem(StatusCode::FORBIDDEN, "forbidden", None);
        }
        list(app.anonymous(), "")
            .await
            .problem(StatusCode::UNAUTHORIZED, "unauthenticated", None);
        // (Each caller's first token use records its time: compare after those.)
        let snapshot2 = snapshot_all(&app).await;
        list(auditor.clone(), "?actor=li")
            .await
            .expect(StatusCode::OK);
        list(t_cadre.clone(), "").await;
        assert_eq!(snapshot2, snapshot_all(&app).await);
        assert_eq!(
            snapshot
                .iter()
                .filter(|r| r.starts_with("audit_log"))
                .count(),
            snapshot2
                .iter()
                .filter(|r| r.starts_with("audit_log"))
                .count(),
            "browsing the log is not itself logged as a write"
        );
        assert_eq!(verify(&app).await.first_bad, None);
    });
}
