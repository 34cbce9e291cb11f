//! What the service holds about a person, for the person; and forgetting
//! them: after a time without a stay or placement (the retention rule) or
//! on request (erasure). Both pseudonymise: names, exact birth date, card
//! number, needs and the notes of their referrals are gone; birth year,
//! gender and citizenship stay, with the history of stays and placements,
//! so every count in the reports stays the same.

use chrono::{Months, NaiveDateTime};
use diesel::dsl::{exists, not};
use diesel::prelude::*;
use serde::Serialize;

use crate::audit::{self, Entry, Filter, Target, Who};
use crate::db::bans::{BanRow, ReferralRow};
use crate::db::coldnights::PlacementRow;
use crate::db::guests::{self, GuestRow};
use crate::db::lottery::ApplicantRow;
use crate::db::schema::{
    bans, bookings, guests as guests_t, incident_guests, intake_applicants, placements, referrals,
    stays,
};
use crate::db::stays::{BookingRow, StayRow};
use crate::db::{self, DbConnection};
use crate::error::AppError;

/// Everything held about one guest.
#[derive(Debug, Serialize)]
pub struct Export {
    pub guest: GuestRow,
    pub stays: Vec<StayRow>,
    /// Every night held or once held, by stays and placements.
    pub nights: Vec<BookingRow>,
    pub placements: Vec<PlacementRow>,
    pub bans: Vec<BanRow>,
    pub referrals: Vec<ReferralRow>,
    /// The incidents the guest is linked to (ids; the descriptions concern
    /// others too and are given out by a coordinator on request).
    pub incidents: Vec<String>,
    pub lottery_applications: Vec<ApplicantRow>,
    /// Who read or changed what about them, and when.
    pub accesses: Vec<Entry>,
}

pub fn export(conn: &mut DbConnection, guest_id: &str) -> Result<Export, AppError> {
    let guest = guests::get(conn, guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
    let id = guest.id.clone();
    Ok(Export {
        stays: stays::table
            .filter(stays::guest_id.eq(&id))
            .order(stays::first_night)
            .select(StayRow::as_select())
            .load(conn)?,
        nights: bookings::table
            .filter(bookings::guest_id.eq(&id))
            .order((bookings::night, bookings::created_at))
            .select(BookingRow::as_select())
            .load(conn)?,
        placements: placements::table
            .filter(placements::guest_id.eq(&id))
            .order(placements::night)
            .select(PlacementRow::as_select())
            .load(conn)?,
        bans: bans::table
            .filter(bans::guest_id.eq(&id))
            .order(bans::first_night)
            .select(BanRow::as_select())
            .load(conn)?,
        referrals: referrals::table
            .filter(referrals::guest_id.eq(&id))
            .order(referrals::created_at)
            .select(ReferralRow::as_select())
            .load(conn)?,
        incidents: incident_guests::table
            .filter(incident_guests::guest_id.eq(&id))
            .select(incident_guests::incident_id)
            .load(conn)?,
        lottery_applications: intake_applicants::table
            .filter(intake_applicants::guest_id.eq(&id))
            .select(ApplicantRow::as_select())
            .load(conn)?,
        accesses: audit::query(
            conn,
            &Filter {
                guest_id: Some(id.to_string()),
                ..Filter::default()
            },
            100_000,
        )?,
        guest,
    })
}

/// Removes what identifies the guest; keeps what the statistics count.
fn pseudonymise(conn: &mut DbConnection, guest_id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(guests_t::table.find(guest_id))
        .set((
            guests_t::given_name.eq(""),
            guests_t::family_name.eq(""),
            guests_t::name_key.eq(""),
            guests_t::given_block.eq(""),
            guests_t::family_block.eq(""),
            guests_t::birth_date.eq(None::<chrono::NaiveDate>),
            // Unique and never typed at a desk.
            guests_t::card_number.eq(format!("-{guest_id}")),
            guests_t::needs.eq("[]"),
            // The language hints at who the person was; no count needs it.
            guests_t::language.eq(crate::domain::Language::default().as_str()),
            guests_t::pseudonymised_at.eq(Some(at)),
        ))
        .execute(conn)?;
    diesel::update(referrals::table.filter(referrals::guest_id.eq(guest_id)))
        .set(referrals::note.eq(None::<String>))
        .execute(conn)?;
    Ok(())
}

/// Erasure on request: the person goes, the counts stay. Audited as
/// `guest.erase` in the same transaction.
pub fn erase(
    conn: &mut DbConnection,
    guest_id: &str,
    who: &Who,
    at: NaiveDateTime,
) -> Result<(), AppError> {
    db::write_tx(conn, |c| {
        let guest = guests::get(c, guest_id)?.ok_or_else(|| AppError::not_found("guest"))?;
        pseudonymise(c, &guest.id, at)?;
        audit::record(c, who, "guest.erase", &Target::guest(&guest.id), at)?;
        Ok(())
    })
}

/// Months without a stay or placement after which a guest is pseudonymised.
pub const DEFAULT_RETENTION_MONTHS: u32 = 24;

/// The retention rule: every guest registered and without a stay or a
/// placement for `months` before `now` is pseudonymised, each audited as
/// `guest.pseudonymise`. Returns how many.
pub fn apply_retention(
    conn: &mut DbConnection,
    months: u32,
    now: NaiveDateTime,
    who: &Who,
) -> Result<u64, AppError> {
    let cutoff = now
        .checked_sub_months(Months::new(months))
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("retention period out of range")))?;
    let night = cutoff.date();
    // A stay lasts a few nights; one that began shortly before the cutoff
    // may still have held a night after it. Such guests wait for a later
    // run: the rule never forgets someone too early.
    let stay_from = night - chrono::Duration::days(14);
    db::write_tx(conn, |c| {
        let due: Vec<String> = guests_t::table
            .filter(guests_t::pseudonymised_at.is_null())
            .filter(guests_t::created_at.lt(cutoff))
            .filter(not(exists(
                stays::table
                    .filter(stays::guest_id.eq(guests_t::id))
                    .filter(stays::first_night.ge(stay_from)),
            )))
            .filter(not(exists(
                placements::table
                    .filter(placements::guest_id.eq(guests_t::id))
                    .filter(placements::night.ge(night)),
            )))
            .select(guests_t::id)
            .load(c)?;
        let mut done = 0u64;
        for id in due {
            pseudonymise(c, &id, now)?;
            audit::record(c, who, "guest.pseudonymise", &Target::guest(&id), now)?;
            done += 1;
        }
        Ok(done)
    })
}
