//! What every act of the service is made of, so each act can read top to
//! bottom: who acts and where they may ([`Actor`]), one attempt of the
//! whole act in its own transaction ([`retrying`] begins again while other
//! desks take the places tried), how a write that took a place tells
//! "try again" from "refused" ([`placed`]), and that an act's writes come
//! after its refusals ([`decided`]).

use crate::audit::{self, Audit, Target, Who};
use crate::auth::Scope;
use crate::db::{self, DbConnection, Tx};
use crate::error::AppError;
use crate::rules::Refusal;
use crate::service::Context;
use crate::service::idempotency::{self, Answer, Claim, Keyed};

/// How often an act is tried again when another desk took the chosen
/// place between its read and its write.
const ATTEMPTS: usize = 8;

/// Who acts, as the audit records them, and the shelters they may act on.
#[derive(Debug, Clone)]
pub struct Actor {
    pub who: Who,
    pub scope: Scope,
}

impl Actor {
    pub fn user_id(&self) -> &str {
        &self.who.user_id
    }
}

/// Why one attempt of an act stopped: a real error (a refusal among
/// them), or "another desk took the place; roll back and try the whole
/// act again".
pub enum Step {
    Failed(AppError),
    Retry,
}

impl From<AppError> for Step {
    fn from(e: AppError) -> Self {
        Self::Failed(e)
    }
}

impl From<diesel::result::Error> for Step {
    fn from(e: diesel::result::Error) -> Self {
        // A deadlock or serialization failure undid the whole attempt:
        // the next one starts afresh. A lost database is not retried here.
        let transient = matches!(
            &e,
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::SerializationFailure,
                _
            )
        ) || matches!(&e, diesel::result::Error::DatabaseError(_, info)
                if info.message().contains("deadlock detected"));
        if transient {
            Self::Retry
        } else {
            Self::Failed(e.into())
        }
    }
}

impl From<Refusal> for Step {
    fn from(r: Refusal) -> Self {
        Self::Failed(r.into())
    }
}

/// Runs `attempt`, the whole act from its `Tx::begin` to its commit,
/// again while it asks to ([`Step::Retry`], its transaction rolled back),
/// up to [`ATTEMPTS`] times.
pub fn retrying<T>(
    conn: &mut DbConnection,
    mut attempt: impl FnMut(&mut DbConnection) -> Result<T, Step>,
) -> Result<T, AppError> {
    for _ in 0..ATTEMPTS {
        match attempt(conn) {
            Ok(v) => return Ok(v),
            Err(Step::Retry) => continue,
            Err(Step::Failed(e)) => return Err(e),
        }
    }
    Err(AppError::Conflict {
        code: "busy",
        detail: "Other desks took the places tried, again and again; try once more.".into(),
    })
}

/// A simple act (a read of personal data, a change no bed rule decides):
/// begin, the work, an audit entry per target it names, commit. A refused
/// act is audited as `ACTION.refused` about what it attempted, and what
/// the refusal wrote is kept; any other error rolls everything back and is
/// not audited. The acts on beds are written out step by step instead
/// (`service::stays::take_stay` and its neighbours).
pub fn audited<T>(
    ctx: &Context,
    audit: &Audit,
    work: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
    targets: impl FnOnce(&T) -> Vec<Target>,
) -> Result<T, AppError> {
    let mut conn = ctx.connection()?;
    let mut tx = Tx::begin(&mut conn)?;
    let done = work_audited(&mut tx, audit, work, targets);
    if let Err(e) = &done
        && !matches!(e, AppError::Refused(_))
    {
        return done;
    }
    tx.commit()?;
    done
}

/// [`audited`], once per idempotency key (a form of the pages, or a
/// request with `Idempotency-Key`): the key is claimed in the act's
/// transaction; sent again, the act answers what it answered the first
/// time and does nothing. The answer is `status` and the value as JSON. A
/// refused act lets go of the key, so the same form may be sent again
/// once the reason is mended; any other error rolls the claim back too.
pub fn audited_once<T: serde::Serialize>(
    ctx: &Context,
    audit: &Audit,
    keyed: &Keyed,
    status: u16,
    work: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
    targets: impl FnOnce(&T) -> Vec<Target>,
) -> Result<Answer, AppError> {
    once(ctx, keyed, status, |tx| {
        work_audited(tx, audit, work, targets)
    })
}

/// What an act that made something answers once per key: the new thing's
/// id (never more: the answer is stored with the key).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Created {
    pub id: String,
}

/// An act that is not audited (it touches no personal data: a place, a
/// shelter's contact), once per idempotency key as [`audited_once`].
pub fn once<T: serde::Serialize>(
    ctx: &Context,
    keyed: &Keyed,
    status: u16,
    work: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
) -> Result<Answer, AppError> {
    let mut conn = ctx.connection()?;
    let mut tx = Tx::begin(&mut conn)?;
    let ticket = match idempotency::claim(&mut tx, keyed)? {
        Claim::Answered(first) => return Ok(first),
        Claim::Ours(ticket) => ticket,
    };
    match work(&mut tx).and_then(|value| idempotency::answer(status, &value)) {
        Ok(answer) => {
            ticket.save(&mut tx, &answer)?;
            tx.commit()?;
            Ok(answer)
        }
        Err(AppError::Refused(refusal)) => {
            ticket.forget(&mut tx)?;
            tx.commit()?;
            Err(AppError::Refused(refusal))
        }
        Err(e) => Err(e),
    }
}

/// The work and its audit entries in the act's transaction, which the
/// caller commits on success and on a refusal (audited as
/// `ACTION.refused` about what was attempted).
fn work_audited<T>(
    tx: &mut DbConnection,
    audit: &Audit,
    work: impl FnOnce(&mut DbConnection) -> Result<T, AppError>,
    targets: impl FnOnce(&T) -> Vec<Target>,
) -> Result<T, AppError> {
    match work(tx) {
        Ok(value) => {
            audit::append(tx, &audit.who, audit.action, &targets(&value))?;
            Ok(value)
        }
        Err(AppError::Refused(refusal)) => {
            let refused = format!("{}.refused", audit.action);
            audit::append(
                tx,
                &audit.who,
                &refused,
                std::slice::from_ref(&audit.attempted),
            )?;
            Err(AppError::Refused(refusal))
        }
        Err(e) => Err(e),
    }
}

impl Context {
    /// [`audited`], off the async reactor.
    pub async fn audited<T, F, G>(&self, audit: Audit, work: F, targets: G) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        G: FnOnce(&T) -> Vec<Target> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |ctx| audited(ctx, &audit, work, targets))
            .await
    }

    /// [`audited_once`], off the async reactor.
    pub async fn audited_once<T, F, G>(
        &self,
        audit: Audit,
        keyed: Keyed,
        status: u16,
        work: F,
        targets: G,
    ) -> Result<Answer, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        G: FnOnce(&T) -> Vec<Target> + Send + 'static,
        T: serde::Serialize + Send + 'static,
    {
        self.run(move |ctx| audited_once(ctx, &audit, &keyed, status, work, targets))
            .await
    }

    /// [`once`], off the async reactor.
    pub async fn once<T, F>(&self, keyed: Keyed, status: u16, work: F) -> Result<Answer, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: serde::Serialize + Send + 'static,
    {
        self.run(move |ctx| once(ctx, &keyed, status, work)).await
    }
}

/// Which invariant a unique violation broke.
fn guest_conflict(e: &diesel::result::Error) -> bool {
    match e {
        diesel::result::Error::DatabaseError(_, info) => {
            let text = format!(
                "{} {}",
                info.message(),
                info.constraint_name().unwrap_or_default()
            );
            text.contains("per_guest_night") || text.contains("bookings.guest_id")
        }
        _ => false,
    }
}

/// The writes of an act once its rules have answered. The acts on beds
/// run their work without a savepoint and record a refusal in the same
/// transaction, so a refusal may only come before the first write: one
/// after it would keep what was written. The one refusal a constraint can
/// still give here (`placed`: the guest holds one of the nights, placed
/// meanwhile by an act the rules' read did not see) is therefore tried
/// again from the beginning, where the rules refuse before writing.
pub fn decided<T>(writes: Result<T, Step>) -> Result<T, Step> {
    match writes {
        Err(Step::Failed(AppError::Refused(_))) => Err(Step::Retry),
        other => other,
    }
}

/// A write that took a place: another desk holding it asks for another
/// attempt (the transaction is rolled back first); a guest who already
/// holds one of the nights is `already-placed`.
pub fn placed(result: diesel::QueryResult<()>) -> Result<(), Step> {
    match result {
        Ok(()) => Ok(()),
        Err(e) if db::is_unique_violation(&e) && guest_conflict(&e) => {
            Err(Refusal::AlreadyPlaced.into())
        }
        Err(e) if db::is_unique_violation(&e) => Err(Step::Retry),
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod step_tests {
    use super::{ATTEMPTS, AppError, DbConnection, Refusal, Step, decided, retrying};
    use diesel::Connection;
    use diesel::result::{DatabaseErrorKind as K, Error as E};

    fn db_error(kind: K, message: &str) -> E {
        E::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn deadlocks_and_serialization_failures_are_tried_again() {
        for again in [
            db_error(K::Unknown, "deadlock detected"),
            db_error(K::SerializationFailure, "could not serialize access"),
        ] {
            assert!(matches!(Step::from(again), Step::Retry));
        }
        for fails in [
            db_error(K::UniqueViolation, "duplicate key"),
            db_error(K::Unknown, "syntax error"),
        ] {
            assert!(matches!(Step::from(fails), Step::Failed(_)));
        }
    }

    fn memory() -> DbConnection {
        match diesel::SqliteConnection::establish(":memory:") {
            Ok(c) => DbConnection::Sqlite(c),
            Err(e) => panic!("in-memory SQLite: {e}"),
        }
    }

    #[test]
    fn a_place_lost_again_and_again_ends_as_busy_after_the_last_attempt() {
        let mut conn = memory();
        let mut tries = 0;
        let result: Result<(), AppError> = retrying(&mut conn, |_| {
            tries += 1;
            Err(Step::Retry)
        });
        assert_eq!(tries, ATTEMPTS);
        match result {
            Err(AppError::Conflict { code, .. }) => assert_eq!(code, "busy"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_refusal_after_the_writes_is_tried_again_and_nothing_else_changes() {
        let refused: Result<(), Step> = Err(Refusal::AlreadyPlaced.into());
        assert!(matches!(decided(refused), Err(Step::Retry)));
        assert!(matches!(decided::<()>(Err(Step::Retry)), Err(Step::Retry)));
        let failed: Result<(), Step> = Err(AppError::not_found("guest").into());
        assert!(matches!(
            decided(failed),
            Err(Step::Failed(AppError::NotFound(_)))
        ));
        assert_eq!(decided::<u8>(Ok(7)).ok(), Some(7));
    }

    #[test]
    fn a_place_won_on_a_later_attempt_is_kept() {
        let mut conn = memory();
        let mut tries = 0;
        let result = retrying(&mut conn, |_| {
            tries += 1;
            if tries < ATTEMPTS {
                Err(Step::Retry)
            } else {
                Ok(tries)
            }
        });
        assert_eq!(result.ok(), Some(ATTEMPTS));
    }
}
