//! 自行处置: staff who reported a problem they dealt with there and then close
//! it in one step, with a note and photos.

use super::*;

fn on_spot(note: Option<&str>, evidence: &[i64]) -> Command {
    let mut c = Command::new(Action::ResolveOnSpot).evidence(evidence);
    c.note = note.map(str::to_string);
    c
}

#[test]
fn the_grid_worker_who_reported_closes_it_as_fixed_with_the_evidence() {
    let mut run = Run::new(GRID);
    assert!(run.allowed(GRID).contains(&Action::ResolveOnSpot));
    let at = run.now;
    let e = run.ok(GRID, on_spot(Some("  已清理堆放的杂物 "), &[100, 101, 100]));
    assert_eq!(
        (e.from, e.to),
        (Some(CaseState::Reported), CaseState::Closed)
    );
    assert_eq!(e.command.note.as_deref(), Some("已清理堆放的杂物"));
    assert_eq!(e.command.evidence, [100, 101]);
    let case = &run.case;
    assert_eq!(case.state, CaseState::Closed);
    assert_eq!(case.close_kind, Some(CloseKind::Fixed));
    assert_eq!(case.closed_at, Some(at));
    assert_eq!(case.evidence, [100, 101]);
    assert_eq!(case.lead_org, None);
    // Closed like any other case: its reporter may still rate or reopen it.
    assert!(run.allowed(GRID).contains(&Action::Reopen));
}

#[test]
fn every_checking_role_may_resolve_its_own_report() {
    for actor in [ADMIN, STREET, CADRE, GRID] {
        let mut run = Run::new(actor);
        run.ok(actor, on_spot(Some("现场处置"), &[100]));
        assert_eq!(run.case.state, CaseState::Closed, "{actor:?}");
    }
}

#[test]
fn a_resident_a_department_and_the_token_may_not() {
    for reporter in [REPORTER, DEPT_A] {
        let run = Run::new(reporter);
        assert!(!run.allowed(reporter).contains(&Action::ResolveOnSpot));
        let (code, zh, en, _) = parts(&run.err(reporter, on_spot(Some("修好了"), &[100])));
        assert_eq!(code, "role_not_allowed", "{reporter:?}");
        assert!(zh.contains("不能自行处置"), "{zh}");
        assert!(en.contains("resolve_on_spot"), "{en}");
    }
    let run = Run::new(Actor::CaseToken);
    let e = run.err(Actor::CaseToken, on_spot(Some("修好了"), &[100]));
    assert_eq!(e.code(), "role_not_allowed");
}

#[test]
fn only_the_staff_member_who_reported_it() {
    let run = Run::new(GRID);
    for other in [CADRE, STREET] {
        assert!(!run.allowed(other).contains(&Action::ResolveOnSpot));
        let (code, zh, en, _) = parts(&run.err(other, on_spot(Some("修好了"), &[100])));
        assert_eq!(code, "not_reporter");
        assert!(zh.contains("上报本案的人员本人"), "{zh}");
        assert!(en.contains("who reported the case"), "{en}");
    }
    // A resident's report always goes through acceptance and checking.
    let run = Run::new(REPORTER);
    assert_eq!(
        run.err(GRID, on_spot(Some("修好了"), &[100])).code(),
        "not_reporter"
    );
}

#[test]
fn only_from_reported() {
    let mut run = Run::new(GRID);
    run.ok(STREET, Command::new(Action::Accept));
    let (code, zh, _, _) = parts(&run.err(GRID, on_spot(Some("修好了"), &[100])));
    assert_eq!(code, "transition_not_allowed");
    assert!(zh.contains("不能自行处置"), "{zh}");
    // Nor can a new case be resolved before it is reported.
    let e = decide(
        &Case::default(),
        &on_spot(Some("修好了"), &[100]),
        &GRID,
        start_time(),
        &Policy::default(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "transition_not_allowed");
}

#[test]
fn it_needs_a_note_and_photos() {
    let run = Run::new(GRID);
    let (code, zh, en, field) = parts(&run.err(GRID, on_spot(None, &[100])));
    assert_eq!((code, field.as_deref()), ("required", Some("note")));
    assert_eq!(zh, "自行处置须填写处置说明");
    assert!(en.contains("a note on what was done"), "{en}");
    let (_, _, _, field) = parts(&run.err(GRID, on_spot(Some("   "), &[100])));
    assert_eq!(field.as_deref(), Some("note"));
    let (code, zh, en, field) = parts(&run.err(GRID, on_spot(Some("修好了"), &[])));
    assert_eq!((code, field.as_deref()), ("required", Some("evidence")));
    assert_eq!(zh, "自行处置须填写现场处置后的照片");
    assert!(en.contains("photos"), "{en}");
    let (code, _, _, field) = parts(&run.err(GRID, on_spot(Some("修好了"), &[0])));
    assert_eq!((code, field.as_deref()), ("invalid_id", Some("evidence")));
}

/// The staff intake form opens for exactly the roles that may close on the spot.
#[test]
fn the_intake_permission_goes_to_the_roles_that_may_resolve_on_the_spot() {
    for r in Role::ALL {
        assert_eq!(
            r.can(crate::auth::Permission::CasesIntake),
            rules::CHECKERS.contains(&r),
            "{r:?}"
        );
    }
}
