//! A large system in seconds, for benchmarks and load runs: shelters,
//! places, guests and a history of stays written in bulk (COPY on
//! PostgreSQL, multi-row inserts in large transactions on SQLite), not one
//! request per row.
//!
//! The history obeys the bed rules by construction: each occupied place
//! holds back-to-back stays of exactly L nights, and a guest comes back only
//! after at least one whole stay of others, so no stay falls inside a
//! karenstid and no guest holds two places on one night.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::RngCore;

use super::counts;
use super::guests::GuestRow;
use super::partnerships::Partnership;
use super::places::{self, PlaceRow, ShelterRow};
use super::schema::{bookings, guests, places as places_t, shelters, stays};
use super::seed::SeedError;
use super::stays::{BookingRow, StayRow};
use super::{DbConnection, write_tx};
use crate::ids::{BookingKind, GuestId, PlaceId, ShelterId, StayId, StayStatus};
use crate::rules::checkin::{self, NightFacts};
use crate::rules::kinds::PlaceCategory;
use crate::rules::{Night, RuleSet};

/// The size of the world to write.
#[derive(Debug, Clone, Copy)]
pub struct World {
    pub shelters: u32,
    pub places_per_shelter: u32,
    pub guests: u32,
    /// Nights of history before tonight.
    pub history_nights: u32,
    /// Share of places occupied, in percent.
    pub occupancy_percent: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub shelters: u64,
    pub places: u64,
    pub guests: u64,
    pub stays: u64,
    pub bookings: u64,
}

/// One in five places is a women's place, as in Stockholm (20 of 115 is
/// close to that); the same share of guests are women.
const WOMEN_EVERY: u32 = 5;
const ROWS_PER_BATCH: usize = 2_000;
/// Rows per multi-row insert on SQLite: its limit of 32,766 bound values
/// over the widest table written (guests, 17 columns), with room to grow.
const SQLITE_ROWS_PER_INSERT: usize = 32_766 / 32;
const CITIZENSHIPS: [&str; 8] = ["RO", "BG", "PL", "LT", "LV", "HU", "SK", "DE"];

/// Ids that sort in the order written (B-trees fill at their end) and
/// still look like every other id.
struct Ids {
    salt: u128,
}

impl Ids {
    fn new() -> Self {
        Self {
            salt: u128::from(rand::rng().next_u32()) << 64,
        }
    }
    /// Eight hex digits that tell this run's rows from another run's.
    fn tag(&self) -> String {
        format!("{:08x}", self.salt >> 64)
    }
    fn id(&self, kind: u8, n: u64) -> String {
        uuid::Uuid::from_u128((u128::from(kind) << 120) | self.salt | u128::from(n)).to_string()
    }
}

/// Why a world cannot be built with these numbers.
pub fn check(world: &World) -> Result<(), String> {
    let places = u64::from(world.shelters) * u64::from(world.places_per_shelter);
    if world.shelters == 0 || world.places_per_shelter == 0 {
        return Err("at least one shelter with one place".into());
    }
    if world.occupancy_percent > 100 {
        return Err("occupancy is a percentage, 0 to 100".into());
    }
    // Guests of a category come back after one other stay at the earliest.
    if u64::from(world.guests) < 2 * places {
        return Err(format!(
            "at least twice as many guests as places ({}) so that nobody is back before the karenstid is over",
            2 * places
        ));
    }
    Ok(())
}

/// Writes the world into a migrated database with a partnership, with
/// history up to and including the stays that hold `tonight`.
pub fn seed(
    conn: &mut DbConnection,
    p: &Partnership,
    world: &World,
    tonight: Night,
    now: NaiveDateTime,
    progress: &mut dyn FnMut(&str),
) -> Result<Written, SeedError> {
    check(world).map_err(|m| SeedError::Other(anyhow::anyhow!(m)))?;
    let rules = p
        .rule_sets
        .for_night(tonight)
        .ok_or_else(|| SeedError::Other(anyhow::anyhow!("the partnership has no rule set")))?;
    let ids = Ids::new();
    // The rows are consistent by construction: skip the per-row foreign
    // key checks where the connection may (PostgreSQL needs a superuser).
    let checks_off = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query("PRAGMA foreign_keys = OFF").execute(c),
        DbConnection::Postgres(c) => {
            diesel::sql_query("SET session_replication_role = replica").execute(c)
        }
    };
    // The count triggers would add a write per booking: off during the
    // load (PostgreSQL's replica role skips them), counted once after.
    let triggers = match conn {
        DbConnection::Sqlite(_) => counts::sqlite_triggers(conn)?,
        DbConnection::Postgres(_) => Vec::new(),
    };
    for (name, _) in &triggers {
        diesel::sql_query(format!("DROP TRIGGER {name}")).execute(conn)?;
    }
    let mut result = seed_rows(conn, p, world, tonight, now, progress, &rules, &ids);
    for (_, sql) in &triggers {
        diesel::sql_query(sql).execute(conn)?;
    }
    if result.is_ok() {
        progress("counting places");
        if let Err(e) = counts::rebuild(conn) {
            result = Err(e.into());
        }
    }
    if result.is_ok() {
        progress("filling the held counts and the report summaries");
        if let Err(e) = super::summaries::rebuild(conn) {
            result = Err(e.into());
        }
    }
    // PostgreSQL plans from its statistics, which a bulk load leaves
    // empty until autovacuum comes round: a service started at once
    // planned the intake's reads as if the tables were empty.
    if result.is_ok()
        && let DbConnection::Postgres(c) = conn
    {
        progress("gathering the planner's statistics");
        if let Err(e) = diesel::sql_query("ANALYZE").execute(c) {
            result = Err(e.into());
        }
    }
    if checks_off.is_ok() {
        let _ = match conn {
            DbConnection::Sqlite(c) => diesel::sql_query("PRAGMA foreign_keys = ON").execute(c),
            DbConnection::Postgres(c) => {
                diesel::sql_query("SET session_replication_role = DEFAULT").execute(c)
            }
        };
    }
    result
}

#[allow(clippy::too_many_arguments)]
fn seed_rows(
    conn: &mut DbConnection,
    p: &Partnership,
    world: &World,
    tonight: Night,
    now: NaiveDateTime,
    progress: &mut dyn FnMut(&str),
    rules: &RuleSet,
    ids: &Ids,
) -> Result<Written, SeedError> {
    let mut written = Written {
        shelters: 0,
        places: 0,
        guests: 0,
        stays: 0,
        bookings: 0,
    };

    // Shelters and places.
    let org = write_tx(conn, |c| {
        places::organization_by_name(c, &p.id, &format!("Bulk {}", ids.tag()), now)
    })?;
    let mut shelter_rows = Vec::new();
    let mut place_rows = Vec::new();
    for s in 0..world.shelters {
        let shelter_id = ShelterId::stored(ids.id(1, u64::from(s)));
        for n in 0..world.places_per_shelter {
            let women = n % WOMEN_EVERY == 0;
            place_rows.push(PlaceRow {
                id: PlaceId::stored(ids.id(2, written.places + u64::from(n))),
                shelter_id: shelter_id.clone(),
                label: format!("{}{:03}", if women { "W" } else { "R" }, n),
                category: if women {
                    PlaceCategory::Women
                } else {
                    PlaceCategory::Regular
                }
                .as_str()
                .to_owned(),
                created_at: now,
            });
        }
        written.places += u64::from(world.places_per_shelter);
        shelter_rows.push(ShelterRow {
            id: shelter_id,
            partnership_id: p.id.clone(),
            organization_id: org.id.clone(),
            name: format!("Bulk shelter {s:05} {}", ids.tag()),
            created_at: now,
            address: None,
            phone: None,
        });
    }
    written.shelters = shelter_rows.len() as u64;
    write_all(conn, &shelter_rows, bulk_writer!(shelters::table))?;
    write_all(conn, &place_rows, bulk_writer!(places_t::table))?;
    progress(&format!(
        "{} shelters, {} places",
        written.shelters, written.places
    ));

    // Guests: the first fifth are women.
    let women_guests = world.guests / WOMEN_EVERY;
    let mut batch = Vec::with_capacity(ROWS_PER_BATCH * 10);
    for g in 0..world.guests {
        batch.push(guest_row(ids, g, g < women_guests, now));
        if batch.len() == batch.capacity() || g + 1 == world.guests {
            write_all(conn, &batch, bulk_writer!(guests::table))?;
            batch.clear();
        }
    }
    written.guests = u64::from(world.guests);
    progress(&format!("{} guests", written.guests));

    // Stays, category by category.
    let occupied = |p: &PlaceRow| {
        let n: u32 = p.label[1..].parse().unwrap_or(0);
        (n * 100 / world.places_per_shelter.max(1)) < world.occupancy_percent
    };
    for (category, nights, guest_range) in [
        (
            PlaceCategory::Regular.as_str(),
            rules.regular_nights,
            women_guests..world.guests,
        ),
        (
            PlaceCategory::Women.as_str(),
            rules.women_nights,
            0..women_guests,
        ),
    ] {
        let beds: Vec<&PlaceRow> = place_rows
            .iter()
            .filter(|p| p.category == category && occupied(p))
            .collect();
        if beds.is_empty() || guest_range.is_empty() {
            continue;
        }
        let plan = Plan {
            category,
            nights,
            first: tonight.plus(-i64::from(world.history_nights)),
            tonight,
            guests: guest_range,
            quarantine: rules.quarantine_nights,
            no_show_limit: rules.no_show_ends_stay_after,
            now,
        };
        plan.write(conn, ids, &beds, &mut written)?;
        progress(&format!(
            "{category}: {} stays, {} bookings so far",
            written.stays, written.bookings
        ));
    }
    Ok(written)
}

/// Names that spread like real ones over the duplicate search's blocks
/// (the first letters of given and family name): 48 given names, 8,000
/// family names of three syllables, and a number to tell guests apart.
const GIVEN: [&str; 48] = [
    "Ion",
    "Maria",
    "Gheorghe",
    "Elena",
    "Vasile",
    "Ana",
    "Constantin",
    "Ioana",
    "Nicolae",
    "Mihaela",
    "Dumitru",
    "Andreea",
    "Florin",
    "Daniela",
    "Marian",
    "Cristina",
    "Adrian",
    "Georgi",
    "Ivanka",
    "Dimitar",
    "Petya",
    "Stoyan",
    "Radka",
    "Krasimir",
    "Tsvetana",
    "Piotr",
    "Katarzyna",
    "Tomasz",
    "Agnieszka",
    "Jonas",
    "Ruta",
    "Andris",
    "Ilze",
    "Laszlo",
    "Zsofia",
    "Juraj",
    "Zuzana",
    "Ovidiu",
    "Lavinia",
    "Bogdan",
    "Simona",
    "Emil",
    "Viorica",
    "Sorin",
    "Rodica",
    "Yordan",
    "Hristina",
    "Wojciech",
];
const SYLLABLES: [&str; 20] = [
    "pop", "ion", "dra", "stan", "mar", "geo", "vas", "ko", "lu", "ne", "sku", "va", "ri", "be",
    "to", "mi", "dan", "cu", "zo", "fil",
];

fn guest_row(ids: &Ids, g: u32, woman: bool, now: NaiveDateTime) -> GuestRow {
    let n = g as usize;
    let given = format!("{}{}", GIVEN[n % GIVEN.len()], g / 997);
    let syllable = |k: usize| SYLLABLES[(n / k) % SYLLABLES.len()];
    let mut family = format!("{}{}{}", syllable(7), syllable(131), syllable(2_663));
    if let Some(first) = family.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    let blocks = crate::domain::name_blocks(&given, &family);
    GuestRow {
        id: GuestId::stored(ids.id(3, u64::from(g))),
        card_number: format!("B{g:08}"),
        name_key: crate::domain::name_key(&given, &family),
        given_block: blocks.0,
        family_block: blocks.1,
        given_name: given,
        family_name: family,
        birth_date: None,
        birth_year: 1950 + i32::try_from(g % 50).unwrap_or(0),
        gender: if woman { "woman" } else { "man" }.to_owned(),
        citizenship: CITIZENSHIPS[g as usize % CITIZENSHIPS.len()].to_owned(),
        residence_permit_country: None,
        needs: "[]".to_owned(),
        created_at: now,
        created_by: "bulk".to_owned(),
        pseudonymised_at: None,
        language: crate::domain::Language::default().as_str().to_owned(),
    }
}

struct Plan {
    category: &'static str,
    nights: u32,
    first: Night,
    tonight: Night,
    guests: std::ops::Range<u32>,
    quarantine: u32,
    no_show_limit: u32,
    now: NaiveDateTime,
}

impl Plan {
    /// Stay `k` of every bed starts on `first + k·L`; bed `i` gets guest
    /// `(k·beds + i) mod guests`. With at least twice as many guests as
    /// beds, a guest's next stay is at least one whole stay later.
    fn write(
        &self,
        conn: &mut DbConnection,
        ids: &Ids,
        beds: &[&PlaceRow],
        written: &mut Written,
    ) -> Result<(), SeedError> {
        let span = i64::from(self.nights);
        let blocks = (self.first.nights_until(self.tonight) / span) + 1;
        let pool = u64::from(self.guests.end - self.guests.start);
        if pool < 2 * beds.len() as u64 {
            return Err(SeedError::Other(anyhow::anyhow!(
                "not enough {} guests for {} beds",
                self.category,
                beds.len()
            )));
        }
        let mut stay_rows = Vec::with_capacity(beds.len());
        let mut booking_rows = Vec::with_capacity(beds.len() * self.nights as usize);
        for k in 0..blocks {
            let first_night = self.first.plus(k * span);
            for (i, bed) in beds.iter().enumerate() {
                let g = self.guests.start as u64 + (k as u64 * beds.len() as u64 + i as u64) % pool;
                let guest_id = GuestId::stored(ids.id(3, g));
                let stay_id = StayId::stored(ids.id(4, written.stays));
                written.stays += 1;
                let created_at = evening(first_night.date()) - Duration::hours(2);
                stay_rows.push(StayRow {
                    id: stay_id.clone(),
                    guest_id: guest_id.clone(),
                    shelter_id: bed.shelter_id.clone(),
                    category: self.category.to_owned(),
                    status: StayStatus::Active,
                    first_night: first_night.date(),
                    nights: i32::try_from(self.nights).unwrap_or(i32::MAX),
                    quarantine_nights: i32::try_from(self.quarantine).unwrap_or(0),
                    no_show_limit: i32::try_from(self.no_show_limit).unwrap_or(1),
                    end_reason: None,
                    ended_at: None,
                    void_reason: None,
                    voided_at: None,
                    created_at: created_at.min(self.now),
                    created_by: "bulk".to_owned(),
                });
                let from = booking_rows.len();
                for n in 0..span {
                    let night = first_night.plus(n);
                    booking_rows.push(BookingRow {
                        id: ids.id(5, written.bookings),
                        guest_id: guest_id.clone(),
                        place_id: bed.id.clone(),
                        shelter_id: bed.shelter_id.clone(),
                        night: night.date(),
                        kind: BookingKind::Stay,
                        stay_id: Some(stay_id.clone()),
                        released: false,
                        held: true,
                        // Everyone came, up to yesterday; tonight is open.
                        checked_in_at: (night < self.tonight).then(|| evening(night.date())),
                        created_at: created_at.min(self.now),
                        no_show_end: None,
                    });
                    written.bookings += 1;
                }
                let facts: Vec<NightFacts> = booking_rows[from..]
                    .iter()
                    .map(|b| NightFacts {
                        night: Night::new(b.night),
                        checked_in: b.checked_in_at.is_some(),
                        released: false,
                        created_at: b.created_at.and_utc(),
                    })
                    .collect();
                let end = checkin::no_show_end(&facts, self.no_show_limit).map(Night::date);
                for b in &mut booking_rows[from..] {
                    b.no_show_end = end;
                }
            }
            if booking_rows.len() >= 100_000 || k + 1 == blocks {
                write_stays(conn, &stay_rows, &booking_rows)?;
                stay_rows.clear();
                booking_rows.clear();
            }
        }
        Ok(())
    }
}

fn evening(night: NaiveDate) -> NaiveDateTime {
    night.and_hms_opt(19, 0, 0).unwrap_or_default()
}

fn write_stays(
    conn: &mut DbConnection,
    stay_rows: &[StayRow],
    booking_rows: &[BookingRow],
) -> Result<(), SeedError> {
    write_all(conn, stay_rows, bulk_writer!(stays::table))?;
    write_all(conn, booking_rows, bulk_writer!(bookings::table))
}

/// The insert of one table: multi-row INSERT on SQLite, COPY on PostgreSQL.
macro_rules! bulk_writer {
    ($table:path) => {
        |c: &mut DbConnection, chunk| match c {
            DbConnection::Sqlite(c) => diesel::insert_into($table).values(chunk).execute(c),
            DbConnection::Postgres(c) => {
                diesel::copy_from($table).from_insertable(chunk).execute(c)
            }
        }
    };
}
use bulk_writer;

/// Writes rows in one transaction: batches of multi-row inserts on SQLite
/// (below its limit of bound values), one COPY on PostgreSQL.
fn write_all<T>(
    conn: &mut DbConnection,
    rows: &[T],
    insert: impl Fn(&mut DbConnection, &[T]) -> QueryResult<usize>,
) -> Result<(), SeedError> {
    write_tx(conn, |c| {
        if matches!(c, DbConnection::Postgres(_)) {
            insert(c, rows)?;
        } else {
            for chunk in rows.chunks(SQLITE_ROWS_PER_INSERT) {
                insert(c, chunk)?;
            }
        }
        Ok::<_, SeedError>(())
    })
}
