//! The GraphQL adapters, one file per resource. A resolver only translates:
//! it takes its arguments to a use case (`service`), the read model
//! (`rating`) or the row loaders, and shapes the answer. Query and Mutation
//! are merged from one root per resource.

mod authority;
mod commentary;
mod measure;
mod panel;
mod plan;
mod viewer;

use async_graphql::{Context, ID, MergedObject, Result};
use entity::Period;
use rust_decimal::Decimal;

use crate::context::request;
use crate::error::{ApiError, Gql};
use crate::rating::Rating;

pub use authority::{Authority, Partner};
pub use commentary::{ActionItem, ActionPlan, Commentary};
pub use measure::{Measure, MeasureResult};
pub use panel::{Meeting, Panel};
pub use plan::{Plan, PlanNode};

#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    authority::AuthorityQuery,
    plan::PlanQuery,
    measure::MeasureQuery,
    panel::PanelQuery,
    viewer::ViewerQuery,
);

#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    authority::AuthorityMutation,
    plan::PlanMutation,
    measure::MeasureMutation,
    commentary::CommentaryMutation,
    panel::PanelMutation,
);

/// Runs a use case in a transaction of its own, for the request's viewer.
/// What the request read before may be out of date after the write, so it
/// forgets it all first.
macro_rules! transact {
    ($ctx:expr, $use_case:path $(, $arg:expr)*) => {{
        let request = crate::context::request($ctx)?;
        request.forget();
        let w = crate::service::begin(crate::context::database($ctx)?, &request.viewer)
            .await
            .gql()?;
        let out = $use_case(&w, &request.viewer $(, $arg)*).await.gql()?;
        w.commit().await.gql()?;
        out
    }};
}
pub(crate) use transact;

/// Every measure rated at every period, through the request's read model.
async fn rate(
    ctx: &Context<'_>,
    measures: &[entity::model::measure::Model],
    periods: &[Period],
) -> Result<Vec<Vec<Rating>>> {
    let r = request(ctx)?;
    r.ratings.rate(&r.rows, measures, periods).await.gql()
}

/// Every measure rated at one period.
async fn rate_one(
    ctx: &Context<'_>,
    measures: &[entity::model::measure::Model],
    period: Period,
) -> Result<Vec<Rating>> {
    Ok(rate(ctx, measures, &[period]).await?.pop().unwrap_or_default())
}

/// A row that must exist because another refers to it.
fn required<T>(row: Option<T>, what: &str) -> Result<T> {
    row.ok_or_else(|| ApiError::internal(format!("dangling reference to {what}")))
        .gql()
}

fn gid(n: i64) -> ID {
    ID(n.to_string())
}

/// An id a client sent; anything but one of ours matches nothing.
fn parse_id(id: &ID) -> Option<i64> {
    id.parse().ok()
}

/// The nearest float to an exact decimal (through its text: `to_f64`
/// accumulates error in the last digits).
fn float(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}
