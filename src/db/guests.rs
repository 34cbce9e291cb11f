//! Guests: the people the service registers. Their names are personal data:
//! never logged, returned only to roles that need them.

use crate::ids::GuestId;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::DbConnection;
use super::schema::guests;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = guests, treat_none_as_default_value = false)]
pub struct GuestRow {
    pub id: GuestId,
    pub card_number: String,
    pub given_name: String,
    pub family_name: String,
    pub name_key: String,
    pub birth_date: Option<NaiveDate>,
    pub birth_year: i32,
    pub gender: String,
    pub citizenship: String,
    pub residence_permit_country: Option<String>,
    pub needs: String,
    pub created_at: NaiveDateTime,
    pub created_by: String,
    pub pseudonymised_at: Option<NaiveDateTime>,
    /// The first two letters of the folded given and family name: where the
    /// duplicate search looks (`domain::name_blocks`).
    pub given_block: String,
    pub family_block: String,
    /// The language the guest reads (`domain::Language`), migration 000017.
    pub language: String,
}

pub fn insert(conn: &mut DbConnection, row: &GuestRow) -> QueryResult<()> {
    diesel::insert_into(guests::table)
        .values(row)
        .execute(conn)
        .map(drop)
}

/// Inserts a new guest unless a guest has its id or card number already;
/// whether it was inserted. A clash leaves the transaction usable on both
/// backends (on PostgreSQL a failed insert would abort it), so the caller
/// can try another card number without a savepoint.
pub fn insert_new(conn: &mut DbConnection, row: &GuestRow) -> QueryResult<bool> {
    let insert = diesel::insert_into(guests::table).values(row);
    let inserted = match conn {
        DbConnection::Sqlite(c) => insert.on_conflict_do_nothing().execute(c)?,
        DbConnection::Postgres(c) => insert.on_conflict_do_nothing().execute(c)?,
    };
    Ok(inserted == 1)
}

/// Sets the guest's language; the number of guests changed.
pub fn set_language(conn: &mut DbConnection, id: &str, language: &str) -> QueryResult<usize> {
    diesel::update(guests::table.filter(guests::id.eq(id)))
        .set(guests::language.eq(language))
        .execute(conn)
}

pub fn get(conn: &mut DbConnection, id: &str) -> QueryResult<Option<GuestRow>> {
    if !crate::domain::is_id(id) {
        return Ok(None);
    }
    guests::table
        .find(id)
        .select(GuestRow::as_select())
        .first(conn)
        .optional()
}

/// What the duplicate search compares: no more than it needs.
#[derive(Debug, Clone, QueryableByName)]
pub struct Candidate {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name_key: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub birth_year: i32,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    pub birth_date: Option<NaiveDate>,
}

/// The guests born in a range of years whose given name begins with a
/// block, read through `guests_given_block` (the block first, migration
/// 000018), and then those whose family name does, less those the first
/// half found, through `guests_family_block`: one statement, one round
/// trip.
pub const BY_BLOCKS: &str = "SELECT id, name_key, birth_year, birth_date FROM guests \
     WHERE given_block = ? AND birth_year BETWEEN ? AND ? \
     UNION ALL \
     SELECT id, name_key, birth_year, birth_date FROM guests \
     WHERE family_block = ? AND birth_year BETWEEN ? AND ? AND given_block <> ?";

/// Guests born within a year of `birth_year` whose given or family name
/// begins like the new guest's: the candidates for duplicate suggestions,
/// read through the two block indexes.
pub fn duplicate_candidates(
    conn: &mut DbConnection,
    birth_year: i32,
    given_block: &str,
    family_block: &str,
) -> QueryResult<Vec<Candidate>> {
    use diesel::sql_types::{Integer, Text};
    let (born_from, born_to) = (birth_year - 1, birth_year + 1);
    super::prepared::prepared(BY_BLOCKS)
        .bind::<Text, _>(given_block)
        .bind::<Integer, _>(born_from)
        .bind::<Integer, _>(born_to)
        .bind::<Text, _>(family_block)
        .bind::<Integer, _>(born_from)
        .bind::<Integer, _>(born_to)
        .bind::<Text, _>(given_block)
        .load(conn)
}

/// Whole rows of the guests `ids`, in no particular order.
pub fn get_many(conn: &mut DbConnection, ids: &[String]) -> QueryResult<Vec<GuestRow>> {
    if ids.is_empty() {
        // No round trip for nothing (a registration that resembles no one).
        return Ok(Vec::new());
    }
    match conn {
        // One by one: diesel keeps `=` prepared but prepares an `IN` list
        // of SQLite at every call, and SQLite has no round trips to save.
        DbConnection::Sqlite(c) => {
            let mut rows = Vec::with_capacity(ids.len());
            for id in ids {
                rows.extend(
                    guests::table
                        .filter(guests::id.eq(id))
                        .select(GuestRow::as_select())
                        .first(c)
                        .optional()?,
                );
            }
            Ok(rows)
        }
        // `= ANY($1)`: one array, one prepared statement, one round trip.
        DbConnection::Postgres(c) => guests::table
            .filter(guests::id.eq_any(ids))
            .select(GuestRow::as_select())
            .load(c),
    }
}

/// What a search term looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchTerm {
    BirthYear(i32),
    CardNumber(String),
    /// Folded name words: every word must occur in the name.
    Name(Vec<String>),
}

pub fn search(
    conn: &mut DbConnection,
    term: &SearchTerm,
    limit: i64,
) -> QueryResult<Vec<GuestRow>> {
    let mut query = guests::table
        .select(GuestRow::as_select())
        .order((guests::family_name.asc(), guests::given_name.asc()))
        .limit(limit)
        .into_boxed();
    match term {
        SearchTerm::BirthYear(y) => query = query.filter(guests::birth_year.eq(*y)),
        SearchTerm::CardNumber(c) => query = query.filter(guests::card_number.eq(c.clone())),
        SearchTerm::Name(words) => {
            for w in words {
                let escaped = w
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                query = query.filter(guests::name_key.like(format!("%{escaped}%")).escape('\\'));
            }
        }
    }
    query.load(conn)
}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    #[derive(QueryableByName)]
    struct Step {
        #[diesel(sql_type = diesel::sql_types::Text)]
        detail: String,
    }

    fn guest(card: &str) -> super::GuestRow {
        super::GuestRow {
            id: crate::ids::GuestId::new(),
            card_number: card.to_owned(),
            given_name: "Ana".into(),
            family_name: "Pop".into(),
            name_key: "ana pop".into(),
            birth_date: None,
            birth_year: 1980,
            gender: "woman".into(),
            citizenship: "RO".into(),
            residence_permit_country: None,
            needs: "[]".into(),
            created_at: chrono::DateTime::UNIX_EPOCH.naive_utc(),
            created_by: "desk".into(),
            pseudonymised_at: None,
            given_block: "an".into(),
            family_block: "po".into(),
            language: "sv".into(),
        }
    }

    #[test]
    fn a_card_number_taken_inserts_nothing_and_another_goes_in() {
        let mut conn =
            super::DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("open"));
        crate::db::run_migrations(&mut conn).expect("migrations");
        assert!(super::insert_new(&mut conn, &guest("AAAA1111")).expect("insert"));
        assert!(!super::insert_new(&mut conn, &guest("AAAA1111")).expect("a clash"));
        assert!(super::insert_new(&mut conn, &guest("BBBB2222")).expect("insert"));
        let n: i64 = super::guests::table
            .count()
            .get_result(&mut conn)
            .expect("count");
        assert_eq!(n, 2);
    }

    /// The plan SQLite makes without statistics (the service never runs
    /// `ANALYZE`): the block is an equality and the years a range inside
    /// it. With the years first it took the birth-year index and read
    /// every guest born in the range.
    #[test]
    fn the_duplicate_search_reads_one_block_of_names_through_its_index() {
        let mut conn =
            super::DbConnection::Sqlite(SqliteConnection::establish(":memory:").expect("open"));
        crate::db::run_migrations(&mut conn).expect("migrations");
        let plan: Vec<Step> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {}", super::BY_BLOCKS))
            .load(&mut conn)
            .expect("a plan");
        // Each half of the one statement through its own block's index.
        let searches: Vec<String> = plan
            .into_iter()
            .map(|s| s.detail)
            .filter(|d| d.starts_with("SEARCH") || d.starts_with("SCAN"))
            .collect();
        let expected: Vec<String> = [
            ("guests_given_block", "given_block"),
            ("guests_family_block", "family_block"),
        ]
        .iter()
        .map(|(index, column)| {
            format!(
                "SEARCH guests USING INDEX {index} ({column}=? AND birth_year>? AND birth_year<?)"
            )
        })
        .collect();
        assert_eq!(searches, expected);
    }
}
