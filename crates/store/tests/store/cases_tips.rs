//! Tips (举报线索) and who reads them: each confidential category's reader
//! set, enforced in every read of cases, in merging and in the audit log.

use crate::cases_fixture::*;
use crate::common::*;
use wangge_core::auth::Role;
use wangge_store::audit::{self, Filter, REPORTER_HIDDEN};
use wangge_store::cases::{self, CategoryPatch, ListFilter, TipReaders};
use wangge_store::{Ctx, Error};

/// A tip in community A (扫黑除恶线索 › 0901), by an anonymous resident.
async fn tip(w: &World) -> i64 {
    let mut anon = w.anon.clone();
    anon.actor = "resident@198.51.100.7".into();
    anon.client_addr = Some("198.51.100.7".into());
    let mut n = new_case("0901", &w.t.building_a2.code, "2号楼底商有人放高利贷");
    n.reporter_name = Some("赵敏".into());
    w.report(&anon, n).await.case.id
}

async fn listed(w: &World, ctx: &Ctx) -> Vec<i64> {
    let ctx = ctx.clone();
    w.read(move |c, _| cases::list(c, &ctx, &ListFilter::default(), None, Some(500)))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|v| v.id)
        .collect()
}

async fn set_readers(
    w: &World,
    code: &'static str,
    r: Option<TipReaders>,
) -> wangge_store::Result<cases::Category> {
    let admin = w.admin.clone();
    w.write(move |c, _| {
        let patch = CategoryPatch {
            tip_readers: Some(r),
            ..Default::default()
        };
        cases::update_category(c, &admin, code, patch)
    })
    .await
}

fn readers(roles: &[Role], orgs: &[i64]) -> TipReaders {
    TipReaders {
        roles: roles.to_vec(),
        orgs: orgs.to_vec(),
    }
}

#[test]
fn a_tip_is_read_only_by_its_categorys_readers() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let id = tip(&w).await;

        // By default zone administrators and street staff read it, reporter included.
        for ctx in [&w.admin, &w.street] {
            let v = w.get(ctx, id).await.unwrap();
            assert_eq!(v.reporter.name.as_deref(), Some("赵敏"), "{}", ctx.actor);
            assert!(listed(&w, ctx).await.contains(&id));
        }
        // The community's cadre, its grid worker and the auditor do not see it at all.
        for ctx in [&w.cadre_a, &w.grid_a, &w.auditor] {
            assert!(!listed(&w, ctx).await.contains(&id), "{}", ctx.actor);
            let r = w.get(ctx, id).await;
            assert!(
                matches!(r, Err(Error::NotFound { .. })),
                "{}: {r:?}",
                ctx.actor
            );
            let c2 = ctx.clone();
            let r = w.read(move |c, _| cases::events(c, &c2, id)).await;
            assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");
        }
        // Nor does a department before it is dispatched; after, it works it
        // (the text) without the reporter.
        assert!(matches!(
            w.get(&w.dept_a, id).await,
            Err(Error::NotFound { .. })
        ));
        w.dispatched(id, w.org_a).await;
        let v = w.get(&w.dept_a, id).await.unwrap();
        assert_eq!(v.description, "2号楼底商有人放高利贷");
        assert!(v.reporter.hidden && v.reporter.name.is_none());

        // The major category's readers now include community cadres: the
        // minor inherits them; cadres read tips in their own scope only.
        let k = set_readers(
            &w,
            "09",
            Some(readers(
                &[Role::StreetStaff, Role::CommunityCadre, Role::ZoneAdmin],
                &[],
            )),
        )
        .await
        .unwrap();
        assert_eq!(
            k.tip_readers.unwrap().roles,
            [Role::ZoneAdmin, Role::StreetStaff, Role::CommunityCadre]
        );
        let minor = w.read(|c, _| cases::get_category(c, "0901")).await.unwrap();
        assert!(minor.tip_readers.is_none());
        assert_eq!(
            minor.tip_readers_effective.roles,
            [Role::ZoneAdmin, Role::StreetStaff, Role::CommunityCadre]
        );
        let v = w.get(&w.cadre_a, id).await.unwrap();
        assert_eq!(v.reporter.name.as_deref(), Some("赵敏"));
        assert!(listed(&w, &w.cadre_a).await.contains(&id));
        assert!(matches!(
            w.get(&w.cadre_b, id).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            w.get(&w.grid_a, id).await,
            Err(Error::NotFound { .. })
        ));
        // The change is audited.
        let log = audit_of(&ts, "case_category", k.id).await;
        let last = log.last().unwrap();
        assert_eq!(last.1, "update");
        assert!(last.2.contains("community_cadre"), "{}", last.2);

        // The minor's own set wins over its major's; `null` inherits again.
        set_readers(&w, "0901", Some(readers(&[Role::ZoneAdmin], &[])))
            .await
            .unwrap();
        assert!(matches!(
            w.get(&w.street, id).await,
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            w.get(&w.cadre_a, id).await,
            Err(Error::NotFound { .. })
        ));
        assert!(w.get(&w.admin, id).await.is_ok());
        set_readers(&w, "0901", None).await.unwrap();
        assert!(w.get(&w.cadre_a, id).await.is_ok());
    });
}

#[test]
fn an_organisation_named_a_reader_reads_the_categorys_tips() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let id = tip(&w).await;
        assert!(matches!(
            w.get(&w.dept_b, id).await,
            Err(Error::NotFound { .. })
        ));
        set_readers(
            &w,
            "0901",
            Some(readers(&[Role::ZoneAdmin, Role::StreetStaff], &[w.org_b])),
        )
        .await
        .unwrap();
        // Undispatched, wherever it was filed, with the reporter.
        let v = w.get(&w.dept_b, id).await.unwrap();
        assert_eq!(v.reporter.name.as_deref(), Some("赵敏"));
        assert!(listed(&w, &w.dept_b).await.contains(&id));
        // Another department still does not see it.
        assert!(matches!(
            w.get(&w.dept_a, id).await,
            Err(Error::NotFound { .. })
        ));
    });
}

#[test]
fn a_reader_set_that_cannot_work_is_refused_and_changes_nothing() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let before = snapshot(&ts).await;
        for (r, code) in [
            (
                readers(&[Role::ZoneAdmin, Role::DeptHandler], &[]),
                "tip_reader_role",
            ),
            (
                readers(&[Role::Resident, Role::StreetStaff], &[]),
                "tip_reader_role",
            ),
            (
                readers(&[Role::CommunityCadre], &[]),
                "tip_readers_dispatch",
            ),
            (readers(&[], &[w.org_a]), "tip_readers_dispatch"),
            (readers(&[Role::ZoneAdmin], &[987_654]), "unknown_org"),
        ] {
            let e = refused(set_readers(&w, "0901", Some(r)).await, code);
            assert_eq!(field(&e), "tip_readers");
            let (zh, en) = match &e {
                wangge_core::Error::Invalid { zh, en, .. } => (zh.clone(), en.clone()),
                other => panic!("{other:?}"),
            };
            assert!(!zh.is_empty() && !en.is_empty() && zh != en);
        }
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn a_tip_is_merged_only_into_a_tip_with_the_same_readers() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let tip_id = tip(&w).await;
        let ordinary = w.rubbish().await.case.id;
        // The zone administrator reads every tip here, whatever the readers.
        let merge = |from: i64, into: i64| {
            let admin = w.admin.clone();
            w.write(move |c, cfg| cases::merge(c, &admin, cfg, from, into, "同一问题"))
        };
        let before = snapshot(&ts).await;
        let e = refused(merge(tip_id, ordinary).await, "tip_merge_refused");
        let wangge_core::Error::Conflict { zh, en, .. } = &e else {
            panic!("{e:?}")
        };
        assert!(zh.contains("举报线索不能并入普通案件"), "{zh}");
        assert!(en.contains("a confidential tip cannot be merged into an ordinary case"));
        unchanged(&before, &snapshot(&ts).await);
        // Closing as a duplicate is a merge too.
        w.step(
            &w.street,
            tip_id,
            wangge_core::cases::Command::new(wangge_core::cases::Action::Accept),
        )
        .await;
        let mid = snapshot(&ts).await;
        let close = wangge_core::cases::Command::new(wangge_core::cases::Action::Close)
            .close_kind(wangge_core::cases::CloseKind::Duplicate { of: Some(ordinary) });
        let r = w.try_step(&w.street, tip_id, None, close).await;
        refused(r, "tip_merge_refused");
        unchanged(&mid, &snapshot(&ts).await);

        // A tip of 养老金冒领举报 (another category) with other readers: refused.
        let other = w
            .report(
                &w.anon,
                new_case("1001", &w.t.building_a1.code, "冒领养老金"),
            )
            .await
            .case
            .id;
        set_readers(&w, "10", Some(readers(&[Role::ZoneAdmin], &[])))
            .await
            .unwrap();
        refused(merge(tip_id, other).await, "tip_merge_refused");
        // The same readers: allowed; the survivor takes the duplicate.
        let twin = tip(&w).await;
        let survivor = merge(twin, tip_id).await.unwrap();
        assert_eq!(survivor.id, tip_id);
        assert!(survivor.confidential);
        // An ordinary case may go into a tip (it becomes less visible, not more).
        let survivor = merge(ordinary, tip_id).await.unwrap();
        assert_eq!(survivor.id, tip_id);
    });
}

async fn entries(ts: &Env, ctx: &Ctx, f: Filter) -> Vec<audit::Entry> {
    let ctx = ctx.clone();
    ts.db
        .read(move |c| audit::list(c, &ctx, &f, 500))
        .await
        .unwrap()
}

#[test]
fn the_audit_log_shows_a_tips_reporter_only_to_its_readers() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let id = tip(&w).await;
        let street = w.street.clone();
        w.write(move |c, _| cases::reveal_reporter(c, &street, id, "回访举报人"))
            .await
            .unwrap();
        let of_tip = Filter {
            entity: Some("case".into()),
            entity_id: Some(id),
            ..Default::default()
        };
        // The auditor: the report's actor and address hidden, the street's step not.
        let seen = entries(&ts, &w.auditor, of_tip.clone()).await;
        let report = seen.iter().find(|e| e.action == "report").unwrap();
        assert!(report.reporter_hidden);
        assert_eq!(report.actor, REPORTER_HIDDEN);
        assert_eq!(report.client_addr.as_deref(), Some(REPORTER_HIDDEN));
        let step = seen.iter().find(|e| e.action == "reveal_reporter").unwrap();
        assert_eq!(step.actor, w.street.actor);
        assert!(!step.reporter_hidden);
        // Filtering by the reporter's address finds nothing of the tip.
        let by_actor = Filter {
            actor: Some("resident@198.51.100.7".into()),
            ..Default::default()
        };
        assert!(entries(&ts, &w.auditor, by_actor.clone()).await.is_empty());
        // A reader (the zone administrator) sees them, with the same hash.
        let full = entries(&ts, &w.admin, of_tip.clone()).await;
        let report_full = full.iter().find(|e| e.action == "report").unwrap();
        assert_eq!(report_full.actor, "resident@198.51.100.7");
        assert_eq!(report_full.client_addr.as_deref(), Some("198.51.100.7"));
        assert_eq!(report_full.hash, report.hash);
        assert_eq!(entries(&ts, &w.admin, by_actor.clone()).await.len(), 1);
        // Stored unchanged: the chain verifies.
        let v = ts.db.read(|c| audit::verify(c)).await.unwrap();
        assert_eq!(v.first_bad, None);
        // Auditors made readers see the reporter.
        set_readers(
            &w,
            "0901",
            Some(readers(
                &[Role::ZoneAdmin, Role::StreetStaff, Role::Auditor],
                &[],
            )),
        )
        .await
        .unwrap();
        let seen = entries(&ts, &w.auditor, of_tip).await;
        let report = seen.iter().find(|e| e.action == "report").unwrap();
        assert_eq!(report.actor, "resident@198.51.100.7");
        assert!(!report.reporter_hidden);
        assert_eq!(entries(&ts, &w.auditor, by_actor).await.len(), 1);
    });
}
