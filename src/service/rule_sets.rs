//! Rule sets (RULES.md: every "configurable" value, versioned by the night
//! it takes effect). The admin adds one; it is used for the stays whose
//! first night is on or after its night, on every instance without a
//! restart, and the stays already granted keep theirs (a stay stores its
//! length, karenstid and no-show limit when it is granted).
//!
//! What a new rule set must be is a rule (`RuleSet::check_new`); this act
//! checks it against the rule sets stored, under a lock so that two
//! admins cannot both add "the newest", stores it, and makes this
//! instance use it at once (the others read it again when they hear the
//! change the act announces: `Changes::announce_rules`, `on_heard`).

use crate::audit::{Audit, Target};
use crate::db::partnerships::{self, StoredRuleSet};
use crate::error::{AppError, FieldError};
use crate::rules::RuleSet;
use crate::service::Context;
use crate::service::act::{self, Created};
use crate::service::idempotency::Keyed;

/// The rule sets as stored, oldest first (the database is the word; an
/// instance's copy may be a moment behind another instance's addition).
pub fn list(ctx: &Context) -> Result<Vec<StoredRuleSet>, AppError> {
    let mut conn = ctx.connection()?;
    partnerships::stored_rule_sets(&mut conn, &ctx.partnership.id).map_err(AppError::Internal)
}

/// The newest rule set stored: what a new one leaves unchanged by default.
pub fn newest(ctx: &Context) -> Result<RuleSet, AppError> {
    list(ctx)?
        .pop()
        .map(|s| s.rules)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("the partnership has no rule set")))
}

/// Adds `new`, audited as `rule_set.create`; refused (422, naming each
/// setting) when `RuleSet::check_new` says no.
pub fn create(ctx: &Context, audit: &Audit, new: RuleSet) -> Result<StoredRuleSet, AppError> {
    let (tonight, now, partnership_id) = when(ctx)?;
    let stored = act::audited(
        ctx,
        audit,
        move |conn| add(conn, &partnership_id, &new, tonight, now),
        |s: &StoredRuleSet| vec![Target::subject(&s.id)],
    )?;
    use_at_once(ctx)?;
    Ok(stored)
}

/// [`create`], once per idempotency key (the admin's form): sent again,
/// it answers the first rule set and adds none.
pub fn create_once(
    ctx: &Context,
    audit: &Audit,
    keyed: &Keyed,
    new: RuleSet,
) -> Result<Created, AppError> {
    let (tonight, now, partnership_id) = when(ctx)?;
    let (_, answer) = act::audited_once(
        ctx,
        audit,
        keyed,
        201,
        move |conn| add(conn, &partnership_id, &new, tonight, now).map(|s| Created { id: s.id }),
        |c: &Created| vec![Target::subject(&c.id)],
    )?;
    use_at_once(ctx)?;
    serde_json::from_value(answer).map_err(|e| AppError::Internal(e.into()))
}

/// Tonight, the time of the act, and the partnership.
fn when(ctx: &Context) -> Result<(crate::rules::Night, chrono::NaiveDateTime, String), AppError> {
    let tonight = ctx.rules_now()?.night;
    Ok((tonight, ctx.now().naive_utc(), ctx.partnership.id.clone()))
}

/// Checks `new` against the rule sets stored, under the partnership's
/// lock, and stores it.
fn add(
    conn: &mut crate::db::DbConnection,
    partnership_id: &str,
    new: &RuleSet,
    tonight: crate::rules::Night,
    now: chrono::NaiveDateTime,
) -> Result<StoredRuleSet, AppError> {
    partnerships::lock(conn, partnership_id)?;
    let existing: Vec<RuleSet> = partnerships::stored_rule_sets(conn, partnership_id)
        .map_err(AppError::Internal)?
        .into_iter()
        .map(|s| s.rules)
        .collect();
    new.check_new(&existing, tonight).map_err(|problems| {
        AppError::Validation(
            problems
                .into_iter()
                .map(|(field, message)| FieldError::new(field, message))
                .collect(),
        )
    })?;
    partnerships::insert_rule_set(conn, partnership_id, new, now).map_err(AppError::Internal)
}

/// This instance uses what is stored at once.
fn use_at_once(ctx: &Context) -> Result<(), AppError> {
    let mut conn = ctx.connection()?;
    partnerships::reload_rule_sets(&mut conn, &ctx.partnership).map_err(AppError::Internal)
}
