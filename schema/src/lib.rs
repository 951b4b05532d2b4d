//! The GraphQL schema of councilperf: object types, queries, loaders, the
//! policy function, the store (every SQL query) and the error catalogue.

pub mod analytics;
pub mod error;
pub mod inputs;
pub mod loaders;
pub mod mutations;
pub mod objects;
pub mod policy;
pub mod scalars;
pub mod service;
pub mod store;
pub mod validate;

use async_graphql::{Context, EmptySubscription, ID, Object, Result};
use sea_orm::DatabaseConnection;

use crate::error::Gql;
use crate::loaders::Loaders;
use crate::objects::{Authority, Measure, Panel, Plan, ViewerObject, loaders, parse_id};
use crate::policy::Viewer;

pub type CouncilSchema = async_graphql::Schema<QueryRoot, mutations::MutationRoot, EmptySubscription>;

pub struct QueryRoot;

pub(crate) fn database<'a>(ctx: &Context<'a>) -> Result<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
        .map_err(|e| error::ApiError::internal(e.message))
        .gql()
}

#[Object(name = "Query")]
impl QueryRoot {
    /// Every authority, by slug.
    async fn authorities(&self, ctx: &Context<'_>) -> Result<Vec<Authority>> {
        Ok(store::authorities(loaders(ctx)?.reader())
            .await
            .gql()?
            .into_iter()
            .map(Authority)
            .collect())
    }

    async fn authority(&self, ctx: &Context<'_>, slug: String) -> Result<Option<Authority>> {
        let found = loaders(ctx)?.authority_by_slug(&slug).await.gql()?;
        Ok(found.map(Authority))
    }

    async fn plan(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Plan>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        let p = loaders(ctx)?.plan.load_one(id).await.gql()?;
        Ok(p.filter(|p| !p.archived).map(Plan))
    }

    async fn measure(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Measure>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        let m = loaders(ctx)?.measure.load_one(id).await.gql()?;
        Ok(m.filter(|m| !m.archived).map(Measure))
    }

    async fn panel(&self, ctx: &Context<'_>, id: ID) -> Result<Option<Panel>> {
        let Some(id) = parse_id(&id) else {
            return Ok(None);
        };
        let l = loaders(ctx)?;
        let p = l.panel.load_one(id).await.gql()?;
        Ok(p.map(Panel))
    }

    /// The viewer the request is made as; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<ViewerObject>> {
        Ok(ViewerObject::of(&loaders(ctx)?.viewer))
    }
}

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
/// loaders) is attached by [`request_data`].
pub fn build(db: DatabaseConnection, limits: Limits) -> CouncilSchema {
    let mut b = async_graphql::Schema::build(QueryRoot, mutations::MutationRoot, EmptySubscription)
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

/// Who a request is made as, and the authorities named by their token, read
/// while checking it: a query about those need not read them again.
#[derive(Clone, Debug)]
pub struct Session {
    pub viewer: Viewer,
    pub authorities: Vec<entity::model::authority::Model>,
}

impl Session {
    pub fn anonymous() -> Self {
        Session {
            viewer: Viewer::Anonymous,
            authorities: Vec::new(),
        }
    }
}

/// Attaches what belongs to one request only: its viewer and fresh loaders.
pub fn request_data(
    req: async_graphql::Request,
    reader: store::Reader,
    session: Session,
) -> async_graphql::Request {
    req.data(Loaders::new(reader, session))
}

/// The schema's SDL, as committed in `schema/schema.graphql`.
pub fn sdl() -> String {
    async_graphql::Schema::build(QueryRoot, mutations::MutationRoot, EmptySubscription)
        .finish()
        .sdl()
}
