//! Reading the audit log.

use entity::model::audit_log;
use sea_orm::ConnectionTrait;

use super::guard::scope;
use crate::error::{ApiError, ApiResult};
use crate::inputs::AuditPage;
use crate::policy::{Verb, Viewer, authorize};
use crate::store;

/// A page of an authority's audit log, for its ADMINs, and whether more follow.
pub async fn audit_log(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    authority_id: i64,
    page: AuditPage,
) -> ApiResult<(Vec<audit_log::Model>, bool)> {
    authorize(viewer, Verb::ReadAudit, Some(scope(authority_id)))?;
    let first = page.first.unwrap_or(50);
    if !(1..=500).contains(&first) {
        return Err(ApiError::BadUserInput("first must be 1 to 500".to_owned()));
    }
    let after = page
        .after
        .as_deref()
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| ApiError::BadUserInput(format!("`{c}` is not a cursor")))
        })
        .transpose()?;
    let limit = u64::try_from(first).unwrap_or(50);
    let mut rows = store::audit_page(db, authority_id, page.from, page.to, after, limit + 1).await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(50));
    Ok((rows, more))
}
