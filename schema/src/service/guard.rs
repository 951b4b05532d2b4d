//! The steps every use case takes before it writes: open the transaction,
//! find what is acted on, and ask the policy about it.

use async_graphql::ID;
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::policy::{Scope, Verb, Viewer, authorize, authorize_somewhere};
use crate::store;
use crate::store::write::{self, Audited, Write};

/// Opens the transaction a viewer writes through; anonymous viewers write nothing.
pub async fn begin(db: &DatabaseConnection, viewer: &Viewer) -> ApiResult<Write> {
    match viewer {
        Viewer::Anonymous => Err(ApiError::Unauthenticated),
        Viewer::User { subject, .. } => write::begin(db, subject).await,
    }
}

pub(super) fn scope(authority_id: i64) -> Scope {
    Scope {
        authority_id,
        partner_id: None,
    }
}

pub(super) async fn find<E>(w: &Write, id: &ID, what: &str) -> ApiResult<E::Model>
where
    E: EntityTrait,
{
    // An unknown id is a mistake in the input, like any other.
    let not_found = || ApiError::BadUserInput(format!("no {what} {}", id.as_str()));
    let n = ids::key_of::<E>(id).ok_or_else(not_found)?;
    store::by_ids::<E>(&w.txn, &[n])
        .await?
        .pop()
        .ok_or_else(not_found)
}

/// Rows other inputs refer to, in one statement: an unknown id, or one of
/// another authority, is the client's mistake.
pub(super) async fn references<E>(
    w: &Write,
    ids: &[ID],
    what: &'static str,
    authority_id: i64,
) -> ApiResult<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Audited,
{
    let wanted = ids
        .iter()
        .map(|id| super::validate::id::<E>(what, id))
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

pub(super) async fn reference<E>(
    w: &Write,
    id: &ID,
    what: &'static str,
    authority_id: i64,
) -> ApiResult<E::Model>
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
pub(super) async fn guarded<E>(
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
pub(super) async fn structure<E>(w: &Write, viewer: &Viewer, id: &ID, what: &str) -> ApiResult<E::Model>
where
    E: EntityTrait,
    E::Model: Audited,
{
    guarded::<E>(w, viewer, Verb::EditStructure, id, what, |r| {
        scope(r.authority().unwrap_or_default())
    })
    .await
}

/// The same error, naming the item of a batch it concerns.
pub fn at_row(i: usize, e: ApiError) -> ApiError {
    e.at_index(i)
}
