//! Stays ended by no-shows that nobody has read since: the database still
//! holds their later nights, so the report ends them as the rules say.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate};

use crate::db::reports::Unclaimed;
use crate::rules::Night;
use crate::rules::checkin::{self, NightFacts};

/// Stays that the rules have ended by no-shows but that nobody has read
/// since (so the database still holds their later nights): the stay, its
/// shelter, its first night, and the last missed night after which every
/// night is released by the rules.
pub(super) struct LazyEnds {
    /// stay id → last missed night.
    pub(super) ended_after: HashMap<String, NaiveDate>,
    /// (first night, shelter) of each such stay, for the stay counts.
    pub(super) stays: Vec<(NaiveDate, String)>,
}

pub(super) fn lazy_ends(unclaimed: &[(Unclaimed, String)]) -> LazyEnds {
    let mut by_stay: BTreeMap<&str, Vec<&Unclaimed>> = BTreeMap::new();
    for (u, _) in unclaimed {
        by_stay.entry(u.stay_id.as_str()).or_default().push(u);
    }
    let mut out = LazyEnds {
        ended_after: HashMap::new(),
        stays: Vec::new(),
    };
    for (stay, nights) in by_stay {
        let Some(first) = nights.first() else {
            continue;
        };
        if first.status != "active" {
            continue;
        }
        // The nights here are the stay's missed ones within the period (all
        // over): a night between them that was checked in is a gap in the
        // dates, which breaks a run as in the rule itself.
        let facts: Vec<NightFacts> = nights
            .iter()
            .map(|n| NightFacts {
                night: Night::new(n.night),
                checked_in: false,
                released: false,
                created_at: DateTime::UNIX_EPOCH,
            })
            .collect();
        let limit = u32::try_from(first.no_show_limit).unwrap_or(0);
        if let Some(end) = checkin::no_show_end(&facts, limit) {
            out.ended_after.insert(stay.to_owned(), end.plus(-1).date());
            let shelter = unclaimed
                .iter()
                .find(|(u, _)| u.stay_id == stay)
                .map(|(_, s)| s.clone())
                .unwrap_or_default();
            out.stays.push((first.first_night, shelter));
        }
    }
    out
}
