//! What socialjouren and the coordinators use at night: free places,
//! cold nights with their overflow places, and single-night placements
//! (RULES.md §5, §6).

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::{self, Target};
use crate::auth::Scope;
use crate::db::Tx;
use crate::db::coldnights::{self, ColdNightRow, OpeningRow, PlacementRow};
use crate::db::partnerships::Partnership;
use crate::db::stays::{self as db_stays, BookingRow, FreePlaceRow};
use crate::db::{self, DbConnection, places};
use crate::domain::{Gender, PlaceCategory};
use crate::error::AppError;
use crate::ids::{BookingKind, GuestId, PlaceId, ShelterId};
use crate::rules::checkin::Now;
use crate::rules::coldnight;
pub use crate::rules::coldnight::{COLD_NIGHT_HORIZON, PlacementKind, placement_order};
use crate::rules::eligibility::{self, GuestFacts};
use crate::rules::{Night, Refusal};
use crate::service::Context;
use crate::service::act::{Actor, Step, decided, retrying};
pub use crate::service::beds::FreeCounts;
use crate::service::beds::{TurnAway, now_for, record_refusal};
use crate::service::idempotency::{self, Answer, Claim, Keyed};

// ------------------------------------------------------------ availability

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FreePlaceView {
    pub place_id: String,
    pub label: String,
    pub category: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ShelterAvailability {
    pub shelter_id: String,
    pub name: String,
    pub free: FreeCounts,
    /// Left out when the list was not asked for (`places=false`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_places: Option<Vec<FreePlaceView>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AvailabilityView {
    #[schema(value_type = String, format = Date)]
    pub night: Night,
    pub cold_night: bool,
    pub shelters: Vec<ShelterAvailability>,
    pub free: FreeCounts,
}

/// The free places of a night as an intake would find them: in service,
/// not held (tonight's lapsed reservations do not hold), overflow places
/// only where opened for the night.
fn free_on(
    conn: &mut DbConnection,
    night: Night,
    now: &Now,
    shelter: Option<&str>,
) -> Result<Vec<FreePlaceRow>, AppError> {
    let open: HashSet<String> = coldnights::open_overflow(conn, night.date())?
        .into_iter()
        .collect();
    let free = db_stays::free_places(
        conn,
        shelter,
        &PlaceCategory::ALL
            .iter()
            .map(|c| c.as_str())
            .collect::<Vec<_>>(),
        night.date(),
        night.date(),
        now,
    )?;
    Ok(free
        .into_iter()
        .filter(|p| {
            p.category
                .parse()
                .ok()
                .is_none_or(|category| coldnight::offered(category, open.contains(p.id.as_str())))
        })
        .collect())
}

/// The places whose guests may still arrive late on `night`: tonight's
/// reservations lapsed at the cutoff (so their beds read as free) and
/// not yet given away. A placement takes such a bed last
/// (`coldnight::best_first_sparing`). None before the cutoff, and none on
/// another night.
pub fn awaited_places(
    conn: &mut DbConnection,
    night: Night,
    now: &Now,
) -> Result<HashSet<String>, AppError> {
    use crate::db::schema::bookings;
    use diesel::prelude::*;
    let clock = db_stays::HoldClock::of(now);
    if night.date() != clock.tonight {
        return Ok(HashSet::new());
    }
    let found: Vec<String> = bookings::table
        .filter(bookings::night.eq(clock.tonight))
        .filter(bookings::held)
        .filter(bookings::kind.eq(BookingKind::Stay))
        .filter(bookings::checked_in_at.is_null())
        .filter(bookings::created_at.lt(clock.lapsed_before))
        .select(bookings::place_id)
        .load(conn)?;
    Ok(found.into_iter().collect())
}

/// What a screen asks: one night (default tonight), all shelters or one,
/// with the list of free places or only the counts.
#[derive(Debug, Clone)]
pub struct AvailabilityQuestion {
    pub night: Option<Night>,
    pub shelter_id: Option<String>,
    pub places: bool,
}

/// The night asked about, tonight, and whether tonight's unconfirmed
/// reservations have lapsed (after the cutoff): what an answer depends on
/// besides the data.
pub fn resolve_night(now: &Now, night: Option<Night>) -> (Night, Night, bool) {
    (
        night.unwrap_or(now.night),
        now.night,
        now.instant >= now.cutoff,
    )
}

pub fn availability(
    conn: &mut DbConnection,
    p: &Partnership,
    question: &AvailabilityQuestion,
    instant: DateTime<Utc>,
) -> Result<AvailabilityView, AppError> {
    db::read_tx(conn, |c| availability_in(c, p, question, instant))
}

/// [`availability`] in the caller's transaction: the SQL definition that
/// the occupancy index (`service::occupancy`) is held to.
pub fn availability_in(
    c: &mut DbConnection,
    p: &Partnership,
    question: &AvailabilityQuestion,
    instant: DateTime<Utc>,
) -> Result<AvailabilityView, AppError> {
    let now = now_for(p, instant)?;
    let night = question.night.unwrap_or(now.night);
    let shelter = question.shelter_id.as_deref();
    {
        let mut names = coldnights::shelter_names(c)?;
        if let Some(wanted) = shelter {
            names.retain(|(id, _)| id == wanted);
            if names.is_empty() {
                return Err(AppError::not_found("shelter"));
            }
        }
        if !question.places {
            return counted(c, night, &now, shelter, names);
        }
        let free = free_on(c, night, &now, shelter)?;
        let mut by_shelter: BTreeMap<String, (FreeCounts, Vec<FreePlaceView>)> = BTreeMap::new();
        let mut total = FreeCounts::default();
        for f in free {
            total.add(&f.category);
            let entry = by_shelter.entry(f.shelter_id.to_string()).or_default();
            entry.0.add(&f.category);
            entry.1.push(FreePlaceView {
                place_id: f.id.into(),
                label: f.label,
                category: f.category,
            });
        }
        let shelters = names
            .into_iter()
            .map(|(id, name)| {
                let (free, free_places) = by_shelter.remove(&id).unwrap_or_default();
                ShelterAvailability {
                    shelter_id: id,
                    name,
                    free,
                    free_places: Some(free_places),
                }
            })
            .collect();
        view(c, night, shelters, total)
    }
}

/// The answer for a night: its shelters, the totals, whether it is cold.
fn view(
    c: &mut DbConnection,
    night: Night,
    shelters: Vec<ShelterAvailability>,
    free: FreeCounts,
) -> Result<AvailabilityView, AppError> {
    Ok(AvailabilityView {
        night,
        cold_night: coldnights::get(c, night.date())?.is_some(),
        shelters,
        free,
    })
}

/// The counts question, answered from the kept counts (`db::counts`):
/// a few thousand rows at most, however many places there are.
fn counted(
    c: &mut DbConnection,
    night: Night,
    now: &Now,
    shelter: Option<&str>,
    names: Vec<(String, String)>,
) -> Result<AvailabilityView, AppError> {
    let counts = db::counts::free_counts(c, night.date(), now, shelter)?;
    let per_shelter = FreeCounts::per_shelter(&counts);
    let mut total = FreeCounts::default();
    let shelters = names
        .into_iter()
        .map(|(id, name)| {
            let free = per_shelter.get(id.as_str()).cloned().unwrap_or_default();
            total.regular += free.regular;
            total.women += free.women;
            total.overflow += free.overflow;
            ShelterAvailability {
                shelter_id: id,
                name,
                free,
                free_places: None,
            }
        })
        .collect();
    view(c, night, shelters, total)
}

// -------------------------------------------------------------- cold nights

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Opening {
    pub shelter_id: String,
    pub places: u32,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ColdNightView {
    #[schema(value_type = String, format = Date)]
    pub night: Night,
    pub reason: String,
    pub forecast_min_c: Option<f64>,
    pub overflow: Vec<Opening>,
}

fn cold_night_view(row: ColdNightRow, openings: &[OpeningRow]) -> ColdNightView {
    ColdNightView {
        night: Night::new(row.night),
        reason: row.reason,
        forecast_min_c: row.forecast_min_c,
        overflow: openings
            .iter()
            .filter(|o| o.night == row.night)
            .map(|o| Opening {
                shelter_id: o.shelter_id.clone(),
                places: u32::try_from(o.places).unwrap_or(0),
            })
            .collect(),
    }
}

fn overflow_held() -> AppError {
    AppError::Conflict {
        code: "overflow-place-held",
        detail: "A guest holds an overflow place that this would close. Move the guest first, or keep the place open.".into(),
    }
}

#[derive(Debug, Clone)]
pub struct Declaration {
    pub night: Night,
    pub reason: String,
    pub forecast_min_c: Option<f64>,
    pub overflow: Vec<Opening>,
}

/// Declares, widens or narrows a cold night. Places a guest holds cannot
/// be closed.
pub fn declare(
    conn: &mut DbConnection,
    p: &Partnership,
    d: &Declaration,
    user_id: &str,
    instant: DateTime<Utc>,
) -> Result<ColdNightView, AppError> {
    let now = now_for(p, instant)?;
    coldnight::may_declare(d.night, now.night)?;
    db::write_tx(conn, |c| {
        // The shelters whose overflow places this opens or closes, before
        // anything is read: a placement there waits, or is waited for.
        let mut touched: Vec<String> = coldnights::openings(c, d.night.date())?
            .into_iter()
            .map(|o| o.shelter_id)
            .collect();
        touched.extend(d.overflow.iter().map(|o| o.shelter_id.clone()));
        db_stays::lock_shelters(c, &touched)?;
        let at = instant.naive_utc();
        let mut rows = Vec::new();
        let mut still_open: HashSet<String> = HashSet::new();
        for o in &d.overflow {
            if !places::shelter_exists(c, &o.shelter_id)? {
                return Err(AppError::validation(
                    "overflow",
                    format!("no shelter has the id {}", o.shelter_id),
                ));
            }
            let count = usize::try_from(o.places).unwrap_or(usize::MAX);
            let opened = coldnights::ensure_overflow_places(c, &o.shelter_id, count, at)?;
            still_open.extend(opened.into_iter().take(count).map(|pl| String::from(pl.id)));
            rows.push(OpeningRow {
                night: d.night.date(),
                shelter_id: o.shelter_id.clone(),
                places: i32::try_from(o.places).map_err(|e| AppError::Internal(e.into()))?,
            });
        }
        if coldnights::held_overflow(c, d.night.date())?
            .iter()
            .any(|held| !still_open.contains(held))
        {
            return Err(overflow_held());
        }
        let row = ColdNightRow {
            night: d.night.date(),
            reason: d.reason.clone(),
            forecast_min_c: d.forecast_min_c,
            declared_at: at,
            declared_by: user_id.to_owned(),
        };
        coldnights::save(c, &row, &rows)?;
        Ok(cold_night_view(row, &rows))
    })
}

/// Withdraws a cold night; refused while a guest holds an overflow place.
pub fn withdraw(conn: &mut DbConnection, night: Night) -> Result<(), AppError> {
    db::write_tx(conn, |c| {
        if coldnights::get(c, night.date())?.is_none() {
            return Err(AppError::NotFound(format!(
                "{night} is not a declared cold night"
            )));
        }
        let touched: Vec<String> = coldnights::openings(c, night.date())?
            .into_iter()
            .map(|o| o.shelter_id)
            .collect();
        db_stays::lock_shelters(c, &touched)?;
        if !coldnights::held_overflow(c, night.date())?.is_empty() {
            return Err(overflow_held());
        }
        coldnights::delete(c, night.date())?;
        Ok(())
    })
}

/// A night in the list: declared, or only suggested by the forecast.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ColdNightEntry {
    #[serde(flatten)]
    pub night: ColdNightView,
    /// A coordinator has declared it and its overflow places are open.
    pub declared: bool,
    /// The forecast minimum is at or below the rule set's
    /// `cold_night_threshold_c`. A suggestion never opens places.
    pub suggested: bool,
}

/// Declared cold nights in the range, and the nights the forecast
/// suggests, in night order.
pub fn list(
    conn: &mut DbConnection,
    p: &Partnership,
    from: Night,
    to: Night,
    forecast: Option<&dyn crate::forecast::ForecastSource>,
) -> Result<Vec<ColdNightEntry>, AppError> {
    let minimums = match forecast {
        None => BTreeMap::new(),
        Some(source) => source.minimums(&p.calendar, from, to).unwrap_or_else(|e| {
            tracing::warn!(error = %e, "the forecast cannot be read; no suggestions");
            BTreeMap::new()
        }),
    };
    let suggests = |night: Night, minimum: Option<f64>| -> Result<bool, AppError> {
        Ok(coldnight::suggested(
            minimum,
            &crate::service::beds::rules_for(p, night)?,
        ))
    };
    db::read_tx(conn, |c| {
        let rows = coldnights::list(c, from.date(), to.date())?;
        let openings = coldnights::openings_between(c, from.date(), to.date())?;
        let mut entries: BTreeMap<Night, ColdNightEntry> = BTreeMap::new();
        for r in rows {
            let view = cold_night_view(r, &openings);
            let minimum = minimums.get(&view.night).copied().or(view.forecast_min_c);
            entries.insert(
                view.night,
                ColdNightEntry {
                    suggested: suggests(view.night, minimum)?,
                    night: view,
                    declared: true,
                },
            );
        }
        for (night, minimum) in &minimums {
            if entries.contains_key(night) || !suggests(*night, Some(*minimum))? {
                continue;
            }
            entries.insert(
                *night,
                ColdNightEntry {
                    night: ColdNightView {
                        night: *night,
                        reason: format!("forecast minimum {minimum} °C"),
                        forecast_min_c: Some(*minimum),
                        overflow: vec![],
                    },
                    declared: false,
                    suggested: true,
                },
            );
        }
        Ok(entries.into_values().collect())
    })
}

// --------------------------------------------------------------- placements

#[derive(Debug, Clone)]
pub struct PlacementRequest {
    pub guest_id: GuestId,
    pub kind: PlacementKind,
    pub shelter_id: Option<ShelterId>,
    pub place_id: Option<PlaceId>,
    pub night: Option<Night>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlacementView {
    pub id: String,
    pub guest_id: String,
    pub kind: String,
    #[schema(value_type = String, format = Date)]
    pub night: Night,
    pub place_id: String,
    /// The place's label, beside its id.
    pub place_label: String,
    pub shelter_id: String,
}

/// A single-night placement in the night's list, with its guest's name.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlacementListItem {
    #[serde(flatten)]
    pub placement: PlacementView,
    pub given_name: String,
    pub family_name: String,
}

/// `GET /placements?night=&shelter_id=`: the single-night placements of
/// the night (the current night by default), at one shelter or, for a
/// caller who acts everywhere, at every shelter; in the order of the
/// shelters and the beds' labels. Shelter staff must name one of their
/// shelters. Each guest listed is one `placement.list` entry on the audit
/// trail, as on the desk's page.
pub fn night_placements(
    ctx: &Context,
    actor: &Actor,
    shelter_id: Option<&ShelterId>,
    night: Option<Night>,
) -> Result<Vec<PlacementListItem>, AppError> {
    match (shelter_id, &actor.scope) {
        (Some(s), scope) => scope.require(s)?,
        (None, Scope::All) => {}
        (None, Scope::Shelters(_)) => {
            return Err(AppError::validation(
                "shelter_id",
                "is needed: name one of the shelters you work at",
            ));
        }
    }
    let night = match night {
        Some(n) => n,
        None => ctx.rules_now()?.night,
    };
    let mut conn = ctx.connection()?;
    let mut tx = Tx::begin(&mut conn)?;
    if let Some(s) = shelter_id
        && !crate::db::places::shelter_exists(&mut tx, s)?
    {
        return Err(AppError::not_found("shelter"));
    }
    let rows =
        coldnights::placements_of_night(&mut tx, night.date(), shelter_id.map(|s| s.as_str()))?;
    let mut list: Vec<PlacementListItem> = rows
        .into_iter()
        .map(
            |(row, place_label, given_name, family_name)| PlacementListItem {
                placement: PlacementView {
                    id: row.id,
                    guest_id: row.guest_id,
                    kind: row.kind,
                    night,
                    place_id: row.place_id,
                    place_label,
                    shelter_id: row.shelter_id,
                },
                given_name,
                family_name,
            },
        )
        .collect();
    list.sort_by(|a, b| {
        let key = |i: &PlacementListItem| {
            (
                i.placement.shelter_id.clone(),
                i.placement.place_label.clone(),
                i.placement.id.clone(),
            )
        };
        key(a).cmp(&key(b))
    });
    let targets: Vec<Target> = list
        .iter()
        .map(|i| Target::both(&i.placement.guest_id, &i.placement.id))
        .collect();
    audit::append(&mut tx, &actor.who, "placement.list", &targets)?;
    tx.commit()?;
    Ok(list)
}

/// `POST /placements`: places a guest for one night (RULES.md §5), once
/// per idempotency key. Karenstid does not stop it; bans, categories, the
/// target group and age do. A refusal is kept as a turn-away (§8) and
/// audited as `ACTION.refused`.
pub fn place(
    ctx: &Context,
    actor: &Actor,
    keyed: &Keyed,
    action: &str,
    req: &PlacementRequest,
) -> Result<Answer, AppError> {
    if let Some(s) = &req.shelter_id {
        actor.scope.require(s)?;
    }
    let now = ctx.rules_now()?;
    let mut conn = ctx.connection()?;
    retrying(&mut conn, |conn| {
        let mut tx = Tx::begin(conn)?;
        let ticket = match idempotency::claim(&mut tx, keyed)? {
            Claim::Answered(first) => return Ok(first),
            Claim::Ours(ticket) => ticket,
        };
        // A refusal comes before the placement's writes (`decided`).
        let placed = place_once(
            &mut tx,
            &ctx.partnership,
            req,
            &actor.scope,
            actor.user_id(),
            &now,
        );
        match placed {
            Ok(placement) => {
                let answer = idempotency::answer(201, &placement)?;
                audit::append(&mut tx, &actor.who, action, &[Target::of_answer(&answer.1)])?;
                ticket.save(&mut tx, &answer)?;
                tx.commit()?;
                Ok(answer)
            }
            Err(Step::Failed(AppError::Refused(refusal))) => {
                let turned_away = TurnAway {
                    guest_id: &req.guest_id,
                    shelter_id: req.shelter_id.as_deref(),
                    kind: "placement",
                    night: req.night.unwrap_or(now.night),
                };
                record_refusal(
                    &mut tx,
                    &turned_away,
                    &refusal,
                    actor.user_id(),
                    now.instant,
                )?;
                let attempted = Target::guest(&req.guest_id);
                audit::append(
                    &mut tx,
                    &actor.who,
                    &format!("{action}.refused"),
                    &[attempted],
                )?;
                ticket.forget(&mut tx)?;
                tx.commit()?;
                Err(AppError::Refused(refusal).into())
            }
            Err(other) => Err(other),
        }
    })
}

fn place_once(
    c: &mut DbConnection,
    p: &Partnership,
    req: &PlacementRequest,
    scope: &Scope,
    user_id: &str,
    now: &crate::rules::checkin::Now,
) -> Result<PlacementView, Step> {
    let guest =
        db_stays::locked_guest(c, &req.guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
    let night = req.night.unwrap_or(now.night);
    if let Some(s) = &req.shelter_id
        && !places::shelter_exists(c, s)?
    {
        return Err(AppError::not_found("shelter").into());
    }
    let gender: Gender = guest.gender.parse().unwrap_or(Gender::Unknown);
    let order = placement_order(req.kind, gender);
    let named = match &req.place_id {
        None => None,
        Some(id) => {
            let named = places::place(c, id)?.ok_or_else(|| AppError::not_found("place"))?;
            if req
                .shelter_id
                .as_deref()
                .is_some_and(|s| s != named.shelter_id)
            {
                return Err(
                    AppError::validation("place_id", "is not a place of this shelter").into(),
                );
            }
            scope.require(&named.shelter_id)?;
            let category: PlaceCategory = named
                .category
                .parse()
                .map_err(|e: String| AppError::Internal(anyhow::anyhow!(e)))?;
            Some((category, named.shelter_id))
        }
    };
    let rules = &crate::service::beds::rules_for(p, night)?;
    let facts = GuestFacts {
        birth_date: guest.birth_date,
        birth_year: guest.birth_year,
        citizenship: guest.citizenship.clone(),
        residence_permit_country: guest.residence_permit_country.clone(),
    };
    let bans: Vec<eligibility::Ban> = db::bans::bans_of(c, &guest.id, night.date())?
        .into_iter()
        .map(|b| eligibility::Ban {
            shelter_id: b.shelter_id,
            first_night: Night::new(b.first_night),
            last_night: Night::new(b.last_night),
        })
        .collect();
    // A place named without its shelter is asked for at the place's shelter.
    let shelter: Option<String> = req
        .shelter_id
        .as_ref()
        .map(String::from)
        .or_else(|| named.as_ref().map(|(_, s)| s.to_string()));
    eligibility::may_place(
        &eligibility::PlacementCase {
            guest: &facts,
            night,
            current: now.night,
            already_placed: !db_stays::guest_held_nights(
                c,
                &guest.id,
                night.date(),
                night.date(),
                now,
            )?
            .is_empty(),
            bans: &bans,
            shelter_id: shelter.as_deref(),
            category_fits: named.as_ref().is_none_or(|(cat, _)| order.contains(cat)),
            not_a_cold_night: req.kind == PlacementKind::ColdNight
                && coldnights::get(c, night.date())?.is_none(),
        },
        rules,
    )?;
    let free = free_on(c, night, now, req.shelter_id.as_deref())?;
    let mut banned = None;
    let mut candidates: Vec<&FreePlaceRow> = Vec::new();
    for f in &free {
        if req.place_id.as_deref().is_some_and(|id| id != f.id) || !scope.allows(&f.shelter_id) {
            continue;
        }
        let Ok(cat) = f.category.parse::<PlaceCategory>() else {
            continue;
        };
        if !order.contains(&cat) {
            continue;
        }
        if let Err(r) = eligibility::check_bans(&bans, &f.shelter_id, night, night) {
            banned = Some(r);
            continue;
        }
        candidates.push(f);
    }
    let awaited = awaited_places(c, night, now)?;
    coldnight::best_first_sparing(
        &mut candidates,
        &order,
        |f| f.category.parse().ok(),
        |f| awaited.contains(f.id.as_str()),
    );
    let Some(chosen) = candidates.first() else {
        if let Some(r) = banned {
            return Err(r.into());
        }
        // A cold night withdrawn after the check above and before the
        // search: the answer is the one the withdrawal first would give.
        if req.kind == PlacementKind::ColdNight && coldnights::get(c, night.date())?.is_none() {
            return Err(Refusal::NotAColdNight.into());
        }
        let alternatives = crate::service::beds::alternatives(
            c,
            night,
            now,
            req.shelter_id.as_deref().unwrap_or(""),
        )?;
        return Err(Refusal::NoFreePlace { alternatives }.into());
    };
    // What was read as free is checked again under the shelter's lock: a
    // withdrawn or narrowed cold night, or a place taken out of service,
    // committed in between sends the placement round again.
    db_stays::lock_shelter(c, &chosen.shelter_id)?;
    if !free_on(c, night, now, Some(&chosen.shelter_id))?
        .iter()
        .any(|f| f.id == chosen.id)
    {
        return Err(Step::Retry);
    }
    // The rules have answered: only writes from here on.
    decided((|| {
        crate::service::beds::clear_way(c, now, Some(&chosen.id), Some(&guest.id), night, night)?;
        let at = now.instant.naive_utc();
        let booking = BookingRow {
            id: db::new_id(),
            guest_id: guest.id.clone(),
            place_id: chosen.id.clone(),
            shelter_id: chosen.shelter_id.clone(),
            night: night.date(),
            kind: BookingKind::from(req.kind),
            stay_id: None,
            released: false,
            held: true,
            checked_in_at: None,
            created_at: at,
            no_show_end: None,
        };
        crate::service::act::placed(db_stays::insert_booking(c, &booking))?;
        let row = PlacementRow {
            id: db::new_id(),
            booking_id: booking.id.clone(),
            guest_id: guest.id.to_string(),
            kind: req.kind.as_str().to_owned(),
            night: night.date(),
            place_id: chosen.id.to_string(),
            shelter_id: chosen.shelter_id.to_string(),
            reason: req.reason.clone(),
            created_at: at,
            created_by: user_id.to_owned(),
        };
        coldnights::insert_placement(c, &row)?;
        Ok(PlacementView {
            id: row.id,
            guest_id: row.guest_id,
            kind: row.kind,
            night,
            place_id: row.place_id,
            place_label: chosen.label.clone(),
            shelter_id: row.shelter_id,
        })
    })())
}
