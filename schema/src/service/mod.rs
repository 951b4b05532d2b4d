//! The use cases: what each mutation and the import do, in the order every
//! one of them follows: ask the policy whether the viewer could act at all,
//! find what is acted on, ask the policy again for that authority, validate
//! the input, then write through the caller's transaction with its audit
//! record. Nothing here knows of GraphQL requests: a use case takes a
//! [`Write`] and the viewer it acts for, so a mutation runs one in a
//! transaction of its own and an import runs many in one.

mod audit;
mod commentary;
pub mod import;
pub mod reporting;
mod structure;
pub mod validate;

pub use audit::audit_log;
pub use commentary::{add_commentary, create_action_plan, edit_commentary, update_action};
pub use reporting::{publish_period, set_targets, submit_results};
pub use structure::{
    archive_measure, archive_plan, create_authority, create_measure, create_meeting, create_panel,
    create_partner, create_plan, create_plan_node, update_authority, update_measure, update_panel,
    update_partner, update_plan, update_plan_node,
};

use async_graphql::ID;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::error::{ApiError, ApiResult};
use crate::policy::{Scope, Verb, Viewer, authorize, authorize_somewhere};
use crate::store::write::{self, Audited, Write};
use crate::store::{self};

/// Opens the transaction a viewer writes through; anonymous viewers write nothing.
pub async fn begin(db: &DatabaseConnection, viewer: &Viewer) -> ApiResult<Write> {
    match viewer {
        Viewer::Anonymous => Err(ApiError::Unauthenticated),
        Viewer::User { subject, .. } => write::begin(db, subject).await,
    }
}

fn scope(authority_id: i64) -> Scope {
    Scope {
        authority_id,
        partner_id: None,
    }
}

async fn find<E>(w: &Write, id: &ID, what: &str) -> ApiResult<E::Model>
where
    E: EntityTrait,
{
    // An unknown id is a mistake in the input, like any other.
    let not_found = || ApiError::BadUserInput(format!("no {what} {}", id.as_str()));
    let n: i64 = id.parse().map_err(|_| not_found())?;
    store::by_ids::<E>(&w.txn, &[n])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// Rows other inputs refer to, in one statement: an unknown id, or one of
/// another authority, is the client's mistake.
async fn references<E>(w: &Write, ids: &[ID], what: &str, authority_id: i64) -> ApiResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Audited,
{
    let wanted = ids
        .iter()
        .map(|id| validate::id(what, id))
        .collect::<ApiResult<Vec<i64>>>()?;
    let rows = store::by_ids::<E>(&w.txn, &wanted).await?;
    wanted
        .iter()
        .zip(ids)
        .map(|(n, id)| {
            rows.iter()
                .find(|r| r.row_id() == *n && r.authority() == Some(authority_id))
                .cloned()
                .ok_or_else(|| ApiError::BadUserInput(format!("no {what} {} in this authority", id.as_str())))
        })
        .collect()
}

async fn reference<E>(w: &Write, id: &ID, what: &str, authority_id: i64) -> ApiResult<E::Model>
where
    E: EntityTrait,
    E::Model: Audited,
{
    let mut one = references::<E>(w, std::slice::from_ref(id), what, authority_id).await?;
    one.pop()
        .ok_or_else(|| ApiError::internal("a reference vanished"))
}

/// The policy's two questions: could this viewer act anywhere, then may it
/// act on the row found.
async fn guarded<E>(
    w: &Write,
    viewer: &Viewer,
    verb: Verb,
    id: &ID,
    what: &str,
    scope_of: impl Fn(&E::Model) -> Scope,
) -> ApiResult<E::Model>
where
    E: EntityTrait,
{
    authorize_somewhere(viewer, verb)?;
    let row = find::<E>(w, id, what).await?;
    authorize(viewer, verb, Some(scope_of(&row)))?;
    Ok(row)
}

/// A row of the authority's structure an ADMIN edits.
async fn structure<E>(w: &Write, viewer: &Viewer, id: &ID, what: &str) -> ApiResult<E::Model>
where
    E: EntityTrait,
    E::Model: Audited,
{
    guarded::<E>(w, viewer, Verb::EditStructure, id, what, |r| {
        scope(r.authority().unwrap_or_default())
    })
    .await
}

/// The same error, naming the row of a batch it concerns.
pub fn at_row(i: usize, e: ApiError) -> ApiError {
    match e {
        ApiError::BadUserInput(m) => ApiError::BadUserInput(format!("row {i}: {m}")),
        ApiError::Forbidden(m) => ApiError::Forbidden(format!("row {i}: {m}")),
        ApiError::Conflict(m) => ApiError::Conflict(format!("row {i}: {m}")),
        other => other,
    }
}
