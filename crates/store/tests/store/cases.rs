//! The case engine: the whole lifecycle, scope, confidentiality, residents'
//! views, categories and routing, idempotent intake.

use crate::cases_fixture::*;
use crate::common::*;
use time::macros::datetime;
use wangge_core::auth::Role;
use wangge_core::cases::{Action, CaseState, CloseKind, Command};
use wangge_store::cases::{self, Idempotency, ListFilter, Source};
use wangge_store::Error;

fn ms(t: time::OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

async fn ids(w: &World, ctx: &wangge_store::Ctx) -> Vec<i64> {
    let ctx = ctx.clone();
    w.read(move |c, _| cases::list(c, &ctx, &ListFilter::default(), None, None))
        .await
        .unwrap()
        .items
        .iter()
        .map(|v| v.id)
        .collect()
}

async fn street_list(w: &World, f: ListFilter) -> Vec<i64> {
    let street = w.street.clone();
    w.read(move |c, _| cases::list(c, &street, &f, None, None))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|v| v.id)
        .collect()
}

/// Intake answers from the values it wrote; the answer must be what reading
/// the case back shows the same caller, field for field.
#[test]
fn a_report_answers_what_reading_it_back_shows() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let mut full = new_case(
            "0101",
            &w.t.building_a1.code,
            "  1号楼东侧垃圾三天没人清运 ",
        );
        full.reporter_name = Some("王小明".into());
        full.reporter_contact = Some("139 1234 5678".into());
        full.reporter_withheld = true;
        let p = w.photos(&w.street, 2).await;
        full.attachments = vec![p[0], p[1], p[0]];
        full.lat = Some(35.2501);
        full.lon = Some(115.4502);
        full.address_detail = Some(" 东侧车棚 ".into());
        full.source = Source::Staff;
        full.note = Some("巡查发现".into());
        let tip = new_case("0901", &w.t.building_a2.code, "2号楼底商有人放高利贷");
        let mine = new_case("0602", &w.t.compound_a.code, "小区没有电动车充电桩");
        for (ctx, new) in [(&w.street, full), (&w.street, tip), (&w.resident, mine)] {
            let created = w.report(ctx, new).await;
            let read = w.get(ctx, created.case.id).await.unwrap();
            assert_eq!(created.case, read);
        }
    });
}

#[test]
fn a_case_goes_from_report_to_rating() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        // Rubbish in compound A goes to its property company; elsewhere to the market office.
        let (admin, zone, comm_a) = (
            w.admin.clone(),
            w.t.zone.code.clone(),
            w.t.comm_a.code.clone(),
        );
        let (org_a, org_b) = (w.org_a, w.org_b);
        w.write(move |c, _| {
            cases::set_route(c, &admin, "0101", &zone, org_a)?;
            cases::set_route(c, &admin, "0101", &comm_a, org_b)
        })
        .await
        .unwrap();

        let mut new = new_case("0101", &w.t.building_a1.code, "1号楼东侧垃圾三天没人清运");
        new.reporter_name = Some("王小明".into());
        new.reporter_contact = Some("13912345678".into());
        let photo = w.photos(&w.anon, 1).await[0];
        new.attachments = vec![photo];
        new.lat = Some(35.2501);
        new.lon = Some(115.4502);
        let created = w.report(&w.anon, new).await;
        let id = created.case.id;
        assert!(created.token.starts_with("wgc_") && !created.replayed);
        let v = &created.case;
        assert_eq!(v.tracking_no, "WG-20261124-00001");
        assert_eq!((v.state, v.version), (CaseState::Reported, 1));
        assert_eq!(v.source, Source::Resident);
        assert_eq!(v.stage, Some(cases::Stage::Accept));
        // Reported Tuesday 18:00, after hours: two working hours from Wednesday 08:30.
        assert_eq!(v.due_at, Some(datetime!(2026-11-25 10:30 +8)));
        assert_eq!(v.warn_at, Some(datetime!(2026-11-25 10:06 +8)));
        assert!(v.reporter.anonymous);
        assert_eq!(v.attachments, vec![photo]);

        let street_at = at(&w.street, datetime!(2026-11-25 09:00 +8));
        let v = w.step(&street_at, id, Command::new(Action::Accept)).await;
        assert_eq!(
            (v.state, v.stage),
            (CaseState::Accepted, Some(cases::Stage::Dispatch))
        );
        // No lead organisation named: the most specific routing rule decides.
        let mut dispatch = Command::new(Action::Dispatch);
        dispatch.note = Some("内部备注:物业经理电话已告知".into());
        let v = w.step(&street_at, id, dispatch).await;
        assert_eq!(v.lead_org, Some(w.org_b));
        assert_eq!(v.lead_org_name.as_deref(), Some("华英物业"));
        assert_eq!(v.stage, Some(cases::Stage::Handle));
        // Two working days after Wednesday: Friday at close of office.
        assert_eq!(v.due_at, Some(datetime!(2026-11-27 17:30 +8)));

        let dept_at = at(&w.dept_b, datetime!(2026-11-25 14:00 +8));
        w.step(&dept_at, id, Command::new(Action::Start)).await;
        let evidence = w.photos(&dept_at, 2).await;
        // Another's photo is no evidence of this step, and the step is not taken.
        let theirs = w.photos(&w.dept_a, 1).await;
        let before = w.get(&w.system, id).await.unwrap();
        let refused = w
            .try_step(
                &dept_at,
                id,
                Some(before.version),
                Command::new(Action::Handle).evidence(&[evidence[0], theirs[0]]),
            )
            .await;
        assert!(
            matches!(&refused, Err(wangge_store::Error::Domain(e)) if e.code() == "attachment_unknown"),
            "{refused:?}"
        );
        assert_eq!(w.get(&w.system, id).await.unwrap(), before);
        let v = w
            .step(
                &dept_at,
                id,
                Command::new(Action::Handle).evidence(&evidence),
            )
            .await;
        assert_eq!(v.state, CaseState::Handled);
        assert_eq!(v.stage, None);
        assert_eq!(v.due_at, None);
        assert_eq!(v.attachments, vec![photo, evidence[0], evidence[1]]);
        // The step itself gave the photos to the case.
        let owner = wangge_store::attachments::Owner::case(id);
        let linked = w
            .read(move |c, _| wangge_store::attachments::list_for(c, &owner))
            .await
            .unwrap();
        assert_eq!(
            linked.iter().map(|a| a.id).collect::<Vec<_>>(),
            [photo, evidence[0], evidence[1]]
        );
        let grid_at = at(&w.grid_a, datetime!(2026-11-26 09:00 +8));
        w.step(&grid_at, id, Command::new(Action::Verify)).await;
        let v = w
            .step(
                &at(&w.street, datetime!(2026-11-26 10:00 +8)),
                id,
                Command::new(Action::Close).close_kind(CloseKind::Fixed),
            )
            .await;
        assert_eq!(v.state, CaseState::Closed);
        assert_eq!(v.close_kind, Some(CloseKind::Fixed));
        assert!(v.close_wording.as_ref().unwrap().zh.contains("已解决"));
        assert_eq!(v.closed_at, Some(datetime!(2026-11-26 10:00 +8)));

        // The reporter rates with the token and sees only the public timeline.
        let (anon, cfg_token) = (w.anon.clone(), created.token.clone());
        let public = w
            .write(move |c, cfg| {
                cases::transition_by_token(
                    c,
                    &anon,
                    cfg,
                    &cfg_token,
                    Command::new(Action::Rate).rating(5, Some("很快")),
                )
            })
            .await
            .unwrap();
        assert_eq!(public.state, CaseState::Rated);
        assert_eq!(public.rating, Some(5));
        let steps: Vec<CaseState> = public.timeline.iter().map(|s| s.state).collect();
        use CaseState::*;
        assert_eq!(
            steps,
            [Reported, Accepted, Dispatched, InProgress, Handled, Verified, Closed, Rated]
        );
        assert_eq!(public.timeline[6].zh, "问题已解决,案件已办结。");
        let json = serde_json::to_string(&public).unwrap();
        for secret in [
            "street_li",
            "dept_b",
            "grid_a",
            "内部备注",
            "华英物业",
            "王小明",
            "139",
        ] {
            assert!(
                !json.contains(secret),
                "the public view shows {secret}: {json}"
            );
        }
        assert!(public.can.contains(&Action::Reopen));

        // Staff see the whole log, which is the timeline.
        let street = w.street.clone();
        let log = w
            .read(move |c, _| cases::events(c, &street, id))
            .await
            .unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(
            actions,
            ["report", "accept", "dispatch", "start", "handle", "verify", "close", "rate"]
        );
        assert_eq!(log[2].note.as_deref(), Some("内部备注:物业经理电话已告知"));
        assert_eq!(log[3].actor, "dept_b");
        assert_eq!(log[7].actor_role.as_deref(), Some("reporter"));
        // Working minutes from Tuesday 18:00 to Thursday 10:00: Wednesday's 450 and 90.
        assert_eq!(log[6].handling_minutes, Some(540));
        check_replay(&w, id).await;

        let audit: Vec<String> = audit_of(&ts, "case", id)
            .await
            .into_iter()
            .map(|a| a.1)
            .collect();
        assert_eq!(
            audit,
            ["report", "accept", "dispatch", "start", "handle", "verify", "close", "rate"]
        );

        let sys = w.system.clone();
        let zone = w.t.zone.code.clone();
        let s = w
            .read(move |c, _| {
                cases::stats(
                    c,
                    &sys,
                    &zone,
                    ms(datetime!(2026-11-01 00:00 +8)),
                    ms(datetime!(2026-12-01 00:00 +8)),
                )
            })
            .await
            .unwrap();
        assert_eq!(
            (
                s.received,
                s.accepted,
                s.handled,
                s.closed,
                s.closed_on_time
            ),
            (1, 1, 1, 1, 1)
        );
        assert_eq!((s.rating_count, s.mean_rating), (1, Some(5.0)));
        assert_eq!(s.mean_handling_hours, Some(9.0));
        assert_eq!(
            (s.compounds, s.compounds_without_escalation),
            (Some(2), Some(2))
        );
    });
}

#[test]
fn a_department_sees_only_the_cases_it_works_on() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let dept_c = account(&ts, "dept_c", Role::DeptHandler, None, Some(w.org_c)).await;
        let x = w.rubbish().await.case.id;
        let y = w.rubbish().await.case.id;
        let z = w.rubbish().await.case.id;
        w.step(&w.street, x, Command::new(Action::Accept)).await;
        w.step(
            &w.street,
            x,
            Command::new(Action::Dispatch)
                .lead_org(w.org_a)
                .co_handlers(&[w.org_c]),
        )
        .await;
        w.dispatched(y, w.org_b).await;
        w.step(&w.street, z, Command::new(Action::Accept)).await;

        assert_eq!(ids(&w, &w.dept_a).await, [x]);
        assert_eq!(ids(&w, &w.dept_b).await, [y]);
        assert_eq!(ids(&w, &dept_c).await, [x]);
        assert_eq!(ids(&w, &w.street).await.len(), 3);
        assert_not_found(w.get(&w.dept_a, y).await);
        assert_not_found(w.get(&w.dept_a, z).await);
        assert_not_found(
            w.try_step(&w.dept_a, y, None, Command::new(Action::Start))
                .await,
        );

        // A co-handler sees the case but the lead organisation does the work.
        assert_eq!(w.get(&dept_c, x).await.unwrap().lead_org, Some(w.org_a));
        let e = refused(
            w.try_step(&dept_c, x, None, Command::new(Action::Start))
                .await,
            "not_lead_org",
        );
        assert!(messages(&e).contains("lead organisation"));

        let dept_a = w.dept_a.clone();
        let inbox = w
            .read(move |c, _| cases::inbox(c, &dept_a, None))
            .await
            .unwrap();
        assert_eq!(inbox.iter().map(|v| v.id).collect::<Vec<_>>(), [x]);

        // Sending it back: the department is told how it left the case, then loses sight of it.
        let v = w
            .step(
                &w.dept_a,
                x,
                Command::new(Action::SendBack).reason("不属于市场监管职责"),
            )
            .await;
        assert_eq!((v.state, v.lead_org), (CaseState::Accepted, None));
        assert_not_found(w.get(&w.dept_a, x).await);
        assert_not_found(w.get(&dept_c, x).await);
        assert!(ids(&w, &w.dept_a).await.is_empty());
        check_replay(&w, x).await;
    });
}

#[test]
fn a_unit_scope_hides_cases_outside_it() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let in_a = w.rubbish().await.case.id;
        let in_b = w
            .report(
                &w.anon,
                new_case("0504", &w.t.building_b1.code, "消防通道被占"),
            )
            .await
            .case
            .id;
        assert_not_found(w.get(&w.cadre_b, in_a).await);
        assert!(w.get(&w.cadre_b, in_b).await.is_ok());
        assert_not_found(
            w.try_step(&w.cadre_b, in_a, None, Command::new(Action::Verify))
                .await,
        );
        let cadre_b = w.cadre_b.clone();
        let listed = w
            .read(move |c, _| cases::list(c, &cadre_b, &ListFilter::default(), None, None))
            .await
            .unwrap();
        assert_eq!(
            listed.items.iter().map(|v| v.id).collect::<Vec<_>>(),
            [in_b]
        );
        // A filter naming a unit outside the scope is refused like an unknown unit.
        let (cadre_b, unit) = (w.cadre_b.clone(), w.t.comm_a.code.clone());
        let r = w
            .read(move |c, _| {
                let f = ListFilter {
                    unit: Some(unit),
                    ..Default::default()
                };
                cases::list(c, &cadre_b, &f, None, None)
            })
            .await;
        assert_eq!(field(&refused(r, "unknown_unit")), "unit");
        // Staff cannot report outside their scope either.
        let r = w
            .try_report(&w.cadre_b, new_case("0101", &w.t.building_a1.code, "垃圾"))
            .await;
        assert_eq!(field(&refused(r, "unknown_unit")), "unit");
        // Paging follows the inbox order across pages.
        for _ in 0..4 {
            w.rubbish().await;
        }
        let street = w.street.clone();
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (ctx, cur) = (street.clone(), cursor.clone());
            let page = w
                .read(move |c, _| {
                    cases::list(c, &ctx, &ListFilter::default(), cur.as_deref(), Some(2))
                })
                .await
                .unwrap();
            seen.extend(page.items.iter().map(|v| v.id));
            match page.next_cursor {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 6);
        assert_eq!(seen.len(), 6);
    });
}

#[test]
fn confidential_tips_and_withheld_names_hide_the_reporter() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let mut tip = new_case(
            "0901",
            &w.t.building_a2.code,
            "2号楼底商有人放高利贷、暴力催收",
        );
        tip.reporter_name = Some("赵敏".into());
        tip.reporter_contact = Some("138 1234 5678".into());
        let tip = w.report(&w.anon, tip).await.case;
        assert!(tip.confidential);

        // The street office reads tips (the default readers); the community
        // cadre, the grid worker and the auditor do not see them at all
        // (`cases_tips.rs` has the reader sets).
        let seen = w.get(&w.street, tip.id).await.unwrap().reporter;
        assert_eq!(seen.name.as_deref(), Some("赵敏"));
        assert_eq!(seen.contact.as_deref(), Some("138****5678"));
        for ctx in [&w.cadre_a, &w.grid_a, &w.auditor] {
            let r = w.get(ctx, tip.id).await;
            assert!(matches!(r, Err(Error::NotFound { .. })), "{}", ctx.actor);
        }
        let cadre = w.cadre_a.clone();
        let listed = w
            .read(move |c, _| cases::list(c, &cadre, &ListFilter::default(), None, None))
            .await
            .unwrap();
        assert!(listed.items.iter().all(|v| !v.confidential));
        // Only TipsRead may filter on confidentiality.
        let cadre = w.cadre_a.clone();
        let r = w
            .read(move |c, _| {
                let f = ListFilter {
                    confidential: Some(true),
                    ..Default::default()
                };
                cases::list(c, &cadre, &f, None, None)
            })
            .await;
        assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
        let street = w.street.clone();
        let tips = w
            .read(move |c, _| {
                let f = ListFilter {
                    confidential: Some(true),
                    ..Default::default()
                };
                cases::list(c, &street, &f, None, None)
            })
            .await
            .unwrap();
        assert_eq!(tips.items.len(), 1);

        // Nothing of the reporter is stored in clear.
        let dump = snapshot(&ts).await.join("\n");
        assert!(!dump.contains("赵敏") && !dump.contains("13812345678"));

        // Revealing in full: street staff with a reason (audited); the cadre may not.
        let (street, id) = (w.street.clone(), tip.id);
        let full = w
            .write(move |c, _| cases::reveal_reporter(c, &street, id, "回访举报人"))
            .await
            .unwrap();
        assert_eq!(full.contact.as_deref(), Some("13812345678"));
        let audit = audit_of(&ts, "case", id).await;
        assert_eq!(audit.last().unwrap().1, "reveal_reporter");
        assert!(!audit.last().unwrap().2.contains("1381234"));
        let cadre = w.cadre_a.clone();
        let r = w
            .write(move |c, _| cases::reveal_reporter(c, &cadre, id, "好奇"))
            .await;
        assert!(matches!(r, Err(Error::NotFound { .. })), "{r:?}");

        // A tip reported by a signed-in resident: their account is hidden in the log too.
        let mine = w
            .report(
                &w.resident,
                new_case("1001", &w.t.building_a1.code, "邻居去世两年仍在领养老金"),
            )
            .await
            .case;
        w.dispatched(mine.id, w.org_a).await;
        let dept = w.dept_a.clone();
        let log = w
            .read(move |c, _| cases::events(c, &dept, mine.id))
            .await
            .unwrap();
        assert_eq!(log[0].actor, "反映人");
        let street = w.street.clone();
        let log = w
            .read(move |c, _| cases::events(c, &street, mine.id))
            .await
            .unwrap();
        assert_eq!(log[0].actor, "resident_wang");
        assert!(w
            .get(&w.dept_a, mine.id)
            .await
            .unwrap()
            .reporter
            .user_id
            .is_none());

        // Withheld: the handling department does not see the name; the street does.
        let mut withheld = new_case("0604", &w.t.building_a1.code, "单元门禁坏了一个月");
        withheld.reporter_name = Some("钱多多".into());
        withheld.reporter_withheld = true;
        let id = w.report(&w.anon, withheld).await.case.id;
        w.dispatched(id, w.org_b).await;
        let r = w.get(&w.dept_b, id).await.unwrap().reporter;
        assert!(r.hidden && r.withheld && r.name.is_none());
        let r = w.get(&w.street, id).await.unwrap().reporter;
        assert_eq!(r.name.as_deref(), Some("钱多多"));
        // Auditors see names masked.
        let r = w.get(&w.auditor, id).await.unwrap().reporter;
        assert_eq!(r.name.as_deref(), Some("钱**"));
    });
}

#[test]
fn residents_follow_their_own_cases() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let others = w.rubbish().await;
        let mine = w
            .report(
                &w.resident,
                new_case("0602", &w.t.building_a2.code, "楼下没有电动车充电桩"),
            )
            .await;
        assert!(mine.case.reporter.user_id.is_some());
        let resident = w.resident.clone();
        let listed = w
            .read(move |c, _| cases::list(c, &resident, &ListFilter::default(), None, None))
            .await
            .unwrap();
        assert_eq!(
            listed.items.iter().map(|v| v.id).collect::<Vec<_>>(),
            [mine.case.id]
        );
        assert_not_found(w.get(&w.resident, others.case.id).await);
        let (resident, id) = (w.resident.clone(), mine.case.id);
        let r = w.read(move |c, _| cases::events(c, &resident, id)).await;
        assert!(matches!(r, Err(Error::Forbidden)), "{r:?}");
        let resident = w.resident.clone();
        let public = w
            .read(move |c, cfg| cases::public_view_of(c, &resident, cfg, id))
            .await
            .unwrap();
        assert_eq!(public.can, [Action::Withdraw, Action::Comment]);
        // The account is the reporter: it may withdraw without the token.
        let v = w
            .step(
                &w.resident,
                id,
                Command::new(Action::Withdraw).reason("已自行解决"),
            )
            .await;
        assert_eq!(v.state, CaseState::Withdrawn);
        // Another resident's token works only on that case; an unknown token finds nothing.
        let (anon, token) = (w.anon.clone(), others.token.clone());
        let r = w
            .read(move |c, cfg| cases::public_view(c, &anon, cfg, &token))
            .await
            .unwrap();
        assert_eq!(r.tracking_no, others.case.tracking_no);
        let anon = w.anon.clone();
        assert_not_found(
            w.read(move |c, cfg| cases::public_view(c, &anon, cfg, "wgc_nope"))
                .await,
        );
        check_replay(&w, id).await;
    });
}

#[test]
fn an_idempotency_key_replays_the_first_answer() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let mut new = new_case("0504", &w.t.building_a1.code, "小区门口车辆乱停");
        new.reporter_name = Some("周芷若".into());
        let key = Idempotency {
            key: "8d1c-0001".into(),
            principal: "public:203.0.113.9".into(),
            request_hash: cases::request_hash(&new),
        };
        let (anon, n1, k1) = (w.anon.clone(), new.clone(), key.clone());
        let first = w
            .write(move |c, cfg| cases::create(c, &anon, cfg, n1, Some(&k1)))
            .await
            .unwrap();
        assert!(!first.replayed);
        let before = snapshot(&ts).await;
        let (anon, n2, k2) = (w.anon.clone(), new.clone(), key.clone());
        let again = w
            .write(move |c, cfg| cases::create(c, &anon, cfg, n2, Some(&k2)))
            .await
            .unwrap();
        assert!(again.replayed);
        assert_eq!(again.case, first.case);
        assert_eq!(again.token, first.token);
        unchanged(&before, &snapshot(&ts).await);
        assert_eq!(count(&ts, "cases").await, 1);
        // The same key from another principal is another request.
        let (anon, n3) = (w.anon.clone(), new.clone());
        let mut k3 = key.clone();
        k3.principal = "user:resident_wang".into();
        let other = w
            .write(move |c, cfg| cases::create(c, &anon, cfg, n3, Some(&k3)))
            .await
            .unwrap();
        assert_ne!(other.case.id, first.case.id);
        // The stored answer holds no token in clear.
        let token = first.token.clone();
        let stored: Vec<String> = ts
            .db
            .read(|c| {
                c.query("SELECT response FROM idempotency_keys", &[])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect()
            })
            .await
            .unwrap();
        assert!(stored.iter().all(|s| !s.contains(&token)));
        // Nor the reporter's name, anywhere; yet the replay carries both.
        assert!(!snapshot(&ts).await.join("\n").contains("周芷若"));
        assert_eq!(again.case.reporter.name.as_deref(), Some("周芷若"));
    });
}

#[test]
fn lists_filter_by_state_category_source_text_and_order() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let rubbish = w.rubbish().await.case;
        let mut hotline = new_case("0504", &w.t.building_a2.code, "小区门口车辆堵住消防通道");
        hotline.source = Source::Hotline;
        let parking = w.report(&w.street, hotline).await.case;
        let tip = w
            .report(
                &w.anon,
                new_case("0901", &w.t.building_b1.code, "有人聚众赌博"),
            )
            .await
            .case;
        w.step(&w.street, tip.id, Command::new(Action::Accept))
            .await;
        let list = |f: ListFilter| street_list(&w, f);
        let f = ListFilter {
            states: vec![CaseState::Reported],
            ..Default::default()
        };
        assert_eq!(list(f).await, [rubbish.id, parking.id]);
        let f = ListFilter {
            category: Some("05".into()),
            ..Default::default()
        };
        assert_eq!(list(f).await, [parking.id]);
        let f = ListFilter {
            category: Some("0101".into()),
            ..Default::default()
        };
        assert_eq!(list(f).await, [rubbish.id]);
        let f = ListFilter {
            source: Some(Source::Hotline),
            ..Default::default()
        };
        assert_eq!(list(f).await, [parking.id]);
        let f = ListFilter {
            text: Some("消防通道".into()),
            ..Default::default()
        };
        assert_eq!(list(f).await, [parking.id]);
        let f = ListFilter {
            text: Some(tip.tracking_no.to_lowercase()),
            ..Default::default()
        };
        assert_eq!(list(f).await, [tip.id]);
        let f = ListFilter {
            unit: Some(w.t.comm_b.code.clone()),
            ..Default::default()
        };
        assert_eq!(list(f).await, [tip.id]);
        let f = ListFilter {
            order: cases::Order::Newest,
            ..Default::default()
        };
        assert_eq!(list(f).await, [tip.id, parking.id, rubbish.id]);
        let f = ListFilter {
            overdue: Some(true),
            ..Default::default()
        };
        assert!(list(f).await.is_empty());
        // The street's inbox: reports to accept, the accepted tip to dispatch.
        let street = w.street.clone();
        let inbox = w
            .read(move |c, _| cases::inbox(c, &street, None))
            .await
            .unwrap();
        assert_eq!(inbox.len(), 3);
        let grid = w.grid_a.clone();
        let inbox = w
            .read(move |c, _| cases::inbox(c, &grid, None))
            .await
            .unwrap();
        assert!(inbox.is_empty());
        // What each may do next.
        let (street, id) = (w.street.clone(), tip.id);
        let next = w
            .read(move |c, cfg| cases::next_steps(c, &street, cfg, id))
            .await
            .unwrap();
        assert!(next.contains(&Action::Dispatch) && next.contains(&Action::Supervise));
        assert!(!next.contains(&Action::Accept));
    });
}

#[test]
fn a_key_rotation_reseals_the_reporters_details() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let mut n = new_case("0101", &w.t.building_a1.code, "楼道堆放杂物");
        n.reporter_name = Some("孙悟空".into());
        n.reporter_contact = Some("13700001111".into());
        let key = Idempotency {
            key: "rotate-1".into(),
            principal: "public:x".into(),
            request_hash: cases::request_hash(&n),
        };
        let (anon, n1, k1) = (w.anon.clone(), n.clone(), key.clone());
        let first = w
            .write(move |c, cfg| cases::create(c, &anon, cfg, n1, Some(&k1)))
            .await
            .unwrap();
        w.rubbish().await;
        let path = ts.opts.key_path();
        wangge_store::crypto::add_key(&path, &wangge_store::crypto::new_key().unwrap()).unwrap();
        w.system.keys().reload().unwrap();
        let (mut after, mut total) = (0, 0);
        loop {
            let sys = w.system.clone();
            let (last, n) = w
                .write(move |c, _| cases::reseal(c, &sys, after, 1))
                .await
                .unwrap();
            total += n;
            match last {
                Some(l) => after = l,
                None => break,
            }
        }
        // The name, the contact and the kept token.
        assert_eq!(total, 3);
        wangge_store::crypto::drop_old_keys(&path).unwrap();
        w.system.keys().reload().unwrap();
        let v = w.get(&w.street, first.case.id).await.unwrap();
        assert_eq!(v.reporter.name.as_deref(), Some("孙悟空"));
        let (anon, k1) = (w.anon.clone(), key.clone());
        let again = w
            .write(move |c, cfg| cases::create(c, &anon, cfg, n, Some(&k1)))
            .await
            .unwrap();
        assert_eq!(again.token, first.token);
        let street = w.street.clone();
        let r = w.write(move |c, _| cases::reseal(c, &street, 0, 10)).await;
        assert!(matches!(r, Err(Error::Forbidden)));
    });
}

#[test]
fn a_moved_unit_takes_its_cases_along() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let id = w
            .report(
                &w.anon,
                new_case("0504", &w.t.building_b1.code, "楼下乱停车"),
            )
            .await
            .case
            .id;
        assert!(w.get(&w.cadre_b, id).await.is_ok());
        assert_not_found(w.get(&w.cadre_a, id).await);
        let (sys, from, to) = (
            w.system.clone(),
            w.t.compound_b.code.clone(),
            w.t.comm_a.code.clone(),
        );
        ts.db
            .write(move |c| wangge_store::units::move_to(c, &sys, &from, &to))
            .await
            .unwrap();
        // Scope follows the unit at once.
        assert!(w.get(&w.cadre_a, id).await.is_ok());
        assert_not_found(w.get(&w.cadre_b, id).await);
        let period = (
            ms(datetime!(2026-11-01 00:00 +8)),
            ms(datetime!(2026-12-01 00:00 +8)),
        );
        let wr = &w;
        let received = |code: String| {
            let sys = wr.system.clone();
            async move {
                wr.read(move |c, _| cases::stats(c, &sys, &code, period.0, period.1))
                    .await
                    .unwrap()
                    .received
            }
        };
        // The move recounted: past cases now count under the new parent at once.
        assert_eq!(received(w.t.comm_a.code.clone()).await, 1);
        assert_eq!(received(w.t.comm_b.code.clone()).await, 0);
        // And a rebuild from the log agrees.
        let sys = w.system.clone();
        w.write(move |c, _| cases::rebuild_counters(c, &sys))
            .await
            .unwrap();
        assert_eq!(received(w.t.comm_a.code.clone()).await, 1);
        assert_eq!(received(w.t.comm_b.code.clone()).await, 0);
    });
}
