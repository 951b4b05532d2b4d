//! Exporting everything an authority owns in the files `councilperf import`
//! reads, so that importing them elsewhere gives every answer the API gave
//! about it: the structure, every version of every result and commentary
//! with who wrote it and when, publications, deadlines, action plans, the
//! comparison groups it owns, its reference values, and its audit log.
//! Unpublished data is the authority's own, so only its ADMINs (and the
//! platform's) may take it, as they alone read its audit log.

mod files;

pub use files::README;

use entity::model::authority;
use sea_orm::DatabaseConnection;

use super::guard::scope;
use crate::error::{ApiError, ApiResult};
use crate::policy::{Verb, Viewer, authorize};
use crate::store;

/// One file of an export: its name in the directory or archive, its bytes.
pub struct File {
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// The authority `slug` names, if `viewer` may export it: anonymous is
/// refused first, then an unknown slug, then anyone not its ADMIN.
pub async fn exportable(db: &DatabaseConnection, viewer: &Viewer, slug: &str) -> ApiResult<authority::Model> {
    if matches!(viewer, Viewer::Anonymous) {
        return Err(ApiError::Unauthenticated);
    }
    let a = store::authority_by_slug(db, slug)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("authority {slug}")))?;
    authorize(viewer, Verb::ReadAudit, Some(scope(a.id)))?;
    Ok(a)
}

/// The files of `a`'s export, read in one snapshot so they agree.
pub async fn export(db: &DatabaseConnection, a: authority::Model) -> ApiResult<Vec<File>> {
    let reader = store::Reader::snapshot(db).await?;
    let owned = store::export::owned(&reader, a).await?;
    reader.close().await?;
    files::write(&owned)
}
