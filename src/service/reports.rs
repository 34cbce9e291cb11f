//! The partnership's follow-up (issue 7): occupancy per night, the
//! follow-up report for a period, and the bed-night export.
//!
//! Everything is aggregated in SQL from the summaries kept at write time
//! (`db::reports`); this module puts the figures together, applies the
//! bed rules where the database is lazy (a stay that has reached its
//! no-show limit but that nobody has read since is ended here as the
//! rules say), and suppresses small counts of people
//! (`service::suppression`).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::db::reports::{self as q, Counts, GuestGroup, ShelterOrg, Unclaimed};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::rules::checkin::{self, NightFacts};
use crate::rules::{Calendar, Night};
use crate::service::followup::REFERRAL_REASONS;
use crate::service::suppression::{Engine, Figure};

/// The age bands of the report (issue 7), with `under-18` for the rare
/// placement of a minor.
pub const AGE_BANDS: [&str; 7] = [
    "under-18", "18-25", "26-35", "36-45", "46-55", "56-65", "66+",
];
pub const GENDERS: [&str; 4] = ["woman", "man", "other", "unknown"];
/// Refusal codes that are counted (RULES.md §8), in the report's order.
pub const TURNAWAY_REASONS: [&str; 10] = [
    "no-free-place",
    "in-quarantine",
    "lost-draw",
    "outside-target-group",
    "minor",
    "banned",
    "category-not-allowed",
    "night-out-of-range",
    "reservation-released",
    "not-a-cold-night",
];
pub const REFERRAL_STATUSES: [&str; 3] = ["open", "taken", "closed"];
pub const INCIDENT_KINDS: [&str; 2] = ["threat", "violence"];
pub const STAY_OUTCOMES: [&str; 3] = ["begun", "ended_early", "ended_by_no_shows"];

/// The report's period: nights `from..=to`, all of them over.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Period {
    #[schema(value_type = String, format = Date)]
    pub from: NaiveDate,
    #[schema(value_type = String, format = Date)]
    pub to: NaiveDate,
    /// `half-year` or `partnership-year` when asked for by preset.
    pub preset: Option<String>,
    /// The last night asked for, when it was later than the last night
    /// that is over (the report ends there).
    #[schema(value_type = Option<String>, format = Date)]
    pub cut_short_from: Option<NaiveDate>,
}

/// How small counts are shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suppression {
    /// Counts of people from 1 to `below - 1` are shown as `"<below>"`;
    /// 0: nothing is suppressed.
    pub below: u32,
    /// What a small count looks like, e.g. `"<5"`.
    pub small: String,
    /// What a count withheld to protect a small one looks like.
    pub withheld: String,
}

/// A table of counts: one row per organisation, then all of them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TableRow {
    /// The organisation; none on the row of all organisations (and on the
    /// row of turn-aways that named no shelter).
    pub organization_id: Option<String>,
    pub label: String,
    /// One figure per column.
    pub cells: Vec<Figure>,
    /// The sum of the cells, where they add up.
    pub total: Option<Figure>,
}

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

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Breakdowns {
    pub by_gender: Table,
    /// Age on the first night of the period.
    pub by_age_band: Table,
    pub by_citizenship: Table,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Referrals {
    pub by_reason: Table,
    pub by_status: Table,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Complaints {
    pub by_category: Table,
    pub by_kind: Table,
    pub by_status: Table,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveyQuestionSummary {
    pub id: String,
    pub text: String,
    /// The answers in order, with how many gave each.
    pub answers: Vec<String>,
    pub counts: Vec<Figure>,
    /// How many answered this question.
    pub answered: Figure,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SurveySummary {
    pub questionnaire: String,
    pub responses: Figure,
    pub questions: Vec<SurveyQuestionSummary>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub shelter_ids: Vec<String>,
}

/// The follow-up report (issue 7).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FollowUpReport {
    pub period: Period,
    pub generated_at: DateTime<Utc>,
    pub suppression: Suppression,
    pub organisations: Vec<Organisation>,
    /// Use of the places per night, all shelters (not counts of people:
    /// never suppressed).
    pub occupancy: Occupancy,
    /// Guests with at least one bed night in the period.
    pub guests: Breakdowns,
    /// Nights checked in, and single-night placements.
    pub bed_nights: Breakdowns,
    /// Stays begun in the period, and how many of them ended early (by
    /// staff) or by no-shows.
    pub stays: Table,
    /// Refused intakes and placements by reason code (RULES.md §8).
    pub turnaways: Table,
    /// Referrals opened in the period (they name no shelter: one row).
    pub referrals: Referrals,
    pub incidents: Table,
    pub complaints: Complaints,
    pub survey: SurveySummary,
}

/// The nights a preset covers around `of`: the half of the partnership
/// year (1 May to 31 October, 1 November to 30 April), or the whole
/// partnership year from 1 May.
pub fn preset_period(preset: &str, of: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let half = q::half_of(of);
    match preset {
        "half-year" => {
            let end = half
                .checked_add_months(chrono::Months::new(6))?
                .pred_opt()?;
            Some((half, end))
        }
        "partnership-year" => {
            let year = if of.month() >= 5 {
                of.year()
            } else {
                of.year() - 1
            };
            let start = NaiveDate::from_ymd_opt(year, 5, 1)?;
            let end = NaiveDate::from_ymd_opt(year + 1, 4, 30)?;
            Some((start, end))
        }
        _ => None,
    }
}

/// Age on `on` of a person born on `born` (31 December of the birth year
/// when only the year is known), as the rules count it.
pub fn age_on(born: NaiveDate, on: NaiveDate) -> i32 {
    let had_birthday = (on.month(), on.day()) >= (born.month(), born.day());
    on.year() - born.year() - i32::from(!had_birthday)
}

// -------------------------------------------------------------- occupancy

struct Places {
    /// Places per shelter and category (regular, women).
    per_shelter: HashMap<(String, String), i64>,
    /// Out of service: shelter, category, first, last.
    outages: Vec<(String, String, NaiveDate, NaiveDate)>,
    /// Overflow opened per night and shelter.
    openings: HashMap<(NaiveDate, String), i64>,
    cold: BTreeSet<NaiveDate>,
}

impl Places {
    fn load(conn: &mut DbConnection, from: NaiveDate, to: NaiveDate) -> Result<Self, AppError> {
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
        if category == "overflow" {
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
    fn as_one(&self) -> Places {
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

/// Stays that the rules have ended by no-shows but that nobody has read
/// since (so the database still holds their later nights): the stay, its
/// shelter, its first night, and the last missed night after which every
/// night is released by the rules.
struct LazyEnds {
    /// stay id → last missed night.
    ended_after: HashMap<String, NaiveDate>,
    /// (first night, shelter) of each such stay, for the stay counts.
    stays: Vec<(NaiveDate, String)>,
}

fn lazy_ends(unclaimed: &[(Unclaimed, String)]) -> LazyEnds {
    let mut by_stay: BTreeMap<&str, Vec<&Unclaimed>> = BTreeMap::new();
    for (u, _) in unclaimed {
        by_stay.entry(u.stay_id.as_str()).or_default().push(u);
    }
    let mut out = LazyEnds {
        ended_after: HashMap::new(),
        stays: Vec::new(),
    };
    for (stay, nights) in by_stay {
        let Some(first) = nights.first() else {
            continue;
        };
        if first.status != "active" {
            continue;
        }
        // The nights here are the stay's missed ones within the period (all
        // over): a night between them that was checked in is a gap in the
        // dates, which breaks a run as in the rule itself.
        let facts: Vec<NightFacts> = nights
            .iter()
            .map(|n| NightFacts {
                night: Night::new(n.night),
                checked_in: false,
                released: false,
                created_at: DateTime::UNIX_EPOCH,
            })
            .collect();
        let limit = u32::try_from(first.no_show_limit).unwrap_or(0);
        if let Some(end) = checkin::no_show_end(&facts, limit) {
            out.ended_after.insert(stay.to_owned(), end.plus(-1).date());
            let shelter = unclaimed
                .iter()
                .find(|(u, _)| u.stay_id == stay)
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            out.stays.push((first.first_night, shelter));
        }
    }
    out
}

/// The unclaimed nights of stays in `from..=to`, with the stay's shelter.
fn unclaimed(
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
fn night_use(
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
            for category in ["regular", "women", "overflow"] {
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

fn nights_of(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    from.iter_days().take_while(|d| *d <= to).collect()
}

fn released_by_rule(
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

fn totals_per_night(
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
        match r.category.as_str() {
            "regular" => n.regular.add(&r.usage),
            "women" => n.women.add(&r.usage),
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

// ------------------------------------------------------------ the tables

/// Builds tables of figures in one suppression engine.
struct Builder {
    engine: Engine,
    below: i64,
    orgs: Vec<(String, String)>,
}

/// A row before suppression: organisation, label, cell figures, total.
type DraftRow = (Option<String>, String, Vec<usize>, Option<usize>);

/// A table before suppression: figure ids.
struct Draft {
    columns: Vec<String>,
    rows: Vec<DraftRow>,
}

impl Builder {
    /// A table with one row per organisation (and `extra` rows, e.g. "no
    /// shelter"), then the row of all: `value(row key, column)` gives the
    /// counts of the organisation rows; the row of all is their sum when
    /// `all` is `None`, else `all(column)`. `totals` links row totals to
    /// figures that exist already (the same total shown in two tables).
    #[allow(clippy::too_many_arguments)]
    fn table(
        &mut self,
        columns: &[String],
        extra: &[(Option<String>, String)],
        value: &dyn Fn(&str, &str) -> i64,
        all: Option<&dyn Fn(&str) -> i64>,
        people: bool,
        row_totals: bool,
        totals: Option<&[usize]>,
    ) -> Draft {
        let mut keyed: Vec<(Option<String>, String)> = self
            .orgs
            .iter()
            .map(|(id, name)| (Some(id.clone()), name.clone()))
            .collect();
        keyed.extend(extra.iter().cloned());
        let mut rows = Vec::new();
        for (i, (key, label)) in keyed.iter().enumerate() {
            let k = key.as_deref().unwrap_or("");
            let cells: Vec<usize> = columns
                .iter()
                .map(|c| self.engine.figure(value(k, c), people))
                .collect();
            let total = if row_totals {
                let t = match totals.and_then(|t| t.get(i)) {
                    Some(t) => *t,
                    None => {
                        let sum = columns.iter().map(|c| value(k, c)).sum();
                        self.engine.figure(sum, people)
                    }
                };
                self.engine.line(cells.clone(), t);
                Some(t)
            } else {
                None
            };
            rows.push((key.clone(), label.clone(), cells, total));
        }
        let all_cells: Vec<usize> = columns
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let v = match all {
                    Some(f) => f(c),
                    None => keyed
                        .iter()
                        .map(|(k, _)| value(k.as_deref().unwrap_or(""), c))
                        .sum(),
                };
                let id = self.engine.figure(v, people);
                if all.is_none() {
                    let parts = rows.iter().map(|r| r.2[ci]).collect();
                    self.engine.line(parts, id);
                }
                id
            })
            .collect();
        let all_total = if row_totals {
            let t = match totals.and_then(|t| t.get(keyed.len())) {
                Some(t) => *t,
                None => {
                    let sum = columns
                        .iter()
                        .map(|c| match all {
                            Some(f) => f(c),
                            None => keyed
                                .iter()
                                .map(|(k, _)| value(k.as_deref().unwrap_or(""), c))
                                .sum(),
                        })
                        .sum::<i64>();
                    self.engine.figure(sum, people)
                }
            };
            self.engine.line(all_cells.clone(), t);
            if all.is_none() {
                let parts = rows.iter().filter_map(|r| r.3).collect();
                self.engine.line(parts, t);
            }
            Some(t)
        } else {
            None
        };
        rows.push((None, "All organisations".to_owned(), all_cells, all_total));
        Draft {
            columns: columns.to_vec(),
            rows,
        }
    }

    fn finish(&self, d: Draft) -> Table {
        Table {
            columns: d.columns,
            rows: d
                .rows
                .into_iter()
                .map(|(key, label, cells, total)| TableRow {
                    organization_id: key,
                    label,
                    cells: cells
                        .iter()
                        .map(|i| self.engine.shown(*i, self.below))
                        .collect(),
                    total: total.map(|t| self.engine.shown(t, self.below)),
                })
                .collect(),
        }
    }
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

/// The survey's fixed questions (one questionnaire per period; a new
/// version gets a new id).
pub struct Question {
    pub id: &'static str,
    pub text: &'static str,
    pub answers: &'static [&'static str],
}

pub const QUESTIONNAIRE: &str = "2026-1";
pub const YES_PARTLY_NO: &[&str] = &["yes", "partly", "no"];
pub const QUESTIONS: [Question; 5] = [
    Question {
        id: "safe",
        text: "Did you feel safe at the shelter?",
        answers: YES_PARTLY_NO,
    },
    Question {
        id: "respected",
        text: "Did the staff treat you with respect?",
        answers: YES_PARTLY_NO,
    },
    Question {
        id: "clean",
        text: "Were the shelter and the beds clean?",
        answers: YES_PARTLY_NO,
    },
    Question {
        id: "informed",
        text: "Did you get the information you needed about other help?",
        answers: YES_PARTLY_NO,
    },
    Question {
        id: "overall",
        text: "All in all, how good is the shelter (1 very bad, 5 very good)?",
        answers: &["1", "2", "3", "4", "5"],
    },
];

/// What goes into the report besides the period.
pub struct ReportInput {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub preset: Option<String>,
    pub cut_short_from: Option<NaiveDate>,
    pub below: u32,
    pub generated_at: DateTime<Utc>,
    /// The last night that is over (no-shows are counted up to it).
    pub last_over: NaiveDate,
}

fn count_map<K: std::hash::Hash + Eq>(rows: impl IntoIterator<Item = (K, i64)>) -> HashMap<K, i64> {
    let mut m = HashMap::new();
    for (k, v) in rows {
        *m.entry(k).or_insert(0) += v;
    }
    m
}

/// The follow-up report for `from..=to` (issue 7, item 2).
pub fn follow_up(
    conn: &mut DbConnection,
    calendar: &Calendar,
    input: ReportInput,
) -> Result<FollowUpReport, AppError> {
    let ReportInput {
        from,
        to,
        preset,
        cut_short_from,
        below,
        generated_at,
        last_over,
    } = input;
    db::read_tx(conn, |c| {
        let shelters: Vec<ShelterOrg> = q::shelters(c)?;
        let org_of: HashMap<String, String> = shelters
            .iter()
            .map(|s| (s.shelter_id.clone(), s.organization_id.clone()))
            .collect();
        let mut organisations: Vec<Organisation> = Vec::new();
        for s in &shelters {
            match organisations.iter_mut().find(|o| o.id == s.organization_id) {
                Some(o) => o.shelter_ids.push(s.shelter_id.clone()),
                None => organisations.push(Organisation {
                    id: s.organization_id.clone(),
                    name: s.organization_name.clone(),
                    shelter_ids: vec![s.shelter_id.clone()],
                }),
            }
        }
        let org = |shelter: &str| org_of.get(shelter).cloned().unwrap_or_default();

        // Occupancy: the summary per night and category over all shelters
        // would do, but lazily ended stays are per shelter; per shelter it
        // is (nights × shelters × categories rows, from the summary).
        let nights = nights_of(from, to);
        let places = Places::load(c, from, to)?;
        let un = unclaimed(
            c,
            from - chrono::Days::new(31),
            (to + chrono::Days::new(8)).min(last_over),
        )?;
        let ends = lazy_ends(&un);
        let rule = released_by_rule(&un, &ends);
        // Per night and category over all shelters, as if they were one:
        // a few rows per night from the summary, whatever the size.
        let rows: Vec<_> = q::night_totals(c, from, to)?
            .into_iter()
            .map(|(n, cat, k, counts)| (n, String::new(), cat, k, counts))
            .collect();
        let mut rule_all: HashMap<(NaiveDate, String, String), i64> = HashMap::new();
        for ((n, _, cat), v) in &rule {
            *rule_all
                .entry((*n, String::new(), cat.clone()))
                .or_insert(0) += v;
        }
        let per_shelter = night_use(&nights, &places.as_one(), &rows, &rule_all);
        let occupancy = totals_per_night(&per_shelter, &nights, &places.cold);

        let mut b = Builder {
            engine: Engine::new(),
            below: i64::from(below),
            orgs: organisations
                .iter()
                .map(|o| (o.id.clone(), o.name.clone()))
                .collect(),
        };

        // Guests and bed nights.
        let groups: Vec<GuestGroup> = q::guest_groups(c, from, to)?;
        let band = |g: &GuestGroup| crate::rules::eligibility::age_band(age_on(g.born, from));
        let mut guests: HashMap<(String, &str, String), i64> = HashMap::new();
        let mut nights_: HashMap<(String, &str, String), i64> = HashMap::new();
        let mut citizenships: BTreeSet<String> = BTreeSet::new();
        for g in &groups {
            citizenships.insert(g.citizenship.clone());
            for (dim, v) in [
                ("gender", g.gender.clone()),
                ("band", band(g).to_owned()),
                ("citizenship", g.citizenship.clone()),
            ] {
                *guests
                    .entry((g.organization_id.clone(), dim, v.clone()))
                    .or_insert(0) += g.guests;
                *nights_
                    .entry((g.organization_id.clone(), dim, v))
                    .or_insert(0) += g.bed_nights;
            }
        }
        let dims: [(&str, Vec<String>); 3] = [
            ("gender", strings(&GENDERS)),
            ("band", strings(&AGE_BANDS)),
            ("citizenship", citizenships.into_iter().collect()),
        ];
        let g_of = |m: &HashMap<(String, &str, String), i64>, o: &str, d: &str, v: &str| {
            m.get(&(o.to_owned(), d, v.to_owned()))
                .copied()
                .unwrap_or(0)
        };
        let mut guest_drafts = Vec::new();
        let mut night_drafts = Vec::new();
        let mut guest_totals: Option<Vec<usize>> = None;
        let mut night_totals: Option<Vec<usize>> = None;
        for (dim, columns) in &dims {
            // Unique guests do not add up over organisations (a guest may
            // sleep at two): the row of all is counted, not summed.
            let gd = b.table(
                columns,
                &[],
                &|o, v| g_of(&guests, o, dim, v),
                Some(&|v| g_of(&guests, "", dim, v)),
                true,
                true,
                guest_totals.as_deref(),
            );
            let nd = b.table(
                columns,
                &[],
                &|o, v| g_of(&nights_, o, dim, v),
                None,
                false,
                true,
                night_totals.as_deref(),
            );
            // Bed nights describe the guests of the same cell.
            for (gr, nr) in gd.rows.iter().zip(&nd.rows) {
                for (gc, nc) in gr.2.iter().zip(&nr.2) {
                    b.engine.describes(*nc, *gc);
                }
                if let (Some(gt), Some(nt)) = (gr.3, nr.3) {
                    b.engine.describes(nt, gt);
                }
            }
            guest_totals.get_or_insert_with(|| gd.rows.iter().filter_map(|r| r.3).collect());
            night_totals.get_or_insert_with(|| nd.rows.iter().filter_map(|r| r.3).collect());
            guest_drafts.push(gd);
            night_drafts.push(nd);
        }

        // Stays begun in the period, by organisation.
        let mut stays: HashMap<(String, String), i64> = HashMap::new();
        for (shelter, outcome, n) in q::stay_outcomes(c, from, to)? {
            let outcome = if outcome == "no_shows" {
                "ended_by_no_shows".to_owned()
            } else {
                outcome
            };
            *stays.entry((org(&shelter), outcome)).or_insert(0) += n;
        }
        for (first, shelter) in &ends.stays {
            if (from..=to).contains(first) {
                *stays
                    .entry((org(shelter), "ended_by_no_shows".to_owned()))
                    .or_insert(0) += 1;
            }
        }
        let stays_draft = b.table(
            &strings(&STAY_OUTCOMES),
            &[],
            &|o, v| {
                stays
                    .get(&(o.to_owned(), v.to_owned()))
                    .copied()
                    .unwrap_or(0)
            },
            None,
            true,
            false,
            None,
        );

        // Turn-aways by reason, by organisation; some name no shelter.
        let mut reasons = strings(&TURNAWAY_REASONS);
        let mut turned: HashMap<(String, String), i64> = HashMap::new();
        for (shelter, reason, n) in q::turnaways(c, from, to)? {
            if !reasons.contains(&reason) {
                reasons.push(reason.clone());
            }
            let o = shelter
                .as_deref()
                .map(org)
                .unwrap_or_else(|| "-".to_owned());
            *turned.entry((o, reason)).or_insert(0) += n;
        }
        let turn_draft = b.table(
            &reasons,
            &[(Some("-".to_owned()), "No shelter named".to_owned())],
            &|o, v| {
                turned
                    .get(&(o.to_owned(), v.to_owned()))
                    .copied()
                    .unwrap_or(0)
            },
            None,
            true,
            true,
            None,
        );

        // Referrals opened in the period: no shelter, so one row.
        let start = calendar
            .night_begins(crate::rules::Night::new(from))
            .naive_utc();
        let end = calendar
            .night_begins(crate::rules::Night::new(to).plus(1))
            .naive_utc();
        let refs = q::referrals(c, start, end)?;
        let by_reason = count_map(refs.iter().map(|(r, _, n)| (r.clone(), *n)));
        let by_status = count_map(refs.iter().map(|(_, s, n)| (s.clone(), *n)));
        let mut ref_reasons = strings(&REFERRAL_REASONS);
        for r in by_reason.keys() {
            if !ref_reasons.contains(r) {
                ref_reasons.push(r.clone());
            }
        }
        let saved_orgs = std::mem::take(&mut b.orgs);
        let ref_total = b.engine.figure(by_reason.values().sum(), true);
        let ref_reason_draft = b.table(
            &ref_reasons,
            &[],
            &|_, _| 0,
            Some(&|v| by_reason.get(v).copied().unwrap_or(0)),
            true,
            true,
            Some(&[ref_total]),
        );
        let ref_status_draft = b.table(
            &strings(&REFERRAL_STATUSES),
            &[],
            &|_, _| 0,
            Some(&|v| by_status.get(v).copied().unwrap_or(0)),
            true,
            true,
            Some(&[ref_total]),
        );
        b.orgs = saved_orgs;

        // Incidents by kind.
        let inc = count_map(
            q::incidents(c, from, to)?
                .into_iter()
                .map(|(s, k, n)| ((org(&s), k), n)),
        );
        let inc_draft = b.table(
            &strings(&INCIDENT_KINDS),
            &[],
            &|o, v| inc.get(&(o.to_owned(), v.to_owned())).copied().unwrap_or(0),
            None,
            true,
            true,
            None,
        );

        // Complaints and feedback.
        let comp = q::complaint_counts(c, from, to)?;
        let by = |f: &dyn Fn(&q::ComplaintCount) -> String| {
            count_map(comp.iter().map(|r| ((org(&r.0), f(r)), r.4)))
        };
        let cat = by(&|r| r.2.clone());
        let kind = by(&|r| r.1.clone());
        let status = by(&|r| r.3.clone());
        let mut categories = strings(&crate::service::feedback::COMPLAINT_CATEGORIES);
        for (_, k) in cat.keys() {
            if !categories.contains(k) {
                categories.push(k.clone());
            }
        }
        let get = |m: &HashMap<(String, String), i64>, o: &str, v: &str| {
            m.get(&(o.to_owned(), v.to_owned())).copied().unwrap_or(0)
        };
        let comp_cat = b.table(
            &categories,
            &[],
            &|o, v| get(&cat, o, v),
            None,
            true,
            true,
            None,
        );
        let comp_totals: Vec<usize> = comp_cat.rows.iter().filter_map(|r| r.3).collect();
        let comp_kind = b.table(
            &strings(&crate::service::feedback::COMPLAINT_KINDS),
            &[],
            &|o, v| get(&kind, o, v),
            None,
            true,
            true,
            Some(&comp_totals),
        );
        let comp_status = b.table(
            &strings(&crate::service::feedback::COMPLAINT_STATUSES),
            &[],
            &|o, v| get(&status, o, v),
            None,
            true,
            true,
            Some(&comp_totals),
        );

        // The survey: per question, each answer and how many answered.
        let answers = q::survey_answers(c, from, to)?;
        let responses = b
            .engine
            .figure(i64::try_from(answers.len()).unwrap_or(i64::MAX), true);
        let mut questions = Vec::new();
        for (qi, question) in QUESTIONS.iter().enumerate() {
            let given: Vec<Option<String>> = answers
                .iter()
                .map(|a| match qi {
                    0 => a.1.clone(),
                    1 => a.2.clone(),
                    2 => a.3.clone(),
                    3 => a.4.clone(),
                    _ => a.5.map(|n| n.to_string()),
                })
                .collect();
            let counts: Vec<usize> = question
                .answers
                .iter()
                .map(|ans| {
                    let n = given.iter().filter(|g| g.as_deref() == Some(*ans)).count();
                    b.engine.figure(i64::try_from(n).unwrap_or(i64::MAX), true)
                })
                .collect();
            let answered = given.iter().filter(|g| g.is_some()).count();
            let answered = b
                .engine
                .figure(i64::try_from(answered).unwrap_or(i64::MAX), true);
            b.engine.line(counts.clone(), answered);
            questions.push((question, counts, answered));
        }

        b.engine.run(i64::from(below));

        let guest_tables: Vec<Table> = guest_drafts.into_iter().map(|d| b.finish(d)).collect();
        let night_tables: Vec<Table> = night_drafts.into_iter().map(|d| b.finish(d)).collect();
        let breakdowns = |mut t: Vec<Table>| -> Breakdowns {
            let by_citizenship = t.pop().unwrap_or_else(empty_table);
            let by_age_band = t.pop().unwrap_or_else(empty_table);
            let by_gender = t.pop().unwrap_or_else(empty_table);
            Breakdowns {
                by_gender,
                by_age_band,
                by_citizenship,
            }
        };
        let survey = SurveySummary {
            questionnaire: QUESTIONNAIRE.to_owned(),
            responses: b.engine.shown(responses, b.below),
            questions: questions
                .into_iter()
                .map(|(qn, counts, answered)| SurveyQuestionSummary {
                    id: qn.id.to_owned(),
                    text: qn.text.to_owned(),
                    answers: strings(qn.answers),
                    counts: counts.iter().map(|i| b.engine.shown(*i, b.below)).collect(),
                    answered: b.engine.shown(answered, b.below),
                })
                .collect(),
        };
        Ok(FollowUpReport {
            period: Period {
                from,
                to,
                preset,
                cut_short_from,
            },
            generated_at,
            suppression: Suppression {
                below,
                small: format!("<{below}"),
                withheld: "x".to_owned(),
            },
            organisations,
            occupancy,
            guests: breakdowns(guest_tables),
            bed_nights: breakdowns(night_tables),
            stays: b.finish(stays_draft),
            turnaways: b.finish(turn_draft),
            referrals: Referrals {
                by_reason: b.finish(ref_reason_draft),
                by_status: b.finish(ref_status_draft),
            },
            incidents: b.finish(inc_draft),
            complaints: Complaints {
                by_category: b.finish(comp_cat),
                by_kind: b.finish(comp_kind),
                by_status: b.finish(comp_status),
            },
            survey,
        })
    })
}

fn empty_table() -> Table {
    Table {
        columns: Vec::new(),
        rows: Vec::new(),
    }
}

/// Turn-aways per night over the period, for the chart.
pub fn turnaways_per_night(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, AppError> {
    Ok(q::turnaways_per_night(conn, from, to)?)
}

// ------------------------------------------------------------ the export

/// HMAC-SHA256 (RFC 2104) of `message` under `key`, hex.
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        let h = Sha256::digest(key);
        k[..h.len()].copy_from_slice(&h);
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let inner = inner.finalize();
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner);
    hex::encode(outer.finalize())
}

/// The pseudonymous id of a guest in exports: the first 32 hex digits of
/// HMAC-SHA256(secret, guest id). Stable for as long as the secret is.
pub fn pseudonym(secret: &[u8], guest_id: &str) -> String {
    let mut h = hmac_sha256_hex(secret, guest_id.as_bytes());
    h.truncate(32);
    h
}

/// The bed nights of one night as CSV lines (no header).
pub fn export_night(
    conn: &mut DbConnection,
    secret: &[u8],
    night: NaiveDate,
) -> Result<String, AppError> {
    let rows = q::bed_nights_of(conn, night)?;
    let mut out = String::with_capacity(rows.len() * 100);
    for r in rows {
        out.push_str(&pseudonym(secret, &r.guest_id));
        out.push(',');
        out.push_str(&r.night.format("%Y-%m-%d").to_string());
        out.push(',');
        out.push_str(&r.shelter_id);
        out.push(',');
        out.push_str(&r.category);
        out.push(',');
        out.push_str(&r.kind);
        out.push_str("\r\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        // Test case 2.
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Test case 6: a key longer than a block.
        assert_eq!(
            hmac_sha256_hex(
                &[0xaa; 131],
                b"Test Using Larger Than Block-Size Key - Hash Key First"
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn presets_cover_the_halves_and_the_partnership_year() {
        assert_eq!(
            preset_period("half-year", d("2019-12-15")),
            Some((d("2019-11-01"), d("2020-04-30")))
        );
        assert_eq!(
            preset_period("half-year", d("2019-06-01")),
            Some((d("2019-05-01"), d("2019-10-31")))
        );
        assert_eq!(
            preset_period("partnership-year", d("2020-02-01")),
            Some((d("2019-05-01"), d("2020-04-30")))
        );
        assert_eq!(preset_period("decade", d("2020-02-01")), None);
    }

    #[test]
    fn ages_count_whole_years() {
        assert_eq!(age_on(d("1990-12-31"), d("2019-12-01")), 28);
        assert_eq!(age_on(d("1990-12-01"), d("2019-12-01")), 29);
    }
}
