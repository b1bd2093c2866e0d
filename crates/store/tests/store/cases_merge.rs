//! Likely duplicates flagged at intake, and merging them.

use crate::cases_fixture::*;
use crate::common::*;
use wangge_core::cases::{Action, CaseState, CloseKind, Command};
use wangge_store::cases::{self, Created};

async fn near(
    w: &World,
    category: &str,
    unit: &str,
    lat: f64,
    lon: f64,
    attachments: &[i64],
) -> Created {
    let mut n = new_case(category, unit, "垃圾堆积");
    n.lat = Some(lat);
    n.lon = Some(lon);
    n.attachments = attachments.to_vec();
    w.report(&w.anon, n).await
}

async fn candidates(w: &World, id: i64) -> Vec<(i64, String)> {
    let street = w.street.clone();
    w.read(move |c, _| cases::possible_duplicates(c, &street, id))
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.id, d.reason))
        .collect()
}

/// Without coordinates a report is matched by place only: every unit of its
/// compound, or its own unit outside a compound; at most the 20 newest.
#[test]
fn duplicates_without_coordinates_are_matched_by_compound_or_unit() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let code = |u: &wangge_store::units::Unit| u.code.clone();
        let report = |unit: String| {
            let w = &w;
            async move {
                w.report(&w.anon, new_case("0101", &unit, "垃圾堆积"))
                    .await
                    .case
                    .id
            }
        };
        let in_compound = report(code(&w.t.compound_a)).await;
        let in_a1 = report(code(&w.t.building_a1)).await;
        let in_b1 = report(code(&w.t.building_b1)).await;
        let in_grid = report(code(&w.t.grid_a)).await;
        let in_comm = report(code(&w.t.comm_a)).await;
        let a2 = report(code(&w.t.building_a2)).await;
        let ids = |v: Vec<(i64, String)>| -> Vec<i64> {
            assert!(v.iter().all(|(_, r)| r == "same_compound"), "{v:?}");
            let mut ids: Vec<i64> = v.into_iter().map(|(id, _)| id).collect();
            ids.sort();
            ids
        };
        assert_eq!(ids(candidates(&w, a2).await), [in_compound, in_a1]);
        // Outside a compound only the same unit counts.
        let comm_again = report(code(&w.t.comm_a)).await;
        assert_eq!(ids(candidates(&w, comm_again).await), [in_comm]);
        assert_eq!(ids(candidates(&w, in_grid).await), Vec::<i64>::new());
        assert_eq!(ids(candidates(&w, in_b1).await), Vec::<i64>::new());

        // More than 20 in building A1, then three in A2: the next report is
        // flagged with the 20 newest of the compound, from both buildings.
        let mut earlier = vec![in_compound, in_a1, a2];
        for _ in 0..22 {
            earlier.push(report(code(&w.t.building_a1)).await);
        }
        for _ in 0..3 {
            earlier.push(report(code(&w.t.building_a2)).await);
        }
        let last = report(code(&w.t.building_a1)).await;
        earlier.sort();
        let newest: Vec<i64> = earlier[earlier.len() - 20..].to_vec();
        assert_eq!(ids(candidates(&w, last).await), newest);
    });
}

#[test]
fn duplicates_are_flagged_at_intake_and_merged_without_losing_anything() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let (a1, a2, b1) = (
            w.t.building_a1.code.clone(),
            w.t.building_a2.code.clone(),
            w.t.building_b1.code.clone(),
        );
        // Each report's photo is its own: the store links it to the case.
        let p = w.photos(&w.anon, 3).await;
        let a = near(&w, "0101", &a1, 35.2500, 115.4500, &[p[0]]).await;
        // Same compound, another building.
        let b = near(&w, "0101", &a2, 35.2600, 115.4600, &[p[1]]).await;
        // Another compound, 20 m away.
        let c = near(&w, "0101", &b1, 35.25018, 115.4500, &[p[2]]).await;
        // Same place, another category.
        let d = near(&w, "0504", &a1, 35.2500, 115.4500, &[]).await;
        assert_eq!(candidates(&w, a.case.id).await, []);
        assert_eq!(
            candidates(&w, b.case.id).await,
            [(a.case.id, "same_compound".to_string())]
        );
        assert_eq!(
            candidates(&w, c.case.id).await,
            [(a.case.id, "nearby".to_string())]
        );
        assert_eq!(candidates(&w, d.case.id).await, []);
        let street = w.street.clone();
        let cid = c.case.id;
        let dist = w
            .read(move |x, _| cases::possible_duplicates(x, &street, cid))
            .await
            .unwrap()[0]
            .distance_m
            .unwrap();
        assert!((dist - 20.0).abs() < 1.0, "{dist}");
        // The candidates a caller cannot see are not shown.
        let cadre_b = w.cadre_b.clone();
        let r = w
            .read(move |x, _| cases::possible_duplicates(x, &cadre_b, cid))
            .await
            .unwrap();
        assert!(r.is_empty());

        // Refusals first: nothing is written.
        let before = snapshot(&ts).await;
        let merge = |ctx: &wangge_store::Ctx, from: i64, into: i64, reason: &'static str| {
            let ctx = ctx.clone();
            w.write(move |x, cfg| cases::merge(x, &ctx, cfg, from, into, reason))
        };
        let e = refused(
            merge(&w.street, b.case.id, b.case.id, "同一问题").await,
            "same_case",
        );
        assert_eq!(field(&e), "into");
        let e = refused(
            merge(&w.street, b.case.id, a.case.id, " ").await,
            "required",
        );
        assert_eq!(field(&e), "reason");
        refused(
            merge(&w.grid_a, b.case.id, a.case.id, "同一问题").await,
            "role_not_allowed",
        );
        assert_not_found(merge(&w.cadre_b, b.case.id, a.case.id, "同一问题").await);
        unchanged(&before, &snapshot(&ts).await);

        // b is merged into a: accepted and closed as its duplicate, its attachments carried over.
        let survivor = merge(
            &w.street,
            b.case.id,
            a.case.id,
            "同一堆垃圾,已在1号楼案件办理",
        )
        .await
        .unwrap();
        assert_eq!(survivor.id, a.case.id);
        assert_eq!(survivor.attachments, vec![p[0], p[1]]);
        // The merge itself hands the photos over, in its own transaction.
        let owner = wangge_store::attachments::Owner::case(a.case.id);
        let linked = w
            .read(move |c, _| wangge_store::attachments::list_for(c, &owner))
            .await
            .unwrap();
        assert_eq!(
            linked.iter().map(|x| x.id).collect::<Vec<_>>(),
            [p[0], p[1]]
        );
        assert_eq!(survivor.state, CaseState::Reported);
        let merged = w.get(&w.street, b.case.id).await.unwrap();
        assert_eq!(merged.state, CaseState::Closed);
        assert_eq!(
            merged.close_kind,
            Some(CloseKind::Duplicate {
                of: Some(a.case.id)
            })
        );
        assert_eq!(merged.merged_into, Some(a.case.id));
        assert_eq!(merged.attachments, vec![p[1]]);
        let wording = merged.close_wording.unwrap();
        assert!(wording.zh.contains(&a.case.tracking_no), "{}", wording.zh);
        assert!(wording.en.contains(&a.case.tracking_no), "{}", wording.en);
        // Merging into a closed case is refused.
        refused(
            merge(&w.street, c.case.id, b.case.id, "同一问题").await,
            "merge_target_closed",
        );

        // Closing as a duplicate is a merge too.
        w.step(&w.street, c.case.id, Command::new(Action::Accept))
            .await;
        w.step(
            &w.street,
            c.case.id,
            Command::new(Action::Close).close_kind(CloseKind::Duplicate {
                of: Some(a.case.id),
            }),
        )
        .await;
        let survivor = w.get(&w.street, a.case.id).await.unwrap();
        assert_eq!(survivor.attachments, vec![p[0], p[1], p[2]]);

        let street = w.street.clone();
        let aid = a.case.id;
        let log: Vec<String> = w
            .read(move |x, _| cases::events(x, &street, aid))
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.action)
            .collect();
        assert_eq!(log, ["report", "merged_in", "merged_in"]);
        for id in [a.case.id, b.case.id, c.case.id] {
            check_replay(&w, id).await;
        }

        // b's reporter follows the surviving case with b's token.
        let (anon, token) = (w.anon.clone(), b.token.clone());
        let public = w
            .read(move |x, cfg| cases::public_view(x, &anon, cfg, &token))
            .await
            .unwrap();
        assert_eq!(
            public.merged_into.as_deref(),
            Some(a.case.tracking_no.as_str())
        );
        let surviving = public.surviving.unwrap();
        assert_eq!(surviving.tracking_no, a.case.tracking_no);
        assert!(surviving.description.is_none());
        assert!(surviving.can.is_empty());
        assert!(public.timeline.last().unwrap().zh.contains("同一问题"));

        // Once a is handled, b's reporter sees it there.
        w.dispatched(a.case.id, w.org_a).await;
        let (anon, token) = (w.anon.clone(), b.token.clone());
        let public = w
            .read(move |x, cfg| cases::public_view(x, &anon, cfg, &token))
            .await
            .unwrap();
        assert_eq!(public.surviving.unwrap().state, CaseState::Dispatched);
    });
}
