//! The `wangge` binary as an operator uses it on SQLite: help, migrate, backup,
//! serve and graceful shutdown, settings, import and export.

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

#[test]
fn every_subcommand_has_help() {
    for sub in ["serve", "migrate", "demo", "backup"] {
        let out = bin().args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub} --help failed");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("--database-url"), "{sub} --help: {text}");
    }
    let out = bin().arg("--help").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in ["serve", "migrate", "demo", "backup"] {
        assert!(text.contains(sub));
    }
}

#[test]
fn migrate_creates_the_schema_and_refuses_a_newer_database() {
    let dir = temp_dir("migrate");
    let out = bin()
        .args(["migrate", "--database-url", &db_url(&dir)])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bin()
        .args(["migrate", "--database-url", &db_url(&dir)])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));

    let conn = rusqlite::Connection::open(dir.join("w.db")).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations VALUES (999, 'future', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let out = bin()
        .args(["migrate", "--database-url", &db_url(&dir)])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("newer than this binary"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn settings_come_from_file_env_and_flags_in_that_order() {
    let dir = temp_dir("settings");
    let cfg = dir.join("wangge.toml");
    std::fs::write(
        &cfg,
        format!(
            "listen = \"127.0.0.1:1\"\ndatabase_url = \"{}\"\n",
            db_url(&dir)
        ),
    )
    .unwrap();
    // The file says port 1 (unusable); the environment overrides it with port 0.
    let s = start(
        &["serve", "--config", cfg.to_str().unwrap()],
        &[("WANGGE_LISTEN", "127.0.0.1:0")],
    );
    assert!(get(&s.addr, "/readyz").starts_with("HTTP/1.1 200"));
    drop(s);
    // A flag beats the environment.
    let s = start(
        &[
            "serve",
            "--config",
            cfg.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
        ],
        &[("WANGGE_LISTEN", "127.0.0.1:1")],
    );
    assert!(get(&s.addr, "/healthz").starts_with("HTTP/1.1 200"));
    drop(s);
    assert!(
        dir.join("w.db").exists(),
        "the file's database_url was used"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_lets_a_request_in_flight_finish() {
    let dir = temp_dir("shutdown");
    let url = db_url(&dir);
    let token = admin_token(&url);
    let mut s = start(
        &["serve", "--database-url", &url, "--listen", "127.0.0.1:0"],
        &[],
    );
    // Send the headers of a POST but hold back its body, so the request is in flight.
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = r#"{"kind":"zone","name":"菏泽开发区","code":"371799"}"#;
    write!(
        stream,
        "POST /api/v1/units HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(body.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let status = s.child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn backup_copies_a_database_in_use_and_names_the_key_file() {
    let dir = temp_dir("backup");
    let url = db_url(&dir);
    let token = admin_token(&url);
    let s = start(
        &["serve", "--database-url", &url, "--listen", "127.0.0.1:0"],
        &[],
    );
    let body = r#"{"kind":"zone","name":"菏泽开发区","code":"371799"}"#;
    let answer = http(
        &s.addr,
        &format!(
            "POST /api/v1/units HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    );
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    let out_file = dir.join("copy.db");
    let out = bin()
        .args([
            "backup",
            "--database-url",
            &url,
            "--out",
            out_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("w.db.key"));
    let copy = rusqlite::Connection::open(&out_file).unwrap();
    let name: String = copy
        .query_row("SELECT name FROM units WHERE code = '371799'", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(name, "菏泽开发区");
    // A second backup to the same file is refused rather than overwriting it.
    let again = bin()
        .args([
            "backup",
            "--database-url",
            &url,
            "--out",
            out_file.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_database_without_its_key_file_is_refused() {
    let dir = temp_dir("nokey");
    let url = db_url(&dir);
    let out = bin()
        .args([
            "demo",
            "--database-url",
            &url,
            "--people",
            "20",
            "--no-serve",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        printed.contains("admin") && printed.contains("zone_admin"),
        "demo accounts: {printed}"
    );
    std::fs::remove_file(dir.join("w.db.key")).unwrap();
    let out = bin()
        .args(["demo", "--database-url", &url, "--no-serve"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("key file"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn import_export_and_template_from_the_command_line() {
    let dir = temp_dir("transfer");
    let url = db_url(&dir);
    assert!(run(&["migrate", "--database-url", &url]).0);
    let file = |name: &str| dir.join(name).display().to_string();

    let (ok, out, err) = run(&["template", "people", "--out", &file("tpl.xlsx")]);
    assert!(ok, "{err}");
    assert!(out.contains("people"));
    assert!(std::fs::read(dir.join("tpl.xlsx"))
        .unwrap()
        .starts_with(b"PK"));

    // The org tree itself comes in by import: parents named by the rows above.
    std::fs::write(
        dir.join("units.csv"),
        "单元代码,单元名称,单元类型,上级单元\n\
         371799,菏泽开发区,区,\n\
         ,丹阳街道,街道,菏泽开发区\n\
         ,广州路社区,社区,丹阳街道\n\
         ,华英小区,小区,广州路社区\n\
         ,1号楼,楼栋,华英小区\n",
    )
    .unwrap();
    let (ok, out, err) = run(&[
        "import",
        "units",
        &file("units.csv"),
        "--database-url",
        &url,
    ]);
    assert!(ok, "{out}{err}");
    assert!(out.contains("新增 created 5"), "{out}");

    let good = valid_id("19800101", 11);
    let csv = format!(
        "姓名,身份证号,所属社区,所属小区,楼栋\n王五,{good},广州路社区,华英小区,1号楼\n李娜,3.71799E+17,广州路社区,华英小区,1号楼\n"
    );
    std::fs::write(dir.join("people.csv"), csv).unwrap();
    let (ok, out, _) = run(&[
        "import",
        "people",
        &file("people.csv"),
        "--database-url",
        &url,
    ]);
    assert!(
        !ok,
        "rows were rejected and nothing imported: the exit status says so"
    );
    assert!(
        out.contains("未导入任何数据") && out.contains("nothing was imported"),
        "{out}"
    );
    assert!(out.contains("第3行") && out.contains("B 身份证号"), "{out}");
    assert!(dir.join("people-errors.xlsx").exists(), "{out}");

    let (ok, out, err) = run(&[
        "import",
        "people",
        &file("people.csv"),
        "--skip-invalid",
        "--report",
        &file("report.xlsx"),
        "--database-url",
        &url,
    ]);
    assert!(ok, "{out}{err}");
    assert!(
        out.contains("新增 created 1") && out.contains("拒绝 rejected 1"),
        "{out}"
    );
    assert!(dir.join("report.xlsx").exists());
    let (ok, out, _) = run(&[
        "import",
        "people",
        &file("people.csv"),
        "--skip-invalid",
        "--database-url",
        &url,
    ]);
    assert!(ok);
    assert!(
        out.contains("新增 created 0") && out.contains("未变 unchanged 1"),
        "{out}"
    );

    let (ok, out, err) = run(&[
        "export",
        "people",
        "--out",
        &file("p.xlsx"),
        "--database-url",
        &url,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("已导出 1 行"), "{out}");
    assert!(std::fs::read(dir.join("p.xlsx"))
        .unwrap()
        .starts_with(b"PK"));
    let (ok, _, err) = run(&[
        "export",
        "people",
        "--out",
        &file("p.pdf"),
        "--database-url",
        &url,
    ]);
    assert!(!ok && err.contains(".xlsx"), "{err}");
    let (ok, out, err) = run(&[
        "export",
        "people",
        "--out",
        &file("full.csv"),
        "--unmask",
        "--reason",
        "核对",
        "--database-url",
        &url,
    ]);
    assert!(ok, "{err}");
    assert!(out.contains("audited"), "{out}");
    assert!(std::fs::read_to_string(dir.join("full.csv"))
        .unwrap()
        .contains(&good));

    std::fs::write(dir.join("empty.csv"), "").unwrap();
    let (ok, _, err) = run(&[
        "import",
        "people",
        &file("empty.csv"),
        "--database-url",
        &url,
    ]);
    assert!(!ok && err.contains("文件是空的"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_calendar_file_extends_the_years_and_a_bad_one_stops_the_start() {
    let dir = temp_dir("calendar");
    let url = db_url(&dir);
    let bad = dir.join("bad.txt");
    std::fs::write(
        &bad,
        "year 2027 https://www.gov.cn/x\nholiday spring_festival 2027-02-30\n",
    )
    .unwrap();
    let out = bin()
        .args([
            "serve",
            "--database-url",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--calendar-file",
            bad.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("calendar file") && err.contains('2'),
        "names the file and the line: {err}"
    );

    let good = dir.join("good.txt");
    std::fs::write(
        &good,
        "year 2027 https://www.gov.cn/x\nholiday new_year 2027-01-01\nholiday spring_festival 2027-02-05..2027-02-11\nworkday spring_festival 2027-02-14\n",
    )
    .unwrap();
    let s = start(
        &[
            "serve",
            "--database-url",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--calendar-file",
            good.to_str().unwrap(),
        ],
        &[],
    );
    assert!(get(&s.addr, "/readyz").starts_with("HTTP/1.1 200"));
    drop(s);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn plan_targets_accounts_and_categories_export_from_the_command_line() {
    let dir = temp_dir("admin-exports");
    let url = db_url(&dir);
    assert!(run(&["migrate", "--database-url", &url]).0);
    let file = |name: &str| dir.join(name).display().to_string();
    let export = |args: &[&str]| {
        let mut all = vec!["export"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--database-url", &url]);
        run(&all)
    };

    let (ok, out, err) = export(&["accounts", "--out", &file("a.xlsx")]);
    assert!(ok, "{err}");
    assert!(out.contains("已导出"), "{out}");
    assert!(std::fs::read(dir.join("a.xlsx"))
        .unwrap()
        .starts_with(b"PK"));
    let (ok, _, err) = export(&["categories", "--out", &file("c.csv")]);
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(dir.join("c.csv")).unwrap();
    assert!(text.starts_with("\u{feff}分类代码,大类,小类"), "{text}");

    // A plan's targets need the plan, and only they take one.
    let (ok, _, err) = export(&["plan-targets", "--out", &file("t.xlsx")]);
    assert!(!ok && err.contains("--plan"), "{err}");
    let (ok, _, err) = export(&["accounts", "--plan", "1", "--out", &file("x.xlsx")]);
    assert!(!ok && err.contains("--plan"), "{err}");
    let (ok, _, err) = export(&["categories", "--unit", "371799", "--out", &file("x.xlsx")]);
    assert!(!ok && err.contains("--unit"), "{err}");
    let (ok, _, _) = export(&["plan-targets", "--plan", "999", "--out", &file("t.xlsx")]);
    assert!(!ok);
    assert!(!dir.join("t.xlsx").exists() && !dir.join("x.xlsx").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigterm_cuts_a_request_that_never_finishes_after_the_grace() {
    let dir = temp_dir("grace");
    let url = db_url(&dir);
    assert!(run(&["migrate", "--database-url", &url]).0);
    let mut s = start(
        &[
            "serve",
            "--database-url",
            &url,
            "--listen",
            "127.0.0.1:0",
            "--shutdown-grace",
            "1",
        ],
        &[],
    );
    // A client that sends half its headers and then nothing.
    let mut stream = TcpStream::connect(&s.addr).unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let asked = std::time::Instant::now();
    let pid = s.child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = asked + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = s.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still running 20 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = asked.elapsed();
    assert!(status.success(), "exit status {status}");
    assert!(
        took >= Duration::from_millis(900),
        "the grace was given: {took:?}"
    );
    assert!(
        took < Duration::from_secs(6),
        "stopped soon after the 1 s grace: {took:?}"
    );
    drop(stream);
    let _ = std::fs::remove_dir_all(&dir);
}
