//! Stays: intake, check-in, end, move, void, eligibility and bans.
//!
//! Each act is one write transaction: lock the guest, load the guest's own
//! recent history and the night's places, ask `rules::` for a decision,
//! write it. No-shows are settled inside the same transactions from the
//! clock (RULES.md §4), so the answer is the same whichever instance gives
//! it and no background job has to run first.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::auth::Scope;
use crate::db::bans::{self as db_bans, BanRow, ReferralRow, TurnawayRow};
use crate::db::guests::{self, GuestRow};
use crate::db::partnerships::Partnership;
use crate::db::places;
use crate::db::stays::{self as db_stays, BookingRow, FreePlaceRow, StayRow};
use crate::db::{self, DbConnection};
use crate::domain::{Gender, PlaceCategory};
use crate::error::AppError;
use crate::rules::checkin::{self, NightFacts, NightState, Now};
use crate::rules::eligibility::{self, Ban, GuestFacts, LatestStay, StayStatus};
use crate::rules::stay::{self, Period, Release};
use crate::rules::{Alternative, FreePlace, Night, Refusal, RuleSet};

/// How often an intake is tried again when another desk took the chosen
/// place between our read and our write.
const ATTEMPTS: usize = 8;

/// The rule set in force on `night`; before the first one, the first.
pub fn rules_for(p: &Partnership, night: Night) -> Result<&RuleSet, AppError> {
    RuleSet::in_force(&p.rule_sets, night)
        .or_else(|| p.rule_sets.first())
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

fn night(d: chrono::NaiveDate) -> Night {
    Night::new(d)
}

/// A count of nights as the database stores it.
fn count(n: u32) -> Result<i32, AppError> {
    i32::try_from(n).map_err(|e| AppError::Internal(e.into()))
}

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StayNightView {
    #[schema(value_type = String, format = Date)]
    pub night: Night,
    pub place_id: String,
    #[schema(value_type = String, example = "reserved")]
    pub state: NightState,
}

/// A stay as API.md gives it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StayView {
    pub id: String,
    pub guest_id: String,
    pub shelter_id: String,
    pub category: String,
    /// `active`, `ended` or `voided`.
    pub status: String,
    #[schema(value_type = String, format = Date)]
    pub first_night: Night,
    #[schema(value_type = String, format = Date)]
    pub last_night: Night,
    #[schema(value_type = String, format = Date)]
    pub quarantine_last_night: Night,
    #[schema(value_type = String, format = Date)]
    pub eligible_again_from: Night,
    pub nights: Vec<StayNightView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckInView {
    pub stay_id: String,
    pub guest_id: String,
    #[schema(value_type = String, format = Date)]
    pub night: Night,
    pub place_id: String,
    pub checked_in_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EligibilityView {
    #[schema(value_type = String, format = Date)]
    pub night: Night,
    pub eligible: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date)]
    pub eligible_from: Option<Night>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stay_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BanView {
    pub id: String,
    pub guest_id: String,
    pub shelter_id: Option<String>,
    #[schema(value_type = String, format = Date)]
    pub first_night: Night,
    #[schema(value_type = String, format = Date)]
    pub last_night: Night,
    pub reason: String,
    pub incident_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
}

fn period_of(row: &StayRow) -> Period {
    Period::new(
        night(row.first_night),
        u32::try_from(row.nights).unwrap_or(1),
        u32::try_from(row.quarantine_nights).unwrap_or(0),
    )
}

fn facts_of(b: &BookingRow) -> NightFacts {
    NightFacts {
        night: night(b.night),
        checked_in: b.checked_in_at.is_some(),
        released: b.released,
        created_at: b.created_at.and_utc(),
    }
}

/// The night from which the stay's no-shows end it unless a check-in
/// comes first (RULES.md §4), from its nights as they stand.
fn no_show_end_of(stay: &StayRow, nights: &[BookingRow]) -> Option<Night> {
    let facts: Vec<NightFacts> = nights.iter().map(facts_of).collect();
    checkin::no_show_end(&facts, u32::try_from(stay.no_show_limit).unwrap_or(0))
}

/// Whether the stay has ended, now: ended or voided, run out, or ended by
/// its no-shows (whether or not that has been written down yet).
fn has_ended(stay: &StayRow, nights: &[BookingRow], now: &Now) -> bool {
    stay.status != "active"
        || period_of(stay).last_night() < now.night
        || no_show_end_of(stay, nights).is_some_and(|e| e <= now.night)
}

pub fn view(stay: &StayRow, nights: &[BookingRow], now: &Now) -> StayView {
    let period = period_of(stay);
    let ended_from = no_show_end_of(stay, nights).filter(|_| stay.status == "active");
    let status = match stay.status.as_str() {
        "active" if has_ended(stay, nights, now) => "ended",
        other => other,
    };
    StayView {
        id: stay.id.clone(),
        guest_id: stay.guest_id.clone(),
        shelter_id: stay.shelter_id.clone(),
        category: stay.category.clone(),
        status: status.to_owned(),
        first_night: period.first_night,
        last_night: period.last_night(),
        quarantine_last_night: period.quarantine_last_night(),
        eligible_again_from: period.eligible_again_from(),
        nights: nights
            .iter()
            .map(|b| StayNightView {
                night: night(b.night),
                place_id: b.place_id.clone(),
                state: checkin::night_state(&facts_of(b), ended_from, now),
            })
            .collect(),
    }
}

// ---------------------------------------------------------- settlement

/// Ends an active stay whose no-shows have reached the limit, releasing
/// its later nights (RULES.md §4). Returns the stay and its nights as they
/// stand afterwards.
fn settle(
    conn: &mut DbConnection,
    stay: StayRow,
    now: &Now,
) -> Result<(StayRow, Vec<BookingRow>), AppError> {
    let nights = db_stays::stay_nights(conn, &stay.id)?;
    if stay.status != "active" {
        return Ok((stay, nights));
    }
    let facts: Vec<NightFacts> = nights.iter().map(facts_of).collect();
    let limit = u32::try_from(stay.no_show_limit).unwrap_or(u32::MAX);
    let Some(last_missed) = checkin::ends_by_no_shows(&facts, now, limit) else {
        return Ok((stay, nights));
    };
    db_stays::set_status(conn, &stay.id, "ended", "no-shows", now.instant.naive_utc())?;
    db_stays::release(conn, &stay.id, &Release::no_show_end(last_missed))?;
    let stay = db_stays::get_stay(conn, &stay.id)?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("stay vanished while settling")))?;
    let nights = db_stays::stay_nights(conn, &stay.id)?;
    Ok((stay, nights))
}

fn guest_facts(g: &GuestRow) -> GuestFacts {
    GuestFacts {
        birth_date: g.birth_date,
        birth_year: g.birth_year,
        citizenship: g.citizenship.clone(),
        residence_permit_country: g.residence_permit_country.clone(),
    }
}

fn gender_of(g: &GuestRow) -> Gender {
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
    let ended =
        row.status != "active" || no_show_end_of(&row, &nights).is_some_and(|e| e <= now.night);
    Ok(Some(LatestStay {
        period: period_of(&row),
        status: if ended {
            StayStatus::Ended
        } else {
            StayStatus::Active
        },
        id: row.id,
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

fn bans(conn: &mut DbConnection, guest_id: &str, from: Night) -> Result<Vec<Ban>, AppError> {
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
    let mut out: Vec<Alternative> = crate::service::coordination::FreeCounts::per_shelter(&counts)
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
fn free_places_for(
    conn: &mut DbConnection,
    gender: Gender,
    now: &Now,
) -> Result<Vec<FreePlace>, AppError> {
    let categories: &[&str] = if gender == Gender::Woman {
        &["women", "regular"]
    } else {
        &["regular"]
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

fn free_place(p: FreePlaceRow) -> FreePlace {
    FreePlace {
        place_id: p.id,
        label: p.label,
        category: p.category,
        shelter_id: p.shelter_id,
    }
}

/// Which invariant a unique violation broke.
fn guest_conflict(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            let text = format!(
                "{} {}",
                info.message(),
                info.constraint_name().unwrap_or_default()
            );
            text.contains("per_guest_night") || text.contains("bookings.guest_id")
        }
        _ => false,
    }
}

/// Why a write transaction stopped: a real error, or "another desk took
/// the place; roll back and try the whole transaction again".
pub(crate) enum Step {
    Failed(AppError),
    Retry,
}

impl From<AppError> for Step {
    fn from(e: AppError) -> Self {
        Self::Failed(e)
    }
}

impl From<diesel::result::Error> for Step {
    fn from(e: diesel::result::Error) -> Self {
        // A deadlock or serialization failure undid the whole attempt:
        // the next one starts afresh. A lost database is not retried here.
        let transient = matches!(
            &e,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::SerializationFailure,
                _
            )
        ) || matches!(&e, diesel::result::Error::DatabaseError(_, info)
                if info.message().contains("deadlock detected"));
        if transient {
            Self::Retry
        } else {
            Self::Failed(e.into())
        }
    }
}

impl From<Refusal> for Step {
    fn from(r: Refusal) -> Self {
        Self::Failed(r.into())
    }
}

pub(crate) fn retrying<T>(
    conn: &mut DbConnection,
    mut f: impl FnMut(&mut DbConnection) -> Result<T, Step>,
) -> Result<T, AppError> {
    for _ in 0..ATTEMPTS {
        match db::write_tx(conn, &mut f) {
            Ok(v) => return Ok(v),
            Err(Step::Retry) => continue,
            Err(Step::Failed(e)) => return Err(e),
        }
    }
    Err(AppError::Conflict {
        code: "busy",
        detail: "Other desks took the places tried, again and again; try once more.".into(),
    })
}

/// A write that took a place: another desk holding it asks for another
/// attempt (the transaction is rolled back first); a guest who already
/// holds one of the nights is `already-placed`.
pub(crate) fn placed(result: diesel::QueryResult<()>) -> Result<(), Step> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if db::is_unique_violation(&e) && guest_conflict(&e) => {
            Err(Refusal::AlreadyPlaced.into())
        }
        Err(e) if db::is_unique_violation(&e) => Err(Step::Retry),
        Err(e) => Err(e.into()),
    }
}

// -------------------------------------------------------------- intake

#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub guest_id: String,
    pub shelter_id: String,
    pub place_id: Option<String>,
    pub category: Option<PlaceCategory>,
    pub first_night: Option<Night>,
}

/// Grants a stay (RULES.md §3). A refusal is recorded as a turn-away
/// (§8) and, for a minor, opens an acute referral (§7).
pub fn grant(
    conn: &mut DbConnection,
    p: &Partnership,
    req: &IntakeRequest,
    scope: &Scope,
    user_id: &str,
    instant: DateTime<Utc>,
) -> Result<StayView, AppError> {
    scope.require(&req.shelter_id)?;
    let now = now_for(p, instant)?;
    let result = retrying(conn, |c| grant_once(c, p, req, user_id, &now));
    if let Err(AppError::Refused(refusal)) = &result {
        let first = req.first_night.unwrap_or(now.night);
        record_refusal(
            conn,
            &req.guest_id,
            Some(&req.shelter_id),
            "stay",
            first,
            refusal,
            user_id,
            instant,
        )?;
    }
    result
}

fn grant_once(
    conn: &mut DbConnection,
    p: &Partnership,
    req: &IntakeRequest,
    user_id: &str,
    now: &Now,
) -> Result<StayView, Step> {
    let guest = guests::get(conn, &req.guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
    db_stays::lock_guest(conn, &guest.id)?;
    if !places::shelter_exists(conn, &req.shelter_id)? {
        return Err(AppError::not_found("shelter").into());
    }
    // Always after the guest's lock: one order, no deadlock.
    db_stays::lock_shelter(conn, &req.shelter_id)?;
    let first = req.first_night.unwrap_or(now.night);
    let rules = rules_for(p, first)?;
    let gender = gender_of(&guest);
    let facts = guest_facts(&guest);

    let named_place = match &req.place_id {
        None => None,
        Some(id) => {
            let place = places::place(conn, id)?
                .filter(|pl| pl.shelter_id == req.shelter_id)
                .ok_or_else(|| {
                    AppError::validation("place_id", "is not a place of this shelter")
                })?;
            Some(place)
        }
    };
    // The categories to try; one that does not fit is a refusal among the
    // others, in the order of RULES.md, and the stay is then judged as the
    // regular stay it would be.
    let categories = match &named_place {
        Some(pl) => {
            let c: PlaceCategory = pl
                .category
                .parse()
                .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?;
            stay::fits_stay(c, gender)
                .then(|| vec![c])
                .ok_or(Refusal::CategoryNotAllowed)
        }
        None => stay::stay_categories(req.category, gender),
    };
    let judged = match &categories {
        Ok(c) => c.clone(),
        Err(_) => vec![PlaceCategory::Regular],
    };

    let history = latest_for(conn, &guest.id, now)?;
    let guest_bans = bans(conn, &guest.id, first)?;
    let preferred = Period::granted(
        first,
        judged.first().copied().unwrap_or(PlaceCategory::Regular),
        rules,
    );
    let longest = judged
        .iter()
        .map(|c| Period::granted(first, *c, rules).last_night())
        .max()
        .unwrap_or(first);
    let already_placed =
        !db_stays::guest_held_nights(conn, &guest.id, first.date(), longest.date(), now)?
            .is_empty();
    eligibility::may_start_stay(
        &eligibility::StayCase {
            guest: &facts,
            latest: history.as_ref(),
            already_placed,
            bans: &guest_bans,
            shelter_id: &req.shelter_id,
            period: preferred,
            current: now.night,
            category_fits: categories.is_ok(),
        },
        rules,
    )?;
    let categories = judged;

    let mut banned = None;
    for category in &categories {
        let period = Period::granted(first, *category, rules);
        if let Err(r) =
            eligibility::check_bans(&guest_bans, &req.shelter_id, first, period.last_night())
        {
            banned = Some(r);
            continue;
        }
        let free = db_stays::free_places(
            conn,
            Some(&req.shelter_id),
            &[category.as_str()],
            first.date(),
            period.last_night().date(),
            now,
        )?;
        let chosen = match &named_place {
            Some(pl) => free.into_iter().find(|f| f.id == pl.id),
            None => free.into_iter().next(),
        };
        let Some(place) = chosen else {
            continue;
        };
        clear_way(
            conn,
            now,
            Some(&place.id),
            Some(&guest.id),
            first,
            period.last_night(),
        )?;
        return insert_stay_on(
            conn,
            &guest.id,
            &req.shelter_id,
            &place.id,
            *category,
            &period,
            rules,
            user_id,
            now,
        );
    }
    if let Some(r) = banned.filter(|_| categories.len() == 1) {
        return Err(r.into());
    }
    Err(Refusal::NoFreePlace {
        alternatives: alternatives(conn, first, now, &req.shelter_id)?,
    }
    .into())
}

/// Writes a granted stay on a place chosen free for all its nights.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_stay_on(
    conn: &mut DbConnection,
    guest_id: &str,
    shelter_id: &str,
    place_id: &str,
    category: PlaceCategory,
    period: &Period,
    rules: &RuleSet,
    user_id: &str,
    now: &Now,
) -> Result<StayView, Step> {
    let created = now.instant.naive_utc();
    let row = StayRow {
        id: db::new_id(),
        guest_id: guest_id.to_owned(),
        shelter_id: shelter_id.to_owned(),
        category: category.as_str().to_owned(),
        status: "active".to_owned(),
        first_night: period.first_night.date(),
        nights: count(period.length)?,
        quarantine_nights: count(period.quarantine)?,
        no_show_limit: count(rules.no_show_ends_stay_after)?,
        end_reason: None,
        ended_at: None,
        void_reason: None,
        voided_at: None,
        created_at: created,
        created_by: user_id.to_owned(),
    };
    let mut nights: Vec<BookingRow> = period
        .nights()
        .into_iter()
        .map(|n| BookingRow {
            id: db::new_id(),
            guest_id: guest_id.to_owned(),
            place_id: place_id.to_owned(),
            shelter_id: shelter_id.to_owned(),
            night: n.date(),
            kind: "stay".to_owned(),
            stay_id: Some(row.id.clone()),
            released: false,
            held: true,
            checked_in_at: None,
            created_at: created,
            no_show_end: None,
        })
        .collect();
    let end = no_show_end_of(&row, &nights).map(Night::date);
    for n in &mut nights {
        n.no_show_end = end;
    }
    placed(db_stays::insert_stay(conn, &row, &nights))?;
    Ok(view(&row, &nights, now))
}

/// Writes a refusal down: a turn-away without the name, and for a minor an
/// acute referral. Refusals that are not unmet need (the guest already has
/// a place) are not counted.
#[allow(clippy::too_many_arguments)]
pub fn record_refusal(
    conn: &mut DbConnection,
    guest_id: &str,
    shelter_id: Option<&str>,
    kind: &str,
    on: Night,
    refusal: &Refusal,
    user_id: &str,
    instant: DateTime<Utc>,
) -> Result<(), AppError> {
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
                    guest_id: guest.id.clone(),
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

// ------------------------------------------------------------ the stay

/// Loads a stay the caller may act on, settled.
fn load(
    conn: &mut DbConnection,
    stay_id: &str,
    scope: &Scope,
    now: &Now,
) -> Result<(StayRow, Vec<BookingRow>), AppError> {
    let stay = db_stays::get_stay(conn, stay_id)?.ok_or_else(|| AppError::not_found("stay"))?;
    scope.require(&stay.shelter_id)?;
    db_stays::lock_guest(conn, &stay.guest_id)?;
    settle(conn, stay, now)
}

pub fn get(
    conn: &mut DbConnection,
    p: &Partnership,
    stay_id: &str,
    scope: &Scope,
    instant: DateTime<Utc>,
) -> Result<StayView, AppError> {
    let now = now_for(p, instant)?;
    db::read_tx(conn, |c| {
        let stay = db_stays::get_stay(c, stay_id)?.ok_or_else(|| AppError::not_found("stay"))?;
        scope.require(&stay.shelter_id)?;
        let nights = db_stays::stay_nights(c, &stay.id)?;
        Ok(view(&stay, &nights, &now))
    })
}

fn not_active() -> AppError {
    AppError::Conflict {
        code: "stay-not-active",
        detail: "This stay has ended or was voided; nothing more can be done with it.".into(),
    }
}

/// Checks a guest in for tonight (RULES.md §4).
pub fn check_in(
    conn: &mut DbConnection,
    p: &Partnership,
    stay_id: &str,
    requested: Option<Night>,
    scope: &Scope,
    instant: DateTime<Utc>,
) -> Result<CheckInView, AppError> {
    let now = now_for(p, instant)?;
    db::write_tx(conn, |c| {
        let (stay, nights) = load(c, stay_id, scope, &now)?;
        let tonight = requested.unwrap_or(now.night);
        if tonight != now.night {
            return Err(Refusal::NightOutOfRange {
                earliest: now.night,
                latest: now.night,
            }
            .into());
        }
        let period = period_of(&stay);
        let Some(booking) = nights.iter().find(|b| night(b.night) == tonight) else {
            return Err(Refusal::NightOutOfRange {
                earliest: period.first_night,
                latest: period.last_night(),
            }
            .into());
        };
        if let Some(at) = booking.checked_in_at {
            return Ok(CheckInView {
                stay_id: stay.id.clone(),
                guest_id: stay.guest_id.clone(),
                night: tonight,
                place_id: booking.place_id.clone(),
                checked_in_at: at.and_utc(),
            });
        }
        if booking.released || !booking.held {
            let guest =
                guests::get(c, &stay.guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
            return Err(Refusal::ReservationReleased {
                free_places: free_places_for(c, gender_of(&guest), &now)?,
            }
            .into());
        }
        db_stays::check_in(c, &booking.id, now.instant.naive_utc())?;
        // The check-in breaks the run of missed nights: the ending moves.
        let nights = db_stays::stay_nights(c, &stay.id)?;
        let end = no_show_end_of(&stay, &nights).map(Night::date);
        db_stays::set_no_show_end(c, &stay.id, end)?;
        Ok(CheckInView {
            stay_id: stay.id.clone(),
            guest_id: stay.guest_id.clone(),
            night: tonight,
            place_id: booking.place_id.clone(),
            checked_in_at: now.instant,
        })
    })
}

fn require_running(stay: &StayRow, now: &Now) -> Result<(), AppError> {
    if stay.status != "active" || period_of(stay).last_night() < now.night {
        return Err(not_active());
    }
    Ok(())
}

/// Ends a stay early: every night after tonight is released, and tonight
/// too unless the guest has checked in. The period and karenstid stay.
pub fn end(
    conn: &mut DbConnection,
    p: &Partnership,
    stay_id: &str,
    reason: &str,
    scope: &Scope,
    instant: DateTime<Utc>,
) -> Result<StayView, AppError> {
    act_on(conn, p, stay_id, scope, instant, |c, stay, now| {
        require_running(stay, now)?;
        end_now(c, &stay.id, reason, now)
    })
}

/// Loads a stay the caller may act on, acts, and returns it as it stands.
fn act_on(
    conn: &mut DbConnection,
    p: &Partnership,
    stay_id: &str,
    scope: &Scope,
    instant: DateTime<Utc>,
    act: impl FnOnce(&mut DbConnection, &StayRow, &Now) -> Result<(), AppError>,
) -> Result<StayView, AppError> {
    let now = now_for(p, instant)?;
    db::write_tx(conn, |c| {
        let (stay, _) = load(c, stay_id, scope, &now)?;
        act(c, &stay, &now)?;
        let (stay, nights) = load(c, stay_id, &Scope::All, &now)?;
        Ok(view(&stay, &nights, &now))
    })
}

fn end_now(
    conn: &mut DbConnection,
    stay_id: &str,
    reason: &str,
    now: &Now,
) -> Result<(), AppError> {
    db_stays::release(conn, stay_id, &Release::early_end(now.night))?;
    db_stays::set_status(conn, stay_id, "ended", reason, now.instant.naive_utc())?;
    Ok(())
}

/// Voids a stay entered in error: it counts as if it never existed.
pub fn void(
    conn: &mut DbConnection,
    p: &Partnership,
    stay_id: &str,
    reason: &str,
    scope: &Scope,
    instant: DateTime<Utc>,
) -> Result<StayView, AppError> {
    act_on(conn, p, stay_id, scope, instant, |c, stay, now| {
        if stay.status == "voided" {
            return Err(not_active());
        }
        db_stays::release(c, &stay.id, &Release::void())?;
        db_stays::set_status(c, &stay.id, "voided", reason, now.instant.naive_utc())?;
        Ok(())
    })
}

/// Moves the remaining nights (tonight on) to another place.
pub fn move_to(
    conn: &mut DbConnection,
    p: &Partnership,
    stay_id: &str,
    place_id: &str,
    scope: &Scope,
    instant: DateTime<Utc>,
) -> Result<StayView, AppError> {
    let now = now_for(p, instant)?;
    retrying(conn, |c| {
        let (stay, nights) = load(c, stay_id, scope, &now)?;
        require_running(&stay, &now)?;
        let target = places::place(c, place_id)?.ok_or_else(|| AppError::not_found("place"))?;
        scope.require(&target.shelter_id)?;
        let guest = guests::get(c, &stay.guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
        let category: PlaceCategory = target
            .category
            .parse()
            .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?;
        if !stay::fits_stay(category, gender_of(&guest)) {
            return Err(Refusal::CategoryNotAllowed.into());
        }
        let remaining: Vec<&BookingRow> = nights
            .iter()
            .filter(|b| night(b.night) >= now.night && !b.released)
            .collect();
        let (Some(from), Some(to)) = (remaining.first(), remaining.last()) else {
            return Err(not_active().into());
        };
        let (from, to) = (night(from.night), night(to.night));
        if remaining.iter().all(|b| b.place_id == target.id) {
            return Ok(view(&stay, &nights, &now));
        }
        eligibility::check_bans(&bans(c, &guest.id, from)?, &target.shelter_id, from, to)?;
        db_stays::lock_shelter(c, &target.shelter_id)?;
        let free = db_stays::free_places(
            c,
            Some(&target.shelter_id),
            &[category.as_str()],
            from.date(),
            to.date(),
            &now,
        )?;
        let own_place = remaining.iter().any(|b| b.place_id == target.id);
        if !own_place && !free.iter().any(|f| f.id == target.id) {
            return Err(Refusal::NoFreePlace {
                alternatives: alternatives(c, from, &now, &target.shelter_id)?,
            }
            .into());
        }
        clear_way(c, &now, Some(&target.id), None, from, to)?;
        placed(
            db_stays::move_nights(
                c,
                &stay.id,
                from.date(),
                &target.id,
                &target.shelter_id,
                now.instant.naive_utc(),
            )
            .map(drop),
        )?;
        let (stay, nights) = load(c, stay_id, &Scope::All, &now)?;
        Ok(view(&stay, &nights, &now))
    })
}

// --------------------------------------------------------- eligibility

/// Whether the guest may be given a new stay starting on `on` (tonight
/// when `None`): target group, age, the latest stay, bans at every shelter.
pub fn eligibility(
    conn: &mut DbConnection,
    p: &Partnership,
    guest_id: &str,
    on: Option<Night>,
    instant: DateTime<Utc>,
) -> Result<EligibilityView, AppError> {
    let now = now_for(p, instant)?;
    let on = on.unwrap_or(now.night);
    let rules = rules_for(p, on)?;
    db::write_tx(conn, |c| {
        let guest = guests::get(c, guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
        let facts = guest_facts(&guest);
        let history = latest_for(c, &guest.id, &now)?;
        let bans = bans(c, &guest.id, on)?;
        let decision = eligibility::may_start_anywhere(&facts, history.as_ref(), &bans, on, rules);
        Ok(match decision {
            Ok(()) => EligibilityView {
                night: on,
                eligible: true,
                code: None,
                eligible_from: None,
                stay_id: None,
            },
            Err(r) => EligibilityView {
                night: on,
                eligible: false,
                code: Some(r.code().to_owned()),
                eligible_from: r.eligible_from(),
                stay_id: match r {
                    Refusal::AlreadyHasStay { stay_id } => Some(stay_id),
                    _ => None,
                },
            },
        })
    })
}

// ---------------------------------------------------------------- bans

#[derive(Debug, Clone)]
pub struct NewBan {
    pub guest_id: String,
    /// The incidents the ban rests on; each must involve the guest.
    pub incident_ids: Vec<String>,
    pub shelter_id: Option<String>,
    pub first_night: Night,
    pub last_night: Night,
    pub reason: String,
}

/// Bans a guest (RULES.md §7). A stay the guest holds at a banned shelter
/// during the ban ends now, as if ended early.
pub fn ban(
    conn: &mut DbConnection,
    p: &Partnership,
    new: &NewBan,
    user_id: &str,
    instant: DateTime<Utc>,
) -> Result<BanView, AppError> {
    let now = now_for(p, instant)?;
    db::write_tx(conn, |c| {
        let guest = guests::get(c, &new.guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
        db_stays::lock_guest(c, &guest.id)?;
        if let Some(s) = &new.shelter_id
            && !places::shelter_exists(c, s)?
        {
            return Err(AppError::validation("shelter_id", "no shelter has this id"));
        }
        let row = BanRow {
            id: db::new_id(),
            guest_id: guest.id.clone(),
            shelter_id: new.shelter_id.clone(),
            first_night: new.first_night.date(),
            last_night: new.last_night.date(),
            reason: new.reason.clone(),
            created_at: now.instant.naive_utc(),
            created_by: user_id.to_owned(),
        };
        crate::service::followup::check_grounds(c, &guest.id, &new.incident_ids)?;
        db_bans::insert_ban(c, &row)?;
        for incident in &new.incident_ids {
            crate::db::followup::add_ground(c, &row.id, incident)?;
        }
        let from = new.first_night.max(now.night);
        if from <= new.last_night {
            for stay_id in db_stays::active_stays_at(
                c,
                &guest.id,
                new.shelter_id.as_deref(),
                from.date(),
                new.last_night.date(),
            )? {
                end_now(c, &stay_id, "banned", &now)?;
            }
        }
        Ok(ban_view(row, new.incident_ids.clone()))
    })
}

fn ban_view(row: BanRow, incident_ids: Vec<String>) -> BanView {
    BanView {
        id: row.id,
        guest_id: row.guest_id,
        shelter_id: row.shelter_id,
        first_night: night(row.first_night),
        last_night: night(row.last_night),
        reason: row.reason,
        incident_ids,
        created_at: row.created_at.and_utc(),
    }
}

#[cfg(test)]
mod step_tests {
    use super::{ATTEMPTS, AppError, DbConnection, Step, retrying};
    use diesel::Connection;
    use diesel::result::{DatabaseErrorKind as K, Error as E};

    fn db_error(kind: K, message: &str) -> E {
        E::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn deadlocks_and_serialization_failures_are_tried_again() {
        for again in [
            db_error(K::Unknown, "deadlock detected"),
            db_error(K::SerializationFailure, "could not serialize access"),
        ] {
            assert!(matches!(Step::from(again), Step::Retry));
        }
        for fails in [
            db_error(K::UniqueViolation, "duplicate key"),
            db_error(K::Unknown, "syntax error"),
        ] {
            assert!(matches!(Step::from(fails), Step::Failed(_)));
        }
    }

    fn memory() -> DbConnection {
        match diesel::SqliteConnection::establish(":memory:") {
            Ok(c) => DbConnection::Sqlite(c),
            Err(e) => panic!("in-memory SQLite: {e}"),
        }
    }

    #[test]
    fn a_place_lost_again_and_again_ends_as_busy_after_the_last_attempt() {
        let mut conn = memory();
        let mut tries = 0;
        let result: Result<(), AppError> = retrying(&mut conn, |_| {
            tries += 1;
            Err(Step::Retry)
        });
        assert_eq!(tries, ATTEMPTS);
        match result {
            Err(AppError::Conflict { code, .. }) => assert_eq!(code, "busy"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_place_won_on_a_later_attempt_is_kept() {
        let mut conn = memory();
        let mut tries = 0;
        let result = retrying(&mut conn, |_| {
            tries += 1;
            if tries < ATTEMPTS {
                Err(Step::Retry)
            } else {
                Ok(tries)
            }
        });
        assert_eq!(result.ok(), Some(ATTEMPTS));
    }
}
