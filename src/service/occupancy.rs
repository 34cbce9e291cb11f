//! The occupancy index: each instance keeps in memory what availability
//! needs (issue 18) and answers from it without reading the bookings
//! again.
//!
//! - What it holds: the shelters and their places in label order, the
//!   outages, the cold nights and their openings, and for each night asked
//!   about (at most [`MAX_NIGHTS`]) the bookings flagged as holding each
//!   place, with the facts `rules::checkin::holds` needs. Whether a place
//!   is free is decided at the question's instant by that rule, so the
//!   cutoff and the no-show endings need no write to take effect.
//! - How it stays true: every write to bookings, places, outages, cold
//!   nights and shelters logs what it changed in `occupancy_changes`
//!   (triggers, migration 000019). Before an answer the index reads the
//!   log from where it stands, in the same snapshot reads the bookings of
//!   each (night, place) named there, and patches those entries; a change
//!   to the structure makes it read everything again. On PostgreSQL the
//!   log is read by transaction visibility, so every instance sees every
//!   commit whichever instance wrote it, in whatever order they commit.
//! - When it reads: only when the database has changed since it last
//!   read (the same stamps as the kept answers: `availability_cache`).
//!   An instance that has not read for [`REBUILD_AFTER`] reads everything
//!   again, since the log is trimmed after [`FORGET_AFTER`].
//!
//! - Who reads it: availability (`availability_cache`), and each intake
//!   before its act, for where its search for a free place starts
//!   ([`read_for_intake`], [`Index::first_free`]). One reading at a time
//!   ([`Shared::turn`], taken before the reading's snapshot), so the
//!   index never holds a reading older than one it already had.
//!
//! The SQL definition (`service::coordination::availability`) stays: the
//! tests hold every answer of the index to it.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use chrono::NaiveDate;

use crate::db::occupancy::{self as log, HeldRow, Position, StructureRows};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::ids::BookingKind;
use crate::rules::Night;
use crate::rules::checkin::{self, Hold, Now};
use crate::rules::coldnight;
use crate::rules::kinds::PlaceCategory;
use crate::rules::stay::Period;
use crate::service::beds::FreeCounts;
use crate::service::coordination::{AvailabilityView, FreePlaceView, ShelterAvailability};

/// Nights kept at once; the one asked about longest ago goes first.
pub const MAX_NIGHTS: usize = 16;
/// An index that has not read the log for this long reads everything
/// again: the rows it would need may be gone.
pub const REBUILD_AFTER: Duration = Duration::from_secs(120);
/// The log rows an instance read this long ago are deleted.
pub const FORGET_AFTER: Duration = Duration::from_secs(600);

#[derive(Debug)]
struct Place {
    id: String,
    label: String,
    category: String,
    kind: Option<PlaceCategory>,
}

#[derive(Debug)]
struct NightHolds {
    /// Per place (by its index in `places`), its bookings flagged held.
    holds: Vec<Vec<Hold>>,
    used: u64,
    /// Which places were free at the last question's instant, kept while
    /// the rule's answer cannot differ (see [`Evaluated`]), and patched
    /// with the entries.
    evaluated: Option<Evaluated>,
}

/// The free places of a night at `now`, and their counts per shelter (in
/// the order of `Index::shelters`). `rules::checkin::holds` depends on the
/// instant only through tonight, its cutoff and whether the cutoff has
/// passed: while those are the same, so is every answer.
#[derive(Debug)]
struct Evaluated {
    now: Now,
    free: Vec<bool>,
    counts: Vec<FreeCounts>,
}

/// What of the instant `rules::checkin::holds` depends on.
fn moment(now: &Now) -> (Night, chrono::DateTime<chrono::Utc>, bool) {
    (now.night, now.cutoff, now.instant >= now.cutoff)
}

/// The index, as of `position` in the change log.
#[derive(Debug)]
pub struct Index {
    /// (id, name) by name.
    shelters: Vec<(String, String)>,
    places: Vec<Place>,
    place_of: HashMap<String, usize>,
    /// Each shelter's places: a range of `places`, in label order.
    shelter_places: HashMap<String, (usize, usize)>,
    /// Per place, the position of its shelter in `shelters`.
    place_shelter: Vec<usize>,
    /// Per place (by its index in `places`), its spans out of service.
    outages: Vec<Vec<(NaiveDate, NaiveDate)>>,
    cold_nights: HashSet<NaiveDate>,
    openings: HashMap<NaiveDate, Vec<(String, usize)>>,
    nights: HashMap<NaiveDate, NightHolds>,
    position: Position,
    read_at: Instant,
    uses: u64,
}

fn hold(row: &HeldRow) -> Hold {
    Hold {
        night: Night::new(row.night),
        of_stay: row.kind == BookingKind::Stay,
        held: true,
        checked_in: row.checked_in_at.is_some(),
        created_at: row.created_at.and_utc(),
        no_show_end: row.no_show_end.map(Night::new),
    }
}

/// Adds a booking to a place's list. Almost every place has one booking
/// at most on a night: room for one, not the four a first push reserves
/// (at 100,000 places that is ten megabytes a night).
fn keep(holds: &mut Vec<Hold>, row: &HeldRow) {
    if holds.capacity() == 0 {
        holds.reserve_exact(1);
    }
    holds.push(hold(row));
}

impl Index {
    pub fn build(rows: StructureRows, position: Position) -> Self {
        let mut place_of = HashMap::new();
        let mut shelter_places: HashMap<String, (usize, usize)> = HashMap::new();
        let mut places = Vec::with_capacity(rows.places.len());
        for (i, (id, label, category, shelter_id)) in rows.places.into_iter().enumerate() {
            place_of.insert(id.clone(), i);
            shelter_places
                .entry(shelter_id)
                .and_modify(|r| r.1 = i + 1)
                .or_insert((i, i + 1));
            places.push(Place {
                id,
                label,
                kind: category.parse().ok(),
                category,
            });
        }
        let position_of: HashMap<&str, usize> = rows
            .shelters
            .iter()
            .enumerate()
            .map(|(k, (id, _))| (id.as_str(), k))
            .collect();
        let mut place_shelter = vec![usize::MAX; places.len()];
        for (shelter_id, &(from, to)) in &shelter_places {
            if let Some(&k) = position_of.get(shelter_id.as_str()) {
                place_shelter[from..to].fill(k);
            }
        }
        let mut outages: Vec<Vec<(NaiveDate, NaiveDate)>> = vec![Vec::new(); places.len()];
        for (place_id, first, last) in rows.outages {
            if let Some(&i) = place_of.get(&place_id) {
                outages[i].push((first, last));
            }
        }
        let mut openings: HashMap<NaiveDate, Vec<(String, usize)>> = HashMap::new();
        for (night, shelter_id, n) in rows.openings {
            openings
                .entry(night)
                .or_default()
                .push((shelter_id, usize::try_from(n).unwrap_or(0)));
        }
        Self {
            shelters: rows.shelters,
            places,
            place_of,
            shelter_places,
            place_shelter,
            outages,
            cold_nights: rows.cold_nights.into_iter().collect(),
            openings,
            nights: HashMap::new(),
            position,
            read_at: Instant::now(),
            uses: 0,
        }
    }

    /// Whether the index has read the log within [`REBUILD_AFTER`]: the
    /// log rows it would need after that may be gone.
    fn recent(&self) -> bool {
        self.read_at.elapsed() < REBUILD_AFTER
    }

    pub fn has_night(&self, night: NaiveDate) -> bool {
        self.nights.contains_key(&night)
    }

    /// The bookings flagged held on `night`, all of them.
    pub fn load_night(&mut self, night: NaiveDate, rows: &[HeldRow]) {
        let mut holds = vec![Vec::new(); self.places.len()];
        for row in rows {
            if let Some(&i) = self.place_of.get(&row.place_id) {
                keep(&mut holds[i], row);
            }
        }
        while self.nights.len() >= MAX_NIGHTS {
            let Some(oldest) = self
                .nights
                .iter()
                .min_by_key(|(_, n)| n.used)
                .map(|(night, _)| *night)
            else {
                break;
            };
            self.nights.remove(&oldest);
        }
        self.uses += 1;
        self.nights.insert(
            night,
            NightHolds {
                holds,
                used: self.uses,
                evaluated: None,
            },
        );
    }

    /// The places of `touched` on `night` as they now stand: `rows` holds
    /// every booking flagged held there.
    pub fn patch(&mut self, night: NaiveDate, touched: &[String], rows: &[HeldRow]) {
        let Some(mut n) = self.nights.remove(&night) else {
            return;
        };
        let touched: Vec<usize> = touched
            .iter()
            .filter_map(|id| self.place_of.get(id).copied())
            .collect();
        for &i in &touched {
            n.holds[i].clear();
        }
        for row in rows {
            if let Some(&i) = self.place_of.get(&row.place_id) {
                keep(&mut n.holds[i], row);
            }
        }
        if let Some(e) = n.evaluated.as_mut() {
            let open = self.opened(night);
            for &i in &touched {
                let free = self.free_at(i, night, &open, &n.holds[i], &e.now);
                if free != e.free[i] {
                    e.free[i] = free;
                    if let Some(c) = e.counts.get_mut(self.place_shelter[i]) {
                        if free {
                            c.add_one(self.places[i].kind);
                        } else {
                            c.remove_one(self.places[i].kind);
                        }
                    }
                }
            }
        }
        self.nights.insert(night, n);
    }

    /// Marks `nights` as just asked about.
    fn mark_used(&mut self, nights: &[NaiveDate]) {
        for night in nights {
            self.uses += 1;
            if let Some(n) = self.nights.get_mut(night) {
                n.used = self.uses;
            }
        }
    }

    pub fn nights(&self) -> Vec<NaiveDate> {
        self.nights.keys().copied().collect()
    }

    /// The overflow places opened on `night`: at each shelter with an
    /// opening, that many of its overflow places in label order.
    fn opened(&self, night: NaiveDate) -> HashSet<usize> {
        let mut open = HashSet::new();
        for (shelter_id, count) in self.openings.get(&night).into_iter().flatten() {
            if let Some(&(from, to)) = self.shelter_places.get(shelter_id) {
                open.extend(
                    (from..to)
                        .filter(|&i| self.places[i].kind == Some(PlaceCategory::Overflow))
                        .take(*count),
                );
            }
        }
        open
    }

    /// Whether place `i` is free on `night` at `now`: offered that night
    /// (`rules::coldnight::offered`), in service, and held by none of
    /// `holds` (`rules::checkin::holds`).
    fn free_at(
        &self,
        i: usize,
        night: NaiveDate,
        open: &HashSet<usize>,
        holds: &[Hold],
        now: &Now,
    ) -> bool {
        // (An overflow place only is looked up among the opened.)
        let offered = self.places[i].kind.is_none_or(|k| {
            coldnight::offered(k, k == PlaceCategory::Overflow && open.contains(&i))
        });
        offered
            && !self.outages[i]
                .iter()
                .any(|(f, l)| *f <= night && night <= *l)
            && !holds.iter().any(|h| checkin::holds(h, now))
    }

    /// The label of the first place of `category` at `shelter_id`, by
    /// label, free on every night of `nights` at `now`: what
    /// `db::stays::first_free_place` finds, without reading the places
    /// before it. `None` when the index lacks one of the nights or the
    /// shelter; `Some(None)` when no such place is free.
    pub fn first_free(
        &self,
        shelter_id: &str,
        category: &str,
        nights: &[NaiveDate],
        now: &Now,
    ) -> Option<Option<String>> {
        let &(from, to) = self.shelter_places.get(shelter_id)?;
        let nights: Vec<(NaiveDate, &NightHolds, HashSet<usize>)> = nights
            .iter()
            .map(|&n| Some((n, self.nights.get(&n)?, self.opened(n))))
            .collect::<Option<_>>()?;
        let first = (from..to).find(|&i| {
            self.places[i].category == category
                && nights
                    .iter()
                    .all(|(n, held, open)| self.free_at(i, *n, open, &held.holds[i], now))
        });
        Some(first.map(|i| self.places[i].label.clone()))
    }

    fn evaluate(&self, night: NaiveDate, holds: &[Vec<Hold>], now: &Now) -> Evaluated {
        let open = self.opened(night);
        let mut counts = vec![FreeCounts::default(); self.shelters.len()];
        let free: Vec<bool> = holds
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let free = self.free_at(i, night, &open, h, now);
                if free && let Some(c) = counts.get_mut(self.place_shelter[i]) {
                    c.add_one(self.places[i].kind);
                }
                free
            })
            .collect();
        Evaluated {
            now: *now,
            free,
            counts,
        }
    }

    /// Availability of `night` at `now`, as `GET /availability` answers
    /// it; `None` when the night is not in the index.
    pub fn view(
        &mut self,
        night: Night,
        now: &Now,
        shelter: Option<&str>,
        list: bool,
    ) -> Option<Result<AvailabilityView, AppError>> {
        let date = night.date();
        if shelter.is_some_and(|s| !self.shelters.iter().any(|(id, _)| id == s)) {
            return self
                .nights
                .contains_key(&date)
                .then(|| Err(AppError::not_found("shelter")));
        }
        let mut n = self.nights.remove(&date)?;
        self.uses += 1;
        n.used = self.uses;
        if n.evaluated.as_ref().map(|e| moment(&e.now)) != Some(moment(now)) {
            n.evaluated = Some(self.evaluate(date, &n.holds, now));
        }
        let view = n
            .evaluated
            .as_ref()
            .map(|e| self.answer(night, e, shelter, list));
        self.nights.insert(date, n);
        view.map(Ok)
    }

    fn answer(
        &self,
        night: Night,
        e: &Evaluated,
        shelter: Option<&str>,
        list: bool,
    ) -> AvailabilityView {
        let mut total = FreeCounts::default();
        let shelters = self
            .shelters
            .iter()
            .enumerate()
            .filter(|(_, (id, _))| shelter.is_none_or(|s| s == id))
            .map(|(k, (id, name))| {
                let free = e.counts.get(k).cloned().unwrap_or_default();
                total.regular += free.regular;
                total.women += free.women;
                total.overflow += free.overflow;
                let free_places = list.then(|| {
                    let (from, to) = self.shelter_places.get(id).copied().unwrap_or((0, 0));
                    (from..to)
                        .filter(|&i| e.free[i])
                        .map(|i| FreePlaceView {
                            place_id: self.places[i].id.clone(),
                            label: self.places[i].label.clone(),
                            category: self.places[i].category.clone(),
                        })
                        .collect()
                });
                ShelterAvailability {
                    shelter_id: id.clone(),
                    name: name.clone(),
                    free,
                    free_places,
                }
            })
            .collect();
        AvailabilityView {
            night,
            cold_night: self.cold_nights.contains(&night.date()),
            shelters,
            free: total,
        }
    }
}

/// What a reading of the database brings to the index.
enum Reading {
    /// Everything, read anew.
    Whole { index: Box<Index> },
    /// The entries the log named, per night, and the nights not kept yet.
    Patch {
        position: Position,
        touched: Vec<(NaiveDate, Vec<String>, Vec<HeldRow>)>,
        /// Nights not kept yet, read whole.
        new_nights: Vec<(NaiveDate, Vec<HeldRow>)>,
    },
}

/// Reads, in the caller's transaction, what brings `current` (the index
/// as it stands, `None` before the first reading) up to date, with
/// `wanted` in it.
fn read(
    c: &mut DbConnection,
    current: Option<(Position, Vec<NaiveDate>)>,
    wanted: &[NaiveDate],
) -> Result<(Reading, Option<i64>), AppError> {
    let whole = |c: &mut DbConnection| -> Result<Reading, AppError> {
        let position = log::position(c)?;
        let mut index = Index::build(log::structure(c)?, position);
        for &night in wanted {
            let rows = log::held_on(c, night)?;
            index.load_night(night, &rows);
        }
        Ok(Reading::Whole {
            index: Box::new(index),
        })
    };
    let Some((position, nights)) = current else {
        return Ok((whole(c)?, None));
    };
    // The log and what holds at each entry it names, in one statement.
    let log::Changed {
        position,
        changes,
        highest,
        held,
    } = log::changes_with_held(c, &position)?;
    if changes.iter().any(Option::is_none) {
        return Ok((whole(c)?, highest));
    }
    let mut per_night: BTreeMap<NaiveDate, (Vec<String>, Vec<HeldRow>)> = BTreeMap::new();
    for (n, place) in changes.into_iter().flatten() {
        if nights.contains(&n) {
            per_night.entry(n).or_default().0.push(place);
        }
    }
    for row in held {
        if let Some((_, rows)) = per_night.get_mut(&row.night) {
            rows.push(row);
        }
    }
    let touched = per_night
        .into_iter()
        .map(|(n, (places, rows))| (n, places, rows))
        .collect();
    let mut new_nights = Vec::new();
    for &night in wanted {
        if !nights.contains(&night) {
            new_nights.push((night, log::held_on(c, night)?));
        }
    }
    Ok((
        Reading::Patch {
            position,
            touched,
            new_nights,
        },
        highest,
    ))
}

/// The index with what keeps it: the log rows it may delete.
#[derive(Debug, Default)]
pub struct Occupancy {
    index: Option<Index>,
    /// The highest `seq` read, sampled at most once a minute.
    read_up_to: VecDeque<(Instant, i64)>,
}

impl Occupancy {
    /// Whether the index holds `night` and has read the log recently.
    pub fn holds_night(&self, night: NaiveDate) -> bool {
        self.index
            .as_ref()
            .is_some_and(|ix| ix.has_night(night) && ix.recent())
    }

    /// Nothing has been committed since the index last read (its stamp
    /// says so): it stands where the log ends, as if it had just read.
    pub fn still_true(&mut self) {
        if let Some(ix) = self.index.as_mut() {
            ix.read_at = Instant::now();
        }
    }

    pub fn view(
        &mut self,
        night: Night,
        now: &Now,
        shelter: Option<&str>,
        list: bool,
    ) -> Option<Result<AvailabilityView, AppError>> {
        self.index.as_mut()?.view(night, now, shelter, list)
    }

    /// [`Index::first_free`], if the index has read the log recently.
    pub fn first_free(
        &self,
        shelter_id: &str,
        category: &str,
        nights: &[NaiveDate],
        now: &Now,
    ) -> Option<Option<String>> {
        let ix = self.index.as_ref().filter(|ix| ix.recent())?;
        ix.first_free(shelter_id, category, nights, now)
    }

    /// What to read: where the index stands and the nights it keeps, or
    /// `None` to read it whole.
    fn current(&self) -> Option<(Position, Vec<NaiveDate>)> {
        let ix = self.index.as_ref().filter(|ix| ix.recent())?;
        Some((ix.position.clone(), ix.nights()))
    }

    fn apply(&mut self, reading: Reading, wanted: &[NaiveDate], read_at: Instant) {
        if let Some(ix) = self.index.as_mut() {
            // Kept before the new nights come in, so none of them is
            // the one put out to make room.
            ix.mark_used(wanted);
        }
        match reading {
            Reading::Whole { index } => self.index = Some(*index),
            Reading::Patch {
                position,
                touched,
                new_nights,
            } => {
                let Some(ix) = self.index.as_mut() else {
                    return;
                };
                for (n, places, rows) in &touched {
                    ix.patch(*n, places, rows);
                }
                for (n, rows) in new_nights {
                    ix.load_night(n, &rows);
                }
                ix.position = position;
            }
        }
        if let Some(ix) = self.index.as_mut() {
            ix.read_at = read_at;
        }
    }

    /// Notes how far the log was read, and says up to which `seq` it may
    /// be deleted now.
    fn forgettable(&mut self, highest: Option<i64>, now: Instant) -> Option<i64> {
        if let Some(seq) = highest
            && self
                .read_up_to
                .back()
                .is_none_or(|(at, _)| now.duration_since(*at) >= Duration::from_secs(60))
        {
            self.read_up_to.push_back((now, seq));
        }
        let mut forget = None;
        while let Some(&(at, seq)) = self.read_up_to.front() {
            if now.duration_since(at) < FORGET_AFTER {
                break;
            }
            forget = Some(seq);
            self.read_up_to.pop_front();
        }
        forget
    }
}

/// The index of an instance, shared by its availability answers and its
/// intakes, with the turn to read into it: one reading at a time, so a
/// reading begun earlier never lands over a later one.
#[derive(Debug, Default)]
pub struct Shared {
    occupancy: std::sync::Mutex<Occupancy>,
    turn: std::sync::Mutex<()>,
}

impl Shared {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Occupancy> {
        lock(&self.occupancy)
    }

    /// The turn to read into the index, held until dropped: what is
    /// compared with the database in the reading's snapshot must be
    /// compared before another reading lands.
    pub fn turn(&self) -> Turn<'_> {
        Turn {
            shared: self,
            _turn: lock(&self.turn),
        }
    }

    /// The turn if no one holds it.
    fn try_turn(&self) -> Option<Turn<'_>> {
        let guard = match self.turn.try_lock() {
            Ok(guard) => guard,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        Some(Turn {
            shared: self,
            _turn: guard,
        })
    }

    /// [`Turn::catch_up`] in a turn of its own.
    pub fn catch_up(
        &self,
        c: &mut DbConnection,
        nights: &[NaiveDate],
        started: Instant,
    ) -> Result<Option<i64>, AppError> {
        self.turn().catch_up(c, nights, started)
    }
}

/// See [`Shared::turn`].
pub struct Turn<'a> {
    shared: &'a Shared,
    _turn: std::sync::MutexGuard<'a, ()>,
}

impl Turn<'_> {
    pub fn lock(&self) -> std::sync::MutexGuard<'_, Occupancy> {
        self.shared.lock()
    }

    /// Brings the index up to date with `nights` in it, reading in the
    /// caller's read transaction. `started` is when the reading began.
    /// Returns up to which `seq` the log may be deleted now.
    pub fn catch_up(
        &self,
        c: &mut DbConnection,
        nights: &[NaiveDate],
        started: Instant,
    ) -> Result<Option<i64>, AppError> {
        let current = self.lock().current();
        let (reading, highest) = read(c, current, nights)?;
        let mut o = self.lock();
        o.apply(reading, nights, started);
        Ok(o.forgettable(highest, Instant::now()))
    }

    /// Whether a reading that began at or after `arrived` holds `nights`:
    /// fresh enough for an intake's hint, which only says where its query
    /// starts.
    fn read_since(&self, arrived: Instant, nights: &[NaiveDate]) -> bool {
        let o = self.lock();
        o.index
            .as_ref()
            .is_some_and(|ix| ix.read_at >= arrived && nights.iter().all(|n| ix.has_night(*n)))
    }
}

/// Brings the index up to date for the nights of an intake's possible
/// stays (`periods`, at `shelter_id`), in a read of its own on `conn`
/// before the act begins, so that it holds only what others committed.
/// Only when no other reading is under way: the hint need not be the
/// latest, and desks do not queue for the turn. A failed reading leaves
/// the intake without a hint, and a log that cannot be trimmed is trimmed
/// later: neither fails the act.
///
/// In debug builds (every test run) a reading is held to the SQL
/// definition in its own snapshot: the index's first free place of each
/// period is `db::stays::first_free_place`'s, or the act fails.
pub fn read_for_intake(
    conn: &mut DbConnection,
    shared: &Shared,
    shelter_id: &str,
    periods: &[(PlaceCategory, Period)],
    now: &Now,
) -> Result<(), AppError> {
    let arrived = Instant::now();
    let mut nights: Vec<NaiveDate> = periods
        .iter()
        .flat_map(|(_, p)| p.nights())
        .map(Night::date)
        .collect();
    nights.sort_unstable();
    nights.dedup();
    // Another reading under way: the index as it stands is hint enough,
    // and no desk waits for another's reading.
    let Some(turn) = shared.try_turn() else {
        return Ok(());
    };
    if turn.read_since(arrived, &nights) {
        return Ok(());
    }
    // The turn is taken before the snapshot (see `availability_cache`):
    // the index is then read up to exactly this snapshot, as the
    // comparison needs.
    let read = db::read_tx(conn, |c| {
        let forget = turn.catch_up(c, &nights, Instant::now())?;
        #[cfg(debug_assertions)]
        first_free_agrees_with_sql(c, &turn, shelter_id, periods, now)?;
        #[cfg(not(debug_assertions))]
        let _ = (shelter_id, now);
        Ok::<_, AppError>(forget)
    });
    drop(turn);
    match read {
        Ok(Some(seq)) => {
            if let Err(e) = forget(conn, seq) {
                tracing::warn!(error = %e, "could not trim the occupancy log");
            }
        }
        Ok(None) => {}
        #[cfg(debug_assertions)]
        Err(e @ AppError::Internal(_)) => return Err(e),
        Err(e) => tracing::warn!(error = %e, "could not read the occupancy index for an intake"),
    }
    Ok(())
}

/// See [`read_for_intake`].
#[cfg(debug_assertions)]
fn first_free_agrees_with_sql(
    c: &mut DbConnection,
    turn: &Turn<'_>,
    shelter_id: &str,
    periods: &[(PlaceCategory, Period)],
    now: &Now,
) -> Result<(), AppError> {
    for (category, period) in periods {
        let nights: Vec<NaiveDate> = period.nights().into_iter().map(Night::date).collect();
        let Some(index) = turn
            .lock()
            .first_free(shelter_id, category.as_str(), &nights, now)
        else {
            continue;
        };
        let sql = crate::db::stays::first_free_place(
            c,
            shelter_id,
            category.as_str(),
            crate::db::stays::Seek::First,
            period.first_night.date(),
            period.last_night().date(),
            now,
        )?
        .map(|p| p.label);
        if index != sql {
            return Err(AppError::Internal(anyhow::anyhow!(
                "the occupancy index and SQL disagree on the first free place: {index:?} against {sql:?}"
            )));
        }
    }
    Ok(())
}

/// Deletes the log rows read long ago, a bounded number per transaction
/// (at the targets' rates ten minutes are millions of rows, and one
/// `DELETE` of them would hold the writers' turn for seconds).
pub fn forget(conn: &mut DbConnection, up_to: i64) -> Result<(), AppError> {
    loop {
        let deleted = db::write_tx(conn, |c| log::forget_up_to(c, up_to))?;
        if i64::try_from(deleted).unwrap_or(i64::MAX) < log::FORGET_AT_ONCE {
            return Ok(());
        }
    }
}

fn lock<T>(o: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    o.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_is_forgotten_up_to_what_was_read_ten_minutes_ago() {
        let mut o = Occupancy::default();
        let t0 = Instant::now();
        let at = |secs: u64| t0 + Duration::from_secs(secs);
        assert_eq!(o.forgettable(Some(10), at(0)), None);
        // Within the minute: not noted again.
        assert_eq!(o.forgettable(Some(20), at(30)), None);
        assert_eq!(o.forgettable(Some(30), at(60)), None);
        assert_eq!(
            o.forgettable(None, at(599)),
            None,
            "nothing read ten minutes ago yet"
        );
        assert_eq!(o.forgettable(None, at(600)), Some(10));
        assert_eq!(o.forgettable(None, at(601)), None, "forgotten once");
        assert_eq!(o.forgettable(Some(40), at(700)), Some(30));
        assert_eq!(o.forgettable(None, at(1300)), Some(40));
        assert!(o.read_up_to.is_empty());
    }

    #[test]
    fn an_index_not_read_for_two_minutes_is_read_whole() {
        let mut o = Occupancy::default();
        let night = NaiveDate::from_ymd_opt(2019, 12, 1).unwrap_or_default();
        assert!(o.current().is_none(), "nothing read yet");
        let mut ix = Index::build(StructureRows::default(), Position::Seq(3));
        ix.load_night(night, &[]);
        o.index = Some(ix);
        assert_eq!(o.current().map(|c| c.0), Some(Position::Seq(3)));
        assert!(o.holds_night(night));
        let long_ago = Instant::now().checked_sub(REBUILD_AFTER);
        if let (Some(ix), Some(t)) = (o.index.as_mut(), long_ago) {
            ix.read_at = t;
            assert!(o.current().is_none());
            assert!(!o.holds_night(night));
            o.still_true();
            assert!(
                o.holds_night(night),
                "nothing committed since: as good as read"
            );
        }
    }
}
