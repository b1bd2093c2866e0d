//! Bad input to the case engine: each refusal has its code (and field), a
//! refused step names the steps that are open, and nothing is written.

use crate::cases_fixture::*;
use crate::common::*;
use time::macros::datetime;
use wangge_core::cases::{Action, CaseState, Command};
use wangge_store::cases::{self, Idempotency, NewCase, Source, MAX_DESCRIPTION};

#[test]
fn a_step_that_is_not_open_names_the_steps_that_are() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let id = w.rubbish().await.case.id;
        let before = snapshot(&ts).await;

        // Right role, wrong moment.
        let e = refused(
            w.try_step(&w.street, id, Some(1), Command::new(Action::Start))
                .await,
            "transition_not_allowed",
        );
        let m = messages(&e);
        assert!(m.contains("you can now: accept, reject"), "{m}");
        assert!(m.contains("你现在可以:立案、不予立案"), "{m}");

        // Not this role's step.
        let e = refused(
            w.try_step(&w.grid_a, id, Some(1), Command::new(Action::Accept))
                .await,
            "role_not_allowed",
        );
        let m = messages(&e);
        assert!(m.contains("zone_admin, street_staff"), "{m}");
        assert!(
            m.contains("there is nothing you can do on this case now"),
            "{m}"
        );

        // Auditors read; they take no step.
        refused(
            w.try_step(&w.auditor, id, Some(1), Command::new(Action::Accept))
                .await,
            "role_not_allowed",
        );
        unchanged(&before, &snapshot(&ts).await);
        // The token holder cannot accept their own report.
        let (anon, token) = (w.anon.clone(), w.rubbish().await.token);
        let before_token = snapshot(&ts).await;
        let r = w
            .write(move |c, cfg| {
                cases::transition_by_token(c, &anon, cfg, &token, Command::new(Action::Accept))
            })
            .await;
        let m = messages(&refused(r, "role_not_allowed"));
        assert!(m.contains("withdraw"), "{m}");
        unchanged(&before_token, &snapshot(&ts).await);
    });
}

#[test]
fn a_step_missing_what_it_needs_is_refused() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let id = w.rubbish().await.case.id;
        let before = snapshot(&ts).await;
        let e = refused(
            w.try_step(&w.street, id, Some(1), Command::new(Action::Reject))
                .await,
            "required",
        );
        assert_eq!(field(&e), "reason");
        let e = refused(
            w.try_step(
                &w.street,
                id,
                Some(1),
                Command::new(Action::Reject).reason("   "),
            )
            .await,
            "required",
        );
        assert_eq!(field(&e), "reason");
        unchanged(&before, &snapshot(&ts).await);

        w.dispatched(id, w.org_a).await;
        w.step(&w.dept_a, id, Command::new(Action::Start)).await;
        let before = snapshot(&ts).await;
        let v = w.get(&w.dept_a, id).await.unwrap().version;
        let e = refused(
            w.try_step(&w.dept_a, id, Some(v), Command::new(Action::Handle))
                .await,
            "required",
        );
        assert_eq!(field(&e), "evidence");
        assert!(messages(&e).contains("evidence"));
        // Dispatching to an organisation that does not exist.
        let e = refused(
            w.try_step(
                &w.street,
                id,
                Some(v),
                Command::new(Action::Reassign).lead_org(9999).reason("改派"),
            )
            .await,
            "unknown_organisation",
        );
        assert_eq!(field(&e), "lead_org");
        // Closing as a duplicate of itself, or of a case that does not exist.
        for (of, code) in [(id, "same_case"), (9999, "unknown_case")] {
            let cmd = Command::new(Action::Close)
                .close_kind(wangge_core::cases::CloseKind::Duplicate { of: Some(of) });
            let e = refused(w.try_step(&w.street, id, Some(v), cmd).await, code);
            assert_eq!(field(&e), "close_kind.of");
        }
        unchanged(&before, &snapshot(&ts).await);
    });
}

#[test]
fn a_stale_version_says_what_changed_since() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let id = w.rubbish().await.case.id;
        w.try_step(&w.street, id, Some(1), Command::new(Action::Accept))
            .await
            .unwrap();
        w.try_step(
            &w.street,
            id,
            Some(2),
            Command::new(Action::Dispatch).lead_org(w.org_a),
        )
        .await
        .unwrap();
        let before = snapshot(&ts).await;
        // Someone who looked at version 1 tries to reject it.
        let e = refused(
            w.try_step(
                &w.street,
                id,
                Some(1),
                Command::new(Action::Reject).reason("重复"),
            )
            .await,
            "stale_version",
        );
        let m = messages(&e);
        assert!(
            m.contains("since version 1 (now version 3): accept, dispatch"),
            "{m}"
        );
        assert!(m.contains("立案、派遣"), "{m}");
        // A version from the future is stale too.
        refused(
            w.try_step(
                &w.street,
                id,
                Some(7),
                Command::new(Action::Supervise).reason("催办"),
            )
            .await,
            "stale_version",
        );
        unchanged(&before, &snapshot(&ts).await);
        assert_eq!(
            w.get(&w.street, id).await.unwrap().state,
            CaseState::Dispatched
        );
    });
}

#[test]
fn bad_reports_are_refused_and_write_nothing() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let good = || new_case("0101", &w.t.building_a1.code, "垃圾没人清运");
        let with = |f: &dyn Fn(&mut NewCase)| {
            let mut n = good();
            f(&mut n);
            n
        };
        let cases: Vec<(NewCase, &str, &str)> = vec![
            (
                with(&|n| n.category = "9999".into()),
                "unknown_category",
                "category",
            ),
            (
                with(&|n| n.category = "".into()),
                "unknown_category",
                "category",
            ),
            (
                with(&|n| n.category = "01".into()),
                "category_not_minor",
                "category",
            ),
            (
                with(&|n| n.unit = "371799999999".into()),
                "unknown_unit",
                "unit",
            ),
            (
                with(&|n| n.description = "  ".into()),
                "required",
                "description",
            ),
            (
                with(&|n| n.description = "臭".repeat(MAX_DESCRIPTION + 1)),
                "too_long",
                "description",
            ),
            (
                with(&|n| n.description = "a\u{7}b".into()),
                "control_character",
                "description",
            ),
            (
                with(&|n| {
                    n.lat = Some(91.0);
                    n.lon = Some(115.0);
                }),
                "coordinates_range",
                "lat",
            ),
            (
                with(&|n| {
                    n.lat = Some(35.0);
                    n.lon = Some(-180.5);
                }),
                "coordinates_range",
                "lon",
            ),
            (
                with(&|n| {
                    n.lat = Some(f64::NAN);
                    n.lon = Some(115.0);
                }),
                "coordinates_range",
                "lat",
            ),
            (with(&|n| n.lat = Some(35.0)), "coordinates_pair", "lon"),
            (
                with(&|n| n.reported_at = Some(datetime!(2026-11-25 09:00 +8))),
                "in_future",
                "reported_at",
            ),
            (
                with(&|n| n.reporter_contact = Some("12345".into())),
                "phone_format",
                "reporter_contact",
            ),
            (
                with(&|n| n.attachments = vec![0]),
                "invalid_id",
                "attachments",
            ),
            (
                with(&|n| {
                    n.fields.insert("colour".into(), "red".into());
                }),
                "unknown_field",
                "fields.colour",
            ),
            // A meeting's key task is staff's own: not for residents.
            (
                with(&|n| n.category = "1201".into()),
                "internal_category",
                "category",
            ),
            (
                with(&|n| n.source = Source::Hotline),
                "source_not_allowed",
                "source",
            ),
        ];
        let before = snapshot(&ts).await;
        for (new, code, f) in cases {
            let e = refused(w.try_report(&w.anon, new).await, code);
            assert_eq!(field(&e), f, "{code}");
        }
        // Auditors do not report.
        refused(w.try_report(&w.auditor, good()).await, "role_not_allowed");
        // Staff file one, and it must say which meeting.
        let task = with(&|n| {
            n.category = "1201".into();
            n.source = Source::Staff;
        });
        let e = refused(w.try_report(&w.street, task).await, "required");
        assert_eq!(field(&e), "fields.meeting");
        unchanged(&before, &snapshot(&ts).await);
        // The boundaries themselves are fine.
        let mut edge = good();
        edge.description = "臭".repeat(MAX_DESCRIPTION);
        edge.lat = Some(-90.0);
        edge.lon = Some(180.0);
        edge.reported_at = Some(datetime!(2026-11-24 17:00 +8));
        let v = w.report(&w.anon, edge).await.case;
        // The first deadline counts from the report time given.
        assert_eq!(v.reported_at, datetime!(2026-11-24 17:00 +8));
        assert_eq!(v.due_at, Some(datetime!(2026-11-25 10:00 +8)));
    });
}

#[test]
fn the_same_idempotency_key_with_another_body_is_refused() {
    on_each_backend(|ts| async move {
        let w = world(&ts).await;
        let first = new_case("0504", &w.t.building_a1.code, "门口乱停车");
        let key = Idempotency {
            key: "retry-42".into(),
            principal: "public:198.51.100.7".into(),
            request_hash: cases::request_hash(&first),
        };
        let (anon, k) = (w.anon.clone(), key.clone());
        w.write(move |c, cfg| cases::create(c, &anon, cfg, first, Some(&k)))
            .await
            .unwrap();
        let before = snapshot(&ts).await;
        let second = new_case("0504", &w.t.building_a1.code, "门口乱停车,堵住了消防通道");
        let mut k = key.clone();
        k.request_hash = cases::request_hash(&second);
        let anon = w.anon.clone();
        let e = refused(
            w.write(move |c, cfg| cases::create(c, &anon, cfg, second, Some(&k)))
                .await,
            "idempotency_key_reused",
        );
        assert_eq!(field(&e), "Idempotency-Key");
        // A key that is no key.
        let mut k = key.clone();
        k.key = String::new();
        let (anon, n) = (w.anon.clone(), new_case("0504", &w.t.building_a1.code, "x"));
        refused(
            w.write(move |c, cfg| cases::create(c, &anon, cfg, n, Some(&k)))
                .await,
            "idempotency_key",
        );
        unchanged(&before, &snapshot(&ts).await);
    });
}
