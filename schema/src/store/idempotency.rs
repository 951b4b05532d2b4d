//! Idempotency keys: every statement of safe retries (README, "Safe
//! retries"). A request sent with a key claims it
//! before it runs, with an insert only one of two racing requests can win;
//! its own write transaction marks the key applied as it commits (see
//! [`applying`]); then its answer is kept. A retry finds the answer and sends
//! it again, or finds the run still going and waits, or finds it applied
//! with its answer lost and is told so: never does it apply twice.
//!
//! Times are milliseconds since the Unix epoch, compared as integers, the
//! same way on both engines.

use std::time::Duration;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, QueryResult};

use super::write::sqlite_gate;
use crate::error::{ApiError, ApiResult};

const TABLE: &str = "idempotency_keys";

/// How long a key and its answer are kept.
const KEPT_FOR: Duration = Duration::from_secs(24 * 60 * 60);

/// A key this run holds: which subject's, and which attempt at it.
#[derive(Clone, Debug)]
pub struct Claim {
    subject: String,
    key: String,
    attempt: i32,
}

/// An answer as it was sent: what a retry receives again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Kept {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

/// What a claim found.
#[derive(Debug)]
pub enum Found {
    /// The key is this run's: run the request, then [`keep`] or [`release`].
    Claimed(Claim),
    /// The first answer, to send again.
    Answered(Kept),
    /// The key was used for a different request.
    Reused,
    /// The same request holds the key and may still be running.
    Running,
    /// The same request was applied, but its run ended without an answer.
    Lost,
}

impl Found {
    /// What the log calls it.
    pub fn name(&self) -> &'static str {
        match self {
            Found::Claimed(_) => "claimed",
            Found::Answered(_) => "replayed",
            Found::Reused => "reused",
            Found::Running => "running",
            Found::Lost => "lost",
        }
    }
}

/// The refusal of a retry whose first run applied but never answered.
pub fn lost() -> ApiError {
    ApiError::Conflict(
        "this request was applied, but its answer was lost: read the current state rather than send it again"
            .to_owned(),
    )
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The row of one key.
fn this(subject: &str, key: &str) -> Expr {
    Expr::col("subject").eq(subject).and(Expr::col("key").eq(key))
}

/// The row of one key while `claim` holds it.
fn held(claim: &Claim) -> Expr {
    this(&claim.subject, &claim.key).and(Expr::col("attempt").eq(claim.attempt))
}

struct Row {
    fingerprint: String,
    attempt: i32,
    claimed_at: i64,
    applied: bool,
    kept: Option<Kept>,
}

impl Row {
    fn of(r: &QueryResult) -> ApiResult<Self> {
        let status: Option<i32> = r.try_get("", "status")?;
        let kept = match status {
            Some(s) => Some(Kept {
                status: u16::try_from(s).map_err(ApiError::internal)?,
                content_type: r.try_get("", "content_type")?,
                body: r.try_get("", "body")?,
            }),
            None => None,
        };
        Ok(Row {
            fingerprint: r.try_get("", "fingerprint")?,
            attempt: r.try_get("", "attempt")?,
            claimed_at: r.try_get("", "claimed_at")?,
            applied: r.try_get("", "applied")?,
            kept,
        })
    }
}

/// Claims `key` for `subject` and a request of `fingerprint`, or says what
/// holds it. Keys claimed longer ago than [`KEPT_FOR`] are purged first (an
/// indexed delete, usually of nothing). A run that has held the key longer
/// than `lease` without applying it died (every run ends within its time
/// limit, and gives the key up when it fails): its key is taken over.
pub async fn claim(
    db: &DatabaseConnection,
    subject: &str,
    key: &str,
    fingerprint: &str,
    lease: Duration,
) -> ApiResult<Found> {
    let _gate = sqlite_gate(db).await;
    let now = now_ms();
    let expired = now.saturating_sub(millis(KEPT_FOR));
    let purge = Query::delete()
        .from_table(TABLE)
        .and_where(Expr::col("claimed_at").lt(expired))
        .to_owned();
    db.execute(&purge).await?;
    // A row that changes between two statements below is read again; a
    // few turns settle any race, and a caller that gets `Running` waits.
    for _ in 0..3 {
        let mut insert = Query::insert();
        insert
            .into_table(TABLE)
            .columns([
                "subject",
                "key",
                "fingerprint",
                "attempt",
                "claimed_at",
                "applied",
            ])
            .values([
                subject.into(),
                key.into(),
                fingerprint.into(),
                1.into(),
                now.into(),
                false.into(),
            ])
            .map_err(ApiError::internal)?
            .on_conflict(OnConflict::columns(["subject", "key"]).do_nothing().to_owned());
        if db.execute(&insert).await?.rows_affected() == 1 {
            return Ok(Found::Claimed(Claim {
                subject: subject.to_owned(),
                key: key.to_owned(),
                attempt: 1,
            }));
        }
        let select = Query::select()
            .columns([
                "fingerprint",
                "attempt",
                "claimed_at",
                "applied",
                "status",
                "content_type",
                "body",
            ])
            .from(TABLE)
            .and_where(this(subject, key))
            .to_owned();
        let Some(row) = db.query_one(&select).await? else {
            continue;
        };
        let row = Row::of(&row)?;
        if row.fingerprint != fingerprint {
            return Ok(Found::Reused);
        }
        if let Some(kept) = row.kept {
            return Ok(Found::Answered(kept));
        }
        let lapsed = row.claimed_at < now.saturating_sub(millis(lease));
        match (row.applied, lapsed) {
            (true, true) => return Ok(Found::Lost),
            (_, false) => return Ok(Found::Running),
            (false, true) => {
                if let Some(c) = take_over(db, subject, key, &row, now).await? {
                    return Ok(Found::Claimed(c));
                }
            }
        }
    }
    Ok(Found::Running)
}

/// Takes a dead run's key, if it is still as `row` saw it and unapplied.
async fn take_over(
    db: &DatabaseConnection,
    subject: &str,
    key: &str,
    row: &Row,
    now: i64,
) -> ApiResult<Option<Claim>> {
    let attempt = row.attempt.saturating_add(1);
    let update = Query::update()
        .table(TABLE)
        .values([("attempt", attempt.into()), ("claimed_at", now.into())])
        .and_where(this(subject, key))
        .and_where(Expr::col("attempt").eq(row.attempt))
        .and_where(Expr::col("applied").eq(false))
        .and_where(Expr::col("status").is_null())
        .to_owned();
    let taken = db.execute(&update).await?.rows_affected() == 1;
    Ok(taken.then(|| Claim {
        subject: subject.to_owned(),
        key: key.to_owned(),
        attempt,
    }))
}

/// Keeps the run's answer, for retries to receive. A run that lost its
/// claim keeps nothing.
pub async fn keep(db: &DatabaseConnection, claim: &Claim, answer: &Kept) -> ApiResult<()> {
    let _gate = sqlite_gate(db).await;
    let update = Query::update()
        .table(TABLE)
        .values([
            ("status", i32::from(answer.status).into()),
            ("content_type", answer.content_type.as_str().into()),
            ("body", answer.body.as_str().into()),
        ])
        .and_where(held(claim))
        .to_owned();
    db.execute(&update).await?;
    Ok(())
}

/// Gives the key up after a run whose answer is not kept (the server
/// failed), so that a retry runs the request again: unless the run applied
/// it, which this answers `true` and a retry must never do again.
pub async fn release(db: &DatabaseConnection, claim: &Claim) -> ApiResult<bool> {
    let _gate = sqlite_gate(db).await;
    let delete = Query::delete()
        .from_table(TABLE)
        .and_where(held(claim))
        .and_where(Expr::col("applied").eq(false))
        .to_owned();
    if db.execute(&delete).await?.rows_affected() == 1 {
        return Ok(false);
    }
    let select = Query::select()
        .column("applied")
        .from(TABLE)
        .and_where(held(claim))
        .to_owned();
    Ok(match db.query_one(&select).await? {
        Some(r) => r.try_get("", "applied")?,
        None => false,
    })
}

tokio::task_local! {
    /// The key of the request this task runs, if it was sent with one.
    static APPLYING: Claim;
}

/// Runs `f` (a request's execution) as the holder of `claim`: every write
/// transaction it commits marks the key applied in that same transaction
/// ([`mark_applied`]). A task-local rather than an argument, so that every
/// path to a commit (a mutation, an upload, whatever comes next) is covered
/// without each having to pass the key down.
pub async fn applying<F: Future>(claim: Claim, f: F) -> F::Output {
    APPLYING.scope(claim, f).await
}

/// Inside a write transaction about to commit: marks the key of the request
/// it runs for applied. A run whose claim was taken over (it outlived its
/// lease) must not write at all, so the transaction fails instead.
pub(crate) async fn mark_applied(txn: &DatabaseTransaction) -> ApiResult<()> {
    let Ok(claim) = APPLYING.try_with(Claim::clone) else {
        return Ok(());
    };
    let update = Query::update()
        .table(TABLE)
        .value("applied", true)
        .and_where(held(&claim))
        .to_owned();
    if txn.execute(&update).await?.rows_affected() != 1 {
        return Err(ApiError::Conflict(
            "a retry of this request took it over: nothing was written".to_owned(),
        ));
    }
    Ok(())
}
