//! Random command sequences by random actors: whatever is accepted leaves a
//! valid case equal to the replay of its log; whatever is refused changes nothing.

use super::tests::{
    start_time, ADMIN, AUDITOR, CADRE, DEPT_A, DEPT_B, GRID, OTHER_RESIDENT, REPORTER, STREET,
};
use super::*;
use proptest::prelude::*;
use std::collections::HashSet;
use time::Duration;

const ACTORS: [Actor; 10] = [
    REPORTER,
    OTHER_RESIDENT,
    Actor::CaseToken,
    ADMIN,
    STREET,
    CADRE,
    GRID,
    DEPT_A,
    DEPT_B,
    AUDITOR,
];

/// Errors that say the step is not open to this actor now, as opposed to a
/// field being wrong.
const GATE_CODES: [&str; 6] = [
    "transition_not_allowed",
    "role_not_allowed",
    "not_reporter",
    "not_lead_org",
    "not_supervising_org",
    "reopen_window_passed",
];

/// One step of a walk, as raw numbers read against the case as it is then:
/// the actor, whether to pick among the allowed actions or any action, which,
/// the fields, and how many hours pass first.
type Step = (u8, bool, u8, u32, u8);

fn pick<T: Clone>(pool: &[T], seed: &mut u32) -> T {
    let i = (*seed as usize) % pool.len();
    *seed /= pool.len() as u32;
    pool[i].clone()
}

fn command(action: Action, mut seed: u32) -> Command {
    let s = &mut seed;
    let mut c = Command::new(action);
    c.reason = pick(
        &[
            Some("原因".to_string()),
            Some("原因".into()),
            None,
            Some(" ".into()),
        ],
        s,
    );
    c.lead_org = pick(&[Some(10), Some(11), Some(12), None], s);
    c.co_handlers = pick(&[vec![], vec![], vec![11], vec![10, 12]], s);
    c.evidence = pick(&[vec![100], vec![100], vec![]], s);
    c.close_kind = pick(
        &[
            Some(CloseKind::Fixed),
            Some(CloseKind::CannotFix {
                reason: Some("无法".into()),
            }),
            Some(CloseKind::Duplicate { of: Some(7) }),
            Some(CloseKind::NotResponsible {
                reassign_to: Some(11),
            }),
            Some(CloseKind::NotResponsible {
                reassign_to: Some(10),
            }),
            Some(CloseKind::CannotFix { reason: None }),
            None,
        ],
        s,
    );
    c.rating = pick(&[Some(4), Some(1), Some(5), Some(0), None], s);
    c.orgs = pick(&[vec![], vec![10, 11]], s);
    c.comment = pick(&[Some("补充".to_string()), None, Some(" ".into())], s);
    // Last, so that the fields above are drawn as they were before it.
    c.note = pick(&[Some("已现场处置".to_string()), None], s);
    c
}

struct Walk {
    case: Case,
    log: Vec<Event>,
    now: OffsetDateTime,
    policy: Policy,
}

impl Walk {
    fn new() -> Walk {
        Walk {
            case: Case::default(),
            log: Vec::new(),
            now: start_time(),
            policy: Policy::default(),
        }
    }

    /// Takes one step and checks every property; returns the action if accepted.
    fn step(&mut self, (who, from_allowed, which, seed, hours): Step) -> Option<Action> {
        self.now += Duration::hours(i64::from(hours));
        let actor = ACTORS[usize::from(who) % ACTORS.len()];
        let allowed = allowed_actions(&self.case, &actor, self.now, &self.policy);
        let action = if from_allowed && !allowed.is_empty() {
            allowed[usize::from(which) % allowed.len()]
        } else {
            Action::ALL[usize::from(which) % Action::ALL.len()]
        };
        let cmd = command(action, seed);
        let before = self.case.clone();
        match decide(&self.case, &cmd, &actor, self.now, &self.policy) {
            Ok(e) => {
                assert!(
                    allowed.contains(&action),
                    "{action:?} accepted but not offered"
                );
                assert_eq!(e.from, (before.version > 0).then_some(before.state));
                assert_eq!(e.action(), action);
                apply(&mut self.case, &e);
                assert_eq!(self.case.state, e.to);
                if let Err(broken) = self.case.check_invariants() {
                    panic!("{broken}: {:#?}\nafter {e:#?}", self.case);
                }
                let json = serde_json::to_string(&e).unwrap();
                assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), e);
                self.log.push(e);
                assert_eq!(replay(&self.log), self.case);
                Some(action)
            }
            Err(err) => {
                assert_eq!(self.case, before);
                let gate = GATE_CODES.contains(&err.code());
                assert_eq!(
                    gate,
                    !allowed.contains(&action),
                    "{action:?} by {actor:?}: {err}"
                );
                None
            }
        }
    }
}

fn any_step() -> impl Strategy<Value = Step> {
    (
        any::<u8>(),
        prop::bool::weighted(0.8),
        any::<u8>(),
        any::<u32>(),
        prop_oneof![Just(0u8), 0u8..=72],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn no_sequence_of_commands_breaks_a_case(steps in prop::collection::vec(any_step(), 1..80)) {
        let mut walk = Walk::new();
        for step in steps {
            walk.step(step);
        }
    }
}

/// The walks above are only worth something if they reach every state and
/// take every step; a fixed-seed walk shows that they do.
#[test]
fn random_walks_reach_every_state_and_take_every_step() {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut states = HashSet::new();
    let mut actions = HashSet::new();
    for _ in 0..300 {
        let mut walk = Walk::new();
        for _ in 0..60 {
            let r = next();
            let step = (
                r as u8,
                (r >> 8) % 5 != 0,
                (r >> 16) as u8,
                (r >> 24) as u32,
                ((r >> 56) % 40) as u8,
            );
            if let Some(a) = walk.step(step) {
                actions.insert(a);
                states.insert(walk.case.state);
            }
        }
    }
    let missing_states: Vec<_> = CaseState::ALL
        .iter()
        .filter(|s| !states.contains(s))
        .collect();
    let missing_actions: Vec<_> = Action::ALL
        .iter()
        .filter(|a| !actions.contains(a))
        .collect();
    assert!(
        missing_states.is_empty(),
        "never reached {missing_states:?}"
    );
    assert!(
        missing_actions.is_empty(),
        "never taken {missing_actions:?}"
    );
}
