//! A grid worker's patrol (巡查): problems reported on the staff intake path,
//! in the worker's own name with source `grid`, and one dealt with on the
//! spot (自行处置: reported and closed with a photo in the same write).
//!
//! The worker is an account of the demo (`PATROL_USER`) whose password only
//! `wangge demo` sets, when it prints the demo accounts. Photos need the
//! files directory beside a SQLite database; without one (PostgreSQL) the
//! on-spot case is left out, since it cannot close without a photo.

use super::inspections::{evidence_png, files_dir};
use wangge_core::auth::Role;
use wangge_store::accounts::{self, NewUser};
use wangge_store::attachments::{self, AttachmentStore};
use wangge_store::cases::{self, Config, NewCase, OnSpot, Source};
use wangge_store::ctx::Ctx;
use wangge_store::db::Conn;
use wangge_store::error::Result;

/// The demo's grid worker, who reports the patrol's cases.
pub const PATROL_USER: &str = "wanggeyuan";
const PATROL_NAME: &str = "社区网格员";

/// (category, what was seen, where exactly)
const FOUND: [(&str, &str, &str); 3] = [
    ("0101", "小区东门外垃圾桶满溢,周边散落生活垃圾", "东门外"),
    ("0404", "楼道内堆放大量纸箱杂物,堵塞消防通道", "2单元楼道"),
    ("0202", "单元门口张贴小广告", "1单元门口"),
];

fn new_case(category: &str, unit: &str, description: &str, spot: &str) -> NewCase {
    NewCase {
        category: category.into(),
        unit: unit.into(),
        description: description.into(),
        lat: None,
        lon: None,
        address_detail: Some(spot.into()),
        source: Source::Grid,
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

/// The first community, in code order, that has buildings: its code and
/// up to four of its buildings.
fn patrol_area(c: &mut dyn Conn) -> Result<Option<(String, Vec<String>)>> {
    let rows = c.query(
        "SELECT m.code, b.code FROM units b JOIN units m
           ON m.kind = 'community' AND b.path LIKE m.path || '%'
         WHERE b.kind = 'building' ORDER BY m.code, b.code LIMIT 200",
        &[],
    )?;
    let mut area: Option<(String, Vec<String>)> = None;
    for r in rows {
        let (community, building): (String, String) = (r.get(0)?, r.get(1)?);
        match &mut area {
            None => area = Some((community, vec![building])),
            Some((m, bs)) if *m == community && bs.len() < 4 => bs.push(building),
            Some(_) => break,
        }
    }
    Ok(area)
}

pub(super) fn seed(c: &mut dyn Conn, ctx: &Ctx) -> Result<()> {
    let Some((community, buildings)) = patrol_area(c)? else {
        return Ok(());
    };
    let worker = accounts::create_user(
        c,
        ctx,
        NewUser {
            username: PATROL_USER.into(),
            display_name: Some(PATROL_NAME.into()),
            role: Role::GridWorker,
            scope_unit: Some(community),
            scope_org: None,
        },
        accounts::decoy_hash(),
    )?;
    let grid = worker.ctx(ctx, None);
    let cfg = Config::default();
    for (i, (category, what, spot)) in FOUND.iter().enumerate() {
        let unit = &buildings[i % buildings.len()];
        cases::create(c, &grid, &cfg, new_case(category, unit, what, spot), None)?;
    }
    let Some(dir) = files_dir(c)? else {
        return Ok(());
    };
    let files = AttachmentStore::new(dir, ctx.shared_keys());
    let stored = files.put(&evidence_png(90)?, "清理后.png", "image/png")?;
    let photo = attachments::record(c, &grid, &stored)?;
    let mut new = new_case(
        "0102",
        &buildings[buildings.len() - 1],
        "绿化带内有人倾倒装修垃圾",
        "楼北侧绿化带",
    );
    new.on_spot = Some(OnSpot {
        note: Some("已联系物业当场清运,现场恢复整洁".into()),
        evidence: vec![photo.id],
    });
    cases::create(c, &grid, &cfg, new, None)?;
    Ok(())
}
