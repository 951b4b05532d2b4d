//! Scrutiny panels, their remit and meetings.

use async_graphql::{Context, ID, Object, Result};
use entity::PanelKind;
use entity::Period;
use entity::model::{agenda_item, meeting, panel};

use super::common::{parse_id, transact};
use super::measure::{Measure, MeasureResult};
use super::plan::{self, Breakdown};
use super::plan::{Plan, PlanNode};
use crate::context::rows;
use crate::error::Gql;
use crate::ids::{self, Kind};
use crate::inputs::{CreateMeetingInput, CreatePanelInput, UpdatePanelInput};
use crate::rating::sets;
use crate::scalars::Date;
use crate::service;

#[derive(Default)]
pub struct PanelQuery;

#[Object]
impl PanelQuery {
    /// One panel by its global id; null when there is none.
    async fn panel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The panel's global id.")] id: ID,
    ) -> Result<Option<Panel>> {
        let Some(id) = parse_id(Kind::Panel, &id) else {
            return Ok(None);
        };
        let p = rows(ctx)?.panel.load_one(id).await.gql()?;
        Ok(p.map(Panel))
    }
}

#[derive(Default)]
pub struct PanelMutation;

#[Object]
impl PanelMutation {
    /// Creates a panel of an authority with its remit (ADMIN of it).
    async fn create_panel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new panel.")] input: CreatePanelInput,
    ) -> Result<Panel> {
        Ok(Panel(transact!(ctx, service::create_panel, input)))
    }
    /// Changes a panel's name, kind or remit (ADMIN of its authority).
    async fn update_panel(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What changes; absent fields stay.")] input: UpdatePanelInput,
    ) -> Result<Panel> {
        Ok(Panel(transact!(ctx, service::update_panel, input)))
    }
    /// Records a meeting of a panel and its agenda (ADMIN of its authority).
    async fn create_meeting(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The meeting.")] input: CreateMeetingInput,
    ) -> Result<Meeting> {
        Ok(Meeting(transact!(ctx, service::create_meeting, input)))
    }
}

pub struct Panel(pub panel::Model);

/// A body that scrutinises a remit of measures: cabinet, scrutiny committee,
/// panel or board.
#[Object]
impl Panel {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Panel, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What sort of body it is.
    async fn kind(&self) -> PanelKind {
        self.0.kind
    }
    /// The measures in the panel's remit: those under its plan nodes and
    /// those named singly.
    async fn measures(&self, ctx: &Context<'_>) -> Result<Vec<Measure>> {
        Ok(sets::panel_measures(rows(ctx)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(Measure)
            .collect())
    }
    /// The plan nodes in the panel's remit.
    async fn remit_nodes(&self, ctx: &Context<'_>) -> Result<Vec<PlanNode>> {
        let l = rows(ctx)?;
        let remit = l
            .remit_of_panel
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        let ids: Vec<i64> = remit.iter().filter_map(|r| r.node_id).collect();
        let nodes = l.node.load_many(ids.iter().copied()).await.gql()?;
        Ok(ids
            .iter()
            .filter_map(|id| nodes.get(id).cloned())
            .map(PlanNode)
            .collect())
    }
    /// Its meetings.
    async fn meetings(&self, ctx: &Context<'_>) -> Result<Vec<Meeting>> {
        let meetings = rows(ctx)?.meetings_of_panel.load_one(self.0.id).await.gql()?;
        Ok(meetings
            .unwrap_or_default()
            .iter()
            .cloned()
            .map(Meeting)
            .collect())
    }
    /// Counts of each status and direction over its remit in a period.
    async fn breakdown(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period counted.")] period: Period,
    ) -> Result<Breakdown> {
        let measures = sets::panel_measures(rows(ctx)?, self.0.id).await.gql()?;
        plan::breakdown(ctx, &measures, period).await
    }
    /// RED and AMBER results in the panel's remit.
    async fn exceptions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period.")] period: Period,
    ) -> Result<Vec<MeasureResult>> {
        let measures = sets::panel_measures(rows(ctx)?, self.0.id).await.gql()?;
        plan::exceptions(ctx, &measures, period).await
    }
}

pub struct Meeting(pub meeting::Model);

/// A meeting of a panel.
#[Object]
impl Meeting {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Meeting, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// The day it was held.
    async fn held_on(&self) -> Date {
        Date(self.0.held_on)
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Its agenda items, in order.
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Vec<AgendaItem>> {
        let agenda = rows(ctx)?.agenda_of_meeting.load_one(self.0.id).await.gql()?;
        Ok(agenda
            .unwrap_or_default()
            .iter()
            .cloned()
            .map(AgendaItem)
            .collect())
    }
}

pub struct AgendaItem(pub agenda_item::Model);

/// One item of a meeting's agenda.
#[Object]
impl AgendaItem {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::AgendaItem, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The plan whose report the item considered.
    async fn plan(&self, ctx: &Context<'_>) -> Result<Option<Plan>> {
        let Some(pid) = self.0.plan_id else {
            return Ok(None);
        };
        Ok(rows(ctx)?.plan.load_one(pid).await.gql()?.map(Plan))
    }
    /// The reporting period the item considered.
    async fn period(&self) -> Option<Period> {
        self.0.period
    }
    /// The minutes of the item.
    async fn minutes(&self) -> Option<&str> {
        self.0.minutes.as_deref()
    }
    /// What was resolved.
    async fn resolutions(&self) -> Option<&str> {
        self.0.resolutions.as_deref()
    }
}
