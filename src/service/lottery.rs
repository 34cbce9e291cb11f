//! Intake sessions and their draw (RULES.md §9). The seed, the applicants
//! in order, and the number of places drawn are recorded, so the draw can
//! be replayed by anyone (`nattplats lottery verify SESSION`).

use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Serialize;

use crate::audit::{self, Audit, Target};
use crate::auth::Scope;
use crate::db::Tx;
use crate::db::lottery::{self as store, ApplicantRow, SessionRow};
use crate::db::partnerships::Partnership;
use crate::db::stays as db_stays;
use crate::db::{self, DbConnection, guests, places};
use crate::domain::{Gender, PlaceCategory};
use crate::error::AppError;
use crate::rules::checkin::Now;
use crate::rules::eligibility::{self, Ban, GuestFacts};
use crate::rules::lottery::{self, Applicant, Outcome};
use crate::rules::stay::Period;
use crate::rules::{Night, Refusal};
use crate::service::Context;
use crate::service::act::{self, Actor, Step, decided, retrying};
use crate::service::beds::{TurnAway, now_for, record_refusal, rules_for};
use crate::service::idempotency::{self, Answer, Claim, Keyed};
use crate::service::stays::{self as stays};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicantView {
    pub position: i32,
    pub guest_id: String,
    /// After the draw: `won`, `lost` or `ineligible`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Why an applicant was not eligible (a refusal code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stay_id: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub id: String,
    #[schema(value_type = String, format = Date)]
    pub first_night: Night,
    pub shelter_ids: Vec<String>,
    /// `open` or `drawn`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub women_places: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regular_places: Option<i32>,
    pub applicants: Vec<ApplicantView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VerifyView {
    pub session_id: String,
    pub seed: String,
    /// Whether replaying the draw from the recorded seed and applicants
    /// gives the recorded outcome for every applicant.
    pub matches: bool,
    /// Applicants whose recorded outcome the replay does not give.
    pub mismatches: Vec<String>,
}

fn shelters_of(row: &SessionRow) -> Vec<String> {
    serde_json::from_str(&row.shelter_ids).unwrap_or_default()
}

fn session_view(row: SessionRow, applicants: Vec<ApplicantRow>) -> SessionView {
    SessionView {
        shelter_ids: shelters_of(&row),
        id: row.id,
        first_night: Night::new(row.first_night),
        status: row.status,
        seed: row.seed,
        women_places: row.women_places,
        regular_places: row.regular_places,
        applicants: applicants
            .into_iter()
            .map(|a| ApplicantView {
                position: a.position,
                guest_id: a.guest_id,
                outcome: a.outcome,
                code: a.code,
                stay_id: a.stay_id,
            })
            .collect(),
    }
}

fn load(conn: &mut DbConnection, id: &str, scope: &Scope) -> Result<SessionRow, AppError> {
    let row = store::session(conn, id)?.ok_or_else(|| AppError::not_found("intake session"))?;
    for s in shelters_of(&row) {
        scope.require(&s)?;
    }
    Ok(row)
}

pub fn open(
    conn: &mut DbConnection,
    p: &Partnership,
    shelter_ids: &[String],
    first_night: Option<Night>,
    scope: &Scope,
    user_id: &str,
    instant: DateTime<Utc>,
) -> Result<SessionView, AppError> {
    for s in shelter_ids {
        scope.require(s)?;
    }
    let now = now_for(p, instant)?;
    let first = first_night.unwrap_or(now.night);
    eligibility::check_horizon(first, now.night, &rules_for(p, first)?)?;
    db::write_tx(conn, |c| {
        for (i, s) in shelter_ids.iter().enumerate() {
            if !places::shelter_exists(c, s)? {
                return Err(AppError::validation(
                    format!("shelter_ids[{i}]"),
                    "no shelter has this id",
                ));
            }
        }
        let row = SessionRow {
            id: db::new_id(),
            first_night: first.date(),
            shelter_ids: serde_json::to_string(shelter_ids)
                .map_err(|e| AppError::Internal(e.into()))?,
            status: "open".to_owned(),
            seed: None,
            women_places: None,
            regular_places: None,
            created_at: instant.naive_utc(),
            created_by: user_id.to_owned(),
            drawn_at: None,
            drawn_by: None,
        };
        store::insert_session(c, &row)?;
        Ok(session_view(row, vec![]))
    })
}

fn closed() -> AppError {
    AppError::Conflict {
        code: "session-closed",
        detail: "The draw of this intake session has been made; open a new session.".into(),
    }
}

pub fn register(
    conn: &mut DbConnection,
    session_id: &str,
    guest_id: &str,
    scope: &Scope,
    instant: DateTime<Utc>,
) -> Result<ApplicantView, AppError> {
    db::write_tx(conn, |c| {
        let session = load(c, session_id, scope)?;
        if session.status != "open" {
            return Err(closed());
        }
        let guest = guests::get(c, guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
        let existing = store::applicants(c, session_id)?;
        if existing.iter().any(|a| a.guest_id == guest.id) {
            return Err(AppError::Conflict {
                code: "already-registered",
                detail: "The guest is already registered for this draw.".into(),
            });
        }
        let position = existing.iter().map(|a| a.position).max().unwrap_or(0) + 1;
        let row = ApplicantRow {
            session_id: session_id.to_owned(),
            position,
            guest_id: guest.id.into(),
            gender: guest.gender,
            eligible: None,
            code: None,
            outcome: None,
            stay_id: None,
            registered_at: instant.naive_utc(),
        };
        store::insert_applicant(c, &row)?;
        Ok(ApplicantView {
            position,
            guest_id: row.guest_id,
            outcome: None,
            code: None,
            stay_id: None,
        })
    })
}

fn applicant(a: &ApplicantRow, eligible: bool) -> Applicant {
    Applicant {
        guest_id: a.guest_id.clone(),
        gender: a.gender.parse().unwrap_or(Gender::Unknown),
        eligible,
    }
}

/// `POST /intake-sessions/{id}/draw` (and the pages' form): closes the
/// session and draws: eligibility is judged now, the free places of the
/// session's shelters are counted, winners get stays and everyone else is
/// recorded as turned away (RULES.md §9), in one transaction with the
/// audit entries and the claim of the request's idempotency key (sent
/// again, the first answer instead of `session-closed`).
pub fn draw(
    ctx: &Context,
    actor: &Actor,
    keyed: &Keyed,
    session_id: &str,
) -> Result<Answer, AppError> {
    let now = ctx.rules_now()?;
    let mut seed_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut seed_bytes);
    let seed = hex::encode(seed_bytes);
    let mut conn = ctx.connection()?;
    retrying(&mut conn, |conn| {
        let mut tx = Tx::begin(conn)?;
        let ticket = match idempotency::claim(&mut tx, keyed)? {
            Claim::Answered(first) => return Ok(first),
            Claim::Ours(ticket) => ticket,
        };
        // A refusal comes before the draw's writes (`decided`).
        let drawn = draw_once(
            &mut tx,
            &ctx.partnership,
            session_id,
            &actor.scope,
            actor.user_id(),
            &seed,
            &now,
        );
        match drawn {
            Ok((view, turned_away)) => {
                for (guest_id, refusal) in &turned_away {
                    let turned_away = TurnAway {
                        guest_id,
                        shelter_id: view.shelter_ids.first().map(String::as_str),
                        kind: "lottery",
                        night: view.first_night,
                    };
                    record_refusal(&mut tx, &turned_away, refusal, actor.user_id(), now.instant)?;
                }
                let read: Vec<Target> = view
                    .applicants
                    .iter()
                    .map(|a| Target::both(&a.guest_id, &view.id))
                    .collect();
                audit::append(&mut tx, &actor.who, "lottery.draw", &read)?;
                let answer = idempotency::answer(200, &view)?;
                ticket.save(&mut tx, &answer)?;
                tx.commit()?;
                Ok(answer)
            }
            Err(Step::Failed(AppError::Refused(refusal))) => {
                let attempted = Target::subject(session_id);
                audit::append(&mut tx, &actor.who, "lottery.draw.refused", &[attempted])?;
                ticket.forget(&mut tx)?;
                tx.commit()?;
                Err(AppError::Refused(refusal).into())
            }
            Err(other) => Err(other),
        }
    })
}

/// [`open`] once per idempotency key (the pages' form): a form sent again
/// opens no second session.
pub fn open_keyed(
    ctx: &Context,
    actor: &Actor,
    keyed: &Keyed,
    shelter_ids: &[String],
    first_night: Option<Night>,
) -> Result<Answer, AppError> {
    let instant = ctx.now();
    act::once(ctx, keyed, 201, |c| {
        open(
            c,
            &ctx.partnership,
            shelter_ids,
            first_night,
            &actor.scope,
            actor.user_id(),
            instant,
        )
    })
}

/// [`register`] once per idempotency key (the pages' form), audited as
/// `POST /intake-sessions/{id}/applicants` is (`audit`, naming the guest).
pub fn register_keyed(
    ctx: &Context,
    audit: &Audit,
    keyed: &Keyed,
    scope: &Scope,
    session_id: &str,
    guest_id: &str,
) -> Result<Answer, AppError> {
    let instant = ctx.now();
    act::audited_once(
        ctx,
        audit,
        keyed,
        201,
        |c| register(c, session_id, guest_id, scope, instant),
        |view: &ApplicantView| vec![Target::guest(&view.guest_id)],
    )
}

/// One attempt of the draw: the session, the judged applicants, the free
/// places, the outcomes written; returns who was turned away and why.
fn draw_once(
    c: &mut DbConnection,
    p: &Partnership,
    session_id: &str,
    scope: &Scope,
    user_id: &str,
    seed: &str,
    now: &Now,
) -> Result<(SessionView, Vec<(String, Refusal)>), Step> {
    let mut turned_away: Vec<(String, Refusal)> = Vec::new();
    let session = load(c, session_id, scope)?;
    if session.status != "open" {
        return Err(closed().into());
    }
    let first = Night::new(session.first_night);
    let rules = &rules_for(p, first)?;
    let shelters = shelters_of(&session);
    db_stays::lock_shelters(c, &shelters)?;
    let applicants = store::applicants(c, session_id)?;
    let mut judged = Vec::with_capacity(applicants.len());
    for a in &applicants {
        let guest = guests::get(c, &a.guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
        let facts = GuestFacts {
            birth_date: guest.birth_date,
            birth_year: guest.birth_year,
            citizenship: guest.citizenship.clone(),
            residence_permit_country: guest.residence_permit_country.clone(),
        };
        let gender: Gender = guest.gender.parse().unwrap_or(Gender::Unknown);
        let category = if gender == Gender::Woman {
            PlaceCategory::Women
        } else {
            PlaceCategory::Regular
        };
        let period = Period::granted(first, category, rules);
        let history = crate::service::beds::latest_for(c, &guest.id, now)?;
        let bans: Vec<Ban> = db::bans::bans_of(c, &guest.id, first.date())?
            .into_iter()
            .map(|b| Ban {
                shelter_id: b.shelter_id,
                first_night: Night::new(b.first_night),
                last_night: Night::new(b.last_night),
            })
            .collect();
        let already_placed = !db_stays::guest_held_nights(
            c,
            &guest.id,
            first.date(),
            period.last_night().date(),
            now,
        )?
        .is_empty();
        // Banned at any shelter of the session counts as banned: the
        // winner's shelter is drawn afterwards.
        let banned_at = shelters
            .iter()
            .find(|s| eligibility::check_bans(&bans, s, first, period.last_night()).is_err())
            .map_or("", String::as_str);
        let decision = eligibility::may_start_stay(
            &eligibility::StayCase {
                guest: &facts,
                latest: history.as_ref(),
                already_placed,
                bans: &bans,
                shelter_id: banned_at,
                period,
                current: now.night,
                category_fits: true,
            },
            rules,
        );
        judged.push(decision);
    }
    let free = |c: &mut DbConnection,
                cat: PlaceCategory|
     -> Result<Vec<db_stays::FreePlaceRow>, AppError> {
        let last = Period::granted(first, cat, rules).last_night();
        let mut out = Vec::new();
        for s in &shelters {
            out.extend(db_stays::free_places(
                c,
                Some(s),
                &[cat.as_str()],
                first.date(),
                last.date(),
                now,
            )?);
        }
        Ok(out)
    };
    let women_free = free(c, PlaceCategory::Women)?;
    let regular_free = free(c, PlaceCategory::Regular)?;
    let people: Vec<Applicant> = applicants
        .iter()
        .zip(&judged)
        .map(|(a, d)| applicant(a, d.is_ok()))
        .collect();
    let outcomes = lottery::draw(seed, &people, women_free.len(), regular_free.len());
    // The rules have answered: only writes from here on.
    decided((|| {
        // Places go to the winners in ticket order.
        let mut order: Vec<usize> = (0..applicants.len()).collect();
        order.sort_by_key(|&i| lottery::ticket(seed, &applicants[i].guest_id));
        let (mut women, mut regular) = (women_free.iter(), regular_free.iter());
        for i in order {
            let a = &applicants[i];
            match (&outcomes[i], &judged[i]) {
                (Outcome::Won(cat), _) => {
                    let place = match cat {
                        PlaceCategory::Women => women.next(),
                        _ => regular.next(),
                    }
                    .ok_or_else(|| {
                        AppError::Internal(anyhow::anyhow!(
                            "the draw gave out more places than were free"
                        ))
                    })?;
                    let period = Period::granted(first, *cat, rules);
                    crate::service::beds::clear_way(
                        c,
                        now,
                        Some(&place.id),
                        Some(&a.guest_id),
                        first,
                        period.last_night(),
                    )?;
                    let stay = stays::insert_stay_on(
                        c,
                        &a.guest_id,
                        place,
                        *cat,
                        &period,
                        rules,
                        user_id,
                        now,
                    )?;
                    store::record_outcome(
                        c,
                        session_id,
                        &a.guest_id,
                        true,
                        None,
                        "won",
                        Some(&stay.id),
                    )?;
                }
                (_, Err(refusal)) => {
                    store::record_outcome(
                        c,
                        session_id,
                        &a.guest_id,
                        false,
                        Some(refusal.code()),
                        "ineligible",
                        None,
                    )?;
                    turned_away.push((a.guest_id.clone(), refusal.clone()));
                }
                (_, Ok(())) => {
                    store::record_outcome(c, session_id, &a.guest_id, true, None, "lost", None)?;
                    turned_away.push((a.guest_id.clone(), Refusal::LostDraw));
                }
            }
        }
        let count = |n: usize| i32::try_from(n).map_err(|e| AppError::Internal(e.into()));
        store::mark_drawn(
            c,
            session_id,
            seed,
            count(women_free.len())?,
            count(regular_free.len())?,
            user_id,
            now.instant.naive_utc(),
        )?;
        let session =
            store::session(c, session_id)?.ok_or_else(|| AppError::not_found("intake session"))?;
        Ok((
            session_view(session, store::applicants(c, session_id)?),
            turned_away,
        ))
    })())
}

pub fn get(
    conn: &mut DbConnection,
    session_id: &str,
    scope: &Scope,
) -> Result<SessionView, AppError> {
    db::read_tx(conn, |c| {
        let session = load(c, session_id, scope)?;
        let applicants = store::applicants(c, session_id)?;
        Ok(session_view(session, applicants))
    })
}

/// One applicant of a drawn session as the verification shows it: what
/// a person needs to check the draw by hand.
#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub position: i32,
    pub guest_id: String,
    /// Recorded as a woman at registration (women's places are drawn
    /// among women first).
    pub woman: bool,
    /// Judged eligible at the draw; only the eligible take part.
    pub eligible: bool,
    /// Why not, when not (a refusal code).
    pub code: Option<String>,
    /// SHA-256 of `SEED:GUEST_ID`, in hex (`rules::lottery::ticket`).
    pub ticket: String,
    /// The recorded outcome: `won`, `lost` or `ineligible`.
    pub outcome: String,
    /// The place the replay gives the applicant: `women`, `regular`, or
    /// none.
    pub replayed: Option<PlaceCategory>,
    /// Whether the replay gives the recorded outcome.
    pub matches: bool,
}

/// A drawn session's record, replayed: the seed, the places drawn, every
/// applicant's ticket (eligible ones in ticket order, lowest first, then
/// the others in the order they registered) and the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct DrawRecord {
    pub session_id: String,
    pub first_night: Night,
    pub seed: String,
    pub women_places: i32,
    pub regular_places: i32,
    pub tickets: Vec<TicketView>,
}

impl DrawRecord {
    /// The verdict `GET /intake-sessions/{id}/verify` answers.
    pub fn verdict(&self) -> VerifyView {
        let mut wrong: Vec<&TicketView> = self.tickets.iter().filter(|t| !t.matches).collect();
        wrong.sort_by_key(|t| t.position);
        let mismatches: Vec<String> = wrong.into_iter().map(|t| t.guest_id.clone()).collect();
        VerifyView {
            session_id: self.session_id.clone(),
            seed: self.seed.clone(),
            matches: mismatches.is_empty(),
            mismatches,
        }
    }
}

/// Replays a draw from what was recorded and compares every outcome.
pub fn verify(conn: &mut DbConnection, session_id: &str) -> Result<VerifyView, AppError> {
    Ok(record(conn, session_id)?.verdict())
}

/// The record of a drawn session, replayed by the rules (`lottery::draw`
/// with the recorded seed, applicants and places): what [`verify`]
/// judges, in full.
pub fn record(conn: &mut DbConnection, session_id: &str) -> Result<DrawRecord, AppError> {
    db::read_tx(conn, |c| {
        let session =
            store::session(c, session_id)?.ok_or_else(|| AppError::not_found("intake session"))?;
        let (Some(seed), Some(women), Some(regular)) = (
            session.seed.clone(),
            session.women_places,
            session.regular_places,
        ) else {
            return Err(AppError::Conflict {
                code: "not-drawn",
                detail: "This intake session has not been drawn yet.".into(),
            });
        };
        let applicants = store::applicants(c, session_id)?;
        let people: Vec<Applicant> = applicants
            .iter()
            .map(|a| applicant(a, a.eligible.unwrap_or(false)))
            .collect();
        let replay = lottery::draw(
            &seed,
            &people,
            usize::try_from(women).unwrap_or(0),
            usize::try_from(regular).unwrap_or(0),
        );
        let mut tickets: Vec<TicketView> = applicants
            .iter()
            .zip(&people)
            .zip(replay)
            .map(|((a, person), o)| {
                let (expected, replayed) = match o {
                    Outcome::Won(cat) => ("won", Some(cat)),
                    Outcome::Lost => ("lost", None),
                    Outcome::Ineligible => ("ineligible", None),
                };
                TicketView {
                    position: a.position,
                    guest_id: a.guest_id.clone(),
                    woman: person.gender == Gender::Woman,
                    eligible: person.eligible,
                    code: a.code.clone(),
                    ticket: lottery::ticket(&seed, &a.guest_id),
                    outcome: a.outcome.clone().unwrap_or_default(),
                    replayed,
                    matches: a.outcome.as_deref() == Some(expected),
                }
            })
            .collect();
        tickets.sort_by(|a, b| {
            b.eligible.cmp(&a.eligible).then_with(|| match a.eligible {
                true => a.ticket.cmp(&b.ticket),
                false => a.position.cmp(&b.position),
            })
        });
        Ok(DrawRecord {
            session_id: session.id,
            first_night: Night::new(session.first_night),
            seed,
            women_places: women,
            regular_places: regular,
            tickets,
        })
    })
}

/// An intake session as a list shows it.
#[derive(Debug, Clone, Serialize)]
pub struct SessionSummary {
    pub id: String,
    pub first_night: Night,
    pub shelter_ids: Vec<String>,
    pub status: String,
    pub applicants: usize,
}

/// The intake sessions whose first night is `from` or later, at shelters
/// all in the caller's scope, the latest first (the pages' list; no
/// personal data).
pub fn list(
    conn: &mut DbConnection,
    scope: &Scope,
    from: Night,
) -> Result<Vec<SessionSummary>, AppError> {
    db::read_tx(conn, |c| {
        let mut out = Vec::new();
        for row in store::sessions_from(c, from.date())? {
            let shelter_ids = shelters_of(&row);
            if !shelter_ids.iter().all(|s| scope.allows(s)) {
                continue;
            }
            let applicants = store::applicants(c, &row.id)?.len();
            out.push(SessionSummary {
                id: row.id,
                first_night: Night::new(row.first_night),
                shelter_ids,
                status: row.status,
                applicants,
            });
        }
        Ok(out)
    })
}
