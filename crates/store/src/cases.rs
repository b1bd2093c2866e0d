//! The case engine in SQL (事件/案卷): categories and routing, intake, the
//! append-only event log with the case row derived from it in the same
//! transaction, deadlines and their sweep, duplicates and merging, statistics
//! counters, and the views each kind of reader may have.
//!
//! The lifecycle itself is `wangge_core::cases` (`decide`, `apply`): this module
//! never decides a step on its own; it loads the case, asks the core, appends
//! what the core answered and updates everything derived from it.
//!
//! Where to find things:
//!
//! | file | what |
//! |---|---|
//! | `categories.rs` | the category tree |
//! | `routes.rs` | routing rules: category and unit → default lead organisation |
//! | `seed.rs` | the standard categories (idempotent) |
//! | `intake.rs` | `create`, validation, idempotency keys |
//! | `duplicates.rs` | likely duplicates flagged at intake |
//! | `transitions.rs` | `transition`, `transition_by_token`, the one place events are appended |
//! | `merge.rs` | `merge` of duplicates |
//! | `deadlines.rs` | stage deadlines in working time, `sweep` |
//! | `counters.rs` | statistics counters kept with the events, `rebuild_counters` |
//! | `stats.rs` | `stats`, `stats_by_child`, `stats_by_category` |
//! | `view.rs` | the case row as kept (`Raw`) and as a caller sees it (`CaseView`, reporter masking) |
//! | `read.rs` | `get`, `list`, `inbox`, `events`, duplicates, revealing a reporter |
//! | `scope.rs` | who sees which case, in SQL |
//! | `tip_readers.rs` | who reads a confidential category's tips |
//! | `public.rs` | what a reporter sees with the follow token; close wording |
//! | `reseal.rs` | key rotation for the reporter's encrypted name and contact |
//!
//! Who the caller is: a `Ctx` with a role is a signed-in user (their account
//! is found by `ctx.actor` = username). A `Ctx` with role `Resident` and no
//! account is an anonymous resident: they report, and follow with the token.
//! A `Ctx` without a role is the system (imports, the hotline bridge, the
//! sweep); it sees everything and reports on behalf of an anonymous reporter.

mod categories;
pub(crate) mod counters;
mod deadlines;
mod duplicates;
mod intake;
mod merge;
mod public;
mod read;
mod relocate;
mod reseal;
mod routes;
mod scope;
mod seed;
mod stats;
mod supervising;
mod tip_readers;
mod transitions;
mod view;

pub use categories::{
    create_category, get_category, list_categories, update_category, Category, CategoryPatch,
    Deadline, DeadlineUnit, Deadlines, NewCategory,
};
pub use counters::{bucket_bounds, bucket_of, rebuild_counters, HIST_BUCKETS};
pub use deadlines::{sweep, SweepReport};
pub use intake::{
    create, expire_keys, request_hash, Created, Idempotency, NewCase, OnSpot, KEY_WINDOW_MS,
};
pub use merge::merge;
pub use public::{
    close_wording, public_lookup, public_progress, public_view, public_view_of, Progress,
    PublicCase, PublicStep, Wording,
};
pub use read::{
    events, get, inbox, list, next_steps, possible_duplicates, reveal_reporter, suggested_lead,
    CaseEvent, DuplicateCandidate, ListFilter, Order, RevealedReporter,
};
pub use relocate::move_unit;
pub use reseal::{reseal, ENCRYPTED_COLUMNS};
pub use routes::{delete_route, list_routes, route_for, set_route, Route};
pub use seed::{seed_categories, SeedReport};
pub use stats::{stats, stats_by_category, stats_by_child, CaseStats, CategoryStats, ChildStats};
pub(crate) use supervising::attach as attach_supervising_org;
pub use supervising::set_supervising_org;
pub use tip_readers::{tip_notices, TipNotice, TipReaders};
pub(crate) use tip_readers::{tips_for, Tips};
pub use transitions::{transition, transition_by_token};
pub use view::{CaseView, ReporterView};

use serde::Serialize;
use wangge_core::calendar::{Calendar, OfficeHours};
use wangge_core::cases::{CaseState, Policy};
use wangge_core::Error as CoreError;

wangge_core::wire_enum! {
    /// How a case came in.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Source {
        /// Street or zone staff at their desk.
        Staff => "staff",
        /// A grid worker or community cadre on patrol.
        Grid => "grid",
        /// A resident, through the web or the app.
        Resident => "resident",
        /// A resident through an Open311 client.
        Open311 => "open311",
        /// The 12345 hotline.
        Hotline => "hotline",
        /// A decision of a meeting (党政联席会 key tasks).
        Meeting => "meeting",
        /// A finding of an inspection (排查).
        Inspection => "inspection",
    }
    parse: Noun::new("source", "unknown_source", "来源", "source").listed();
}

impl Source {
    pub fn label_zh(self) -> &'static str {
        match self {
            Source::Staff => "工作人员录入",
            Source::Grid => "网格巡查上报",
            Source::Resident => "群众反映",
            Source::Open311 => "群众反映(Open311)",
            Source::Hotline => "12345热线",
            Source::Meeting => "会议交办",
            Source::Inspection => "排查发现",
        }
    }
}

wangge_core::wire_enum! {
    /// The part of the lifecycle a deadline is running for.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    #[schema(as = DeadlineStage)]
    pub enum Stage {
        /// From the report until accepted or rejected (立案时限).
        Accept => "accept",
        /// From acceptance until dispatched (派遣时限).
        Dispatch => "dispatch",
        /// From dispatch until handled (处置时限); a rework or reassignment starts it again.
        Handle => "handle",
    }
    parse: exact;
}

impl Stage {
    pub fn label_zh(self) -> &'static str {
        match self {
            Stage::Accept => "立案",
            Stage::Dispatch => "派遣",
            Stage::Handle => "处置",
        }
    }

    /// The stage whose clock runs in a state; none once handled (checking and
    /// closing have no per-category deadline) or when the case is finished.
    pub fn of(state: CaseState) -> Option<Stage> {
        match state {
            CaseState::Reported => Some(Stage::Accept),
            CaseState::Accepted => Some(Stage::Dispatch),
            CaseState::Dispatched | CaseState::InProgress => Some(Stage::Handle),
            _ => None,
        }
    }
}

/// What a deployment tunes about cases. `Config::default()` is the built-in
/// calendar, 08:30–12:00 and 13:30–17:30, and the defaults below.
#[derive(Debug, Clone)]
pub struct Config {
    /// Shared and swapped when an administrator adds a year (`crate::calendar`).
    pub calendar: crate::calendar::LiveCalendar,
    pub hours: OfficeHours,
    /// The core's rules (reopen window, rework limit).
    pub policy: Policy,
    /// The warning falls when this share of a stage's working time is used.
    pub warn_percent: u32,
    /// Working minutes after the due time at which the sweep escalates to
    /// supervision (督办). Default: one working day of the default hours.
    pub escalate_after_minutes: u32,
    /// Open cases of the same minor category within this distance are flagged
    /// as likely duplicates.
    pub duplicate_radius_m: f64,
    /// … if reported within this many days.
    pub duplicate_days: u32,
    /// At most this many cases per queue (warn, overdue, escalate) in one sweep.
    pub sweep_batch: i64,
}

impl Default for Config {
    fn default() -> Self {
        let hours = OfficeHours::default();
        Config {
            calendar: crate::calendar::LiveCalendar::new(Calendar::builtin()),
            escalate_after_minutes: u32::try_from(hours.minutes_per_day()).unwrap_or(450),
            hours,
            policy: Policy::default(),
            warn_percent: 80,
            duplicate_radius_m: 50.0,
            duplicate_days: 7,
            sweep_batch: 1000,
        }
    }
}

/// The longest description a report may carry, in characters: GeoReport v2's
/// 4,000, since FixMyStreet sends title, detail and a link in one description,
/// and the web forms take the same.
pub const MAX_DESCRIPTION: usize = 4000;

fn unknown_case(field: &str, id: i64) -> crate::Error {
    CoreError::invalid(
        field,
        "unknown_case",
        format!("案件{id}不存在"),
        format!("no case {id}"),
    )
    .into()
}

/// Takes the audit chain's lock first, as every case write does
/// (`audit::lock_chain`).
fn lock_audit_chain(c: &mut dyn crate::Conn) -> crate::Result<()> {
    crate::audit::lock_chain(c)
}

fn to_json<T: Serialize>(v: &T) -> crate::Result<String> {
    serde_json::to_string(v).map_err(|e| crate::Error::Db(format!("cannot encode JSON: {e}")))
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> crate::Result<T> {
    serde_json::from_str(s)
        .map_err(|e| crate::Error::Db(format!("stored {what} is not valid: {e}")))
}
