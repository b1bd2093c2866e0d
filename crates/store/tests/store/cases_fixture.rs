//! The world the case tests work in: the small tree, the standard categories,
//! three departments, and a signed-in account for each kind of user.

use crate::common::*;
use std::sync::Arc;
use time::OffsetDateTime;
use wangge_core::auth::Role;
use wangge_core::cases::{replay, Action, Case, Command, Event};
use wangge_core::organisations::OrgKind;
use wangge_store::accounts::{self, NewUser};
use wangge_store::cases::{self, CaseView, Config, Created, NewCase, Source};
use wangge_store::organisations::{NewOrganisation, Organisation};
use wangge_store::registry;
use wangge_store::{params, Conn, Ctx, Result};

pub struct World {
    pub ts: Env,
    pub t: Tree,
    pub cfg: Arc<Config>,
    /// 市场监管所 (department), 华英物业 (property company), 交警大队 (department).
    pub org_a: i64,
    pub org_b: i64,
    pub org_c: i64,
    pub system: Ctx,
    pub admin: Ctx,
    pub street: Ctx,
    /// Community cadre of community A.
    pub cadre_a: Ctx,
    /// Community cadre of community B.
    pub cadre_b: Ctx,
    pub grid_a: Ctx,
    pub dept_a: Ctx,
    pub dept_b: Ctx,
    pub auditor: Ctx,
    /// A resident with an account.
    pub resident: Ctx,
    /// A resident without an account (the public report form).
    pub anon: Ctx,
}

async fn org(ts: &Env, name: &str, kind: OrgKind, unit: &str) -> i64 {
    let (ctx, new) = (
        ts.ctx(),
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
        .await
        .unwrap()
        .id
}

pub async fn account(
    ts: &Env,
    name: &str,
    role: Role,
    unit: Option<&str>,
    org: Option<i64>,
) -> Ctx {
    let (ctx, new) = (
        ts.ctx(),
        NewUser {
            username: name.to_string(),
            display_name: None,
            role,
            scope_unit: unit.map(str::to_string),
            scope_org: org,
        },
    );
    let user = ts
        .db
        .write(move |c| accounts::create_user(c, &ctx, new, "not-a-real-hash"))
        .await
        .unwrap();
    user.ctx(&ts.ctx(), Some("203.0.113.9".into()))
}

pub async fn world(ts: &Env) -> World {
    let t = small_tree(ts).await;
    let sys = ts.ctx();
    ts.db
        .write(move |c| cases::seed_categories(c, &sys))
        .await
        .unwrap();
    let org_a = org(ts, "开发区市场监管所", OrgKind::Department, &t.zone.code).await;
    let org_b = org(ts, "华英物业", OrgKind::PropertyCompany, &t.compound_a.code).await;
    let org_c = org(ts, "交警大队", OrgKind::Department, &t.zone.code).await;
    let mut anon = ts.ctx();
    anon.actor = "public".into();
    anon.role = Some(Role::Resident);
    World {
        admin: account(ts, "zone_admin", Role::ZoneAdmin, None, None).await,
        street: account(
            ts,
            "street_li",
            Role::StreetStaff,
            Some(&t.street.code),
            None,
        )
        .await,
        cadre_a: account(
            ts,
            "cadre_a",
            Role::CommunityCadre,
            Some(&t.comm_a.code),
            None,
        )
        .await,
        cadre_b: account(
            ts,
            "cadre_b",
            Role::CommunityCadre,
            Some(&t.comm_b.code),
            None,
        )
        .await,
        grid_a: account(ts, "grid_a", Role::GridWorker, Some(&t.comm_a.code), None).await,
        dept_a: account(ts, "dept_a", Role::DeptHandler, None, Some(org_a)).await,
        dept_b: account(ts, "dept_b", Role::DeptHandler, None, Some(org_b)).await,
        auditor: account(ts, "auditor", Role::Auditor, None, None).await,
        resident: account(ts, "resident_wang", Role::Resident, None, None).await,
        anon,
        system: ts.ctx(),
        ts: ts.clone(),
        t,
        cfg: Arc::new(Config::default()),
        org_a,
        org_b,
        org_c,
    }
}

/// `ctx` at another time.
pub fn at(ctx: &Ctx, now: OffsetDateTime) -> Ctx {
    let mut c = ctx.clone();
    c.now = now;
    c
}

pub fn new_case(category: &str, unit: &str, description: &str) -> NewCase {
    NewCase {
        category: category.to_string(),
        unit: unit.to_string(),
        description: description.to_string(),
        lat: None,
        lon: None,
        address_detail: None,
        source: Source::Resident,
        reported_at: None,
        fields: Default::default(),
        reporter_name: None,
        reporter_contact: None,
        reporter_withheld: false,
        on_spot: None,
        attachments: Vec::new(),
        note: None,
    }
}

impl World {
    pub async fn write<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut dyn Conn, &Config) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let cfg = self.cfg.clone();
        self.ts.db.write(move |c| f(c, &cfg)).await
    }

    pub async fn read<T, F>(&self, f: F) -> Result<T>
    where
        F: FnOnce(&mut dyn Conn, &Config) -> Result<T> + Send + 'static,
        T: Send + 'static,
    {
        let cfg = self.cfg.clone();
        self.ts.db.read(move |c| f(c, &cfg)).await
    }

    /// `n` photos uploaded by `ctx`'s caller, for a report's attachments or a
    /// step's evidence (the store links them to the case and checks they are
    /// the caller's own).
    pub async fn photos(&self, ctx: &Ctx, n: usize) -> Vec<i64> {
        let files = wangge_store::attachments::AttachmentStore::new(
            wangge_testkit::temp_dir().join("files"),
            ctx.shared_keys(),
        );
        let mut ids = Vec::new();
        for i in 0..n {
            // Each photo differs, so none is taken for another.
            let img = image::RgbImage::from_fn(32, 24, |x, y| {
                image::Rgb([(i * 37) as u8, (x * 5) as u8, (y * 7) as u8])
            });
            let mut png = std::io::Cursor::new(Vec::new());
            image::DynamicImage::ImageRgb8(img)
                .write_to(&mut png, image::ImageFormat::Png)
                .unwrap();
            let stored = files
                .put(&png.into_inner(), "现场.png", "image/png")
                .unwrap();
            let ctx = ctx.clone();
            let info = self
                .write(move |c, _| wangge_store::attachments::record(c, &ctx, &stored))
                .await
                .unwrap();
            ids.push(info.id);
        }
        ids
    }

    /// A handling step with a fresh photo of `ctx`'s as its evidence.
    pub async fn handle(&self, ctx: &Ctx) -> Command {
        Command::new(Action::Handle).evidence(&self.photos(ctx, 1).await)
    }

    pub async fn try_report(&self, ctx: &Ctx, new: NewCase) -> Result<Created> {
        let ctx = ctx.clone();
        self.write(move |c, cfg| cases::create(c, &ctx, cfg, new, None))
            .await
    }

    pub async fn report(&self, ctx: &Ctx, new: NewCase) -> Created {
        self.try_report(ctx, new).await.unwrap()
    }

    /// A plain resident report (暴露垃圾 in building A1) by the anonymous resident.
    pub async fn rubbish(&self) -> Created {
        self.report(
            &self.anon,
            new_case(
                "0101",
                &self.t.building_a1.code,
                "1号楼东侧垃圾三天没人清运",
            ),
        )
        .await
    }

    pub async fn try_step(
        &self,
        ctx: &Ctx,
        id: i64,
        version: Option<i64>,
        cmd: Command,
    ) -> Result<CaseView> {
        let ctx = ctx.clone();
        self.write(move |c, cfg| cases::transition(c, &ctx, cfg, id, version, cmd))
            .await
    }

    /// Takes a step with the current version, panicking on refusal.
    pub async fn step(&self, ctx: &Ctx, id: i64, cmd: Command) -> CaseView {
        let v = self.get(&self.system, id).await.unwrap().version;
        let what = format!("{:?} by {}", cmd.action, ctx.actor);
        self.try_step(ctx, id, Some(v), cmd)
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"))
    }

    pub async fn get(&self, ctx: &Ctx, id: i64) -> Result<CaseView> {
        let ctx = ctx.clone();
        self.read(move |c, _| cases::get(c, &ctx, id)).await
    }

    /// Reported → accepted → dispatched to org A, by street staff.
    pub async fn dispatched(&self, id: i64, org: i64) -> CaseView {
        self.step(&self.street, id, Command::new(Action::Accept))
            .await;
        self.step(
            &self.street,
            id,
            Command::new(Action::Dispatch).lead_org(org),
        )
        .await
    }
}

/// The core events of a case as stored, and its stored snapshot.
pub async fn log_and_snapshot(ts: &Env, id: i64) -> (Vec<Event>, Case) {
    ts.db
        .read(move |c| {
            let events = c
                .query(
                    "SELECT event FROM case_events WHERE case_id = $1 AND event IS NOT NULL ORDER BY seq",
                    params![id],
                )?
                .iter()
                .map(|r| Ok(serde_json::from_str(&r.get::<String>(0)?).unwrap()))
                .collect::<Result<Vec<Event>>>()?;
            let snap: String = c
                .query_one("SELECT snapshot FROM cases WHERE id = $1", params![id])?
                .get(0)?;
            Ok((events, serde_json::from_str(&snap).unwrap()))
        })
        .await
        .unwrap()
}

/// The stored snapshot is the replay of the stored log, and obeys the core's
/// invariants; the row's version and state agree with it.
#[track_caller]
pub fn assert_replays(events: &[Event], snapshot: &Case, view: &CaseView) {
    let replayed = replay(events);
    assert_eq!(
        &replayed, snapshot,
        "replay of the log differs from the snapshot"
    );
    replayed.check_invariants().unwrap();
    assert_eq!(view.version, replayed.version as i64);
    assert_eq!(view.state, replayed.state);
}

pub async fn check_replay(w: &World, id: i64) {
    let (events, snap) = log_and_snapshot(&w.ts, id).await;
    let view = w.get(&w.system, id).await.unwrap();
    assert_replays(&events, &snap, &view);
}
