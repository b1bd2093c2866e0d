//! Scope: a caller limited to community A cannot see or touch community B.

use crate::common::*;
use wangge_core::organisations::OrgKind;
use wangge_core::units::UnitKind::*;
use wangge_store::households::{self, NewHousehold};
use wangge_store::organisations::{self, NewOrganisation, Organisation};
use wangge_store::people::{self, PersonPatch};
use wangge_store::registry;
use wangge_store::units::{self, ListFilter};
use wangge_store::{positions, Error, Scope};

#[test]
fn a_community_scope_hides_and_protects_everything_outside_it() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let all = ts.ctx();
        let mk_org = |name: &str, kind: OrgKind, unit: &str| {
            let (ctx, new) = (
                all.clone(),
                NewOrganisation {
                    name: name.to_string(),
                    kind,
                    unit: unit.to_string(),
                    parent_org_id: None,
                    credit_code: None,
                },
            );
            ts.db
                .write(move |c| registry::create::<Organisation>(c, &ctx, new))
        };
        let org_a = mk_org("华英物业", OrgKind::PropertyCompany, &t.compound_a.code)
            .await
            .unwrap();
        let org_b = mk_org("长江物业", OrgKind::PropertyCompany, &t.compound_b.code)
            .await
            .unwrap();
        let alliance_a = mk_org("红色物业联盟", OrgKind::Alliance, &t.comm_a.code)
            .await
            .unwrap();
        let person_a = person(&ts, "张伟", &nth_id(1), &t.building_a1.code).await;
        let person_b = person(&ts, "王芳", &nth_id(2), &t.building_b1.code).await;
        let hh_b = {
            let (ctx, unit) = (all.clone(), t.building_b1.code.clone());
            ts.db
                .write(move |c| households::create(c, &ctx, NewHousehold { number: None, unit }))
                .await
                .unwrap()
        };
        let position_b = {
            let ctx = all.clone();
            let new = positions::NewPosition {
                person_id: person_b.id,
                org_id: org_b.id,
                kind: wangge_core::positions::PositionKind::Staff,
                title: "物业经理".into(),
                from: "2024-01-01".into(),
                to: None,
            };
            ts.db
                .write(move |c| positions::create(c, &ctx, new))
                .await
                .unwrap()
        };

        let a = ts.scoped(Scope::Subtree(t.comm_a.path.clone()));
        // Runs `$f(conn, ctx)` with the community-A context, as a read or a write.
        macro_rules! as_a {
            ($how:ident, $f:expr) => {{
                let ctx = a.clone();
                ts.db.$how(move |c| $f(c, &ctx)).await
            }};
        }

        // Inside: visible.
        let (ca, pa, oa) = (t.comm_a.code.clone(), person_a.id, org_a.id);
        assert_eq!(
            as_a!(read, |c, x| units::get(c, x, &ca)).unwrap().id,
            t.comm_a.id
        );
        assert_eq!(
            as_a!(read, |c, x| people::get(c, x, pa)).unwrap().name,
            "张伟"
        );
        assert_eq!(
            as_a!(read, |c, x| registry::get::<Organisation>(c, x, oa))
                .unwrap()
                .name,
            "华英物业"
        );

        // Outside, including the ancestors: not found.
        for code in [
            &t.comm_b.code,
            &t.compound_b.code,
            &t.building_b1.code,
            &t.street.code,
            &t.zone.code,
        ] {
            let code = code.clone();
            assert_not_found(as_a!(read, |c, x| units::get(c, x, &code)));
        }
        let (pb, ob, hb, posb) = (person_b.id, org_b.id, hh_b.id, position_b.id);
        assert_not_found(as_a!(read, |c, x| people::get(c, x, pb)));
        assert_not_found(as_a!(read, |c, x| registry::get::<Organisation>(c, x, ob)));
        assert_not_found(as_a!(read, |c, x| households::get(c, x, hb)));
        assert_not_found(as_a!(read, |c, x| positions::get(c, x, posb)));
        assert_not_found(as_a!(read, |c, x| positions::list(c, x, Some(pb), None)));
        let id_b = nth_id(2);
        assert_not_found(as_a!(read, |c, x| people::find_by_id_number(c, x, &id_b)));
        let cb = t.comm_b.code.clone();
        assert_not_found(as_a!(read, |c, x| units::tree(c, x, &cb, 3)));
        let cb = t.comm_b.code.clone();
        assert_not_found(as_a!(read, |c, x| people::list(
            c,
            x,
            Some(&cb),
            None,
            None
        )));
        let cb = t.comm_b.code.clone();
        assert_not_found(as_a!(read, |c, x| units::list(
            c,
            x,
            &ListFilter {
                under: Some(cb),
                ..Default::default()
            },
            None,
            None
        )));
        let zone = t.zone.code.clone();
        assert_not_found(as_a!(read, |c, x| units::list(
            c,
            x,
            &ListFilter {
                parent: Some(zone),
                ..Default::default()
            },
            None,
            None
        )));

        // Lists show only the inside.
        let top = as_a!(read, |c, x| units::list(
            c,
            x,
            &ListFilter::default(),
            None,
            None
        ))
        .unwrap();
        assert_eq!(
            top.items.iter().map(|u| &u.code).collect::<Vec<_>>(),
            [&t.comm_a.code]
        );
        let buildings = as_a!(read, |c, x| units::list(
            c,
            x,
            &ListFilter {
                kind: Some(Building),
                ..Default::default()
            },
            None,
            None
        ))
        .unwrap();
        assert_eq!(
            buildings.items.iter().map(|u| &u.code).collect::<Vec<_>>(),
            [&t.building_a1.code, &t.building_a2.code]
        );
        let named = as_a!(read, |c, x| units::list(
            c,
            x,
            &ListFilter {
                q: Some("1号楼".into()),
                ..Default::default()
            },
            None,
            None
        ))
        .unwrap();
        assert_eq!(
            named.items.iter().map(|u| &u.code).collect::<Vec<_>>(),
            [&t.building_a1.code]
        );
        let listed = as_a!(read, |c, x| people::list(c, x, None, None, None)).unwrap();
        assert_eq!(
            listed.items.iter().map(|p| p.id).collect::<Vec<_>>(),
            [person_a.id]
        );
        let orgs = as_a!(read, |c, x| registry::list::<Organisation>(
            c,
            x,
            &Default::default(),
            None,
            None
        ))
        .unwrap();
        assert_eq!(
            orgs.items.iter().map(|o| o.id).collect::<Vec<_>>(),
            [alliance_a.id, org_a.id]
        );
        assert!(as_a!(read, |c, x| households::list(c, x, None, None, None))
            .unwrap()
            .items
            .is_empty());
        assert_not_found(as_a!(read, |c, x| organisations::id_by_name(
            c,
            x,
            "长江物业"
        )));

        // Nothing outside can be written, and the refusals write nothing.
        let before = snapshot(&ts).await;
        let new = new_person("李四", &nth_id(3), &t.building_b1.code);
        let e = refused(try_person(&ts, &a, new).await, "unknown_unit");
        assert_eq!(field(&e), "unit");
        let e = refused(
            try_unit(&ts, &a, Compound, "新小区", Some(&t.comm_b.code)).await,
            "unknown_unit",
        );
        assert_eq!(field(&e), "parent");
        assert!(matches!(
            try_unit(&ts, &a, Zone, "新区", None).await,
            Err(Error::NotFound { .. })
        ));
        assert_not_found(as_a!(write, |c, x| people::update(
            c,
            x,
            pb,
            PersonPatch {
                name: Some("改".into()),
                ..Default::default()
            }
        )));
        assert_not_found(as_a!(write, |c, x| people::reveal(c, x, pb, "看看")));
        // Moving a person of A out to B.
        let b1 = t.building_b1.code.clone();
        refused(
            as_a!(write, |c, x| people::update(
                c,
                x,
                pa,
                PersonPatch {
                    unit: Some(b1),
                    ..Default::default()
                }
            )),
            "unknown_unit",
        );
        let (ca_code, cb) = (t.compound_a.code.clone(), t.comm_b.code.clone());
        let e = refused(
            as_a!(write, |c, x| units::move_to(c, x, &ca_code, &cb)),
            "unknown_unit",
        );
        assert_eq!(field(&e), "parent");
        let (cbc, ca) = (t.compound_b.code.clone(), t.comm_a.code.clone());
        assert_not_found(as_a!(write, |c, x| units::move_to(c, x, &cbc, &ca)));
        let b1 = t.building_b1.code.clone();
        assert_not_found(as_a!(write, |c, x| units::delete(c, x, &b1)));
        let b1 = t.building_b1.code.clone();
        assert_not_found(as_a!(write, |c, x| units::rename(c, x, &b1, "改名")));
        let new = NewOrganisation {
            name: "某公司".into(),
            kind: OrgKind::Enterprise,
            unit: t.comm_b.code.clone(),
            parent_org_id: None,
            credit_code: None,
        };
        refused(
            as_a!(write, |c, x| registry::create::<Organisation>(c, x, new)),
            "unknown_unit",
        );
        let al = alliance_a.id;
        let e = refused(
            as_a!(write, |c, x| organisations::add_member(c, x, al, ob)),
            "unknown_organisation",
        );
        assert_eq!(field(&e), "member_id");
        let new = NewHousehold {
            number: None,
            unit: t.building_b1.code.clone(),
        };
        refused(
            as_a!(write, |c, x| households::create(c, x, new)),
            "unknown_unit",
        );
        unchanged(&before, &snapshot(&ts).await);

        // And the other way round.
        let scope_b = ts.scoped(Scope::Subtree(t.comm_b.path.clone()));
        let (ctx, pa) = (scope_b.clone(), person_a.id);
        assert_not_found(ts.db.read(move |c| people::get(c, &ctx, pa)).await);
        let listed = all_people(&ts, &scope_b, None, 50).await;
        assert_eq!(
            listed.iter().map(|p| p.id).collect::<Vec<_>>(),
            [person_b.id]
        );

        // Inside, writing works as usual.
        let made = try_person(&ts, &a, new_person("李四", &nth_id(3), &t.grid_a.code))
            .await
            .unwrap();
        assert_eq!(made.unit, t.grid_a.code);
    });
}

#[test]
fn scope_paths_do_not_match_by_string_prefix() {
    on_each_backend(|ts| async move {
        let zone = unit(&ts, Zone, "区", None).await;
        let street = unit(&ts, Street, "街道", Some(&zone.code)).await;
        // Enough communities that one's id is a string prefix of another's (3 and 30).
        let comms = {
            let (ctx, parent) = (ts.ctx(), street.code.clone());
            ts.db
                .write(move |c| {
                    (0..30)
                        .map(|i| {
                            units::create(
                                c,
                                &ctx,
                                units::NewUnit {
                                    kind: Community,
                                    name: format!("社区{i}"),
                                    parent: Some(parent.clone()),
                                    code: None,
                                },
                            )
                        })
                        .collect::<wangge_store::Result<Vec<_>>>()
                })
                .await
                .unwrap()
        };
        let (short, long) = comms
            .iter()
            .flat_map(|a| comms.iter().map(move |b| (a, b)))
            .find(|(a, b)| a.id != b.id && b.id.to_string().starts_with(&a.id.to_string()))
            .expect("ids 3 and 30 share a prefix");
        let p_long = person(&ts, "张伟", &nth_id(1), &long.code).await;
        let p_short = person(&ts, "王芳", &nth_id(2), &short.code).await;
        let scoped = ts.scoped(Scope::Subtree(short.path.clone()));
        let listed = all_people(&ts, &scoped, None, 50).await;
        assert_eq!(
            listed.iter().map(|p| p.id).collect::<Vec<_>>(),
            [p_short.id]
        );
        let (ctx, id) = (scoped.clone(), p_long.id);
        assert_not_found(ts.db.read(move |c| people::get(c, &ctx, id)).await);
        let code = long.code.clone();
        assert_not_found(ts.db.read(move |c| units::get(c, &scoped, &code)).await);
    });
}
