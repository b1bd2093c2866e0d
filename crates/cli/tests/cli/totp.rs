//! Two-factor login from the operator's side: `serve` requires it of zone
//! administrators by default, `--totp-required-roles` changes the set (a
//! wrong role stops the start), `wangge user reset-totp` turns a user's off
//! with an audit entry and ends their sessions, and `wangge demo` keeps its
//! documented password login.

use crate::common::*;
use wangge_store::accounts::totp::code_at;

const PASSWORD: &str = "Wangge-zone-2026";

fn serve_default(db: &TestDb) -> Server {
    let mut args = vec!["serve".to_string(), "--listen".into(), "127.0.0.1:0".into()];
    args.extend(db.args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    start(&args, &[])
}

fn now_s() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

#[test]
fn reset_totp_from_the_command_line_is_audited_and_ends_sessions() {
    for db in TestDb::both("totp") {
        let l = db.label();
        db.ok(&["migrate"]);
        let o = db.run(
            &[
                "user",
                "add",
                "ops",
                "--role",
                "zone_admin",
                "--password-stdin",
            ],
            &format!("{PASSWORD}\n"),
        );
        assert_eq!(o.code, Some(0), "{l}: {o:?}");

        // By default a zone administrator without TOTP reaches only the enrolment.
        let s = serve_default(&db);
        let body = serde_json::json!({"username": "ops", "password": PASSWORD}).to_string();
        let a = call(&s.addr, "POST", "/api/v1/session", &[], Some(&body));
        assert_eq!(a.status, 200, "{l}: {}", a.body);
        assert_eq!(a.json()["totp_enrolment_required"], true, "{l}");
        let me = login(&s.addr, "ops", PASSWORD);
        let cases = call(&s.addr, "GET", "/api/v1/cases", &me.headers(), None);
        assert_eq!(cases.status, 403, "{l}: {}", cases.body);
        assert_eq!(cases.json()["code"], "totp_enrolment_required", "{l}");

        let begun = call(&s.addr, "POST", "/api/v1/account/totp", &me.headers(), None);
        assert_eq!(begun.status, 200, "{l}: {}", begun.body);
        let secret = begun.json()["secret"].as_str().unwrap().to_string();
        let code = serde_json::json!({"code": code_at(&secret, now_s()).unwrap()}).to_string();
        let done = call(
            &s.addr,
            "POST",
            "/api/v1/account/totp/confirm",
            &me.headers(),
            Some(&code),
        );
        assert_eq!(done.status, 200, "{l}: {}", done.body);
        let cases = call(&s.addr, "GET", "/api/v1/cases", &me.headers(), None);
        assert_eq!(cases.status, 200, "{l}: {}", cases.body);
        assert!(db.ok(&["user", "list"]).contains("\ttotp"), "{l}");

        // An unknown user: a clear message, nothing changed.
        let o = db.run(&["user", "reset-totp", "nobody"], "");
        assert_eq!(o.code, Some(1), "{l}: {o:?}");
        assert!(
            o.stderr.contains("未找到用户“nobody”") && o.stderr.contains("no such user 'nobody'"),
            "{l}: {o:?}"
        );
        assert_eq!(
            db.count("SELECT COUNT(*) FROM audit_log WHERE action = 'totp_reset'"),
            0
        );

        let o = db.run(&["user", "reset-totp", "ops"], "");
        assert_eq!(o.code, Some(0), "{l}: {o:?}");
        assert!(o.stdout.contains("reset"), "{l}: {o:?}");
        assert_eq!(
            db.count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'totp_reset' AND actor = 'cli'"
            ),
            1,
            "{l}"
        );
        assert_eq!(
            db.count("SELECT COUNT(*) FROM users WHERE totp_secret_enc IS NOT NULL"),
            0,
            "{l}"
        );
        assert_eq!(
            db.count("SELECT COUNT(*) FROM totp_recovery_codes"),
            0,
            "{l}"
        );
        let gone = call(&s.addr, "GET", "/api/v1/session", &me.headers(), None);
        assert_eq!(gone.status, 401, "{l}: the session ended");
        drop(s);

        // The set can be changed; a role that does not exist stops the start.
        let o = db.run(
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--totp-required-roles",
                "mayor",
            ],
            "",
        );
        assert_eq!(o.code, Some(1), "{l}: {o:?}");
        assert!(o.stderr.contains("unknown role 'mayor'"), "{l}: {o:?}");
    }
}

#[test]
fn the_demo_logs_in_with_the_password_alone() {
    let db = TestDb::sqlite("totp-demo");
    let mut args = vec![
        "demo".to_string(),
        "--people".into(),
        "5".into(),
        "--listen".into(),
        "127.0.0.1:0".into(),
    ];
    args.extend(db.args());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let s = start(&args, &[]);
    let me = login(&s.addr, "admin", "Wangge-demo-2026");
    let cases = call(&s.addr, "GET", "/api/v1/cases", &me.headers(), None);
    assert_eq!(cases.status, 200, "{}", cases.body);
}
