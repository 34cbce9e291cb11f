//! One writer per SQLite database file, committing in groups.
//!
//! SQLite lets one transaction write at a time. Before, each act wrote on
//! its own pooled connection and the acts of this process took turns on a
//! lock: every commit wrote all the pages the act touched to the log, and
//! the next act's connection read again every page the last one changed
//! (each connection keeps a cache of its own). Now the acts take turns on
//! one connection that this process keeps for writing, whose cache and
//! prepared statements stay warm, and they commit in groups:
//!
//! - The first act of a group begins the transaction (`BEGIN IMMEDIATE`)
//!   and runs alone in it, without a savepoint: when it fails, the
//!   transaction is rolled back whole.
//! - When it is done and other acts are waiting for their turn, it does
//!   not commit: it hands the connection on and waits. Each act that joins
//!   the open group runs in a savepoint of its own, so it still succeeds
//!   or fails alone.
//! - The act that finds nobody waiting (or the group full) commits the
//!   group, and every act in it is answered then: none is answered before
//!   its writes are durable, and if the commit fails, all of the group's
//!   acts fail and nothing of them is written.
//!
//! Under one desk every group is one act, as before. Under many, an act's
//! pages shared with the others (the kept counts, the audit chains' heads,
//! the upper levels of every index) go to the log once per group.
//!
//! Readers keep their pooled connections and see a group when it commits.
//! Another process writing the same file (the CLI) meets SQLite's busy
//! timeout, as before. PostgreSQL has writers in parallel and none of this.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock, Weak};
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error};
use diesel::sql_types::Text;
use parking_lot::{ArcMutexGuard, Condvar, Mutex, RawMutex};

use super::DbConnection;

/// As long as an act waits for its turn; past that it writes on its own
/// connection and SQLite's busy timeout decides, rather than wait for ever.
const PATIENCE: Duration = Duration::from_secs(10);

/// The most acts one group holds: it bounds how long the first of them
/// waits for its answer.
const GROUP_MAX: usize = 32;

/// How often an act that waits for its group's commit looks whether the
/// group was left open (the act counted as waiting gave up its turn).
const UNCLAIMED: Duration = Duration::from_millis(50);

/// The writers of this process by database file; a pool holds its
/// writer, so the entry lives as long as a pool on that file does.
static WRITERS: LazyLock<Mutex<HashMap<String, Weak<Writer>>>> = LazyLock::new(Mutex::default);

/// The writing connection of one SQLite file and its open group.
pub struct Writer {
    file: String,
    /// Acts waiting for their turn: while there are any, a finished act
    /// hands the open group on instead of committing it.
    waiting: AtomicUsize,
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").field("file", &self.file).finish()
    }
}

struct State {
    conn: DbConnection,
    /// The connection must be opened again before the next act (a
    /// rollback failed and left it in an unknown state).
    broken: bool,
    group: Option<Group>,
}

/// The acts written since the group's `BEGIN` and not yet committed.
struct Group {
    acts: usize,
    outcome: Arc<Outcome>,
}

/// How a group ended: committed, or the commit's error for all its acts.
#[derive(Default)]
struct Outcome {
    result: Mutex<Option<Result<(), String>>>,
    settled: Condvar,
}

impl Outcome {
    fn settle(&self, result: Result<(), String>) {
        *self.result.lock() = Some(result);
        self.settled.notify_all();
    }

    /// Waits until the group is committed or has failed.
    fn wait(self: &Arc<Self>, writer: &Writer) -> QueryResult<()> {
        loop {
            {
                let mut result = self.result.lock();
                if let Some(r) = result.as_ref() {
                    return r.clone().map_err(group_failed);
                }
                if !self.settled.wait_for(&mut result, UNCLAIMED).timed_out() {
                    continue;
                }
            }
            // Nobody has the turn or waits for it, and the group is still
            // open: the act counted as waiting gave up. Commit it here.
            if writer.waiting.load(Ordering::SeqCst) == 0
                && let Some(mut state) = writer.state.try_lock_arc()
                && state
                    .group
                    .as_ref()
                    .is_some_and(|g| Arc::ptr_eq(&g.outcome, self))
            {
                // Its outcome is settled for every act of the group, this
                // one included: the next round reads it.
                let _ = commit_group(&mut state);
            }
        }
    }
}

fn group_failed(message: String) -> Error {
    Error::DatabaseError(
        DatabaseErrorKind::Unknown,
        Box::new(format!("the commit of this act's group failed: {message}")),
    )
}

type Tm = <DbConnection as Connection>::TransactionManager;

/// Commits the open group and tells its acts.
fn commit_group(state: &mut State) -> QueryResult<()> {
    let Some(group) = state.group.take() else {
        return Ok(());
    };
    let result = Tm::commit_transaction(&mut state.conn);
    if result.is_err() && Tm::rollback_transaction(&mut state.conn).is_err() {
        state.broken = true;
    }
    group
        .outcome
        .settle(result.as_ref().map(drop).map_err(|e| e.to_string()));
    result
}

/// Rolls the open group back whole (the connection is not where an act
/// can be undone alone) and tells its acts.
fn abort_group(state: &mut State, why: &Error) {
    if Tm::rollback_transaction(&mut state.conn).is_err() {
        state.broken = true;
    }
    if let Some(group) = state.group.take() {
        group.outcome.settle(Err(why.to_string()));
    }
}

#[derive(QueryableByName)]
struct MainFile {
    #[diesel(sql_type = Text)]
    file: String,
}

/// The file of a connection's main database; `None` for an in-memory
/// database (each connection its own) or when it cannot be read.
pub fn file_of(conn: &mut SqliteConnection) -> Option<String> {
    // Prepared once per connection: it runs at every write.
    let main =
        super::prepared::prepared("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .get_result::<MainFile>(conn)
            .ok()?;
    (!main.file.is_empty()).then_some(main.file)
}

/// The writer of `file` in this process, made with a connection from
/// `open` when there is none yet.
pub fn register(
    file: &str,
    open: impl FnOnce(&str) -> Result<SqliteConnection, String>,
) -> Result<Arc<Writer>, String> {
    let mut writers = WRITERS.lock();
    if let Some(writer) = writers.get(file).and_then(Weak::upgrade) {
        return Ok(writer);
    }
    let writer = Arc::new(Writer {
        file: file.to_owned(),
        waiting: AtomicUsize::new(0),
        state: Arc::new(Mutex::new(State {
            conn: DbConnection::Sqlite(open(file)?),
            broken: false,
            group: None,
        })),
    });
    writers.insert(file.to_owned(), Arc::downgrade(&writer));
    Ok(writer)
}

/// The writer of the connection's database file, if a pool registered one.
pub fn of(conn: &mut SqliteConnection) -> Option<Arc<Writer>> {
    let file = file_of(conn)?;
    WRITERS.lock().get(&file).and_then(Weak::upgrade)
}

impl Drop for Writer {
    fn drop(&mut self) {
        let mut writers = WRITERS.lock();
        if writers
            .get(&self.file)
            .is_some_and(|w| w.strong_count() == 0)
        {
            writers.remove(&self.file);
        }
    }
}

/// An act's turn on the writing connection, from its begin to its end.
pub struct Turn {
    writer: Arc<Writer>,
    state: ArcMutexGuard<RawMutex, State>,
    /// Whether the act joined an open group (and so runs in a savepoint).
    follower: bool,
}

impl Writer {
    /// Waits for the turn and begins the act: the group's transaction, or
    /// a savepoint in the open group. `None` when it waited [`PATIENCE`]
    /// in vain.
    pub fn begin(
        self: &Arc<Self>,
        open: impl FnOnce(&str) -> Result<SqliteConnection, String>,
    ) -> Option<QueryResult<Turn>> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let state = self.state.try_lock_arc_for(PATIENCE);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        let Some(mut state) = state else {
            tracing::warn!(
                "an SQLite writer waited 10 s for its turn; going on to the busy timeout"
            );
            return None;
        };
        if state.broken {
            match open(&self.file) {
                Ok(conn) => {
                    state.conn = DbConnection::Sqlite(conn);
                    state.broken = false;
                }
                Err(e) => return Some(Err(group_failed(e))),
            }
        }
        let follower = state.group.is_some();
        let begun = if follower {
            Tm::begin_transaction(&mut state.conn)
        } else {
            match &mut state.conn {
                DbConnection::Sqlite(c) => {
                    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")
                }
                DbConnection::Postgres(c) => AnsiTransactionManager::begin_transaction(c),
            }
        };
        if let Err(e) = begun {
            if follower {
                // The group goes on without this act; it must not be left
                // open for want of the act that would have closed it.
                self.close_or_hand_on(state);
            }
            return Some(Err(e));
        }
        let group = state.group.get_or_insert_with(|| Group {
            acts: 0,
            outcome: Arc::default(),
        });
        group.acts += 1;
        Some(Ok(Turn {
            writer: self.clone(),
            state,
            follower,
        }))
    }

    /// After an act: hands the open group to the acts waiting for their
    /// turn, or commits it when there are none or it is full. Answers the
    /// group's outcome.
    fn close_or_hand_on(&self, mut state: ArcMutexGuard<RawMutex, State>) -> GroupEnd {
        let Some(group) = state.group.as_ref() else {
            return GroupEnd::Ended(Ok(()));
        };
        if self.waiting.load(Ordering::SeqCst) > 0 && group.acts < GROUP_MAX {
            let outcome = group.outcome.clone();
            drop(state);
            GroupEnd::Pending(outcome)
        } else {
            GroupEnd::Ended(commit_group(&mut state))
        }
    }
}

enum GroupEnd {
    Ended(QueryResult<()>),
    Pending(Arc<Outcome>),
}

impl Turn {
    /// The writing connection.
    pub fn conn(&mut self) -> &mut DbConnection {
        &mut self.state.conn
    }

    /// The writing connection, to read.
    pub fn conn_ref(&self) -> &DbConnection {
        &self.state.conn
    }

    /// Ends the act: kept (`commit`) or undone alone, and answered once
    /// its group is committed.
    pub fn finish(self, commit: bool) -> QueryResult<()> {
        let Turn {
            writer,
            mut state,
            follower,
        } = self;
        if !follower {
            if !commit {
                // Alone in the group (nobody joins while it runs).
                let undone = Tm::rollback_transaction(&mut state.conn);
                if undone.is_err() {
                    state.broken = true;
                }
                if let Some(group) = state.group.take() {
                    group.outcome.settle(Err("rolled back".into()));
                }
                return undone;
            }
        } else {
            let own = if commit {
                Tm::commit_transaction(&mut state.conn)
            } else {
                Tm::rollback_transaction(&mut state.conn)
            };
            if let Err(e) = own {
                // The savepoint could not be released or undone: the
                // connection is not where this act can be told from the
                // others, so the group fails whole.
                abort_group(&mut state, &e);
                return Err(e);
            }
        }
        // An act undone alone waits for its group too: what it answers
        // (a refusal, a replayed answer) may rest on the writes of the
        // acts before it, which nobody may see before they are committed.
        match writer.close_or_hand_on(state) {
            GroupEnd::Ended(result) => result,
            GroupEnd::Pending(outcome) => outcome.wait(&writer),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::connection::SimpleConnection;

    fn open(file: &str) -> Result<SqliteConnection, String> {
        let mut c = SqliteConnection::establish(file).map_err(|e| e.to_string())?;
        c.batch_execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000;")
            .map_err(|e| e.to_string())?;
        Ok(c)
    }

    fn count(file: &str) -> i64 {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut c = open(file).expect("open");
        diesel::sql_query("SELECT count(*) AS n FROM t")
            .get_result::<N>(&mut c)
            .expect("count")
            .n
    }

    fn insert(turn: &mut Turn, v: &str) {
        diesel::sql_query("INSERT INTO t (v) VALUES (?)")
            .bind::<Text, _>(v)
            .execute(turn.conn())
            .expect("insert");
    }

    fn world() -> (tempfile::TempDir, String, Arc<Writer>) {
        let dir = tempfile::tempdir().expect("temporary directory");
        let file = dir.path().join("w.db").to_string_lossy().into_owned();
        open(&file)
            .expect("open")
            .batch_execute("CREATE TABLE t (v TEXT NOT NULL UNIQUE)")
            .expect("table");
        let writer = register(&file, open).expect("a writer");
        (dir, file, writer)
    }

    #[test]
    fn one_file_has_one_writer_and_two_files_two_while_a_pool_holds_them() {
        let (_dir, file, writer) = world();
        let (_other_dir, _other_file, other) = world();
        assert!(Arc::ptr_eq(
            &writer,
            &register(&file, |_| Err("not opened again".into())).expect("the same writer")
        ));
        assert!(!Arc::ptr_eq(&writer, &other));
        let mut conn = open(&file).expect("open");
        assert!(of(&mut conn).is_some_and(|w| Arc::ptr_eq(&w, &writer)));
        drop(writer);
        assert!(of(&mut conn).is_none(), "gone with the last pool");
        let mut memory = SqliteConnection::establish(":memory:").expect("open");
        assert!(
            file_of(&mut memory).is_none(),
            "an in-memory database is its own"
        );
    }

    #[test]
    fn an_act_alone_is_committed_or_rolled_back_whole() {
        let (_dir, file, writer) = world();
        let mut kept = writer.begin(open).expect("a turn").expect("begun");
        assert!(!kept.follower);
        insert(&mut kept, "a");
        kept.finish(true).expect("committed");
        let mut undone = writer.begin(open).expect("a turn").expect("begun");
        insert(&mut undone, "b");
        undone.finish(false).expect("rolled back");
        assert_eq!(count(&file), 1);
    }

    /// Waits until the act holding the turn has handed the open group on
    /// and `acts` acts have joined it.
    fn handed_on(writer: &Writer, acts: usize) {
        loop {
            if let Some(state) = writer.state.try_lock()
                && state.group.as_ref().is_some_and(|g| g.acts == acts)
            {
                return;
            }
            std::thread::yield_now();
        }
    }

    /// An act on a thread of its own (a turn stays on the thread that
    /// took it): begun, `work`, finished; it tells when it is answered.
    fn act_on_thread(
        writer: &Arc<Writer>,
        work: impl FnOnce(&mut Turn) -> bool + Send + 'static,
    ) -> (
        std::thread::JoinHandle<QueryResult<()>>,
        std::sync::mpsc::Receiver<()>,
    ) {
        let (answered_tx, answered) = std::sync::mpsc::channel();
        let w = writer.clone();
        let act = std::thread::spawn(move || {
            let mut turn = w.begin(open).expect("a turn").expect("begun");
            let keep = work(&mut turn);
            let r = turn.finish(keep);
            answered_tx.send(()).expect("send");
            r
        });
        (act, answered)
    }

    #[test]
    fn acts_that_join_a_group_fail_alone_and_all_are_answered_after_its_commit() {
        let (_dir, file, writer) = world();
        // Another act is counted as waiting for its turn (by hand here, so
        // the group stays open until the test lets it close): the first
        // act, done, hands the group on and is not answered yet.
        writer.waiting.fetch_add(1, Ordering::SeqCst);
        let (first, first_answered) = act_on_thread(&writer, |t| {
            assert!(!t.follower);
            insert(t, "a");
            true
        });
        handed_on(&writer, 1);
        // The next joins the open group, sees its writes and is undone
        // alone; it is not answered before the group is committed either.
        let (second, second_answered) = act_on_thread(&writer, |t| {
            assert!(t.follower, "joined the open group");
            insert(t, "b");
            assert!(
                diesel::sql_query("INSERT INTO t (v) VALUES ('a')")
                    .execute(t.conn())
                    .is_err(),
                "sees the group's own writes"
            );
            false
        });
        handed_on(&writer, 2);
        assert!(first_answered.try_recv().is_err(), "first not answered");
        assert!(second_answered.try_recv().is_err(), "second not answered");
        assert_eq!(count(&file), 0, "nothing visible before the commit");
        // A third joins, and with nobody waiting any more commits them all.
        let mut third = writer.begin(open).expect("a turn").expect("begun");
        assert!(third.follower);
        insert(&mut third, "c");
        writer.waiting.fetch_sub(1, Ordering::SeqCst);
        third.finish(true).expect("committed with the group");
        first
            .join()
            .expect("thread")
            .expect("committed with the group");
        second
            .join()
            .expect("thread")
            .expect("undone, its group committed");
        assert_eq!(count(&file), 2, "a and c, not b");
    }

    #[test]
    fn a_group_left_open_by_an_act_that_gave_up_its_turn_is_committed_by_its_waiter() {
        let (_dir, file, writer) = world();
        writer.waiting.fetch_add(1, Ordering::SeqCst);
        let (first, _answered) = act_on_thread(&writer, |t| {
            insert(t, "a");
            true
        });
        handed_on(&writer, 1);
        // The act counted as waiting gives up without taking its turn.
        writer.waiting.fetch_sub(1, Ordering::SeqCst);
        first.join().expect("the act").expect("committed");
        assert_eq!(count(&file), 1);
    }

    #[test]
    fn many_threads_each_get_their_own_answer() {
        let (_dir, file, writer) = world();
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let writer = writer.clone();
                std::thread::spawn(move || {
                    let mut kept = 0;
                    for i in 0..200 {
                        let mut turn = writer.begin(open).expect("a turn").expect("begun");
                        // Every fifth act fails on the unique value and is
                        // undone alone.
                        let v = if i % 5 == 4 {
                            "taken".to_owned()
                        } else {
                            format!("{t}-{i}")
                        };
                        let ok = diesel::sql_query("INSERT INTO t (v) VALUES (?)")
                            .bind::<Text, _>(&v)
                            .execute(turn.conn())
                            .is_ok();
                        if ok {
                            turn.finish(true).expect("committed");
                            kept += 1;
                        } else {
                            turn.finish(false).expect("undone");
                        }
                    }
                    kept
                })
            })
            .collect();
        let kept: i64 = threads.into_iter().map(|t| t.join().expect("thread")).sum();
        assert_eq!(count(&file), kept, "every act answered kept is there");
        assert_eq!(
            kept,
            8 * 160 + 1,
            "one 'taken' got in, the others failed alone"
        );
    }
}
