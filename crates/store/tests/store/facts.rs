//! The facts ledger: values set, added and cleared per subject and period,
//! read back per subtree, per child and per period; moves of subjects and of
//! units; refused input that changes nothing.

use crate::common::*;
use wangge_core::auth::{Permission, Role};
use wangge_store::facts::{self, Figure, Key, Periods, Query};
use wangge_store::{Ctx, Result, Scope};

const P: Permission = Permission::RegistryWrite;

fn key<'a>(subject: &'a str, period: &'a str) -> Key<'a> {
    Key {
        programme: "park",
        metric: "tax_fen",
        subject,
        period,
    }
}

fn query<'a>(unit: &'a str, periods: Periods<'a>) -> Query<'a> {
    Query {
        programme: "park",
        metric: "tax_fen",
        unit,
        periods,
    }
}

async fn set(ts: &Env, ctx: &Ctx, subject: &str, period: &str, unit: &str, v: i64) -> Result<()> {
    let (ctx, s, p, u) = (
        ctx.clone(),
        subject.to_string(),
        period.to_string(),
        unit.to_string(),
    );
    ts.db
        .write(move |c| facts::set(c, &ctx, P, key(&s, &p), &u, v))
        .await
}

async fn add(ts: &Env, subject: &str, period: &str, unit: &str, d: i64) {
    let (ctx, s, p, u) = (
        ts.ctx(),
        subject.to_string(),
        period.to_string(),
        unit.to_string(),
    );
    ts.db
        .write(move |c| facts::add(c, &ctx, P, key(&s, &p), &u, d))
        .await
        .unwrap()
}

async fn total_as(ts: &Env, ctx: &Ctx, unit: &str, from: &str, to: &str) -> Result<Figure> {
    let (ctx, u, f, t) = (
        ctx.clone(),
        unit.to_string(),
        from.to_string(),
        to.to_string(),
    );
    ts.db
        .read(move |c| facts::total(c, &ctx, P, query(&u, Periods { from: &f, to: &t })))
        .await
}

async fn total(ts: &Env, unit: &str, from: &str, to: &str) -> i64 {
    total_as(ts, &ts.ctx(), unit, from, to).await.unwrap().value
}

/// What a rebuild from the facts would give equals what the writes kept.
async fn rollups(ts: &Env) -> Vec<String> {
    ts.db
        .read(|c| {
            c.query(
                "SELECT programme, metric, unit_id, period, value, facts FROM fact_rollups
                 WHERE value <> 0 OR facts <> 0 ORDER BY 1, 2, 3, 4",
                &[],
            )
            .map(|rows| rows.iter().map(|r| format!("{r:?}")).collect())
        })
        .await
        .unwrap()
}

#[test]
fn facts_sum_up_the_tree_per_period_and_follow_their_subjects() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let ctx = ts.ctx();
        set(
            &ts,
            &ctx,
            "enterprise:1",
            "2026-10",
            &t.compound_a.code,
            500,
        )
        .await
        .unwrap();
        set(
            &ts,
            &ctx,
            "enterprise:1",
            "2026-11",
            &t.compound_a.code,
            700,
        )
        .await
        .unwrap();
        set(
            &ts,
            &ctx,
            "enterprise:2",
            "2026-11",
            &t.compound_b.code,
            300,
        )
        .await
        .unwrap();
        assert_eq!(total(&ts, &t.zone.code, "2026-11", "2026-11").await, 1000);
        assert_eq!(total(&ts, &t.street.code, "2026-01", "2026-12").await, 1500);
        assert_eq!(total(&ts, &t.comm_a.code, "2026-01", "2026-12").await, 1200);
        assert_eq!(total(&ts, &t.comm_b.code, "2026-10", "2026-10").await, 0);

        // Setting again replaces; adding grows.
        set(
            &ts,
            &ctx,
            "enterprise:1",
            "2026-11",
            &t.compound_a.code,
            650,
        )
        .await
        .unwrap();
        add(&ts, "enterprise:2", "2026-11", &t.compound_b.code, 25).await;
        add(&ts, "enterprise:3", "2026-11", &t.compound_b.code, 10).await;
        let nov = total_as(&ts, &ctx, &t.street.code, "2026-11", "2026-11")
            .await
            .unwrap();
        assert_eq!(
            nov,
            Figure {
                value: 985,
                facts: 3
            }
        );

        let (c2, street) = (ctx.clone(), t.street.code.clone());
        let children = ts
            .db
            .read(move |c| facts::by_child(c, &c2, P, query(&street, Periods::one("2026-11"))))
            .await
            .unwrap();
        let shown: Vec<(String, i64)> = children
            .iter()
            .map(|(u, f)| (u.name.clone(), f.value))
            .collect();
        assert_eq!(
            shown,
            vec![
                ("广州路社区".to_string(), 650),
                ("长江路社区".to_string(), 335)
            ]
        );
        let (c2, zone) = (ctx.clone(), t.zone.code.clone());
        let months = ts
            .db
            .read(move |c| {
                facts::by_period(
                    c,
                    &c2,
                    P,
                    query(
                        &zone,
                        Periods {
                            from: "2026-01",
                            to: "2026-12",
                        },
                    ),
                )
            })
            .await
            .unwrap();
        let months: Vec<(String, i64)> = months.into_iter().map(|(p, f)| (p, f.value)).collect();
        assert_eq!(
            months,
            vec![("2026-10".to_string(), 500), ("2026-11".to_string(), 985)]
        );

        // A subject that moved takes its value along.
        set(
            &ts,
            &ctx,
            "enterprise:1",
            "2026-11",
            &t.compound_b.code,
            650,
        )
        .await
        .unwrap();
        assert_eq!(total(&ts, &t.comm_a.code, "2026-11", "2026-11").await, 0);
        assert_eq!(total(&ts, &t.comm_b.code, "2026-11", "2026-11").await, 985);

        // Cleared facts leave the sums; clearing what is not there is no error.
        let c2 = ctx.clone();
        ts.db
            .write(move |c| facts::clear(c, &c2, P, key("enterprise:3", "2026-11")))
            .await
            .unwrap();
        let c2 = ctx.clone();
        ts.db
            .write(move |c| facts::clear(c, &c2, P, key("enterprise:9", "2026-11")))
            .await
            .unwrap();
        let nov = total_as(&ts, &ctx, &t.zone.code, "2026-11", "2026-11")
            .await
            .unwrap();
        assert_eq!(
            nov,
            Figure {
                value: 975,
                facts: 2
            }
        );

        // The sums kept by the writes are what a recount from the facts gives.
        let kept = rollups(&ts).await;
        ts.db.write(facts::rebuild).await.unwrap();
        assert_eq!(rollups(&ts).await, kept);

        // Moving a community moves its figures to the new street.
        let other = unit(
            &ts,
            wangge_core::units::UnitKind::Street,
            "岳程街道",
            Some(&t.zone.code),
        )
        .await;
        let (c2, from, to) = (ctx.clone(), t.comm_b.code.clone(), other.code.clone());
        ts.db
            .write(move |c| wangge_store::units::move_to(c, &c2, &from, &to))
            .await
            .unwrap();
        assert_eq!(total(&ts, &t.street.code, "2026-11", "2026-11").await, 0);
        assert_eq!(total(&ts, &other.code, "2026-11", "2026-11").await, 975);
        assert_eq!(total(&ts, &t.zone.code, "2026-01", "2026-12").await, 1475);
    });
}

#[test]
fn bad_facts_and_readers_outside_their_scope_are_refused_and_change_nothing() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let ctx = ts.ctx();
        set(
            &ts,
            &ctx,
            "enterprise:1",
            "2026-11",
            &t.compound_a.code,
            500,
        )
        .await
        .unwrap();
        let before = snapshot(&ts).await;
        for (period, code) in [
            ("2026-13", "bad_period"),
            ("26-11", "bad_period"),
            ("2026-02-30", "bad_period"),
        ] {
            let e = refused(
                set(&ts, &ctx, "enterprise:1", period, &t.compound_a.code, 1).await,
                code,
            );
            assert!(messages(&e).contains("不是有效的期间"), "{e:?}");
        }
        let bad_name = {
            let (ctx, u) = (ctx.clone(), t.compound_a.code.clone());
            ts.db
                .write(move |c| {
                    facts::set(
                        c,
                        &ctx,
                        P,
                        Key {
                            programme: "Park Tax",
                            ..key("x", "2026")
                        },
                        &u,
                        1,
                    )
                })
                .await
        };
        refused(bad_name, "bad_name");
        refused(
            set(&ts, &ctx, "enterprise:1", "2026-11", "371799009999", 1).await,
            "unknown_unit",
        );
        refused(
            total_as(&ts, &ctx, &t.zone.code, "2026-12", "2026-01").await,
            "bad_range",
        );
        refused(
            total_as(&ts, &ctx, &t.zone.code, "2026", "2026-12").await,
            "bad_range",
        );

        // Another community's staff neither read nor write here.
        let other = ts.scoped(Scope::Subtree(t.comm_b.path.clone()));
        refused(
            set(
                &ts,
                &other,
                "enterprise:1",
                "2026-11",
                &t.compound_a.code,
                9,
            )
            .await,
            "unknown_unit",
        );
        assert_not_found(total_as(&ts, &other, &t.comm_a.code, "2026-11", "2026-11").await);
        // A role without the permission is refused whatever its scope.
        let mut auditor = ts.ctx();
        auditor.role = Some(Role::Auditor);
        assert!(matches!(
            set(
                &ts,
                &auditor,
                "enterprise:1",
                "2026-11",
                &t.compound_a.code,
                9
            )
            .await,
            Err(wangge_store::Error::Forbidden)
        ));
        unchanged(&before, &snapshot(&ts).await);
        assert_eq!(total(&ts, &t.zone.code, "2026-11", "2026-11").await, 500);
    });
}
