//! Statements written as SQL text that each connection prepares once and
//! keeps.
//!
//! diesel keeps a prepared statement per connection only for queries it
//! can prove have one shape; an `UPDATE`, an `eq_any`, a multi-row insert
//! of a `Vec` and every `sql_query` are prepared anew at each execution,
//! and on SQLite that also compiles anew the programs of every trigger the
//! statement fires. A [`Prepared`] statement is one fixed SQL text with
//! its binds: diesel keys it by that text, so the connection prepares it
//! the first time and reuses it afterwards.
//!
//! The text must be a `&'static str`: a statement whose text is built at
//! run time (a list of values, a `LIMIT` as a literal that changes) would
//! fill the cache with one entry per shape.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// One statement: fixed SQL with a `?` where each bind goes, on either
/// backend (diesel writes PostgreSQL's `$1, $2, …` in their place), and
/// its binds in that order. A `?` is always a bind: the text has none in
/// a literal.
#[must_use = "a statement does nothing until it is executed or loaded"]
pub struct Prepared<B = ()> {
    sql: &'static str,
    binds: B,
}

/// A statement of fixed SQL, without binds yet.
pub fn prepared(sql: &'static str) -> Prepared<()> {
    Prepared { sql, binds: () }
}

/// A statement of fixed SQL with binds of its own kind (a number of rows
/// that the text was written for).
pub fn with_binds<B>(sql: &'static str, binds: B) -> Prepared<B> {
    Prepared { sql, binds }
}

/// A bound value after the binds before it.
pub struct Bind<Before, V, ST> {
    before: Before,
    value: V,
    sql_type: PhantomData<ST>,
}

impl<B> Prepared<B> {
    /// Binds the next parameter, of SQL type `ST`.
    pub fn bind<ST, V>(self, value: V) -> Prepared<Bind<B, V, ST>> {
        Prepared {
            sql: self.sql,
            binds: Bind {
                before: self.binds,
                value,
                sql_type: PhantomData,
            },
        }
    }
}

/// The binds of a statement, walked first to last: each writes the text
/// before its `?` and then itself.
pub trait Binds<DB: Backend> {
    fn walk<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>, text: &mut Text<'_>) -> QueryResult<()>;
}

/// The statement's text, cut at its `?`s.
pub struct Text<'s>(std::str::Split<'s, char>);

impl Text<'_> {
    /// Writes the text up to the next `?` and the bind in its place.
    pub fn bind<'b, DB, ST, V>(
        &mut self,
        out: &mut AstPass<'_, 'b, DB>,
        value: &'b V,
    ) -> QueryResult<()>
    where
        DB: Backend + HasSqlType<ST>,
        V: ToSql<ST, DB> + ?Sized,
    {
        let before = self.0.next().ok_or_else(|| {
            diesel::result::Error::QueryBuilderError("more binds than `?` in a statement".into())
        })?;
        out.push_sql(before);
        out.push_bind_param::<ST, V>(value)
    }
}

impl<DB: Backend> Binds<DB> for () {
    fn walk<'b>(&'b self, _out: &mut AstPass<'_, 'b, DB>, _text: &mut Text<'_>) -> QueryResult<()> {
        Ok(())
    }
}

impl<DB, Before, V, ST> Binds<DB> for Bind<Before, V, ST>
where
    DB: Backend + HasSqlType<ST>,
    Before: Binds<DB>,
    V: ToSql<ST, DB>,
{
    fn walk<'b>(&'b self, out: &mut AstPass<'_, 'b, DB>, text: &mut Text<'_>) -> QueryResult<()> {
        self.before.walk(out, text)?;
        text.bind::<DB, ST, V>(out, &self.value)
    }
}

impl<DB, B> QueryFragment<DB> for Prepared<B>
where
    DB: Backend,
    B: Binds<DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // Never `unsafe_to_cache_prepared`: the text is fixed, so the
        // connection's cache keys it by its SQL.
        let mut text = Text(self.sql.split('?'));
        self.binds.walk(&mut out, &mut text)?;
        let rest = text.0.next().unwrap_or_default();
        if text.0.next().is_some() {
            return Err(diesel::result::Error::QueryBuilderError(
                "fewer binds than `?` in a statement".into(),
            ));
        }
        out.push_sql(rest);
        Ok(())
    }
}

impl<B> QueryId for Prepared<B> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<B> Query for Prepared<B> {
    type SqlType = Untyped;
}

impl<B, Conn> RunQueryDsl<Conn> for Prepared<B> {}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use diesel::connection::{Instrumentation, InstrumentationEvent};
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};

    use super::prepared;

    /// The SQL of every statement the connection put in its cache.
    #[derive(Default, Clone)]
    struct Cached(Arc<Mutex<Vec<String>>>);

    impl Instrumentation for Cached {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::CacheQuery { sql, .. } = event
                && let Ok(mut seen) = self.0.lock()
            {
                seen.push(sql.to_owned());
            }
        }
    }

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Text)]
        name: String,
    }

    #[test]
    fn a_statement_is_prepared_once_and_binds_in_order() {
        let mut conn = SqliteConnection::establish(":memory:").expect("open");
        let cached = Cached::default();
        conn.set_instrumentation(cached.clone());
        diesel::sql_query("CREATE TABLE t (n INTEGER PRIMARY KEY, name TEXT NOT NULL)")
            .execute(&mut conn)
            .expect("table");
        for (n, name) in [(1_i64, "a"), (2, "b"), (3, "c")] {
            let written = prepared("INSERT INTO t (n, name) VALUES (?, ?)")
                .bind::<BigInt, _>(n)
                .bind::<Text, _>(name)
                .execute(&mut conn)
                .expect("insert");
            assert_eq!(written, 1);
        }
        let rows: Vec<Row> =
            prepared("SELECT n, name FROM t WHERE n >= ? AND name <> ? ORDER BY n")
                .bind::<BigInt, _>(2_i64)
                .bind::<Text, _>("c")
                .load(&mut conn)
                .expect("select");
        assert_eq!(
            rows,
            vec![Row {
                n: 2,
                name: "b".into()
            }]
        );
        let seen = cached.0.lock().expect("lock").clone();
        assert_eq!(
            seen.iter().filter(|s| s.starts_with("INSERT")).count(),
            1,
            "three inserts, one preparation: {seen:?}"
        );
        assert_eq!(seen.iter().filter(|s| s.starts_with("SELECT")).count(), 1);
    }
}
