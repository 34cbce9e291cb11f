//! `GET /audit`: the audit trail, for admins, by guest, user and time.

use actix_web::{HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::extract::ApiQuery;
use crate::api::extract::RequestTag;
use crate::api::state::AppState;
use crate::audit::{self, Entry, Filter, Target};
use crate::auth::Caller;
use crate::domain::{Role, is_id};
use crate::error::{AppError, FieldError};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Entries about this guest.
    #[param(value_type = Option<crate::api::fields::Id>, inline)]
    guest_id: Option<String>,
    /// Entries of acts by this user.
    #[param(value_type = Option<crate::api::fields::Id>, inline)]
    user_id: Option<String>,
    /// RFC 3339; entries at or after.
    from: Option<DateTime<Utc>>,
    /// RFC 3339; entries before.
    to: Option<DateTime<Utc>>,
    /// Entries with a sequence number below this one: the `next_before` of
    /// the previous page.
    before: Option<i64>,
    /// At most this many, newest first (1 to 1000, default 100).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct EntryOut {
    seq: i64,
    at: DateTime<Utc>,
    user_id: String,
    roles: Vec<String>,
    action: String,
    guest_id: Option<String>,
    subject_id: Option<String>,
    request_id: Option<String>,
    /// The hash chain the entry is in (`nattplats audit verify` walks each).
    chain: i32,
    /// Its place in that chain, from 1.
    link: i64,
    hash: String,
}

impl From<Entry> for EntryOut {
    fn from(e: Entry) -> Self {
        Self {
            seq: e.seq,
            at: e.at.and_utc(),
            user_id: e.user_id,
            roles: e.roles.split(',').map(str::to_owned).collect(),
            action: e.action,
            guest_id: e.guest_id,
            subject_id: e.subject_id,
            request_id: e.request_id,
            chain: e.chain,
            link: e.link,
            hash: e.hash,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AuditPage {
    entries: Vec<EntryOut>,
    /// Pass as `before` for the next (older) page; absent on the last one.
    next_before: Option<i64>,
}

#[utoipa::path(tag = "admin", security(("bearer" = [])), params(AuditQuery), responses(
    (status = 200, body = AuditPage),
    (status = 401, body = crate::api::Problem),
    (status = 403, body = crate::api::Problem),
    (status = 422, body = crate::api::Problem)
))]
#[get("/audit")]
pub async fn list_audit(
    state: web::Data<AppState>,
    caller: Caller,
    tag: RequestTag,
    query: ApiQuery<AuditQuery>,
) -> Result<HttpResponse, AppError> {
    caller.require_any(&[Role::Admin])?;
    let q = query.0;
    let mut errors = Vec::new();
    for (field, value) in [("guest_id", &q.guest_id), ("user_id", &q.user_id)] {
        if value.as_deref().is_some_and(|v| !is_id(v)) {
            errors.push(FieldError::new(field, "is not an id of this service"));
        }
    }
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        errors.push(FieldError::new("limit", "must be 1 to 1000"));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let filter = Filter {
        guest_id: q.guest_id.clone(),
        user_id: q.user_id,
        from: q.from.map(|t| t.naive_utc()),
        to: q.to.map(|t| t.naive_utc()),
        before: q.before,
    };
    // Looking up what was done to a guest is itself a read about them.
    let about = q.guest_id.map(Target::guest).unwrap_or_default();
    let audit = crate::api::extract::audit(&caller, &tag, "audit.read", about.clone());
    let entries = state
        .service()
        .audited(
            audit,
            move |conn| Ok(audit::query(conn, &filter, limit)?),
            move |_| {
                if about.guest_id.is_some() {
                    vec![about]
                } else {
                    vec![]
                }
            },
        )
        .await?;
    let next_before = (entries.len() as i64 == limit)
        .then(|| entries.last().map(|e| e.seq))
        .flatten();
    Ok(HttpResponse::Ok().json(AuditPage {
        entries: entries.into_iter().map(EntryOut::from).collect(),
        next_before,
    }))
}
