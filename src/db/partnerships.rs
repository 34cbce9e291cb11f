//! Partnerships, their calendar and their versioned rule sets.

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
    pub rule_sets: Vec<RuleSet>,
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
    let rule_sets = rule_sets::table
        .filter(rule_sets::partnership_id.eq(&row.id))
        .order(rule_sets::effective_from.asc())
        .select(RuleSetRow::as_select())
        .load(conn)?
        .into_iter()
        .map(RuleSetRow::into_rules)
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Some(Partnership {
        id: row.id,
        name: row.name,
        calendar: Calendar::new(zone, starts),
        rule_sets,
    }))
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
