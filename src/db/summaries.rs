//! The kept summaries and the log they are folded from (issue 18,
//! migration 000020).
//!
//! `held_counts` (the screens' counts), `report_nights`,
//! `report_guest_spans` and `report_stays` (the reports') are not written
//! by the acts. A write to bookings or stays appends its signed shares to
//! `booking_changes` / `stay_changes` (triggers: a statement trigger per
//! statement on PostgreSQL, a row trigger on SQLite), and [`fold`] adds
//! the log into the summaries and deletes it, in one transaction, on the
//! [`Folder`]'s thread. So no act waits for another's summary rows, and
//! none updates nine rows where it appends one.
//!
//! Invariant: a summary is its table plus what is still in the log. Every
//! reader here adds the two in one snapshot (the caller's transaction),
//! so a summary is never behind, however long ago the last fold was.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::NaiveDate;
use diesel::dsl::sum;
use diesel::prelude::*;

use super::schema::{booking_changes, held_counts, report_nights, report_stays, stay_changes};
use super::{DbConnection, DbPool};

/// Held bookings of a (night, shelter, category): all, and those of stays
/// not checked in (the ones a no-show can release).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Held {
    pub held: i64,
    pub unconfirmed: i64,
}

/// Night, shelter, category.
pub type HeldKey = (NaiveDate, String, String);

/// Bookings of a (night, shelter, category, kind): how many, how many used
/// (checked in, or a placement), how many released.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub booked: i64,
    pub occupied: i64,
    pub released: i64,
}

impl Counts {
    /// Adds one row's sums (`None`: SQL summed no row).
    fn add(&mut self, booked: Option<i64>, occupied: Option<i64>, released: Option<i64>) {
        self.booked += total(booked);
        self.occupied += total(occupied);
        self.released += total(released);
    }
}

/// Night, shelter, category, kind.
pub type NightKey = (NaiveDate, String, String, String);

fn total(n: Option<i64>) -> i64 {
    n.unwrap_or(0)
}

/// `held_counts` as it stands: on `night` (or every night), at `shelter`
/// (or every shelter).
pub fn held(
    conn: &mut DbConnection,
    night: Option<NaiveDate>,
    shelter: Option<&str>,
) -> QueryResult<BTreeMap<HeldKey, Held>> {
    let mut kept = held_counts::table
        .select((
            held_counts::night,
            held_counts::shelter_id,
            held_counts::category,
            held_counts::held,
            held_counts::unconfirmed,
        ))
        .into_boxed();
    let mut logged = booking_changes::table
        .group_by((
            booking_changes::night,
            booking_changes::shelter_id,
            booking_changes::category,
        ))
        .select((
            booking_changes::night,
            booking_changes::shelter_id,
            booking_changes::category,
            sum(booking_changes::held),
            sum(booking_changes::unconfirmed),
        ))
        .into_boxed();
    if let Some(n) = night {
        kept = kept.filter(held_counts::night.eq(n));
        logged = logged.filter(booking_changes::night.eq(n));
    }
    if let Some(s) = shelter {
        kept = kept.filter(held_counts::shelter_id.eq(s.to_owned()));
        logged = logged.filter(booking_changes::shelter_id.eq(s.to_owned()));
    }
    let mut out: BTreeMap<HeldKey, Held> = BTreeMap::new();
    for (n, s, c, h, u) in kept.load::<(NaiveDate, String, String, i32, i32)>(conn)? {
        let e = out.entry((n, s, c)).or_default();
        e.held += i64::from(h);
        e.unconfirmed += i64::from(u);
    }
    type Logged = (NaiveDate, String, String, Option<i64>, Option<i64>);
    for (n, s, c, h, u) in logged.load::<Logged>(conn)? {
        let e = out.entry((n, s, c)).or_default();
        e.held += total(h);
        e.unconfirmed += total(u);
    }
    Ok(out)
}

/// `report_nights` as it stands, for the nights `from..=to`, at `shelter`
/// (or every shelter).
pub fn nights(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
    shelter: Option<&str>,
) -> QueryResult<BTreeMap<NightKey, Counts>> {
    let mut kept = report_nights::table
        .filter(report_nights::night.between(from, to))
        .select((
            report_nights::night,
            report_nights::shelter_id,
            report_nights::category,
            report_nights::kind,
            report_nights::booked,
            report_nights::occupied,
            report_nights::released,
        ))
        .into_boxed();
    let mut logged = booking_changes::table
        .filter(booking_changes::night.between(from, to))
        .group_by((
            booking_changes::night,
            booking_changes::shelter_id,
            booking_changes::category,
            booking_changes::kind,
        ))
        .select((
            booking_changes::night,
            booking_changes::shelter_id,
            booking_changes::category,
            booking_changes::kind,
            sum(booking_changes::booked),
            sum(booking_changes::occupied),
            sum(booking_changes::released),
        ))
        .into_boxed();
    if let Some(s) = shelter {
        kept = kept.filter(report_nights::shelter_id.eq(s.to_owned()));
        logged = logged.filter(booking_changes::shelter_id.eq(s.to_owned()));
    }
    let mut out: BTreeMap<NightKey, Counts> = BTreeMap::new();
    type Kept = (NaiveDate, String, String, String, i32, i32, i32);
    for (n, s, c, k, b, o, r) in kept.load::<Kept>(conn)? {
        out.entry((n, s, c, k))
            .or_default()
            .add(Some(b.into()), Some(o.into()), Some(r.into()));
    }
    type Logged = (
        NaiveDate,
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    for (n, s, c, k, b, o, r) in logged.load::<Logged>(conn)? {
        out.entry((n, s, c, k)).or_default().add(b, o, r);
    }
    Ok(out)
}

/// `report_nights` as it stands for the nights `from..=to`, summed over
/// the shelters by SQL: (night, category, kind).
pub fn night_totals(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<BTreeMap<(NaiveDate, String, String), Counts>> {
    type Summed = (
        NaiveDate,
        String,
        String,
        Option<i64>,
        Option<i64>,
        Option<i64>,
    );
    let kept: Vec<Summed> = report_nights::table
        .filter(report_nights::night.between(from, to))
        .group_by((
            report_nights::night,
            report_nights::category,
            report_nights::kind,
        ))
        .select((
            report_nights::night,
            report_nights::category,
            report_nights::kind,
            sum(report_nights::booked),
            sum(report_nights::occupied),
            sum(report_nights::released),
        ))
        .load(conn)?;
    let logged: Vec<Summed> = booking_changes::table
        .filter(booking_changes::night.between(from, to))
        .group_by((
            booking_changes::night,
            booking_changes::category,
            booking_changes::kind,
        ))
        .select((
            booking_changes::night,
            booking_changes::category,
            booking_changes::kind,
            sum(booking_changes::booked),
            sum(booking_changes::occupied),
            sum(booking_changes::released),
        ))
        .load(conn)?;
    let mut out: BTreeMap<(NaiveDate, String, String), Counts> = BTreeMap::new();
    for (n, c, k, b, o, r) in kept.into_iter().chain(logged) {
        out.entry((n, c, k)).or_default().add(b, o, r);
    }
    Ok(out)
}

/// `report_stays` as it stands, summed over the first nights `from..=to`:
/// (shelter, outcome) and how many stays.
pub fn stays(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<BTreeMap<(String, String), i64>> {
    let kept: Vec<(String, String, Option<i64>)> = report_stays::table
        .filter(report_stays::first_night.between(from, to))
        .group_by((report_stays::shelter_id, report_stays::outcome))
        .select((
            report_stays::shelter_id,
            report_stays::outcome,
            sum(report_stays::stays),
        ))
        .load(conn)?;
    let logged: Vec<(String, String, Option<i64>)> = stay_changes::table
        .filter(stay_changes::first_night.between(from, to))
        .group_by((stay_changes::shelter_id, stay_changes::outcome))
        .select((
            stay_changes::shelter_id,
            stay_changes::outcome,
            sum(stay_changes::stays),
        ))
        .load(conn)?;
    let mut out: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (s, o, n) in kept.into_iter().chain(logged) {
        *out.entry((s, o)).or_default() += total(n);
    }
    Ok(out)
}

/// Whether the log holds a used night of `from..=to` that
/// `report_guest_spans` does not have yet.
pub fn spans_behind(conn: &mut DbConnection, from: NaiveDate, to: NaiveDate) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        booking_changes::table
            .filter(booking_changes::night.between(from, to))
            .filter(booking_changes::occupied.ne(0)),
    ))
    .get_result(conn)
}

/// The guest spans' rows still in the log for a range of nights, as SQL
/// of the columns `org, guest_id, gender, citizenship, born, n` for a
/// reader to add to the table's rows. `range` gives the reader's bound
/// parameters for the first and last night, once per use; `born` is its
/// expression for a guest's date of birth.
pub fn logged_spans_sql(born: &str, mut range: impl FnMut() -> (String, String)) -> String {
    ["s.organization_id", "''"]
        .map(|org| {
            let (a, b) = range();
            format!(
                "SELECT {org} AS org, c.guest_id, g.gender, g.citizenship, {born} AS born, \
                 c.occupied AS n FROM booking_changes c JOIN shelters s ON s.id = c.shelter_id \
                 JOIN guests g ON g.id = c.guest_id \
                 WHERE c.night BETWEEN {a} AND {b} AND c.occupied <> 0"
            )
        })
        .join(" UNION ALL ")
}

// ------------------------------------------------------------ the fold

/// What a fold reports back.
#[derive(QueryableByName)]
struct Folded {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    rows: i64,
}

const SQLITE_FOLD: [&str; 5] = [
    "INSERT INTO report_nights (night, shelter_id, category, kind, booked, occupied, released) \
     SELECT night, shelter_id, category, kind, SUM(booked), SUM(occupied), SUM(released) \
     FROM booking_changes WHERE true GROUP BY night, shelter_id, category, kind \
     ON CONFLICT (night, shelter_id, category, kind) DO UPDATE SET \
       booked = booked + excluded.booked, occupied = occupied + excluded.occupied, \
       released = released + excluded.released",
    // `held_counts` checks its figures on every row written, the proposed
    // row of an upsert too: rows there are added to, new ones inserted.
    "UPDATE held_counts SET held = held_counts.held + d.held, \
       unconfirmed = held_counts.unconfirmed + d.unconfirmed \
     FROM (SELECT night, shelter_id, category, SUM(held) AS held, SUM(unconfirmed) AS unconfirmed \
           FROM booking_changes GROUP BY night, shelter_id, category) d \
     WHERE held_counts.night = d.night AND held_counts.shelter_id = d.shelter_id \
       AND held_counts.category = d.category",
    "INSERT INTO held_counts (night, shelter_id, category, held, unconfirmed) \
     SELECT * FROM (SELECT night, shelter_id, category, SUM(held) AS held, SUM(unconfirmed) AS unconfirmed \
                    FROM booking_changes GROUP BY night, shelter_id, category) d \
     WHERE (d.held <> 0 OR d.unconfirmed <> 0) AND NOT EXISTS ( \
       SELECT 1 FROM held_counts h WHERE h.night = d.night AND h.shelter_id = d.shelter_id \
         AND h.category = d.category)",
    "INSERT INTO report_guest_spans (span, starts, organization_id, guest_id, gender, citizenship, born, bed_nights) \
     SELECT k.span, \
            CASE k.span WHEN 'month' THEN date(c.night, 'start of month') \
              WHEN 'half' THEN CASE WHEN c.m BETWEEN 5 AND 10 THEN printf('%04d-05-01', c.y) \
                                    WHEN c.m >= 11 THEN printf('%04d-11-01', c.y) \
                                    ELSE printf('%04d-11-01', c.y - 1) END \
              ELSE CASE WHEN c.m >= 5 THEN printf('%04d-05-01', c.y) \
                        ELSE printf('%04d-05-01', c.y - 1) END END, \
            CASE k.everyone WHEN 1 THEN '' ELSE s.organization_id END, \
            c.guest_id, g.gender, g.citizenship, \
            COALESCE(g.birth_date, printf('%04d-12-31', g.birth_year)), SUM(c.occupied) \
     FROM (SELECT night, shelter_id, guest_id, occupied, \
                  CAST(strftime('%m', night) AS INTEGER) AS m, CAST(strftime('%Y', night) AS INTEGER) AS y \
           FROM booking_changes WHERE occupied <> 0) c \
     JOIN guests g ON g.id = c.guest_id JOIN shelters s ON s.id = c.shelter_id, \
          (SELECT 'month' AS span, 0 AS everyone UNION ALL SELECT 'month', 1 \
           UNION ALL SELECT 'half', 0 UNION ALL SELECT 'half', 1 \
           UNION ALL SELECT 'year', 0 UNION ALL SELECT 'year', 1) k \
     WHERE true GROUP BY 1, 2, 3, 4 HAVING SUM(c.occupied) <> 0 \
     ON CONFLICT (span, starts, organization_id, guest_id) DO UPDATE SET \
       bed_nights = bed_nights + excluded.bed_nights",
    "INSERT INTO report_stays (first_night, shelter_id, outcome, stays) \
     SELECT first_night, shelter_id, outcome, SUM(stays) FROM stay_changes WHERE true \
     GROUP BY first_night, shelter_id, outcome \
     ON CONFLICT (first_night, shelter_id, outcome) DO UPDATE SET stays = stays + excluded.stays",
];

/// PostgreSQL folds the rows it deletes, in one statement: a row that
/// another transaction commits meanwhile is neither deleted nor folded,
/// and waits for the next fold. Two folders take turns
/// (`pg_try_advisory_xact_lock`); the second finds nothing to do.
const POSTGRES_FOLD: &str = "\
WITH gone AS (
    DELETE FROM booking_changes
    RETURNING night, shelter_id, category, kind, guest_id, booked, occupied, released, held, unconfirmed
), nights AS (
    INSERT INTO report_nights AS r (night, shelter_id, category, kind, booked, occupied, released)
    SELECT night, shelter_id, category, kind, SUM(booked), SUM(occupied), SUM(released)
    FROM gone GROUP BY night, shelter_id, category, kind
    ON CONFLICT (night, shelter_id, category, kind) DO UPDATE SET
        booked = r.booked + EXCLUDED.booked, occupied = r.occupied + EXCLUDED.occupied,
        released = r.released + EXCLUDED.released
), held AS (
    SELECT night, shelter_id, category, SUM(held) AS held, SUM(unconfirmed) AS unconfirmed
    FROM gone GROUP BY night, shelter_id, category
), held_added AS (
    UPDATE held_counts h SET held = h.held + d.held, unconfirmed = h.unconfirmed + d.unconfirmed
    FROM held d
    WHERE h.night = d.night AND h.shelter_id = d.shelter_id AND h.category = d.category
), held_new AS (
    INSERT INTO held_counts (night, shelter_id, category, held, unconfirmed)
    SELECT d.night, d.shelter_id, d.category, d.held, d.unconfirmed FROM held d
    WHERE (d.held <> 0 OR d.unconfirmed <> 0) AND NOT EXISTS (
        SELECT 1 FROM held_counts h
        WHERE h.night = d.night AND h.shelter_id = d.shelter_id AND h.category = d.category)
), spans AS (
    INSERT INTO report_guest_spans AS r
        (span, starts, organization_id, guest_id, gender, citizenship, born, bed_nights)
    SELECT k.span,
           CASE k.span WHEN 'month' THEN date_trunc('month', c.night)::date
                       WHEN 'half' THEN report_half(c.night) ELSE report_year(c.night) END,
           k.org, c.guest_id, g.gender, g.citizenship,
           COALESCE(g.birth_date, make_date(g.birth_year, 12, 31)), SUM(c.occupied)
    FROM gone c JOIN guests g ON g.id = c.guest_id JOIN shelters s ON s.id = c.shelter_id
    CROSS JOIN LATERAL (VALUES ('month', s.organization_id), ('month', ''),
                               ('half', s.organization_id), ('half', ''),
                               ('year', s.organization_id), ('year', '')) AS k (span, org)
    WHERE c.occupied <> 0
    GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING SUM(c.occupied) <> 0
    ON CONFLICT (span, starts, organization_id, guest_id) DO UPDATE SET
        bed_nights = r.bed_nights + EXCLUDED.bed_nights
), stays_gone AS (
    DELETE FROM stay_changes RETURNING first_night, shelter_id, outcome, stays
), stays_added AS (
    INSERT INTO report_stays AS r (first_night, shelter_id, outcome, stays)
    SELECT first_night, shelter_id, outcome, SUM(stays) FROM stays_gone
    GROUP BY first_night, shelter_id, outcome
    ON CONFLICT (first_night, shelter_id, outcome) DO UPDATE SET stays = r.stays + EXCLUDED.stays
)
SELECT (SELECT COUNT(*) FROM gone) + (SELECT COUNT(*) FROM stays_gone) AS rows";

/// Adds the log into the summaries and deletes it, in one transaction;
/// how many log rows it folded (0 on PostgreSQL when another fold is
/// under way).
pub fn fold(conn: &mut DbConnection) -> QueryResult<u64> {
    if let DbConnection::Sqlite(s) = conn {
        // Looked at before the writer's turn is taken: most folds of a
        // quiet database have nothing to do.
        let rows: i64 = booking_changes::table.count().get_result(s)?;
        let stays: i64 = stay_changes::table.count().get_result(s)?;
        if rows + stays == 0 {
            return Ok(0);
        }
    }
    super::write_tx(conn, |c| match c {
        DbConnection::Sqlite(s) => {
            // One writer: nothing is appended between these statements.
            for statement in SQLITE_FOLD {
                diesel::sql_query(statement).execute(s)?;
            }
            let stays = diesel::delete(stay_changes::table).execute(s)?;
            let rows = diesel::delete(booking_changes::table).execute(s)?;
            Ok(u64::try_from(rows + stays).unwrap_or(0))
        }
        DbConnection::Postgres(p) => {
            let mine: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
                "pg_try_advisory_xact_lock(2, 0)",
            ))
            .get_result(p)?;
            if !mine {
                return Ok(0);
            }
            let folded: Folded = diesel::sql_query(POSTGRES_FOLD).get_result(p)?;
            Ok(u64::try_from(folded.rows).unwrap_or(0))
        }
    })
}

/// Fills `held_counts` and the report summaries anew from the bookings,
/// stays and guests, and empties the log: after a bulk load written with
/// the triggers off. On PostgreSQL the log is locked first, so an act
/// committed meanwhile is counted once (in the rows read, or in the log
/// it appends after).
pub fn rebuild(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    let (migration, reports) = match conn {
        DbConnection::Sqlite(_) => (
            include_str!("../../migrations/sqlite/2026-11-22-000008_held_counts/up.sql"),
            include_str!("../../migrations/sqlite/2026-11-22-000009_reports/up.sql"),
        ),
        DbConnection::Postgres(_) => (
            include_str!("../../migrations/postgres/2026-11-22-000008_held_counts/up.sql"),
            include_str!("../../migrations/postgres/2026-11-22-000009_reports/up.sql"),
        ),
    };
    let held_fill = migration
        .split_once(HELD_FILL_MARKER)
        .and_then(|(_, rest)| rest.split_once(';').map(|(fill, _)| fill))
        .ok_or_else(|| {
            diesel::result::Error::QueryBuilderError("migration 000008 has no fill".into())
        })?;
    let reports_fill = reports
        .split_once(REPORTS_FILL_MARKER)
        .map(|(_, fill)| fill)
        .ok_or_else(|| {
            diesel::result::Error::QueryBuilderError("migration 000009 has no fill".into())
        })?;
    super::write_tx(conn, |c| {
        if let DbConnection::Postgres(_) = c {
            c.batch_execute("LOCK TABLE booking_changes, stay_changes IN EXCLUSIVE MODE")?;
        }
        c.batch_execute(
            "DELETE FROM booking_changes; DELETE FROM stay_changes; DELETE FROM held_counts; \
             DELETE FROM report_nights; DELETE FROM report_guest_spans; DELETE FROM report_stays;",
        )?;
        c.batch_execute(&format!("{HELD_FILL_MARKER}{held_fill}"))?;
        c.batch_execute(reports_fill)
    })
}

/// Where migration 000008 fills `held_counts` (the statement up to its
/// `;`).
const HELD_FILL_MARKER: &str =
    "INSERT INTO held_counts (night, shelter_id, category, held, unconfirmed)";

/// Where migration 000009 starts filling the report summaries.
const REPORTS_FILL_MARKER: &str = "-- Fill the summaries from what is there.";

// ------------------------------------------------------------ the folder

/// How long the folder waits between two folds.
const FOLD_EVERY: Duration = Duration::from_secs(1);

/// Folds the log on a thread of its own, once a second while anything
/// was written (on PostgreSQL, where other instances write too, once a
/// second). It stops when dropped. A fold that fails is tried again; the
/// summaries are exact meanwhile, only the log longer.
pub struct Folder {
    /// Held for its `Drop`, which stops the thread.
    _thread: super::Background,
}

impl Folder {
    pub fn start(pool: DbPool) -> Option<Self> {
        super::Background::spawn("summaries-fold", move |stop| fold_while(&pool, stop))
            .map(|b| Self { _thread: b })
    }
}

fn fold_while(pool: &DbPool, stop: &std::sync::atomic::AtomicBool) {
    use std::sync::atomic::Ordering;
    // Once at the start (what an earlier process left), then after writes.
    let mut folded_at = None;
    while !stop.load(Ordering::SeqCst) {
        std::thread::park_timeout(FOLD_EVERY);
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let writes = super::committed_writes();
        let Ok(mut conn) = pool.get() else { continue };
        let sqlite = matches!(**conn, DbConnection::Sqlite(_));
        if sqlite && folded_at == Some(writes) {
            continue;
        }
        match fold(&mut conn) {
            // A write committed during the fold moves the count again,
            // and the next round folds what it logged.
            Ok(n) => {
                folded_at = Some(if n > 0 {
                    super::committed_writes()
                } else {
                    writes
                })
            }
            Err(e) => tracing::warn!(error = %e, "folding the summaries' log failed; trying again"),
        }
    }
}
