//! Complaints and feedback (synpunkter och klagomål), and the user survey.
//!
//! Shelter staff and coordinators record complaints per shelter; the text
//! may name people, so only coordinators read them, and every reading is
//! on the audit trail. Survey answers are stored without names, without
//! who entered them and without the time of day, and leave no audit entry,
//! so nothing kept of an answer can be joined with a check-in.

use actix_web::{HttpResponse, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::RequestTag;
use crate::api::extract::{ApiJson, ApiQuery};
use crate::api::fields::{enum_schema, parse_night};
use crate::api::state::AppState;
use crate::audit::Target;
use crate::auth::Caller;
use crate::domain::{Role, is_id};
use crate::error::{AppError, FieldError};
use crate::service::feedback::{
    self as svc, COMPLAINT_CATEGORIES, COMPLAINT_KINDS, COMPLAINT_SOURCES, COMPLAINT_STATUSES,
    ComplaintView, NewComplaint, QUESTIONNAIRE, QUESTIONS, SurveyAnswer, YES_PARTLY_NO,
};

fn source_schema() -> utoipa::openapi::schema::Object {
    enum_schema(&COMPLAINT_SOURCES)
}
fn kind_schema() -> utoipa::openapi::schema::Object {
    enum_schema(&COMPLAINT_KINDS)
}
fn category_schema() -> utoipa::openapi::schema::Object {
    enum_schema(&COMPLAINT_CATEGORIES)
}
fn status_schema() -> utoipa::openapi::schema::Object {
    enum_schema(&COMPLAINT_STATUSES)
}
fn yes_partly_no_schema() -> utoipa::openapi::schema::Object {
    enum_schema(YES_PARTLY_NO)
}

fn one_of(field: &str, value: &str, allowed: &[&str], errors: &mut Vec<FieldError>) {
    if !allowed.contains(&value) {
        errors.push(FieldError::new(
            field,
            format!("must be one of: {}", allowed.join(", ")),
        ));
    }
}

/// Free text ([`crate::api::text`]); its error joins the others.
fn text(field: &str, value: &str, max: usize, errors: &mut Vec<FieldError>) -> String {
    crate::api::text::free_text(value, max)
        .map_err(|m| errors.push(FieldError::new(field, m)))
        .unwrap_or_default()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateComplaint {
    #[schema(schema_with = crate::api::fields::id_schema)]
    shelter_id: String,
    /// The night it concerns; defaults to the current night.
    #[schema(value_type = Option<String>, format = Date)]
    night: Option<String>,
    /// Who raised it: a guest (written down by staff) or staff.
    #[schema(schema_with = source_schema)]
    source: String,
    /// A complaint (klagomål) or other feedback (synpunkt).
    #[schema(schema_with = kind_schema)]
    kind: String,
    #[schema(schema_with = category_schema)]
    category: String,
    /// 1 to 4000 characters; no control characters but line breaks.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    text: String,
}

#[utoipa::path(tag = "complaints", security(("bearer" = [])), request_body = CreateComplaint, responses(
    (status = 201, body = ComplaintView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/complaints")]
pub async fn create_complaint(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    body: ApiJson<CreateComplaint>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator, Role::ShelterStaff])?;
    let b = body.0;
    let mut errors = Vec::new();
    if !is_id(&b.shelter_id) {
        errors.push(FieldError::new(
            "shelter_id",
            "is not an id of this service",
        ));
    }
    let night = parse_night("night", b.night.as_deref(), &mut errors);
    one_of("source", &b.source, &COMPLAINT_SOURCES, &mut errors);
    one_of("kind", &b.kind, &COMPLAINT_KINDS, &mut errors);
    one_of("category", &b.category, &COMPLAINT_CATEGORIES, &mut errors);
    let text = text("text", &b.text, 4000, &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = state.clock.now();
    let new = NewComplaint {
        shelter_id: b.shelter_id,
        night: night.unwrap_or_else(|| state.partnership.calendar.night_of(now)),
        source: b.source,
        kind: b.kind,
        category: b.category,
        text,
    };
    let audit = crate::api::extract::audit(&caller, &tag, "complaint.create", Target::default());
    let view = state
        .service()
        .audited(
            audit,
            move |conn| svc::record_complaint(conn, &new, &caller.scope(), &caller.user_id, now),
            |c: &ComplaintView| vec![Target::subject(&c.id)],
        )
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ComplaintQuery {
    /// First night; defaults to 30 nights before `to`.
    #[param(value_type = Option<String>, format = Date)]
    from: Option<String>,
    /// Last night; defaults to the current night; at most 400 nights after
    /// `from`.
    #[param(value_type = Option<String>, format = Date)]
    to: Option<String>,
    #[param(schema_with = status_schema)]
    status: Option<String>,
}

#[utoipa::path(tag = "complaints", security(("bearer" = [])), params(ComplaintQuery), responses(
    (status = 200, body = Vec<ComplaintView>, description = "At most 1000, oldest first"),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/complaints")]
pub async fn list_complaints(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<ComplaintQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator])?;
    let q = query.0;
    let mut errors = Vec::new();
    let from = parse_night("from", q.from.as_deref(), &mut errors);
    let to = parse_night("to", q.to.as_deref(), &mut errors);
    if let Some(s) = &q.status {
        one_of("status", s, &COMPLAINT_STATUSES, &mut errors);
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let current = state.partnership.calendar.night_of(state.clock.now());
    let to = to.unwrap_or(current);
    let from = from.unwrap_or(to.plus(-30));
    if to < from || from.nights_until(to) > 400 {
        return Err(AppError::validation(
            "to",
            "must be from `from` to 400 nights after it",
        ));
    }
    let status = q.status;
    // The texts may name people: each complaint read is an entry.
    let audit = crate::api::extract::audit(&caller, &tag, "complaint.list", Target::default());
    let list = state
        .service()
        .audited(
            audit,
            move |conn| svc::list_complaints(conn, from.date(), to.date(), status.as_deref()),
            |list: &Vec<ComplaintView>| list.iter().map(|c| Target::subject(&c.id)).collect(),
        )
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateComplaint {
    #[schema(schema_with = status_schema)]
    status: String,
    /// The answer given; needed (here or before) to mark it `answered`.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    response: Option<String>,
}

#[utoipa::path(tag = "complaints", security(("bearer" = [])), params(("id" = inline(crate::api::fields::Id), Path, description = "The complaint")), request_body = UpdateComplaint, responses(
    (status = 200, body = ComplaintView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 409, body = crate::api::Problem, description = "complaint-transition"),
    (status = 422, body = crate::api::Problem)
))]
#[patch("/complaints/{id}")]
pub async fn update_complaint(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    path: web::Path<String>,
    body: ApiJson<UpdateComplaint>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator])?;
    let b = body.0;
    let mut errors = Vec::new();
    one_of("status", &b.status, &COMPLAINT_STATUSES, &mut errors);
    let response = b.response.map(|r| text("response", &r, 4000, &mut errors));
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let id = path.into_inner();
    let now = state.clock.now();
    let audit = crate::api::extract::audit(&caller, &tag, "complaint.update", Target::subject(&id));
    let view = state
        .service()
        .audited(
            audit,
            move |conn| {
                svc::update_complaint(
                    conn,
                    &id,
                    &b.status,
                    response.as_deref(),
                    &caller.user_id,
                    now,
                )
            },
            |c: &ComplaintView| vec![Target::subject(&c.id)],
        )
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Serialize, ToSchema)]
pub struct QuestionView {
    id: &'static str,
    text: &'static str,
    answers: &'static [&'static str],
}

#[derive(Serialize, ToSchema)]
pub struct Questionnaire {
    id: &'static str,
    questions: Vec<QuestionView>,
}

#[utoipa::path(tag = "survey", security(("bearer" = [])), responses(
    (status = 200, body = Questionnaire, description = "The fixed questions of the user survey"),
    (status = 401, body = crate::api::Problem)
))]
#[get("/survey")]
pub async fn questionnaire() -> HttpResponse {
    HttpResponse::Ok().json(Questionnaire {
        id: QUESTIONNAIRE,
        questions: QUESTIONS
            .iter()
            .map(|q| QuestionView {
                id: q.id,
                text: q.text,
                answers: q.answers,
            })
            .collect(),
    })
}

#[derive(Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct CreateSurveyAnswer {
    #[schema(schema_with = crate::api::fields::id_schema)]
    shelter_id: String,
    /// Defaults to the current night.
    #[schema(value_type = Option<String>, format = Date)]
    night: Option<String>,
    #[schema(schema_with = yes_partly_no_schema)]
    safe: Option<String>,
    #[schema(schema_with = yes_partly_no_schema)]
    respected: Option<String>,
    #[schema(schema_with = yes_partly_no_schema)]
    clean: Option<String>,
    #[schema(schema_with = yes_partly_no_schema)]
    informed: Option<String>,
    #[schema(minimum = 1, maximum = 5)]
    #[validate(range(min = 1, max = 5, message = "must be 1 to 5"))]
    overall: Option<i32>,
}

#[derive(Serialize, ToSchema)]
pub struct SurveyAnswerView {
    id: String,
    shelter_id: String,
    #[schema(value_type = String, format = Date)]
    night: crate::rules::Night,
    questionnaire: &'static str,
}

#[utoipa::path(tag = "survey", security(("bearer" = [])), request_body = CreateSurveyAnswer, responses(
    (status = 201, body = SurveyAnswerView),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 404, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[post("/survey/responses")]
pub async fn answer_survey(
    state: web::Data<AppState>,
    caller: Caller,
    body: ApiJson<CreateSurveyAnswer>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Coordinator, Role::ShelterStaff])?;
    let b = body.0;
    let mut errors = Vec::new();
    if !is_id(&b.shelter_id) {
        errors.push(FieldError::new(
            "shelter_id",
            "is not an id of this service",
        ));
    }
    let night = parse_night("night", b.night.as_deref(), &mut errors);
    for (field, v) in [
        ("safe", &b.safe),
        ("respected", &b.respected),
        ("clean", &b.clean),
        ("informed", &b.informed),
    ] {
        if let Some(v) = v {
            one_of(field, v, YES_PARTLY_NO, &mut errors);
        }
    }
    crate::api::validation::check(&b, &["overall"], &mut errors);
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let now = state.clock.now();
    let answer = SurveyAnswer {
        shelter_id: b.shelter_id,
        night: night.unwrap_or_else(|| state.partnership.calendar.night_of(now)),
        safe: b.safe,
        respected: b.respected,
        clean: b.clean,
        informed: b.informed,
        overall: b.overall,
    };
    let shelter_id = answer.shelter_id.clone();
    let night = answer.night;
    // Not on the audit trail: an entry there would hold the user and the
    // instant, and sit in the trail's order right after the check-in the
    // same desk made a moment before, naming the guest who answered.
    let scope = caller.scope();
    let id = crate::service::blocking(&state.pool, move |conn| {
        svc::record_answer(conn, &answer, &scope)
    })
    .await?;
    Ok(HttpResponse::Created().json(SurveyAnswerView {
        id,
        shelter_id,
        night,
        questionnaire: QUESTIONNAIRE,
    }))
}
