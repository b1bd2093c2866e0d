//! What is on disk: personal data only encrypted, the key file bound to its
//! database, and the schema version guarded.

use crate::common::*;
use std::path::Path;
use std::process::Command;
use wangge_store::people::{self, NewPerson};
use wangge_store::{migrate, params, Backend, Db, Error, Store};
use wangge_testkit::{pg_url, temp_options, BACKENDS};

const PHONE: &str = "13812345678";
const ADDRESS: &str = "7单元1403室";

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// Everything the database holds, as bytes: the SQLite file and its WAL, or a
/// `pg_dump` of the store's schema.
fn raw_database(ts: &Env) -> Vec<u8> {
    match ts.backend {
        Backend::Sqlite => {
            let path = ts.opts.db.sqlite_path().expect("a SQLite path");
            let mut bytes = std::fs::read(path).expect("the database file");
            for extra in ["-wal", "-journal"] {
                if let Ok(more) = std::fs::read(format!("{path}{extra}")) {
                    bytes.extend(more);
                }
            }
            bytes
        }
        Backend::Postgres => {
            let out = Command::new("/usr/bin/pg_dump")
                .arg(format!("--dbname={}", pg_url()))
                .arg(format!("--schema={}", pg_schema(&ts.opts)))
                .output()
                .expect("pg_dump runs");
            assert!(
                out.status.success(),
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    }
}

#[test]
fn id_numbers_phones_and_addresses_are_encrypted_at_rest() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let id = id_number("19800101", 271);
        let name = "慕容𪚥雪";
        let p = try_person(
            &ts,
            &ts.ctx(),
            NewPerson {
                phone: Some(PHONE.into()),
                address_detail: Some(ADDRESS.into()),
                ..new_person(name, &id, &t.building_a1.code)
            },
        )
        .await
        .unwrap();
        // Reading them in full and changing them leaves no clear copy either.
        let (ctx, pid) = (ts.ctx(), p.id);
        ts.db
            .write(move |c| people::reveal(c, &ctx, pid, "核对"))
            .await
            .unwrap();
        let ctx = ts.ctx();
        ts.db
            .write(move |c| {
                people::update(
                    c,
                    &ctx,
                    pid,
                    people::PersonPatch {
                        phone: Some(Some("13900001111".into())),
                        ..Default::default()
                    },
                )
            })
            .await
            .unwrap();

        let raw = raw_database(&ts);
        // The dump is the real data: the (unencrypted) name and unit are in it.
        assert!(
            contains(&raw, name),
            "{:?}: the name should be readable",
            ts.backend
        );
        assert!(contains(&raw, &t.building_a1.code));
        for secret in [
            id.as_str(),
            &id[..17],
            &id[6..],
            PHONE,
            "13900001111",
            ADDRESS,
        ] {
            assert!(
                !contains(&raw, secret),
                "{:?}: {secret} is stored in clear",
                ts.backend
            );
        }
    });
}

/// Writes a key file as the operator must keep it: mode 0600.
pub(crate) fn write_key(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

/// Opens a store, expecting it to be refused.
pub(crate) fn open_err(opts: &wangge_store::StoreOptions) -> Error {
    match Store::open(opts) {
        Ok(_) => panic!("the store opened"),
        Err(e) => e,
    }
}

#[test]
fn a_database_opens_only_with_its_own_key_file() {
    for backend in BACKENDS {
        let Some(t) = temp_options(backend) else {
            continue;
        };
        let _cleanup = Cleanup::new(&t);
        let id = id_number("19800101", 271);

        let store = Store::open(&t.opts).unwrap();
        let key_path = t.opts.key_path();
        let key = std::fs::read_to_string(&key_path).expect("a new key file is made");
        let rt = runtime();
        let ctx = store.ctx("tester", wangge_store::Scope::All, NOW);
        let new = new_person("张伟", &id, ZONE);
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
        drop(rt);
        drop(store);

        // Reopened with its key: the person can be found and read.
        let store = Store::open(&t.opts).unwrap();
        let ctx = store.ctx("tester", wangge_store::Scope::All, NOW);
        let rt = runtime();
        let found = {
            let id = id.clone();
            rt.block_on(
                store
                    .db
                    .read(move |c| people::find_by_id_number(c, &ctx, &id)),
            )
            .unwrap()
        };
        assert_eq!(found.name, "张伟");
        drop(rt);
        drop(store);
        assert_eq!(std::fs::read_to_string(&key_path).unwrap(), key);

        // Another valid key file.
        let other = t.dir.join("other.key");
        write_key(&other, &format!("{}\n", "ab".repeat(32)));
        let mut opts = t.opts.clone();
        opts.key_file = Some(other.clone());
        match open_err(&opts) {
            Error::Key(msg) => assert!(msg.contains("does not belong"), "{msg}"),
            e => panic!("{backend:?}: expected a key error, got {e:?}"),
        }
        // Not a key file at all.
        write_key(&other, "hunter2\n");
        assert!(matches!(open_err(&opts), Error::Key(_)));

        // The key file gone: refused, and no new key is made in its place.
        std::fs::remove_file(&key_path).unwrap();
        match open_err(&t.opts) {
            Error::Key(msg) => assert!(msg.contains("restore the key file"), "{msg}"),
            e => panic!("{backend:?}: expected a key error, got {e:?}"),
        }
        assert!(!Path::new(&key_path).exists(), "a new key was made");

        // Put back, it works again.
        write_key(&key_path, &key);
        drop(Store::open(&t.opts).unwrap());
    }
}

#[test]
fn a_database_from_a_newer_binary_is_refused_untouched() {
    for backend in BACKENDS {
        let Some(t) = temp_options(backend) else {
            continue;
        };
        let _cleanup = Cleanup::new(&t);
        drop(Store::open(&t.opts).unwrap());
        let version = |opts: &wangge_store::StoreOptions| {
            Db::exclusive(&opts.db, |c| migrate::current(c)).unwrap()
        };
        assert_eq!(version(&t.opts), migrate::latest());
        // Opening a current database again applies nothing.
        let applied = Db::exclusive(&t.opts.db, |c| migrate::migrate(c)).unwrap();
        assert!(applied.is_empty());
        drop(Store::open(&t.opts).unwrap());

        let count = |opts: &wangge_store::StoreOptions| -> i64 {
            Db::exclusive(&opts.db, |c| {
                c.query_one("SELECT COUNT(*) FROM schema_migrations", &[])?
                    .get(0)
            })
            .unwrap()
        };
        let applied = count(&t.opts);
        let newer = migrate::latest() + 1;
        Db::exclusive(&t.opts.db, |c| {
            c.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                params![newer, "from the future", 0i64],
            )
        })
        .unwrap();
        match open_err(&t.opts) {
            Error::SchemaTooNew { db, binary } => {
                assert_eq!((db, binary), (newer, migrate::latest()));
            }
            e => panic!("{backend:?}: expected SchemaTooNew, got {e:?}"),
        }
        let e = Db::exclusive(&t.opts.db, |c| migrate::migrate(c)).unwrap_err();
        assert!(e.to_string().contains("upgrade wangge"), "{e}");
        assert_eq!(version(&t.opts), newer);
        // Versions need not be contiguous while branches are merged.
        assert_eq!(count(&t.opts), applied + 1);
    }
}
