//! What the acts on beds share (stays, placements, the lottery): the rule
//! set and the clock in force, a stay's period and nights as the rules see
//! them, the no-show ending written down where an act needs the way clear,
//! the guest's facts, bans and history, the free places offered after a
//! refusal, and the turn-away a refusal leaves.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::db::bans::{self as db_bans, ReferralRow, TurnawayRow};
use crate::db::guests::{self, GuestRow};
use crate::db::partnerships::Partnership;
use crate::db::places;
use crate::db::stays::{self as db_stays, BookingRow, FreePlaceRow, StayRow};
use crate::db::{self, DbConnection};
use crate::domain::{Gender, PlaceCategory};
use crate::error::AppError;
use crate::ids::StayStatus;
use crate::rules::checkin::{self, NightFacts, Now};
use crate::rules::eligibility::{self, Ban, GuestFacts, LatestStay};
use crate::rules::stay::Period;
use crate::rules::{Alternative, FreePlace, Night, Refusal, RuleSet};

// ----------------------------------------------------------- free counts

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FreeCounts {
    pub regular: u32,
    pub women: u32,
    pub overflow: u32,
}

impl FreeCounts {
    /// Every shelter's counts out of `db::counts::free_counts`, in one
    /// pass (a lookup per shelter and category built a key of two new
    /// strings each time: 3,000 of them per answer at the large size).
    pub(crate) fn per_shelter(counts: &db::counts::FreeByShelter) -> HashMap<&str, Self> {
        let mut out: HashMap<&str, Self> = HashMap::new();
        for ((shelter_id, category), n) in counts {
            let n = u32::try_from(*n).unwrap_or(0);
            let entry = out.entry(shelter_id.as_str()).or_default();
            match category.parse::<PlaceCategory>() {
                Ok(PlaceCategory::Regular) => entry.regular = n,
                Ok(PlaceCategory::Women) => entry.women = n,
                Ok(PlaceCategory::Overflow) => entry.overflow = n,
                Err(_) => {}
            }
        }
        out
    }

    pub(crate) fn add(&mut self, category: &str) {
        self.add_one(category.parse::<PlaceCategory>().ok());
    }

    /// One place fewer of `category`.
    pub(crate) fn remove_one(&mut self, category: Option<PlaceCategory>) {
        let n = match category {
            Some(PlaceCategory::Women) => &mut self.women,
            Some(PlaceCategory::Overflow) => &mut self.overflow,
            _ => &mut self.regular,
        };
        *n = n.saturating_sub(1);
    }

    /// One place of `category` (one not known counts as regular).
    pub(crate) fn add_one(&mut self, category: Option<PlaceCategory>) {
        match category {
            Some(PlaceCategory::Women) => self.women += 1,
            Some(PlaceCategory::Overflow) => self.overflow += 1,
            _ => self.regular += 1,
        }
    }
}

/// The rule set in force on `night`; before the first one, the first.
pub fn rules_for(p: &Partnership, night: Night) -> Result<RuleSet, AppError> {
    p.rule_sets
        .for_night(night)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the partnership has no rule set")))
}

/// The clock as the rules see it: the instant, tonight and tonight's cutoff.
pub fn now_for(p: &Partnership, instant: DateTime<Utc>) -> Result<Now, AppError> {
    let night = p.calendar.night_of(instant);
    let cutoff = p
        .calendar
        .during(night, rules_for(p, night)?.no_show_cutoff);
    Ok(Now {
        instant,
        night,
        cutoff,
    })
}

pub(crate) fn night(d: chrono::NaiveDate) -> Night {
    Night::new(d)
}

/// A count of nights as the database stores it.
pub(crate) fn count(n: u32) -> Result<i32, AppError> {
    i32::try_from(n).map_err(|e| AppError::Internal(e.into()))
}

pub(crate) fn period_of(row: &StayRow) -> Period {
    Period::new(
        night(row.first_night),
        u32::try_from(row.nights).unwrap_or(1),
        u32::try_from(row.quarantine_nights).unwrap_or(0),
    )
}

pub(crate) fn facts_of(b: &BookingRow) -> NightFacts {
    NightFacts {
        night: night(b.night),
        checked_in: b.checked_in_at.is_some(),
        released: b.released,
        created_at: b.created_at.and_utc(),
    }
}

/// The night from which the stay's no-shows end it unless a check-in
/// comes first (RULES.md §4), from its nights as they stand.
pub(crate) fn no_show_end_of(stay: &StayRow, nights: &[BookingRow]) -> Option<Night> {
    let facts: Vec<NightFacts> = nights.iter().map(facts_of).collect();
    checkin::no_show_end(&facts, u32::try_from(stay.no_show_limit).unwrap_or(0))
}

/// Whether the stay has ended, now: ended or voided, run out, or ended by
/// its no-shows (whether or not that has been written down yet).
pub(crate) fn has_ended(stay: &StayRow, nights: &[BookingRow], now: &Now) -> bool {
    stay.status != StayStatus::Active
        || period_of(stay).last_night() < now.night
        || no_show_end_of(stay, nights).is_some_and(|e| e <= now.night)
}

/// Ends an active stay whose no-shows have reached the limit, releasing
/// its later nights (RULES.md §4). Returns the stay and its nights as they
/// stand afterwards.
pub(crate) fn settle(
    conn: &mut DbConnection,
    stay: StayRow,
    now: &Now,
) -> Result<(StayRow, Vec<BookingRow>), AppError> {
    let nights = db_stays::stay_nights(conn, &stay.id)?;
    if stay.status != StayStatus::Active {
        return Ok((stay, nights));
    }
    let facts: Vec<NightFacts> = nights.iter().map(facts_of).collect();
    let limit = u32::try_from(stay.no_show_limit).unwrap_or(u32::MAX);
    let Some(last_missed) = checkin::ends_by_no_shows(&facts, now, limit) else {
        return Ok((stay, nights));
    };
    db_stays::set_status(
        conn,
        &stay.id,
        StayStatus::Ended,
        "no-shows",
        now.instant.naive_utc(),
    )?;
    db_stays::release(
        conn,
        &stay.id,
        &crate::rules::stay::Release::no_show_end(last_missed),
    )?;
    let stay = db_stays::get_stay(conn, &stay.id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stay vanished while settling")))?;
    let nights = db_stays::stay_nights(conn, &stay.id)?;
    Ok((stay, nights))
}

pub(crate) fn guest_facts(g: &GuestRow) -> GuestFacts {
    GuestFacts {
        birth_date: g.birth_date,
        birth_year: g.birth_year,
        citizenship: g.citizenship.clone(),
        residence_permit_country: g.residence_permit_country.clone(),
    }
}

pub(crate) fn gender_of(g: &GuestRow) -> Gender {
    g.gender.parse().unwrap_or(Gender::Unknown)
}

/// The guest's latest non-voided stay as the rules see it, now: ended by
/// its no-shows as soon as they end it, written down or not. Writes
/// nothing, so a read may ask.
pub(crate) fn latest_for(
    conn: &mut DbConnection,
    guest_id: &str,
    now: &Now,
) -> Result<Option<LatestStay>, AppError> {
    let Some(row) = db_stays::latest_stay(conn, guest_id)? else {
        return Ok(None);
    };
    let nights = db_stays::stay_nights(conn, &row.id)?;
    let ended = row.status != StayStatus::Active
        || no_show_end_of(&row, &nights).is_some_and(|e| e <= now.night);
    Ok(Some(LatestStay {
        period: period_of(&row),
        status: if ended {
            eligibility::StayStatus::Ended
        } else {
            eligibility::StayStatus::Active
        },
        id: row.id.into(),
    }))
}

/// Writes down the endings of stays whose no-shows have ended them and
/// that still hold, by their flag, a night `place_id` or `guest_id` is
/// about to take between `first` and `last`, and lets go of tonight's
/// lapsed reservations there: the unique indexes see only the flags.
pub(crate) fn clear_way(
    conn: &mut DbConnection,
    now: &Now,
    place_id: Option<&str>,
    guest_id: Option<&str>,
    first: Night,
    last: Night,
) -> Result<(), AppError> {
    for stay_id in db_stays::release_idle(conn, now, place_id, guest_id, first.date(), last.date())?
    {
        if let Some(stay) = db_stays::get_stay(conn, &stay_id)? {
            settle(conn, stay, now)?;
        }
    }
    Ok(())
}

pub(crate) fn bans(
    conn: &mut DbConnection,
    guest_id: &str,
    from: Night,
) -> Result<Vec<Ban>, AppError> {
    Ok(db_bans::bans_of(conn, guest_id, from.date())?
        .into_iter()
        .map(|b| Ban {
            shelter_id: b.shelter_id,
            first_night: night(b.first_night),
            last_night: night(b.last_night),
        })
        .collect())
}

/// Free places per shelter on one night, for `no-free-place`: counted,
/// not listed (`db::counts`).
pub(crate) fn alternatives(
    conn: &mut DbConnection,
    night: Night,
    now: &Now,
    except_shelter: &str,
) -> Result<Vec<Alternative>, AppError> {
    let counts = crate::db::counts::free_counts(conn, night.date(), now, None)?;
    let mut out: Vec<Alternative> = FreeCounts::per_shelter(&counts)
        .into_iter()
        .filter(|(shelter_id, free)| *shelter_id != except_shelter && free.regular + free.women > 0)
        .map(|(shelter_id, free)| Alternative {
            shelter_id: shelter_id.to_owned(),
            regular: free.regular,
            women: free.women,
        })
        .collect();
    out.sort_by(|a, b| a.shelter_id.cmp(&b.shelter_id));
    Ok(out)
}

/// Places free tonight that fit the guest, for `reservation-released`.
pub(crate) fn free_places_for(
    conn: &mut DbConnection,
    gender: Gender,
    now: &Now,
) -> Result<Vec<FreePlace>, AppError> {
    let categories: &[&str] = if gender == Gender::Woman {
        &[
            PlaceCategory::Women.as_str(),
            PlaceCategory::Regular.as_str(),
        ]
    } else {
        &[PlaceCategory::Regular.as_str()]
    };
    let rows = db_stays::free_places(
        conn,
        None,
        categories,
        now.night.date(),
        now.night.date(),
        now,
    )?;
    Ok(rows.into_iter().map(free_place).collect())
}

pub(crate) fn free_place(p: FreePlaceRow) -> FreePlace {
    FreePlace {
        place_id: p.id.into(),
        label: p.label,
        category: p.category,
        shelter_id: p.shelter_id.into(),
    }
}

/// Who was turned away, where, from what and for which night.
#[derive(Debug, Clone, Copy)]
pub struct TurnAway<'a> {
    pub guest_id: &'a str,
    pub shelter_id: Option<&'a str>,
    /// `stay` or `placement`.
    pub kind: &'static str,
    pub night: Night,
}

/// Writes a refusal down: a turn-away without the name, and for a minor an
/// acute referral. Refusals that are not unmet need (the guest already has
/// a place) are not counted.
pub fn record_refusal(
    conn: &mut DbConnection,
    turned_away: &TurnAway<'_>,
    refusal: &Refusal,
    user_id: &str,
    instant: DateTime<Utc>,
) -> Result<(), AppError> {
    let TurnAway {
        guest_id,
        shelter_id,
        kind,
        night: on,
    } = *turned_away;
    if !refusal.is_turn_away() {
        return Ok(());
    }
    db::write_tx(conn, |c| {
        let Some(guest) = guests::get(c, guest_id)? else {
            return Ok(());
        };
        let shelter = match shelter_id {
            Some(s) if places::shelter_exists(c, s)? => Some(s.to_owned()),
            _ => None,
        };
        let at = instant.naive_utc();
        let age = eligibility::age_on(&guest_facts(&guest), on);
        db_bans::insert_turnaway(
            c,
            &TurnawayRow {
                id: db::new_id(),
                night: on.date(),
                shelter_id: shelter,
                reason: refusal.code().to_owned(),
                kind: kind.to_owned(),
                gender: guest.gender.clone(),
                age_band: eligibility::age_band(age).to_owned(),
                citizenship: guest.citizenship.clone(),
                created_at: at,
            },
        )?;
        if refusal.opens_referral() {
            db_bans::insert_referral(
                c,
                &ReferralRow {
                    id: db::new_id(),
                    guest_id: guest.id.to_string(),
                    reason: "minor".to_owned(),
                    acute: true,
                    status: "open".to_owned(),
                    note: None,
                    created_at: at,
                    created_by: user_id.to_owned(),
                    updated_at: at,
                    updated_by: None,
                },
            )?;
        }
        Ok(())
    })
}
