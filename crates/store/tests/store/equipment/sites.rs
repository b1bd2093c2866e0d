//! Construction sites, and equipment following its unit through a move.

use super::*;

#[test]
fn construction_sites_register_list_and_refuse_bad_input() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        let site = |name: &str, unit: &str| NewSite {
            name: name.to_string(),
            builder_org_id: f.maintainer,
            unit: unit.to_string(),
            location: Some("长江路与桂陵路交叉口".into()),
            starts_on: "2026-03-01".into(),
            ends_on: Some("2027-10-31".into()),
            status: None,
        };
        let ctx = ts.ctx();
        let (s1, s2) = (
            site("华英小区二期", &f.tree.comm_a.code),
            site("长江花园改造", &f.tree.comm_b.code),
        );
        let (a, _) = ts
            .db
            .write(move |c| {
                Ok((
                    wangge_store::registry::create::<eq::Site>(c, &ctx, s1)?,
                    wangge_store::registry::create::<eq::Site>(c, &ctx, s2)?,
                ))
            })
            .await
            .unwrap();
        assert_eq!(a.status, SiteStatus::Active);
        assert_eq!(a.builder_name, "菏泽通力电梯维保");
        let staff_a = scoped(&ts, Role::StreetStaff, &f.tree.comm_a.path);
        let ctx = staff_a.clone();
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
        assert_eq!(
            page.items
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["华英小区二期"]
        );
        let ctx = staff_a.clone();
        let got = ts
            .db
            .read(move |c| wangge_store::registry::get::<eq::Site>(c, &ctx, a.id))
            .await
            .unwrap();
        assert_eq!(got.ends_on.as_deref(), Some("2027-10-31"));

        let before = snapshot(&ts).await;
        type Edit = fn(&mut NewSite);
        let cases: Vec<(Edit, &str, &str)> = vec![
            (
                |s| s.ends_on = Some("2026-02-28".into()),
                "ends_on",
                "dates_order",
            ),
            (|s| s.starts_on = "2026-3-1x".into(), "starts_on", "date"),
            (|s| s.name = " ".into(), "name", "required"),
            (
                |s| s.builder_org_id = 424242,
                "builder_org_id",
                "unknown_organisation",
            ),
        ];
        for (edit, want, code) in cases {
            let mut s = site("x", &f.tree.comm_a.code);
            edit(&mut s);
            let ctx = ts.ctx();
            let e = refused(
                ts.db
                    .write(move |c| wangge_store::registry::create::<eq::Site>(c, &ctx, s))
                    .await,
                code,
            );
            assert_eq!(field(&e), want);
        }
        // Out of scope: the unit is unknown to a street office elsewhere.
        let s = site("x", &f.tree.comm_b.code);
        let e = refused(
            ts.db
                .write(move |c| wangge_store::registry::create::<eq::Site>(c, &staff_a, s))
                .await,
            "unknown_unit",
        );
        assert_eq!(field(&e), "unit");
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn equipment_moves_with_its_unit_and_keeps_the_unit_from_being_deleted() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        create(&ts, elevator(&f, "DT-MOVE", &f.tree.building_a1.code)).await;
        let ctx = ts.ctx();
        let (compound, comm_b) = (f.tree.compound_a.code.clone(), f.tree.comm_b.code.clone());
        ts.db
            .write(move |c| wangge_store::units::move_to(c, &ctx, &compound, &comm_b))
            .await
            .unwrap();
        let staff_b = scoped(&ts, Role::CommunityCadre, &f.tree.comm_b.path);
        assert_eq!(
            list(&ts, &staff_b, ListFilter::default()).await,
            ["DT-MOVE"]
        );
        let staff_a = scoped(&ts, Role::CommunityCadre, &f.tree.comm_a.path);
        assert!(list(&ts, &staff_a, ListFilter::default()).await.is_empty());
        let before = snapshot(&ts).await;
        let (ctx, building) = (ts.ctx(), f.tree.building_a1.code.clone());
        let r = ts
            .db
            .write(move |c| wangge_store::units::delete(c, &ctx, &building))
            .await;
        let e = refused(r, "unit_not_empty");
        assert!(messages(&e).contains("特种设备"), "{e:?}");
        unchanged(&before, &snapshot(&ts).await);
    });
}
