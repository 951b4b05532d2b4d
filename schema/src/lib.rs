//! The GraphQL schema of councilperf. Where each rule lives:
//!
//! - [`graphql`]: the adapters, one file per resource; resolvers translate.
//! - [`service`]: the use cases every write goes through, mutations and
//!   imports alike, with the input checks ([`service::validate`]).
//! - [`rating`]: the read model: measures rated by their plan's rules, the
//!   sets of measures plans, nodes and panels count, what is hidden from whom.
//! - [`benchmarks`]: the benchmark read model: comparison groups and a
//!   metric's values placed over one (the arithmetic is `entity::benchmark`).
//! - [`policy`]: the one policy function; [`directory`]: who a signed-in
//!   person is and which roles they hold; [`archive`]: the archived filter.
//! - [`loaders`]: row loaders; [`context`]: what one request carries;
//!   [`ids`]: global object ids, encoded and decoded in one place.
//! - [`store`]: every SQL statement; [`error`]: the error catalogue.

pub mod archive;
pub mod benchmarks;
pub mod context;
pub mod cost;
pub mod directory;
pub mod error;
pub mod graphql;
pub mod ids;
pub mod inputs;
pub mod live;
pub mod loaders;
pub mod order;
pub mod policy;
pub mod rating;
pub mod scalars;
pub mod service;
pub mod store;

use std::time::Duration;

use sea_orm::DatabaseConnection;

pub use context::Session;
use graphql::{MutationRoot, QueryRoot, SubscriptionRoot};

pub type CouncilSchema = async_graphql::Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// What one request may ask for: the HTTP handler enforces the sizes and
/// times, the schema the depth and complexity. One set, read from the
/// environment by `api::config`.
#[derive(Clone, Debug)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_batch: usize,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Fields an operation expands to, every fragment spread and duplicate
    /// counted: what bounds the work and memory of one operation.
    pub max_fields: usize,
    /// Fragment spreads written in one document.
    pub max_spreads: usize,
    /// Bytes of one document's text: parsing costs time and memory in
    /// proportion to it before any other limit can be measured.
    pub max_query_bytes: usize,
    pub query_timeout: Duration,
    /// How long a client may take to send a request's body; a connection
    /// that stalls past it is answered 408 and closed.
    pub body_timeout: Duration,
    /// Operations executing at once; more wait their turn, so memory stays
    /// bounded however many clients connect.
    pub max_in_flight: usize,
    /// WebSockets (`/graphql/ws`) open at once on one server.
    pub max_sockets: usize,
    /// Operations running at once on one socket.
    pub max_subscriptions: usize,
    /// Bytes of one message a socket receives.
    pub max_message_bytes: usize,
    /// How long a socket may take to send `connection_init`.
    pub init_timeout: Duration,
    /// Batches of events (one per write) a subscriber may fall behind its
    /// replica's feed before it is dropped: what bounds the memory of slow
    /// consumers.
    pub live_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 1024 * 1024,
            max_batch: 20,
            max_aliases: 100,
            max_root_fields: 20,
            max_depth: 16,
            max_complexity: 5_000,
            max_fields: 1_000,
            max_spreads: 200,
            max_query_bytes: 100_000,
            query_timeout: Duration::from_secs(15),
            body_timeout: Duration::from_secs(10),
            max_in_flight: 32,
            max_sockets: 1_000,
            max_subscriptions: 20,
            max_message_bytes: 256 * 1024,
            init_timeout: Duration::from_secs(10),
            live_buffer: 1_024,
        }
    }
}

/// The schema with the process-wide data; per-request data (viewer,
/// loaders, ratings) is attached by [`request_data`].
///
/// `suggestions` ("did you mean …" in validation errors) maps the schema
/// for a stranger, so it is for development only.
pub fn build(
    db: DatabaseConnection,
    directory: std::sync::Arc<directory::Directory>,
    limits: &Limits,
    introspection: bool,
    suggestions: bool,
) -> CouncilSchema {
    let mut b = async_graphql::Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        .data(db)
        .data(directory)
        // Not async-graphql's own limits: they refuse without the cost.
        .extension(cost::Cost {
            max_complexity: limits.max_complexity,
            max_depth: limits.max_depth,
        })
        .extension(order::SelectionOrder);
    if !introspection {
        b = b.disable_introspection();
    }
    if !suggestions {
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

/// The schema's SDL, as committed in `schema/schema.graphql`, with the
/// scalars' `@specifiedBy` links. `@deprecated` is built into every
/// GraphQL tool, so its definition is left out: printed once something is
/// deprecated, with fewer locations than graphql-js knows, it would read as
/// a breaking change to the directive.
pub fn sdl() -> String {
    let sdl = async_graphql::Schema::build(QueryRoot::default(), MutationRoot::default(), SubscriptionRoot)
        .finish()
        .sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by());
    let builtin =
        "\"\"\"\nMarks an element of a GraphQL schema as no longer supported.\n\"\"\"\ndirective @deprecated";
    let Some(at) = sdl.find(builtin) else {
        return sdl;
    };
    // Its description's three lines, then its own.
    let end = (0..4).fold(at, |e, _| sdl[e..].find('\n').map_or(sdl.len(), |i| e + i + 1));
    format!("{}{}", &sdl[..at], &sdl[end..])
}
