//! Residents and households, generated without the database.

use super::*;

#[derive(Debug, Clone)]
pub(super) struct RawHousehold {
    pub(super) place: usize,
    pub(super) number: String,
}

#[derive(Debug, Clone)]
pub(super) struct RawPerson {
    pub(super) name: String,
    pub(super) id_number: String,
    pub(super) phone: Option<String>,
    pub(super) address: String,
    pub(super) relation: Relation,
    /// Index of the household in its batch.
    pub(super) household: usize,
}

#[derive(Debug, Default)]
pub(super) struct RawBatch {
    pub(super) households: Vec<RawHousehold>,
    pub(super) people: Vec<RawPerson>,
}

pub(super) const MOBILE_PREFIXES: [u16; 24] = [
    130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 150, 151, 152, 155, 156, 157, 158, 159, 180,
    182, 183, 185, 186, 187,
];

/// Produces households and their members in place order. Each place gets an
/// even share of the residents, and every compound at least one household, so
/// that even a small demo has someone to appoint in every compound.
pub(super) struct Generator {
    pub(super) rng: SplitMix64,
    pub(super) places: Vec<Place>,
    /// Cumulative number of residents generated when each place is done.
    pub(super) ends: Vec<usize>,
    pub(super) total: usize,
    pub(super) produced: usize,
    pub(super) place: usize,
    pub(super) in_place: u32,
    pub(super) compounds_started: Vec<bool>,
    /// Sequence numbers used per birth date and sex, so ID numbers never repeat.
    pub(super) seq_used: Vec<u16>,
    pub(super) households: usize,
}

pub(super) const EPOCH_YEAR: i32 = 1900;

impl Generator {
    pub(super) fn new(layout: &Layout, cfg: &DemoConfig) -> Generator {
        let places = layout.places();
        let buildings = places
            .iter()
            .filter(|p| matches!(p, Place::Building { .. }))
            .count();
        let villages = places.len() - buildings;
        let urban = cfg.people * URBAN_PERCENT / 100;
        let rural = cfg.people - urban;
        let mut ends = Vec::with_capacity(places.len());
        for i in 0..buildings {
            ends.push(urban * (i + 1) / buildings.max(1));
        }
        for i in 0..villages {
            ends.push(urban + rural * (i + 1) / villages.max(1));
        }
        let days = (LAST_DEMO_BIRTH_YEAR - EPOCH_YEAR + 1) as usize * 366;
        Generator {
            rng: SplitMix64::new(cfg.seed),
            compounds_started: vec![false; layout.compounds().count()],
            places,
            ends,
            total: cfg.people,
            produced: 0,
            place: 0,
            in_place: 0,
            seq_used: vec![0; days * 2],
            households: 0,
        }
    }

    pub(super) fn next_batch(&mut self, max_people: usize) -> RawBatch {
        let mut batch = RawBatch::default();
        while batch.people.len() < max_people && self.next_household(&mut batch) {}
        batch
    }

    /// Appends one household to `batch`; false when everyone has been generated.
    pub(super) fn next_household(&mut self, batch: &mut RawBatch) -> bool {
        if self.produced >= self.total || self.places.is_empty() {
            return false;
        }
        loop {
            let last = self.place + 1 >= self.places.len();
            let must = match self.places[self.place] {
                Place::Building { compound, .. } => !self.compounds_started[compound],
                Place::Village => false,
            };
            if last || must || self.produced < self.ends[self.place] {
                break;
            }
            self.place += 1;
            self.in_place = 0;
        }
        let place = self.places[self.place];
        if let Place::Building { compound, .. } = place {
            self.compounds_started[compound] = true;
        }
        let address = match place {
            Place::Building { floors, .. } => {
                let per_unit = floors * 2;
                let (unit, within) = (self.in_place / per_unit + 1, self.in_place % per_unit);
                format!("{unit}单元{}{:02}室", within / 2 + 1, within % 2 + 1)
            }
            Place::Village => format!("{}组{}号", self.in_place / 60 + 1, self.in_place % 60 + 1),
        };
        self.in_place += 1;
        self.households += 1;
        let household = batch.households.len();
        batch.households.push(RawHousehold {
            place: self.place,
            number: format!("H{:08}", self.households),
        });
        let remaining = (self.total - self.produced) as u64;
        let size = self
            .rng
            .weighted(&[(1u64, 15), (2, 30), (3, 28), (4, 17), (5, 10)])
            .min(remaining);
        for m in self.members(size) {
            let person = self.person(m, &address, household);
            batch.people.push(person);
        }
        self.produced += size as usize;
        true
    }

    /// Ages, sexes, family names and relations of a household's members.
    pub(super) fn members(&mut self, size: u64) -> Vec<Member> {
        let rng = &mut self.rng;
        let head_age = if rng.percent(80) {
            rng.range(25, 64)
        } else {
            rng.range(65, 90)
        };
        let head_male = rng.percent(70);
        let head_surname = rng.weighted(&names::SURNAMES);
        let mut out = vec![Member {
            age: head_age,
            male: head_male,
            surname: head_surname,
            relation: Relation::Head,
        }];
        if size < 2 {
            return out;
        }
        let spouse_age = (head_age + rng.below(9)).saturating_sub(4).max(20);
        let spouse_surname = rng.weighted(&names::SURNAMES);
        out.push(Member {
            age: spouse_age,
            male: !head_male,
            surname: spouse_surname,
            relation: Relation::Spouse,
        });
        let father = if head_male {
            head_surname
        } else {
            spouse_surname
        };
        let younger = head_age.min(spouse_age);
        let mut children = 0;
        for _ in 2..size {
            let child_age = younger.checked_sub(22 + rng.below(12));
            let parent_age = head_age + 22 + rng.below(10);
            let m = match child_age {
                Some(age) if children < 3 => {
                    children += 1;
                    Member {
                        age,
                        male: rng.percent(51),
                        surname: father,
                        relation: Relation::Child,
                    }
                }
                _ if parent_age <= 98 => {
                    let male = rng.percent(40);
                    Member {
                        age: parent_age,
                        male,
                        surname: if male && head_male {
                            head_surname
                        } else {
                            rng.weighted(&names::SURNAMES)
                        },
                        relation: Relation::Parent,
                    }
                }
                _ => Member {
                    age: (head_age + rng.below(7)).saturating_sub(3),
                    male: rng.percent(50),
                    surname: head_surname,
                    relation: Relation::Sibling,
                },
            };
            out.push(m);
        }
        out
    }

    pub(super) fn person(&mut self, m: Member, address: &str, household: usize) -> RawPerson {
        let rng = &mut self.rng;
        let year = LAST_DEMO_BIRTH_YEAR - m.age as i32;
        let days_in_year = if time::util::is_leap_year(year) {
            366
        } else {
            365
        };
        let ordinal = rng.range(1, days_in_year) as u16;
        let mut birth = Date::from_ordinal_date(year, ordinal).unwrap_or(epoch());
        // 499 numbers per birth date and sex; a full date lends the day before.
        let seq = loop {
            let day = (birth - epoch()).whole_days().max(0) as usize;
            let slot = day * 2 + usize::from(m.male);
            match self.seq_used.get_mut(slot) {
                Some(used) if *used < 499 => {
                    *used += 1;
                    break 2 * *used - if m.male { 1 } else { 0 };
                }
                Some(_) => birth = birth.previous_day().unwrap_or(birth),
                None => break 999,
            }
        };
        let pool: &[&str] = if m.male {
            &names::GIVEN_MALE
        } else {
            &names::GIVEN_FEMALE
        };
        let mut name = m.surname.to_string();
        name.push_str(rng.pick::<&str>(pool));
        if rng.percent(75) {
            name.push_str(rng.pick::<&str>(pool));
        }
        let has_phone = m.age >= 16 && !(m.age >= 75 && rng.percent(50));
        let phone = has_phone.then(|| {
            format!(
                "{}{:08}",
                rng.pick(&MOBILE_PREFIXES),
                rng.below(100_000_000)
            )
        });
        RawPerson {
            name,
            id_number: synthetic_id_number(birth, seq),
            phone,
            address: address.to_string(),
            relation: m.relation,
            household,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Member {
    pub(super) age: u64,
    pub(super) male: bool,
    pub(super) surname: &'static str,
    pub(super) relation: Relation,
}

pub(super) fn epoch() -> Date {
    Date::from_calendar_date(EPOCH_YEAR, Month::January, 1).unwrap_or(Date::MIN)
}

/// Every `every`-th resident ID number the demo with `cfg` creates (the first
/// resident's included), without touching a database: benchmarks and tests use
/// them to look residents up.
pub fn sample_id_numbers(cfg: &DemoConfig, every: usize) -> Vec<String> {
    let layout = Layout::new(cfg.seed);
    let mut g = Generator::new(&layout, cfg);
    let every = every.max(1);
    let mut out = Vec::new();
    let mut i = 0usize;
    loop {
        let batch = g.next_batch(JOB * JOBS_PER_GROUP);
        if batch.people.is_empty() {
            return out;
        }
        for p in batch.people {
            if i.is_multiple_of(every) {
                out.push(p.id_number);
            }
            i += 1;
        }
    }
}
