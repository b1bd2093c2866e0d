//! Settings for a deployment behind a TLS proxy, through flags, variables and
//! the TOML file; guessable passwords refused by `user add`; a reset from the
//! command line ends the user's API tokens.

use crate::common::*;

const PASSWORD: &str = "Wangge-zone-2026";

fn serve_with(db: &TestDb, extra: &[&str], envs: &[(&str, &str)]) -> Server {
    let mut args = vec!["serve".to_string(), "--listen".into(), "127.0.0.1:0".into()];
    args.extend(db.args());
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    start(&args, envs)
}

#[test]
fn proxy_settings_passwords_and_token_revocation_from_the_command_line() {
    let db = TestDb::sqlite("deploy");
    db.ok(&["migrate"]);
    let add = |name: &str, password: &str| {
        db.run(
            &[
                "user",
                "add",
                name,
                "--role",
                "zone_admin",
                "--password-stdin",
            ],
            &format!("{password}\n"),
        )
    };
    let o = add("weak", "Password12");
    assert_eq!(o.code, Some(1), "{o:?}");
    assert!(
        o.stderr.contains("最常见") && o.stderr.contains("most common"),
        "{o:?}"
    );
    assert_eq!(add("ops", PASSWORD).code, Some(0));
    let token = db.ok(&["token", "create", "ops"]).trim().to_string();

    // A flag and a variable: the https URL turns on HSTS; the proxy's
    // forwarded address is the one audited.
    let server = serve_with(
        &db,
        &["--public-url", "https://wangge.example.cn"],
        &[("WANGGE_TRUSTED_PROXIES", "10.0.0.0/8,127.0.0.1")],
    );
    let a = call(&server.addr, "GET", "/healthz", &[], None);
    assert_eq!(
        a.header("strict-transport-security").as_deref(),
        Some("max-age=31536000")
    );
    let body = serde_json::json!({"username": "ops", "password": PASSWORD}).to_string();
    let a = call(
        &server.addr,
        "POST",
        "/api/v1/session",
        &["X-Forwarded-For: 203.0.113.4".to_string()],
        Some(&body),
    );
    assert_eq!(a.status, 200, "{}", a.body);
    assert!(a.header("set-cookie").unwrap().contains("Secure"));
    assert_eq!(
        db.count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'login' AND client_addr = '203.0.113.4'"
        ),
        1
    );
    let bearer = [format!("Authorization: Bearer {token}")];
    assert_eq!(
        call(&server.addr, "GET", "/api/v1/session", &bearer, None).status,
        200
    );

    // A reset from the command line revokes the token at once.
    let o = db.run(
        &["user", "reset-password", "ops", "--password-stdin"],
        &format!("{PASSWORD}-2\n"),
    );
    assert_eq!(o.code, Some(0), "{o:?}");
    assert!(o.stdout.contains("revoked"), "{o:?}");
    assert_eq!(
        call(&server.addr, "GET", "/api/v1/session", &bearer, None).status,
        401
    );
    drop(server);

    // The same from the TOML file.
    let config = db.dir.join("wangge.toml");
    std::fs::write(
        &config,
        "public_url = \"https://wangge.example.cn\"\ntrusted_proxies = [\"127.0.0.1\"]\ntoken_days = 30\n",
    )
    .unwrap();
    let config = config.to_string_lossy().into_owned();
    let server = serve_with(&db, &["--config", &config], &[]);
    let a = call(&server.addr, "GET", "/open311/v2/discovery.json", &[], None);
    assert!(
        a.body.contains("https://wangge.example.cn/open311/v2"),
        "{}",
        a.body
    );
    drop(server);

    // A proxy that is not an address stops the start, saying why.
    let o = db.run(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--trusted-proxy",
            "nginx",
        ],
        "",
    );
    assert_eq!(o.code, Some(1), "{o:?}");
    assert!(o.stderr.contains("not an IP address"), "{o:?}");
}

/// Open311's settings are read by the binary, like every other setting: from a
/// variable, the TOML file or a flag (the flag wins), never by the server library.
#[test]
fn open311_settings_come_from_variables_the_toml_file_and_flags() {
    let db = TestDb::sqlite("open311-settings");
    db.ok(&["migrate"]);
    let post = |addr: &str| {
        call_bytes(
            addr,
            "POST",
            "/open311/v2/requests.json",
            &[],
            "application/x-www-form-urlencoded",
            b"lat=35.25&long=115.45&description=x",
        )
    };
    let contact = "菏泽开发区指挥中心 0530-5310000";
    let envs = [
        ("WANGGE_OPEN311_ANONYMOUS", "off"),
        ("WANGGE_OPEN311_CONTACT", contact),
    ];
    let server = serve_with(&db, &[], &envs);
    let a = call(&server.addr, "GET", "/open311/v2/discovery.json", &[], None);
    assert!(a.body.contains(contact), "{}", a.body);
    let a = post(&server.addr);
    assert_eq!(a.status, 403, "{}", a.body);
    assert!(a.body.contains("api_key"), "{}", a.body);
    drop(server);

    // The flag wins over the variable: anonymous posts are taken again (and
    // this one fails later, for its missing service_code).
    let server = serve_with(&db, &["--open311-anonymous", "true"], &envs);
    let a = post(&server.addr);
    assert_eq!(a.status, 400, "{}", a.body);
    assert!(a.body.contains("service_code"), "{}", a.body);
    drop(server);

    let config = db.dir.join("open311.toml");
    std::fs::write(
        &config,
        "open311_anonymous = false\nopen311_contact = \"丹阳街道办事处\"\n",
    )
    .unwrap();
    let config = config.to_string_lossy().into_owned();
    let server = serve_with(&db, &["--config", &config], &[]);
    let a = call(&server.addr, "GET", "/open311/v2/discovery.json", &[], None);
    assert!(a.body.contains("丹阳街道办事处"), "{}", a.body);
    assert_eq!(post(&server.addr).status, 403);
    drop(server);

    let o = db.run(
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--open311-anonymous",
            "maybe",
        ],
        "",
    );
    assert_eq!(o.code, Some(2), "{o:?}");
    assert!(o.stderr.contains("open311-anonymous"), "{o:?}");
}
