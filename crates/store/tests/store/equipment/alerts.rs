//! Equipment alerts: counts, order, look-ahead and scope; and the demo's lifts.

use super::*;

#[test]
fn alerts_count_and_order_what_needs_attention_in_scope() {
    on_each_backend(|ts| async move {
        let f = fixture(&ts).await;
        let mk = |code: &str, unit: &str, last: &str, next: &str, maint: &str| {
            let mut n = elevator(&f, code, unit);
            n.last_inspected_on = Some(last.into());
            n.next_inspection_due = Some(next.into());
            n.last_maintained_on = Some(maint.into());
            n
        };
        let (a, b) = (
            f.tree.compound_a.code.clone(),
            f.tree.compound_b.code.clone(),
        );
        create(
            &ts,
            mk("OVERDUE", &a, "2025-10-01", "2026-10-01", "2026-11-20"),
        )
        .await; // 54 days over
        create(
            &ts,
            mk("DUE-EDGE", &a, "2025-12-24", "2026-12-24", "2026-11-20"),
        )
        .await; // due in 30
        create(
            &ts,
            mk("NOT-YET", &a, "2025-12-25", "2026-12-25", "2026-11-20"),
        )
        .await; // due in 31
        create(
            &ts,
            mk("MAINT", &b, "2026-06-01", "2027-06-01", "2026-11-08"),
        )
        .await; // due 11-23, 1 over
        let mut stopped = mk("STOPPED", &b, "2024-01-01", "2025-01-01", "2025-01-01");
        stopped.registration_code = "STOPPED".into();
        let s = create(&ts, stopped).await;
        let ctx = ts.ctx();
        let patch = EquipmentPatch {
            status: Some(EquipmentStatus::Stopped),
            ..Default::default()
        };
        ts.db
            .write(move |c| eq::update(c, &ctx, s.id, patch))
            .await
            .unwrap();

        let ctx = ts.ctx();
        let today = ctx.today();
        let all = ts
            .db
            .read(move |c| eq::alerts(c, &ctx, 30, today, None))
            .await
            .unwrap();
        assert_eq!(all.today, "2026-11-24");
        assert_eq!(
            (
                all.counts.inspection_overdue,
                all.counts.inspection_due,
                all.counts.maintenance_overdue
            ),
            (1, 1, 1)
        );
        assert_eq!(
            all.items
                .iter()
                .map(|i| (i.registration_code.as_str(), i.alert.days_overdue))
                .collect::<Vec<_>>(),
            [("OVERDUE", 54), ("MAINT", 1), ("DUE-EDGE", -30)]
        );
        // The list filter selects by the same rule.
        for (kind, want) in [
            (AlertKind::InspectionOverdue, vec!["OVERDUE"]),
            (AlertKind::InspectionDue, vec!["DUE-EDGE"]),
            (AlertKind::MaintenanceOverdue, vec!["MAINT"]),
        ] {
            let f = ListFilter {
                alert: Some(kind),
                ..Default::default()
            };
            assert_eq!(list(&ts, &ts.ctx(), f).await, want, "{kind:?}");
        }
        // A shorter look-ahead drops the one due in 30 days; a scope sees its own.
        let ctx = ts.ctx();
        let soon = ts
            .db
            .read(move |c| eq::alerts(c, &ctx, 29, today, None))
            .await
            .unwrap();
        assert_eq!(soon.counts.inspection_due, 0);
        let ctx_b = scoped(&ts, Role::CommunityCadre, &f.tree.comm_b.path);
        let in_b = ts
            .db
            .read(move |c| eq::alerts(c, &ctx_b, 30, today, Some(10)))
            .await
            .unwrap();
        assert_eq!(in_b.counts.total(), 1);
        assert_eq!(in_b.items[0].registration_code, "MAINT");
        let ctx = ts.ctx();
        let e = refused(
            ts.db
                .read(move |c| eq::alerts(c, &ctx, 400, today, None))
                .await,
            "alert_days",
        );
        assert_eq!(field(&e), "within_days");
    });
}

#[test]
fn the_demo_has_lifts_with_alerts_and_construction_sites() {
    on_each_backend(|ts| async move {
        let cfg = wangge_demo::DemoConfig {
            people: 200,
            seed: 11,
        };
        wangge_demo::seed(&ts.store, &cfg).await.unwrap();
        let lifts = count(&ts, "equipment").await;
        assert!(lifts >= 40, "{lifts} lifts");
        assert_eq!(count(&ts, "construction_sites").await, 5);
        assert!(count(&ts, "equipment_maintenance").await >= lifts);
        let ctx = ts.ctx();
        let today = ctx.today();
        let alerts = ts
            .db
            .read(move |c| eq::alerts(c, &ctx, 30, today, None))
            .await
            .unwrap();
        let n = &alerts.counts;
        assert!(
            n.inspection_overdue > 0 && n.inspection_due > 0 && n.maintenance_overdue > 0,
            "{n:?}"
        );
        // The crowded places' escalators are there too.
        let escalators = ListFilter {
            kind: Some(EquipmentKind::Escalator),
            ..Default::default()
        };
        assert!(!list(&ts, &ts.ctx(), escalators).await.is_empty());
    });
}
