//! Every subcommand on both backends, as an operator runs them, and the errors
//! an operator meets with a wrong database or key file.

use crate::common::*;

const PASSWORD: &str = "Wangge-zone-2026";

#[test]
fn every_subcommand_works_on_both_backends() {
    for db in TestDb::both("every") {
        let l = db.label();
        let out = db.ok(&["migrate"]);
        assert!(out.contains("applied migrations"), "{l}: {out}");
        assert!(db.ok(&["migrate"]).contains("up to date"), "{l}");

        let out = db.ok(&["demo", "--no-serve", "--people", "30"]);
        assert!(
            out.contains("admin"),
            "{l}: the demo accounts are listed: {out}"
        );
        // The grid worker whose patrol the demo holds can log in too.
        assert!(out.contains("wanggeyuan"), "{l}: {out}");
        let people = db.count("SELECT COUNT(*) FROM people");
        assert!(people >= 30, "{l}: {people} people");

        // Accounts.
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
        assert!(db.ok(&["user", "list"]).contains("ops"), "{l}");
        db.ok(&["user", "disable", "ops"]);
        assert_eq!(
            db.count("SELECT COUNT(*) FROM users WHERE username = 'ops' AND disabled <> 0"),
            1,
            "{l}"
        );
        db.ok(&["user", "enable", "ops"]);
        // The last active zone administrator cannot be disabled.
        db.ok(&["user", "disable", "admin"]);
        let o = db.run(&["user", "disable", "ops"], "");
        assert_eq!(o.code, Some(1), "{l}: {o:?}");
        assert!(
            o.stderr.contains("last active zone administrator"),
            "{l}: {}",
            o.stderr
        );
        assert_eq!(
            db.count("SELECT COUNT(*) FROM users WHERE username = 'ops' AND disabled = 0"),
            1,
            "{l}"
        );
        db.ok(&["user", "enable", "admin"]);
        let o = db.run(
            &["user", "reset-password", "ops", "--password-stdin"],
            &format!("{PASSWORD}-2\n"),
        );
        assert_eq!(o.code, Some(0), "{l}: {o:?}");

        // Tokens.
        let token = db.ok(&["token", "create", "ops"]).trim().to_string();
        assert!(token.starts_with("wg_"), "{l}: {token}");
        let listed = db.ok(&["token", "list", "ops"]);
        let id = listed
            .lines()
            .find_map(|line| line.split_whitespace().next()?.parse::<i64>().ok())
            .unwrap_or_else(|| panic!("{l}: no token id in {listed}"));

        // The audit chain and the keys.
        assert!(db.ok(&["audit", "verify"]).contains("intact"), "{l}");
        // Its own attachments folder: the default for PostgreSQL is
        // ./wangge-files, which a rotation would re-seal.
        let files = db.dir.join("files");
        let out = db.ok(&["keys", "rotate", "--files-dir", files.to_str().unwrap()]);
        assert!(out.contains("rows re-encrypted"), "{l}: {out}");

        // Import, export and templates.
        let csv = db.dir.join("people.csv");
        std::fs::write(
            &csv,
            format!(
                "姓名,身份证号,单元代码\n张三,{},{DEMO_UNIT}\n",
                valid_id("19500101", 901)
            ),
        )
        .unwrap();
        let before = db.count("SELECT COUNT(*) FROM people");
        let o = db.run(&["import", "people", csv.to_str().unwrap()], "");
        assert_eq!(o.code, Some(0), "{l}: {o:?}");
        assert_eq!(db.count("SELECT COUNT(*) FROM people"), before + 1, "{l}");
        for (kind, file) in [
            ("people", "p.xlsx"),
            ("cases", "c.csv"),
            ("units", "u.xlsx"),
        ] {
            let out = db.dir.join(file);
            db.ok(&["export", kind, "--out", out.to_str().unwrap()]);
            assert!(std::fs::metadata(&out).unwrap().len() > 0, "{l}: {kind}");
        }
        // A declared registry, found by its Chinese name, with its own filter.
        let sites = db.dir.join("sites.csv");
        let out = db.ok(&[
            "export",
            "建筑工地",
            "--status",
            "active",
            "--out",
            sites.to_str().unwrap(),
        ]);
        let text = std::fs::read_to_string(&sites).unwrap();
        let rows = db.count("SELECT COUNT(*) FROM construction_sites WHERE status = 'active'");
        assert!(rows > 0, "{l}: the demo has active sites");
        assert_eq!(text.lines().count() as i64, rows + 1, "{l}: {text}");
        assert!(
            text.lines()
                .skip(1)
                .all(|r| r.trim_end().ends_with(",在建")),
            "{l}: {text}"
        );
        assert!(out.contains(&format!("已导出 {rows} 行")), "{l}: {out}");
        let bad = db.dir.join("bad.csv");
        let o = db.run(
            &[
                "export",
                "sites",
                "--status",
                "in_use",
                "--out",
                bad.to_str().unwrap(),
            ],
            "",
        );
        assert_eq!(o.code, Some(1), "{l}: {o:?}");
        assert!(
            o.stderr.contains("in_use") && o.stderr.contains("筛选条件无效"),
            "{l}: {o:?}"
        );
        assert!(!bad.exists(), "{l}: nothing written");
        // Organisations are a declared registry too: found by their Chinese
        // name, `--filter-kind` is the list's kind filter.
        let orgs = db.dir.join("orgs.csv");
        db.ok(&[
            "export",
            "组织",
            "--filter-kind",
            "party_committee",
            "--out",
            orgs.to_str().unwrap(),
        ]);
        let text = std::fs::read_to_string(&orgs).unwrap();
        let rows = db.count("SELECT COUNT(*) FROM organisations WHERE kind = 'party_committee'");
        assert!(rows > 0, "{l}: the demo has party committees");
        assert_eq!(text.lines().count() as i64, rows + 1, "{l}: {text}");
        assert!(
            text.lines()
                .skip(1)
                .all(|r| r.split(',').nth(1) == Some("党委")),
            "{l}: {text}"
        );
        let template = db.dir.join("t.xlsx");
        let (ok, _, err) = run(&["template", "people", "--out", template.to_str().unwrap()]);
        assert!(ok, "{l}: {err}");
        assert!(template.exists(), "{l}");

        // Backup: a SQLite file, or a pg_dump archive.
        let copy = db.dir.join("backup.copy");
        let out = db.ok(&["backup", "--out", copy.to_str().unwrap()]);
        assert!(out.contains("backup written"), "{l}: {out}");
        let head = std::fs::read(&copy).unwrap();
        let magic: &[u8] = if db.is_postgres() {
            b"PGDMP"
        } else {
            b"SQLite format 3"
        };
        assert!(
            head.starts_with(magic),
            "{l}: the backup is not a {magic:?} file"
        );
        assert!(!db.dir.join("backup.copy.partial").exists(), "{l}");
        let again = db.run(&["backup", "--out", copy.to_str().unwrap()], "");
        assert_eq!(
            again.code,
            Some(1),
            "{l}: an existing file is refused: {again:?}"
        );

        // The server: log in over HTTP, report a case, read it back.
        let s = db.serve();
        assert_eq!(
            call(&s.addr, "GET", "/readyz", &[], None).status,
            200,
            "{l}"
        );
        let me = login(&s.addr, "ops", &format!("{PASSWORD}-2"));
        let a = call(
            &s.addr,
            "POST",
            "/api/v1/cases",
            &me.headers(),
            Some(&report_body("小区门口路灯不亮")),
        );
        assert_eq!(a.status, 201, "{l}: {}", a.body);
        let case = a.json()["case"].clone();
        let number = case["tracking_no"].as_str().unwrap().to_string();
        let path = format!("/api/v1/cases/{}", case["id"]);
        let got = call(&s.addr, "GET", &path, &me.headers(), None);
        assert_eq!(got.status, 200, "{l}: {}", got.body);
        assert_eq!(
            got.json()["tracking_no"].as_str(),
            Some(number.as_str()),
            "{l}"
        );
        // A token made by the CLI is accepted by the server, and revoked by it.
        let bearer = vec![format!("Authorization: Bearer {token}")];
        assert_eq!(
            call(&s.addr, "GET", "/api/v1/session", &bearer, None).status,
            200,
            "{l}"
        );
        db.ok(&["token", "revoke", &id.to_string()]);
        assert_eq!(
            call(&s.addr, "GET", "/api/v1/session", &bearer, None).status,
            401,
            "{l}"
        );
        drop(s);
        assert!(db.ok(&["audit", "verify"]).contains("intact"), "{l}");
    }
}

/// Asserts a command failed with exit code 1, a message in both languages
/// containing `words`, and no panic.
fn refused(o: &Outcome, words: &str, what: &str) {
    assert_eq!(o.code, Some(1), "{what}: {o:?}");
    assert!(o.stderr.contains("错误 / error"), "{what}: {}", o.stderr);
    assert!(
        o.stderr.contains(words),
        "{what}: expected {words:?} in {}",
        o.stderr
    );
    assert!(!o.stderr.contains("panicked"), "{what}: {}", o.stderr);
}

#[test]
fn wrong_databases_and_key_files_are_refused_clearly() {
    let Some(pg) = TestDb::postgres("wrong") else {
        return;
    };
    let server = pg.url[..pg.url.rfind('/').unwrap()].to_string();
    for (url, words) in [
        (format!("{server}/wangge_no_such_db"), "does not exist"),
        (
            "postgres://postgres@127.0.0.1:1/test".to_string(),
            "cannot connect to the database",
        ),
        (
            "postgres://nosuchrole@127.0.0.1/test".to_string(),
            "nosuchrole",
        ),
    ] {
        for sub in [
            &["migrate"][..],
            &["user", "list"],
            &["audit", "verify"],
            &["serve", "--listen", "127.0.0.1:0"],
        ] {
            let mut command = bin();
            command.args(sub).args(["--database-url", &url]);
            let o = outcome(command, "");
            refused(&o, words, &format!("{sub:?} on {url}"));
            assert!(
                o.stderr.contains("无法"),
                "{sub:?}: Chinese first: {}",
                o.stderr
            );
        }
    }

    for db in TestDb::both("wrongkey") {
        let l = db.label();
        db.ok(&["demo", "--no-serve", "--people", "5"]);
        // Another database's key file: refused before serving.
        let other = TestDb::sqlite("otherkey");
        other.ok(&["migrate"]);
        other.ok(&["user", "list"]);
        let mut command = bin();
        command
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                &db.url,
                "--key-file",
            ])
            .arg(&other.key);
        let o = outcome(command, "");
        refused(&o, "does not belong to this database", l);
        assert!(!o.stdout.contains("http://"), "{l}: it never served");
        // No key file at all.
        let missing = db.dir.join("missing.key");
        let o = bin()
            .args(["user", "list", "--database-url", &db.url, "--key-file"])
            .arg(&missing)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{l}");
        assert!(
            String::from_utf8_lossy(&o.stderr).contains("key file"),
            "{l}"
        );
        assert!(
            !missing.exists(),
            "{l}: a missing key file is not made anew for a database with data"
        );

        // A database a newer Wangge migrated: every command names both versions.
        db.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0)");
        for sub in [
            &["migrate"][..],
            &["serve", "--listen", "127.0.0.1:0"],
            &["user", "list"],
        ] {
            let o = db.run(sub, "");
            refused(&o, "schema version 999", &format!("{l} {sub:?}"));
            assert!(o.stderr.contains("高于本程序"), "{l}: {}", o.stderr);
        }
        assert_eq!(
            db.count("SELECT MAX(version) FROM schema_migrations"),
            999,
            "{l}: untouched"
        );
    }
}

#[test]
fn commands_that_need_a_database_do_not_make_one_at_a_mistyped_path() {
    let dir = temp_dir("typo");
    let url = format!("sqlite:{}", dir.join("typo/bakup.db").display());
    for sub in [
        &["audit", "verify"][..],
        &["user", "list"],
        &["token", "list"],
        &["export", "people", "--out", "x.xlsx"],
    ] {
        let o = bin()
            .args(sub)
            .args(["--database-url", &url])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{sub:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("there is no database at") && err.contains("不存在"),
            "{sub:?}: {err}"
        );
    }
    assert!(!dir.join("typo").exists(), "nothing was created");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_backup_restores_into_a_new_database_with_its_attachments() {
    const DEMO_PASSWORD: &str = "Wangge-demo-2026";
    for db in TestDb::both("restore") {
        let l = db.label();
        db.ok(&["demo", "--no-serve", "--people", "8"]);
        let s = db.serve();
        let me = login(&s.addr, "admin", DEMO_PASSWORD);
        let photo = upload_photo(&s.addr, &me);
        drop(s);
        let copy = db.dir.join("b.backup");
        let files = db.dir.join("files");
        let out = db.ok(&[
            "backup",
            "--out",
            copy.to_str().unwrap(),
            "--files-dir",
            files.to_str().unwrap(),
        ]);
        assert!(out.contains("backup written"), "{l}: {out}");
        assert!(
            wangge_store::db::files_beside(&copy).is_dir(),
            "{l}: the attachments are beside the copy: {out} {:?}",
            std::fs::read_dir(&db.dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect::<Vec<_>>()
        );

        // Into a new database (a file that does not exist, or an empty
        // PostgreSQL database), with the backed-up database's key file.
        let target = if db.is_postgres() {
            TestDb::postgres("restored").unwrap()
        } else {
            TestDb::sqlite("restored")
        };
        let restore = |t: &TestDb| {
            let into = t.dir.join("files");
            t.run(
                &[
                    "restore",
                    "--from",
                    copy.to_str().unwrap(),
                    "--files-dir",
                    into.to_str().unwrap(),
                ],
                "",
            )
        };
        let o = restore(&target);
        assert_eq!(o.code, Some(0), "{l}: {o:?}");
        assert!(o.stdout.contains("restored"), "{l}: {o:?}");
        std::fs::copy(&db.key, &target.key).unwrap();
        assert_eq!(
            target.count("SELECT COUNT(*) FROM people"),
            db.count("SELECT COUNT(*) FROM people"),
            "{l}"
        );
        assert!(target.ok(&["audit", "verify"]).contains("intact"), "{l}");
        let s = target.serve();
        let me = login(&s.addr, "admin", DEMO_PASSWORD);
        let got = call_bytes(
            &s.addr,
            "GET",
            &format!("/api/v1/attachments/{photo}/content"),
            &me.headers(),
            "",
            &[],
        );
        assert_eq!(
            got.status, 200,
            "{l}: the restored photo is served: {}",
            got.body
        );
        drop(s);

        // A second restore onto it is refused, and changes nothing.
        let people = target.count("SELECT COUNT(*) FROM people");
        let again = restore(&target);
        assert_eq!(again.code, Some(1), "{l}: {again:?}");
        assert!(
            again.stderr.contains("错误 / error") && again.stderr.contains("cannot restore"),
            "{l}: {}",
            again.stderr
        );
        assert_eq!(target.count("SELECT COUNT(*) FROM people"), people, "{l}");
        // A backup of the other kind of database is refused before anything is written.
        let other = TestDb::sqlite("restore-other");
        if db.is_postgres() {
            let o = other.run(&["restore", "--from", copy.to_str().unwrap()], "");
            assert_eq!(o.code, Some(1), "{o:?}");
            assert!(
                o.stderr.contains("not a backup for this kind of database"),
                "{}",
                o.stderr
            );
            assert!(!other.dir.join("w.db").exists());
        }
    }
}
