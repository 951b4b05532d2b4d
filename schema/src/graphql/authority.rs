//! Authorities and their partners, and the audit log.

use async_graphql::connection::PageInfo;
use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::model::{audit_log, authority, partner};
use entity::{AuthorityKind, ComparisonGroupKind};

use super::benchmark::ComparisonGroup;
use super::common::transact;
use super::panel::Panel;
use super::plan::Plan;
use crate::archive::live;
use crate::benchmarks::Group;
use crate::context::{request, rows};
use crate::error::Gql;
use crate::ids::{self, Kind};
use crate::inputs::{
    AuditPage, CreateAuthorityInput, CreatePartnerInput, UpdateAuthorityInput, UpdatePartnerInput,
};
use crate::service;

#[derive(Default)]
pub struct AuthorityQuery;

#[Object]
impl AuthorityQuery {
    /// Every authority, by slug.
    async fn authorities(&self, ctx: &Context<'_>) -> Result<Vec<Authority>> {
        Ok(crate::store::authorities(request(ctx)?.reader())
            .await
            .gql()?
            .into_iter()
            .map(Authority)
            .collect())
    }

    /// One authority by its slug; null when there is none.
    async fn authority(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its slug: `kent`.")] slug: String,
    ) -> Result<Option<Authority>> {
        let found = request(ctx)?.authority_by_slug(&slug).await.gql()?;
        Ok(found.map(Authority))
    }
}

#[derive(Default)]
pub struct AuthorityMutation;

#[Object]
impl AuthorityMutation {
    /// Creates an authority (PLATFORM_ADMIN).
    async fn create_authority(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new authority.")] input: CreateAuthorityInput,
    ) -> Result<Authority> {
        Ok(Authority(transact!(ctx, service::create_authority, input)))
    }
    /// Changes an authority's name, kind, region or ONS code (ADMIN of it).
    async fn update_authority(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What changes; absent fields stay.")] input: UpdateAuthorityInput,
    ) -> Result<Authority> {
        Ok(Authority(transact!(ctx, service::update_authority, input)))
    }
    /// Adds a partner body to an authority (ADMIN of it).
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new partner.")] input: CreatePartnerInput,
    ) -> Result<Partner> {
        Ok(Partner(transact!(ctx, service::create_partner, input)))
    }
    /// Changes a partner's slug or name (ADMIN of its authority).
    async fn update_partner(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What changes; absent fields stay.")] input: UpdatePartnerInput,
    ) -> Result<Partner> {
        Ok(Partner(transact!(ctx, service::update_partner, input)))
    }
}

pub struct Authority(pub authority::Model);

/// A local authority: a council whose plans, measures and results the service holds.
#[Object]
impl Authority {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Authority, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Its slug, unique: `kent`.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What type of authority it is.
    async fn kind(&self) -> AuthorityKind {
        self.0.kind
    }
    /// Its region, as "South East": its group is `region-south-east`.
    async fn region(&self) -> Option<&str> {
        self.0.region.as_deref()
    }
    /// The ONS (GSS) code, as E10000016.
    async fn ons_code(&self) -> Option<&str> {
        self.0.ons_code.as_deref()
    }
    /// Its nearest-neighbour group, when it has one.
    async fn neighbours(&self, ctx: &Context<'_>) -> Result<Option<ComparisonGroup>> {
        let owned = rows(ctx)?.groups_of_owner.load_one(self.0.id).await.gql()?;
        Ok(owned
            .unwrap_or_default()
            .iter()
            .find(|g| g.kind == ComparisonGroupKind::NearestNeighbours)
            .cloned()
            .map(|g| ComparisonGroup(Group::Stored(g))))
    }
    /// Its plans, archived ones left out.
    async fn plans(&self, ctx: &Context<'_>) -> Result<Vec<Plan>> {
        let l = rows(ctx)?;
        let plans = l
            .plans_of_authority
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        // Rating a plan reads its row by id: it is here already.
        l.plan.feed_many(plans.iter().map(|p| (p.id, p.clone()))).await;
        Ok(live(&plans).into_iter().map(Plan).collect())
    }
    /// Its partner bodies.
    async fn partners(&self, ctx: &Context<'_>) -> Result<Vec<Partner>> {
        let partners = rows(ctx)?.partners_of_authority.load_one(self.0.id).await.gql()?;
        Ok(partners
            .unwrap_or_default()
            .iter()
            .cloned()
            .map(Partner)
            .collect())
    }
    /// Its panels, committees, cabinet and boards.
    async fn panels(&self, ctx: &Context<'_>) -> Result<Vec<Panel>> {
        let panels = rows(ctx)?.panels_of_authority.load_one(self.0.id).await.gql()?;
        Ok(panels.unwrap_or_default().iter().cloned().map(Panel).collect())
    }
    /// Who holds which role here, as held in the service (ADMIN).
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<super::identity::Membership>> {
        super::identity::members(ctx, self.0.id).await
    }
    /// Every change to this authority's data, oldest first (ADMIN). Pass a
    /// page's `endCursor` as `after` for the next page.
    // A field's arguments are the GraphQL contract: Relay's four and the filters.
    #[allow(clippy::too_many_arguments)]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Changes at or after this instant only.")] from: Option<DateTime<Utc>>,
        #[graphql(desc = "Changes before this instant only.")] to: Option<DateTime<Utc>>,
        #[graphql(default = 50, desc = "How many entries per page, 1 to 500.")] first: i32,
        #[graphql(desc = "The `endCursor` of the page before.")] after: Option<String>,
        #[graphql(desc = "The last this many before `before` (1 to 500), instead of `first`.")] last: Option<
            i32,
        >,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<AuditConnection> {
        let r = request(ctx)?;
        let page = AuditPage {
            from,
            to,
            first: Some(first),
            after,
            last,
            before,
        };
        let page = service::audit_log(r.reader(), &r.viewer, self.0.id, page)
            .await
            .gql()?;
        Ok(AuditConnection {
            end_cursor: page.end_cursor.clone(),
            has_next_page: page.has_next_page,
            page_info: super::feeds::page_info(&page),
            entries: page.items.into_iter().map(|(_, row)| AuditEntry(row)).collect(),
            span: (self.0.id, from, to),
        })
    }
}

/// A page of the audit log.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct AuditConnection {
    /// This page's entries, oldest first.
    entries: Vec<AuditEntry>,
    /// Whether another page follows.
    has_next_page: bool,
    /// Pass as `after` for the next page.
    end_cursor: Option<String>,
    /// Where the page sits in the log; its cursors are what `after` and
    /// `before` take.
    page_info: PageInfo,
    #[graphql(skip)]
    span: (i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>),
}

#[ComplexObject]
impl AuditConnection {
    /// Every entry between `from` and `to`, on every page.
    async fn total_count(&self, ctx: &Context<'_>) -> Result<i64> {
        let (authority, from, to) = self.span;
        crate::store::audit_count(request(ctx)?.reader(), authority, from, to)
            .await
            .gql()
    }
}

/// One change: who, when, which operation on which entity, and its values
/// before and after (JSON).
pub struct AuditEntry(pub audit_log::Model);

/// One change: who, when, which operation on which entity, and its values
/// before and after (JSON).
#[Object]
impl AuditEntry {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::AuditEntry, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Who made the change: the viewer's subject.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// The mutation that made it, as `submitResult`.
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    /// The kind of row changed, as `result` or `measure`.
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    /// The changed row's global id, where its table's rows are objects
    /// (else its number).
    async fn entity_id(&self) -> Option<ID> {
        self.0.entity_id.map(|n| ids::of_audited(&self.0.entity, n))
    }
    /// The changed row's per-table number.
    async fn entity_database_id(&self) -> Option<i64> {
        self.0.entity_id
    }
    /// The row before, as JSON; null when it was created.
    async fn before(&self) -> Option<&str> {
        self.0.before.as_deref()
    }
    /// The row after, as JSON; null when it was deleted.
    async fn after(&self) -> Option<&str> {
        self.0.after.as_deref()
    }
    /// When the change was made.
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

pub struct Partner(pub partner::Model);

/// A partner body of an authority, such as the police or the NHS: it leads
/// partnership measures and submits their results.
#[Object]
impl Partner {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Partner, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Its slug, unique within its authority.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
}
