//! What every resolver file uses: reaching the read model, running a use
//! case, and the conversions between our rows and GraphQL's values.

use async_graphql::{Context, ID, Result};
use entity::Period;
use rust_decimal::Decimal;

use crate::context::request;
use crate::error::{ApiError, Gql};
use crate::ids::{self, Kind};
use crate::rating::Rating;

/// Runs a use case in a transaction of its own, for the request's viewer.
/// What the request read before may be out of date after the write, so it
/// forgets it all first. A macro because a function would take the use case
/// as an async closure borrowing the transaction, whose future it cannot
/// promise is `Send`, as resolvers need.
macro_rules! transact {
    ($ctx:expr, $use_case:path $(, $arg:expr)*) => {{
        let (w, out) = crate::graphql::common::written!($ctx, $use_case $(, $arg)*);
        w.commit().await.gql()?;
        out
    }};
}
pub(crate) use transact;

/// The same, leaving the write to commit: its answer is read inside it
/// first (see `measure::rated_then`).
macro_rules! written {
    ($ctx:expr, $use_case:path $(, $arg:expr)*) => {{
        let request = crate::context::request($ctx)?;
        request.forget();
        let w = crate::service::begin(crate::context::database($ctx)?, &request.viewer)
            .await
            .gql()?;
        let out = $use_case(&w, &request.viewer $(, $arg)*).await.gql()?;
        (w, out)
    }};
}
pub(crate) use written;

/// Every measure rated at every period, through the request's read model.
pub(super) async fn rate(
    ctx: &Context<'_>,
    measures: &[entity::model::measure::Model],
    periods: &[Period],
) -> Result<Vec<Vec<Rating>>> {
    let r = request(ctx)?;
    r.ratings.rate(&r.rows, measures, periods).await.gql()
}

/// Every measure rated at one period.
pub(super) async fn rate_one(
    ctx: &Context<'_>,
    measures: &[entity::model::measure::Model],
    period: Period,
) -> Result<Vec<Rating>> {
    Ok(rate(ctx, measures, &[period]).await?.pop().unwrap_or_default())
}

/// A row that must exist because another refers to it.
pub(super) fn required<T>(row: Option<T>, what: &str) -> Result<T> {
    row.ok_or_else(|| ApiError::internal(format!("dangling reference to {what}")))
        .gql()
}

/// The row of `kind` an id a client sent names (see [`ids::key`]);
/// anything but one of ours matches nothing.
pub(super) fn parse_id(kind: Kind, id: &ID) -> Option<i64> {
    ids::key(kind, id)
}

/// The nearest float to an exact decimal (through its text: `to_f64`
/// accumulates error in the last digits).
pub(super) fn float(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}
