//! What a measure's series says beyond its values: where its definition
//! changed, and the year-end forecast beside a result.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use entity::{ForecastMethod, Period, RagStatus};

use super::common::float;

/// A change of a measure's definition.
#[derive(SimpleObject)]
pub struct MeasureDefinition {
    /// The first period the new definition applies to.
    effective_from: Period,
    /// What changed and why.
    description: String,
    /// Who recorded it (the token's subject).
    changed_by: String,
    /// When it was recorded.
    changed_at: DateTime<Utc>,
}

/// A year-end forecast beside a quarter's or month's result.
#[derive(SimpleObject)]
pub struct Forecast {
    /// How it was made.
    method: ForecastMethod,
    /// The year's last period at the measure's frequency: what is forecast.
    period: Period,
    /// The value the year is forecast to end at.
    value: f64,
    /// The year's target, which `status` is earned against.
    target: Option<f64>,
    /// The status the forecast would earn under the measure's rule.
    status: RagStatus,
}

impl From<&entity::definitions::Definition> for MeasureDefinition {
    fn from(d: &entity::definitions::Definition) -> Self {
        MeasureDefinition {
            effective_from: d.effective_from,
            description: d.description.clone(),
            changed_by: d.changed_by.clone(),
            changed_at: d.changed_at,
        }
    }
}

impl From<entity::forecast::Forecast> for Forecast {
    fn from(f: entity::forecast::Forecast) -> Self {
        Forecast {
            method: f.method,
            period: f.period,
            value: float(f.value),
            target: f.target.map(float),
            status: f.status,
        }
    }
}
