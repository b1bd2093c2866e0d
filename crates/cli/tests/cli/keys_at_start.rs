//! What a start checks of the key file, and what lies on disk: a key file
//! with the right lookup secret but another encryption key, or one others can
//! read, is refused before anything is written; uploads, the database and
//! backups are private.

use crate::common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const DEMO_PASSWORD: &str = "Wangge-demo-2026";

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Refused with exit code 1, in both languages, without a panic.
fn refused(o: &Outcome, words: &[&str], what: &str) {
    assert_eq!(o.code, Some(1), "{what}: {o:?}");
    assert!(o.stderr.contains("错误 / error"), "{what}: {}", o.stderr);
    for w in words {
        assert!(
            o.stderr.contains(w),
            "{what}: expected {w:?} in {}",
            o.stderr
        );
    }
    assert!(!o.stderr.contains("panicked"), "{what}: {}", o.stderr);
    assert!(!o.stdout.contains("http://"), "{what}: it never served");
}

/// Runs `wangge ARGS` on `db`, stopping it after a minute: a start that was
/// wrongly accepted then fails the test instead of serving for ever.
fn run_briefly(db: &TestDb, args: &[&str]) -> Outcome {
    use std::io::Read;
    let mut child = bin()
        .args(args)
        .args(db.args())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let status = child.wait().unwrap();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    Outcome {
        code: status.code(),
        stdout,
        stderr,
    }
}

/// Rows a refused start must leave as they were.
fn rows(db: &TestDb) -> Vec<i64> {
    [
        "SELECT COUNT(*) FROM people",
        "SELECT COUNT(*) FROM cases",
        "SELECT COUNT(*) FROM audit_log",
        "SELECT COUNT(*) FROM key_canaries",
        "SELECT COUNT(*) FROM settings",
        "SELECT COUNT(*) FROM case_categories",
    ]
    .iter()
    .map(|q| db.count(q))
    .collect()
}

#[test]
fn a_wrong_encryption_key_is_refused_at_start_and_nothing_is_written() {
    for db in TestDb::both("canary") {
        let l = db.label();
        db.ok(&["demo", "--no-serve", "--people", "5"]);
        let right = std::fs::read_to_string(&db.key).unwrap();
        // The same lookup secret (so the fingerprint matches), another key.
        let wrong: String = right
            .lines()
            .map(|line| match line.strip_prefix("key ") {
                Some(_) => format!("key {}\n", "5a".repeat(32)),
                None => format!("{line}\n"),
            })
            .collect();
        std::fs::write(&db.key, &wrong).unwrap();
        chmod(&db.key, 0o600);
        let wrong_id = wangge_store::crypto::Keys::load_or_create(&db.key, false)
            .unwrap()
            .current_key_id();
        let before = rows(&db);
        for sub in [
            &["serve", "--listen", "127.0.0.1:0"][..],
            &["user", "list"],
            &["export", "people", "--out", "/dev/null"],
        ] {
            let o = run_briefly(&db, sub);
            refused(
                &o,
                &[
                    &wrong_id,
                    "不是本数据库的密钥",
                    "is not one of this database's keys",
                ],
                &format!("{l} {sub:?}"),
            );
        }
        assert_eq!(rows(&db), before, "{l}: nothing written");

        // The right key back: it starts and reads its data.
        std::fs::write(&db.key, &right).unwrap();
        let s = db.serve();
        let me = login(&s.addr, "admin", DEMO_PASSWORD);
        let people = call(&s.addr, "GET", "/api/v1/people", &me.headers(), None);
        assert_eq!(people.status, 200, "{l}: {}", people.body);
    }
}

#[test]
fn a_key_file_others_can_read_is_refused_at_start() {
    for db in TestDb::both("keymode") {
        let l = db.label();
        db.ok(&["demo", "--no-serve", "--people", "3"]);
        assert_eq!(mode(&db.key), 0o600, "{l}: made private");
        let before = rows(&db);
        let fix = format!("chmod 600 {}", db.key.display());
        for wide in [0o644, 0o640] {
            chmod(&db.key, wide);
            for sub in [&["serve", "--listen", "127.0.0.1:0"][..], &["user", "list"]] {
                let o = run_briefly(&db, sub);
                refused(
                    &o,
                    &[&fix, "其他用户可以读取", "others can read it"],
                    &format!("{l} {wide:o} {sub:?}"),
                );
            }
        }
        assert_eq!(rows(&db), before, "{l}: nothing written");
        chmod(&db.key, 0o600);
        db.ok(&["user", "list"]);
    }
}

/// Every file under `dir`.
fn files_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn uploads_the_database_and_backups_are_private_on_disk() {
    let db = TestDb::sqlite("private");
    db.ok(&["demo", "--no-serve", "--people", "3"]);
    let s = db.serve();
    let me = login(&s.addr, "admin", DEMO_PASSWORD);
    let photo = upload_photo(&s.addr, &me);
    let files = db.dir.join("files");
    let stored = files_under(&files);
    assert_eq!(
        stored.len(),
        3,
        "original, display copy, thumbnail: {stored:?}"
    );
    for f in &stored {
        assert_eq!(mode(f), 0o600, "{}", f.display());
        assert_eq!(mode(f.parent().unwrap()), 0o700, "{}", f.display());
        let bytes = std::fs::read(f).unwrap();
        assert!(
            !bytes.starts_with(b"\x89PNG") && !bytes.starts_with(&[0xFF, 0xD8]),
            "in clear: {}",
            f.display()
        );
    }
    assert_eq!(mode(&files), 0o700);
    for f in ["w.db", "w.db-wal", "w.db-shm"] {
        assert_eq!(mode(&db.dir.join(f)), 0o600, "{f}");
    }
    drop(s);

    // A rotation re-seals the files; dropping the old key loses none.
    let dir = files.to_str().unwrap();
    let out = db.ok(&["keys", "rotate", "--drop-old", "--files-dir", dir]);
    assert!(out.contains("3 个附件文件已重新加密"), "{out}");
    let s = db.serve();
    let me = login(&s.addr, "admin", DEMO_PASSWORD);
    let got = call_bytes(
        &s.addr,
        "GET",
        &format!("/api/v1/attachments/{photo}/content"),
        &me.headers(),
        "",
        &[],
    );
    assert_eq!(got.status, 200, "served after the rotation: {}", got.body);
    drop(s);

    let copy = db.dir.join("b.backup");
    db.ok(&[
        "backup",
        "--out",
        copy.to_str().unwrap(),
        "--files-dir",
        dir,
    ]);
    assert_eq!(mode(&copy), 0o600);
    let copied = wangge_store::db::files_beside(&copy);
    assert_eq!(mode(&copied), 0o700);
    for f in files_under(&copied) {
        assert_eq!(mode(&f), 0o600, "{}", f.display());
    }
}
