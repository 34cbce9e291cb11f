//! The audit trail: every read or change of a guest's personal data, every
//! rule override, login, user change and ban, written in the same
//! transaction as the act (who, which roles, what, which guest, when, the
//! request id). Entries carry no names, only ids.
//!
//! Entries are hash-chained in [`CHAINS`] chains. An act appends to one
//! chain, preferably the one its request id (or, without one, its user)
//! gives, on PostgreSQL the next free one when another act holds that
//! (see `lock_chain`): entry
//! `n` of a chain stores the hash of entry `n - 1` of that chain and a
//! SHA-256 over its own fields and that hash; the chain's head row holds
//! its last link and hash and is locked while appending, so each chain has
//! one order even with several instances on one PostgreSQL, while acts on
//! different chains no longer wait for each other's commit. `seq` orders
//! the whole trail. Chain 0 holds the entries written while there was one
//! chain, with their hashes of then. [`verify`] walks every chain and names
//! every entry that was edited, removed or re-ordered since it was written.

use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::DbConnection;
use crate::db::schema::{audit_chains, audit_entries};

/// Who acts, as the audit records it.
#[derive(Debug, Clone)]
pub struct Who {
    pub user_id: String,
    pub roles: String,
    pub request_id: Option<String>,
}

impl Who {
    /// The service itself or an operator at the command line.
    pub fn system(name: &str) -> Self {
        Self {
            user_id: name.to_owned(),
            roles: "system".to_owned(),
            request_id: None,
        }
    }
}

/// What an entry is about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub guest_id: Option<String>,
    pub subject_id: Option<String>,
    /// Recorded as this action instead of the act's own.
    pub action: Option<&'static str>,
    /// The subject is a stay: with no guest named, the entry names the
    /// stay's guest, so the guest's trail and export hold the act (a
    /// refused check-in too).
    pub stay: bool,
}

/// An act to audit: who, what, and about whom it was attempted.
#[derive(Debug, Clone)]
pub struct Audit {
    pub who: Who,
    pub action: &'static str,
    pub attempted: Target,
}

impl Target {
    pub fn guest(id: impl Into<String>) -> Self {
        Self {
            guest_id: Some(id.into()),
            ..Self::default()
        }
    }

    pub fn subject(id: impl Into<String>) -> Self {
        Self {
            subject_id: Some(id.into()),
            ..Self::default()
        }
    }

    /// An act on a stay, about the stay's guest.
    pub fn stay(id: impl Into<String>) -> Self {
        Self {
            subject_id: Some(id.into()),
            stay: true,
            ..Self::default()
        }
    }

    pub fn both(guest_id: impl Into<String>, subject_id: impl Into<String>) -> Self {
        Self {
            guest_id: Some(guest_id.into()),
            subject_id: Some(subject_id.into()),
            ..Self::default()
        }
    }

    pub fn as_action(self, action: &'static str) -> Self {
        Self {
            action: Some(action),
            ..self
        }
    }

    /// The guest and the object an answer names (`guest_id`, and `id` or
    /// `stay_id`), for acts answered as JSON.
    pub fn of_answer(body: &serde_json::Value) -> Self {
        let text = |k: &str| body.get(k).and_then(|v| v.as_str()).map(str::to_owned);
        Self {
            guest_id: text("guest_id"),
            subject_id: text("id").or_else(|| text("stay_id")),
            ..Self::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = audit_entries, treat_none_as_default_value = false)]
pub struct Entry {
    pub seq: i64,
    pub at: NaiveDateTime,
    pub user_id: String,
    pub roles: String,
    pub action: String,
    pub guest_id: Option<String>,
    pub subject_id: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
    /// Which chain (0 for the entries of the one chain before there were
    /// several).
    pub chain: i32,
    /// Its place in its chain, from 1, without gaps.
    pub link: i64,
}

/// The chains new entries go to: 1 to `CHAINS` (the migration writes a
/// head row for each).
pub const CHAINS: i32 = 16;
// The chain lock's statement of PostgreSQL names the chains as a number.
const _: () = assert!(CHAINS == 16, "change the SQL of `lock_chain` too");

impl Entry {
    /// SHA-256 over every field but the hash itself, as one JSON array (an
    /// unambiguous encoding: no two different entries give the same text).
    /// Entries of chain 0 keep the form they were written in, without chain
    /// and link (there, the link is the sequence number).
    pub fn digest(&self) -> String {
        use serde_json::json;
        let mut fields = vec![
            json!(self.seq),
            json!(self.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()),
            json!(self.user_id),
            json!(self.roles),
            json!(self.action),
            json!(self.guest_id),
            json!(self.subject_id),
            json!(self.request_id),
            json!(self.prev_hash),
        ];
        if self.chain != 0 {
            fields.splice(0..0, [json!(self.chain), json!(self.link)]);
        }
        let fields = serde_json::Value::Array(fields);
        hex::encode(Sha256::digest(fields.to_string().as_bytes()))
    }
}

/// The chain an act of `who` appends to: the same for every entry of one
/// request (so a transaction locks one head), spread evenly over requests.
pub fn chain_of(who: &Who) -> i32 {
    let key = who.request_id.as_deref().unwrap_or(&who.user_id);
    // FNV-1a: stable across builds and instances, unlike the std hasher.
    let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    // The remainder is below CHAINS, so it fits.
    1 + i32::try_from(hash % CHAINS as u64).unwrap_or(0)
}

/// The locked head of the chain an act appends to, and the sequence
/// numbers of its entries.
struct Head {
    chain: i32,
    /// The chain's last link and hash.
    link: i64,
    hash: String,
    /// `n` new sequence numbers, ascending, taken after the head's lock
    /// (so `seq` grows along each chain too).
    seqs: Vec<i64>,
}

/// Locks the head of the chain to append to, reads it and takes `n`
/// sequence numbers. The head row is the chain's lock, one appender at a
/// time per chain, held until the act commits.
///
/// On PostgreSQL an appender takes `preferred` or, when another
/// transaction holds it, the next chain nobody holds (`SKIP LOCKED`, so
/// this never waits and never deadlocks), the numbers in the same round
/// trip; only with all chains held does it wait for `preferred`. A
/// transaction appending several entries finds its own chain first (its
/// own lock does not skip). SQLite has one writer at a time: `preferred`
/// is always free, and the numbers follow the trail's newest.
fn lock_chain(conn: &mut DbConnection, preferred: i32, n: usize) -> QueryResult<Head> {
    /// A chain's head as stored.
    #[derive(QueryableByName)]
    struct HeadRow {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        chain: i32,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        link: i64,
        #[diesel(sql_type = diesel::sql_types::Text)]
        hash: String,
    }
    let count = i64::try_from(n).unwrap_or(i64::MAX);
    match conn {
        DbConnection::Postgres(c) => {
            #[derive(QueryableByName)]
            struct Free {
                #[diesel(embed)]
                head: HeadRow,
                #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::BigInt>)]
                seqs: Vec<i64>,
            }
            // Preferred first, then the chains after it, round; one
            // statement prepared once per connection, the chain bound.
            // The numbers are a subquery on the locked row: drawn after
            // its lock, and not at all when every chain is held.
            let free = crate::db::prepared::prepared(
                "SELECT h.chain, h.link, h.hash, \
                 ARRAY(SELECT nextval('audit_entries_seq') FROM generate_series(1, ?) \
                       WHERE h.chain IS NOT NULL) AS seqs \
                 FROM (SELECT chain, link, hash FROM audit_chains WHERE chain BETWEEN 1 AND 16 \
                       ORDER BY (chain - ? + 16) % 16 LIMIT 1 FOR UPDATE SKIP LOCKED) h",
            )
            .bind::<diesel::sql_types::BigInt, _>(count)
            .bind::<diesel::sql_types::Integer, _>(preferred)
            .get_result::<Free>(c)
            .optional()?;
            let (head, mut seqs) = match free {
                Some(f) => (f.head, f.seqs),
                None => {
                    let (chain, link, hash) = audit_chains::table
                        .select((audit_chains::chain, audit_chains::link, audit_chains::hash))
                        .find(preferred)
                        .for_update()
                        .first::<(i32, i64, String)>(c)?;
                    (HeadRow { chain, link, hash }, pg_seqs(c, count)?)
                }
            };
            seqs.sort_unstable();
            Ok(Head {
                chain: head.chain,
                link: head.link,
                hash: head.hash,
                seqs,
            })
        }
        DbConnection::Sqlite(c) => {
            #[derive(QueryableByName)]
            struct Read {
                #[diesel(embed)]
                head: HeadRow,
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                newest: i64,
            }
            let head = crate::db::prepared::prepared(
                "SELECT chain, link, hash, \
                 (SELECT COALESCE(MAX(seq), 0) FROM audit_entries) AS newest \
                 FROM audit_chains WHERE chain = ?",
            )
            .bind::<diesel::sql_types::Integer, _>(preferred)
            .get_result::<Read>(c)?;
            Ok(Head {
                chain: head.head.chain,
                link: head.head.link,
                hash: head.head.hash,
                seqs: (1..=count).map(|i| head.newest.saturating_add(i)).collect(),
            })
        }
    }
}

/// `n` new numbers of PostgreSQL's sequence, which does not wait for other
/// chains (a rolled-back act leaves a gap in `seq`, never in a chain).
fn pg_seqs(c: &mut diesel::PgConnection, n: i64) -> QueryResult<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Seq {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        seq: i64,
    }
    Ok(crate::db::prepared::prepared(
        "SELECT nextval('audit_entries_seq') AS seq FROM generate_series(1, ?)",
    )
    .bind::<diesel::sql_types::BigInt, _>(n)
    .load::<Seq>(c)?
    .into_iter()
    .map(|s| s.seq)
    .collect())
}

/// Appends one entry. Call inside the write transaction of the act.
pub fn record(
    conn: &mut DbConnection,
    who: &Who,
    action: &str,
    target: &Target,
    at: NaiveDateTime,
) -> QueryResult<()> {
    append_at(conn, who, action, std::slice::from_ref(target), at)
}

/// Appends an act's entries, in the act's transaction: one per target,
/// each under `action` unless the target names its own.
pub fn append(
    conn: &mut DbConnection,
    who: &Who,
    action: &str,
    targets: &[Target],
) -> QueryResult<()> {
    append_at(conn, who, action, targets, now())
}

/// The entries of one act, linked one after the other in one chain: the
/// chain's head is locked and read once, the sequence numbers taken at
/// once, the rows inserted together and the head moved once. A page that
/// shows 115 names so costs a handful of statements, not 115 times five.
fn append_at(
    conn: &mut DbConnection,
    who: &Who,
    action: &str,
    targets: &[Target],
    at: NaiveDateTime,
) -> QueryResult<()> {
    if targets.is_empty() {
        return Ok(());
    }
    // Before the chain's lock, which is held to the commit.
    let guests = guests_of(conn, targets)?;
    let Head {
        chain,
        link: last,
        hash: mut prev_hash,
        seqs,
    } = lock_chain(conn, chain_of(who), targets.len())?;
    // Stored to the microsecond on both backends, so the hash holds.
    let at = at.trunc_subsecs(6);
    let mut entries = Vec::with_capacity(targets.len());
    for (((target, guest_id), seq), link) in targets.iter().zip(guests).zip(seqs).zip(last + 1..) {
        let mut entry = Entry {
            seq,
            at,
            user_id: who.user_id.clone(),
            roles: who.roles.clone(),
            action: target.action.unwrap_or(action).to_owned(),
            guest_id,
            subject_id: target.subject_id.clone(),
            request_id: who.request_id.clone(),
            prev_hash,
            hash: String::new(),
            chain,
            link,
        };
        entry.hash = entry.digest();
        prev_hash = entry.hash.clone();
        entries.push(entry);
    }
    let Some(newest) = entries.last() else {
        return Ok(());
    };
    match conn {
        // A row at a time on SQLite: the single-row insert is prepared
        // once per connection, a multi-row one at every call, and without
        // round trips the loop costs nothing more.
        DbConnection::Sqlite(c) => {
            for row in &entries {
                diesel::insert_into(audit_entries::table)
                    .values(row)
                    .execute(c)?;
            }
            crate::db::prepared::prepared(
                "UPDATE audit_chains SET link = ?, hash = ? WHERE chain = ?",
            )
            .bind::<diesel::sql_types::BigInt, _>(newest.link)
            .bind::<diesel::sql_types::Text, _>(newest.hash.as_str())
            .bind::<diesel::sql_types::Integer, _>(chain)
            .execute(c)?;
        }
        // The rows and the head's move in one round trip.
        DbConnection::Postgres(c) => {
            insert_and_move_head(c, &entries, newest)?;
        }
    }
    Ok(())
}

/// The guest each entry names: the target's own, or for an act on a stay
/// that names none, the stay's guest (read in one query for all).
fn guests_of(conn: &mut DbConnection, targets: &[Target]) -> QueryResult<Vec<Option<String>>> {
    use crate::db::schema::stays;
    let stay_ids: Vec<&str> = targets
        .iter()
        .filter(|t| t.stay && t.guest_id.is_none())
        .filter_map(|t| t.subject_id.as_deref())
        .filter(|id| crate::domain::is_id(id))
        .collect();
    let of_stay: std::collections::HashMap<String, String> = if stay_ids.is_empty() {
        std::collections::HashMap::new()
    } else {
        stays::table
            .filter(stays::id.eq_any(&stay_ids))
            .select((stays::id, stays::guest_id))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok(targets
        .iter()
        .map(|t| match (&t.guest_id, &t.subject_id) {
            (None, Some(stay)) if t.stay => of_stay.get(stay).cloned(),
            (guest, _) => guest.clone(),
        })
        .collect())
}

/// The entries in one statement of fixed text (a column an array,
/// `unnest` makes them rows again), prepared once per connection where a
/// multi-row insert has a text of its own for each number of rows, and
/// the chain's head moved to the newest in the same statement: one round
/// trip for the act's whole trail.
fn insert_and_move_head(
    c: &mut diesel::PgConnection,
    rows: &[Entry],
    newest: &Entry,
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamp};
    fn column<T: Clone>(rows: &[Entry], f: impl Fn(&Entry) -> &T) -> Vec<T> {
        rows.iter().map(|r| f(r).clone()).collect()
    }
    // A data-modifying WITH runs to its end whether or not the statement
    // reads it.
    crate::db::prepared::prepared(
        "WITH e AS (INSERT INTO audit_entries \
         (seq, at, user_id, roles, action, guest_id, subject_id, request_id, prev_hash, hash, chain, link) \
         SELECT * FROM unnest(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)) \
         UPDATE audit_chains SET link = ?, hash = ? WHERE chain = ?",
    )
    .bind::<Array<BigInt>, _>(column(rows, |r| &r.seq))
    .bind::<Array<Timestamp>, _>(column(rows, |r| &r.at))
    .bind::<Array<Text>, _>(column(rows, |r| &r.user_id))
    .bind::<Array<Text>, _>(column(rows, |r| &r.roles))
    .bind::<Array<Text>, _>(column(rows, |r| &r.action))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| &r.guest_id))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| &r.subject_id))
    .bind::<Array<Nullable<Text>>, _>(column(rows, |r| &r.request_id))
    .bind::<Array<Text>, _>(column(rows, |r| &r.prev_hash))
    .bind::<Array<Text>, _>(column(rows, |r| &r.hash))
    .bind::<Array<Integer>, _>(column(rows, |r| &r.chain))
    .bind::<Array<BigInt>, _>(column(rows, |r| &r.link))
    .bind::<BigInt, _>(newest.link)
    .bind::<Text, _>(newest.hash.as_str())
    .bind::<Integer, _>(newest.chain)
    .execute(c)
}

fn now() -> NaiveDateTime {
    // The real time, also in training mode with its manual clock.
    chrono::Utc::now().naive_utc()
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub entries: u64,
    /// One line per broken link, oldest first; empty when the chain holds.
    pub problems: Vec<String>,
}

/// Walks every chain in order and checks every link and each chain's head.
pub fn verify(conn: &mut DbConnection) -> QueryResult<Verification> {
    let heads: Vec<(i32, i64, String)> = audit_chains::table
        .select((audit_chains::chain, audit_chains::link, audit_chains::hash))
        .order(audit_chains::chain.asc())
        .load(conn)?;
    let mut found = Verification {
        entries: 0,
        problems: Vec::new(),
    };
    let chains: Vec<i32> = audit_entries::table
        .select(audit_entries::chain)
        .distinct()
        .load(conn)?;
    for chain in chains {
        if !heads.iter().any(|(c, _, _)| *c == chain) {
            found
                .problems
                .push(format!("chain {chain} has entries but no head"));
        }
    }
    for (chain, head_link, head_hash) in heads {
        verify_chain(conn, chain, head_link, &head_hash, &mut found)?;
    }
    Ok(found)
}

/// One chain: links 1, 2, ... each following the one before, each hash
/// its own, and the last one the head's.
fn verify_chain(
    conn: &mut DbConnection,
    chain: i32,
    head_link: i64,
    head_hash: &str,
    found: &mut Verification,
) -> QueryResult<()> {
    const BATCH: i64 = 10_000;
    let mut expected = 1i64;
    let mut prev_hash = String::new();
    loop {
        let batch: Vec<Entry> = audit_entries::table
            .filter(audit_entries::chain.eq(chain))
            .filter(audit_entries::link.ge(expected.min(i64::MAX - 1)))
            .order(audit_entries::link.asc())
            .limit(BATCH)
            .select(Entry::as_select())
            .load(conn)?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            found.entries += 1;
            if e.link != expected {
                found.problems.push(format!(
                    "chain {chain}: links {expected} to {} are missing (before entry {})",
                    e.link - 1,
                    e.seq
                ));
            } else if e.prev_hash != prev_hash {
                found.problems.push(format!(
                    "entry {} does not follow the entry before it in chain {chain}",
                    e.seq
                ));
            }
            if e.digest() != e.hash {
                found
                    .problems
                    .push(format!("entry {} was changed after it was written", e.seq));
            }
            expected = e.link + 1;
            prev_hash = e.hash.clone();
        }
    }
    if head_link != expected - 1 {
        found.problems.push(format!(
            "chain {chain} ends at link {} but {head_link} were written",
            expected - 1
        ));
    } else if head_hash != prev_hash {
        found.problems.push(format!(
            "the last entry of chain {chain}, link {head_link}, is not the one that was written"
        ));
    }
    Ok(())
}

/// Which entries an admin asks for.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub guest_id: Option<String>,
    pub user_id: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    /// Entries before this sequence number (to page backwards).
    pub before: Option<i64>,
}

/// The newest entries that match, newest first.
pub fn query(conn: &mut DbConnection, f: &Filter, limit: i64) -> QueryResult<Vec<Entry>> {
    let mut q = audit_entries::table
        .select(Entry::as_select())
        .order(audit_entries::seq.desc())
        .limit(limit)
        .into_boxed();
    if let Some(g) = &f.guest_id {
        q = q.filter(audit_entries::guest_id.eq(g.clone()));
    }
    if let Some(u) = &f.user_id {
        q = q.filter(audit_entries::user_id.eq(u.clone()));
    }
    if let Some(from) = f.from {
        q = q.filter(audit_entries::at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(audit_entries::at.lt(to));
    }
    if let Some(before) = f.before {
        q = q.filter(audit_entries::seq.lt(before));
    }
    q.load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        let mut e = Entry {
            seq: 7,
            at: chrono::NaiveDate::from_ymd_opt(2019, 12, 1)
                .and_then(|d| d.and_hms_micro_opt(22, 30, 0, 123_456))
                .unwrap_or_default(),
            user_id: "u1".into(),
            roles: "coordinator".into(),
            action: "guest.read".into(),
            guest_id: Some("g1".into()),
            subject_id: None,
            request_id: Some("r1".into()),
            prev_hash: "ab".into(),
            hash: String::new(),
            chain: 3,
            link: 5,
        };
        e.hash = e.digest();
        e
    }

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let e = entry();
        type Change = fn(&mut Entry);
        let changes: [Change; 11] = [
            |e| e.chain += 1,
            |e| e.link += 1,
            |e| e.seq += 1,
            |e| e.at += chrono::Duration::microseconds(1),
            |e| e.user_id.push('x'),
            |e| e.roles = "admin".into(),
            |e| e.action = "guest.export".into(),
            |e| e.guest_id = None,
            |e| e.subject_id = Some(String::new()),
            |e| e.request_id = None,
            |e| e.prev_hash = "ac".into(),
        ];
        for change in changes {
            let mut changed = e.clone();
            change(&mut changed);
            assert_ne!(changed.digest(), e.hash, "{changed:?}");
        }
        assert_eq!(e.clone().digest(), e.hash);
        assert_eq!(e.hash.len(), 64);
    }

    #[test]
    fn a_missing_value_and_an_empty_one_hash_differently() {
        let mut a = entry();
        let mut b = entry();
        a.guest_id = None;
        b.guest_id = Some(String::new());
        assert_ne!(a.digest(), b.digest());
    }

    #[test]
    fn entries_of_the_one_chain_of_before_keep_their_hashes() {
        let mut e = entry();
        e.chain = 0;
        e.link = e.seq;
        let then = r#"[7,"2019-12-01T22:30:00.123456","u1","coordinator","guest.read","g1",null,"r1","ab"]"#;
        assert_eq!(e.digest(), hex::encode(Sha256::digest(then.as_bytes())));
        let mut chained = e.clone();
        chained.chain = 1;
        assert_ne!(chained.digest(), e.digest());
    }

    #[test]
    fn one_request_appends_to_one_chain_and_requests_spread_over_all() {
        let who = |request: Option<String>, user: &str| Who {
            user_id: user.to_owned(),
            roles: "coordinator".to_owned(),
            request_id: request,
        };
        let r = Some("5f0c4a57-2b1e-4d8e-9c1a-0d6f3b2e7a10".to_owned());
        assert_eq!(chain_of(&who(r.clone(), "u1")), chain_of(&who(r, "u2")));
        assert_eq!(chain_of(&who(None, "u1")), chain_of(&who(None, "u1")));
        let mut hits = [0u32; CHAINS as usize + 1];
        for i in 0..3_200 {
            let c = chain_of(&who(Some(format!("request-{i}")), "u1"));
            assert!((1..=CHAINS).contains(&c), "{c}");
            hits[c as usize] += 1;
        }
        assert_eq!(hits[0], 0);
        // Evenly: each chain near 200 of the 3,200.
        assert!(
            hits[1..].iter().all(|&n| (120..=280).contains(&n)),
            "{hits:?}"
        );
    }
}
