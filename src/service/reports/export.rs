//! The bed-night export: one CSV line per bed night, guests by pseudonym.

use chrono::NaiveDate;

use super::pseudonym::pseudonym;
use crate::crypto::keyed;
use crate::db::DbConnection;
use crate::db::reports as q;
use crate::error::AppError;

/// The bed nights of one night as CSV lines (no header).
pub fn export_night(
    conn: &mut DbConnection,
    secret: &[u8],
    night: NaiveDate,
) -> Result<String, AppError> {
    let secret = keyed(secret).map_err(|e| AppError::Internal(e.into()))?;
    let rows = q::bed_nights_of(conn, night)?;
    let mut out = String::with_capacity(rows.len() * 100);
    for r in rows {
        out.push_str(&pseudonym(&secret, &r.guest_id));
        out.push(',');
        out.push_str(&r.night.format("%Y-%m-%d").to_string());
        out.push(',');
        out.push_str(&r.shelter_id);
        out.push(',');
        out.push_str(&r.category);
        out.push(',');
        out.push_str(&r.kind);
        out.push_str("\r\n");
    }
    Ok(out)
}
