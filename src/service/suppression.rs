//! Small counts in reports that leave the partnership.
//!
//! A count of people from 1 to `below - 1` is shown as `"<5"` (primary
//! suppression). Where such a count could still be worked out from the
//! totals it adds up to, another count on the same line is withheld too
//! and shown as `"x"` (complementary suppression). Zero is shown as 0:
//! "nobody" tells nothing about a person, and hiding zeros would only make
//! complements harder to choose.
//!
//! The figures are variables; a *line* says that some of them add up to
//! another (the cells of a row to its total, the rows of a column to the
//! row of all organisations). A reader knows a `"<5"` is between 1 and
//! `below - 1` and an `"x"` is at least 0; the engine adds complements
//! until no withheld figure can be pinned to one value by any one line
//! from what the reader sees on it.

use serde::Serialize;

/// How a figure is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Shown,
    /// Below the threshold: "<5".
    Small,
    /// Withheld so that a small figure cannot be worked out: "x".
    Withheld,
}

/// A figure as a report shows it: a number, `"<5"` (written with the
/// configured threshold) or `"x"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Figure {
    Count(i64),
    Small(String),
    Withheld,
}

impl Figure {
    pub fn text(&self) -> String {
        match self {
            Self::Count(n) => n.to_string(),
            Self::Small(s) => s.clone(),
            Self::Withheld => "x".to_owned(),
        }
    }

    pub fn count(&self) -> Option<i64> {
        match self {
            Self::Count(n) => Some(*n),
            _ => None,
        }
    }
}

impl Serialize for Figure {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Count(n) => s.serialize_i64(*n),
            Self::Small(t) => s.serialize_str(t),
            Self::Withheld => s.serialize_str("x"),
        }
    }
}

impl utoipa::PartialSchema for Figure {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(r"^(<[0-9]+|x)$")),
            )
            .description(Some(
                "A count; or \"<5\" (a count of people from 1 to 4, with the configured threshold); \
                 or \"x\" (withheld so that a \"<5\" cannot be worked out from a total)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Figure {}

/// The figures of a report and how they add up.
#[derive(Debug, Default)]
pub struct Engine {
    values: Vec<i64>,
    people: Vec<bool>,
    state: Vec<State>,
    /// (figure, of): the figure describes the people counted by `of`.
    follows: Vec<(usize, usize)>,
    /// (parts, sum): the parts add up to the sum.
    lines: Vec<(Vec<usize>, usize)>,
}

/// Larger than any count, small enough to add up without overflow.
const UNBOUNDED: i64 = i64::MAX / 1024;

impl Engine {
    pub fn new() -> Self {
        Self::default()
    }

    /// A figure; `people` when it counts people (only those are "<5").
    pub fn figure(&mut self, value: i64, people: bool) -> usize {
        self.values.push(value);
        self.people.push(people);
        self.state.push(State::Shown);
        self.values.len() - 1
    }

    /// `figure` describes the people counted by `of` (their bed nights):
    /// withheld whenever `of` is small.
    pub fn describes(&mut self, figure: usize, of: usize) {
        self.follows.push((figure, of));
    }

    /// `parts` add up to `sum`.
    pub fn line(&mut self, parts: Vec<usize>, sum: usize) {
        self.lines.push((parts, sum));
    }

    pub fn state(&self, i: usize) -> State {
        self.state[i]
    }

    pub fn shown(&self, i: usize, below: i64) -> Figure {
        match self.state[i] {
            State::Shown => Figure::Count(self.values[i]),
            State::Small => Figure::Small(format!("<{below}")),
            State::Withheld => Figure::Withheld,
        }
    }

    /// Suppresses: counts of people from 1 to `below - 1`, what describes
    /// them, and complements until no line pins a withheld figure. `below`
    /// of 0 or 1 suppresses nothing.
    pub fn run(&mut self, below: i64) {
        if below <= 1 {
            return;
        }
        for i in 0..self.values.len() {
            if self.people[i] && (1..below).contains(&self.values[i]) {
                self.state[i] = State::Small;
            }
        }
        for &(figure, of) in &self.follows {
            if self.state[of] == State::Small && self.state[figure] == State::Shown {
                self.state[figure] = State::Withheld;
            }
        }
        loop {
            let mut changed = false;
            for l in 0..self.lines.len() {
                if self.pinned_on(l, below).is_some() && self.complement(l) {
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    fn bounds(&self, i: usize, below: i64) -> (i64, i64) {
        match self.state[i] {
            State::Shown => (self.values[i], self.values[i]),
            State::Small => (1, below - 1),
            State::Withheld => (0, UNBOUNDED),
        }
    }

    /// A withheld figure on line `l` that a reader can work out from the
    /// rest of the line, if there is one.
    pub fn pinned_on(&self, l: usize, below: i64) -> Option<usize> {
        let (parts, sum) = &self.lines[l];
        let hidden = |i: &usize| self.state[*i] != State::Shown;
        if !parts.iter().any(hidden) && !hidden(sum) {
            return None;
        }
        let (sum_lo, sum_hi) = self.bounds(*sum, below);
        let (parts_lo, parts_hi) = parts.iter().fold((0i64, 0i64), |(lo, hi), p| {
            let (a, b) = self.bounds(*p, below);
            (lo + a, (hi + b).min(UNBOUNDED))
        });
        let pinned = |lo: i64, hi: i64, own: (i64, i64)| lo.max(own.0) >= hi.min(own.1);
        if hidden(sum) && pinned(parts_lo, parts_hi, (sum_lo, sum_hi)) {
            return Some(*sum);
        }
        for p in parts.iter().filter(|p| hidden(p)) {
            let own = self.bounds(*p, below);
            let others_lo = parts_lo - own.0;
            let others_hi = if own.1 >= UNBOUNDED || parts_hi >= UNBOUNDED {
                // Another unbounded part leaves this one free.
                let rest_unbounded = parts
                    .iter()
                    .any(|q| q != p && self.bounds(*q, below).1 >= UNBOUNDED);
                if rest_unbounded {
                    UNBOUNDED
                } else {
                    parts
                        .iter()
                        .filter(|q| *q != p)
                        .map(|q| self.bounds(*q, below).1)
                        .sum()
                }
            } else {
                parts_hi - own.1
            };
            let lo = sum_lo.saturating_sub(others_hi).max(0);
            let hi = if sum_hi >= UNBOUNDED {
                UNBOUNDED
            } else {
                sum_hi - others_lo
            };
            if pinned(lo, hi, own) {
                return Some(*p);
            }
        }
        None
    }

    /// Withholds one more figure on line `l`: the smallest shown part
    /// above zero, else a shown zero, else the sum. False when all are
    /// withheld already.
    fn complement(&mut self, l: usize) -> bool {
        let (parts, sum) = &self.lines[l];
        let choice = parts
            .iter()
            .filter(|p| self.state[**p] == State::Shown)
            .min_by_key(|p| (self.values[**p] == 0, self.values[**p]))
            .copied()
            .or((self.state[*sum] == State::Shown).then_some(*sum));
        match choice {
            Some(i) => {
                self.state[i] = State::Withheld;
                true
            }
            None => false,
        }
    }

    /// The lines, for tests that check the result.
    pub fn lines(&self) -> &[(Vec<usize>, usize)] {
        &self.lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row of cells and its total, counting people.
    fn row(e: &mut Engine, cells: &[i64]) -> (Vec<usize>, usize) {
        let ids: Vec<usize> = cells.iter().map(|v| e.figure(*v, true)).collect();
        let total = e.figure(cells.iter().sum(), true);
        e.line(ids.clone(), total);
        (ids, total)
    }

    fn none_pinned(e: &Engine) {
        for l in 0..e.lines().len() {
            assert_eq!(e.pinned_on(l, 5), None, "line {l} pins a figure");
        }
    }

    #[test]
    fn one_small_cell_takes_a_complement_with_it() {
        let mut e = Engine::new();
        let (ids, total) = row(&mut e, &[3, 50, 20, 0]);
        e.run(5);
        assert_eq!(e.state(ids[0]), State::Small);
        // The smallest other count above zero is withheld, not the zero.
        assert_eq!(e.state(ids[2]), State::Withheld);
        assert_eq!(e.state(ids[1]), State::Shown);
        assert_eq!(e.state(ids[3]), State::Shown);
        assert_eq!(e.state(total), State::Shown);
        none_pinned(&e);
    }

    #[test]
    fn two_small_cells_that_add_up_to_their_extremes_are_protected_too() {
        // 4 + 4 = 8 pins both at 4; 1 + 1 = 2 pins both at 1.
        for cells in [[4, 4, 30], [1, 1, 30]] {
            let mut e = Engine::new();
            let (ids, _) = row(&mut e, &cells);
            e.run(5);
            assert_eq!(e.state(ids[2]), State::Withheld, "{cells:?}");
            none_pinned(&e);
        }
    }

    #[test]
    fn small_totals_are_small_and_zeros_are_shown() {
        let mut e = Engine::new();
        let (ids, total) = row(&mut e, &[2, 0, 1]);
        e.run(5);
        assert_eq!(e.state(total), State::Small);
        assert_eq!(e.state(ids[1]), State::Shown);
        none_pinned(&e);
    }

    #[test]
    fn columns_that_add_up_are_protected_as_well_as_rows() {
        // Two organisations and all of them, two columns.
        let mut e = Engine::new();
        let (a, at) = row(&mut e, &[3, 40]);
        let (b, bt) = row(&mut e, &[30, 40]);
        let (all, allt) = row(&mut e, &[33, 80]);
        for c in 0..2 {
            e.line(vec![a[c], b[c]], all[c]);
        }
        e.line(vec![at, bt], allt);
        e.run(5);
        assert_eq!(e.state(a[0]), State::Small);
        none_pinned(&e);
    }

    #[test]
    fn figures_describing_few_people_are_withheld() {
        let mut e = Engine::new();
        let guests = e.figure(2, true);
        let nights = e.figure(14, false);
        e.describes(nights, guests);
        e.run(5);
        assert_eq!(e.shown(guests, 5), Figure::Small("<5".into()));
        assert_eq!(e.shown(nights, 5), Figure::Withheld);
    }

    #[test]
    fn a_threshold_of_zero_shows_everything() {
        let mut e = Engine::new();
        let (ids, _) = row(&mut e, &[1, 2, 3]);
        e.run(0);
        assert!(ids.iter().all(|i| e.state(*i) == State::Shown));
    }
}
