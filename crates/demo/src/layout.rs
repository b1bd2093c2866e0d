//! The layout of the zone, decided before anything is written.

use super::*;

#[derive(Debug, Clone)]
pub(super) struct Layout {
    pub(super) streets: Vec<StreetL>,
}

#[derive(Debug, Clone)]
pub(super) struct StreetL {
    pub(super) name: &'static str,
    pub(super) communities: Vec<CommunityL>,
}

#[derive(Debug, Clone)]
pub(super) struct CommunityL {
    pub(super) name: String,
    /// Urban communities hold compounds; villages hold their residents directly.
    pub(super) compounds: Vec<CompoundL>,
    pub(super) grids: usize,
}

#[derive(Debug, Clone)]
pub(super) struct CompoundL {
    pub(super) name: String,
    /// Floors of each building.
    pub(super) buildings: Vec<u32>,
    pub(super) branch: bool,
    pub(super) property: usize,
}

/// Where a household can live: a building of a compound, or a village.
#[derive(Debug, Clone, Copy)]
pub(super) enum Place {
    Building { floors: u32, compound: usize },
    Village,
}

impl Layout {
    pub(super) fn new(seed: u64) -> Layout {
        // Its own stream, so the structure does not change with the number of people.
        let mut rng = SplitMix64::new(seed ^ 0x5EED_2020_0F0B_0B0B);
        let mut compound_names: Vec<String> = names::COMPOUND_PREFIXES
            .iter()
            .flat_map(|p| {
                names::COMPOUND_SUFFIXES
                    .iter()
                    .map(move |s| format!("{p}{s}"))
            })
            .collect();
        rng.shuffle(&mut compound_names);
        let named: HashSet<&str> = names::STREETS
            .iter()
            .flat_map(|s| {
                s.named_villages
                    .iter()
                    .copied()
                    .chain(s.urban.iter().map(|u| u.0))
            })
            .collect();
        let mut village_stems: Vec<String> = names::VILLAGE_STEMS
            .iter()
            .flat_map(|s| {
                names::VILLAGE_ENDINGS
                    .iter()
                    .map(move |e| format!("{s}{e}"))
            })
            .filter(|stem| {
                !named.contains(format!("{stem}社区").as_str())
                    && !named.contains(format!("{stem}村").as_str())
            })
            .collect();
        rng.shuffle(&mut village_stems);
        let mut compound_names = compound_names.into_iter();
        let mut village_stems = village_stems.into_iter();
        let mut compound_index = 0;
        let mut streets = Vec::new();
        for spec in &names::STREETS {
            let mut communities = Vec::new();
            for (name, n) in spec.urban {
                let mut compounds = Vec::new();
                for _ in 0..*n {
                    let buildings = (0..rng.range(3, 8))
                        .map(|_| rng.weighted(&[(6, 30), (7, 10), (11, 25), (18, 25), (26, 10)]))
                        .collect();
                    compounds.push(CompoundL {
                        name: compound_names.next().unwrap_or_default(),
                        buildings,
                        branch: !NO_BRANCH.contains(&compound_index),
                        property: compound_index % names::PROPERTY_COMPANIES.len(),
                    });
                    compound_index += 1;
                }
                communities.push(CommunityL {
                    name: name.to_string(),
                    grids: n.div_ceil(3),
                    compounds,
                });
            }
            let invented = (0..spec.invented_villages).map(|_| {
                let stem = village_stems.next().unwrap_or_default();
                // 岳程街道 calls all 44 of its villages 社区; elsewhere they stay 村.
                if spec.name == "岳程街道" {
                    format!("{stem}社区")
                } else {
                    format!("{stem}村")
                }
            });
            for name in spec
                .named_villages
                .iter()
                .map(|s| s.to_string())
                .chain(invented)
            {
                communities.push(CommunityL {
                    name,
                    compounds: Vec::new(),
                    grids: 1,
                });
            }
            streets.push(StreetL {
                name: spec.name,
                communities,
            });
        }
        Layout { streets }
    }

    pub(super) fn communities(&self) -> impl Iterator<Item = &CommunityL> {
        self.streets.iter().flat_map(|s| s.communities.iter())
    }

    pub(super) fn compounds(&self) -> impl Iterator<Item = &CompoundL> {
        self.communities().flat_map(|c| c.compounds.iter())
    }

    /// Every place a household can live, in the order residents are generated:
    /// all buildings first, then all villages.
    pub(super) fn places(&self) -> Vec<Place> {
        let mut out = Vec::new();
        for (i, compound) in self.compounds().enumerate() {
            for floors in &compound.buildings {
                out.push(Place::Building {
                    floors: *floors,
                    compound: i,
                });
            }
        }
        let villages = self.communities().filter(|c| c.compounds.is_empty());
        out.extend(villages.map(|_| Place::Village));
        out
    }
}
