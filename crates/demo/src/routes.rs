//! Category routes for the demo: each minor category with an obvious handler
//! among the demo's own organisations leads to it by default, so a dispatcher
//! sees the suggested organisation first instead of choosing among hundreds.
//! Categories with no such handler in the demo (社会治安, 其他, staff tasks) stay
//! unrouted: the dispatcher chooses.

use wangge_store::cases;
use wangge_store::ctx::Ctx;
use wangge_store::db::Conn;
use wangge_store::error::{Error, Result};
use wangge_store::params;

/// (zone department, the minor categories it handles zone-wide).
const ZONE_ROUTES: &[(&str, &[&str])] = &[
    (
        "菏泽开发区综合行政执法局",
        &[
            "0101", "0102", "0103", "0104", "0105", "0106", "0107", "0201", "0202", "0203", "0204",
            "0301", "0302", "0303", "0304", "0401", "0402", "0405", "0501", "0502", "0503", "0505",
            "0601", "0801", "0802", "0803",
        ],
    ),
    ("菏泽开发区消防救援大队", &["0403", "0404"]),
    ("菏泽开发区市场监督管理局", &["0701", "0702"]),
    ("菏泽开发区交警大队", &["0504", "1101", "1102"]),
    ("菏泽开发区人力资源和社会保障局", &["1001", "1002"]),
    ("菏泽开发区管委会办公室", &["0602", "0603", "0604", "0605"]),
];

/// Property matters inside a compound go to that compound's property company
/// (the deeper rule wins over the zone's).
const COMPOUND_ROUTES: &[&str] = &["0602", "0604", "0605"];

pub(super) fn seed(c: &mut dyn Conn, ctx: &Ctx) -> Result<()> {
    cases::seed_categories(c, ctx)?;
    let zone = super::ZONE_CODE;
    for (name, minors) in ZONE_ROUTES {
        let org: i64 = c
            .query_opt(
                "SELECT id FROM organisations WHERE name = $1 ORDER BY id LIMIT 1",
                params![*name],
            )?
            .ok_or_else(|| Error::Db(format!("demo: no organisation {name}")))?
            .get(0)?;
        for minor in *minors {
            cases::set_route(c, ctx, minor, zone, org)?;
        }
    }
    let companies = c.query(
        "SELECT o.id, u.code FROM organisations o JOIN units u ON u.id = o.unit_id
         WHERE o.kind = 'property_company' AND u.kind = 'compound' ORDER BY o.id",
        &[],
    )?;
    for r in &companies {
        let (org, unit): (i64, String) = (r.get(0)?, r.get(1)?);
        for minor in COMPOUND_ROUTES {
            cases::set_route(c, ctx, minor, &unit, org)?;
        }
    }
    Ok(())
}
