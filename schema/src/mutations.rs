//! The mutations: each resolver hands its input to a service function and
//! shapes the answer.

use async_graphql::{Context, ID, Object, Result};
use entity::Period;

use crate::error::Gql;
use crate::inputs::*;
use crate::objects::{
    Action, ActionPlan, Authority, Commentary, Measure, MeasureResult, Meeting, Panel, Partner, Plan,
    PlanNode, loaders,
};
use crate::policy::Viewer;
use crate::service;

pub struct MutationRoot;

use crate::database as db;

/// Measures rated after a write, read afresh: the request's loaders may
/// hold ratings from before it.
async fn rated(ctx: &Context<'_>, keys: &[(i64, Period)]) -> Result<Vec<MeasureResult>> {
    let mut all = loaders(ctx)?.rate_now(keys).await.gql()?;
    keys.iter()
        .map(|k| {
            all.remove(k)
                .map(MeasureResult)
                .ok_or_else(|| crate::error::ApiError::internal("a measure just written has no rating"))
                .gql()
        })
        .collect()
}

/// The viewer about to write. What this request read before the write may
/// be out of date after it, so its loaders forget it all.
fn writer<'a>(ctx: &Context<'a>) -> Result<&'a Viewer> {
    let l = loaders(ctx)?;
    l.forget();
    Ok(l.viewer.as_ref())
}

fn single(mut v: Vec<MeasureResult>) -> Result<MeasureResult> {
    v.pop()
        .ok_or_else(|| crate::error::ApiError::internal("a write answered nothing"))
        .gql()
}

#[Object(name = "Mutation")]
impl MutationRoot {
    /// PLATFORM_ADMIN.
    async fn create_authority(&self, ctx: &Context<'_>, input: CreateAuthorityInput) -> Result<Authority> {
        let v = writer(ctx)?;
        service::create_authority(db(ctx)?, v, input)
            .await
            .gql()
            .map(Authority)
    }
    async fn update_authority(&self, ctx: &Context<'_>, input: UpdateAuthorityInput) -> Result<Authority> {
        let v = writer(ctx)?;
        service::update_authority(db(ctx)?, v, input)
            .await
            .gql()
            .map(Authority)
    }
    async fn create_partner(&self, ctx: &Context<'_>, input: CreatePartnerInput) -> Result<Partner> {
        let v = writer(ctx)?;
        service::create_partner(db(ctx)?, v, input)
            .await
            .gql()
            .map(Partner)
    }
    async fn update_partner(&self, ctx: &Context<'_>, input: UpdatePartnerInput) -> Result<Partner> {
        let v = writer(ctx)?;
        service::update_partner(db(ctx)?, v, input)
            .await
            .gql()
            .map(Partner)
    }
    async fn update_plan(&self, ctx: &Context<'_>, input: UpdatePlanInput) -> Result<Plan> {
        let v = writer(ctx)?;
        service::update_plan(db(ctx)?, v, input).await.gql().map(Plan)
    }
    async fn update_plan_node(&self, ctx: &Context<'_>, input: UpdatePlanNodeInput) -> Result<PlanNode> {
        let v = writer(ctx)?;
        service::update_plan_node(db(ctx)?, v, input)
            .await
            .gql()
            .map(PlanNode)
    }
    async fn update_measure(&self, ctx: &Context<'_>, input: UpdateMeasureInput) -> Result<Measure> {
        let v = writer(ctx)?;
        service::update_measure(db(ctx)?, v, input)
            .await
            .gql()
            .map(Measure)
    }
    async fn update_panel(&self, ctx: &Context<'_>, input: UpdatePanelInput) -> Result<Panel> {
        let v = writer(ctx)?;
        service::update_panel(db(ctx)?, v, input).await.gql().map(Panel)
    }
    async fn create_plan(&self, ctx: &Context<'_>, input: CreatePlanInput) -> Result<Plan> {
        let v = writer(ctx)?;
        service::create_plan(db(ctx)?, v, input).await.gql().map(Plan)
    }
    /// Hides a plan and keeps its results.
    async fn archive_plan(&self, ctx: &Context<'_>, id: ID) -> Result<Plan> {
        let v = writer(ctx)?;
        service::archive_plan(db(ctx)?, v, &id).await.gql().map(Plan)
    }
    async fn create_plan_node(&self, ctx: &Context<'_>, input: CreatePlanNodeInput) -> Result<PlanNode> {
        let v = writer(ctx)?;
        service::create_plan_node(db(ctx)?, v, input)
            .await
            .gql()
            .map(PlanNode)
    }
    async fn create_measure(&self, ctx: &Context<'_>, input: CreateMeasureInput) -> Result<Measure> {
        let v = writer(ctx)?;
        service::create_measure(db(ctx)?, v, input)
            .await
            .gql()
            .map(Measure)
    }
    /// Hides a measure and keeps its results.
    async fn archive_measure(&self, ctx: &Context<'_>, id: ID) -> Result<Measure> {
        let v = writer(ctx)?;
        service::archive_measure(db(ctx)?, v, &id)
            .await
            .gql()
            .map(Measure)
    }
    async fn set_target(&self, ctx: &Context<'_>, input: SetTargetInput) -> Result<MeasureResult> {
        let v = writer(ctx)?;
        let period = input.period;
        let m = service::set_target(db(ctx)?, v, input).await.gql()?;
        single(rated(ctx, &[(m.id, period)]).await?)
    }
    async fn submit_result(&self, ctx: &Context<'_>, input: SubmitResultInput) -> Result<MeasureResult> {
        single(self.submit_results(ctx, vec![input]).await?)
    }
    /// All or nothing: a refusal names the failing row by its index.
    async fn submit_results(
        &self,
        ctx: &Context<'_>,
        input: Vec<SubmitResultInput>,
    ) -> Result<Vec<MeasureResult>> {
        let v = writer(ctx)?;
        let saved = service::submit_results(db(ctx)?, v, &input).await.gql()?;
        let keys: Vec<(i64, Period)> = saved.iter().map(|r| (r.measure_id, r.period)).collect();
        rated(ctx, &keys).await
    }
    /// ADMIN. Publishing a period again changes nothing.
    async fn publish_period(&self, ctx: &Context<'_>, plan_id: ID, period: Period) -> Result<Plan> {
        let v = writer(ctx)?;
        service::publish_period(db(ctx)?, v, &plan_id, period)
            .await
            .gql()
            .map(Plan)
    }
    async fn add_commentary(&self, ctx: &Context<'_>, input: AddCommentaryInput) -> Result<Commentary> {
        let v = writer(ctx)?;
        service::add_commentary(db(ctx)?, v, input)
            .await
            .gql()
            .map(Commentary)
    }
    async fn edit_commentary(&self, ctx: &Context<'_>, input: EditCommentaryInput) -> Result<Commentary> {
        let v = writer(ctx)?;
        service::edit_commentary(db(ctx)?, v, input)
            .await
            .gql()
            .map(Commentary)
    }
    async fn create_action_plan(
        &self,
        ctx: &Context<'_>,
        input: CreateActionPlanInput,
    ) -> Result<ActionPlan> {
        let v = writer(ctx)?;
        service::create_action_plan(db(ctx)?, v, input)
            .await
            .gql()
            .map(ActionPlan)
    }
    async fn update_action(&self, ctx: &Context<'_>, input: UpdateActionInput) -> Result<Action> {
        let v = writer(ctx)?;
        service::update_action(db(ctx)?, v, input).await.gql().map(Action)
    }
    async fn create_panel(&self, ctx: &Context<'_>, input: CreatePanelInput) -> Result<Panel> {
        let v = writer(ctx)?;
        service::create_panel(db(ctx)?, v, input).await.gql().map(Panel)
    }
    async fn create_meeting(&self, ctx: &Context<'_>, input: CreateMeetingInput) -> Result<Meeting> {
        let v = writer(ctx)?;
        service::create_meeting(db(ctx)?, v, input)
            .await
            .gql()
            .map(Meeting)
    }
}
