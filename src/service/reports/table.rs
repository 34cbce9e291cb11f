//! Tables of counts, one row per organisation then all of them, built in
//! one suppression engine.

use serde::Serialize;
use utoipa::ToSchema;

use crate::service::suppression::{Engine, Figure};

/// A table of counts: one row per organisation, then all of them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TableRow {
    /// The organisation; none on the row of all organisations (and on the
    /// row of turn-aways that named no shelter).
    pub organization_id: Option<String>,
    pub label: String,
    /// One figure per column.
    pub cells: Vec<Figure>,
    /// The sum of the cells, where they add up.
    pub total: Option<Figure>,
}

/// Builds tables of figures in one suppression engine.
pub(super) struct Builder {
    pub(super) engine: Engine,
    pub(super) below: i64,
    pub(super) orgs: Vec<(String, String)>,
}

/// A row before suppression: organisation, label, cell figures, total.
pub(super) type DraftRow = (Option<String>, String, Vec<usize>, Option<usize>);

/// A table before suppression: figure ids.
pub(super) struct Draft {
    columns: Vec<String>,
    pub(super) rows: Vec<DraftRow>,
}

impl Builder {
    /// A table with one row per organisation (and `extra` rows, e.g. "no
    /// shelter"), then the row of all: `value(row key, column)` gives the
    /// counts of the organisation rows; the row of all is their sum when
    /// `all` is `None`, else `all(column)`. `totals` links row totals to
    /// figures that exist already (the same total shown in two tables).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn table(
        &mut self,
        columns: &[String],
        extra: &[(Option<String>, String)],
        value: &dyn Fn(&str, &str) -> i64,
        all: Option<&dyn Fn(&str) -> i64>,
        people: bool,
        row_totals: bool,
        totals: Option<&[usize]>,
    ) -> Draft {
        let mut keyed: Vec<(Option<String>, String)> = self
            .orgs
            .iter()
            .map(|(id, name)| (Some(id.clone()), name.clone()))
            .collect();
        keyed.extend(extra.iter().cloned());
        let mut rows = Vec::new();
        for (i, (key, label)) in keyed.iter().enumerate() {
            let k = key.as_deref().unwrap_or("");
            let cells: Vec<usize> = columns
                .iter()
                .map(|c| self.engine.figure(value(k, c), people))
                .collect();
            let total = if row_totals {
                let t = match totals.and_then(|t| t.get(i)) {
                    Some(t) => *t,
                    None => {
                        let sum = columns.iter().map(|c| value(k, c)).sum();
                        self.engine.figure(sum, people)
                    }
                };
                self.engine.line(cells.clone(), t);
                Some(t)
            } else {
                None
            };
            rows.push((key.clone(), label.clone(), cells, total));
        }
        let all_cells: Vec<usize> = columns
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let v = match all {
                    Some(f) => f(c),
                    None => keyed
                        .iter()
                        .map(|(k, _)| value(k.as_deref().unwrap_or(""), c))
                        .sum(),
                };
                let id = self.engine.figure(v, people);
                if all.is_none() {
                    let parts = rows.iter().map(|r| r.2[ci]).collect();
                    self.engine.line(parts, id);
                }
                id
            })
            .collect();
        let all_total = if row_totals {
            let t = match totals.and_then(|t| t.get(keyed.len())) {
                Some(t) => *t,
                None => {
                    let sum = columns
                        .iter()
                        .map(|c| match all {
                            Some(f) => f(c),
                            None => keyed
                                .iter()
                                .map(|(k, _)| value(k.as_deref().unwrap_or(""), c))
                                .sum(),
                        })
                        .sum::<i64>();
                    self.engine.figure(sum, people)
                }
            };
            self.engine.line(all_cells.clone(), t);
            if all.is_none() {
                let parts = rows.iter().filter_map(|r| r.3).collect();
                self.engine.line(parts, t);
            }
            Some(t)
        } else {
            None
        };
        rows.push((None, "All organisations".to_owned(), all_cells, all_total));
        Draft {
            columns: columns.to_vec(),
            rows,
        }
    }

    pub(super) fn finish(&self, d: Draft) -> Table {
        Table {
            columns: d.columns,
            rows: d
                .rows
                .into_iter()
                .map(|(key, label, cells, total)| TableRow {
                    organization_id: key,
                    label,
                    cells: cells
                        .iter()
                        .map(|i| self.engine.shown(*i, self.below))
                        .collect(),
                    total: total.map(|t| self.engine.shown(t, self.below)),
                })
                .collect(),
        }
    }
}

pub(super) fn empty_table() -> Table {
    Table {
        columns: Vec::new(),
        rows: Vec::new(),
    }
}
