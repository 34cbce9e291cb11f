//! The ids of the service's records as types of their own, so a stay's id
//! cannot be passed where a guest's is asked for, and the kinds the storage
//! keeps as text (a stay's status, a night's kind) as enums.
//!
//! Each is stored through one conversion: an id is text in a column
//! (`ToSql`/`FromSql` for `Text` on every backend), parsed once at the edge
//! ([`GuestId::parse`] and its kin check the 36 characters of a UUID) and
//! trusted when it comes back from the database. An id reads as `&str`
//! where text is wanted (`Deref`), never the other way round.

use std::fmt;
use std::str::FromStr;

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Text;
use serde::{Deserialize, Serialize};

/// Whether `s` is an id of this service: a UUID in its 36 characters.
pub fn is_id(s: &str) -> bool {
    s.len() == 36 && uuid::Uuid::parse_str(s).is_ok()
}

/// An id of one kind of record, parsed from the text sent.
pub trait Id: Sized {
    /// `None` unless `s` is an id of this service.
    fn parse(s: &str) -> Option<Self>;
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(
            Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
            diesel::AsExpression, diesel::FromSqlRow,
        )]
        #[serde(transparent)]
        #[diesel(sql_type = Text)]
        pub struct $name(String);

        impl $name {
            /// A new id, for a record about to be written.
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4().to_string())
            }

            /// An id as sent: `None` unless it is an id of this service.
            pub fn parse(s: &str) -> Option<Self> {
                is_id(s).then(|| Self(s.to_owned()))
            }

            /// An id as the storage holds it: read from a row that holds
            /// it as text, or made by the service in the form of a UUID
            /// (the bulk loader's counted ids). Never a text from a request.
            pub fn stored(s: String) -> Self {
                Self(s)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Id for $name {
            fn parse(s: &str) -> Option<Self> {
                $name::parse(s)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.0.as_str(), out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                String::from_sql(bytes).map(Self)
            }
        }

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(crate::ids::ID_PATTERN))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

/// The pattern of an id in the OpenAPI document.
pub const ID_PATTERN: &str =
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

id_type!(
    /// A guest (`guests.id`).
    GuestId
);
id_type!(
    /// A stay (`stays.id`).
    StayId
);
id_type!(
    /// A shelter (`shelters.id`).
    ShelterId
);
id_type!(
    /// A place, a bed (`places.id`).
    PlaceId
);

/// A text kind kept in a column: stored as its kebab-case text, read back
/// through `FromStr` (a text the service never writes is an error of the
/// database, not of the request).
macro_rules! stored_kind {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        nattplats_rules::kinds::kebab_enum!($(#[$m])* #[derive(diesel::AsExpression, diesel::FromSqlRow)] #[diesel(sql_type = Text)] $name { $($variant => $text),+ });

        impl<DB: Backend> ToSql<Text, DB> for $name
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl<DB: Backend> FromSql<Text, DB> for $name
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let text = String::from_sql(bytes)?;
                Ok(text.parse::<$name>()?)
            }
        }
    };
}

stored_kind!(
    /// Where a stay stands, as stored (`stays.status`): `ended` is written
    /// when a stay is ended early, by its no-shows or by a ban.
    StayStatus { Active => "active", Ended => "ended", Voided => "voided" }
);

stored_kind!(
    /// What a night on a bed is (`bookings.kind`): a night of a stay, or a
    /// single-night placement in an emergency or on a cold night.
    BookingKind { Stay => "stay", Emergency => "emergency", ColdNight => "cold_night" }
);

impl From<nattplats_rules::coldnight::PlacementKind> for BookingKind {
    fn from(kind: nattplats_rules::coldnight::PlacementKind) -> Self {
        use nattplats_rules::coldnight::PlacementKind;
        match kind {
            PlacementKind::Emergency => Self::Emergency,
            PlacementKind::ColdNight => Self::ColdNight,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_parsed_only_from_a_uuid() {
        let id = GuestId::new();
        assert_eq!(GuestId::parse(id.as_str()), Some(id.clone()));
        assert_eq!(GuestId::parse("not-an-id"), None);
        assert_eq!(GuestId::parse(&format!("{id} ")), None);
        assert_eq!(
            serde_json::to_value(&id).ok(),
            Some(serde_json::json!(id.as_str()))
        );
    }

    #[test]
    fn a_kind_is_its_text_and_back() {
        for s in StayStatus::ALL {
            assert_eq!(s.as_str().parse::<StayStatus>(), Ok(*s));
        }
        assert_eq!(StayStatus::Voided.as_str(), "voided");
        assert_eq!(BookingKind::ColdNight.as_str(), "cold_night");
        assert!("gone".parse::<StayStatus>().is_err());
    }
}
