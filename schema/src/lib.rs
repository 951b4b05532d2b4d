//! The GraphQL schema of councilperf. Where each rule lives:
//!
//! - [`graphql`]: the adapters, one file per resource; resolvers translate.
//! - [`service`]: the use cases every write goes through, mutations and
//!   imports alike, with the input checks ([`service::validate`]).
//! - [`rating`]: the read model: measures rated by their plan's rules, the
//!   sets of measures plans, nodes and panels count, what is hidden from whom.
//! - [`policy`]: the one policy function; [`archive`]: the archived filter.
//! - [`loaders`]: row loaders; [`context`]: what one request carries.
//! - [`store`]: every SQL statement; [`error`]: the error catalogue.

pub mod archive;
pub mod context;
pub mod error;
pub mod graphql;
pub mod inputs;
pub mod loaders;
pub mod policy;
pub mod rating;
pub mod scalars;
pub mod service;
pub mod store;

use async_graphql::EmptySubscription;
use sea_orm::DatabaseConnection;

pub use context::Session;
use graphql::{MutationRoot, QueryRoot};

pub type CouncilSchema = async_graphql::Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// What one operation may ask for.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_depth: usize,
    pub max_complexity: usize,
    pub introspection: bool,
    /// "Did you mean …" in validation errors: it maps the schema for a
    /// stranger, so only in development.
    pub suggestions: bool,
}

/// The schema with the process-wide data; per-request data (viewer,
/// loaders, ratings) is attached by [`request_data`].
pub fn build(db: DatabaseConnection, limits: Limits) -> CouncilSchema {
    let mut b =
        async_graphql::Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
            .data(db)
            .limit_depth(limits.max_depth)
            .limit_complexity(limits.max_complexity);
    if !limits.introspection {
        b = b.disable_introspection();
    }
    if !limits.suggestions {
        b = b.disable_suggestions();
    }
    b.finish()
}

/// Attaches what belongs to one request only: its viewer, fresh loaders
/// and ratings.
pub fn request_data(
    req: async_graphql::Request,
    reader: store::Reader,
    session: Session,
) -> async_graphql::Request {
    req.data(context::Request::new(reader, session))
}

/// The schema's SDL, as committed in `schema/schema.graphql`.
pub fn sdl() -> String {
    async_graphql::Schema::build(QueryRoot::default(), MutationRoot::default(), EmptySubscription)
        .finish()
        .sdl()
}
