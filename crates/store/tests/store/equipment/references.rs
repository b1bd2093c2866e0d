//! Every organisation an equipment or construction-site write names lies in
//! the caller's scope; one outside is answered like one that does not exist.

use super::*;

/// One write as the community cadre, answering a name to compare.
type Write = Box<dyn FnOnce(&mut dyn wangge_store::Conn, &Ctx) -> Result<String> + Send>;

#[test]
fn organisations_outside_the_scope_are_unknown_to_writes() {
    on_each_backend(|ts| async move {
        // The message for an id names no organisation: "组织N不存在".
        let f = fixture(&ts).await;
        let a1 = f.tree.building_a1.code.clone();
        let cadre = scoped(&ts, Role::CommunityCadre, &f.tree.comm_a.path);
        let (sys, outside) = (ts.ctx(), f.tree.compound_b.code.clone());
        let other = ts
            .db
            .write(move |c| {
                let new = NewOrganisation {
                    name: "长江物业".into(),
                    kind: OrgKind::PropertyCompany,
                    unit: outside,
                    parent_org_id: None,
                    credit_code: None,
                };
                Ok(registry::create::<Organisation>(c, &sys, new)?.id)
            })
            .await
            .unwrap();
        let lift = create(&ts, elevator(&f, "DT-0001", &a1)).await;
        let mut new_site = NewSite {
            name: "长江路安置房二期".into(),
            builder_org_id: f.property,
            unit: f.tree.compound_a.code.clone(),
            location: None,
            starts_on: "2026-03-01".into(),
            ends_on: None,
            status: None,
        };
        let sys = ts.ctx();
        let ns = new_site.clone();
        let site = ts
            .db
            .write(move |c| wangge_store::registry::create::<eq::Site>(c, &sys, ns))
            .await
            .unwrap();

        let before = snapshot(&ts).await;
        let unknown = |r: Result<String>, field_name: &str| {
            let e = refused(r, "unknown_organisation");
            assert_eq!(field(&e), field_name);
            assert!(!messages(&e).contains("长江物业"), "{}", messages(&e));
        };
        let write = |f: Write| {
            let (db, ctx) = (ts.db.clone(), cadre.clone());
            async move { db.write(move |c| f(c, &ctx)).await }
        };
        // Equipment: a new one, a changed one (use unit and maintenance
        // company: the zone's company is outside a community too), a record.
        for (use_org, maint, field_name) in [
            (other, None, "use_org_id"),
            (f.property, Some(other), "maintenance_org_id"),
            (f.property, Some(f.maintainer), "maintenance_org_id"),
        ] {
            let mut n = elevator(&f, "DT-0002", &a1);
            n.use_org_id = use_org;
            n.maintenance_org_id = maint;
            unknown(
                write(Box::new(move |c, ctx| {
                    eq::create(c, ctx, n).map(|e| e.use_org_name)
                }))
                .await,
                field_name,
            );
        }
        let id = lift.id;
        for patch in [
            EquipmentPatch {
                use_org_id: Some(other),
                ..Default::default()
            },
            EquipmentPatch {
                maintenance_org_id: Some(other),
                ..Default::default()
            },
        ] {
            let name = if patch.use_org_id.is_some() {
                "use_org_id"
            } else {
                "maintenance_org_id"
            };
            unknown(
                write(Box::new(move |c, ctx| {
                    eq::update(c, ctx, id, patch).map(|e| e.use_org_name)
                }))
                .await,
                name,
            );
        }
        let record = NewMaintenance {
            done_on: "2026-11-23".into(),
            org_id: Some(other),
            note: None,
        };
        unknown(
            write(Box::new(move |c, ctx| {
                eq::record_maintenance(c, ctx, id, record).map(|m| format!("{m:?}"))
            }))
            .await,
            "org_id",
        );
        // Forms name organisations by name (the answer repeats only what was typed).
        let by_name = write(Box::new(|c, ctx| {
            eq::find_org(c, ctx, "use_org", "长江物业").map(|i| i.to_string())
        }))
        .await;
        assert_eq!(field(&refused(by_name, "unknown_organisation")), "use_org");
        // Construction sites: a new one and a changed one.
        new_site.builder_org_id = other;
        unknown(
            write(Box::new(move |c, ctx| {
                wangge_store::registry::create::<eq::Site>(c, ctx, new_site).map(|s| s.builder_name)
            }))
            .await,
            "builder_org_id",
        );
        let site_id = site.id;
        unknown(
            write(Box::new(move |c, ctx| {
                let p = eq::SitePatch {
                    builder_org_id: Some(other),
                    ..Default::default()
                };
                wangge_store::registry::update::<eq::Site>(c, ctx, site_id, p)
                    .map(|s| s.builder_name)
            }))
            .await,
            "builder_org_id",
        );
        unchanged(&before, &snapshot(&ts).await);

        // Within the scope the same writes go through.
        let patch = EquipmentPatch {
            maintenance_org_id: Some(f.property),
            ..Default::default()
        };
        let name = write(Box::new(move |c, ctx| {
            eq::update(c, ctx, id, patch).map(|e| e.maintenance_org_name.unwrap_or_default())
        }))
        .await
        .unwrap();
        assert_eq!(name, "华英物业");
    });
}
