//! The reads of benchmarking: national metrics, their reference values,
//! stored comparison groups and the measures linked to metrics. Each issues
//! one statement (a chunk of ids at a time), whatever the number of
//! authorities.

use entity::Period;
use entity::model::{authority, comparison_group, comparison_group_member, measure, metric, metric_value};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use super::{chunked, rows_where_in};
use crate::error::ApiResult;

pub async fn metrics(db: &impl ConnectionTrait) -> ApiResult<Vec<metric::Model>> {
    Ok(metric::Entity::find()
        .order_by_asc(metric::Column::Code)
        .all(db)
        .await?)
}

/// Metrics by code; what cannot be a code names none, and never reaches SQL.
pub async fn metrics_by_code(db: &impl ConnectionTrait, codes: &[String]) -> ApiResult<Vec<metric::Model>> {
    let codes = codes
        .iter()
        .map(String::as_str)
        .filter(|c| entity::values::is_code(c));
    Ok(metric::Entity::find()
        .filter(metric::Column::Code.is_in(codes))
        .all(db)
        .await?)
}

/// Authorities by slug; what cannot be a slug names none.
pub async fn authorities_by_slug(
    db: &impl ConnectionTrait,
    slugs: &[String],
) -> ApiResult<Vec<authority::Model>> {
    let slugs = slugs.iter().filter(|s| entity::values::is_slug(s)).cloned();
    Ok(authority::Entity::find()
        .filter(authority::Column::Slug.is_in(slugs))
        .all(db)
        .await?)
}

/// The stored comparison groups, by slug.
pub async fn groups(db: &impl ConnectionTrait) -> ApiResult<Vec<comparison_group::Model>> {
    Ok(comparison_group::Entity::find()
        .order_by_asc(comparison_group::Column::Slug)
        .all(db)
        .await?)
}

pub async fn group_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> ApiResult<Option<comparison_group::Model>> {
    if !entity::values::is_slug(slug) {
        return Ok(None);
    }
    Ok(comparison_group::Entity::find()
        .filter(comparison_group::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn members_of(
    db: &impl ConnectionTrait,
    group_ids: &[i64],
) -> ApiResult<Vec<comparison_group_member::Model>> {
    rows_where_in::<comparison_group_member::Entity>(
        db,
        comparison_group_member::Column::GroupId,
        group_ids,
        None,
    )
    .await
}

/// The measures linked to the metrics, archived or not: a published result
/// stays the authority's value after its measure is archived.
pub async fn linked_measures(
    db: &impl ConnectionTrait,
    metric_ids: &[i64],
) -> ApiResult<Vec<measure::Model>> {
    rows_where_in::<measure::Entity>(db, measure::Column::MetricId, metric_ids, None).await
}

/// Reference values of the metrics in exactly the given periods.
pub async fn reference_values(
    db: &impl ConnectionTrait,
    metric_ids: &[i64],
    periods: &[Period],
) -> ApiResult<Vec<metric_value::Model>> {
    chunked(metric_ids, |chunk| {
        metric_value::Entity::find()
            .filter(metric_value::Column::MetricId.is_in(chunk))
            .filter(metric_value::Column::Period.is_in(periods.iter().copied()))
            .all(db)
    })
    .await
}

/// The nearest-neighbour groups the authorities own (one each at most).
pub async fn neighbours_of(
    db: &impl ConnectionTrait,
    owner_ids: &[i64],
) -> ApiResult<Vec<comparison_group::Model>> {
    chunked(owner_ids, |chunk| {
        comparison_group::Entity::find()
            .filter(comparison_group::Column::OwnerId.is_in(chunk))
            .filter(comparison_group::Column::Kind.eq(entity::ComparisonGroupKind::NearestNeighbours))
            .all(db)
    })
    .await
}
