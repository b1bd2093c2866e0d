//! Changing a construction site: the fields given change and are audited by
//! name; wrong values are refused naming the field and change nothing; the
//! site and a new unit must both lie in the caller's scope.

use super::*;
use wangge_store::equipment::SitePatch;

async fn site(ts: &Env, f: &Fixture, name: &str, unit: &str) -> i64 {
    let (ctx, new) = (
        ts.ctx(),
        NewSite {
            name: name.to_string(),
            builder_org_id: f.maintainer,
            unit: unit.to_string(),
            location: Some("北侧空地".into()),
            starts_on: "2026-03-01".into(),
            ends_on: Some("2027-10-31".into()),
            status: None,
        },
    );
    ts.db
        .write(move |c| wangge_store::registry::create::<eq::Site>(c, &ctx, new))
        .await
        .unwrap()
        .id
}

async fn update(ts: &Env, ctx: &Ctx, id: i64, patch: SitePatch) -> Result<eq::Site> {
    let ctx = ctx.clone();
    ts.db
        .write(move |c| wangge_store::registry::update::<eq::Site>(c, &ctx, id, patch))
        .await
}

#[test]
fn a_site_changes_the_fields_given_audited_by_name() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        let id = site(&ts, &f, "华英小区二期", &f.tree.compound_a.code).await;
        let cadre_a = scoped(&ts, Role::CommunityCadre, &f.tree.comm_a.path);
        let s = update(
            &ts,
            &cadre_a,
            id,
            SitePatch {
                name: Some("华英小区二期(东区)".into()),
                builder_org_id: Some(f.property),
                status: Some(SiteStatus::Suspended),
                location: Some("北侧空地".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (s.name.as_str(), s.builder_name.as_str(), s.status),
            ("华英小区二期(东区)", "华英物业", SiteStatus::Suspended)
        );
        assert_eq!(s.ends_on.as_deref(), Some("2027-10-31"));
        let log = audit_of(&ts, "construction_site", id).await;
        assert_eq!(log.len(), 2);
        let (actor, action, detail) = &log[1];
        assert_eq!((actor.as_str(), action.as_str()), ("tester", "update"));
        let d: serde_json::Value = serde_json::from_str(detail).unwrap();
        assert_eq!(
            d["fields"],
            serde_json::json!(["name", "builder_org_id", "status"])
        );
        assert_eq!(d["status"]["to"], "suspended");

        // The period as a whole: a new start after the old end is refused,
        // with both moved it is fine; an empty end clears it.
        let before = snapshot(&ts).await;
        let e = refused(
            update(
                &ts,
                &cadre_a,
                id,
                SitePatch {
                    starts_on: Some("2028-01-01".into()),
                    ..Default::default()
                },
            )
            .await,
            "dates_order",
        );
        assert_eq!(field(&e), "ends_on");
        unchanged(&before, &snapshot(&ts).await);
        let s = update(
            &ts,
            &cadre_a,
            id,
            SitePatch {
                starts_on: Some("2028-01-01".into()),
                ends_on: Some(String::new()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!((s.starts_on.as_str(), s.ends_on), ("2028-01-01", None));

        // Nothing changed: nothing written.
        let before = snapshot(&ts).await;
        update(
            &ts,
            &cadre_a,
            id,
            SitePatch {
                name: Some(" 华英小区二期(东区) ".into()),
                status: Some(SiteStatus::Suspended),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn wrong_values_and_scope_are_refused_and_change_nothing() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        let id = site(&ts, &f, "华英小区二期", &f.tree.compound_a.code).await;
        let far = site(&ts, &f, "长江花园改造", &f.tree.compound_b.code).await;
        let cadre_a = scoped(&ts, Role::CommunityCadre, &f.tree.comm_a.path);
        let grid_a = scoped(&ts, Role::GridWorker, &f.tree.comm_a.path);
        let before = snapshot(&ts).await;
        type Edit = fn(&mut SitePatch);
        let cases: Vec<(Edit, &str, &str)> = vec![
            (|p| p.name = Some("  ".into()), "name", "required"),
            (|p| p.name = Some("工".repeat(101)), "name", "too_long"),
            (
                |p| p.builder_org_id = Some(424242),
                "builder_org_id",
                "unknown_organisation",
            ),
            (
                |p| p.starts_on = Some("2026-02-30".into()),
                "starts_on",
                "date",
            ),
            (|p| p.ends_on = Some("明年".into()), "ends_on", "date"),
            (
                |p| p.ends_on = Some("2026-01-31".into()),
                "ends_on",
                "dates_order",
            ),
            (
                |p| p.unit = Some("371799999999".into()),
                "unit",
                "unknown_unit",
            ),
            (
                |p| p.location = Some("东".repeat(101)),
                "location",
                "too_long",
            ),
        ];
        for (edit, want, code) in cases {
            let mut p = SitePatch {
                name: Some("改名".into()),
                ..Default::default()
            };
            edit(&mut p);
            let e = refused(update(&ts, &cadre_a, id, p).await, code);
            assert_eq!(field(&e), want, "{code}");
        }
        // A new unit outside the scope is unknown; a site outside it is not found.
        let e = refused(
            update(
                &ts,
                &cadre_a,
                id,
                SitePatch {
                    unit: Some(f.tree.compound_b.code.clone()),
                    ..Default::default()
                },
            )
            .await,
            "unknown_unit",
        );
        assert_eq!(field(&e), "unit");
        let patch = || SitePatch {
            name: Some("越权".into()),
            ..Default::default()
        };
        assert_not_found(update(&ts, &cadre_a, far, patch()).await);
        assert_not_found(update(&ts, &cadre_a, 987654, patch()).await);
        let r = update(&ts, &grid_a, id, patch()).await;
        assert!(matches!(r, Err(wangge_store::Error::Forbidden)), "{r:?}");
        unchanged(&before, &snapshot(&ts).await);

        // The whole street may move it between its communities: the list
        // follows, and the move is audited by unit code.
        let street = scoped(&ts, Role::StreetStaff, &f.tree.street.path);
        let s = update(
            &ts,
            &street,
            id,
            SitePatch {
                unit: Some(f.tree.building_b1.code.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(s.unit, f.tree.building_b1.code);
        let cadre_b = scoped(&ts, Role::CommunityCadre, &f.tree.comm_b.path);
        let ctx = cadre_b.clone();
        let page = ts
            .db
            .read(move |c| {
                wangge_store::registry::list::<eq::Site>(
                    c,
                    &ctx,
                    &SiteFilter::default(),
                    None,
                    None,
                )
            })
            .await
            .unwrap();
        assert_eq!(page.items.len(), 2);
        assert_not_found(update(&ts, &cadre_a, id, patch()).await);
        let log = audit_of(&ts, "construction_site", id).await;
        let d: serde_json::Value = serde_json::from_str(&log.last().unwrap().2).unwrap();
        assert_eq!(d["fields"], serde_json::json!(["unit"]));
        assert_eq!(d["unit"]["from"], f.tree.compound_a.code.as_str());
        assert_eq!(d["unit"]["to"], f.tree.building_b1.code.as_str());
    });
}
