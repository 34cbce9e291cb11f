//! The fields the resources share: how a night and a reason are parsed
//! (every failure a [`FieldError`] naming the field), and how the OpenAPI
//! document states an id, a list of ids and a closed set of strings.
//!
//! An id's form is written once, [`ID_PATTERN`]. utoipa takes only a
//! string literal after `pattern =`, so the document reaches it through
//! types and functions instead: a body's field takes
//! `#[schema(schema_with = id_schema)]`, a query parameter
//! `#[param(value_type = Option<Id>, inline)]` and a path parameter
//! `("id" = inline(Id), Path, …)`.

use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Array, ArrayBuilder, Object, ObjectBuilder, Schema, Type};

use crate::error::{AppError, FieldError};
use crate::rules::Night;

/// An id sent in a field: the typed id, or the field's error.
pub fn id_field<T: crate::ids::Id>(
    field: &str,
    value: &str,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    let id = T::parse(value);
    if id.is_none() {
        errors.push(FieldError::new(field, "is not an id of this service"));
    }
    id
}

/// The id in a path: a text that is no id of this service names nothing
/// there, so it is answered as not found (`what`).
pub fn path_id<T: crate::ids::Id>(value: &str, what: &str) -> Result<T, AppError> {
    T::parse(value).ok_or_else(|| AppError::not_found(what))
}

/// The form of an id of this service (`ids::is_id`): a UUID in its 36
/// characters.
pub use crate::ids::ID_PATTERN;

fn id_object() -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(ID_PATTERN))
}

/// An id, for `schema_with`.
pub fn id_schema() -> Object {
    id_object().build()
}

/// An id with a description, for `schema_with` on a field whose
/// description the document must show (`schema_with` leaves out the
/// field's doc comment).
pub fn described_id_schema(description: &str) -> Object {
    id_object().description(Some(description)).build()
}

/// A list of ids, for `schema_with`.
pub fn id_list_schema() -> Array {
    ArrayBuilder::new().items(id_object()).build()
}

/// An id, as the type of a parameter (`inline(Id)`, `value_type =
/// Option<Id>, inline`): the same schema as [`id_schema`].
pub struct Id;

impl utoipa::PartialSchema for Id {
    fn schema() -> RefOr<Schema> {
        id_schema().into()
    }
}

impl utoipa::ToSchema for Id {}

/// A string that is one of `values`, for `schema_with`.
pub fn enum_schema(values: &[&str]) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.iter().copied()))
        .build()
}

/// Parses an optional night field.
pub fn parse_night(
    field: &str,
    value: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<Night> {
    let v = value?;
    match v.parse::<Night>() {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(FieldError::new(field, e.to_string()));
            None
        }
    }
}

/// A reason: free text of 1 to 500 characters ([`crate::api::text`]).
pub fn parse_reason(reason: &str) -> Result<String, AppError> {
    crate::api::text::free_text(reason, 500).map_err(|m| AppError::validation("reason", m))
}

/// A reason among other fields: its error joins theirs.
pub fn reason_field(reason: &str, errors: &mut Vec<FieldError>) -> Option<String> {
    crate::api::text::free_text(reason, 500)
        .map_err(|m| errors.push(FieldError::new("reason", m)))
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_pattern_is_the_form_of_the_ids_the_service_hands_out() {
        let id = uuid::Uuid::new_v4().to_string();
        assert!(crate::domain::is_id(&id));
        let json = serde_json::to_value(id_schema()).unwrap_or_default();
        assert_eq!(json["pattern"], ID_PATTERN);
        assert_eq!(json["type"], "string");
        let list = serde_json::to_value(id_list_schema()).unwrap_or_default();
        assert_eq!(list["items"], json);
    }
}
