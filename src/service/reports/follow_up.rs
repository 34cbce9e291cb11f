//! The follow-up report for a period (issue 7, item 2).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::no_shows::{LazyEnds, lazy_ends};
use super::occupancy::{
    Occupancy, Places, night_use, released_by_rule, totals_per_night, unclaimed,
};
use super::periods::{Period, age_on, nights_of};
use super::table::{Builder, Draft, Table, empty_table};
use super::vocabulary::{
    AGE_BANDS, GENDERS, INCIDENT_KINDS, REFERRAL_STATUSES, STAY_OUTCOMES, TURNAWAY_REASONS, strings,
};
use crate::db::reports::{self as q, GuestGroup, ShelterOrg};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::rules::Calendar;
use crate::service::feedback::{
    COMPLAINT_CATEGORIES, COMPLAINT_KINDS, COMPLAINT_STATUSES, QUESTIONNAIRE, QUESTIONS, Question,
};
use crate::service::followup::REFERRAL_REASONS;
use crate::service::suppression::{Engine, Figure};

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
        let (organisations, org_of) = organisations(c)?;
        let org = |shelter: &str| org_of.get(shelter).cloned().unwrap_or_default();
        let (occupancy, ends) = occupancy(c, from, to, last_over)?;

        let mut b = Builder {
            engine: Engine::new(),
            below: i64::from(below),
            orgs: organisations
                .iter()
                .map(|o| (o.id.clone(), o.name.clone()))
                .collect(),
        };

        // Every table's figures go into one engine, in this order, before
        // small counts are suppressed over all of them.
        let (guest_drafts, night_drafts) = guest_drafts(&mut b, c, from, to)?;
        let stays_draft = stay_draft(&mut b, c, from, to, &org, &ends)?;
        let turn_draft = turnaway_draft(&mut b, c, from, to, &org)?;
        let (ref_reason_draft, ref_status_draft) = referral_drafts(&mut b, c, calendar, from, to)?;
        let inc_draft = incident_draft(&mut b, c, from, to, &org)?;
        let (comp_cat, comp_kind, comp_status) = complaint_drafts(&mut b, c, from, to, &org)?;
        let (responses, questions) = survey_figures(&mut b, c, from, to)?;

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

/// The organisations with their shelters, and each shelter's organisation.
fn organisations(
    c: &mut DbConnection,
) -> Result<(Vec<Organisation>, HashMap<String, String>), AppError> {
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
    Ok((organisations, org_of))
}

/// Use of the places per night over all shelters, and the stays the
/// no-show rule has ended that nobody has read.
fn occupancy(
    c: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    last_over: NaiveDate,
) -> Result<(Occupancy, LazyEnds), AppError> {
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
    Ok((occupancy, ends))
}

/// Guests and bed nights by gender, age band and citizenship.
fn guest_drafts(
    b: &mut Builder,
    c: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<Draft>, Vec<Draft>), AppError> {
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
    Ok((guest_drafts, night_drafts))
}

/// Stays begun in the period by outcome.
fn stay_draft(
    b: &mut Builder,
    c: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    org: &dyn Fn(&str) -> String,
    ends: &LazyEnds,
) -> Result<Draft, AppError> {
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
    Ok(stays_draft)
}

/// Turn-aways by reason code.
fn turnaway_draft(
    b: &mut Builder,
    c: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    org: &dyn Fn(&str) -> String,
) -> Result<Draft, AppError> {
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
    Ok(turn_draft)
}

/// Referrals opened in the period, by reason and by status.
fn referral_drafts(
    b: &mut Builder,
    c: &mut DbConnection,
    calendar: &Calendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Draft, Draft), AppError> {
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
    Ok((ref_reason_draft, ref_status_draft))
}

/// Incidents by kind.
fn incident_draft(
    b: &mut Builder,
    c: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    org: &dyn Fn(&str) -> String,
) -> Result<Draft, AppError> {
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
    Ok(inc_draft)
}

/// Complaints and feedback by category, kind and status.
fn complaint_drafts(
    b: &mut Builder,
    c: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    org: &dyn Fn(&str) -> String,
) -> Result<(Draft, Draft, Draft), AppError> {
    // Complaints and feedback.
    let comp = q::complaint_counts(c, from, to)?;
    let by = |f: &dyn Fn(&q::ComplaintCount) -> String| {
        count_map(comp.iter().map(|r| ((org(&r.0), f(r)), r.4)))
    };
    let cat = by(&|r| r.2.clone());
    let kind = by(&|r| r.1.clone());
    let status = by(&|r| r.3.clone());
    let mut categories = strings(&COMPLAINT_CATEGORIES);
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
        &strings(&COMPLAINT_KINDS),
        &[],
        &|o, v| get(&kind, o, v),
        None,
        true,
        true,
        Some(&comp_totals),
    );
    let comp_status = b.table(
        &strings(&COMPLAINT_STATUSES),
        &[],
        &|o, v| get(&status, o, v),
        None,
        true,
        true,
        Some(&comp_totals),
    );
    Ok((comp_cat, comp_kind, comp_status))
}

/// The survey's responses, and per question each answer's count and how
/// many answered (figure ids).
type SurveyFigures = (usize, Vec<(&'static Question, Vec<usize>, usize)>);

fn survey_figures(
    b: &mut Builder,
    c: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SurveyFigures, AppError> {
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
    Ok((responses, questions))
}

/// Turn-aways per night over the period, for the chart.
pub fn turnaways_per_night(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(NaiveDate, i64)>, AppError> {
    Ok(q::turnaways_per_night(conn, from, to)?)
}
