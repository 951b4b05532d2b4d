//! `Query.measures`: measures across authorities as a cursor connection,
//! filtered and ordered. Paging and status are the read model's
//! (`rating::feed`).

use async_graphql::connection::PageInfo;
use async_graphql::{Context, Enum, ID, InputObject, Object, Result};
use entity::model::measure;
use entity::{MeasureKind, Period, RagStatus};

use super::super::common::parse_id;
use super::super::measure::Measure;
use super::page_info;
use crate::context::request;
use crate::error::{ApiError, ApiResult, Gql};
use crate::ids::Kind;
use crate::rating::feed::{self, MeasureQuery, Page, PageArgs};
use crate::store::feeds::ids_named;
use crate::store::measures::{self, MeasureScope, MeasureSort};

/// Which measures a list holds; every field narrows it, none is required.
#[derive(InputObject, Clone, Debug, Default)]
pub struct MeasureFilter {
    /// An authority's slug.
    pub authority: Option<String>,
    /// A plan's global id.
    pub plan: Option<ID>,
    /// The slug of the partner leading the measure: "the measures I lead".
    pub partner: Option<String>,
    /// Council or partnership measures.
    pub kind: Option<MeasureKind>,
    /// A national metric's code, as NI192.
    pub metric: Option<String>,
    /// Text found in the measure's code or title, whatever its case.
    pub text: Option<String>,
    /// Measures rated one of these in `statusPeriod`, as the viewer sees
    /// them (the public sees no status of an unpublished period). Needs
    /// `statusPeriod`.
    pub status_in: Option<Vec<RagStatus>>,
    /// The period `statusIn` is rated in.
    pub status_period: Option<Period>,
}

/// What a measures list is ordered by; ties go by id.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum MeasureOrderField {
    /// The measure's code.
    Code,
    /// The measure's title.
    Title,
    /// The authority's slug, then the measure's code.
    Authority,
    /// The order measures were created in.
    Id,
}

/// Which way an order runs.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderDirection {
    /// Smallest first.
    Asc,
    /// Largest first.
    Desc,
}

/// The order of a measures list.
#[derive(InputObject, Clone, Copy, Debug)]
pub struct MeasureOrder {
    /// What the list is ordered by.
    pub field: MeasureOrderField,
    /// Which way.
    pub direction: OrderDirection,
}

impl MeasureFilter {
    /// The filter with its names resolved: an id or name that is not one
    /// of ours names nothing, so matches nothing. A status needs its period.
    async fn resolve(
        &self,
        db: &impl sea_orm::ConnectionTrait,
        order: Option<MeasureOrder>,
    ) -> ApiResult<MeasureQuery> {
        let status = match (&self.status_in, self.status_period) {
            (Some(s), Some(p)) => Some((s.clone(), p)),
            (Some(_), None) => {
                return Err(ApiError::invalid(
                    "statusIn",
                    "a status is rated in a period: pass statusPeriod with statusIn",
                ));
            }
            (None, _) => None,
        };
        let (authorities, partners, metrics) = ids_named(
            db,
            self.authority.as_deref(),
            self.partner.as_deref(),
            self.metric.as_deref(),
        )
        .await?;
        let order = order.unwrap_or(MeasureOrder {
            field: MeasureOrderField::Id,
            direction: OrderDirection::Asc,
        });
        Ok(MeasureQuery {
            scope: MeasureScope {
                authorities,
                partners,
                metrics,
                plan: self.plan.as_ref().map(|p| parse_id(Kind::Plan, p).unwrap_or(-1)),
                kind: self.kind,
                text: self.text.clone(),
            },
            order: measures::MeasureOrder {
                sort: match order.field {
                    MeasureOrderField::Code => MeasureSort::Code,
                    MeasureOrderField::Title => MeasureSort::Title,
                    MeasureOrderField::Authority => MeasureSort::Authority,
                    MeasureOrderField::Id => MeasureSort::Id,
                },
                descending: order.direction == OrderDirection::Desc,
            },
            status,
        })
    }
}

/// A page of measures across authorities.
pub async fn measures(
    ctx: &Context<'_>,
    filter: Option<MeasureFilter>,
    order: Option<MeasureOrder>,
    args: PageArgs,
) -> Result<MeasureConnection> {
    let r = request(ctx)?;
    let query = filter
        .unwrap_or_default()
        .resolve(r.reader(), order)
        .await
        .gql()?;
    let page = feed::measures(r, &query, &args).await.gql()?;
    Ok(MeasureConnection { page, query })
}

/// A page of measures (a Relay cursor connection).
pub struct MeasureConnection {
    page: Page<measure::Model>,
    query: MeasureQuery,
}

/// A page of measures (a Relay cursor connection).
#[Object]
impl MeasureConnection {
    /// The measures of the page, each with its cursor.
    async fn edges(&self) -> Vec<MeasureEdge> {
        self.page
            .items
            .iter()
            .map(|(cursor, m)| MeasureEdge {
                cursor: cursor.clone(),
                measure: m.clone(),
            })
            .collect()
    }
    /// Where the page sits in the list.
    async fn page_info(&self) -> PageInfo {
        page_info(&self.page)
    }
    /// Every measure of the filter, on every page.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        feed::measures_count(request(ctx)?, &self.query).await.gql()
    }
}

/// A measure and its place in the list.
pub struct MeasureEdge {
    cursor: String,
    measure: measure::Model,
}

/// A measure and its place in the list.
#[Object]
impl MeasureEdge {
    /// Pass as `after` or `before` to page on from this measure.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    /// The measure.
    async fn node(&self) -> Measure {
        Measure(self.measure.clone())
    }
}
