//! Demo special equipment and construction sites: elevators in the zone's
//! largest compounds (used by their property companies), elevators and
//! escalators in the crowded places of the central business district, three
//! maintenance companies, and a handful of construction sites. Dates are
//! spread around "today" so that a few lifts are overdue for inspection or
//! maintenance and a few fall due soon, and the alerts have something to show.
//!
//! Everything goes through `store::equipment`, so the demo obeys the same
//! rules as a user.

use super::SplitMix64;
use time::{Date, Duration};
use wangge_core::equipment::{EquipmentKind, SiteStatus};
use wangge_core::organisations::OrgKind;
use wangge_store::ctx::Ctx;
use wangge_store::db::Conn;
use wangge_store::equipment::{self as eq, NewEquipment, NewMaintenance, NewSite};
use wangge_store::error::Result;
use wangge_store::organisations::{NewOrganisation, Organisation};
use wangge_store::params;
use wangge_store::registry;

/// Maintenance companies (fictional), registered at the zone.
const MAINTAINERS: [&str; 3] = [
    "菏泽安达电梯工程有限公司",
    "山东鲁宏电梯维保有限公司",
    "菏泽恒升电梯服务有限公司",
];
/// Construction companies (fictional) and their projects.
const SITES: [(&str, &str, SiteStatus); 5] = [
    (
        "菏泽城建工程有限公司",
        "长江路棚户区改造安置房项目",
        SiteStatus::Active,
    ),
    (
        "菏泽城建工程有限公司",
        "现代医药港标准化厂房二期",
        SiteStatus::Active,
    ),
    (
        "山东天元建设集团菏泽分公司",
        "丹阳街道中学教学楼扩建",
        SiteStatus::Active,
    ),
    (
        "山东天元建设集团菏泽分公司",
        "人民路雨污分流改造工程",
        SiteStatus::Suspended,
    ),
    (
        "菏泽华通路桥工程有限公司",
        "桂陵路拓宽改造工程",
        SiteStatus::Finished,
    ),
];
/// Crowded places with lifts, and how many escalators each has besides.
const PLACES: [(&str, u64); 4] = [
    ("银座商城", 4),
    ("茂业百货", 4),
    ("新苏天美", 2),
    ("和平大酒店", 0),
];
const COMPOUNDS: i64 = 20;

fn ymd(d: Date) -> String {
    eq::fmt_date(d)
}

fn ensure_org(c: &mut dyn Conn, ctx: &Ctx, name: &str, kind: OrgKind) -> Result<i64> {
    if let Some(r) = c.query_opt(
        "SELECT id FROM organisations WHERE name = $1 ORDER BY id LIMIT 1",
        params![name],
    )? {
        return r.get(0);
    }
    Ok(registry::create::<Organisation>(
        c,
        ctx,
        NewOrganisation {
            name: name.into(),
            kind,
            unit: super::ZONE_CODE.into(),
            parent_org_id: None,
            credit_code: None,
        },
    )?
    .id)
}

/// Where one lift stands and who uses it.
struct Spot {
    unit: String,
    use_org: i64,
    location: String,
    kind: EquipmentKind,
}

/// The lifts: two to five per large compound, and the crowded places'.
fn spots(c: &mut dyn Conn, rng: &mut SplitMix64) -> Result<Vec<Spot>> {
    let rows = c.query(
        "SELECT k.code, (SELECT MIN(o.id) FROM organisations o WHERE o.unit_id = k.id AND o.kind = 'property_company'),
                (SELECT COUNT(*) FROM units b WHERE b.parent_id = k.id)
         FROM units k WHERE k.kind = 'compound'
         ORDER BY (SELECT COUNT(*) FROM units b WHERE b.parent_id = k.id) DESC, k.path LIMIT $1",
        params![COMPOUNDS],
    )?;
    let mut out = Vec::new();
    for r in &rows {
        let Some(org) = r.get::<Option<i64>>(1)? else {
            continue;
        };
        let buildings = r.get::<i64>(2)?.max(1) as u64;
        for n in 0..rng.range(2, 5).min(buildings.max(2)) {
            out.push(Spot {
                unit: r.get(0)?,
                use_org: org,
                location: format!("{}号楼{}单元", n + 1, rng.range(1, 2)),
                kind: EquipmentKind::Elevator,
            });
        }
    }
    for (name, escalators) in PLACES {
        let Some(r) = c.query_opt(
            "SELECT o.id, u.code FROM organisations o JOIN units u ON u.id = o.unit_id
             WHERE o.name = $1 ORDER BY o.id LIMIT 1",
            params![name],
        )?
        else {
            continue;
        };
        let (org, unit): (i64, String) = (r.get(0)?, r.get(1)?);
        for n in 0..2 {
            out.push(Spot {
                unit: unit.clone(),
                use_org: org,
                location: format!("{name}{}号客梯", n + 1),
                kind: EquipmentKind::Elevator,
            });
        }
        for n in 0..escalators {
            out.push(Spot {
                unit: unit.clone(),
                use_org: org,
                location: format!("{name}{}号扶梯", n + 1),
                kind: EquipmentKind::Escalator,
            });
        }
    }
    Ok(out)
}

/// Adds the registries (once: a second call finds equipment and stops).
pub(super) fn seed(c: &mut dyn Conn, ctx: &Ctx, seed: u64) -> Result<()> {
    if c.query_opt("SELECT id FROM equipment LIMIT 1", &[])?
        .is_some()
    {
        return Ok(());
    }
    let mut maintainers = Vec::new();
    for name in MAINTAINERS {
        maintainers.push(ensure_org(c, ctx, name, OrgKind::Enterprise)?);
    }
    let mut rng = SplitMix64::new(seed ^ 0x00e1_e7a7);
    let today = ctx.today();
    for (i, spot) in spots(c, &mut rng)?.into_iter().enumerate() {
        let installed = today - Duration::days(rng.range(3 * 365, 15 * 365) as i64);
        // Most were inspected within the year; about one in twelve is overdue,
        // about one in ten falls due within the month.
        let since_inspection = match rng.below(12) {
            0 => rng.range(370, 420),
            1 => rng.range(336, 360),
            _ => rng.range(20, 330),
        } as i64;
        let last_inspected = today - Duration::days(since_inspection);
        let since_maintenance = if rng.percent(10) {
            rng.range(17, 40)
        } else {
            rng.range(0, 14)
        } as i64;
        let last_maintained = today - Duration::days(since_maintenance);
        let maintainer = maintainers[i % maintainers.len()];
        let prefix = match spot.kind {
            EquipmentKind::Elevator => "梯11",
            EquipmentKind::Escalator => "梯31",
        };
        let e = eq::create(
            c,
            ctx,
            NewEquipment {
                registration_code: format!(
                    "{prefix}鲁R{:05}({:02})",
                    10_000 + i,
                    installed.year() % 100
                ),
                kind: spot.kind,
                unit: spot.unit,
                location: Some(spot.location),
                use_org_id: spot.use_org,
                maintenance_org_id: Some(maintainer),
                model: Some(
                    match spot.kind {
                        EquipmentKind::Elevator => "曳引驱动乘客电梯",
                        EquipmentKind::Escalator => "自动扶梯",
                    }
                    .into(),
                ),
                installed_on: ymd(installed),
                last_inspected_on: Some(ymd(last_inspected)),
                next_inspection_due: None,
                maintenance_interval_days: None,
                last_maintained_on: None,
            },
        )?;
        // The two visits before today's state, oldest first.
        for back in [15, 0] {
            let on = last_maintained - Duration::days(back);
            if on < installed {
                continue;
            }
            eq::record_maintenance(
                c,
                ctx,
                e.id,
                NewMaintenance {
                    done_on: ymd(on),
                    org_id: None,
                    note: Some("半月维护保养".into()),
                },
            )?;
        }
    }
    let communities = c.query(
        "SELECT code FROM units WHERE kind = 'community' ORDER BY path LIMIT 5",
        &[],
    )?;
    for ((builder, project, status), r) in SITES.into_iter().zip(communities.iter()) {
        let builder_id = ensure_org(c, ctx, builder, OrgKind::Enterprise)?;
        let (starts, ends) = if status == SiteStatus::Finished {
            (today - Duration::days(480), today - Duration::days(30))
        } else {
            let starts = today - Duration::days(rng.range(60, 400) as i64);
            (starts, starts + Duration::days(rng.range(450, 700) as i64))
        };
        registry::create::<eq::Site>(
            c,
            ctx,
            NewSite {
                name: project.into(),
                builder_org_id: builder_id,
                unit: r.get(0)?,
                location: None,
                starts_on: ymd(starts),
                ends_on: Some(ymd(ends)),
                status: Some(status),
            },
        )?;
    }
    Ok(())
}
