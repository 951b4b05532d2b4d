//! The GraphQL adapters, one file per resource. A resolver only translates:
//! it takes its arguments to a use case (`service`), the read model
//! (`rating`) or the row loaders, and shapes the answer. Query and Mutation
//! are merged from one root per resource.

mod authority;
mod benchmark;
mod commentary;
mod common;
mod feeds;
mod identity;
mod live;
mod measure;
mod node;
mod panel;
mod plan;
mod series;
mod sheet;
mod viewer;

use async_graphql::MergedObject;

pub use authority::{Authority, Partner};
pub use benchmark::{Benchmark, BenchmarkValue, ComparisonGroup, Metric};
pub use commentary::{ActionItem, ActionPlan, Commentary};
pub use feeds::ResultFilter;
pub use live::{Publication, SubscriptionRoot};
pub use measure::{Measure, MeasureResult};
pub use node::{MAX_NODES, Node};
pub use panel::{Meeting, Panel};
pub use plan::{Plan, PlanNode};

/// What can be read: authorities, plans, measures and their results, as
/// the viewer may see them.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    authority::AuthorityQuery,
    plan::PlanQuery,
    measure::MeasureQuery,
    panel::PanelQuery,
    viewer::ViewerQuery,
    benchmark::BenchmarkQuery,
    identity::IdentityQuery,
    feeds::FeedsQuery,
    node::NodeQuery,
);

/// What can be changed, each as the viewer's roles allow; a refused
/// mutation writes nothing.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    authority::AuthorityMutation,
    plan::PlanMutation,
    measure::MeasureMutation,
    commentary::CommentaryMutation,
    panel::PanelMutation,
    sheet::SheetMutation,
    benchmark::BenchmarkMutation,
    identity::IdentityMutation,
);
