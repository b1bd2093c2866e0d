//! Accounts: the login throttle's decision taken atomically before a password
//! is checked, across nodes on one database; tokens that expire and that end
//! with a password change or reset.

use crate::common::*;
use time::Duration;
use wangge_core::auth::Role;
use wangge_store::accounts::{self, NewUser, Throttle};
use wangge_store::{Db, Error};

async fn reserve(db: Db, user: &'static str, addr: &'static str, now_ms: i64) -> bool {
    match db
        .write(move |c| Throttle::new(user, addr).reserve(c, now_ms))
        .await
    {
        Ok(_) => true,
        Err(Error::Throttled { retry_after }) => {
            assert!(retry_after >= 1);
            false
        }
        Err(e) => panic!("reserve failed: {e}"),
    }
}

async fn failures(db: &Db, key: &'static str) -> Option<i64> {
    db.read(move |c| {
        c.query_opt(
            "SELECT failures FROM login_throttle WHERE key = $1",
            &[key.into()],
        )?
        .map(|r| r.get(0))
        .transpose()
    })
    .await
    .unwrap()
}

#[test]
fn parallel_attempts_on_two_nodes_get_only_the_free_tries() {
    on_each_backend(|env| async move {
        // A second node: another store on the same database.
        let opts = env.opts.clone();
        let other = tokio::task::spawn_blocking(move || wangge_store::Store::open(&opts))
            .await
            .unwrap()
            .unwrap();
        let now_ms = NOW.unix_timestamp() * 1000;
        let mut attempts = tokio::task::JoinSet::new();
        for i in 0..40 {
            let db = if i % 2 == 0 {
                env.db.clone()
            } else {
                other.db.clone()
            };
            attempts.spawn(reserve(db, "li", "203.0.113.7", now_ms));
        }
        let allowed = attempts
            .join_all()
            .await
            .into_iter()
            .filter(|ok| *ok)
            .count();
        // The pair (account, address) allows three attempts before a delay.
        assert_eq!(allowed, 3, "attempts that went on to a password check");
        assert_eq!(failures(&env.db, "pair:li|203.0.113.7").await, Some(3));
        assert_eq!(failures(&env.db, "addr:203.0.113.7").await, Some(3));
    });
}

#[test]
fn a_success_gives_back_its_reservation() {
    on_each_backend(|env| async move {
        let now_ms = NOW.unix_timestamp() * 1000;
        let t = Throttle::new("li", "198.51.100.1");
        assert!(reserve(env.db.clone(), "li", "198.51.100.1", now_ms).await);
        let r = env.db.write(move |c| t.reserve(c, now_ms)).await.unwrap();
        let t = Throttle::new("li", "198.51.100.1");
        env.db.write(move |c| t.succeeded(c, &r)).await.unwrap();
        assert_eq!(failures(&env.db, "pair:li|198.51.100.1").await, None);
        assert_eq!(failures(&env.db, "addr:198.51.100.1").await, Some(1));
        assert_eq!(failures(&env.db, "user:li").await, Some(1));
        // An attempt refused as too busy is not counted at all.
        let t = Throttle::new("wang", "198.51.100.2");
        let r = env.db.write(move |c| t.reserve(c, now_ms)).await.unwrap();
        let t = Throttle::new("wang", "198.51.100.2");
        env.db.write(move |c| t.refund(c, &r)).await.unwrap();
        assert_eq!(failures(&env.db, "pair:wang|198.51.100.2").await, Some(0));
        assert_eq!(failures(&env.db, "user:wang").await, Some(0));
    });
}

async fn user_with_token(env: &Env, days: i64) -> String {
    let ctx = env.ctx();
    let new = NewUser {
        username: "auditor1".into(),
        display_name: None,
        role: Role::Auditor,
        scope_unit: None,
        scope_org: None,
    };
    env.db
        .write(move |c| {
            accounts::create_user(c, &ctx, new, "x")?;
            accounts::create_token(c, &ctx, "auditor1", "ci", days).map(|(_, t)| t)
        })
        .await
        .unwrap()
}

async fn token_user(env: &Env, token: &str, at: time::OffsetDateTime) -> Result<bool, Error> {
    let (token, ms) = (token.to_string(), at.unix_timestamp() * 1000);
    env.db
        .read(move |c| accounts::token_user(c, &token, ms))
        .await
        .map(|u| u.is_some())
}

#[test]
fn tokens_expire() {
    on_each_backend(|env| async move {
        let token = user_with_token(&env, 30).await;
        assert!(token_user(&env, &token, NOW + Duration::days(29))
            .await
            .unwrap());
        assert!(matches!(
            token_user(&env, &token, NOW + Duration::days(30)).await,
            Err(Error::TokenExpired)
        ));
        let ctx = env.ctx();
        let listed = env
            .db
            .read(move |c| accounts::list_tokens(c, &ctx, Some("auditor1")))
            .await
            .unwrap();
        assert_eq!(listed[0].expires_at, Some(NOW + Duration::days(30)));
        for days in [0, -1, accounts::MAX_TOKEN_DAYS + 1] {
            let ctx = env.ctx();
            let e = env
                .db
                .write(move |c| accounts::create_token(c, &ctx, "auditor1", "x", days))
                .await
                .unwrap_err();
            assert!(
                matches!(e, Error::Domain(ref d) if d.code() == "token_lifetime"),
                "{e}"
            );
        }
    });
}

#[test]
fn a_new_password_revokes_the_tokens() {
    on_each_backend(|env| async move {
        let token = user_with_token(&env, 90).await;
        let ctx = env.ctx();
        env.db
            .write(move |c| accounts::set_password(c, &ctx, "auditor1", "y"))
            .await
            .unwrap();
        assert!(!token_user(&env, &token, NOW).await.unwrap());
        let ctx = env.ctx();
        let listed = env
            .db
            .read(move |c| accounts::list_tokens(c, &ctx, Some("auditor1")))
            .await
            .unwrap();
        assert!(listed[0].revoked);
    });
}
