//! Paged feeds across authorities (Relay cursor connections): the results
//! feed and the measures list. The paging and visibility rules are the read
//! model's (`rating::feed`); this file translates arguments and shapes
//! connections whose nodes are the existing objects.

use async_graphql::connection::PageInfo;
use async_graphql::{Context, ID, InputObject, Object, Result};
use entity::{MeasureKind, Period, RagStatus};

use super::common::parse_id;
use super::measure::MeasureResult;
use crate::context::request;
use crate::error::{ApiResult, Gql};
use crate::ids::Kind;
use crate::rating::Rating;
use crate::rating::feed::{self, Page, PageArgs, ResultQuery};
use crate::store::feeds::{ResultScope, ids_named};

mod measures;
mod versions;

pub use measures::{MeasureConnection, MeasureFilter, MeasureOrder};
pub use versions::{CommentaryVersionConnection, ResultVersionConnection};

/// Which results a feed lists; every field narrows it, none is required.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ResultFilter {
    /// An authority's slug.
    pub authority: Option<String>,
    /// Measures of this plan (its global id).
    pub plan: Option<ID>,
    /// Measures directly under this node.
    pub node: Option<ID>,
    /// This measure (its global id).
    pub measure: Option<ID>,
    /// A national metric's code, as NI192.
    pub metric: Option<String>,
    /// The slug of the partner leading the measure.
    pub partner: Option<String>,
    /// Measures of this kind.
    pub kind: Option<MeasureKind>,
    /// Results whose period starts at or after this period's start.
    pub from: Option<Period>,
    /// Results whose period starts at or before this period's end.
    pub to: Option<Period>,
    /// Results rated so.
    pub status: Option<RagStatus>,
}

impl ResultFilter {
    /// The filter with its names resolved. An id that is not one of ours
    /// names nothing, so matches nothing.
    pub async fn resolve(&self, db: &impl sea_orm::ConnectionTrait) -> ApiResult<ResultQuery> {
        let (authorities, partners, metrics) = ids_named(
            db,
            self.authority.as_deref(),
            self.partner.as_deref(),
            self.metric.as_deref(),
        )
        .await?;
        let id = |kind: Kind, v: &Option<ID>| v.as_ref().map(|i| parse_id(kind, i).unwrap_or(-1));
        Ok(ResultQuery {
            scope: ResultScope {
                authorities,
                partners,
                metrics,
                plan: id(Kind::Plan, &self.plan),
                node: id(Kind::PlanNode, &self.node),
                measure: id(Kind::Measure, &self.measure),
                kind: self.kind,
                from: self.from.map(|p| p.start_date()),
                to: self.to.map(|p| p.end_date()),
            },
            status: self.status,
        })
    }
}

#[derive(Default)]
pub struct FeedsQuery;

#[Object]
impl FeedsQuery {
    /// Stored results the viewer may see (unpublished ones only for those
    /// who may read them), oldest stored first: a walk with `after` sees
    /// every result once, even while others submit. A page is at most 500.
    async fn results(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which results; an empty filter lists all.")] filter: ResultFilter,
        #[graphql(desc = "The first this many after `after`, at most 500.")] first: Option<i32>,
        #[graphql(desc = "The `cursor` of the edge to start after.")] after: Option<String>,
        #[graphql(desc = "The last this many before `before`, at most 500.")] last: Option<i32>,
        #[graphql(desc = "The `cursor` of the edge to end before.")] before: Option<String>,
    ) -> Result<MeasureResultConnection> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        let r = request(ctx)?;
        let query = filter.resolve(r.reader()).await.gql()?;
        let page = feed::results(r, &query, &args).await.gql()?;
        Ok(MeasureResultConnection { page, query })
    }
    /// Live measures of live plans across authorities, as `Plan.measures`
    /// lists them, filtered and ordered (by id unless `orderBy` says
    /// otherwise): a walk with `after` sees every measure once, even while
    /// others add measures. A page is at most 500.
    // A field's arguments are the GraphQL contract: Relay's four and the filters.
    #[allow(clippy::too_many_arguments)]
    async fn measures(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which measures; all when absent.")] filter: Option<MeasureFilter>,
        #[graphql(desc = "The order of the list; by id when absent.")] order_by: Option<MeasureOrder>,
        #[graphql(
            desc = "The first this many after `after` (at most 500; 50 when neither `first` nor `last` is given)."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "The last this many before `before` (at most 500).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<MeasureConnection> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        measures::measures(ctx, filter, order_by, args).await
    }
}

pub struct MeasureResultConnection {
    page: Page<Rating>,
    query: ResultQuery,
}

/// A page of results (a Relay cursor connection).
#[Object]
impl MeasureResultConnection {
    /// This page's results, each with its cursor.
    async fn edges(&self) -> Vec<MeasureResultEdge> {
        self.page
            .items
            .iter()
            .map(|(cursor, rating)| MeasureResultEdge {
                cursor: cursor.clone(),
                rating: rating.clone(),
            })
            .collect()
    }
    /// Where this page lies: its cursors and whether more pages follow.
    async fn page_info(&self) -> PageInfo {
        page_info(&self.page)
    }
    /// Every result of the filter the viewer may see, on every page.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        feed::results_count(request(ctx)?, &self.query).await.gql()
    }
}

pub struct MeasureResultEdge {
    cursor: String,
    rating: Rating,
}

/// One result of a page, with its cursor.
#[Object]
impl MeasureResultEdge {
    /// Opaque: pass it as `after` or `before` to page on from here.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    /// The result.
    async fn node(&self) -> MeasureResult {
        MeasureResult(self.rating.clone())
    }
}

pub(super) fn page_info<T>(page: &Page<T>) -> PageInfo {
    PageInfo {
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        start_cursor: page.start_cursor.clone(),
        end_cursor: page.end_cursor.clone(),
    }
}
