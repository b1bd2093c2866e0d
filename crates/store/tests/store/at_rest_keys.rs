//! The key file at start: checked against the database's key canaries (a key
//! file with the right lookup secret and another encryption key is refused
//! before it seals anything), refused when others can read it; and the
//! database files (and backups) kept 0600.

use crate::at_rest::{open_err, write_key};
use crate::common::*;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use wangge_store::crypto::{self, Keys};
use wangge_store::people;
use wangge_store::{params, Db, Error, Store, StoreOptions};
use wangge_testkit::{temp_options, TempOptions, BACKENDS};

/// Opens a new store, with one unit and one person, and closes it.
fn seed(t: &TempOptions, id: &str) {
    let store = Store::open(&t.opts).unwrap();
    let ctx = store.ctx("tester", wangge_store::Scope::All, NOW);
    let rt = runtime();
    let new = new_person("张伟", id, ZONE);
    rt.block_on(async {
        let c2 = ctx.clone();
        store
            .db
            .write(move |c| {
                wangge_store::units::create(
                    c,
                    &c2,
                    wangge_store::units::NewUnit {
                        kind: wangge_core::units::UnitKind::Zone,
                        name: "区".into(),
                        parent: None,
                        code: Some(ZONE.into()),
                    },
                )
            })
            .await
            .unwrap();
        store
            .db
            .write(move |c| people::create(c, &ctx, new))
            .await
            .unwrap();
    });
}

fn count(opts: &StoreOptions, sql: &str) -> i64 {
    Db::exclusive(&opts.db, |c| c.query_one(sql, &[])?.get(0)).unwrap()
}

fn execute(opts: &StoreOptions, sql: &str) {
    Db::exclusive(&opts.db, |c| c.batch(sql)).unwrap();
}

/// What a refused start must leave as it was.
fn written(opts: &StoreOptions) -> (i64, i64, i64, i64) {
    (
        count(opts, "SELECT COUNT(*) FROM people"),
        count(opts, "SELECT COUNT(*) FROM audit_log"),
        count(opts, "SELECT COUNT(*) FROM key_canaries"),
        count(opts, "SELECT COUNT(*) FROM settings"),
    )
}

/// The key file's text with its encryption key changed and its lookup
/// secret kept.
fn other_key(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix("key ") {
            Some(_) => format!("key {}", "cd".repeat(32)),
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn key_error(e: Error) -> String {
    match e {
        Error::Key(m) => m,
        other => panic!("expected a key error, got {other:?}"),
    }
}

fn opens_and_reads(opts: &StoreOptions, id: &str) {
    let store = Store::open(opts).unwrap();
    let ctx = store.ctx("tester", wangge_store::Scope::All, NOW);
    let id = id.to_string();
    let found = runtime()
        .block_on(
            store
                .db
                .read(move |c| people::find_by_id_number(c, &ctx, &id)),
        )
        .unwrap();
    assert_eq!(found.name, "张伟");
}

#[test]
fn a_wrong_encryption_key_with_the_right_lookup_secret_is_refused() {
    for backend in BACKENDS {
        let Some(t) = temp_options(backend) else {
            continue;
        };
        let _cleanup = Cleanup::new(&t);
        let id = id_number("19800101", 271);
        seed(&t, &id);
        let path = t.opts.key_path();
        let right = std::fs::read_to_string(&path).unwrap();
        assert_eq!(count(&t.opts, "SELECT COUNT(*) FROM key_canaries"), 1);

        write_key(&path, &other_key(&right));
        let wrong_id = Keys::load_or_create(&path, false).unwrap().current_key_id();
        let before = written(&t.opts);
        let m = key_error(open_err(&t.opts));
        assert!(m.contains(&wrong_id), "{backend:?}: names the key: {m}");
        assert!(m.contains("不是本数据库的密钥"), "{m}");
        assert!(m.contains("is not one of this database's keys"), "{m}");
        assert_eq!(written(&t.opts), before, "{backend:?}: nothing written");

        // The right key back: everything reads.
        write_key(&path, &right);
        opens_and_reads(&t.opts, &id);

        // A key the database has a canary for, missing from the file.
        execute(
            &t.opts,
            "INSERT INTO key_canaries (key_id, sealed, created_at) \
             SELECT '0011223344556677', sealed, created_at FROM key_canaries",
        );
        let before = written(&t.opts);
        let m = key_error(open_err(&t.opts));
        assert!(m.contains("0011223344556677") && m.contains("lacks"), "{m}");
        assert!(m.contains("缺少"), "{m}");
        assert_eq!(written(&t.opts), before);
        execute(
            &t.opts,
            "DELETE FROM key_canaries WHERE key_id = '0011223344556677'",
        );
        opens_and_reads(&t.opts, &id);
    }
}

#[test]
fn a_database_from_before_canaries_gets_them_at_its_first_start() {
    for backend in BACKENDS {
        let Some(t) = temp_options(backend) else {
            continue;
        };
        let _cleanup = Cleanup::new(&t);
        let id = id_number("19800101", 271);
        seed(&t, &id);
        let path = t.opts.key_path();
        let right = std::fs::read_to_string(&path).unwrap();
        execute(&t.opts, "DELETE FROM key_canaries");

        // Even then a wrong key is recognised, by the values it cannot open.
        write_key(&path, &other_key(&right));
        let before = written(&t.opts);
        let m = key_error(open_err(&t.opts));
        assert!(
            m.contains("没有该密钥") && m.contains("sealed by encryption key"),
            "{m}"
        );
        assert_eq!(written(&t.opts), before, "no canary for the wrong key");

        write_key(&path, &right);
        opens_and_reads(&t.opts, &id);
        assert_eq!(count(&t.opts, "SELECT COUNT(*) FROM key_canaries"), 1);
    }
}

#[test]
fn a_rotation_stopped_before_its_canary_is_finished_at_the_next_start() {
    for backend in BACKENDS {
        let Some(t) = temp_options(backend) else {
            continue;
        };
        let _cleanup = Cleanup::new(&t);
        let id = id_number("19800101", 271);
        seed(&t, &id);
        let path = t.opts.key_path();
        // The rotation named its new key in the database, then wrote the file.
        let new = crypto::new_key().unwrap();
        let target = new.id.clone();
        Db::exclusive(&t.opts.db, |c| {
            c.execute(
                "INSERT INTO settings (name, value) VALUES ('rotation_target', $1)",
                params![target],
            )
        })
        .unwrap();
        crypto::add_key(&path, &new).unwrap();
        opens_and_reads(&t.opts, &id);
        assert_eq!(
            count(
                &t.opts,
                &format!(
                    "SELECT COUNT(*) FROM key_canaries WHERE key_id = '{}'",
                    new.id
                )
            ),
            1
        );
        // A key added by hand, which the database never named, is refused.
        let stranger = crypto::new_key().unwrap();
        crypto::add_key(&path, &stranger).unwrap();
        let m = key_error(open_err(&t.opts));
        assert!(m.contains(&stranger.id), "{m}");
    }
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn a_key_file_others_can_read_is_refused() {
    for backend in BACKENDS {
        let Some(t) = temp_options(backend) else {
            continue;
        };
        let _cleanup = Cleanup::new(&t);
        drop(Store::open(&t.opts).unwrap());
        let path = t.opts.key_path();
        assert_eq!(mode(&path), 0o600);
        for wide in [0o644, 0o640, 0o604, 0o660] {
            chmod(&path, wide);
            let m = key_error(open_err(&t.opts));
            let file = path.display().to_string();
            assert!(m.contains(&format!("chmod 600 {file}")), "{m}");
            assert!(
                m.contains("其他用户可以读取") && m.contains("others can read it"),
                "{m}"
            );
        }
        chmod(&path, 0o600);
        drop(Store::open(&t.opts).unwrap());
        chmod(&path, 0o400);
        drop(Store::open(&t.opts).unwrap());
    }
}

#[test]
fn the_database_its_wal_and_its_backups_are_private() {
    let Some(t) = temp_options(wangge_store::Backend::Sqlite) else {
        return;
    };
    let _cleanup = Cleanup::new(&t);
    let db = t.opts.db.sqlite_path().unwrap().to_string();
    let files = [db.clone(), format!("{db}-wal"), format!("{db}-shm")];
    {
        let id = id_number("19800101", 271);
        let store = Store::open(&t.opts).unwrap();
        drop(store);
        seed(&t, &id);
        let store = Store::open(&t.opts).unwrap();
        for f in &files {
            assert_eq!(mode(Path::new(f)), 0o600, "{f}");
        }
        drop(store);
    }
    // Left readable by an older version: narrowed at the next open.
    for f in &files {
        if Path::new(f).exists() {
            chmod(Path::new(f), 0o644);
        }
    }
    let store = Store::open(&t.opts).unwrap();
    for f in files.iter().filter(|f| Path::new(f).exists()) {
        assert_eq!(mode(Path::new(f)), 0o600, "{f}");
    }
    // A backup, and its attachments, are private too.
    let attachments = t.dir.join("files");
    std::fs::create_dir_all(attachments.join("ab/cd")).unwrap();
    std::fs::write(attachments.join("ab/cd/x"), b"photo").unwrap();
    chmod(&attachments.join("ab/cd/x"), 0o644);
    let out = t.dir.join("backup.db");
    wangge_store::db::backup(&t.opts.db, &out, &attachments).unwrap();
    assert_eq!(mode(&out), 0o600);
    let copied = wangge_store::db::files_beside(&out);
    assert_eq!(mode(&copied), 0o700);
    assert_eq!(mode(&copied.join("ab/cd")), 0o700);
    assert_eq!(mode(&copied.join("ab/cd/x")), 0o600);
    drop(store);
}
