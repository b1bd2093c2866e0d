use super::*;
use crate::error::Error;
use time::macros::datetime;
use time::Duration;

mod after_dispatch;
mod on_spot;

pub(super) const REPORTER: Actor = user(1, Role::Resident, None);
pub(super) const OTHER_RESIDENT: Actor = user(9, Role::Resident, None);
pub(super) const ADMIN: Actor = user(2, Role::ZoneAdmin, None);
pub(super) const STREET: Actor = user(3, Role::StreetStaff, None);
pub(super) const CADRE: Actor = user(4, Role::CommunityCadre, None);
pub(super) const GRID: Actor = user(5, Role::GridWorker, None);
pub(super) const DEPT_A: Actor = user(6, Role::DeptHandler, Some(10));
pub(super) const DEPT_B: Actor = user(7, Role::DeptHandler, Some(11));
pub(super) const AUDITOR: Actor = user(8, Role::Auditor, None);

const fn user(user_id: i64, role: Role, org_id: Option<i64>) -> Actor {
    Actor::User {
        user_id,
        role,
        org_id,
    }
}

pub(super) fn start_time() -> OffsetDateTime {
    datetime!(2026-03-02 09:00 +8)
}

/// A case and its log, driven step by step.
struct Run {
    case: Case,
    log: Vec<Event>,
    now: OffsetDateTime,
    policy: Policy,
}

impl Run {
    fn new(reporter: Actor) -> Run {
        let mut run = Run {
            case: Case::default(),
            log: Vec::new(),
            now: start_time(),
            policy: Policy::default(),
        };
        run.ok(reporter, Command::new(Action::Report));
        run
    }

    fn ok(&mut self, actor: Actor, cmd: Command) -> &Event {
        let e = decide(&self.case, &cmd, &actor, self.now, &self.policy)
            .unwrap_or_else(|e| panic!("{:?} by {actor:?}: {e}", cmd.action));
        apply(&mut self.case, &e);
        self.log.push(e);
        self.case.check_invariants().unwrap();
        assert_eq!(replay(&self.log), self.case);
        self.now += Duration::hours(1);
        self.log.last().unwrap()
    }

    fn err(&self, actor: Actor, cmd: Command) -> Error {
        let before = self.case.clone();
        let e = decide(&self.case, &cmd, &actor, self.now, &self.policy).unwrap_err();
        assert_eq!(self.case, before);
        e
    }

    fn allowed(&self, actor: Actor) -> Vec<Action> {
        allowed_actions(&self.case, &actor, self.now, &self.policy)
    }

    /// Reported → accepted → dispatched to org 10.
    fn dispatched(reporter: Actor) -> Run {
        let mut run = Run::new(reporter);
        run.ok(STREET, Command::new(Action::Accept));
        run.ok(STREET, Command::new(Action::Dispatch).lead_org(10));
        run
    }

    /// … → handled by org 10 with evidence.
    fn handled(reporter: Actor) -> Run {
        let mut run = Run::dispatched(reporter);
        run.ok(DEPT_A, Command::new(Action::Start));
        run.ok(DEPT_A, Command::new(Action::Handle).evidence(&[100]));
        run
    }

    fn closed(reporter: Actor) -> Run {
        let mut run = Run::handled(reporter);
        run.ok(GRID, Command::new(Action::Verify));
        run.ok(
            STREET,
            Command::new(Action::Close).close_kind(CloseKind::Fixed),
        );
        run
    }
}

fn parts(e: &Error) -> (&'static str, String, String, Option<String>) {
    match e {
        Error::Invalid {
            field,
            code,
            zh,
            en,
        } => (code, zh.clone(), en.clone(), Some(field.clone())),
        Error::Conflict { code, zh, en } => (code, zh.clone(), en.clone(), None),
    }
}

#[test]
fn the_happy_path_from_report_to_rating() {
    let mut run = Run::new(REPORTER);
    let steps: Vec<(Actor, Command, CaseState)> = vec![
        (STREET, Command::new(Action::Accept), CaseState::Accepted),
        (
            STREET,
            Command::new(Action::Dispatch)
                .lead_org(10)
                .co_handlers(&[11, 12, 11]),
            CaseState::Dispatched,
        ),
        (DEPT_A, Command::new(Action::Start), CaseState::InProgress),
        (
            DEPT_A,
            Command::new(Action::Handle).evidence(&[100, 101]),
            CaseState::Handled,
        ),
        (GRID, Command::new(Action::Verify), CaseState::Verified),
        (
            STREET,
            Command::new(Action::Close).close_kind(CloseKind::Fixed),
            CaseState::Closed,
        ),
        (
            REPORTER,
            Command::new(Action::Rate).rating(5, Some(" 很及时 ")),
            CaseState::Rated,
        ),
    ];
    for (actor, cmd, want) in steps {
        let from = run.case.state;
        let e = run.ok(actor, cmd).clone();
        assert_eq!((e.from, e.to), (Some(from), want));
    }
    let c = &run.case;
    assert_eq!(c.version, 8);
    assert_eq!(c.reporter, Some(Reporter::User { user_id: 1 }));
    assert_eq!(c.lead_org, Some(10));
    assert_eq!(c.co_handlers, vec![11, 12]);
    assert_eq!(c.close_kind, Some(CloseKind::Fixed));
    assert_eq!(
        c.rating,
        Some(Rating {
            score: 5,
            comment: Some("很及时".into())
        })
    );
    assert_eq!(run.log[0].from, None);

    // The log survives a trip through JSON, as the store keeps it.
    let json = serde_json::to_string(&run.log).unwrap();
    assert!(
        json.contains(r#""action":"dispatch","lead_org":10,"co_handlers":[11,12]"#),
        "{json}"
    );
    let back: Vec<Event> = serde_json::from_str(&json).unwrap();
    assert_eq!(replay(&back), run.case);
}

#[test]
fn a_case_must_be_reported_first_and_only_once() {
    let e = decide(
        &Case::default(),
        &Command::new(Action::Accept),
        &STREET,
        start_time(),
        &Policy::default(),
    )
    .unwrap_err();
    let (code, _, en, _) = parts(&e);
    assert_eq!(code, "transition_not_allowed");
    assert!(en.contains("not been reported"), "{en}");
    let run = Run::new(Actor::CaseToken);
    assert_eq!(run.case.reporter, Some(Reporter::Anonymous));
    assert_eq!(
        run.err(GRID, Command::new(Action::Report)).code(),
        "transition_not_allowed"
    );
    let fresh = Run {
        case: Case::default(),
        log: vec![],
        now: start_time(),
        policy: Policy::default(),
    };
    assert_eq!(
        fresh.err(AUDITOR, Command::new(Action::Report)).code(),
        "role_not_allowed"
    );
    assert_eq!(fresh.allowed(GRID), vec![Action::Report]);
}

#[test]
fn a_step_not_open_from_this_state_names_the_next_steps() {
    let run = Run::new(REPORTER);
    let e = run.err(STREET, Command::new(Action::Dispatch).lead_org(10));
    let (code, zh, en, _) = parts(&e);
    assert_eq!(code, "transition_not_allowed");
    assert!(zh.contains("案件处于“已上报”状态,不能派遣"), "{zh}");
    assert!(zh.contains("你现在可以:立案、不予立案"), "{zh}");
    assert!(
        en.contains("'dispatch' is not possible while the case is reported"),
        "{en}"
    );
    assert!(en.ends_with("you can now: accept, reject"), "{en}");
}

#[test]
fn a_step_not_open_to_this_role_says_whose_it_is() {
    let run = Run::new(REPORTER);
    let e = run.err(REPORTER, Command::new(Action::Accept));
    let (code, zh, en, _) = parts(&e);
    assert_eq!(code, "role_not_allowed");
    assert!(
        zh.contains("居民不能立案;可办理的是:区管理员、街道工作人员"),
        "{zh}"
    );
    assert!(
        en.contains("resident may not 'accept'; that is for zone_admin, street_staff"),
        "{en}"
    );
    assert!(en.ends_with("you can now: withdraw, comment"), "{en}");
    assert_eq!(
        run.err(GRID, Command::new(Action::Reject).reason("x"))
            .code(),
        "role_not_allowed"
    );
    let e = run.err(AUDITOR, Command::new(Action::Accept));
    assert!(e.to_string().contains("there is nothing you can do"), "{e}");

    let run = Run::dispatched(REPORTER);
    assert_eq!(
        run.err(DEPT_B, Command::new(Action::Start)).code(),
        "not_lead_org"
    );
    assert_eq!(
        run.err(GRID, Command::new(Action::Start)).code(),
        "role_not_allowed"
    );
    let no_org = user(6, Role::DeptHandler, None);
    assert_eq!(
        run.err(no_org, Command::new(Action::Start)).code(),
        "not_lead_org"
    );
    assert!(run.allowed(DEPT_B).is_empty());
    assert_eq!(
        run.allowed(DEPT_A),
        vec![
            Action::Start,
            Action::Handle,
            Action::SendBack,
            Action::RequestSuspension
        ]
    );
}

#[test]
fn reject_needs_a_reason_and_ends_the_case() {
    let mut run = Run::new(REPORTER);
    for cmd in [
        Command::new(Action::Reject),
        Command::new(Action::Reject).reason("  \n "),
    ] {
        let e = run.err(STREET, cmd);
        let (code, zh, en, field) = parts(&e);
        assert_eq!((code, field.as_deref()), ("required", Some("reason")));
        assert_eq!(zh, "不予立案须填写理由");
        assert_eq!(en, "'reject' needs a reason (reason)");
    }
    let long = "长".repeat(1001);
    assert_eq!(
        run.err(STREET, Command::new(Action::Reject).reason(&long))
            .code(),
        "too_long"
    );
    assert_eq!(
        run.err(STREET, Command::new(Action::Reject).reason("a\u{7}"))
            .code(),
        "control_character"
    );
    run.ok(
        STREET,
        Command::new(Action::Reject).reason(" 不属于本辖区\n请向市里反映 "),
    );
    assert_eq!(
        run.case.reject_reason.as_deref(),
        Some("不属于本辖区\n请向市里反映")
    );
    for actor in [REPORTER, STREET, ADMIN] {
        assert!(run.allowed(actor).is_empty());
    }
}

#[test]
fn only_the_reporter_withdraws_and_only_before_acceptance() {
    let mut run = Run::new(REPORTER);
    assert_eq!(
        run.err(OTHER_RESIDENT, Command::new(Action::Withdraw))
            .code(),
        "not_reporter"
    );
    assert_eq!(
        run.err(STREET, Command::new(Action::Withdraw)).code(),
        "not_reporter"
    );
    run.ok(REPORTER, Command::new(Action::Withdraw));
    assert_eq!(run.case.state, CaseState::Withdrawn);

    let mut run = Run::new(Actor::CaseToken);
    run.ok(STREET, Command::new(Action::Accept));
    assert_eq!(
        run.err(Actor::CaseToken, Command::new(Action::Withdraw))
            .code(),
        "transition_not_allowed"
    );
}

#[test]
fn handling_needs_evidence() {
    let run = Run::dispatched(REPORTER);
    let e = run.err(DEPT_A, Command::new(Action::Handle));
    let (code, zh, _, field) = parts(&e);
    assert_eq!((code, field.as_deref()), ("required", Some("evidence")));
    assert!(zh.starts_with("处置反馈须填写处置证据"), "{zh}");
    assert_eq!(
        run.err(DEPT_A, Command::new(Action::Handle).evidence(&[0]))
            .code(),
        "invalid_id"
    );
}

#[test]
fn dispatch_and_reassignment_check_organisations() {
    let mut run = Run::new(REPORTER);
    run.ok(STREET, Command::new(Action::Accept));
    let e = run.err(STREET, Command::new(Action::Dispatch));
    assert_eq!(parts(&e).3.as_deref(), Some("lead_org"));
    let e = run.err(
        STREET,
        Command::new(Action::Dispatch)
            .lead_org(10)
            .co_handlers(&[10]),
    );
    assert_eq!(e.code(), "co_handler_is_lead");
    run.ok(STREET, Command::new(Action::Dispatch).lead_org(10));
    assert_eq!(
        run.err(
            STREET,
            Command::new(Action::Reassign).lead_org(10).reason("r")
        )
        .code(),
        "same_org"
    );
    assert_eq!(
        run.err(STREET, Command::new(Action::Reassign).lead_org(11))
            .code(),
        "required"
    );
    run.ok(
        ADMIN,
        Command::new(Action::Reassign)
            .lead_org(11)
            .reason("交警负责"),
    );
    assert_eq!(run.case.lead_org, Some(11));
    assert_eq!(
        run.err(DEPT_A, Command::new(Action::Start)).code(),
        "not_lead_org"
    );

    // 退回: the department says it is not theirs; the dispatcher must dispatch again.
    assert_eq!(
        run.err(DEPT_B, Command::new(Action::SendBack)).code(),
        "required"
    );
    run.ok(
        DEPT_B,
        Command::new(Action::SendBack).reason("非本单位职责"),
    );
    assert_eq!(
        (run.case.state, run.case.lead_org),
        (CaseState::Accepted, None)
    );
    assert_eq!(
        run.allowed(STREET),
        vec![
            Action::Dispatch,
            Action::Close,
            Action::Supervise,
            Action::ToJointMeeting
        ]
    );
}

#[test]
fn commands_arrive_as_json_and_missing_fields_get_domain_errors() {
    let run = Run::handled(REPORTER);
    let cmd: Command =
        serde_json::from_str(r#"{"action":"close","close_kind":{"kind":"cannot_fix"}}"#).unwrap();
    assert_eq!(cmd.close_kind, Some(CloseKind::CannotFix { reason: None }));
    let cmd: Command = serde_json::from_str(r#"{"action":"return"}"#).unwrap();
    assert_eq!(run.err(GRID, cmd).code(), "required");
    let actor: Actor =
        serde_json::from_str(r#"{"kind":"user","user_id":6,"role":"dept_handler","org_id":10}"#)
            .unwrap();
    assert_eq!(actor, DEPT_A);
    assert_eq!(
        serde_json::to_string(&Actor::CaseToken).unwrap(),
        r#"{"kind":"case_token"}"#
    );
    for a in Action::ALL {
        assert_eq!(Action::parse(a.as_str()), Some(a));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            format!("\"{}\"", a.as_str())
        );
    }
    for s in CaseState::ALL {
        assert_eq!(
            serde_json::to_string(&s).unwrap(),
            format!("\"{}\"", s.as_str())
        );
    }
}

#[test]
fn the_supervising_office_may_supervise_and_nothing_else() {
    let mut run = Run::dispatched(REPORTER);
    let supervise = Command::new(Action::Supervise).reason("整改逾期");
    // Without a supervising office a department that does not lead has no say.
    assert_eq!(
        run.err(DEPT_B, supervise.clone()).code(),
        "not_supervising_org"
    );
    run.case.supervising_org = Some(11);
    assert_eq!(run.allowed(DEPT_B), vec![Action::Supervise]);
    assert_eq!(
        run.err(DEPT_B, Command::new(Action::Start)).code(),
        "not_lead_org"
    );
    let e = decide(&run.case, &supervise, &DEPT_B, run.now, &run.policy)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e.to, CaseState::Dispatched);
    // The lead organisation does not supervise itself.
    assert_eq!(run.err(DEPT_A, supervise).code(), "not_supervising_org");
}
