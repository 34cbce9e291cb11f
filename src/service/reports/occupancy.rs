//! Places and their use per night: the places in service, the summaries
//! kept at write time, and the nights the no-show rule has released.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use super::no_shows::{LazyEnds, lazy_ends};
use super::periods::nights_of;
use crate::db::reports::{self as q, Counts, Unclaimed};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::rules::kinds::PlaceCategory;

/// Places and their use on one night (or over the period), all shelters.
#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct Use {
    /// Places in service (overflow: opened).
    pub places: i64,
    /// Checked in, or held by a placement.
    pub occupied: i64,
    /// Reserved for a stay, not checked in, night over.
    pub no_show: i64,
    /// Places nobody held: `places - occupied - no_show`, at least 0.
    pub free: i64,
}

impl Use {
    fn add(&mut self, o: &Use) {
        self.places += o.places;
        self.occupied += o.occupied;
        self.no_show += o.no_show;
        self.free += o.free;
    }
}

#[derive(Debug, Clone, Default, Serialize, ToSchema, PartialEq, Eq)]
pub struct NightUse {
    #[schema(value_type = String, format = Date)]
    pub night: NaiveDate,
    pub cold_night: bool,
    /// Regular and women's places together, plus overflow opened.
    pub all: Use,
    pub regular: Use,
    pub women: Use,
    /// Overflow places opened on a cold night and used.
    pub overflow: Use,
    pub emergency_placements: i64,
    pub cold_night_placements: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Occupancy {
    pub nights: Vec<NightUse>,
    /// Summed over the nights (places are place-nights).
    pub total: NightTotals,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct NightTotals {
    pub nights: i64,
    pub cold_nights: i64,
    pub all: Use,
    pub regular: Use,
    pub women: Use,
    pub overflow: Use,
    pub emergency_placements: i64,
    pub cold_night_placements: i64,
}

pub(super) struct Places {
    /// Places per shelter and category (regular, women).
    per_shelter: HashMap<(String, String), i64>,
    /// Out of service: shelter, category, first, last.
    outages: Vec<(String, String, NaiveDate, NaiveDate)>,
    /// Overflow opened per night and shelter.
    openings: HashMap<(NaiveDate, String), i64>,
    pub(super) cold: BTreeSet<NaiveDate>,
}

impl Places {
    pub(super) fn load(
        conn: &mut DbConnection,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Self, AppError> {
        let per_shelter = q::places_per_shelter(conn)?
            .into_iter()
            .map(|(s, c, n)| ((s, c), n))
            .collect();
        let outages = q::outages(conn, from, to)?;
        let openings = q::openings(conn, from, to)?
            .into_iter()
            .map(|(n, s, p)| ((n, s), i64::from(p)))
            .collect();
        let cold = q::cold_nights(conn, from, to)?.into_iter().collect();
        Ok(Self {
            per_shelter,
            outages,
            openings,
            cold,
        })
    }

    /// Places of a category in service on `night` (one shelter, or all
    /// with `None`).
    fn on(&self, night: NaiveDate, shelter: Option<&str>, category: &str) -> i64 {
        if category == PlaceCategory::Overflow.as_str() {
            return match shelter {
                Some(s) => self
                    .openings
                    .get(&(night, s.to_owned()))
                    .copied()
                    .unwrap_or(0),
                None => self
                    .openings
                    .iter()
                    .filter(|((n, _), _)| *n == night)
                    .map(|(_, p)| *p)
                    .sum(),
            };
        }
        let all: i64 = match shelter {
            Some(s) => self
                .per_shelter
                .get(&(s.to_owned(), category.to_owned()))
                .copied()
                .unwrap_or(0),
            None => self
                .per_shelter
                .iter()
                .filter(|((_, c), _)| c == category)
                .map(|(_, n)| *n)
                .sum(),
        };
        let out = self
            .outages
            .iter()
            .filter(|(s, c, a, b)| {
                c == category && *a <= night && night <= *b && shelter.is_none_or(|x| x == s)
            })
            .count();
        all - i64::try_from(out).unwrap_or(0)
    }

    /// The same places as if all shelters were one (key "").
    pub(super) fn as_one(&self) -> Places {
        let mut one = Places {
            per_shelter: HashMap::new(),
            outages: Vec::new(),
            openings: HashMap::new(),
            cold: self.cold.clone(),
        };
        for ((_, cat), n) in &self.per_shelter {
            *one.per_shelter
                .entry((String::new(), cat.clone()))
                .or_insert(0) += n;
        }
        for (_, cat, a, b) in &self.outages {
            one.outages.push((String::new(), cat.clone(), *a, *b));
        }
        for ((n, _), p) in &self.openings {
            *one.openings.entry((*n, String::new())).or_insert(0) += p;
        }
        one
    }
}

/// The unclaimed nights of stays in `from..=to`, with the stay's shelter.
pub(super) fn unclaimed(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(Unclaimed, String)>, AppError> {
    Ok(q::unclaimed(conn, from, to)?
        .into_iter()
        .map(|u| {
            let s = u.stay_shelter_id.clone();
            (u, s)
        })
        .collect())
}

/// One row of the occupancy per shelter.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShelterNightUse {
    #[schema(value_type = String, format = Date)]
    pub night: NaiveDate,
    pub shelter_id: String,
    /// `regular`, `women` or `overflow`.
    pub category: String,
    #[serde(flatten)]
    pub usage: Use,
    pub emergency_placements: i64,
    pub cold_night_placements: i64,
    pub cold_night: bool,
}

/// Use of places per night for one shelter (or all, with `shelter`
/// `None`), from the summaries, with lazily ended stays released.
pub(super) fn night_use(
    nights: &[NaiveDate],
    places: &Places,
    rows: &[(NaiveDate, String, String, String, Counts)],
    released_by_rule: &HashMap<(NaiveDate, String, String), i64>,
) -> Vec<ShelterNightUse> {
    // (night, shelter, category) → (booked, occupied, released) per kind.
    let mut acc: BTreeMap<(NaiveDate, String, String), (Counts, i64, i64)> = BTreeMap::new();
    let mut shelters: BTreeSet<String> =
        places.per_shelter.keys().map(|(s, _)| s.clone()).collect();
    for (_, s) in places.openings.keys() {
        shelters.insert(s.clone());
    }
    for (n, s, c, k, counts) in rows {
        shelters.insert(s.clone());
        let e = acc.entry((*n, s.clone(), c.clone())).or_default();
        if k == "stay" {
            e.0.booked += counts.booked;
            e.0.occupied += counts.occupied;
            e.0.released += counts.released;
        } else {
            // Placements: used unless released.
            e.0.occupied += counts.occupied;
            if k == "emergency" {
                e.1 += counts.occupied;
            } else {
                e.2 += counts.occupied;
            }
        }
    }
    let mut out = Vec::new();
    for night in nights {
        for s in &shelters {
            for category in PlaceCategory::ALL.iter().map(|c| c.as_str()) {
                let key = (*night, s.clone(), category.to_owned());
                let (c, emergency, cold) = acc.get(&key).copied().unwrap_or_default();
                let places_n = places.on(*night, Some(s), category);
                if places_n == 0 && c.booked == 0 && c.occupied == 0 {
                    continue;
                }
                let stay_occupied = c.occupied - emergency - cold;
                let mut no_show = (c.booked - stay_occupied - c.released).max(0);
                no_show -= released_by_rule.get(&key).copied().unwrap_or(0);
                let no_show = no_show.max(0);
                out.push(ShelterNightUse {
                    night: *night,
                    shelter_id: s.clone(),
                    category: category.to_owned(),
                    usage: Use {
                        places: places_n,
                        occupied: c.occupied,
                        no_show,
                        free: (places_n - c.occupied - no_show).max(0),
                    },
                    emergency_placements: emergency,
                    cold_night_placements: cold,
                    cold_night: places.cold.contains(night),
                });
            }
        }
    }
    out
}

pub(super) fn released_by_rule(
    unclaimed: &[(Unclaimed, String)],
    ends: &LazyEnds,
) -> HashMap<(NaiveDate, String, String), i64> {
    let mut out = HashMap::new();
    for (u, _) in unclaimed {
        if ends
            .ended_after
            .get(&u.stay_id)
            .is_some_and(|last| u.night > *last)
        {
            *out.entry((u.night, u.shelter_id.clone(), u.category.clone()))
                .or_insert(0) += 1;
        }
    }
    out
}

/// Occupancy per night, shelter and category (issue 7, item 1).
pub fn occupancy_per_shelter(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    shelter: Option<&str>,
) -> Result<Vec<ShelterNightUse>, AppError> {
    db::read_tx(conn, |c| {
        let places = Places::load(c, from, to)?;
        let rows = q::night_counts(c, from, to, shelter)?;
        // No-show runs may start before the range.
        let un = unclaimed(c, from - chrono::Days::new(31), to)?;
        let ends = lazy_ends(&un);
        let rule = released_by_rule(&un, &ends);
        let mut out = night_use(&nights_of(from, to), &places, &rows, &rule);
        if let Some(s) = shelter {
            out.retain(|r| r.shelter_id == s);
        }
        Ok(out)
    })
}

pub(super) fn totals_per_night(
    per: &[ShelterNightUse],
    nights: &[NaiveDate],
    cold: &BTreeSet<NaiveDate>,
) -> Occupancy {
    let mut by_night: BTreeMap<NaiveDate, NightUse> = nights
        .iter()
        .map(|n| {
            (
                *n,
                NightUse {
                    night: *n,
                    cold_night: cold.contains(n),
                    ..NightUse::default()
                },
            )
        })
        .collect();
    for r in per {
        let Some(n) = by_night.get_mut(&r.night) else {
            continue;
        };
        match r.category.parse::<PlaceCategory>() {
            Ok(PlaceCategory::Regular) => n.regular.add(&r.usage),
            Ok(PlaceCategory::Women) => n.women.add(&r.usage),
            _ => n.overflow.add(&r.usage),
        }
        n.all.add(&r.usage);
        n.emergency_placements += r.emergency_placements;
        n.cold_night_placements += r.cold_night_placements;
    }
    let mut total = NightTotals::default();
    for n in by_night.values() {
        total.nights += 1;
        total.cold_nights += i64::from(n.cold_night);
        total.all.add(&n.all);
        total.regular.add(&n.regular);
        total.women.add(&n.women);
        total.overflow.add(&n.overflow);
        total.emergency_placements += n.emergency_placements;
        total.cold_night_placements += n.cold_night_placements;
    }
    Occupancy {
        nights: by_night.into_values().collect(),
        total,
    }
}
