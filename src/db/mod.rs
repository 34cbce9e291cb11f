//! The database: SQLite (embedded default) or PostgreSQL, chosen from
//! `DATABASE_URL`, behind one diesel [`MultiConnection`] and one r2d2 pool.
//! Migrations are embedded per backend and run at start.
//!
//! Per-backend branches live only where the SQL differs (transactions here,
//! row locks and upserts in their own functions).

pub mod bans;
pub mod bulk;
pub mod coldnights;
pub mod counts;
pub mod followup;
pub mod guests;
pub mod idempotency;
pub mod invariants;
pub mod lottery;
pub mod occupancy;
pub mod partnerships;
pub mod places;
pub mod prepared;
pub mod schema;
pub mod seed;
pub mod stays;
pub mod summaries;
pub mod users;
pub mod writer;
// the pages (issue 16)
pub mod tonight;
pub mod web_sessions;
// reports (issue 7)
pub mod feedback;
pub mod reports;

use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use secrecy::ExposeSecret;

use crate::config::DatabaseUrl;

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

pub type DbPool = Pool<DbManager>;
pub type PooledConn = r2d2::PooledConnection<DbManager>;

/// A connection of the pool, with the moment it was last given back: the
/// pool asks PostgreSQL whether a connection is still there only when it
/// has lain idle ([`CHECK_AFTER_IDLE`]), not before every use.
pub struct Pooled {
    conn: DbConnection,
    returned: std::time::Instant,
}

impl std::ops::Deref for Pooled {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Pooled {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// How long a PostgreSQL connection may lie idle in the pool and still be
/// handed out without a `SELECT 1` first. A server restarted, a failover
/// or a firewall's idle timeout leaves idle connections dead: those are
/// found before use. A connection given back a moment ago was alive then;
/// should it have died since, its act fails with `unavailable` (503,
/// `Retry-After`) and the pool drops it (`has_broken`: diesel marks the
/// connection's transaction state broken when libpq loses it).
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(2);

/// Opens connections of the one backend `DATABASE_URL` names. (diesel's
/// generic manager would try every backend in turn, and SQLite accepts any
/// string as a file name.)
#[derive(Debug, Clone)]
pub struct DbManager {
    url: DatabaseUrl,
    /// How long a PostgreSQL connection may lie idle and be handed out
    /// unchecked ([`CHECK_AFTER_IDLE`]).
    check_after_idle: Duration,
    /// On SQLite, the writing connection of the file ([`writer`]), made
    /// with the first connection and kept as long as the pool is.
    writer: std::sync::Arc<std::sync::OnceLock<std::sync::Arc<writer::Writer>>>,
}

impl DbManager {
    pub fn new(url: DatabaseUrl) -> Self {
        Self {
            url,
            check_after_idle: CHECK_AFTER_IDLE,
            writer: std::sync::Arc::default(),
        }
    }
}

/// Opens an SQLite connection as a server uses it: readers never wait
/// for the writer, a writer waits for another (of another process)
/// instead of failing at once, and a savepoint's journal stays in memory
/// instead of a new temporary file per write transaction.
fn open_sqlite(path: &str) -> Result<SqliteConnection, r2d2::Error> {
    let mut conn = SqliteConnection::establish(path).map_err(r2d2::Error::ConnectionError)?;
    conn.batch_execute(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = NORMAL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 10000;
         PRAGMA temp_store = MEMORY;",
    )
    .and_then(|()| {
        conn.batch_execute(&format!(
            "PRAGMA wal_autocheckpoint = {AUTOCHECKPOINT_PAGES};"
        ))
    })
    .map_err(r2d2::Error::QueryError)?;
    Ok(conn)
}

/// The writing connection's page cache, in KiB: every act's pages pass
/// through it (SQLite's default is 2 MiB per connection).
const WRITER_CACHE_KIB: u32 = 32 * 1024;

/// [`open_sqlite`] for the writer, with a larger page cache; it tells its
/// errors as text.
fn open_writer(path: &str) -> Result<SqliteConnection, String> {
    let mut conn = open_sqlite(path).map_err(|e| e.to_string())?;
    conn.batch_execute(&format!("PRAGMA cache_size = -{WRITER_CACHE_KIB};"))
        .map_err(|e| e.to_string())?;
    Ok(conn)
}

impl ManageConnection for DbManager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        Ok(Pooled {
            conn: self.open()?,
            returned: std::time::Instant::now(),
        })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), r2d2::Error> {
        match &mut conn.conn {
            // A file this process holds open: it cannot be dropped.
            DbConnection::Sqlite(_) => Ok(()),
            DbConnection::Postgres(_) if conn.returned.elapsed() < self.check_after_idle => Ok(()),
            c @ DbConnection::Postgres(_) => {
                c.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
            }
        }
    }

    /// Called as the pool takes a connection back: the moment is noted
    /// for [`Self::is_valid`].
    fn has_broken(&self, conn: &mut Pooled) -> bool {
        conn.returned = std::time::Instant::now();
        match &mut conn.conn {
            DbConnection::Sqlite(_) => false,
            DbConnection::Postgres(c) => {
                // A connection left inside a transaction is not reusable,
                // nor one whose server is gone (libpq's status unknown:
                // diesel then marks the transaction state broken too).
                AnsiTransactionManager::is_broken_transaction_manager(c)
            }
        }
    }
}

impl DbManager {
    /// A new connection of the backend `DATABASE_URL` names.
    fn open(&self) -> Result<DbConnection, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Sqlite(path) => {
                let mut conn = open_sqlite(&path.to_string_lossy())?;
                if self.writer.get().is_none()
                    && let Some(file) = writer::file_of(&mut conn)
                {
                    match writer::register(&file, open_writer) {
                        Ok(w) => {
                            let _ = self.writer.set(w);
                        }
                        // The acts then write on their own connections.
                        Err(e) => tracing::warn!("no writing connection for SQLite: {e}"),
                    }
                }
                Ok(DbConnection::Sqlite(conn))
            }
            DatabaseUrl::Postgres(url) => PgConnection::establish(url.expose_secret())
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
        }
    }
}

/// Checkpoints an SQLite database off the writers' path: a thread of its
/// own copies the write-ahead log into the database (`PASSIVE`: it never
/// waits for a reader or a writer) a moment after writes, so that a
/// writer's commit seldom meets the checkpoint SQLite would run itself
/// (its own stays as a backstop at [`AUTOCHECKPOINT_PAGES`]). It stops
/// when dropped. PostgreSQL checkpoints itself.
pub struct Checkpointer {
    /// Held for its `Drop`, which stops the thread.
    _thread: Background,
}

/// A thread of its own that runs until dropped: given the flag that says
/// when to stop, it parks between rounds, and is woken to stop at once.
pub struct Background {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Background {
    /// Starts `body` on a thread named `name`; `None` if no thread could
    /// be started.
    pub fn spawn(
        name: &str,
        body: impl FnOnce(&std::sync::atomic::AtomicBool) + Send + 'static,
    ) -> Option<Self> {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new()
            .name(name.into())
            .spawn(move || body(&stopped))
            .ok()?;
        Some(Self {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.thread().unpark();
            let _ = t.join();
        }
    }
}

/// The log's length at which a writer checkpoints itself: far more than
/// the checkpointer lets it reach under load.
const AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// How long the checkpointer waits between two looks at the writes.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

impl Checkpointer {
    /// Starts the checkpointer of an SQLite database; `None` on PostgreSQL
    /// and for an in-memory database.
    pub fn start(url: &DatabaseUrl) -> Option<Self> {
        let DatabaseUrl::Sqlite(path) = url else {
            return None;
        };
        let path = path.to_string_lossy().into_owned();
        if path.is_empty() || path == ":memory:" {
            return None;
        }
        Background::spawn("sqlite-checkpoint", move |stop| {
            checkpoint_while(&path, stop)
        })
        .map(|b| Self { _thread: b })
    }
}

/// What `PRAGMA wal_checkpoint` answers.
#[derive(diesel::QueryableByName)]
#[allow(dead_code)] // read by diesel; the checkpointer needs no field
struct Checkpoint {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    busy: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    log: i32,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    checkpointed: i32,
}

fn checkpoint_while(path: &str, stop: &std::sync::atomic::AtomicBool) {
    use std::sync::atomic::Ordering;
    let mut conn: Option<SqliteConnection> = None;
    // Once at the start (what an earlier process left in the log), then
    // after writes.
    let mut checkpointed_at = None;
    while !stop.load(Ordering::SeqCst) {
        let writes = committed_writes();
        if checkpointed_at == Some(writes) {
            std::thread::park_timeout(CHECKPOINT_EVERY);
            continue;
        }
        if conn.is_none() {
            conn = SqliteConnection::establish(path)
                .and_then(|mut c| {
                    c.batch_execute("PRAGMA busy_timeout = 1000;")
                        .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                    Ok(c)
                })
                .map_err(
                    |e| tracing::warn!(error = %e, "the checkpointer cannot open the database"),
                )
                .ok();
        }
        let Some(c) = conn.as_mut() else { continue };
        // Prepared once, like every statement that runs again and again.
        use diesel::RunQueryDsl;
        let checkpoint = prepared::prepared("PRAGMA wal_checkpoint(PASSIVE)")
            .load::<Checkpoint>(c)
            .map(drop);
        match checkpoint {
            Ok(()) => checkpointed_at = Some(writes),
            Err(e) => {
                tracing::warn!(error = %e, "a checkpoint failed; trying again");
                conn = None;
            }
        }
        std::thread::park_timeout(CHECKPOINT_EVERY);
    }
}

/// Builds the pool. It does not wait for the database: `/ready` and each
/// request find out whether it is there.
pub fn build_pool(url: &DatabaseUrl, size: u32) -> DbPool {
    build_pool_checking_after(url, size, CHECK_AFTER_IDLE)
}

/// [`build_pool`], with the idle time after which a PostgreSQL connection
/// is checked before use (the tests' knob).
pub fn build_pool_checking_after(url: &DatabaseUrl, size: u32, idle: Duration) -> DbPool {
    let size = if url.is_sqlite() {
        size.clamp(1, 16)
    } else {
        size
    };
    Pool::builder()
        .max_size(size)
        .min_idle(Some(0))
        // A `SELECT 1` before the use of a PostgreSQL connection that has
        // lain idle finds one the server or the network has dropped
        // (`DbManager::is_valid`; the outage test).
        .test_on_check_out(true)
        .connection_timeout(Duration::from_secs(5))
        .build_unchecked(DbManager {
            check_after_idle: idle,
            ..DbManager::new(url.clone())
        })
}

/// Runs the pending migrations of the connection's backend.
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.len())
}

/// An online, consistent copy of an SQLite database into a new file
/// (`VACUUM INTO`: one read transaction, so writers go on meanwhile and the
/// copy is the database as of one instant, compacted). PostgreSQL has its
/// own tools (pg_dump, base backups) and is refused here.
pub fn backup_sqlite(conn: &mut DbConnection, to: &std::path::Path) -> anyhow::Result<()> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::Text;
    let DbConnection::Sqlite(c) = conn else {
        anyhow::bail!(
            "backup copies SQLite databases; for PostgreSQL use pg_dump (see deploy/README.md)"
        );
    };
    if to.exists() {
        anyhow::bail!("{} exists already; a backup never overwrites", to.display());
    }
    let path = to
        .to_str()
        .ok_or_else(|| anyhow::anyhow!("the backup path is not valid UTF-8"))?;
    diesel::sql_query("VACUUM INTO ?")
        .bind::<Text, _>(path)
        .execute(c)?;
    Ok(())
}

/// Whether every embedded migration has been applied.
pub fn is_migrated(conn: &mut DbConnection) -> anyhow::Result<bool> {
    let pending = match conn {
        DbConnection::Sqlite(c) => c.has_pending_migration(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.has_pending_migration(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("cannot read migrations: {e}"))?;
    Ok(!pending)
}

/// Reverts every migration (for the migration tests and `nattplats migrate
/// --revert-all` is deliberately not offered).
pub fn revert_all_migrations(conn: &mut DbConnection) -> anyhow::Result<usize> {
    let reverted = match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("revert failed: {e}"))?;
    Ok(reverted.len())
}

/// Reverts the newest applied migration (for the tests of an upgrade over
/// data written before it).
pub fn revert_last_migration(conn: &mut DbConnection) -> anyhow::Result<String> {
    let reverted = match conn {
        DbConnection::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.revert_last_migration(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("revert failed: {e}"))?;
    Ok(reverted.to_string())
}

/// The same code on either backend's connection, where diesel builds it
/// per backend (the transaction manager): `on_backend!(conn, c => ...)`.
macro_rules! on_backend {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite($c) => $body,
            $crate::db::DbConnection::Postgres($c) => $body,
        }
    };
}

/// An open write transaction, read top to bottom by the act that holds
/// it: `Tx::begin`, the act's statements on `&mut tx` (it is a
/// connection), then `tx.commit()`. Dropped without a commit, it rolls
/// back, so an early return or `?` never leaves half an act behind.
///
/// On SQLite the act writes on the file's one writing connection, in a
/// group of acts committed together ([`writer`]); `commit` answers once
/// the group is durable. Without a writer (a connection no pool opened)
/// it begins `IMMEDIATE` on its own connection, so the write lock is
/// taken before the first read and two writers queue instead of one
/// failing on upgrade.
pub struct Tx<'c> {
    /// The connection the act was given; it writes here unless it has a
    /// turn on the writer, and stays borrowed either way.
    conn: &'c mut DbConnection,
    turn: Option<writer::Turn>,
    open: bool,
}

impl<'c> Tx<'c> {
    /// Begins a write transaction on a connection that has none open.
    pub fn begin(conn: &'c mut DbConnection) -> diesel::QueryResult<Self> {
        let writer = match conn {
            DbConnection::Sqlite(c) => writer::of(c),
            DbConnection::Postgres(_) => None,
        };
        if let Some(turn) = writer.and_then(|w| w.begin(open_writer)) {
            return Ok(Self {
                conn,
                turn: Some(turn?),
                open: true,
            });
        }
        match conn {
            DbConnection::Sqlite(c) => {
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
            }
            DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c)?,
        }
        Ok(Self {
            conn,
            turn: None,
            open: true,
        })
    }

    /// Commits; a failed commit is rolled back, so the connection can be
    /// used again.
    pub fn commit(mut self) -> diesel::QueryResult<()> {
        self.open = false;
        let result = match self.turn.take() {
            Some(turn) => turn.finish(true),
            None => {
                type Tm = <DbConnection as Connection>::TransactionManager;
                let result = Tm::commit_transaction(self.conn);
                if result.is_err() {
                    let _ = Tm::rollback_transaction(self.conn);
                }
                result
            }
        };
        COMMITTED_WRITES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        result
    }

    /// Rolls back and tells why it could not.
    pub fn rollback(mut self) -> diesel::QueryResult<()> {
        self.open = false;
        let result = self.undo();
        COMMITTED_WRITES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        result
    }

    fn undo(&mut self) -> diesel::QueryResult<()> {
        type Tm = <DbConnection as Connection>::TransactionManager;
        match self.turn.take() {
            Some(turn) => turn.finish(false),
            None => Tm::rollback_transaction(self.conn),
        }
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            // A failed rollback leaves the connection broken; the pool
            // then drops it (`has_broken`), the writer opens another.
            let _ = self.undo();
            // Counting one too many is harmless.
            COMMITTED_WRITES.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        match &self.turn {
            Some(turn) => turn.conn_ref(),
            None => self.conn,
        }
    }
}

impl std::ops::DerefMut for Tx<'_> {
    fn deref_mut(&mut self) -> &mut DbConnection {
        match &mut self.turn {
            Some(turn) => turn.conn(),
            None => self.conn,
        }
    }
}

/// Whether a transaction is open on the connection.
fn in_transaction(conn: &mut DbConnection) -> diesel::QueryResult<bool> {
    Ok(on_backend!(conn, c => {
        AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
    })?
    .is_some())
}

/// Runs `f` in a write transaction ([`Tx`]), or in a savepoint when one is
/// already open: for the small writes of the command line, the seed and
/// the storage's own helpers. An act of the service opens its [`Tx`]
/// itself, so its steps read in order.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if in_transaction(conn)? {
        return conn.transaction(f);
    }
    let mut tx = Tx::begin(conn)?;
    let value = f(&mut tx)?;
    tx.commit()?;
    Ok(value)
}

/// Write transactions finished in this process, whichever request opened
/// them (a GET may write too): an answer kept from before a change is
/// recognised by this count having moved on.
static COMMITTED_WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// How many write transactions this process has finished so far.
pub fn committed_writes() -> u64 {
    COMMITTED_WRITES.load(std::sync::atomic::Ordering::SeqCst)
}

/// Runs `f` in a read transaction: one consistent snapshot for all its
/// statements (on PostgreSQL that needs REPEATABLE READ; its default, READ
/// COMMITTED, takes a new snapshot per statement).
pub fn read_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if in_transaction(conn)? {
        return conn.transaction(f);
    }
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction(c)?,
        DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction_sql(
            c,
            "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )?,
    }
    finish_tx(conn, f)
}

fn finish_tx<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    type Tm = <DbConnection as Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => {
            if let Err(commit_error) = Tm::commit_transaction(conn) {
                // A failed commit leaves the transaction open on some
                // backends; roll it back so the connection is reusable.
                let _ = Tm::rollback_transaction(conn);
                return Err(commit_error.into());
            }
            Ok(value)
        }
        Err(e) => {
            Tm::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// A new opaque id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Whether a diesel error is a unique-constraint violation.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_checkpointer_copies_the_log_into_the_database_without_a_writer() {
        use diesel::RunQueryDsl;
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("c.db");
        let url = crate::config::DatabaseUrl::parse(&format!("sqlite://{}", file.display()))
            .expect("url");
        let pool = super::build_pool(&url, 1);
        let mut conn = pool.get().expect("connection");
        super::write_tx(&mut conn, |c| {
            diesel::sql_query("CREATE TABLE t (v TEXT NOT NULL)").execute(c)?;
            for _ in 0..1_000 {
                diesel::sql_query("INSERT INTO t (v) VALUES (hex(randomblob(512)))").execute(c)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .expect("writes");
        let size = || std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        // About 1 MB went to the log; the writer did not checkpoint it.
        assert!(
            size() < 100_000,
            "the writer checkpointed: {} bytes",
            size()
        );

        let checkpointer = super::Checkpointer::start(&url).expect("a checkpointer");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while size() < 1_000_000 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(size() >= 1_000_000, "not checkpointed: {} bytes", size());
        drop(checkpointer);
        assert!(
            super::Checkpointer::start(
                &crate::config::DatabaseUrl::parse("sqlite://:memory:").expect("url")
            )
            .is_none(),
            "an in-memory database has no log"
        );
    }
}
