//! The org tree: codes, nesting, listing, trees, moves and deletes.

use crate::common::*;
use std::collections::BTreeSet;
use wangge_core::organisations::OrgKind;
use wangge_core::units::UnitKind::*;
use wangge_store::organisations::{self, NewOrganisation, Organisation};
use wangge_store::registry;
use wangge_store::units::{self, ListFilter, NewUnit, TreeNode, Unit};
use wangge_store::{households, people, Page};

async fn list(ts: &Env, f: ListFilter, cursor: Option<String>, limit: i64) -> Page<Unit> {
    let ctx = ts.ctx();
    ts.db
        .read(move |c| units::list(c, &ctx, &f, cursor.as_deref(), Some(limit)))
        .await
        .unwrap()
}

/// Every unit the filter matches, following cursors `limit` at a time.
async fn list_all(ts: &Env, f: &ListFilter, limit: i64) -> Vec<String> {
    let mut codes = Vec::new();
    let mut cursor = None;
    loop {
        let page = list(ts, f.clone(), cursor, limit).await;
        assert!(page.items.len() as i64 <= limit);
        codes.extend(page.items.into_iter().map(|u| u.code));
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return codes,
        }
    }
}

fn codes(node: &TreeNode) -> Vec<&str> {
    node.children.iter().map(|n| n.unit.code.as_str()).collect()
}

pub async fn delete(ts: &Env, code: &str) -> wangge_store::Result<()> {
    let (ctx, code) = (ts.ctx(), code.to_string());
    ts.db.write(move |c| units::delete(c, &ctx, &code)).await
}

pub async fn move_to(ts: &Env, code: &str, parent: &str) -> wangge_store::Result<Unit> {
    let (ctx, code, parent) = (ts.ctx(), code.to_string(), parent.to_string());
    ts.db
        .write(move |c| units::move_to(c, &ctx, &code, &parent))
        .await
}

#[test]
fn codes_are_parent_code_plus_a_sequence_that_is_never_reused() {
    on_each_backend(|ts| async move {
        let zone = unit(&ts, Zone, "菏泽开发区", None).await;
        assert_eq!(
            (
                zone.code.as_str(),
                zone.kind,
                zone.depth,
                zone.parent_code.as_deref()
            ),
            (ZONE, Zone, 0, None)
        );
        assert_eq!(zone.created_at, NOW);
        let street = unit(&ts, Street, "丹阳街道", Some(ZONE)).await;
        let street2 = unit(&ts, Street, "岳程街道", Some(ZONE)).await;
        assert_eq!(street.code, "371799001");
        assert_eq!(street2.code, "371799002");
        assert_eq!(street.parent_code.as_deref(), Some(ZONE));
        let comm = unit(&ts, Community, "广州路社区", Some(&street.code)).await;
        assert_eq!(comm.code, "371799001001");
        let compound = unit(&ts, Compound, "华英小区", Some(&comm.code)).await;
        assert_eq!(compound.code, "371799001001001");
        // Grids and compounds share their community's sequence.
        let grid = unit(&ts, Grid, "第一网格", Some(&comm.code)).await;
        assert_eq!(grid.code, "371799001001002");
        let building = unit(&ts, Building, "1号楼", Some(&compound.code)).await;
        assert_eq!(building.code, "371799001001001001");
        assert_eq!((building.depth, building.kind), (4, Building));
        assert_eq!(building.parent_code.as_deref(), Some("371799001001001"));

        // A deleted code is gone for good: the next street gets a new number.
        delete(&ts, &street2.code).await.unwrap();
        assert_not_found(get_unit(&ts, "371799002").await);
        let street3 = unit(&ts, Street, "佃户屯街道", Some(ZONE)).await;
        assert_eq!(street3.code, "371799003");
        let audit = audit_of(&ts, "unit", street2.id).await;
        let actions: Vec<&str> = audit.iter().map(|a| a.1.as_str()).collect();
        assert_eq!(actions, ["create", "delete"]);
        assert_eq!(audit[0].0, "tester");
    });
}

#[test]
fn bad_units_are_refused_and_nothing_is_written() {
    on_each_backend(|ts| async move {
        let ctx = ts.ctx();
        let zone = unit(&ts, Zone, "菏泽开发区", None).await;
        let street = unit(&ts, Street, "丹阳街道", Some(&zone.code)).await;
        let comm = unit(&ts, Community, "广州路社区", Some(&street.code)).await;
        let before = snapshot(&ts).await;

        let e = refused(
            try_unit(&ts, &ctx, Building, "1号楼", Some(&street.code)).await,
            "unit_nesting",
        );
        assert_eq!(field(&e), "parent");
        assert!(messages(&e).contains("a building can only be placed under a compound"));
        refused(
            try_unit(&ts, &ctx, Compound, "小区", Some(&zone.code)).await,
            "unit_nesting",
        );
        refused(
            try_unit(&ts, &ctx, Street, "街道", None).await,
            "unit_nesting",
        );
        let e = refused(
            try_unit(&ts, &ctx, Community, "社区", Some("371799999")).await,
            "unknown_unit",
        );
        assert_eq!(field(&e), "parent");
        refused(
            try_unit(&ts, &ctx, Street, "  ", Some(&zone.code)).await,
            "required",
        );

        let write = |new: NewUnit| {
            let ctx = ctx.clone();
            ts.db.write(move |c| units::create(c, &ctx, new))
        };
        for bad in [
            Some("37179"),
            Some("3717990"),
            Some("37a799"),
            Some("071799"),
            None,
        ] {
            let e = refused(
                write(NewUnit {
                    kind: Zone,
                    name: "区".into(),
                    parent: None,
                    code: bad.map(str::to_string),
                })
                .await,
                "unit_code",
            );
            assert_eq!(field(&e), "code", "{bad:?}");
        }
        // A zone under another unit, a code given for a street, a code taken.
        refused(
            write(NewUnit {
                kind: Zone,
                name: "区".into(),
                parent: Some(street.code.clone()),
                code: Some("371800".into()),
            })
            .await,
            "unit_nesting",
        );
        refused(
            write(NewUnit {
                kind: Street,
                name: "街道".into(),
                parent: Some(zone.code.clone()),
                code: Some("371799555".into()),
            })
            .await,
            "code_assigned",
        );
        refused(
            try_unit(&ts, &ctx, Zone, "又一个区", None).await,
            "unit_code_taken",
        );
        unchanged(&before, &snapshot(&ts).await);

        // The refused children did not use up a number in their parents' sequences.
        let next = unit(&ts, Community, "长江路社区", Some(&street.code)).await;
        assert_eq!(next.code, "371799001002");
        let next = unit(&ts, Compound, "华英小区", Some(&comm.code)).await;
        assert_eq!(next.code, "371799001001001");
    });
}

#[test]
fn list_filters_by_parent_subtree_kind_and_name_and_pages() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        // More compounds in A, some sharing a name fragment, one with a LIKE wildcard.
        let mut compounds_a = vec![t.compound_a.code.clone()];
        for i in 0..23 {
            let name = if i % 5 == 0 {
                format!("阳光{i}号院")
            } else {
                format!("幸福里{i}期")
            };
            compounds_a.push(unit(&ts, Compound, &name, Some(&t.comm_a.code)).await.code);
        }
        let percent = unit(&ts, Compound, "100%满意小区", Some(&t.comm_b.code)).await;

        // Direct children only: compounds and the grid of A, not A's buildings.
        let children = list_all(
            &ts,
            &ListFilter {
                parent: Some(t.comm_a.code.clone()),
                ..Default::default()
            },
            500,
        )
        .await;
        let mut want: Vec<String> = compounds_a.clone();
        want.push(t.grid_a.code.clone());
        want.sort();
        assert_eq!(children, want);

        // Everything of a kind anywhere under the zone.
        let compounds = list_all(
            &ts,
            &ListFilter {
                under: Some(t.zone.code.clone()),
                kind: Some(Compound),
                ..Default::default()
            },
            500,
        )
        .await;
        let mut want = compounds_a.clone();
        want.extend([t.compound_b.code.clone(), percent.code.clone()]);
        want.sort();
        assert_eq!(compounds, want);

        // Buildings under community B only.
        let buildings = list_all(
            &ts,
            &ListFilter {
                under: Some(t.comm_b.code.clone()),
                kind: Some(Building),
                ..Default::default()
            },
            500,
        )
        .await;
        assert_eq!(buildings, [t.building_b1.code.as_str()]);

        // Name search, with LIKE wildcards taken literally; code prefix search.
        let q = |q: &str| ListFilter {
            q: Some(q.to_string()),
            ..Default::default()
        };
        let sunny = list(&ts, q("阳光"), None, 500).await.items;
        assert_eq!(sunny.len(), 5);
        assert!(sunny.iter().all(|u| u.name.starts_with("阳光")));
        let pct = list(&ts, q("%"), None, 500).await.items;
        assert_eq!(
            pct.iter().map(|u| &u.code).collect::<Vec<_>>(),
            [&percent.code]
        );
        assert!(list(&ts, q("_"), None, 500).await.items.is_empty());
        let by_code = list_all(&ts, &q(&t.comm_b.code), 500).await;
        assert_eq!(
            by_code,
            [
                t.comm_b.code.clone(),
                t.compound_b.code.clone(),
                t.building_b1.code.clone(),
                percent.code.clone()
            ]
        );

        // With no filter the top of the tree.
        let top = list(&ts, ListFilter::default(), None, 50).await;
        assert_eq!(
            top.items.iter().map(|u| &u.code).collect::<Vec<_>>(),
            [&t.zone.code]
        );
        assert!(top.next_cursor.is_none());

        // Pages of 7 over the whole zone: in code order, no gaps, no repeats.
        let under_zone = ListFilter {
            under: Some(t.zone.code.clone()),
            ..Default::default()
        };
        let everything = list(&ts, under_zone.clone(), None, 500).await;
        assert!(everything.next_cursor.is_none());
        let all: Vec<String> = everything.items.into_iter().map(|u| u.code).collect();
        assert_eq!(all.len() as i64, count(&ts, "units").await);
        let paged = list_all(&ts, &under_zone, 7).await;
        assert_eq!(paged, all);
        let mut sorted = paged.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, paged, "in code order without repeats");
        // A page that ends exactly at the last row says so.
        let n = all.len() as i64;
        let exact = list(&ts, under_zone.clone(), None, n).await;
        assert_eq!(exact.items.len() as i64, n);
        assert!(exact.next_cursor.is_none());

        // Bad page sizes and cursors.
        let ctx = ts.ctx();
        for bad in [0, -1, 501] {
            let (ctx, f) = (ctx.clone(), under_zone.clone());
            let r = ts
                .db
                .read(move |c| units::list(c, &ctx, &f, None, Some(bad)))
                .await;
            refused(r, "limit_range");
        }
        let f = under_zone.clone();
        let r = ts
            .db
            .read(move |c| units::list(c, &ctx, &f, Some("%%not a cursor"), None))
            .await;
        refused(r, "cursor");
    });
}

#[test]
fn tree_nests_children_down_to_the_depth_asked() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let tree = |code: String, depth: i64| {
            let ctx = ts.ctx();
            ts.db.read(move |c| units::tree(c, &ctx, &code, depth))
        };
        let root = tree(t.zone.code.clone(), 3).await.unwrap();
        assert_eq!(root.unit.code, t.zone.code);
        assert_eq!(codes(&root), [t.street.code.as_str()]);
        let street = &root.children[0];
        assert_eq!(codes(street), [&t.comm_a.code, &t.comm_b.code]);
        let a = &street.children[0];
        assert_eq!(codes(a), [&t.compound_a.code, &t.grid_a.code]);
        // Depth 3 below the zone stops at compounds: buildings are not included.
        assert!(a.children.iter().all(|n| n.children.is_empty()));

        let compound = tree(t.compound_a.code.clone(), 1).await.unwrap();
        assert_eq!(codes(&compound), [&t.building_a1.code, &t.building_a2.code]);
        let just_root = tree(t.comm_a.code.clone(), 0).await.unwrap();
        assert!(just_root.children.is_empty());
        assert_not_found(tree("371799999".into(), 2).await);

        // Depth is capped at three levels.
        let capped = tree(t.zone.code.clone(), 10).await.unwrap();
        let deepest = &capped.children[0].children[0].children[0];
        assert_eq!(deepest.unit.kind, Compound);
        assert!(deepest.children.is_empty());
    });
}

async fn people_ids(ts: &Env, unit: &str) -> BTreeSet<i64> {
    all_people(ts, &ts.ctx(), Some(unit), 50)
        .await
        .into_iter()
        .map(|p| p.id)
        .collect()
}

#[test]
fn a_moved_compound_takes_its_subtree_people_and_old_codes_along() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let ctx = ts.ctx();
        let old = t.compound_a.clone();
        let (old_a1, old_a2) = (t.building_a1.code.clone(), t.building_a2.code.clone());
        let p1 = person(&ts, "张伟", &nth_id(1), &old_a1).await;
        let p2 = person(&ts, "王芳", &nth_id(2), &old_a2).await;
        let p3 = person(&ts, "李娜", &nth_id(3), &old.code).await;
        let stays = person(&ts, "刘洋", &nth_id(4), &t.grid_a.code).await;
        let in_b = person(&ts, "陈静", &nth_id(5), &t.building_b1.code).await;
        let org = {
            let ctx = ctx.clone();
            let unit = old.code.clone();
            ts.db
                .write(move |c| {
                    registry::create::<Organisation>(
                        c,
                        &ctx,
                        NewOrganisation {
                            name: "华英小区业主委员会".into(),
                            kind: OrgKind::OwnersCommittee,
                            unit,
                            parent_org_id: None,
                            credit_code: None,
                        },
                    )
                })
                .await
                .unwrap()
        };
        let household = {
            let ctx = ctx.clone();
            let unit = old_a1.clone();
            ts.db
                .write(move |c| {
                    households::create(
                        c,
                        &ctx,
                        households::NewHousehold {
                            number: Some("H-001".into()),
                            unit,
                        },
                    )
                })
                .await
                .unwrap()
        };

        let moved = move_to(&ts, &old.code, &t.comm_b.code).await.unwrap();
        // B already had one compound, so this one is B's second.
        let new_code = format!("{}002", t.comm_b.code);
        assert_eq!(moved.code, new_code);
        assert_eq!(moved.id, old.id);
        assert_eq!(moved.parent_code.as_deref(), Some(t.comm_b.code.as_str()));
        assert_eq!(moved.depth, old.depth);
        assert!(moved.path.starts_with(&t.comm_b.path));

        // Descendants follow; every old code still resolves to the same unit.
        let a1 = get_unit(&ts, &old_a1).await.unwrap();
        assert_eq!(a1.code, format!("{new_code}001"));
        assert_eq!(a1.id, t.building_a1.id);
        assert_eq!(a1.parent_code.as_deref(), Some(new_code.as_str()));
        assert!(a1.path.starts_with(&moved.path));
        assert_eq!(
            get_unit(&ts, &old_a2).await.unwrap().code,
            format!("{new_code}002")
        );
        assert_eq!(get_unit(&ts, &old.code).await.unwrap().id, old.id);
        assert_eq!(get_unit(&ts, &new_code).await.unwrap().id, old.id);

        // People, organisations and households are listed under B, not under A.
        let under_b = people_ids(&ts, &t.comm_b.code).await;
        assert_eq!(under_b, BTreeSet::from([p1.id, p2.id, p3.id, in_b.id]));
        let under_a = people_ids(&ts, &t.comm_a.code).await;
        assert_eq!(under_a, BTreeSet::from([stays.id]));
        let p1_now = {
            let ctx = ctx.clone();
            ts.db
                .read(move |c| people::get(c, &ctx, p1.id))
                .await
                .unwrap()
        };
        assert_eq!(p1_now.unit, a1.code);
        let orgs = |unit: String| {
            let ctx = ctx.clone();
            ts.db.read(move |c| {
                registry::list::<Organisation>(
                    c,
                    &ctx,
                    &organisations::OrgFilter {
                        unit: Some(unit),
                        ..Default::default()
                    },
                    None,
                    None,
                )
            })
        };
        let in_b_orgs = orgs(t.comm_b.code.clone()).await.unwrap().items;
        assert_eq!(in_b_orgs.iter().map(|o| o.id).collect::<Vec<_>>(), [org.id]);
        assert_eq!(in_b_orgs[0].unit, new_code);
        assert!(orgs(t.comm_a.code.clone()).await.unwrap().items.is_empty());
        let hh = |unit: String| {
            let ctx = ctx.clone();
            ts.db
                .read(move |c| households::list(c, &ctx, Some(&unit), None, None))
        };
        assert_eq!(
            hh(t.comm_b.code.clone()).await.unwrap().items[0].id,
            household.id
        );
        assert!(hh(t.comm_a.code.clone()).await.unwrap().items.is_empty());

        // The tree shows it in its new place.
        let b_tree = {
            let (ctx, code) = (ctx.clone(), t.comm_b.code.clone());
            ts.db
                .read(move |c| units::tree(c, &ctx, &code, 2))
                .await
                .unwrap()
        };
        assert_eq!(codes(&b_tree), [&t.compound_b.code, &new_code]);
        assert_eq!(
            codes(&b_tree.children[1]),
            [format!("{new_code}001"), format!("{new_code}002")]
        );

        // New children (even through the old code) take the new prefix; A's
        // sequence does not hand out the moved unit's old code again.
        let a3 = unit(&ts, Building, "3号楼", Some(&old.code)).await;
        assert_eq!(a3.code, format!("{new_code}003"));
        let next_in_a = unit(&ts, Compound, "新小区", Some(&t.comm_a.code)).await;
        assert_ne!(next_in_a.code, old.code);
        assert_eq!(get_unit(&ts, &old.code).await.unwrap().id, old.id);
        let audit = audit_of(&ts, "unit", old.id).await;
        let (_, action, detail) = audit.last().unwrap();
        assert_eq!(action, "move");
        assert!(detail.contains(&new_code) && detail.contains(&old.code));

        // Moving back gives yet another new code; all earlier codes still resolve.
        let back = move_to(&ts, &new_code, &t.comm_a.code).await.unwrap();
        assert!(back.code.starts_with(&t.comm_a.code));
        assert!(![old.code.as_str(), new_code.as_str()].contains(&back.code.as_str()));
        for code in [&old.code, &new_code, &back.code] {
            assert_eq!(get_unit(&ts, code).await.unwrap().code, back.code);
        }
        let a1 = get_unit(&ts, &old_a1).await.unwrap();
        assert_eq!(a1.code, format!("{}001", back.code));
        assert_eq!(
            people_ids(&ts, &t.comm_a.code).await,
            BTreeSet::from([p1.id, p2.id, p3.id, stays.id])
        );
        assert_eq!(
            people_ids(&ts, &t.comm_b.code).await,
            BTreeSet::from([in_b.id])
        );
    });
}

#[test]
fn moves_into_own_subtree_or_under_the_wrong_kind_are_refused() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        person(&ts, "张伟", &nth_id(1), &t.building_a1.code).await;
        let before = snapshot(&ts).await;

        for (unit, parent) in [
            (&t.comm_a, &t.compound_a),
            (&t.comm_a, &t.comm_a),
            (&t.street, &t.building_a1),
            (&t.compound_a, &t.building_a2),
        ] {
            let e = refused(
                move_to(&ts, &unit.code, &parent.code).await,
                "unit_move_cycle",
            );
            assert!(messages(&e).contains("descendants"), "{e:?}");
        }
        for (unit, parent) in [
            (&t.compound_a, &t.street),
            (&t.compound_a, &t.building_b1),
            (&t.compound_a, &t.grid_a),
            (&t.building_a1, &t.comm_b),
            (&t.grid_a, &t.compound_b),
            (&t.comm_a, &t.zone),
        ] {
            let e = refused(move_to(&ts, &unit.code, &parent.code).await, "unit_nesting");
            assert_eq!(field(&e), "parent");
        }
        let e = refused(
            move_to(&ts, &t.compound_a.code, "371799001999").await,
            "unknown_unit",
        );
        assert_eq!(field(&e), "parent");
        assert_not_found(move_to(&ts, "371799001999001", &t.comm_b.code).await);
        unchanged(&before, &snapshot(&ts).await);

        // Moving to the parent it already has changes nothing either.
        let same = move_to(&ts, &t.compound_a.code, &t.comm_a.code)
            .await
            .unwrap();
        assert_eq!(same.code, t.compound_a.code);
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn only_empty_units_can_be_deleted() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        let ctx = ts.ctx();
        person(&ts, "张伟", &nth_id(1), &t.building_a1.code).await;
        person(&ts, "王芳", &nth_id(2), &t.building_a1.code).await;
        {
            let (ctx, unit) = (ctx.clone(), t.compound_b.code.clone());
            ts.db
                .write(move |c| {
                    registry::create::<Organisation>(
                        c,
                        &ctx,
                        NewOrganisation {
                            name: "长江花园物业".into(),
                            kind: OrgKind::PropertyCompany,
                            unit,
                            parent_org_id: None,
                            credit_code: None,
                        },
                    )
                })
                .await
                .unwrap();
        }
        {
            let (ctx, unit) = (ctx.clone(), t.building_a2.code.clone());
            ts.db
                .write(move |c| {
                    households::create(c, &ctx, households::NewHousehold { number: None, unit })
                })
                .await
                .unwrap();
        }
        let before = snapshot(&ts).await;

        let holds = |code: String, what: &'static [&'static str]| {
            let ts = ts.clone();
            async move {
                let e = refused(delete(&ts, &code).await, "unit_not_empty");
                let text = messages(&e);
                for w in what {
                    assert!(text.contains(w), "{code}: {text:?} should mention {w}");
                }
            }
        };
        holds(t.comm_a.code.clone(), &["2 child units", "2个下级单元"]).await;
        holds(t.building_a1.code.clone(), &["2 people", "2个人员"]).await;
        holds(t.building_a2.code.clone(), &["1 households", "1个户"]).await;
        holds(
            t.compound_b.code.clone(),
            &["1 child units", "1 organisations", "1个组织"],
        )
        .await;
        holds(t.zone.code.clone(), &["1 child units"]).await;
        unchanged(&before, &snapshot(&ts).await);
        assert_not_found(delete(&ts, "371799001999").await);

        // An empty leaf goes, and with it the codes it was known by.
        let grid = t.grid_a.code.clone();
        delete(&ts, &grid).await.unwrap();
        assert_not_found(get_unit(&ts, &grid).await);
        assert_eq!(count(&ts, "units").await, 9);
        let audit = audit_of(&ts, "unit", t.grid_a.id).await;
        assert_eq!(audit.last().unwrap().1, "delete");

        // A moved, then emptied, unit is deleted by an old code too; its aliases go.
        let moved = move_to(&ts, &t.building_b1.code, &t.compound_a.code)
            .await
            .unwrap();
        assert_eq!(count(&ts, "unit_aliases").await, 1);
        delete(&ts, &t.building_b1.code).await.unwrap();
        assert_not_found(get_unit(&ts, &moved.code).await);
        assert_not_found(get_unit(&ts, &t.building_b1.code).await);
        assert_eq!(count(&ts, "unit_aliases").await, 0);
    });
}

#[test]
fn get_finds_units_by_code_and_refuses_unknown_ones() {
    on_each_backend(|ts| async move {
        let t = small_tree(&ts).await;
        for u in [&t.zone, &t.comm_b, &t.building_a2, &t.grid_a] {
            let got = get_unit(&ts, &u.code).await.unwrap();
            assert_eq!(
                (
                    got.id,
                    &got.code,
                    got.kind,
                    &got.name,
                    &got.parent_code,
                    got.depth,
                    &got.path
                ),
                (
                    u.id,
                    &u.code,
                    u.kind,
                    &u.name,
                    &u.parent_code,
                    u.depth,
                    &u.path
                )
            );
        }
        for code in [
            "",
            "371799001001009",
            "not a code",
            "'; DROP TABLE units; --",
        ] {
            assert_not_found(get_unit(&ts, code).await);
        }
        let renamed = {
            let (ctx, code) = (ts.ctx(), t.comm_a.code.clone());
            ts.db
                .write(move |c| units::rename(c, &ctx, &code, " 新广州路社区 "))
                .await
                .unwrap()
        };
        assert_eq!(renamed.name, "新广州路社区");
        assert_eq!(
            get_unit(&ts, &t.comm_a.code).await.unwrap().name,
            "新广州路社区"
        );
    });
}
