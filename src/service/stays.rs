//! Stays: intake, check-in, end, move, void, eligibility and bans.
//!
//! Each act is one write transaction: lock the guest, load the guest's own
//! recent history and the night's places, ask `rules::` for a decision,
//! write it. No-shows are settled inside the same transactions from the
//! clock (RULES.md §4), so the answer is the same whichever instance gives
//! it and no background job has to run first.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::audit::{self, Target};
use crate::auth::Scope;
use crate::db::Tx;
use crate::db::bans::{self as db_bans, BanRow};
use crate::db::guests::{self};
use crate::db::partnerships::Partnership;
use crate::db::places;
use crate::db::stays::{self as db_stays, BookingRow, StayRow};
use crate::db::{self, DbConnection};
use crate::domain::PlaceCategory;
use crate::error::AppError;
use crate::ids::{BookingKind, GuestId, PlaceId, ShelterId, StayId, StayStatus};
use crate::rules::checkin::{self, NightState, Now};
use crate::rules::eligibility::{self};
use crate::rules::stay::{self, Period, Release};
use crate::rules::{Night, Refusal, RuleSet};
use crate::service::Context;
use crate::service::act::{Actor, Step, decided, placed, retrying};
use crate::service::beds::TurnAway;
use crate::service::beds::{
    alternatives, bans, clear_way, count, facts_of, free_places_for, gender_of, guest_facts,
    has_ended, latest_for, night, no_show_end_of, period_of, record_refusal, rules_for, settle,
};
use crate::service::idempotency::{self, Answer, Claim, Keyed};
use crate::service::occupancy::{self, Shared};

// ---------------------------------------------------------------- views

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StayNightView {
    #[schema(value_type = String, format = Date)]
    pub night: Night,
    pub place_id: String,
    /// The place's label, as API.md's stay names it.
    pub label: String,
    /// The same label, by the name the other answers give it.
    pub place_label: String,
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
    /// The place's label, beside its id.
    pub place_label: String,
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

/// The stay as API.md gives it, from its row, its nights and the labels
/// of their places (by id).
pub fn view(
    stay: &StayRow,
    nights: &[BookingRow],
    labels: &HashMap<String, String>,
    now: &Now,
) -> StayView {
    let period = period_of(stay);
    let ended_from = no_show_end_of(stay, nights).filter(|_| stay.status == StayStatus::Active);
    let status = match stay.status {
        StayStatus::Active if has_ended(stay, nights, now) => StayStatus::Ended,
        other => other,
    };
    StayView {
        id: stay.id.to_string(),
        guest_id: stay.guest_id.to_string(),
        shelter_id: stay.shelter_id.to_string(),
        category: stay.category.clone(),
        status: status.as_str().to_owned(),
        first_night: period.first_night,
        last_night: period.last_night(),
        quarantine_last_night: period.quarantine_last_night(),
        eligible_again_from: period.eligible_again_from(),
        nights: nights
            .iter()
            .map(|b| StayNightView {
                night: night(b.night),
                place_id: b.place_id.to_string(),
                label: labels.get(b.place_id.as_str()).cloned().unwrap_or_default(),
                place_label: labels.get(b.place_id.as_str()).cloned().unwrap_or_default(),
                state: checkin::night_state(&facts_of(b), ended_from, now),
            })
            .collect(),
    }
}

/// [`view`], with the labels of the stay's places read from `c`.
pub fn view_in(
    c: &mut DbConnection,
    stay: &StayRow,
    nights: &[BookingRow],
    now: &Now,
) -> diesel::QueryResult<StayView> {
    let ids: Vec<String> = nights.iter().map(|b| b.place_id.to_string()).collect();
    let labels = places::labels(c, &ids)?;
    Ok(view(stay, nights, &labels, now))
}

/// The label of one place.
fn label_of(c: &mut DbConnection, place_id: &str) -> diesel::QueryResult<String> {
    let labels = places::labels(c, &[place_id.to_owned()])?;
    Ok(labels.get(place_id).cloned().unwrap_or_default())
}

// ---------------------------------------------------------- settlement

// -------------------------------------------------------------- intake

#[derive(Debug, Clone)]
pub struct IntakeRequest {
    pub guest_id: GuestId,
    pub shelter_id: ShelterId,
    pub place_id: Option<PlaceId>,
    pub category: Option<PlaceCategory>,
    pub first_night: Option<Night>,
}

/// `POST /stays`: grants a stay (RULES.md §3), once per idempotency key.
/// A refusal is kept as a turn-away (§8) and, for a minor, opens an acute
/// referral (§7); the refused act is audited too.
pub fn take_stay(
    ctx: &Context,
    actor: &Actor,
    keyed: &Keyed,
    req: &IntakeRequest,
) -> Result<Answer, AppError> {
    actor.scope.require(&req.shelter_id)?;
    let now = ctx.rules_now()?;
    let mut conn = ctx.connection()?;
    if req.place_id.is_none() {
        // The nights of either stay the guest may get, in the index the
        // act starts its search for a free place from.
        let first = req.first_night.unwrap_or(now.night);
        let rules = rules_for(&ctx.partnership, first)?;
        let periods = [PlaceCategory::Regular, PlaceCategory::Women]
            .map(|c| (c, Period::granted(first, c, &rules)));
        occupancy::read_for_intake(&mut conn, &ctx.occupancy, &req.shelter_id, &periods, &now)?;
    }
    retrying(&mut conn, |conn| {
        let mut tx = Tx::begin(conn)?;
        let ticket = match idempotency::claim(&mut tx, keyed)? {
            Claim::Answered(first) => return Ok(first),
            Claim::Ours(ticket) => ticket,
        };
        // Load, ask the rules, then write: a refusal comes before any
        // write (`decided`), so it needs no savepoint to undo.
        let granted = grant_once(
            &mut tx,
            &ctx.occupancy,
            &ctx.partnership,
            req,
            actor.user_id(),
            &now,
        );
        match granted {
            Ok(stay) => {
                audit::append(
                    &mut tx,
                    &actor.who,
                    "stay.create",
                    &[Target::both(&stay.guest_id, &stay.id)],
                )?;
                let answer = idempotency::answer(201, &stay)?;
                ticket.save(&mut tx, &answer)?;
                tx.commit()?;
                Ok(answer)
            }
            Err(Step::Failed(AppError::Refused(refusal))) => {
                let first = req.first_night.unwrap_or(now.night);
                let turned_away = TurnAway {
                    guest_id: &req.guest_id,
                    shelter_id: Some(&req.shelter_id),
                    kind: "stay",
                    night: first,
                };
                record_refusal(
                    &mut tx,
                    &turned_away,
                    &refusal,
                    actor.user_id(),
                    now.instant,
                )?;
                audit::append(
                    &mut tx,
                    &actor.who,
                    "stay.create.refused",
                    &[Target::guest(&req.guest_id)],
                )?;
                ticket.forget(&mut tx)?;
                tx.commit()?;
                Err(AppError::Refused(refusal).into())
            }
            Err(other) => Err(other),
        }
    })
}

fn grant_once(
    conn: &mut DbConnection,
    occupancy: &Shared,
    p: &Partnership,
    req: &IntakeRequest,
    user_id: &str,
    now: &Now,
) -> Result<StayView, Step> {
    let guest =
        db_stays::locked_guest(conn, &req.guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
    let first = req.first_night.unwrap_or(now.night);
    // The guest's own history, under the guest's lock and before the
    // shelter's, which other desks at the shelter wait for.
    let history = latest_for(conn, &guest.id, now)?;
    let guest_bans = bans(conn, &guest.id, first)?;
    // Always after the guest's lock: one order, no deadlock. Shared with
    // the other intakes there; each then locks the place it takes.
    if !db_stays::share_existing_shelter(conn, &req.shelter_id)? {
        return Err(AppError::not_found("shelter").into());
    }
    let rules = &rules_for(p, first)?;
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
        let chosen = claim_free_place(
            conn,
            occupancy,
            &req.shelter_id,
            *category,
            named_place.as_ref().map(|pl| pl.id.as_str()),
            &period,
            now,
        )?;
        let Some(place) = chosen else {
            continue;
        };
        // The rules have answered: only writes from here on.
        return decided((|| {
            clear_way(
                conn,
                now,
                Some(&place.id),
                Some(&guest.id),
                first,
                period.last_night(),
            )?;
            insert_stay_on(
                conn, &guest.id, &place, *category, &period, rules, user_id, now,
            )
        })());
    }
    if let Some(r) = banned.filter(|_| categories.len() == 1) {
        return Err(r.into());
    }
    Err(Refusal::NoFreePlace {
        alternatives: alternatives(conn, first, now, &req.shelter_id)?,
    }
    .into())
}

/// How many places an intake waits for, each locked by another desk's act
/// that may yet fail, before it begins again ([`Step::Retry`]).
const CLAIMS: usize = 32;

/// The place an intake takes, locked to its commit: the named place when it
/// is free, else the first free by label that no other desk is taking. A
/// free place that another desk's act holds locked is waited for rather
/// than passed over into a refusal: that act may fail and leave it free.
/// Each wait ends that act, so the place is then taken for good or free.
fn claim_free_place(
    conn: &mut DbConnection,
    occupancy: &Shared,
    shelter_id: &str,
    category: PlaceCategory,
    named: Option<&str>,
    period: &Period,
    now: &Now,
) -> Result<Option<db_stays::FreePlaceRow>, Step> {
    let (first, last) = (period.first_night.date(), period.last_night().date());
    let category = category.as_str();
    if let Some(place) = named {
        db_stays::claim_place(conn, place)?;
        return Ok(db_stays::first_free_place(
            conn,
            shelter_id,
            category,
            db_stays::Seek::Place(place),
            first,
            last,
            now,
        )?);
    }
    // Where the occupancy index says the first free place is: the query
    // starts there instead of reading every place before it.
    let nights: Vec<_> = period.nights().into_iter().map(Night::date).collect();
    let hint = occupancy
        .lock()
        .first_free(shelter_id, category, &nights, now)
        .flatten();
    // Both steps use the act's connection, one after the other.
    let conn = std::cell::RefCell::new(conn);
    claim_from(
        hint,
        |from| {
            Ok(db_stays::first_unclaimed_free_place(
                &mut conn.borrow_mut(),
                shelter_id,
                category,
                from,
                first,
                last,
                now,
            )?)
        },
        |place| Ok(db_stays::claim_place(&mut conn.borrow_mut(), place)?),
    )
}

/// The search of [`claim_free_place`]: `find` looks from a label on (or
/// from the first), `claim` waits for another act's place. The hint is
/// only a hint: the index read before this act began, so a place freed
/// since may lie before it (then a later one is taken) and one taken
/// since is passed over by the query; when nothing is free from there
/// on, the search looks again from the first place, and only that
/// answer can refuse.
fn claim_from(
    hint: Option<String>,
    mut find: impl FnMut(Option<&str>) -> Result<db_stays::Candidate, Step>,
    mut claim: impl FnMut(&str) -> Result<(), Step>,
) -> Result<Option<db_stays::FreePlaceRow>, Step> {
    let mut from = hint;
    let mut claims = 0;
    while claims < CLAIMS {
        match find(from.as_deref())? {
            db_stays::Candidate::Free(place) => return Ok(Some(place)),
            db_stays::Candidate::None if from.is_some() => from = None,
            db_stays::Candidate::None => return Ok(None),
            db_stays::Candidate::TakenElsewhere(place) => {
                claim(place.as_str())?;
                claims += 1;
            }
        }
    }
    Err(Step::Retry)
}

/// Writes a granted stay on a place chosen free for all its nights; the
/// answer names the place by the label its search read.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_stay_on(
    conn: &mut DbConnection,
    guest_id: &str,
    place: &db_stays::FreePlaceRow,
    category: PlaceCategory,
    period: &Period,
    rules: &RuleSet,
    user_id: &str,
    now: &Now,
) -> Result<StayView, Step> {
    let created = now.instant.naive_utc();
    let row = StayRow {
        id: StayId::new(),
        guest_id: GuestId::stored(guest_id.to_owned()),
        shelter_id: place.shelter_id.clone(),
        category: category.as_str().to_owned(),
        status: StayStatus::Active,
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
            guest_id: GuestId::stored(guest_id.to_owned()),
            place_id: place.id.clone(),
            shelter_id: place.shelter_id.clone(),
            night: n.date(),
            kind: BookingKind::Stay,
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
    let labels = HashMap::from([(place.id.to_string(), place.label.clone())]);
    Ok(view(&row, &nights, &labels, now))
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

/// `GET /stays/{id}`: the stay as it stands now; the read is audited.
pub fn get(ctx: &Context, actor: &Actor, stay_id: &StayId) -> Result<StayView, AppError> {
    let now = ctx.rules_now()?;
    let mut conn = ctx.connection()?;
    let mut tx = Tx::begin(&mut conn)?;
    let stay = db_stays::get_stay(&mut tx, stay_id)?.ok_or_else(|| AppError::not_found("stay"))?;
    actor.scope.require(&stay.shelter_id)?;
    let nights = db_stays::stay_nights(&mut tx, &stay.id)?;
    let view = view_in(&mut tx, &stay, &nights, &now)?;
    audit::append(
        &mut tx,
        &actor.who,
        "stay.read",
        &[Target::both(&view.guest_id, &view.id)],
    )?;
    tx.commit()?;
    Ok(view)
}

/// A stay in the night's list at a shelter: the stay, its guest's name
/// and the label of the bed it holds that night.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StayListItem {
    #[serde(flatten)]
    pub stay: StayView,
    pub given_name: String,
    pub family_name: String,
    /// The bed of the night asked for.
    pub place_id: String,
    pub place_label: String,
}

/// `GET /stays?shelter_id=&night=`: the stays that hold a bed at the
/// shelter on the night (the current night by default), in the order of
/// the beds' labels. A stay is listed when it is not voided and its night
/// there is not released (by an early end or by no-shows):
/// the night's state is then `reserved`, `checked_in` or `no_show`. Each
/// guest listed is one `stay.list` entry on the audit trail, as on the
/// desk's page.
pub fn night_list(
    ctx: &Context,
    actor: &Actor,
    shelter_id: &ShelterId,
    night: Option<Night>,
) -> Result<Vec<StayListItem>, AppError> {
    actor.scope.require(shelter_id)?;
    let now = ctx.rules_now()?;
    let night = night.unwrap_or(now.night);
    let mut conn = ctx.connection()?;
    let mut tx = Tx::begin(&mut conn)?;
    if !places::shelter_exists(&mut tx, shelter_id)? {
        return Err(AppError::not_found("shelter"));
    }
    let mut found = db_stays::stays_on_night_at(&mut tx, shelter_id, night.date())?;
    found.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    found.dedup_by(|a, b| a.0.id == b.0.id);
    let ids: Vec<String> = found.iter().map(|(s, _, _)| s.id.to_string()).collect();
    let mut nights_by_stay: HashMap<String, Vec<BookingRow>> = HashMap::new();
    for b in db_stays::nights_of_stays(&mut tx, &ids)? {
        if let Some(id) = b.stay_id.clone() {
            nights_by_stay.entry(id.to_string()).or_default().push(b);
        }
    }
    let place_ids: Vec<String> = nights_by_stay
        .values()
        .flatten()
        .map(|b| b.place_id.to_string())
        .collect();
    let labels = places::labels(&mut tx, &place_ids)?;
    let mut list = Vec::new();
    for (stay, given_name, family_name) in found {
        let nights = nights_by_stay.remove(stay.id.as_str()).unwrap_or_default();
        let view = view(&stay, &nights, &labels, &now);
        let Some(that_night) = view.nights.iter().find(|n| n.night == night) else {
            continue;
        };
        if that_night.state == NightState::Released {
            continue;
        }
        let place_id = that_night.place_id.clone();
        list.push(StayListItem {
            place_label: labels.get(&place_id).cloned().unwrap_or_default(),
            place_id,
            given_name,
            family_name,
            stay: view,
        });
    }
    list.sort_by(|a, b| {
        (&a.place_label, &a.family_name, &a.stay.id).cmp(&(
            &b.place_label,
            &b.family_name,
            &b.stay.id,
        ))
    });
    let targets: Vec<Target> = list
        .iter()
        .map(|i| Target::both(&i.stay.guest_id, &i.stay.id))
        .collect();
    audit::append(&mut tx, &actor.who, "stay.list", &targets)?;
    tx.commit()?;
    Ok(list)
}

fn not_active() -> AppError {
    AppError::Conflict {
        code: "stay-not-active",
        detail: "This stay has ended or was voided; nothing more can be done with it.".into(),
    }
}

/// `POST /stays/{id}/check-ins`: checks a guest in for tonight (RULES.md
/// §4), once per idempotency key. A refused check-in is audited too.
pub fn check_in(
    ctx: &Context,
    actor: &Actor,
    keyed: &Keyed,
    stay_id: &StayId,
    requested: Option<Night>,
) -> Result<Answer, AppError> {
    let now = ctx.rules_now()?;
    let mut conn = ctx.connection()?;
    let mut tx = Tx::begin(&mut conn)?;
    let ticket = match idempotency::claim(&mut tx, keyed)? {
        Claim::Answered(first) => return Ok(first),
        Claim::Ours(ticket) => ticket,
    };
    // A refusal comes before the check-in's writes: no savepoint to undo.
    match check_in_once(&mut tx, stay_id, requested, &actor.scope, &now) {
        Ok(checked_in) => {
            let answer = idempotency::answer(201, &checked_in)?;
            audit::append(
                &mut tx,
                &actor.who,
                "stay.check-in",
                &[Target::of_answer(&answer.1)],
            )?;
            ticket.save(&mut tx, &answer)?;
            tx.commit()?;
            Ok(answer)
        }
        Err(AppError::Refused(refusal)) => {
            audit::append(
                &mut tx,
                &actor.who,
                "stay.check-in.refused",
                &[Target::stay(stay_id)],
            )?;
            ticket.forget(&mut tx)?;
            tx.commit()?;
            Err(AppError::Refused(refusal))
        }
        Err(other) => Err(other),
    }
}

/// Loads the stay, asks the rules whether tonight's night can be checked
/// in, and writes the check-in with the stay's new no-show ending.
fn check_in_once(
    c: &mut DbConnection,
    stay_id: &str,
    requested: Option<Night>,
    scope: &Scope,
    now: &Now,
) -> Result<CheckInView, AppError> {
    let (stay, nights) = load(c, stay_id, scope, now)?;
    let tonight = requested.unwrap_or(now.night);
    if tonight != now.night {
        return Err(Refusal::NightOutOfRange {
            earliest: now.night,
            latest: now.night,
        }
        .into());
    }
    let period = period_of(&stay);
    let Some(index) = nights.iter().position(|b| night(b.night) == tonight) else {
        return Err(Refusal::NightOutOfRange {
            earliest: period.first_night,
            latest: period.last_night(),
        }
        .into());
    };
    let booking = &nights[index];
    if let Some(at) = booking.checked_in_at {
        return Ok(CheckInView {
            stay_id: stay.id.to_string(),
            guest_id: stay.guest_id.to_string(),
            night: tonight,
            place_id: booking.place_id.to_string(),
            place_label: label_of(c, &booking.place_id)?,
            checked_in_at: at.and_utc(),
        });
    }
    if booking.released || !booking.held {
        let guest = guests::get(c, &stay.guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
        return Err(Refusal::ReservationReleased {
            free_places: free_places_for(c, gender_of(&guest), now)?,
        }
        .into());
    }
    Ok(write_check_in(c, &stay, nights, index, now)?)
}

/// The check-in's writes, once the rules have answered: storage errors
/// only, never a refusal (the act records a refusal without a savepoint).
fn write_check_in(
    c: &mut DbConnection,
    stay: &StayRow,
    mut nights: Vec<BookingRow>,
    index: usize,
    now: &Now,
) -> diesel::QueryResult<CheckInView> {
    // `nights[index]` is then as written: the stay's nights as they now
    // stand, without reading them again.
    let label = db_stays::check_in(c, &mut nights[index], now.instant.naive_utc())?;
    let booking = &nights[index];
    // The check-in breaks the run of missed nights: the ending moves.
    let end = no_show_end_of(stay, &nights).map(Night::date);
    db_stays::set_no_show_end(c, &stay.id, end)?;
    Ok(CheckInView {
        stay_id: stay.id.to_string(),
        guest_id: stay.guest_id.to_string(),
        night: night(booking.night),
        place_id: booking.place_id.to_string(),
        place_label: label,
        checked_in_at: now.instant,
    })
}

fn require_running(stay: &StayRow, now: &Now) -> Result<(), AppError> {
    if stay.status != StayStatus::Active || period_of(stay).last_night() < now.night {
        return Err(not_active());
    }
    Ok(())
}

/// `POST /stays/{id}/end`: ends a stay early: every night after tonight
/// is released, and tonight too unless the guest has checked in. The
/// period and karenstid stay.
pub fn end(
    ctx: &Context,
    actor: &Actor,
    stay_id: &StayId,
    reason: &str,
) -> Result<StayView, AppError> {
    done(act_on_stay(
        ctx,
        actor,
        None,
        "stay.end",
        stay_id,
        |c, stay, now| {
            require_running(stay, now)?;
            end_now(c, &stay.id, reason, now)
        },
    )?)
}

/// [`end`] for a form that carries an idempotency key (the pages): the
/// key is claimed in the act's transaction, so the form sent again after
/// a dropped connection ends the stay once and gets the first answer.
pub fn end_keyed(
    ctx: &Context,
    actor: &Actor,
    keyed: &Keyed,
    stay_id: &StayId,
    reason: &str,
) -> Result<Answer, AppError> {
    Ok(act_on_stay(
        ctx,
        actor,
        Some(keyed),
        "stay.end",
        stay_id,
        |c, stay, now| {
            require_running(stay, now)?;
            end_now(c, &stay.id, reason, now)
        },
    )?
    .answer())
}

/// What an act on a stay gave: the stay after it, or the first answer
/// of a request sent again with its idempotency key.
enum Acted {
    Done(Answer, StayView),
    Before(Answer),
}

impl Acted {
    fn answer(self) -> Answer {
        match self {
            Self::Done(answer, _) | Self::Before(answer) => answer,
        }
    }
}

/// The stay of an act that claimed no key (only a claimed key has a
/// first answer to give again).
fn done(acted: Acted) -> Result<StayView, AppError> {
    match acted {
        Acted::Done(_, view) => Ok(view),
        Acted::Before(_) => Err(AppError::Internal(anyhow::anyhow!(
            "an answer given again without a key"
        ))),
    }
}

/// An act on one stay the actor may act on: begin, claim the key if
/// there is one, load and settle the stay, act, read it again, audit,
/// keep the answer under the key, commit.
fn act_on_stay(
    ctx: &Context,
    actor: &Actor,
    keyed: Option<&Keyed>,
    action: &str,
    stay_id: &StayId,
    act: impl FnOnce(&mut DbConnection, &StayRow, &Now) -> Result<(), AppError>,
) -> Result<Acted, AppError> {
    let now = ctx.rules_now()?;
    let mut conn = ctx.connection()?;
    let mut tx = Tx::begin(&mut conn)?;
    let ticket = match keyed {
        Some(keyed) => match idempotency::claim(&mut tx, keyed)? {
            Claim::Answered(first) => return Ok(Acted::Before(first)),
            Claim::Ours(ticket) => Some(ticket),
        },
        None => None,
    };
    let (stay, _) = load(&mut tx, stay_id, &actor.scope, &now)?;
    act(&mut tx, &stay, &now)?;
    let (stay, nights) = load(&mut tx, stay_id, &Scope::All, &now)?;
    let view = view_in(&mut tx, &stay, &nights, &now)?;
    audit::append(
        &mut tx,
        &actor.who,
        action,
        &[Target::both(&view.guest_id, &view.id)],
    )?;
    let answer = idempotency::answer(200, &view)?;
    if let Some(ticket) = ticket {
        ticket.save(&mut tx, &answer)?;
    }
    tx.commit()?;
    Ok(Acted::Done(answer, view))
}

fn end_now(
    conn: &mut DbConnection,
    stay_id: &str,
    reason: &str,
    now: &Now,
) -> Result<(), AppError> {
    db_stays::release(conn, stay_id, &Release::early_end(now.night))?;
    db_stays::set_status(
        conn,
        stay_id,
        StayStatus::Ended,
        reason,
        now.instant.naive_utc(),
    )?;
    Ok(())
}

/// `POST /stays/{id}/void`: voids a stay entered in error; it counts as
/// if it never existed.
pub fn void(
    ctx: &Context,
    actor: &Actor,
    stay_id: &StayId,
    reason: &str,
) -> Result<StayView, AppError> {
    done(act_on_stay(
        ctx,
        actor,
        None,
        "stay.void",
        stay_id,
        |c, stay, now| {
            if stay.status == StayStatus::Voided {
                return Err(not_active());
            }
            db_stays::release(c, &stay.id, &Release::void())?;
            db_stays::set_status(
                c,
                &stay.id,
                StayStatus::Voided,
                reason,
                now.instant.naive_utc(),
            )?;
            Ok(())
        },
    )?)
}

/// `POST /stays/{id}/move`: moves the remaining nights (tonight on) to
/// another place. A refused move is audited too.
pub fn move_to(
    ctx: &Context,
    actor: &Actor,
    stay_id: &StayId,
    place_id: &PlaceId,
) -> Result<StayView, AppError> {
    done(move_claimed(ctx, actor, None, stay_id, place_id)?)
}

/// [`move_to`] for a form that carries an idempotency key (the pages):
/// the key is claimed in the act's transaction, so the form sent again
/// moves the stay once and gets the first answer. A refused move lets
/// go of the key.
pub fn move_keyed(
    ctx: &Context,
    actor: &Actor,
    keyed: &Keyed,
    stay_id: &StayId,
    place_id: &PlaceId,
) -> Result<Answer, AppError> {
    Ok(move_claimed(ctx, actor, Some(keyed), stay_id, place_id)?.answer())
}

fn move_claimed(
    ctx: &Context,
    actor: &Actor,
    keyed: Option<&Keyed>,
    stay_id: &StayId,
    place_id: &PlaceId,
) -> Result<Acted, AppError> {
    let now = ctx.rules_now()?;
    let mut conn = ctx.connection()?;
    retrying(&mut conn, |conn| {
        let mut tx = Tx::begin(conn)?;
        let ticket = match keyed {
            Some(keyed) => match idempotency::claim(&mut tx, keyed)? {
                Claim::Answered(first) => return Ok(Acted::Before(first)),
                Claim::Ours(ticket) => Some(ticket),
            },
            None => None,
        };
        // A refusal comes before the move's writes (`decided`).
        match move_once(&mut tx, stay_id, place_id, &actor.scope, &now) {
            Ok(moved) => {
                audit::append(
                    &mut tx,
                    &actor.who,
                    "stay.move",
                    &[Target::both(&moved.guest_id, &moved.id)],
                )?;
                let answer = idempotency::answer(200, &moved)?;
                if let Some(ticket) = ticket {
                    ticket.save(&mut tx, &answer)?;
                }
                tx.commit()?;
                Ok(Acted::Done(answer, moved))
            }
            Err(Step::Failed(AppError::Refused(refusal))) => {
                audit::append(
                    &mut tx,
                    &actor.who,
                    "stay.move.refused",
                    &[Target::stay(stay_id)],
                )?;
                if let Some(ticket) = ticket {
                    ticket.forget(&mut tx)?;
                }
                tx.commit()?;
                Err(AppError::Refused(refusal).into())
            }
            Err(other) => Err(other),
        }
    })
}

/// Loads the stay and the place, asks the rules (category, bans, a free
/// place for every night left), clears the way and moves the nights.
fn move_once(
    c: &mut DbConnection,
    stay_id: &str,
    place_id: &str,
    scope: &Scope,
    now: &Now,
) -> Result<StayView, Step> {
    let (stay, nights) = load(c, stay_id, scope, now)?;
    require_running(&stay, now)?;
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
        return Ok(view_in(c, &stay, &nights, now)?);
    }
    eligibility::check_bans(&bans(c, &guest.id, from)?, &target.shelter_id, from, to)?;
    db_stays::lock_shelter(c, &target.shelter_id)?;
    let target_free = db_stays::first_free_place(
        c,
        &target.shelter_id,
        category.as_str(),
        db_stays::Seek::Place(target.id.as_str()),
        from.date(),
        to.date(),
        now,
    )?
    .is_some();
    let own_place = remaining.iter().any(|b| b.place_id == target.id);
    if !own_place && !target_free {
        return Err(Refusal::NoFreePlace {
            alternatives: alternatives(c, from, now, &target.shelter_id)?,
        }
        .into());
    }
    // The rules have answered: only writes from here on.
    decided((|| {
        clear_way(c, now, Some(&target.id), None, from, to)?;
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
        let (stay, nights) = load(c, stay_id, &Scope::All, now)?;
        Ok(view_in(c, &stay, &nights, now)?)
    })())
}

// --------------------------------------------------------- eligibility

/// `GET /guests/{id}/eligibility`: whether the guest may be given a new
/// stay starting on `on` (tonight when `None`): target group, age, the
/// latest stay, bans at every shelter. The read is audited.
pub fn eligibility(
    ctx: &Context,
    actor: &Actor,
    guest_id: &GuestId,
    on: Option<Night>,
) -> Result<EligibilityView, AppError> {
    let now = ctx.rules_now()?;
    let on = on.unwrap_or(now.night);
    let rules = &rules_for(&ctx.partnership, on)?;
    let mut conn = ctx.connection()?;
    let mut tx = Tx::begin(&mut conn)?;
    let guest = guests::get(&mut tx, guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
    let facts = guest_facts(&guest);
    let history = latest_for(&mut tx, &guest.id, &now)?;
    let bans = bans(&mut tx, &guest.id, on)?;
    let decision = eligibility::may_start_anywhere(&facts, history.as_ref(), &bans, on, rules);
    let view = match decision {
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
    };
    audit::append(
        &mut tx,
        &actor.who,
        "guest.eligibility",
        &[Target::guest(guest_id)],
    )?;
    tx.commit()?;
    Ok(view)
}

// ---------------------------------------------------------------- bans

#[derive(Debug, Clone)]
pub struct NewBan {
    pub guest_id: GuestId,
    /// The incidents the ban rests on; each must involve the guest.
    pub incident_ids: Vec<String>,
    pub shelter_id: Option<ShelterId>,
    pub first_night: Night,
    pub last_night: Night,
    pub reason: String,
}

/// `POST /bans`: bans a guest (RULES.md §7). A stay the guest holds at a
/// banned shelter during the ban ends now, as if ended early.
pub fn ban(ctx: &Context, actor: &Actor, new: &NewBan) -> Result<BanView, AppError> {
    match banned(ctx, actor, None, new)? {
        Banned::Now(view) => Ok(view),
        Banned::Before(_) => Err(AppError::Internal(anyhow::anyhow!(
            "an answer given again without a key"
        ))),
    }
}

/// [`ban`] for a form that carries an idempotency key (the pages): the
/// key is claimed in the ban's transaction, so the form sent again bans
/// once and gets the first answer (201 and the ban).
pub fn ban_keyed(
    ctx: &Context,
    actor: &Actor,
    keyed: &Keyed,
    new: &NewBan,
) -> Result<Answer, AppError> {
    match banned(ctx, actor, Some(keyed), new)? {
        Banned::Now(view) => idempotency::answer(201, &view),
        Banned::Before(answer) => Ok(answer),
    }
}

/// What a ban gave: the ban made now, or the first answer of a form sent
/// again with its key.
enum Banned {
    Now(BanView),
    Before(Answer),
}

/// The ban, in one transaction with its key's claim (when it has one):
/// an error before the commit rolls the claim back with everything else.
fn banned(
    ctx: &Context,
    actor: &Actor,
    keyed: Option<&Keyed>,
    new: &NewBan,
) -> Result<Banned, AppError> {
    let now = ctx.rules_now()?;
    let user_id = actor.user_id();
    let mut conn = ctx.connection()?;
    let mut tx = Tx::begin(&mut conn)?;
    let ticket = match keyed {
        Some(keyed) => match idempotency::claim(&mut tx, keyed)? {
            Claim::Answered(first) => return Ok(Banned::Before(first)),
            Claim::Ours(ticket) => Some(ticket),
        },
        None => None,
    };
    let guest = guests::get(&mut tx, &new.guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
    db_stays::lock_guest(&mut tx, &guest.id)?;
    if let Some(s) = &new.shelter_id
        && !places::shelter_exists(&mut tx, s)?
    {
        return Err(AppError::validation("shelter_id", "no shelter has this id"));
    }
    let row = BanRow {
        id: db::new_id(),
        guest_id: guest.id.to_string(),
        shelter_id: new.shelter_id.as_ref().map(String::from),
        first_night: new.first_night.date(),
        last_night: new.last_night.date(),
        reason: new.reason.clone(),
        created_at: now.instant.naive_utc(),
        created_by: user_id.to_owned(),
    };
    crate::service::followup::check_grounds(&mut tx, &guest.id, &new.incident_ids)?;
    db_bans::insert_ban(&mut tx, &row)?;
    for incident in &new.incident_ids {
        crate::db::followup::add_ground(&mut tx, &row.id, incident)?;
    }
    let from = new.first_night.max(now.night);
    if from <= new.last_night {
        for stay_id in db_stays::active_stays_at(
            &mut tx,
            &guest.id,
            new.shelter_id.as_deref(),
            from.date(),
            new.last_night.date(),
        )? {
            end_now(&mut tx, &stay_id, "banned", &now)?;
        }
    }
    let view = ban_view(row, new.incident_ids.clone());
    audit::append(
        &mut tx,
        &actor.who,
        "ban.create",
        &[Target::both(&view.guest_id, &view.id)],
    )?;
    if let Some(ticket) = ticket {
        ticket.save(&mut tx, &idempotency::answer(201, &view)?)?;
    }
    tx.commit()?;
    Ok(Banned::Now(view))
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
mod tests {
    use super::*;
    use db_stays::Candidate;

    fn place(label: &str) -> db_stays::FreePlaceRow {
        db_stays::FreePlaceRow {
            id: PlaceId::stored(format!("id-{label}")),
            label: label.to_owned(),
            category: "regular".to_owned(),
            shelter_id: ShelterId::stored("s".to_owned()),
        }
    }

    fn found(r: Result<Option<db_stays::FreePlaceRow>, Step>) -> Option<String> {
        match r {
            Ok(p) => p.map(|p| p.label),
            Err(_) => Some("an error".to_owned()),
        }
    }

    #[test]
    fn a_stale_hint_with_nothing_free_after_it_looks_again_from_the_first_place() {
        // R01 was freed after the index read; R03 on are all taken.
        let mut asked = Vec::new();
        let r = claim_from(
            Some("R03".to_owned()),
            |from| {
                asked.push(from.map(str::to_owned));
                Ok(match from {
                    Some(_) => Candidate::None,
                    None => Candidate::Free(place("R01")),
                })
            },
            |_| Ok(()),
        );
        assert_eq!(found(r), Some("R01".to_owned()));
        assert_eq!(asked, vec![Some("R03".to_owned()), None]);
    }

    #[test]
    fn nothing_free_from_the_hint_nor_from_the_first_is_no_place() {
        let mut asked = 0;
        let r = claim_from(
            Some("R03".to_owned()),
            |_| {
                asked += 1;
                Ok(Candidate::None)
            },
            |_| Ok(()),
        );
        assert_eq!(found(r), None);
        assert_eq!(asked, 2, "once from the hint, once from the first");
    }

    #[test]
    fn a_hint_that_finds_a_place_takes_it_without_looking_again() {
        let mut asked = Vec::new();
        let r = claim_from(
            Some("R03".to_owned()),
            |from| {
                asked.push(from.map(str::to_owned));
                Ok(Candidate::Free(place("R04")))
            },
            |_| Ok(()),
        );
        assert_eq!(found(r), Some("R04".to_owned()));
        assert_eq!(asked, vec![Some("R03".to_owned())]);
    }

    #[test]
    fn a_place_another_act_holds_is_waited_for_then_looked_at_again() {
        let mut claimed = Vec::new();
        let mut round = 0;
        let r = claim_from(
            None,
            |_| {
                round += 1;
                Ok(if round == 1 {
                    Candidate::TakenElsewhere(PlaceId::stored("id-R01".to_owned()))
                } else {
                    Candidate::Free(place("R01"))
                })
            },
            |p| {
                claimed.push(p.to_owned());
                Ok(())
            },
        );
        assert_eq!(found(r), Some("R01".to_owned()));
        assert_eq!(claimed, vec!["id-R01".to_owned()]);
    }

    #[test]
    fn after_as_many_waits_as_claims_allows_the_act_begins_again() {
        let mut claims = 0;
        let r = claim_from(
            Some("R02".to_owned()),
            |_| Ok(Candidate::TakenElsewhere(PlaceId::stored("id".to_owned()))),
            |_| {
                claims += 1;
                Ok(())
            },
        );
        assert!(matches!(r, Err(Step::Retry)));
        assert_eq!(claims, CLAIMS);
    }
}
