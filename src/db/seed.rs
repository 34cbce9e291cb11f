//! The `stockholm-2019` seed: the partnership of the 2019 agreement.
//!
//! The agreement fixes the four organisations, three night shelters and 115
//! places of which 20 are women's places. How the places are split between
//! the shelters, and the shelters' names, are illustrative: set them to the
//! real ones through the admin endpoints.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

use super::places::{PlaceRow, ShelterRow};
use super::{DbConnection, partnerships, places};
use crate::domain::PlaceCategory;
use crate::ids::{PlaceId, ShelterId};
use crate::rules::{Calendar, Night, RuleSet};

pub const ORGANIZATIONS: [&str; 4] = [
    "Convictus",
    "Frälsningsarmén",
    "Ny Gemenskap",
    "Stockholms stadsmission",
];

/// (shelter name, organisation, regular places, women's places)
///
/// By the city's decision of 2019-04-16, Stockholms stadsmission takes over
/// the night shelter Filadelfiaförsamlingen ran: the one in the old
/// slaughterhouse area (Slakthusområdet) by Globen, opened by
/// Filadelfiaförsamlingen in 2015 and run by Stadsmissionen from 1 May 2019.
/// So the seed's three shelters are run by Convictus, Frälsningsarmén and
/// Stockholms stadsmission; Ny Gemenskap is one of the four partner
/// organisations without a shelter of its own here. (Stadsmissionen's
/// shelter keeps the 35 places the split gave the third shelter, and its
/// name sorts last, as before.)
pub const SHELTERS: [(&str, &str, u32, u32); 3] = [
    ("Convictus nattlogi", "Convictus", 40, 0),
    (
        "Stadsmissionens nattlogi Slakthusområdet",
        "Stockholms stadsmission",
        35,
        0,
    ),
    ("Frälsningsarméns nattlogi", "Frälsningsarmén", 20, 20),
];

/// (shelter name, address, phone) of the seed's shelters: addresses that
/// look like Stockholm's and numbers that belong to nobody (08-000 …), for
/// the demo; set the real ones through the admin endpoints.
pub const CONTACTS: [(&str, &str, &str); 3] = [
    (
        "Convictus nattlogi",
        "Hornsgatan 99, 117 28 Stockholm",
        "08-000 11 01",
    ),
    (
        "Stadsmissionens nattlogi Slakthusområdet",
        "Slakthusgatan 4, 121 62 Johanneshov",
        "08-000 11 02",
    ),
    (
        "Frälsningsarméns nattlogi",
        "Östgötagatan 34, 116 25 Stockholm",
        "08-000 11 03",
    ),
];

/// The calendar of a Stockholm partnership: local time, nights from noon.
pub fn stockholm_calendar() -> Calendar {
    Calendar::new(
        chrono_tz::Europe::Stockholm,
        NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN),
    )
}

/// The first night of the 2019 rule set.
pub fn first_night_2019() -> Night {
    Night::new(NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or(NaiveDate::MIN))
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already holds shelters; the seed loads only into an empty database")]
    NotEmpty,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Loads the seed. Refused when any shelter exists already.
pub fn stockholm_2019(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(), SeedError> {
    super::write_tx(conn, |conn| {
        if places::count_shelters(conn)? > 0 {
            return Err(SeedError::NotEmpty);
        }
        let partnership = partnerships::ensure(
            conn,
            "Stockholm IOP 2019",
            stockholm_calendar(),
            &RuleSet::defaults(first_night_2019()),
            now,
        )?;
        for org in ORGANIZATIONS {
            places::organization_by_name(conn, &partnership.id, org, now)?;
        }
        for (name, org, regular, women) in SHELTERS {
            let org = places::organization_by_name(conn, &partnership.id, org, now)?;
            let contact = CONTACTS.iter().find(|c| c.0 == name);
            let shelter = ShelterRow {
                id: ShelterId::new(),
                partnership_id: partnership.id.clone(),
                organization_id: org.id,
                name: name.to_owned(),
                created_at: now,
                address: contact.map(|c| c.1.to_owned()),
                phone: contact.map(|c| c.2.to_owned()),
            };
            places::insert_shelter(conn, &shelter)?;
            let mut rows = Vec::new();
            for (category, count, prefix) in [
                (PlaceCategory::Regular, regular, "R"),
                (PlaceCategory::Women, women, "W"),
            ] {
                for n in 1..=count {
                    rows.push(PlaceRow {
                        id: PlaceId::new(),
                        shelter_id: shelter.id.clone(),
                        label: format!("{prefix}{n:02}"),
                        category: category.as_str().to_owned(),
                        created_at: now,
                    });
                }
            }
            places::insert_places(conn, &rows)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_has_115_places_of_which_20_for_women() {
        let regular: u32 = SHELTERS.iter().map(|s| s.2).sum();
        let women: u32 = SHELTERS.iter().map(|s| s.3).sum();
        assert_eq!(regular + women, 115);
        assert_eq!(women, 20);
        assert_eq!(SHELTERS.len(), 3);
        for (_, org, _, _) in SHELTERS {
            assert!(ORGANIZATIONS.contains(&org));
        }
    }

    #[test]
    fn every_seeded_shelter_has_an_address_and_a_number_of_nobody() {
        for (name, _, _, _) in SHELTERS {
            let contact = CONTACTS.iter().find(|c| c.0 == name);
            assert!(
                contact.is_some_and(|c| c.2.starts_with("08-000 ")),
                "{name}"
            );
        }
    }
}
