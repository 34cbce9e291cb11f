//! What the reports read: the summaries of migration 000009 as they stand
//! (folded, with what is still in the log added: `db::summaries`), and the
//! small tables as they are.
//!
//! Nothing here reads `bookings` row by row over a whole period except the
//! bed-night export and the edges of a period that is not made of whole
//! months: a half-year on the large system is thousands of summary rows.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use super::DbConnection;
use super::schema::{
    bookings, cold_night_openings, cold_nights, complaints, incidents, organizations,
    place_outages, places, referrals, shelters, stays, survey_responses, turnaways,
};

/// A shelter and its organisation.
#[derive(Debug, Clone, Queryable)]
pub struct ShelterOrg {
    pub shelter_id: String,
    pub shelter_name: String,
    pub organization_id: String,
    pub organization_name: String,
}

pub fn shelters(conn: &mut DbConnection) -> QueryResult<Vec<ShelterOrg>> {
    shelters::table
        .inner_join(organizations::table)
        .order((organizations::name.asc(), shelters::name.asc()))
        .select((
            shelters::id,
            shelters::name,
            organizations::id,
            organizations::name,
        ))
        .load(conn)
}

/// Places per shelter and category (every place there is; out of service
/// and overflow are dealt with per night).
pub fn places_per_shelter(conn: &mut DbConnection) -> QueryResult<Vec<(String, String, i64)>> {
    places::table
        .group_by((places::shelter_id, places::category))
        .select((places::shelter_id, places::category, count_star()))
        .load(conn)
}

/// Places out of service at some night of the range: shelter, category,
/// first and last night.
pub fn outages(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(String, String, NaiveDate, NaiveDate)>> {
    place_outages::table
        .inner_join(places::table)
        .filter(place_outages::first_night.le(to))
        .filter(place_outages::last_night.ge(from))
        .select((
            places::shelter_id,
            places::category,
            place_outages::first_night,
            place_outages::last_night,
        ))
        .load(conn)
}

/// Cold nights of the range.
pub fn cold_nights(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<NaiveDate>> {
    cold_nights::table
        .filter(cold_nights::night.between(from, to))
        .select(cold_nights::night)
        .load(conn)
}

/// Overflow places opened: night, shelter, places.
pub fn openings(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, String, i32)>> {
    cold_night_openings::table
        .filter(cold_night_openings::night.between(from, to))
        .select((
            cold_night_openings::night,
            cold_night_openings::shelter_id,
            cold_night_openings::places,
        ))
        .load(conn)
}

/// Bookings of a night, shelter, category and kind, as summed.
pub use super::summaries::Counts;

/// Night, shelter (or "" for all), category, kind and the counts.
pub type NightCount = (NaiveDate, String, String, String, Counts);

/// Shelter, kind, category, status and how many.
pub type ComplaintCount = (String, String, String, String, i64);

/// The summary per night, shelter, category and kind (one shelter, or
/// all), folded or still in the log (`db::summaries`).
pub fn night_counts(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    shelter: Option<&str>,
) -> QueryResult<Vec<NightCount>> {
    Ok(super::summaries::nights(conn, from, to, shelter)?
        .into_iter()
        .map(|((n, s, c, k), counts)| (n, s, c, k, counts))
        .collect())
}

/// The summary per night, category and kind, over all shelters (summed
/// by SQL, not shelter by shelter here).
pub fn night_totals(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, String, String, Counts)>> {
    Ok(super::summaries::night_totals(conn, from, to)?
        .into_iter()
        .map(|((n, c, k), counts)| (n, c, k, counts))
        .collect())
}

/// A night of a stay neither checked in nor released: a no-show once the
/// night is over.
#[derive(Debug, Clone)]
pub struct Unclaimed {
    pub stay_id: String,
    pub night: NaiveDate,
    pub shelter_id: String,
    pub category: String,
    pub no_show_limit: i32,
    pub status: String,
    pub first_night: NaiveDate,
    /// The stay's shelter (of its remaining nights).
    pub stay_shelter_id: String,
}

pub fn unclaimed(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<Unclaimed>> {
    // The nights first, through the partial index `bookings_unclaimed`
    // (written as it is, without bound values, so both planners see that
    // it applies); then their stays and places by key. One join would let
    // PostgreSQL misjudge the few nights and hash every stay.
    let nights: Vec<(Option<String>, NaiveDate, String, String)> = bookings::table
        .filter(bookings::night.between(from, to))
        .filter(bookings::checked_in_at.is_null())
        .filter(diesel::dsl::not(bookings::released))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "bookings.kind = 'stay'",
        ))
        .select((
            bookings::stay_id,
            bookings::night,
            bookings::shelter_id,
            bookings::place_id,
        ))
        .load(conn)?;
    let mut stay_ids: Vec<String> = nights.iter().filter_map(|n| n.0.clone()).collect();
    stay_ids.sort();
    stay_ids.dedup();
    let mut place_ids: Vec<String> = nights.iter().map(|n| n.3.clone()).collect();
    place_ids.sort();
    place_ids.dedup();
    let mut stay_rows = std::collections::HashMap::new();
    for chunk in stay_ids.chunks(500) {
        let rows: Vec<(String, i32, String, NaiveDate, String)> = stays::table
            .filter(stays::id.eq_any(chunk))
            .filter(stays::status.ne("voided"))
            .select((
                stays::id,
                stays::no_show_limit,
                stays::status,
                stays::first_night,
                stays::shelter_id,
            ))
            .load(conn)?;
        for r in rows {
            stay_rows.insert(r.0.clone(), r);
        }
    }
    let mut categories = std::collections::HashMap::new();
    for chunk in place_ids.chunks(500) {
        let rows: Vec<(String, String)> = places::table
            .filter(places::id.eq_any(chunk))
            .select((places::id, places::category))
            .load(conn)?;
        categories.extend(rows);
    }
    let mut out: Vec<Unclaimed> = nights
        .into_iter()
        .filter_map(|(stay, night, shelter_id, place)| {
            let s = stay_rows.get(stay.as_deref()?)?;
            Some(Unclaimed {
                stay_id: s.0.clone(),
                night,
                shelter_id,
                category: categories.get(&place).cloned().unwrap_or_default(),
                no_show_limit: s.1,
                status: s.2.clone(),
                first_night: s.3,
                stay_shelter_id: s.4.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.stay_id, a.night).cmp(&(&b.stay_id, b.night)));
    Ok(out)
}

/// Stays begun in the range per shelter and outcome (`begun`,
/// `ended_early`, `no_shows`), folded or still in the log.
pub fn stay_outcomes(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(String, String, i64)>> {
    Ok(super::summaries::stays(conn, from, to)?
        .into_iter()
        .map(|((s, o), n)| (s, o, n))
        .collect())
}

/// Turn-aways of the range per shelter (none: no shelter named) and reason.
pub fn turnaways(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(Option<String>, String, i64)>> {
    turnaways::table
        .filter(turnaways::night.between(from, to))
        .group_by((turnaways::shelter_id, turnaways::reason))
        .select((turnaways::shelter_id, turnaways::reason, count_star()))
        .load(conn)
}

/// Turn-aways per night, for the chart.
pub fn turnaways_per_night(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(NaiveDate, i64)>> {
    turnaways::table
        .filter(turnaways::night.between(from, to))
        .group_by(turnaways::night)
        .select((turnaways::night, count_star()))
        .load(conn)
}

/// Referrals opened in `[from, to)` per reason and status.
pub fn referrals(
    conn: &mut DbConnection,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> QueryResult<Vec<(String, String, i64)>> {
    referrals::table
        .filter(referrals::created_at.ge(from))
        .filter(referrals::created_at.lt(to))
        .group_by((referrals::reason, referrals::status))
        .select((referrals::reason, referrals::status, count_star()))
        .load(conn)
}

/// Incidents of the range per shelter and kind.
pub fn incidents(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<(String, String, i64)>> {
    incidents::table
        .filter(incidents::night.between(from, to))
        .group_by((incidents::shelter_id, incidents::kind))
        .select((incidents::shelter_id, incidents::kind, count_star()))
        .load(conn)
}

/// Complaints and feedback of the range per shelter, kind, category and
/// status.
pub fn complaint_counts(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<ComplaintCount>> {
    complaints::table
        .filter(complaints::night.between(from, to))
        .group_by((
            complaints::shelter_id,
            complaints::kind,
            complaints::category,
            complaints::status,
        ))
        .select((
            complaints::shelter_id,
            complaints::kind,
            complaints::category,
            complaints::status,
            count_star(),
        ))
        .load(conn)
}

/// Survey answers of the range: shelter and the five answers.
pub type SurveyAnswers = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i32>,
);

pub fn survey_answers(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<SurveyAnswers>> {
    survey_responses::table
        .filter(survey_responses::night.between(from, to))
        .select((
            survey_responses::shelter_id,
            survey_responses::safe,
            survey_responses::respected,
            survey_responses::clean,
            survey_responses::informed,
            survey_responses::overall,
        ))
        .load(conn)
}

// ------------------------------------------------------ unique guests

/// Guests with a bed night in the period, grouped by organisation ('' is
/// all organisations together), gender, citizenship and date of birth
/// (31 December of the year when only the year is known).
#[derive(Debug, Clone, QueryableByName)]
pub struct GuestGroup {
    #[diesel(sql_type = Text)]
    pub organization_id: String,
    #[diesel(sql_type = Text)]
    pub gender: String,
    #[diesel(sql_type = Text)]
    pub citizenship: String,
    #[diesel(sql_type = Date)]
    pub born: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub guests: i64,
    #[diesel(sql_type = BigInt)]
    pub bed_nights: i64,
}

/// One piece of a period: a summary span, or a range of nights read from
/// the bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    Year(NaiveDate),
    Half(NaiveDate),
    Month(NaiveDate),
    Nights(NaiveDate, NaiveDate),
}

/// The first night of the half of the partnership year (1 May to 31
/// October, 1 November to 30 April) that holds `d`.
pub fn half_of(d: NaiveDate) -> NaiveDate {
    let (y, m) = match d.month() {
        5..=10 => (d.year(), 5),
        11..=12 => (d.year(), 11),
        _ => (d.year() - 1, 11),
    };
    NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(d)
}

fn add_months(d: NaiveDate, n: u32) -> Option<NaiveDate> {
    d.checked_add_months(chrono::Months::new(n))
}

/// Splits `[from, to]` into whole partnership years, halves, months, then
/// nights, largest first, so the summaries answer as much as they can.
pub fn pieces(from: NaiveDate, to: NaiveDate) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut at = from;
    while at <= to {
        let day_after = |d: NaiveDate| d.succ_opt().unwrap_or(d);
        if at.month() == 5
            && at.day() == 1
            && let Some(end) = add_months(at, 12)
            && end.pred_opt().is_some_and(|l| l <= to)
        {
            out.push(Piece::Year(at));
            at = end;
            continue;
        }
        if half_of(at) == at
            && let Some(end) = add_months(at, 6)
            && end.pred_opt().is_some_and(|l| l <= to)
        {
            out.push(Piece::Half(at));
            at = end;
            continue;
        }
        if at.day() == 1
            && let Some(end) = add_months(at, 1)
            && end.pred_opt().is_some_and(|l| l <= to)
        {
            out.push(Piece::Month(at));
            at = end;
            continue;
        }
        // Nights up to the next first of a month or the end.
        let next_month = add_months(at.with_day(1).unwrap_or(at), 1).unwrap_or(to);
        let last = next_month.pred_opt().unwrap_or(to).min(to);
        out.push(Piece::Nights(at, last));
        if last >= to {
            break;
        }
        at = day_after(last);
    }
    // Neighbouring night ranges are one range.
    let mut merged: Vec<Piece> = Vec::new();
    for p in out {
        if let (Some(Piece::Nights(a, b)), Piece::Nights(c, d)) = (merged.last().copied(), p)
            && b.succ_opt() == Some(c)
        {
            if let Some(last) = merged.last_mut() {
                *last = Piece::Nights(a, d);
            }
            continue;
        }
        merged.push(p);
    }
    merged
}

/// The summary span a piece is (`None`: nights read from the bookings).
fn span_name(p: &Piece) -> Option<&'static str> {
    match p {
        Piece::Year(_) => Some("year"),
        Piece::Half(_) => Some("half"),
        Piece::Month(_) => Some("month"),
        Piece::Nights(..) => None,
    }
}

/// The first and last night of a summary span.
fn span_nights(p: &Piece) -> Option<(NaiveDate, NaiveDate)> {
    let (starts, months) = match p {
        Piece::Year(d) => (*d, 12),
        Piece::Half(d) => (*d, 6),
        Piece::Month(d) => (*d, 1),
        Piece::Nights(..) => return None,
    };
    Some((starts, add_months(starts, months)?.pred_opt()?))
}

/// The dates of a query written as text, each a bound parameter: `?` on
/// SQLite, `$n` on PostgreSQL. A date never goes into SQL as text (a year
/// 0 or before written out was an error of PostgreSQL's, a 500).
struct Params {
    sqlite: bool,
    dates: Vec<NaiveDate>,
}

impl Params {
    fn date(&mut self, d: NaiveDate) -> String {
        self.dates.push(d);
        if self.sqlite {
            "?".to_owned()
        } else {
            format!("${}", self.dates.len())
        }
    }
}

/// Unique guests and bed nights of the period per organisation and
/// demographic group.
pub fn guest_groups(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<GuestGroup>> {
    let pieces = pieces(from, to);
    let sqlite = matches!(conn, DbConnection::Sqlite(_));
    let mut params = Params {
        sqlite,
        dates: Vec::new(),
    };
    // The spans' nights not folded yet are read from the log.
    let mut behind = false;
    for p in &pieces {
        if let Some((a, b)) = span_nights(p) {
            behind |= super::summaries::spans_behind(conn, a, b)?;
        }
    }
    let sql = if let [one] = pieces.as_slice()
        && !behind
        && let Some(span) = span_name(one)
    {
        // One summary span, all folded: each row is one guest at one
        // organisation.
        let starts = match one {
            Piece::Year(d) | Piece::Half(d) | Piece::Month(d) | Piece::Nights(d, _) => *d,
        };
        format!(
            "SELECT organization_id, gender, citizenship, born, CAST(COUNT(*) AS BIGINT) AS guests, \
             CAST(SUM(bed_nights) AS BIGINT) AS bed_nights FROM report_guest_spans \
             WHERE span = '{span}' AND starts = {} AND bed_nights > 0 \
             GROUP BY organization_id, gender, citizenship, born",
            params.date(starts)
        )
    } else {
        // Several pieces: one row per guest and organisation first.
        let born = if sqlite {
            "COALESCE(g.birth_date, printf('%04d-12-31', g.birth_year))"
        } else {
            "COALESCE(g.birth_date, make_date(g.birth_year, 12, 31))"
        };
        let mut parts = Vec::new();
        for p in &pieces {
            match (p, span_name(p), span_nights(p)) {
                (Piece::Year(d) | Piece::Half(d) | Piece::Month(d), Some(span), Some((a, b))) => {
                    parts.push(format!(
                        "SELECT organization_id AS org, guest_id, gender, citizenship, born, bed_nights AS n \
                         FROM report_guest_spans WHERE span = '{span}' AND starts = {} AND bed_nights <> 0",
                        params.date(*d)
                    ));
                    if behind {
                        parts.push(super::summaries::logged_spans_sql(born, || {
                            (params.date(a), params.date(b))
                        }));
                    }
                }
                (Piece::Nights(a, b), ..) => {
                    for everyone in [false, true] {
                        let org = if everyone { "''" } else { "s.organization_id" };
                        let (a, b) = (params.date(*a), params.date(*b));
                        parts.push(format!(
                            "SELECT {org} AS org, b.guest_id, g.gender, g.citizenship, {born} AS born, 1 AS n \
                             FROM bookings b JOIN shelters s ON s.id = b.shelter_id JOIN guests g ON g.id = b.guest_id \
                             WHERE b.night BETWEEN {a} AND {b} AND NOT b.released \
                             AND (b.kind <> 'stay' OR b.checked_in_at IS NOT NULL)"
                        ));
                    }
                }
                _ => {}
            }
        }
        format!(
            "SELECT org AS organization_id, gender, citizenship, born, COUNT(*) AS guests, \
             CAST(SUM(n) AS BIGINT) AS bed_nights FROM (\
               SELECT org, guest_id, MIN(gender) AS gender, MIN(citizenship) AS citizenship, \
                      MIN(born) AS born, CAST(SUM(n) AS BIGINT) AS n FROM ({}) u GROUP BY org, guest_id \
               HAVING SUM(n) > 0\
             ) per_guest GROUP BY org, gender, citizenship, born",
            parts.join(" UNION ALL ")
        )
    };
    match conn {
        DbConnection::Sqlite(c) => {
            let mut query = diesel::sql_query(sql).into_boxed::<diesel::sqlite::Sqlite>();
            for d in params.dates {
                query = query.bind::<Date, _>(d);
            }
            query.load(c)
        }
        DbConnection::Postgres(c) => {
            // Counting a million guests once each is a hash of a million
            // keys: let it stay in memory for this transaction.
            diesel::sql_query("SET LOCAL work_mem = '256MB'").execute(c)?;
            let mut query = diesel::sql_query(sql).into_boxed::<diesel::pg::Pg>();
            for d in params.dates {
                query = query.bind::<Date, _>(d);
            }
            query.load(c)
        }
    }
}

// ------------------------------------------------------ bed-night export

/// One bed night for the export.
#[derive(Debug, Clone, Queryable)]
pub struct BedNight {
    pub guest_id: String,
    pub night: NaiveDate,
    pub shelter_id: String,
    pub category: String,
    pub kind: String,
}

/// The bed nights of one night (checked in, or a placement), in a stable
/// order.
pub fn bed_nights_of(conn: &mut DbConnection, night: NaiveDate) -> QueryResult<Vec<BedNight>> {
    bookings::table
        .inner_join(places::table)
        .filter(bookings::night.eq(night))
        .filter(bookings::released.eq(false))
        .filter(
            bookings::kind
                .ne("stay")
                .or(bookings::checked_in_at.is_not_null()),
        )
        .order((bookings::shelter_id.asc(), bookings::guest_id.asc()))
        .select((
            bookings::guest_id,
            bookings::night,
            bookings::shelter_id,
            places::category,
            bookings::kind,
        ))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn halves_of_the_partnership_year() {
        assert_eq!(half_of(d("2019-05-01")), d("2019-05-01"));
        assert_eq!(half_of(d("2019-10-31")), d("2019-05-01"));
        assert_eq!(half_of(d("2019-11-01")), d("2019-11-01"));
        assert_eq!(half_of(d("2020-04-30")), d("2019-11-01"));
        assert_eq!(half_of(d("2020-01-15")), d("2019-11-01"));
    }

    #[test]
    fn periods_split_into_halves_months_and_nights() {
        assert_eq!(
            pieces(d("2019-11-01"), d("2020-04-30")),
            vec![Piece::Half(d("2019-11-01"))]
        );
        assert_eq!(
            pieces(d("2019-05-01"), d("2020-04-30")),
            vec![Piece::Year(d("2019-05-01"))]
        );
        assert_eq!(
            pieces(d("2019-05-01"), d("2020-05-31")),
            vec![Piece::Year(d("2019-05-01")), Piece::Month(d("2020-05-01"))]
        );
        assert_eq!(
            pieces(d("2019-11-01"), d("2020-10-31")),
            vec![Piece::Half(d("2019-11-01")), Piece::Half(d("2020-05-01"))]
        );
        assert_eq!(
            pieces(d("2019-12-01"), d("2019-12-31")),
            vec![Piece::Month(d("2019-12-01"))]
        );
        assert_eq!(
            pieces(d("2019-11-20"), d("2020-01-10")),
            vec![
                Piece::Nights(d("2019-11-20"), d("2019-11-30")),
                Piece::Month(d("2019-12-01")),
                Piece::Nights(d("2020-01-01"), d("2020-01-10")),
            ]
        );
        assert_eq!(
            pieces(d("2019-12-03"), d("2020-01-05")),
            vec![Piece::Nights(d("2019-12-03"), d("2020-01-05"))]
        );
        assert_eq!(
            pieces(d("2019-12-03"), d("2019-12-03")),
            vec![Piece::Nights(d("2019-12-03"), d("2019-12-03"))]
        );
    }
}
