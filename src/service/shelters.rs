//! Shelters and places.

use chrono::Utc;

use crate::db::places::{self, PlaceRow, ShelterRow, ShelterSummary};
use crate::db::{self, DbConnection};
use crate::domain::PlaceCategory;
use crate::error::AppError;

fn taken<'a>(
    code: &'static str,
    detail: &'a str,
) -> impl Fn(diesel::result::Error) -> AppError + 'a {
    move |e| {
        if db::is_unique_violation(&e) {
            AppError::Conflict {
                code,
                detail: detail.to_owned(),
            }
        } else {
            e.into()
        }
    }
}

/// A shelter's address and phone, each when known.
#[derive(Debug, Clone, Default)]
pub struct Contact {
    pub address: Option<String>,
    pub phone: Option<String>,
}

pub fn create_shelter(
    conn: &mut DbConnection,
    partnership_id: &str,
    name: &str,
    organization: &str,
    contact: Contact,
) -> Result<ShelterSummary, AppError> {
    let now = Utc::now().naive_utc();
    db::write_tx(conn, |c| {
        let org = places::organization_by_name(c, partnership_id, organization, now)?;
        let row = ShelterRow {
            id: crate::ids::ShelterId::new(),
            partnership_id: partnership_id.to_owned(),
            organization_id: org.id,
            name: name.to_owned(),
            created_at: now,
            address: contact.address.clone(),
            phone: contact.phone.clone(),
        };
        places::insert_shelter(c, &row).map_err(taken(
            "shelter-name-taken",
            "A shelter with this name exists already; choose another name.",
        ))?;
        places::shelter(c, &row.id)?
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("shelter vanished after insert")))
    })
}

/// Changes a shelter's address and phone: `Some(None)` clears one, `None`
/// leaves it as it is.
pub fn update_contact(
    conn: &mut DbConnection,
    shelter_id: &str,
    address: Option<Option<String>>,
    phone: Option<Option<String>>,
) -> Result<ShelterSummary, AppError> {
    db::write_tx(conn, |c| {
        if !places::shelter_exists(c, shelter_id)? {
            return Err(AppError::not_found("shelter"));
        }
        places::set_contact(
            c,
            shelter_id,
            address.as_ref().map(Option::as_deref),
            phone.as_ref().map(Option::as_deref),
        )?;
        places::shelter(c, shelter_id)?.ok_or_else(|| AppError::not_found("shelter"))
    })
}

pub fn create_place(
    conn: &mut DbConnection,
    shelter_id: &str,
    label: &str,
    category: PlaceCategory,
) -> Result<PlaceRow, AppError> {
    db::write_tx(conn, |c| {
        if !places::shelter_exists(c, shelter_id)? {
            return Err(AppError::not_found("shelter"));
        }
        let row = PlaceRow {
            id: crate::ids::PlaceId::new(),
            shelter_id: crate::ids::ShelterId::stored(shelter_id.to_owned()),
            label: label.to_owned(),
            category: category.as_str().to_owned(),
            created_at: Utc::now().naive_utc(),
        };
        places::insert_places(c, std::slice::from_ref(&row)).map_err(taken(
            "place-label-taken",
            "This shelter has a place with this label already; choose another label.",
        ))?;
        Ok(row)
    })
}

pub fn list_places(conn: &mut DbConnection, shelter_id: &str) -> Result<Vec<PlaceRow>, AppError> {
    db::read_tx(conn, |c| {
        if !places::shelter_exists(c, shelter_id)? {
            return Err(AppError::not_found("shelter"));
        }
        Ok(places::list_places(c, shelter_id)?)
    })
}

/// Takes a place out of service for a range of nights. Refused while a
/// guest holds it on one of them: move the guest first.
#[allow(clippy::too_many_arguments)]
pub fn take_out_of_service(
    conn: &mut DbConnection,
    p: &crate::db::partnerships::Partnership,
    shelter_id: &str,
    place_id: &str,
    first: crate::rules::Night,
    last: crate::rules::Night,
    reason: &str,
    instant: chrono::DateTime<Utc>,
) -> Result<places::OutageRow, AppError> {
    let now = crate::service::beds::now_for(p, instant)?;
    db::write_tx(conn, |c| {
        let place = places::place(c, place_id)?
            .filter(|p| p.shelter_id == shelter_id)
            .ok_or_else(|| AppError::not_found("place"))?;
        // Taken before the check, as an intake or a placement takes it
        // before it reads what is free: neither can slip in between.
        crate::db::stays::lock_shelter(c, &place.shelter_id)?;
        if places::place_held_between(c, &place.id, first.date(), last.date(), &now)? {
            return Err(AppError::Conflict {
                code: "place-held",
                detail: "A guest holds this place on one of these nights; move the guest first."
                    .into(),
            });
        }
        let row = places::OutageRow {
            id: db::new_id(),
            place_id: place.id.into(),
            first_night: first.date(),
            last_night: last.date(),
            reason: reason.to_owned(),
            created_at: Utc::now().naive_utc(),
        };
        places::insert_outage(c, &row)?;
        Ok(row)
    })
}
