//! The field rules of request bodies that check a value as it was sent
//! (ranges, lengths, counts, the password rule) are declared on the body
//! with `#[derive(validator::Validate)]`; [`field_errors`] is the one
//! conversion of what `validator` finds into the service's
//! `AppError::Validation` list (field name and message, as in every other
//! 422).
//!
//! What is parsed rather than checked stays a parse, next to its body:
//! nights, enums, ids, countries, birth dates and the texts the service
//! keeps in a normal form (names, reasons, labels: trimmed, white space or
//! line breaks folded), because the parse yields the typed or normalised
//! value the service takes, and a rule on the raw text would judge
//! something else than what is stored.

use std::borrow::Cow;

use validator::{Validate, ValidationErrors, ValidationErrorsKind};

use crate::error::FieldError;

/// What `validator` found, as the service's field errors: `order` lists
/// the body's fields in the order their errors are reported (the order
/// they are declared in); a field it does not name comes after them, by
/// name. A nested field is named `outer.inner`, an item of a list
/// `outer[i].inner`. The message is the one the rule declares, or else
/// the rule's code.
pub fn field_errors(found: &ValidationErrors, order: &[&str]) -> Vec<FieldError> {
    let mut out = Vec::new();
    flatten("", found, &mut out);
    let rank = |field: &str| {
        let name = field.split(['.', '[']).next().unwrap_or(field);
        order.iter().position(|o| *o == name).unwrap_or(order.len())
    };
    out.sort_by(|a, b| {
        rank(&a.field)
            .cmp(&rank(&b.field))
            .then_with(|| a.field.cmp(&b.field))
    });
    out
}

fn flatten(prefix: &str, found: &ValidationErrors, out: &mut Vec<FieldError>) {
    for (name, kind) in found.errors() {
        let field = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match kind {
            ValidationErrorsKind::Field(errors) => {
                out.extend(errors.iter().map(|e| {
                    let message: &Cow<'static, str> = e.message.as_ref().unwrap_or(&e.code);
                    FieldError::new(field.clone(), message.as_ref())
                }));
            }
            ValidationErrorsKind::Struct(inner) => flatten(&field, inner, out),
            ValidationErrorsKind::List(items) => {
                for (i, inner) in items {
                    flatten(&format!("{field}[{i}]"), inner, out);
                }
            }
        }
    }
}

/// Checks `body`'s declared rules and appends what fails to `errors`, in
/// `order` (see [`field_errors`]).
pub fn check(body: &impl Validate, order: &[&str], errors: &mut Vec<FieldError>) {
    if let Err(found) = body.validate() {
        errors.extend(field_errors(&found, order));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Validate)]
    struct Body {
        #[validate(length(min = 1, message = "must name at least one"))]
        names: Vec<String>,
        #[validate(range(min = 1, max = 5, message = "must be 1 to 5"))]
        score: Option<i32>,
        #[validate(range(min = 0))]
        count: i64,
    }

    #[test]
    fn errors_come_in_the_order_given_with_their_messages() {
        let body = Body {
            names: vec![],
            score: Some(9),
            count: -1,
        };
        let mut errors = Vec::new();
        check(&body, &["score", "names"], &mut errors);
        assert_eq!(
            errors,
            vec![
                FieldError::new("score", "must be 1 to 5"),
                FieldError::new("names", "must name at least one"),
                // Not in the order: after it; no message: the rule's code.
                FieldError::new("count", "range"),
            ]
        );
        let fine = Body {
            names: vec!["a".into()],
            score: None,
            count: 0,
        };
        let mut errors = Vec::new();
        check(&fine, &["names", "score", "count"], &mut errors);
        assert!(errors.is_empty());
    }

    #[test]
    fn nested_and_listed_fields_are_named_by_their_path() {
        let mut inner = ValidationErrors::new();
        inner.add("x", validator::ValidationError::new("bad"));
        let mut outer = ValidationErrors::new();
        outer.0.insert(
            "list".into(),
            ValidationErrorsKind::List([(2, Box::new(inner.clone()))].into()),
        );
        outer
            .0
            .insert("one".into(), ValidationErrorsKind::Struct(Box::new(inner)));
        assert_eq!(
            field_errors(&outer, &["one", "list"]),
            vec![
                FieldError::new("one.x", "bad"),
                FieldError::new("list[2].x", "bad"),
            ]
        );
    }
}
