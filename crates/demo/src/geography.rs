//! Where the demo's places are on the ground. The zone lies about 35.21–35.28°N,
//! 115.40–115.52°E; each street gets a centre there, its communities scatter
//! around it and compounds around their community. The figures are made up but
//! plausible, so that a report with only a position lands in a nearby place.

use super::*;
use wangge_core::geo::Point;
use wangge_store::units::{self, Unit};

/// Street centres, in `names::STREETS` order; a fifth street would fall back
/// to the middle of the zone.
const STREET_CENTRES: [Point; 4] = [
    (35.2470, 115.4720), // 丹阳街道: the town centre
    (35.2640, 115.4380), // 佃户屯街道
    (35.2290, 115.4990), // 岳程街道: the pharma park side
    (35.2180, 115.4200), // 陈集镇
];

const ZONE_MIDDLE: Point = (35.245, 115.46);

pub(super) struct Spread(SplitMix64);

impl Spread {
    pub(super) fn new() -> Spread {
        // Its own stream, so that the rest of the demo does not change with it.
        Spread(SplitMix64::new(0x6E0_2026_1207))
    }

    pub(super) fn street(&self, index: usize) -> Point {
        STREET_CENTRES.get(index).copied().unwrap_or(ZONE_MIDDLE)
    }

    /// A point up to `radius_m` from `centre`.
    pub(super) fn around(&mut self, centre: Point, radius_m: f64) -> Point {
        let unit = |r: &mut SplitMix64| (r.below(2001) as f64 - 1000.0) / 1000.0;
        let (dy, dx) = (unit(&mut self.0), unit(&mut self.0));
        let dlat = dy * radius_m / 111_320.0;
        let dlon = dx * radius_m / (111_320.0 * centre.0.to_radians().cos());
        // Six decimals are about 0.1 m: what a phone reports.
        let round = |v: f64| (v * 1e6).round() / 1e6;
        (round(centre.0 + dlat), round(centre.1 + dlon))
    }
}

/// Sets a unit's position the way staff do, through the registry.
pub(super) fn locate(c: &mut dyn Conn, ctx: &Ctx, unit: &Unit, at: Point) -> Result<()> {
    units::set_position(c, ctx, &unit.code, Some(at.0), Some(at.1)).map(|_| ())
}
