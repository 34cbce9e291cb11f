//! The referral inbox (RULES.md §7: open, taken, closed; never a silent
//! flag) and incidents of threats and violence.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::auth::Scope;
use crate::db::bans::{self as db_bans, ReferralRow};
use crate::db::followup::{self, IncidentRow};
use crate::db::{self, DbConnection, guests, places};
use crate::error::AppError;
use crate::rules::Night;

/// Why a referral is opened.
pub const REFERRAL_REASONS: [&str; 8] = [
    "minor",
    "pregnant",
    "elderly",
    "addiction",
    "mental_illness",
    "disability",
    "child",
    "other",
];

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReferralView {
    pub id: String,
    pub guest_id: String,
    pub reason: String,
    pub acute: bool,
    /// `open`, `taken` or `closed`.
    pub status: String,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
    pub updated_at: DateTime<Utc>,
    /// Who took or closed it last.
    pub updated_by: Option<String>,
}

impl From<ReferralRow> for ReferralView {
    fn from(r: ReferralRow) -> Self {
        Self {
            id: r.id,
            guest_id: r.guest_id,
            reason: r.reason,
            acute: r.acute,
            status: r.status,
            note: r.note,
            created_at: r.created_at.and_utc(),
            created_by: r.created_by,
            updated_at: r.updated_at.and_utc(),
            updated_by: r.updated_by,
        }
    }
}

/// A new referral row, open.
pub fn open_referral(
    guest_id: &str,
    reason: &str,
    acute: bool,
    note: Option<String>,
    by: &str,
    at: DateTime<Utc>,
) -> ReferralRow {
    ReferralRow {
        id: db::new_id(),
        guest_id: guest_id.to_owned(),
        reason: reason.to_owned(),
        acute,
        status: "open".to_owned(),
        note,
        created_at: at.naive_utc(),
        created_by: by.to_owned(),
        updated_at: at.naive_utc(),
        updated_by: None,
    }
}

pub fn create_referral(
    conn: &mut DbConnection,
    guest_id: &str,
    reason: &str,
    acute: bool,
    note: Option<String>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<ReferralView, AppError> {
    db::write_tx(conn, |c| {
        if guests::get(c, guest_id)?.is_none() {
            return Err(AppError::not_found("guest"));
        }
        let row = open_referral(guest_id, reason, acute, note.clone(), by, at);
        db_bans::insert_referral(c, &row)?;
        Ok(row.into())
    })
}

pub fn list_referrals(
    conn: &mut DbConnection,
    status: Option<&str>,
) -> Result<Vec<ReferralView>, AppError> {
    Ok(followup::referrals(conn, status, 500)?
        .into_iter()
        .map(ReferralView::from)
        .collect())
}

/// Whether a referral may go from `from` to `to`: open → taken → closed,
/// or open → closed; a taken referral may be handed back (open).
pub fn may_move(from: &str, to: &str) -> bool {
    matches!(
        (from, to),
        ("open", "taken") | ("open", "closed") | ("taken", "closed") | ("taken", "open")
    )
}

pub fn update_referral(
    conn: &mut DbConnection,
    id: &str,
    status: &str,
    note: Option<&str>,
    by: &str,
    at: DateTime<Utc>,
) -> Result<ReferralView, AppError> {
    db::write_tx(conn, |c| {
        let current = followup::referral(c, id)?.ok_or_else(|| AppError::not_found("referral"))?;
        if !may_move(&current.status, status) {
            return Err(AppError::Conflict {
                code: "referral-transition",
                detail: format!(
                    "A referral that is {} cannot become {status}: open → taken → closed.",
                    current.status
                ),
            });
        }
        followup::update_referral(c, id, status, note, by, at.naive_utc())?;
        let row = followup::referral(c, id)?.ok_or_else(|| AppError::not_found("referral"))?;
        Ok(row.into())
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IncidentView {
    pub id: String,
    pub shelter_id: String,
    #[schema(value_type = String, format = Date)]
    pub night: Night,
    /// `threat` or `violence`.
    pub kind: String,
    pub description: String,
    pub guest_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: String,
}

fn incident_view(row: IncidentRow, guest_ids: Vec<String>) -> IncidentView {
    IncidentView {
        id: row.id,
        shelter_id: row.shelter_id,
        night: Night::new(row.night),
        kind: row.kind,
        description: row.description,
        guest_ids,
        created_at: row.created_at.and_utc(),
        created_by: row.created_by,
    }
}

#[derive(Debug, Clone)]
pub struct NewIncident {
    pub shelter_id: String,
    pub night: Night,
    pub kind: String,
    pub description: String,
    pub guest_ids: Vec<String>,
}

pub fn record_incident(
    conn: &mut DbConnection,
    new: &NewIncident,
    scope: &Scope,
    by: &str,
    at: DateTime<Utc>,
) -> Result<IncidentView, AppError> {
    scope.require(&new.shelter_id)?;
    db::write_tx(conn, |c| {
        if !places::shelter_exists(c, &new.shelter_id)? {
            return Err(AppError::not_found("shelter"));
        }
        for (i, g) in new.guest_ids.iter().enumerate() {
            if guests::get(c, g)?.is_none() {
                return Err(AppError::validation(
                    format!("guest_ids[{i}]"),
                    "no guest has this id",
                ));
            }
        }
        let row = IncidentRow {
            id: db::new_id(),
            shelter_id: new.shelter_id.clone(),
            night: new.night.date(),
            kind: new.kind.clone(),
            description: new.description.clone(),
            created_at: at.naive_utc(),
            created_by: by.to_owned(),
        };
        followup::insert_incident(c, &row, &new.guest_ids)?;
        Ok(incident_view(row, new.guest_ids.clone()))
    })
}

pub fn list_incidents(
    conn: &mut DbConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<IncidentView>, AppError> {
    db::read_tx(conn, |c| {
        let rows = followup::incidents_between(c, from, to)?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut guests: std::collections::HashMap<String, Vec<String>> =
            std::collections::HashMap::new();
        // One query for all the guests, not one per incident.
        for chunk in ids.chunks(500) {
            for (incident, guest) in followup::guests_of_all(c, chunk)? {
                guests.entry(incident).or_default().push(guest);
            }
        }
        Ok(rows
            .into_iter()
            .map(|r| {
                let g = guests.remove(&r.id).unwrap_or_default();
                incident_view(r, g)
            })
            .collect())
    })
}

/// Checks that each incident exists and involves the guest: the grounds
/// of a ban.
pub fn check_grounds(
    conn: &mut DbConnection,
    guest_id: &str,
    incident_ids: &[String],
) -> Result<(), AppError> {
    for (i, id) in incident_ids.iter().enumerate() {
        let field = format!("incident_ids[{i}]");
        if followup::incident(conn, id)?.is_none() {
            return Err(AppError::validation(field, "no incident has this id"));
        }
        if !followup::guests_of(conn, id)?.iter().any(|g| g == guest_id) {
            return Err(AppError::validation(
                field,
                "this incident does not involve the guest",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::may_move;

    #[test]
    fn referrals_move_forward_or_back_to_open_from_taken() {
        assert!(may_move("open", "taken"));
        assert!(may_move("open", "closed"));
        assert!(may_move("taken", "closed"));
        assert!(may_move("taken", "open"));
        assert!(!may_move("closed", "open"));
        assert!(!may_move("closed", "taken"));
        assert!(!may_move("open", "open"));
        assert!(!may_move("taken", "taken"));
    }
}
