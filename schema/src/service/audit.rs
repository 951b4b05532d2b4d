//! Reading the audit log.

use entity::model::audit_log;
use sea_orm::ConnectionTrait;

use super::guard::scope;
use crate::error::{ApiError, ApiResult};
use crate::inputs::AuditPage;
use crate::policy::{Verb, Viewer, authorize};
use crate::rating::feed::{MAX_PAGE, Page, PageArgs, scan};
use crate::store;

/// A page of an authority's audit log, oldest first, for its ADMINs. A
/// cursor is an entry's number, as it always was.
pub async fn audit_log(
    db: &impl ConnectionTrait,
    viewer: &Viewer,
    authority_id: i64,
    page: AuditPage,
) -> ApiResult<Page<audit_log::Model>> {
    authorize(viewer, Verb::ReadAudit, Some(scope(authority_id)))?;
    // `first` has a default, so `last` is the one that says which end.
    let (first, last) = match page.last {
        Some(n) => (None, Some(n)),
        None => (Some(page.first.unwrap_or(50)), None),
    };
    for (n, name) in [(first, "first"), (last, "last")] {
        if n.is_some_and(|n| !(1..=MAX_PAGE).contains(&n)) {
            return Err(ApiError::BadUserInput(format!("{name} must be 1 to {MAX_PAGE}")));
        }
    }
    let number = |c: &str| {
        c.parse::<i64>()
            .map_err(|_| ApiError::BadUserInput(format!("`{c}` is not a cursor")))
    };
    let after = page.after.as_deref().map(number).transpose()?;
    let before = page.before.as_deref().map(number).transpose()?;
    let args = PageArgs {
        first,
        after: page.after,
        last,
        before: page.before,
    };
    let span = (page.from, page.to);
    scan(
        &args,
        after,
        before,
        |after, before, backward, limit| {
            store::audit_page(db, authority_id, span, (after, before), backward, limit)
        },
        |rows: Vec<audit_log::Model>| std::future::ready(Ok(rows.into_iter().map(Some).collect())),
        |row: &audit_log::Model| row.id,
        i64::to_string,
    )
    .await
}
