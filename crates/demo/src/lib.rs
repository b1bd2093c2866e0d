//! Demo data: 菏泽开发区 as the two seed pages describe it — its streets and
//! communities, the 87 compounds of its 10 urban communities with their 三纵
//! (社区党委 → 小区党支部 → 楼宇党小组) and 三横 (居委会, 物业公司, 业主委员会)
//! bodies, the departments, enterprises and the two party-building alliances —
//! and synthetic residents in households.
//!
//! Everything is derived from one seed: the same seed gives the same names, ID
//! numbers, households and addresses (row ids may differ on PostgreSQL, whose
//! several writer connections commit in parallel). ID numbers use region code 371799, which
//! no county has, so a demo number can never be mistaken for a real one; birth
//! dates stop at 2023-12-31, leaving later dates free for benchmarks and tests
//! that mint their own numbers (see [`synthetic_id_number`]).
//!
//! Structure and positions go through the feature functions (`units::create`,
//! `registry::create::<Organisation>`, …), so they are validated and audited
//! like any other write. Residents take the bulk path: validation, hashing and encryption
//! (`people::prepare`) run on all cores while the writer inserts the previous
//! batch, with households inserted in the same transactions.

mod appointments;
mod equipment;
mod generator;
mod geography;
mod inspections;
mod layout;
mod names;
mod patrol;
mod random;
mod residents;
mod routes;
mod structure;

use appointments::*;
pub use generator::sample_id_numbers;
use generator::*;
use layout::*;
pub use patrol::PATROL_USER;
use random::*;
pub use random::{synthetic_id_number, SplitMix64};
use residents::*;
use structure::*;

use serde::Serialize;
use serde_json::json;
use std::collections::HashSet;
use std::time::{Duration, Instant};
use time::{Date, Month};
use wangge_core::ids::{credit_check_char, id_check_char};
use wangge_core::organisations::OrgKind;
use wangge_core::people::Relation;
use wangge_core::positions::PositionKind;
use wangge_core::units::UnitKind;
use wangge_store::ctx::{subtree_range, Ctx};
use wangge_store::db::Conn;
use wangge_store::error::{Error, Result};
use wangge_store::organisations::{self, NewOrganisation, Organisation};
use wangge_store::people::{self, PreparedPerson};
use wangge_store::positions::{self, NewPosition};
use wangge_store::registry;
use wangge_store::units::{self, NewUnit, Unit};
use wangge_store::{audit, params, Scope, Store};

/// The zone's code: a placeholder county code under Heze (3717xx) that no real
/// county uses.
pub const ZONE_CODE: &str = "371799";

/// The last birth date the demo gives anyone; later dates are left to callers
/// that need ID numbers guaranteed not to collide with demo residents.
pub const LAST_DEMO_BIRTH_YEAR: i32 = 2023;

/// Residents per generated batch: the unit the preparing threads share out
/// (a batch holds whole households).
const JOB: usize = 200;
/// Batches per group, up to 50,000 residents: the unit handed from the
/// preparing threads to the load, which writes every group in one transaction
/// (`load_residents`); a group is prepared while the previous one is written.
const JOBS_PER_GROUP: usize = 250;

/// Cross-appointments (交叉任职) between a compound party branch and its owners'
/// committee, and the other counts the seeds give.
const CROSS_APPOINTED: usize = 72;
const INSTRUCTORS: usize = 24;
const PARTY_MEMBERS: usize = 2100;
/// Compounds (by index in creation order) without a party branch: 87 − 85.
const NO_BRANCH: [usize; 2] = [37, 86];
/// Share of residents living in the urban compounds; the rest live in villages.
const URBAN_PERCENT: usize = 65;

#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// How many synthetic residents to create.
    pub people: usize,
    /// The generator's seed: the same seed gives the same data.
    pub seed: u64,
}

impl Default for DemoConfig {
    fn default() -> Self {
        DemoConfig {
            people: 5000,
            seed: 2020,
        }
    }
}

/// What the database holds after seeding (counted there, not by the generator).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DemoSummary {
    /// The zone already existed, so nothing was added.
    pub reused: bool,
    pub zones: i64,
    pub streets: i64,
    pub communities: i64,
    pub compounds: i64,
    pub buildings: i64,
    pub grids: i64,
    pub organisations: i64,
    pub alliance_members: i64,
    pub households: i64,
    pub people: i64,
    pub positions: i64,
    /// Wall time of the whole seed, and of the residents phase alone.
    pub elapsed_secs: f64,
    pub residents_secs: f64,
    /// Residents created in this run (0 when reused).
    pub residents_created: usize,
}

impl DemoSummary {
    /// Residents created per second in the residents phase.
    pub fn residents_per_sec(&self) -> f64 {
        if self.residents_secs > 0.0 {
            self.residents_created as f64 / self.residents_secs
        } else {
            0.0
        }
    }
}

impl std::fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = if self.reused {
            "沿用已有数据 / reused existing data"
        } else {
            "已生成 / created"
        };
        writeln!(f, "{} 演示数据 / demo data: {how}", names::ZONE)?;
        writeln!(
            f,
            "  单元 units: {} 区 zone, {} 街道/镇 streets, {} 社区/村 communities, {} 小区 compounds, {} 楼栋 buildings, {} 网格 grids",
            self.zones, self.streets, self.communities, self.compounds, self.buildings, self.grids
        )?;
        writeln!(
            f,
            "  {} 组织 organisations ({} 联盟成员 alliance members), {} 户 households, {} 居民 residents, {} 职务 positions",
            self.organisations, self.alliance_members, self.households, self.people, self.positions
        )?;
        if !self.reused && self.residents_created > 0 {
            write!(
                f,
                "  residents: {} in {:.1} s ({:.0}/s, validated, hashed and encrypted)",
                self.residents_created,
                self.residents_secs,
                self.residents_per_sec()
            )?;
        }
        Ok(())
    }
}

/// Creates the demo zone and `cfg.people` residents, or, when the zone already
/// exists, adds nothing and reports what the database holds.
pub async fn seed(store: &Store, cfg: &DemoConfig) -> Result<DemoSummary> {
    let started = Instant::now();
    let now = time::OffsetDateTime::now_utc();
    let ctx = store.ctx("demo", Scope::All, now);
    if zone_exists(store).await? {
        return summarize(store, true, started.elapsed(), Duration::ZERO, 0).await;
    }
    let layout = Layout::new(cfg.seed);
    let built = {
        let (ctx, layout) = (ctx.clone(), layout.clone());
        store.db.write(move |c| build(c, &ctx, &layout)).await?
    };
    // Another seed got there first between the check and the write.
    let Some(built) = built else {
        return summarize(store, true, started.elapsed(), Duration::ZERO, 0).await;
    };
    let residents_started = Instant::now();
    let created = load_residents(store, &ctx, &layout, &built, cfg).await?;
    let residents = residents_started.elapsed();
    if created > 0 {
        let ctx = ctx.clone();
        store.db.write(move |c| appoint(c, &ctx, &built)).await?;
    }
    let (ectx, eseed) = (ctx.clone(), cfg.seed);
    store
        .db
        .write(move |c| equipment::seed(c, &ectx, eseed))
        .await?;
    let rctx = ctx.clone();
    store.db.write(move |c| routes::seed(c, &rctx)).await?;
    let (ictx, iseed) = (ctx.clone(), cfg.seed);
    store
        .db
        .write(move |c| inspections::seed(c, &ictx, iseed))
        .await?;
    let pctx = ctx.clone();
    store.db.write(move |c| patrol::seed(c, &pctx)).await?;
    summarize(store, false, started.elapsed(), residents, created).await
}

async fn zone_exists(store: &Store) -> Result<bool> {
    store
        .db
        .read(|c| {
            Ok(
                c.query_opt("SELECT id FROM units WHERE code = $1", params![ZONE_CODE])?
                    .is_some(),
            )
        })
        .await
}

async fn summarize(
    store: &Store,
    reused: bool,
    elapsed: Duration,
    residents: Duration,
    created: usize,
) -> Result<DemoSummary> {
    let mut s = store
        .db
        .read(|c| {
            let mut s = DemoSummary::default();
            for r in c.query("SELECT kind, COUNT(*) FROM units GROUP BY kind", &[])? {
                let n: i64 = r.get(1)?;
                match UnitKind::parse(&r.get::<String>(0)?)? {
                    UnitKind::Zone => s.zones = n,
                    UnitKind::Street => s.streets = n,
                    UnitKind::Community => s.communities = n,
                    UnitKind::Compound => s.compounds = n,
                    UnitKind::Building => s.buildings = n,
                    UnitKind::Grid => s.grids = n,
                }
            }
            let count = |c: &mut dyn Conn, table: &str| -> Result<i64> {
                c.query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])?
                    .get(0)
            };
            s.organisations = count(c, "organisations")?;
            s.alliance_members = count(c, "alliance_members")?;
            s.households = count(c, "households")?;
            s.people = count(c, "people")?;
            s.positions = count(c, "positions")?;
            Ok(s)
        })
        .await?;
    s.reused = reused;
    s.elapsed_secs = elapsed.as_secs_f64();
    s.residents_secs = residents.as_secs_f64();
    s.residents_created = created;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wangge_store::Backend;
    use wangge_testkit::temp_store;

    fn cfg(people: usize) -> DemoConfig {
        DemoConfig { people, seed: 7 }
    }

    async fn one(store: &Store, sql: &'static str) -> i64 {
        store
            .db
            .read(move |c| c.query_one(sql, &[])?.get(0))
            .await
            .unwrap()
    }

    /// Names, birth dates, sexes, relations, units, decrypted ID numbers,
    /// addresses and phones, and household numbers of every resident.
    async fn residents(store: &Store) -> Vec<String> {
        let ctx = store.ctx("test", Scope::All, time::OffsetDateTime::now_utc());
        store
            .db
            .read(move |c| {
                let rows = c.query(
                    "SELECT p.name, p.birth_date, p.sex, p.relation, u.code, p.id_enc, p.address_enc,
                            p.phone_enc, h.number
                     FROM people p JOIN units u ON u.id = p.unit_id
                     JOIN households h ON h.id = p.household_id ORDER BY p.id",
                    &[],
                )?;
                let keys = ctx.keys();
                rows.iter()
                    .map(|r| {
                        let phone = r
                            .get::<Option<Vec<u8>>>(7)?
                            .map(|b| keys.open("people.phone", &b))
                            .transpose()?;
                        Ok(format!(
                            "{} {} {} {} {} {} {} {:?} {}",
                            r.get::<String>(0)?,
                            r.get::<String>(1)?,
                            r.get::<String>(2)?,
                            r.get::<String>(3)?,
                            r.get::<String>(4)?,
                            keys.open("people.id_number", &r.get::<Vec<u8>>(5)?)?,
                            keys.open("people.address_detail", &r.get::<Vec<u8>>(6)?)?,
                            phone,
                            r.get::<String>(8)?,
                        ))
                    })
                    .collect()
            })
            .await
            .unwrap()
    }

    #[test]
    fn generated_ids_are_valid_unique_and_synthetic() {
        let today = time::macros::date!(2026 - 01 - 01);
        let ids = sample_id_numbers(&cfg(20_000), 1);
        assert_eq!(ids.len(), 20_000);
        let mut seen = HashSet::new();
        for id in &ids {
            let parsed = wangge_core::ids::parse_resident_id(id, today).unwrap();
            assert_eq!(parsed.region_code(), ZONE_CODE);
            assert!(parsed.birth_date.year() <= LAST_DEMO_BIRTH_YEAR);
            assert!(seen.insert(id.clone()), "duplicate {id}");
        }
        assert_eq!(
            sample_id_numbers(&cfg(20_000), 1000),
            sample_id_numbers(&cfg(20_000), 1000)
        );
        assert_ne!(
            sample_id_numbers(&cfg(100), 1),
            sample_id_numbers(
                &DemoConfig {
                    people: 100,
                    seed: 8
                },
                1
            )
        );
    }

    #[test]
    fn credit_codes_pass_validation() {
        for n in [1, 2, 99, 1269, 999_999] {
            for prefix in ["91", "92", "51"] {
                let code = credit_code(prefix, n).unwrap();
                let parsed = wangge_core::ids::parse_credit_code(&code).unwrap();
                assert!(!parsed.org_code_warning, "{code}");
            }
        }
    }

    #[test]
    fn small_demos_still_reach_every_compound() {
        let layout = Layout::new(7);
        let mut g = Generator::new(&layout, &cfg(300));
        let batch = g.next_batch(usize::MAX);
        assert_eq!(batch.people.len(), 300);
        let places = layout.places();
        let mut compounds = HashSet::new();
        for h in &batch.households {
            if let Place::Building { compound, .. } = places[h.place] {
                compounds.insert(compound);
            }
        }
        assert_eq!(compounds.len(), 87);
        for h in batch.households.iter().map(|h| h.place) {
            assert!(h < places.len());
        }
        assert!(batch.people.iter().any(|p| p.address.contains('组')));
    }

    /// Stores are made and dropped outside the runtime: their PostgreSQL setup
    /// and clean-up use the blocking client, which runs its own runtime.
    fn check_backend(backend: Backend) {
        let Some(a) = temp_store(backend) else { return };
        let Some(b) = temp_store(backend) else { return };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(check_stores(&a, &b));
    }

    async fn check_stores(a: &Store, b: &Store) {
        let first = seed(a, &cfg(300)).await.unwrap();
        assert!(!first.reused);
        assert_eq!(first.people, 300);
        assert_eq!(first.residents_created, 300);
        seed(b, &cfg(300)).await.unwrap();
        // PostgreSQL's several writer connections may commit jobs in another
        // order, so rows are compared as sets, not by id.
        let (mut ra, mut rb) = (residents(a).await, residents(b).await);
        ra.sort();
        rb.sort();
        assert_eq!(ra.len(), 300);
        let diff = ra.iter().zip(&rb).find(|(x, y)| x != y);
        assert!(
            diff.is_none(),
            "the same seed must give the same residents: {diff:?}"
        );
        assert_eq!(ra.len(), rb.len());

        // The seeds' counts come out of the data.
        let urban = one(
            a,
            "SELECT COUNT(DISTINCT p.id) FROM units p JOIN units k ON k.parent_id = p.id
             WHERE p.kind = 'community' AND k.kind = 'compound'",
        )
        .await;
        assert_eq!(urban, 10);
        assert_eq!(
            one(a, "SELECT COUNT(*) FROM units WHERE kind = 'compound'").await,
            87
        );
        let branches = one(
            a,
            "SELECT COUNT(*) FROM organisations o JOIN units u ON u.id = o.unit_id
             WHERE o.kind = 'party_branch' AND u.kind = 'compound'",
        )
        .await;
        assert_eq!(branches, 85);
        let yuecheng = one(
            a,
            "SELECT COUNT(*) FROM units c JOIN units s ON s.id = c.parent_id
             WHERE s.name = '岳程街道' AND c.kind = 'community'",
        )
        .await;
        assert_eq!(yuecheng, 44);
        let alliances = one(
            a,
            "SELECT COUNT(*) FROM organisations o WHERE o.kind = 'alliance'
             AND EXISTS (SELECT 1 FROM alliance_members m WHERE m.alliance_id = o.id)",
        )
        .await;
        assert_eq!(alliances, 2);
        let car = one(
            a,
            "SELECT COUNT(*) FROM alliance_members m JOIN organisations o ON o.id = m.alliance_id
             WHERE o.name = '汽车行业党建联盟'",
        )
        .await;
        assert_eq!(car, 1 + 93 + 26 + 1006);
        let cross = one(
            a,
            "SELECT COUNT(DISTINCT b.person_id) FROM positions b
             JOIN organisations bo ON bo.id = b.org_id AND bo.kind = 'party_branch'
             JOIN positions w ON w.person_id = b.person_id
             JOIN organisations wo ON wo.id = w.org_id AND wo.kind = 'owners_committee'
             WHERE bo.unit_id = wo.unit_id",
        )
        .await;
        assert_eq!(cross, 72);
        assert_eq!(
            one(
                a,
                "SELECT COUNT(*) FROM positions WHERE kind = 'instructor'"
            )
            .await,
            24
        );
        // Every urban grid has its worker (small demos leave some villages empty).
        let urban_grids_without_worker = one(
            a,
            "SELECT COUNT(*) FROM units g WHERE g.kind = 'grid'
             AND EXISTS (SELECT 1 FROM units k WHERE k.parent_id = g.parent_id AND k.kind = 'compound')
             AND NOT EXISTS (SELECT 1 FROM positions ps JOIN organisations o ON o.id = ps.org_id
                WHERE ps.kind = 'grid_worker' AND o.unit_id = g.parent_id
                AND ps.title = '第' || (SELECT COUNT(*) FROM units g2
                    WHERE g2.parent_id = g.parent_id AND g2.kind = 'grid' AND g2.id <= g.id) || '网格网格员')",
        )
        .await;
        assert_eq!(urban_grids_without_worker, 0);
        let buildings_per_compound = one(
            a,
            "SELECT COUNT(*) FROM units k WHERE k.kind = 'compound' AND (
                SELECT COUNT(*) FROM units b WHERE b.parent_id = k.id) NOT BETWEEN 3 AND 8",
        )
        .await;
        assert_eq!(buildings_per_compound, 0);

        // A second run reuses the zone and adds nothing.
        let again = seed(a, &cfg(1000)).await.unwrap();
        assert!(again.reused);
        assert_eq!(again.people, 300);
        assert_eq!(again.positions, first.positions);
        assert_eq!(again.organisations, first.organisations);
        assert_eq!(again.households, first.households);
    }

    #[test]
    fn seeds_sqlite() {
        check_backend(Backend::Sqlite);
    }

    #[test]
    fn seeds_postgres() {
        check_backend(Backend::Postgres);
    }
}
