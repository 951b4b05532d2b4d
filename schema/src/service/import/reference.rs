//! Importing national reference data through the use cases the mutations
//! call, in one transaction: `createMetric`, `createAuthority`,
//! `setMetricValues`, `createComparisonGroup`. A refusal names the file,
//! the row and the column.

use sea_orm::DatabaseConnection;

use super::{Place, Reference, float};
use crate::error::ApiResult;
use crate::inputs::{CreateAuthorityInput, CreateMetricInput, MetricValueInput};
use crate::policy::Viewer;
use crate::service::validate::MAX_ITEMS;

const METRIC_COLUMNS: &[(&str, &str)] = &[("code", "code"), ("title", "title"), ("source", "source")];
const AUTHORITY_COLUMNS: &[(&str, &str)] = &[
    ("slug", "slug"),
    ("name", "name"),
    ("region", "region"),
    ("onsCode", "ons_code"),
];
pub(super) const VALUE_COLUMNS: &[(&str, &str)] = &[
    ("metricCode", "metric"),
    ("authority", "authority"),
    ("period", "period"),
    ("value", "value"),
];

/// Writes the reference data all or nothing, audited under `viewer`;
/// answers how many reference values were set.
pub async fn import_reference(db: &DatabaseConnection, viewer: &Viewer, r: &Reference) -> ApiResult<usize> {
    let w = crate::service::begin(db, viewer).await?;
    for (i, m) in r.metrics.iter().enumerate() {
        let input = CreateMetricInput {
            code: m.code.clone(),
            title: m.title.clone(),
            unit: m.unit,
            polarity: m.polarity,
            frequency: m.frequency,
            source: m.source.clone(),
        };
        crate::service::create_metric(&w, viewer, input)
            .await
            .map_err(|e| Place::csv("metrics.csv", i, METRIC_COLUMNS).locate(e))?;
    }
    for (i, a) in r.authorities.iter().enumerate() {
        let input = CreateAuthorityInput {
            slug: a.slug.clone(),
            name: a.name.clone(),
            kind: a.kind,
            region: a.region.clone(),
            ons_code: a.ons_code.clone(),
        };
        crate::service::create_authority(&w, viewer, input)
            .await
            .map_err(|e| Place::csv("authorities.csv", i, AUTHORITY_COLUMNS).locate(e))?;
    }
    let values: Vec<MetricValueInput> = r
        .values
        .iter()
        .map(|v| MetricValueInput {
            metric_code: v.metric.clone(),
            authority: v.authority.clone(),
            period: v.period,
            value: float(v.value),
        })
        .collect();
    let mut set = 0;
    for (n, chunk) in values.chunks(MAX_ITEMS).enumerate() {
        set += crate::service::set_metric_values(&w, viewer, chunk, |i, e| {
            Place::csv("metric-values.csv", n * MAX_ITEMS + i, VALUE_COLUMNS).locate(e)
        })
        .await?;
    }
    for (i, g) in r.groups.iter().enumerate() {
        crate::service::create_comparison_group(&w, viewer, g.input())
            .await
            .map_err(|e| Place::in_json("groups.json", format!("[{i}] ({})", g.slug)).locate(e))?;
    }
    w.commit().await?;
    Ok(set)
}
