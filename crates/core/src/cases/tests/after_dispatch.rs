//! Cases after dispatch: rework, escalation, suspension, closing, rating and
//! reopening.

use super::*;

#[test]
fn verification_can_send_the_work_back() {
    let mut run = Run::handled(REPORTER);
    assert_eq!(
        run.err(GRID, Command::new(Action::Return)).code(),
        "required"
    );
    run.ok(CADRE, Command::new(Action::Return).reason("路面仍有坑洼"));
    assert_eq!(
        (run.case.state, run.case.rework_count),
        (CaseState::InProgress, 1)
    );
    assert!(run.case.evidence.is_empty());
    assert!(!run.case.escalation_due(&run.policy));
    run.ok(DEPT_A, Command::new(Action::Handle).evidence(&[101]));
    run.ok(GRID, Command::new(Action::Return).reason("仍未修好"));
    assert!(run.case.escalation_due(&run.policy));
    run.ok(ADMIN, Command::new(Action::Supervise).reason("两次返工"));
    assert!(!run.case.escalation_due(&run.policy));
    assert_eq!(
        run.err(ADMIN, Command::new(Action::Supervise).reason("again"))
            .code(),
        "transition_not_allowed"
    );
}

#[test]
fn the_joint_meeting_takes_several_departments_or_repeated_rework() {
    let mut run = Run::dispatched(REPORTER);
    let e = run.err(STREET, Command::new(Action::ToJointMeeting).reason("r"));
    assert_eq!(e.code(), "joint_meeting_not_warranted");
    assert_eq!(
        run.err(STREET, Command::new(Action::ToJointMeeting).orgs(&[10, 11]))
            .code(),
        "required"
    );
    run.ok(
        STREET,
        Command::new(Action::ToJointMeeting)
            .reason("需多部门")
            .orgs(&[10, 11]),
    );
    assert!(run.case.at_joint_meeting);
    // The meeting decides who leads; the reassignment takes it off the agenda.
    run.ok(
        STREET,
        Command::new(Action::Reassign)
            .lead_org(11)
            .co_handlers(&[10])
            .reason("联席会议决定"),
    );
    assert!(!run.case.at_joint_meeting);
    // With two departments already on it, no list is needed.
    run.ok(STREET, Command::new(Action::ToJointMeeting).reason("协调"));

    let mut run = Run::handled(REPORTER);
    run.ok(GRID, Command::new(Action::Return).reason("1"));
    run.ok(DEPT_A, Command::new(Action::Handle).evidence(&[1]));
    run.ok(GRID, Command::new(Action::Return).reason("2"));
    run.ok(
        STREET,
        Command::new(Action::ToJointMeeting).reason("反复返工"),
    );
}

#[test]
fn suspension_is_requested_approved_and_resumed() {
    let mut run = Run::dispatched(REPORTER);
    assert_eq!(
        run.err(DEPT_A, Command::new(Action::RequestSuspension))
            .code(),
        "required"
    );
    assert_eq!(
        run.err(DEPT_A, Command::new(Action::Suspend).reason("x"))
            .code(),
        "role_not_allowed"
    );
    assert_eq!(
        run.err(STREET, Command::new(Action::Suspend)).code(),
        "required"
    );
    run.ok(
        DEPT_A,
        Command::new(Action::RequestSuspension).reason("等待上级批复"),
    );
    assert_eq!(
        run.err(
            DEPT_A,
            Command::new(Action::RequestSuspension).reason("again")
        )
        .code(),
        "transition_not_allowed"
    );
    run.ok(
        STREET,
        Command::new(Action::DenySuspension).reason("可先行处置"),
    );
    run.ok(
        DEPT_A,
        Command::new(Action::RequestSuspension).reason("等待上级批复"),
    );
    let e = run.ok(STREET, Command::new(Action::Suspend)).clone();
    assert_eq!(e.command.reason.as_deref(), Some("等待上级批复"));
    assert!(run.case.is_suspended());

    let e = run.err(DEPT_A, Command::new(Action::Handle).evidence(&[1]));
    let (code, zh, en, _) = parts(&e);
    assert_eq!(code, "transition_not_allowed");
    assert!(zh.contains("案件已挂起,请先恢复"), "{zh}");
    assert!(en.ends_with("you can now: resume"), "{en}");
    run.ok(ADMIN, Command::new(Action::Supervise).reason("督办"));
    run.ok(DEPT_A, Command::new(Action::Resume));
    assert!(!run.case.is_suspended());
    let s = &run.case.suspensions[0];
    assert!(s.until.unwrap() > s.from);
    assert_eq!(
        run.err(STREET, Command::new(Action::Resume)).code(),
        "transition_not_allowed"
    );
}

#[test]
fn every_close_says_how_it_closed() {
    let run = Run::handled(REPORTER);
    let e = run.err(STREET, Command::new(Action::Close));
    assert_eq!(
        (e.code(), parts(&e).3.as_deref()),
        ("required", Some("close_kind"))
    );
    let e = run.err(
        STREET,
        Command::new(Action::Close).close_kind(CloseKind::Fixed),
    );
    assert_eq!(e.code(), "close_kind_not_allowed");
    assert!(
        e.to_string()
            .contains("only a verified case can be closed as fixed"),
        "{e}"
    );

    let mut run = Run::handled(REPORTER);
    run.ok(GRID, Command::new(Action::Verify));
    let e = run.err(
        STREET,
        Command::new(Action::Close).close_kind(CloseKind::CannotFix { reason: None }),
    );
    assert_eq!(parts(&e).3.as_deref(), Some("close_kind.reason"));
    run.ok(
        STREET,
        Command::new(Action::Close).close_kind(CloseKind::CannotFix {
            reason: Some("产权不明".into()),
        }),
    );
    assert_eq!(run.case.state, CaseState::Closed);

    // A duplicate can be closed as soon as it is accepted.
    let mut run = Run::new(REPORTER);
    run.ok(STREET, Command::new(Action::Accept));
    let e = run.err(
        STREET,
        Command::new(Action::Close).close_kind(CloseKind::Duplicate { of: None }),
    );
    assert_eq!(parts(&e).3.as_deref(), Some("close_kind.of"));
    run.ok(
        STREET,
        Command::new(Action::Close).close_kind(CloseKind::Duplicate { of: Some(42) }),
    );
    assert_eq!(
        run.case.close_kind,
        Some(CloseKind::Duplicate { of: Some(42) })
    );
}

#[test]
fn not_responsible_hands_the_case_on_instead_of_dropping_it() {
    let mut run = Run::new(REPORTER);
    run.ok(STREET, Command::new(Action::Accept));
    let kind = |org| CloseKind::NotResponsible { reassign_to: org };
    assert_eq!(
        run.err(
            STREET,
            Command::new(Action::Close).close_kind(kind(Some(11)))
        )
        .code(),
        "close_kind_not_allowed"
    );
    run.ok(
        STREET,
        Command::new(Action::Dispatch)
            .lead_org(10)
            .co_handlers(&[12]),
    );
    let e = run.err(STREET, Command::new(Action::Close).close_kind(kind(None)));
    assert_eq!(parts(&e).3.as_deref(), Some("close_kind.reassign_to"));
    assert_eq!(
        run.err(
            STREET,
            Command::new(Action::Close).close_kind(kind(Some(10)))
        )
        .code(),
        "same_org"
    );
    let e = run
        .ok(
            STREET,
            Command::new(Action::Close).close_kind(kind(Some(11))),
        )
        .clone();
    assert_eq!(e.to, CaseState::Dispatched);
    assert_eq!(run.case.lead_org, Some(11));
    assert!(run.case.co_handlers.is_empty());
    assert_eq!(run.case.close_kind, None);
}

#[test]
fn rating_is_one_to_five_and_only_by_the_reporter() {
    let mut run = Run::closed(REPORTER);
    assert_eq!(
        run.err(REPORTER, Command::new(Action::Rate)).code(),
        "required"
    );
    for bad in [0, 6] {
        assert_eq!(
            run.err(REPORTER, Command::new(Action::Rate).rating(bad, None))
                .code(),
            "rating_range"
        );
    }
    assert_eq!(
        run.err(OTHER_RESIDENT, Command::new(Action::Rate).rating(5, None))
            .code(),
        "not_reporter"
    );
    assert_eq!(
        run.err(STREET, Command::new(Action::Rate).rating(5, None))
            .code(),
        "not_reporter"
    );
    run.ok(REPORTER, Command::new(Action::Rate).rating(2, None));
    assert_eq!(
        run.err(REPORTER, Command::new(Action::Rate).rating(3, None))
            .code(),
        "transition_not_allowed"
    );
}

#[test]
fn the_reporter_reopens_within_the_window() {
    let mut run = Run::closed(Actor::CaseToken);
    run.ok(
        Actor::CaseToken,
        Command::new(Action::Rate).rating(1, Some("没修好")),
    );
    assert_eq!(
        run.err(Actor::CaseToken, Command::new(Action::Reopen))
            .code(),
        "required"
    );
    assert_eq!(
        run.err(REPORTER, Command::new(Action::Reopen).reason("x"))
            .code(),
        "not_reporter"
    );
    run.ok(
        Actor::CaseToken,
        Command::new(Action::Reopen).reason("还是漏水"),
    );
    let c = &run.case;
    assert_eq!(
        (c.state, c.reopen_count, c.lead_org),
        (CaseState::Accepted, 1, None)
    );
    assert_eq!(
        (c.rating.as_ref(), c.close_kind.as_ref(), c.closed_at),
        (None, None, None)
    );

    let mut run = Run::closed(REPORTER);
    run.now = run.case.closed_at.unwrap() + Duration::days(7);
    assert!(run.allowed(REPORTER).contains(&Action::Reopen));
    run.now += Duration::hours(2);
    let e = run.err(REPORTER, Command::new(Action::Reopen).reason("x"));
    assert_eq!(e.code(), "reopen_window_passed");
    assert!(e.to_string().contains("you can now: rate"), "{e}");
    run.policy.reopen_days = 30;
    run.ok(REPORTER, Command::new(Action::Reopen).reason("x"));
}
