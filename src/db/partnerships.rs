//! Partnerships, their calendar and their versioned rule sets.

use std::sync::{Arc, RwLock};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::prelude::*;

use super::schema::{partnerships, rule_sets};
use super::{DbConnection, new_id};
use crate::rules::{Calendar, Night, RuleSet};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = partnerships)]
pub struct PartnershipRow {
    pub id: String,
    pub name: String,
    pub time_zone: String,
    pub night_starts_at: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = rule_sets)]
pub struct RuleSetRow {
    pub id: String,
    pub partnership_id: String,
    pub effective_from: NaiveDate,
    pub no_show_cutoff: String,
    pub regular_nights: i32,
    pub women_nights: i32,
    pub quarantine_nights: i32,
    pub no_show_ends_stay_after: i32,
    pub booking_horizon_nights: i32,
    pub cold_night_threshold_c: f64,
    pub target_citizenships: String,
    pub target_permit_countries: String,
    pub created_at: NaiveDateTime,
}

/// The partnership the service runs, with what the rules need of it.
#[derive(Debug, Clone)]
pub struct Partnership {
    pub id: String,
    pub name: String,
    pub calendar: Calendar,
    pub rule_sets: RuleSets,
}

/// The partnership's rule sets as this instance knows them, oldest first.
/// Every clone of the partnership shares them, and they are replaced
/// whole when a rule set is added: here by the act that adds it, on the
/// other instances when they hear of it (`Changes::announce_rules`). The
/// calendar never changes after the first start; the rule sets may, and
/// no restart is needed.
#[derive(Debug, Clone, Default)]
pub struct RuleSets(Arc<RwLock<Arc<Vec<RuleSet>>>>);

impl RuleSets {
    pub fn new(sets: Vec<RuleSet>) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(sets))))
    }

    /// Every rule set, as known now.
    pub fn all(&self) -> Arc<Vec<RuleSet>> {
        // A writer that panicked left a whole list behind: the old one.
        match self.0.read() {
            Ok(sets) => sets.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The rule set in force on `night`, or the first before any has
    /// begun (nights before the first rule set are judged by it).
    pub fn for_night(&self, night: Night) -> Option<RuleSet> {
        let all = self.all();
        RuleSet::in_force(&all, night)
            .or_else(|| all.first())
            .cloned()
    }

    fn replace(&self, sets: Vec<RuleSet>) {
        let sets = Arc::new(sets);
        match self.0.write() {
            Ok(mut current) => *current = sets,
            Err(poisoned) => *poisoned.into_inner() = sets,
        }
    }
}

/// A rule set as stored, with its id and when it was added.
#[derive(Debug, Clone)]
pub struct StoredRuleSet {
    pub id: String,
    pub created_at: NaiveDateTime,
    pub rules: RuleSet,
}

fn parse_time(s: &str) -> anyhow::Result<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(s, "%H:%M:%S"))
        .map_err(|e| anyhow::anyhow!("bad time {s:?} in the database: {e}"))
}

impl RuleSetRow {
    fn from_rules(partnership_id: &str, r: &RuleSet, now: NaiveDateTime) -> anyhow::Result<Self> {
        Ok(Self {
            id: new_id(),
            partnership_id: partnership_id.to_owned(),
            effective_from: r.effective_from.date(),
            no_show_cutoff: r.no_show_cutoff.format("%H:%M").to_string(),
            regular_nights: i32::try_from(r.regular_nights)?,
            women_nights: i32::try_from(r.women_nights)?,
            quarantine_nights: i32::try_from(r.quarantine_nights)?,
            no_show_ends_stay_after: i32::try_from(r.no_show_ends_stay_after)?,
            booking_horizon_nights: i32::try_from(r.booking_horizon_nights)?,
            cold_night_threshold_c: r.cold_night_threshold_c,
            target_citizenships: serde_json::to_string(&r.target_citizenships)?,
            target_permit_countries: serde_json::to_string(&r.target_permit_countries)?,
            created_at: now,
        })
    }

    fn into_rules(self) -> anyhow::Result<RuleSet> {
        Ok(RuleSet {
            effective_from: Night::new(self.effective_from),
            no_show_cutoff: parse_time(&self.no_show_cutoff)?,
            regular_nights: u32::try_from(self.regular_nights)?,
            women_nights: u32::try_from(self.women_nights)?,
            quarantine_nights: u32::try_from(self.quarantine_nights)?,
            no_show_ends_stay_after: u32::try_from(self.no_show_ends_stay_after)?,
            booking_horizon_nights: u32::try_from(self.booking_horizon_nights)?,
            cold_night_threshold_c: self.cold_night_threshold_c,
            target_citizenships: serde_json::from_str(&self.target_citizenships)?,
            target_permit_countries: serde_json::from_str(&self.target_permit_countries)?,
        })
    }
}

/// The partnership, if one exists (the oldest one: the service runs one).
pub fn load(conn: &mut DbConnection) -> anyhow::Result<Option<Partnership>> {
    let Some(row) = partnerships::table
        .order(partnerships::created_at.asc())
        .select(PartnershipRow::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let zone: chrono_tz::Tz = row
        .time_zone
        .parse()
        .map_err(|e| anyhow::anyhow!("bad time zone {:?}: {e}", row.time_zone))?;
    let starts = parse_time(&row.night_starts_at)?;
    let rule_sets = stored_rule_sets(conn, &row.id)?
        .into_iter()
        .map(|s| s.rules)
        .collect();
    Ok(Some(Partnership {
        id: row.id,
        name: row.name,
        calendar: Calendar::new(zone, starts),
        rule_sets: RuleSets::new(rule_sets),
    }))
}

/// The partnership's rule sets as stored, oldest first.
pub fn stored_rule_sets(
    conn: &mut DbConnection,
    partnership_id: &str,
) -> anyhow::Result<Vec<StoredRuleSet>> {
    rule_sets::table
        .filter(rule_sets::partnership_id.eq(partnership_id))
        .order(rule_sets::effective_from.asc())
        .select(RuleSetRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|row| {
            Ok(StoredRuleSet {
                id: row.id.clone(),
                created_at: row.created_at,
                rules: row.into_rules()?,
            })
        })
        .collect()
}

/// Reads the rule sets again into `p` (shared by every clone of it).
pub fn reload_rule_sets(conn: &mut DbConnection, p: &Partnership) -> anyhow::Result<()> {
    let sets = stored_rule_sets(conn, &p.id)?
        .into_iter()
        .map(|s| s.rules)
        .collect();
    p.rule_sets.replace(sets);
    Ok(())
}

/// Makes the acts that add a rule set take turns on PostgreSQL (SQLite's
/// write transaction has one writer anyway), so that "after the newest"
/// is checked against the newest there will be when the act commits.
pub fn lock(conn: &mut DbConnection, partnership_id: &str) -> QueryResult<()> {
    match conn {
        DbConnection::Sqlite(_) => Ok(()),
        DbConnection::Postgres(c) => partnerships::table
            .filter(partnerships::id.eq(partnership_id))
            .select(partnerships::id)
            .for_update()
            .load::<String>(c)
            .map(drop),
    }
}

/// Adds a rule set (checked by the caller: `RuleSet::check_new`). Two
/// rule sets of one night are refused by the table's unique key.
pub fn insert_rule_set(
    conn: &mut DbConnection,
    partnership_id: &str,
    rules: &RuleSet,
    now: NaiveDateTime,
) -> anyhow::Result<StoredRuleSet> {
    let row = RuleSetRow::from_rules(partnership_id, rules, now)?;
    diesel::insert_into(rule_sets::table)
        .values(&row)
        .execute(conn)?;
    Ok(StoredRuleSet {
        id: row.id,
        created_at: row.created_at,
        rules: rules.clone(),
    })
}

/// Creates the partnership with one rule set, unless one exists already.
/// Returns the partnership in force.
pub fn ensure(
    conn: &mut DbConnection,
    name: &str,
    calendar: Calendar,
    rules: &RuleSet,
    now: NaiveDateTime,
) -> anyhow::Result<Partnership> {
    if let Some(existing) = load(conn)? {
        return Ok(existing);
    }
    let row = PartnershipRow {
        id: new_id(),
        name: name.to_owned(),
        time_zone: calendar.zone.name().to_owned(),
        night_starts_at: calendar.night_starts_at.format("%H:%M").to_string(),
        created_at: now,
    };
    diesel::insert_into(partnerships::table)
        .values(&row)
        .execute(conn)?;
    diesel::insert_into(rule_sets::table)
        .values(RuleSetRow::from_rules(&row.id, rules, now)?)
        .execute(conn)?;
    load(conn)?.ok_or_else(|| anyhow::anyhow!("partnership vanished after insert"))
}
