//! Positions: grid workers, committee seats, party members, instructors and cross-appointments.

use super::*;

/// Adults (18 or older at the end of the demo's last birth year) living under
/// `path`, in place order.
pub(super) fn adults(c: &mut dyn Conn, path: &str) -> Result<Vec<i64>> {
    let (lo, hi) = subtree_range(path);
    let cutoff = format!("{}-12-31", LAST_DEMO_BIRTH_YEAR - 18);
    let rows = c.query(
        "SELECT id FROM people WHERE unit_path >= $1 AND unit_path < $2 AND birth_date <= $3
         ORDER BY unit_path, id LIMIT 400",
        params![lo, hi, cutoff],
    )?;
    rows.iter().map(|r| r.get(0)).collect()
}

pub(super) struct Appointer<'a> {
    pub(super) ctx: &'a Ctx,
    pub(super) used: HashSet<i64>,
}

impl Appointer<'_> {
    /// The first adult of `pool` not yet holding a demo position.
    pub(super) fn take(&mut self, pool: &[i64]) -> Option<i64> {
        let id = pool.iter().copied().find(|id| !self.used.contains(id))?;
        self.used.insert(id);
        Some(id)
    }

    pub(super) fn appoint(
        &self,
        c: &mut dyn Conn,
        person: i64,
        org: i64,
        kind: PositionKind,
        title: &str,
        from: &str,
    ) -> Result<()> {
        positions::create(
            c,
            self.ctx,
            NewPosition {
                person_id: person,
                org_id: org,
                kind,
                title: title.to_string(),
                from: from.to_string(),
                to: None,
            },
        )?;
        Ok(())
    }
}

/// Committee seats, cross-appointments, party members, grid workers and
/// instructors, chosen from the residents just created.
pub(super) fn appoint(c: &mut dyn Conn, ctx: &Ctx, built: &Built) -> Result<()> {
    use PositionKind::*;
    let mut a = Appointer {
        ctx,
        used: HashSet::new(),
    };
    let branches = built
        .compounds
        .iter()
        .filter(|k| k.branch.is_some())
        .count();
    let mut cross = 0;
    let mut branch_no = 0;
    for k in &built.compounds {
        let pool = adults(c, &k.path)?;
        match k.branch {
            Some(branch) => {
                if let Some(secretary) = a.take(&pool) {
                    a.appoint(c, secretary, branch, CommitteeSeat, "书记", "2020-01-01")?;
                    if cross < CROSS_APPOINTED {
                        a.appoint(c, secretary, k.owners, CommitteeSeat, "主任", "2020-01-01")?;
                        cross += 1;
                    } else if let Some(director) = a.take(&pool) {
                        a.appoint(c, director, k.owners, CommitteeSeat, "主任", "2020-01-01")?;
                    }
                }
                if let Some(p) = a.take(&pool) {
                    a.appoint(c, p, branch, CommitteeSeat, "组织委员", "2020-01-01")?;
                }
            }
            None => {
                if let Some(director) = a.take(&pool) {
                    a.appoint(c, director, k.owners, CommitteeSeat, "主任", "2020-01-01")?;
                }
            }
        }
        for _ in 0..2 {
            if let Some(p) = a.take(&pool) {
                a.appoint(c, p, k.owners, CommitteeSeat, "委员", "2020-01-01")?;
            }
        }
        if let Some(branch) = k.branch {
            // 在职党员 registered at their compound (双报到), spread evenly.
            let quota =
                PARTY_MEMBERS * (branch_no + 1) / branches - PARTY_MEMBERS * branch_no / branches;
            for _ in 0..quota {
                match a.take(&pool) {
                    Some(p) => a.appoint(
                        c,
                        p,
                        branch,
                        PartyMember,
                        "在职党员（双报到）",
                        "2020-03-01",
                    )?,
                    None => break,
                }
            }
            branch_no += 1;
        }
    }
    let mut village_adults = Vec::new();
    for community in &built.communities {
        let pool = adults(c, &community.path)?;
        if let Some(p) = a.take(&pool) {
            let title = if community.village {
                "村党支部书记"
            } else {
                "社区党委书记"
            };
            a.appoint(c, p, community.party, CommitteeSeat, title, "2018-01-01")?;
            a.appoint(
                c,
                p,
                community.committee,
                CommitteeSeat,
                "主任",
                "2018-01-01",
            )?;
        }
        for g in 1..=community.grids {
            // A community short of free adults lets someone serve a second role.
            let worker = a.take(&pool).or_else(|| pool.first().copied());
            if let Some(p) = worker {
                let title = format!("第{g}网格网格员");
                a.appoint(c, p, community.committee, GridWorker, &title, "2019-09-01")?;
            }
        }
        if community.village {
            village_adults.extend(pool);
        }
    }
    // 党建指导员 sent to compound branches, spread across them. They come from
    // the villages and towns; in a small demo, where every adult already holds
    // a post, a village cadre doubles as one (never a compound's committee
    // member, which would count as a cross-appointment).
    let with_branch: Vec<i64> = built.compounds.iter().filter_map(|k| k.branch).collect();
    for i in 0..INSTRUCTORS.min(with_branch.len()) {
        let branch = with_branch[i * with_branch.len() / INSTRUCTORS];
        let person = a
            .take(&village_adults)
            .or_else(|| village_adults.get(i % village_adults.len().max(1)).copied());
        match person {
            Some(p) => a.appoint(c, p, branch, Instructor, "党建指导员", "2020-05-01")?,
            None => break,
        }
    }
    Ok(())
}
