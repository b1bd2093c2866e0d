//! Writing the structure: units, organisations and alliances.

use super::*;

/// What the structure write created that later phases refer to.
pub(super) struct Built {
    /// Unit id and path of each place, aligned with `Layout::places`.
    pub(super) places: Vec<(i64, String)>,
    pub(super) compounds: Vec<BuiltCompound>,
    pub(super) communities: Vec<BuiltCommunity>,
}

pub(super) struct BuiltCompound {
    pub(super) path: String,
    pub(super) branch: Option<i64>,
    pub(super) owners: i64,
}

pub(super) struct BuiltCommunity {
    pub(super) path: String,
    pub(super) committee: i64,
    pub(super) party: i64,
    pub(super) grids: usize,
    pub(super) village: bool,
}

pub(super) fn unit(
    c: &mut dyn Conn,
    ctx: &Ctx,
    kind: UnitKind,
    name: &str,
    parent: &Unit,
) -> Result<Unit> {
    units::create(
        c,
        ctx,
        NewUnit {
            kind,
            name: name.to_string(),
            parent: Some(parent.code.clone()),
            code: None,
        },
    )
}

pub(super) fn org(
    c: &mut dyn Conn,
    ctx: &Ctx,
    name: &str,
    kind: OrgKind,
    unit: &Unit,
    parent: Option<i64>,
    credit_code: Option<String>,
) -> Result<i64> {
    Ok(registry::create::<Organisation>(
        c,
        ctx,
        NewOrganisation {
            name: name.to_string(),
            kind,
            unit: unit.code.clone(),
            parent_org_id: parent,
            credit_code,
        },
    )?
    .id)
}

/// Creates units, organisations and alliance memberships in one transaction;
/// `None` when the zone exists already.
pub(super) fn build(c: &mut dyn Conn, ctx: &Ctx, layout: &Layout) -> Result<Option<Built>> {
    if c.query_opt("SELECT id FROM units WHERE code = $1", params![ZONE_CODE])?
        .is_some()
    {
        return Ok(None);
    }
    let mut rng = SplitMix64::new(0xB0D1E5 ^ layout.streets.len() as u64);
    let mut credit_seq = 0u32;
    let mut next_credit = |prefix: &str| {
        credit_seq += 1;
        credit_code(prefix, credit_seq)
    };
    let zone = units::create(
        c,
        ctx,
        NewUnit {
            kind: UnitKind::Zone,
            name: names::ZONE.to_string(),
            parent: None,
            code: Some(ZONE_CODE.to_string()),
        },
    )?;
    use OrgKind::*;
    let gongwei = org(
        c,
        ctx,
        "菏泽开发区党工委",
        PartyCommittee,
        &zone,
        None,
        None,
    )?;
    let jiguan = org(
        c,
        ctx,
        "菏泽开发区机关党委",
        PartyCommittee,
        &zone,
        Some(gongwei),
        None,
    )?;
    let shangquan = org(
        c,
        ctx,
        "菏泽开发区商圈党委",
        PartyCommittee,
        &zone,
        Some(gongwei),
        None,
    )?;
    org(
        c,
        ctx,
        "菏泽经济开发区税务局党委",
        PartyCommittee,
        &zone,
        Some(gongwei),
        None,
    )?;
    let mut departments = Vec::new();
    for name in names::DEPARTMENTS {
        departments.push(org(c, ctx, name, Department, &zone, None, None)?);
    }
    let car_alliance = org(
        c,
        ctx,
        "汽车行业党建联盟",
        Alliance,
        &zone,
        Some(shangquan),
        None,
    )?;
    let central_alliance = org(
        c,
        ctx,
        "中心商圈党建联盟",
        Alliance,
        &zone,
        Some(shangquan),
        None,
    )?;
    let association = org(
        c,
        ctx,
        "菏泽市汽车行业协会",
        SocialOrganisation,
        &zone,
        None,
        next_credit("51"),
    )?;

    let mut built = Built {
        places: Vec::new(),
        compounds: Vec::new(),
        communities: Vec::new(),
    };
    let mut building_places = Vec::new();
    let mut village_places = Vec::new();
    let mut street_units = Vec::new();
    // Street of each property company's first compound, for its party organisation.
    let mut company_street: Vec<Option<(Unit, i64)>> = vec![None; names::PROPERTY_COMPANIES.len()];
    let mut spread = geography::Spread::new();
    for (street_index, street) in layout.streets.iter().enumerate() {
        let s = unit(c, ctx, UnitKind::Street, street.name, &zone)?;
        let street_at = spread.street(street_index);
        let town = street.name.ends_with('镇');
        let committee_name = if town {
            format!("{}党委", street.name)
        } else {
            format!("{}党工委", street.name)
        };
        let s_party = org(
            c,
            ctx,
            &committee_name,
            PartyCommittee,
            &s,
            Some(gongwei),
            None,
        )?;
        let office = if town {
            format!("{}人民政府", street.name)
        } else {
            format!("{}办事处", street.name)
        };
        org(c, ctx, &office, Department, &s, None, None)?;
        org(
            c,
            ctx,
            &format!("{}劳动保障所", street.name),
            Department,
            &s,
            None,
            None,
        )?;
        org(
            c,
            ctx,
            &format!("{}市场监管所", street.name),
            Department,
            &s,
            None,
            None,
        )?;
        for community in &street.communities {
            let cu = unit(c, ctx, UnitKind::Community, &community.name, &s)?;
            let village = community.compounds.is_empty();
            // Villages lie further out than the urban communities.
            let reach = if village { 3500.0 } else { 1500.0 };
            let community_at = spread.around(street_at, reach);
            geography::locate(c, ctx, &cu, community_at)?;
            let committee_name = match community.name.strip_suffix('村') {
                Some(stem) => format!("{stem}村民委员会"),
                None => format!("{}居民委员会", community.name),
            };
            let committee = org(
                c,
                ctx,
                &committee_name,
                NeighbourhoodCommittee,
                &cu,
                None,
                None,
            )?;
            let party = if village {
                let name = format!("{}党支部", community.name);
                org(c, ctx, &name, PartyBranch, &cu, Some(s_party), None)?
            } else {
                let name = format!("{}党委", community.name);
                org(c, ctx, &name, PartyCommittee, &cu, Some(s_party), None)?
            };
            for g in 1..=community.grids {
                unit(c, ctx, UnitKind::Grid, &format!("第{g}网格"), &cu)?;
            }
            built.communities.push(BuiltCommunity {
                path: cu.path.clone(),
                committee,
                party,
                grids: community.grids,
                village,
            });
            if village {
                village_places.push((cu.id, cu.path.clone()));
            }
            for compound in &community.compounds {
                let k = unit(c, ctx, UnitKind::Compound, &compound.name, &cu)?;
                let compound_at = spread.around(community_at, 400.0);
                geography::locate(c, ctx, &k, compound_at)?;
                let company = names::PROPERTY_COMPANIES[compound.property];
                let property_name = format!("{company}{}服务中心", compound.name);
                org(c, ctx, &property_name, PropertyCompany, &k, None, None)?;
                if company_street[compound.property].is_none() {
                    company_street[compound.property] = Some((s.clone(), s_party));
                }
                let owners_name = format!("{}业主委员会", compound.name);
                let owners = org(c, ctx, &owners_name, OwnersCommittee, &k, None, None)?;
                let branch = if compound.branch {
                    let name = format!("{}网格党支部", compound.name);
                    Some(org(c, ctx, &name, PartyBranch, &k, Some(party), None)?)
                } else {
                    None
                };
                for b in 1..=compound.buildings.len() {
                    let bu = unit(c, ctx, UnitKind::Building, &format!("{b}号楼"), &k)?;
                    if let Some(branch) = branch {
                        let name = format!("{}{b}号楼党小组", compound.name);
                        org(c, ctx, &name, PartyGroup, &bu, Some(branch), None)?;
                    }
                    building_places.push((bu.id, bu.path.clone()));
                }
                built.compounds.push(BuiltCompound {
                    path: k.path.clone(),
                    branch,
                    owners,
                });
            }
        }
        street_units.push((s, s_party));
    }
    built.places = building_places.into_iter().chain(village_places).collect();

    let street = |name: &str| -> Result<&(Unit, i64)> {
        street_units
            .iter()
            .find(|(u, _)| u.name == name)
            .ok_or_else(|| Error::Db(format!("demo layout has no street {name}")))
    };
    for (company, place) in names::PROPERTY_COMPANIES
        .iter()
        .zip(&company_street)
        .take(names::PROPERTY_PARTY_ORGS)
    {
        if let Some((s, s_party)) = place {
            org(
                c,
                ctx,
                &format!("{company}党支部"),
                PartyBranch,
                s,
                Some(*s_party),
                None,
            )?;
        }
    }
    for (name, at) in names::NAMED_PARTY_BRANCHES {
        let (u, parent) = if at.is_empty() {
            (&zone, jiguan)
        } else {
            let (u, p) = street(at)?;
            (u, *p)
        };
        org(c, ctx, name, PartyBranch, u, Some(parent), None)?;
    }
    for (name, at) in names::NAMED_ENTERPRISES {
        let (u, _) = street(at)?;
        org(c, ctx, name, Enterprise, u, None, next_credit("91"))?;
    }
    let (yuecheng, _) = street("岳程街道")?;
    for trade in names::TRADE_WORDS.iter().take(12) {
        let name = format!("菏泽{trade}医药科技有限公司");
        org(c, ctx, &name, Enterprise, yuecheng, None, next_credit("91"))?;
    }

    // 汽车行业党建联盟: the association, 93 car dealers, 26 commercial
    // enterprises and 1,006 individual businesses.
    let (dianhutun, _) = street("佃户屯街道")?;
    let (danyang, _) = street("丹阳街道")?;
    let mut car_members = vec![association];
    for i in 0..93 {
        let trade = names::TRADE_WORDS[i % names::TRADE_WORDS.len()];
        let form = names::CAR_COMPANY_FORMS[i / names::TRADE_WORDS.len()];
        let name = format!("菏泽{trade}{form}");
        car_members.push(org(
            c,
            ctx,
            &name,
            Enterprise,
            dianhutun,
            None,
            next_credit("91"),
        )?);
    }
    for trade in names::TRADE_WORDS.iter().rev().take(26) {
        let name = format!("菏泽{trade}商贸有限公司");
        car_members.push(org(
            c,
            ctx,
            &name,
            Enterprise,
            dianhutun,
            None,
            next_credit("91"),
        )?);
    }
    let mut shop_names = HashSet::new();
    let mut shop = |rng: &mut SplitMix64| loop {
        let surname = rng.weighted(&names::SURNAMES);
        let given = rng.pick(&names::GIVEN_MALE);
        let trade = rng.pick(&names::SHOP_TRADES);
        let name = format!("{surname}{given}{trade}");
        if shop_names.insert(name.clone()) {
            return name;
        }
    };
    let shop_streets: Vec<&Unit> = street_units.iter().map(|(u, _)| u).collect();
    for i in 0..1006 {
        let name = shop(&mut rng);
        let at = shop_streets[i % shop_streets.len()];
        car_members.push(org(c, ctx, &name, Enterprise, at, None, next_credit("92"))?);
    }
    // 中心商圈党建联盟: four commercial groups, 263 individual businesses and
    // eight departments.
    let mut central_members = Vec::new();
    for name in names::CENTRAL_GROUPS {
        central_members.push(org(
            c,
            ctx,
            name,
            Enterprise,
            danyang,
            None,
            next_credit("91"),
        )?);
    }
    for _ in 0..263 {
        let name = shop(&mut rng);
        central_members.push(org(
            c,
            ctx,
            &name,
            Enterprise,
            danyang,
            None,
            next_credit("92"),
        )?);
    }
    central_members.extend(departments.iter().take(names::ALLIANCE_DEPARTMENTS));
    for m in car_members {
        organisations::add_member(c, ctx, car_alliance, m)?;
    }
    for m in central_members {
        organisations::add_member(c, ctx, central_alliance, m)?;
    }
    Ok(Some(built))
}
