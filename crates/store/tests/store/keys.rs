//! Key rotation: every value re-sealed under the new key in small batches, all
//! values readable throughout, and an interrupted rotation resumed where it stopped.

use crate::common::*;
use wangge_store::keys::{self, Rotation};
use wangge_store::people::{self, NewPerson, Revealed};
use wangge_store::{crypto, params};

/// Registers seven people, some without phone or address, and answers their
/// ids with their values in full.
async fn people(ts: &Env) -> Vec<(i64, Revealed)> {
    let t = small_tree(ts).await;
    let mut out = Vec::new();
    for n in 0..7u32 {
        let new = NewPerson {
            name: format!("居民{n}"),
            id_number: id_number("19850505", 300 + n),
            phone: (n % 3 != 0).then(|| format!("1381234560{n}")),
            unit: t.building_a1.code.clone(),
            address_detail: (n % 2 == 0).then(|| format!("{n}单元{n}01室")),
            household_id: None,
            relation: None,
        };
        let p = try_person(ts, &ts.ctx(), new).await.unwrap();
        out.push((p.id, reveal(ts, p.id).await));
    }
    out
}

async fn reveal(ts: &Env, id: i64) -> Revealed {
    let ctx = ts.ctx();
    ts.db
        .write(move |c| people::reveal(c, &ctx, id, "轮换核对"))
        .await
        .unwrap()
}

/// Every value still opens to what it was.
async fn all_open(ts: &Env, expected: &[(i64, Revealed)]) {
    for (id, want) in expected {
        let got = reveal(ts, *id).await;
        assert_eq!(
            (&got.id_number, &got.phone, &got.address_detail),
            (&want.id_number, &want.phone, &want.address_detail),
            "person {id}"
        );
    }
}

async fn setting(ts: &Env, name: &'static str) -> Option<String> {
    ts.db
        .read(move |c| {
            c.query_opt("SELECT value FROM settings WHERE name = $1", params![name])?
                .map(|r| r.get(0))
                .transpose()
        })
        .await
        .unwrap()
}

async fn set(ts: &Env, name: &'static str, value: String) {
    ts.db
        .write(move |c| {
            c.execute(
                "INSERT INTO settings (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )?;
            Ok(())
        })
        .await
        .unwrap();
}

async fn rotate(ts: &Env) -> Rotation {
    let (store, opts) = (ts.store.clone(), ts.opts.clone());
    let batches = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = batches.clone();
    let r = keys::rotate(&store, &opts, 2, move |last| {
        seen.lock().unwrap().push(last)
    })
    .await
    .unwrap();
    let batches = batches.lock().unwrap().clone();
    assert!(
        batches.windows(2).all(|w| w[0] < w[1]),
        "batches go forward: {batches:?}"
    );
    r
}

#[test]
fn rotation_reseals_everything_and_resumes_after_an_interruption() {
    on_each_backend(|ts| async move {
        let expected = people(&ts).await;
        let ids: Vec<i64> = expected.iter().map(|(id, _)| *id).collect();
        let values = 7 + 4 + 4; // ID numbers, phones, addresses
        let keys_of = || ts.ctx().keys().current_key_id();
        let first_key = keys_of();
        assert_eq!(keys::stale_values(&ts.store).await.unwrap(), 0);

        // A plain rotation.
        let r = rotate(&ts).await;
        assert!(!r.resumed);
        assert_eq!(r.rows_resealed, 7);
        assert_ne!(r.key_id, first_key);
        assert_eq!(keys_of(), r.key_id);
        assert_eq!(keys::stale_values(&ts.store).await.unwrap(), 0);
        assert_eq!(setting(&ts, "rotation_target").await, None);
        assert_eq!(setting(&ts, "rotation_cursor").await, None);
        all_open(&ts, &expected).await;

        // Interrupted after its first batch (the process dies while reporting progress).
        let (store, opts) = (ts.store.clone(), ts.opts.clone());
        let died = tokio::spawn(async move {
            keys::rotate(&store, &opts, 2, |_| {
                panic!("a simulated interruption (expected)")
            })
            .await
        })
        .await;
        assert!(died.is_err_and(|e| e.is_panic()));
        let target = setting(&ts, "rotation_target").await.expect("target kept");
        assert_eq!(target, keys_of());
        assert_eq!(
            setting(&ts, "rotation_cursor").await,
            Some(ids[1].to_string())
        );
        let stale = keys::stale_values(&ts.store).await.unwrap();
        assert!(stale > 0 && stale < values, "{stale} of {values} stale");
        // Readers carry on meanwhile, on values of both keys.
        all_open(&ts, &expected).await;

        // Run again: it resumes with the same key where it stopped.
        let r = rotate(&ts).await;
        assert_eq!(
            r,
            Rotation {
                key_id: target,
                resumed: true,
                rows_resealed: 5
            }
        );
        assert_eq!(keys::stale_values(&ts.store).await.unwrap(), 0);
        all_open(&ts, &expected).await;

        // Interrupted right after the new key was written (nothing re-sealed yet).
        let path = ts.opts.key_path();
        let new = crypto::new_key().unwrap();
        crypto::add_key(&path, &new).unwrap();
        let new_key = new.id.clone();
        ts.ctx().keys().reload().unwrap();
        set(&ts, "rotation_target", new_key.clone()).await;
        set(&ts, "rotation_cursor", "0".into()).await;
        assert_eq!(keys::stale_values(&ts.store).await.unwrap(), values);
        let r = rotate(&ts).await;
        assert_eq!(
            r,
            Rotation {
                key_id: new_key,
                resumed: true,
                rows_resealed: 7
            }
        );
        assert_eq!(keys::stale_values(&ts.store).await.unwrap(), 0);
        all_open(&ts, &expected).await;

        // A process started afresh on the rotated key file reads everything; once
        // the old keys are dropped, it still does.
        // Through the store, which forgets the old keys' canaries first.
        assert_eq!(keys::drop_old_keys(&ts.store, &ts.opts).await.unwrap(), 3);
        let opts = ts.opts.clone();
        let fresh = tokio::task::spawn_blocking(move || wangge_store::Store::open(&opts))
            .await
            .unwrap()
            .unwrap();
        let again = Env {
            store: fresh.clone(),
            db: fresh.db.clone(),
            opts: ts.opts.clone(),
            backend: ts.backend,
        };
        all_open(&again, &expected).await;
        assert_eq!(keys::stale_values(&fresh).await.unwrap(), 0);
        // The PostgreSQL driver must not be dropped on an async thread.
        tokio::task::spawn_blocking(move || drop((fresh, again)))
            .await
            .unwrap();
    });
}

#[test]
fn totp_secrets_are_counted_and_resealed_by_a_rotation() {
    use wangge_store::accounts::{self, totp};
    on_each_backend(|ts| async move {
        let ctx = ts.ctx();
        let new = accounts::NewUser {
            username: "ops".into(),
            display_name: None,
            role: wangge_core::auth::Role::ZoneAdmin,
            scope_unit: None,
            scope_org: None,
        };
        let user = ts
            .db
            .write(move |c| accounts::create_user(c, &ctx, new, "not-a-hash"))
            .await
            .unwrap();
        let uctx = user.ctx(&ts.ctx(), None);
        let c2 = uctx.clone();
        let secret = ts
            .db
            .write(move |c| totp::begin(c, &c2))
            .await
            .unwrap()
            .secret;
        let (c2, code) = (
            uctx.clone(),
            totp::code_at(&secret, NOW.unix_timestamp()).unwrap(),
        );
        ts.db
            .write(move |c| totp::confirm(c, &c2, &code))
            .await
            .unwrap();
        assert_eq!(keys::stale_values(&ts.store).await.unwrap(), 0);

        // A new key makes the secret stale until the rotation re-seals it.
        crypto::add_key(&ts.opts.key_path(), &crypto::new_key().unwrap()).unwrap();
        ts.ctx().keys().reload().unwrap();
        assert_eq!(keys::stale_values(&ts.store).await.unwrap(), 1);
        let r = rotate(&ts).await;
        assert_eq!(r.rows_resealed, 1);
        assert_eq!(keys::stale_values(&ts.store).await.unwrap(), 0);

        // The re-sealed secret still checks the user's codes.
        let code = totp::code_at(&secret, NOW.unix_timestamp() + 30).unwrap();
        let id = user.id;
        let ok = ts
            .db
            .write(move |c| totp::check_login(c, &uctx, id, totp::SecondFactor::Code(&code)))
            .await
            .unwrap();
        assert!(ok);
    });
}
