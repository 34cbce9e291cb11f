//! Every Response Object of OpenAPI must have a `description`. A response
//! declared in a path attribute without one (`(status = 404, body =
//! Problem)`) gets an empty description from utoipa, which it then leaves
//! out of the document, so the document is not valid. This fills each
//! missing description once, for every operation, from the status: its
//! reason phrase ("Not Found"), or words for a range ("2XX") or `default`.

use actix_web::http::StatusCode;
use utoipa::Modify;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{OpenApi, RefOr, Response};

/// Fills the description of every response that has none.
pub struct ResponseDescriptions;

impl Modify for ResponseDescriptions {
    fn modify(&self, openapi: &mut OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.options,
                &mut item.head,
                &mut item.patch,
                &mut item.trace,
                &mut item.query,
            ];
            for op in operations.into_iter().flatten() {
                describe(op);
            }
            for op in item.additional_operations.values_mut() {
                describe(op);
            }
        }
        if let Some(components) = openapi.components.as_mut() {
            for (name, response) in components.responses.iter_mut() {
                if let RefOr::T(r) = response
                    && r.description.trim().is_empty()
                {
                    r.description = name.clone();
                }
            }
        }
    }
}

fn describe(op: &mut Operation) {
    for (status, response) in op.responses.responses.iter_mut() {
        if let RefOr::T(r) = response {
            fill(status, r);
        }
    }
}

fn fill(status: &str, response: &mut Response) {
    if response.description.trim().is_empty() {
        response.description = describe_status(status);
    }
}

/// Words for a key of a Responses Object.
pub fn describe_status(status: &str) -> String {
    if let Some(reason) = status
        .parse::<u16>()
        .ok()
        .and_then(|code| StatusCode::from_u16(code).ok())
        .and_then(|code| code.canonical_reason())
    {
        return reason.to_owned();
    }
    match status.to_ascii_uppercase().as_str() {
        "1XX" => "Informational".to_owned(),
        "2XX" => "Success".to_owned(),
        "3XX" => "Redirection".to_owned(),
        "4XX" => "Client error".to_owned(),
        "5XX" => "Server error".to_owned(),
        "DEFAULT" => "Any other answer".to_owned(),
        _ => format!("Status {status}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_get_their_reason_phrase() {
        assert_eq!(describe_status("200"), "OK");
        assert_eq!(describe_status("404"), "Not Found");
        assert_eq!(describe_status("422"), "Unprocessable Entity");
        assert_eq!(describe_status("2XX"), "Success");
        assert_eq!(describe_status("default"), "Any other answer");
        assert_eq!(describe_status("299"), "Status 299");
    }

    #[test]
    fn a_given_description_is_kept() {
        let mut r = Response::new("A bed rule refuses");
        fill("409", &mut r);
        assert_eq!(r.description, "A bed rule refuses");
        let mut r = Response::new("");
        fill("409", &mut r);
        assert_eq!(r.description, "Conflict");
    }
}
