//! Plans and their nodes: the tree, and what each counts.

use std::collections::HashMap;

use async_graphql::{Context, ID, Object, Result, SimpleObject};
use chrono::Utc;
use entity::escalation::DEFAULT_REPORT_CONSECUTIVE;
use entity::model::{measure, plan, plan_node};
use entity::{DirectionMethod, EscalationCriterion, Period, PlanKind, RagMethod};

use super::authority::Authority;
use super::common::{float, parse_id, rate, rate_one, required, transact};
use super::measure::{Measure, MeasureResult};
use crate::archive::is_live;
use crate::context::{request, rows};
use crate::error::Gql;
use crate::ids::{self, Kind};
use crate::inputs::{CreatePlanInput, CreatePlanNodeInput, UpdatePlanInput, UpdatePlanNodeInput};
use crate::rating::{Rating, sets};
use crate::scalars::Date;
use crate::service;
use crate::store;

#[derive(Default)]
pub struct PlanQuery;

#[Object]
impl PlanQuery {
    /// One plan by its global id; null when there is none or it is archived.
    async fn plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's global id.")] id: ID,
    ) -> Result<Option<Plan>> {
        let Some(id) = parse_id(Kind::Plan, &id) else {
            return Ok(None);
        };
        let p = rows(ctx)?.plan.load_one(id).await.gql()?;
        Ok(p.filter(is_live).map(Plan))
    }
}

#[derive(Default)]
pub struct PlanMutation;

#[Object]
impl PlanMutation {
    /// Creates a plan of an authority (ADMIN of it).
    async fn create_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new plan.")] input: CreatePlanInput,
    ) -> Result<Plan> {
        Ok(Plan(transact!(ctx, service::create_plan, input)))
    }
    /// Changes a plan's title, kind, rules or years (ADMIN of its authority).
    async fn update_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What changes; absent fields stay.")] input: UpdatePlanInput,
    ) -> Result<Plan> {
        Ok(Plan(transact!(ctx, service::update_plan, input)))
    }
    /// Hides a plan and keeps its results.
    async fn archive_plan(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's global id.")] id: ID,
    ) -> Result<Plan> {
        Ok(Plan(transact!(ctx, service::archive_plan, &id)))
    }
    /// Adds a node to a plan's tree (ADMIN of its authority).
    async fn create_plan_node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new node.")] input: CreatePlanNodeInput,
    ) -> Result<PlanNode> {
        Ok(PlanNode(transact!(ctx, service::create_plan_node, input)))
    }
    /// Changes a plan node's code or title (ADMIN of its authority).
    async fn update_plan_node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What changes; absent fields stay.")] input: UpdatePlanNodeInput,
    ) -> Result<PlanNode> {
        Ok(PlanNode(transact!(ctx, service::update_plan_node, input)))
    }
    /// ADMIN. Publishing a period again changes nothing.
    async fn publish_period(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's global id.")] plan_id: ID,
        #[graphql(desc = "The period whose results become public.")] period: Period,
    ) -> Result<Plan> {
        Ok(Plan(transact!(ctx, service::publish_period, &plan_id, period)))
    }
    /// ADMIN. When the plan's results for a period are due; setting it
    /// again replaces it.
    async fn set_deadline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan's global id.")] plan_id: ID,
        #[graphql(desc = "The period whose results are due.")] period: Period,
        #[graphql(desc = "The day they are due.")] due_on: Date,
    ) -> Result<Plan> {
        Ok(Plan(transact!(
            ctx,
            service::set_deadline,
            &plan_id,
            period,
            due_on.0
        )))
    }
}

/// How a plan's (or a measure's) results short of target are told amber from red.
#[derive(SimpleObject)]
pub struct RagRule {
    /// Tolerance band, floor standard, or improvement-based amber.
    pub(super) method: RagMethod,
    /// For TOLERANCE: how far short of the target, as a percentage of it,
    /// is still amber; for IMPROVEMENT, still green. Not used when
    /// `amberToleranceUnits` is set.
    pub(super) amber_tolerance_percent: f64,
    /// The tolerance as a number of the measure's units (percentage points
    /// for a percentage) in place of `amberTolerancePercent`; under FLOOR,
    /// the floor of a target that sets none. Null: the percentage applies.
    pub(super) amber_tolerance_units: Option<f64>,
    /// How far beyond its target, as a percentage of it, a result rates
    /// BLUE. Null (and `blueMarginUnits` null): never BLUE.
    pub(super) blue_margin_percent: Option<f64>,
    /// How far beyond its target, in the measure's units, a result rates BLUE.
    pub(super) blue_margin_units: Option<f64>,
    /// Whether PROVISIONAL results are rated; when not, they are NO_DATA
    /// until a confirmed value replaces them.
    pub(super) rate_provisional: bool,
}

impl From<entity::rules::RagRule> for RagRule {
    fn from(r: entity::rules::RagRule) -> Self {
        use entity::rules::Band;
        let (blue_margin_percent, blue_margin_units) = match r.blue_margin {
            Some(Band::Percent(p)) => (Some(float(p)), None),
            Some(Band::Units(u)) => (None, Some(float(u))),
            None => (None, None),
        };
        RagRule {
            method: r.method,
            amber_tolerance_percent: float(r.amber_tolerance_percent),
            amber_tolerance_units: r.amber_tolerance_units.map(float),
            blue_margin_percent,
            blue_margin_units,
            rate_provisional: r.rate_provisional,
        }
    }
}

/// How a plan judges its measures' direction of travel.
#[derive(SimpleObject)]
pub struct DirectionRule {
    /// What a result is compared with.
    method: DirectionMethod,
    /// A change within this percentage counts as STABLE.
    stable_band_percent: f64,
    /// For TREND: how many periods the line is drawn through.
    trend_periods: i32,
}

/// Counts of each RAG status and each direction of travel over a set of
/// measures in one period.
#[derive(SimpleObject, Clone)]
pub struct Breakdown {
    /// The period counted.
    period: Period,
    /// How many measures are counted.
    total: i32,
    /// How many are BLUE: met by at least the rule's blue margin, counted
    /// here and not in `green`.
    blue: i32,
    /// How many are GREEN.
    green: i32,
    /// How many are AMBER.
    amber: i32,
    /// How many are RED.
    red: i32,
    /// How many are NO_TARGET.
    no_target: i32,
    /// How many are NO_DATA (unpublished ones included, for a viewer who may not see them).
    no_data: i32,
    /// Met ÷ rated × 100, BLUE counting as met: (blue + green) ÷ (blue +
    /// green + amber + red) × 100; null when nothing is rated.
    percent_green: Option<f64>,
    /// How many are IMPROVING.
    improving: i32,
    /// How many are STABLE.
    stable: i32,
    /// How many are DECLINING.
    declining: i32,
    /// How many are NOT_COMPARABLE.
    not_comparable: i32,
    /// improving ÷ (improving + stable + declining) × 100; null when no
    /// direction could be judged.
    percent_improving: Option<f64>,
}

impl Breakdown {
    pub fn of(period: Period, ratings: &[Rating]) -> Self {
        let b: entity::rules::Breakdown = ratings
            .iter()
            .map(|r| (r.rated.status, r.rated.direction))
            .collect();
        let n = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
        Breakdown {
            period,
            total: n(b.total),
            blue: n(b.blue),
            green: n(b.green),
            amber: n(b.amber),
            red: n(b.red),
            no_target: n(b.no_target),
            no_data: n(b.no_data),
            percent_green: b.percent_green().map(float),
            improving: n(b.improving),
            stable: n(b.stable),
            declining: n(b.declining),
            not_comparable: n(b.not_comparable),
            percent_improving: b.percent_improving().map(float),
        }
    }
}

/// Two breakdowns side by side and the measures whose status moved.
#[derive(SimpleObject)]
pub struct Comparison {
    /// The breakdown at `from`.
    from: Breakdown,
    /// The breakdown at `to`.
    to: Breakdown,
    /// Results in `to` whose status moved up (BLUE > GREEN > AMBER > RED).
    improved: Vec<MeasureResult>,
    /// Results in `to` whose status moved down.
    worsened: Vec<MeasureResult>,
    /// The improvements with both ends.
    improved_moves: Vec<StatusMove>,
    /// The deteriorations with both ends.
    worsened_moves: Vec<StatusMove>,
    /// Moves to or from NO_TARGET or NO_DATA, which have no rank.
    unrated_moves: Vec<StatusMove>,
}

/// One measure's result at both ends of a comparison.
#[derive(SimpleObject)]
pub struct StatusMove {
    /// The result at the comparison's `from`.
    from: MeasureResult,
    /// The result at the comparison's `to`.
    to: MeasureResult,
}

/// A measure in Croydon's escalation report, with the criteria it meets.
#[derive(SimpleObject)]
pub struct Escalation {
    /// The measure.
    measure: Measure,
    /// The measure rated in the period reported.
    result: MeasureResult,
    /// In the order RED_CONSECUTIVE, WORSENING, NO_EFFECTIVE_ACTION_PLAN.
    criteria: Vec<EscalationCriterion>,
    /// How many criteria it meets.
    criteria_met: i32,
}

/// The breakdown of a set of measures: what plans, nodes and panels count.
pub(super) async fn breakdown(
    ctx: &Context<'_>,
    measures: &[measure::Model],
    period: Period,
) -> Result<Breakdown> {
    Ok(Breakdown::of(period, &rate_one(ctx, measures, period).await?))
}

/// The RED and AMBER results of a set of measures, in their order.
pub(super) async fn exceptions(
    ctx: &Context<'_>,
    measures: &[measure::Model],
    period: Period,
) -> Result<Vec<MeasureResult>> {
    let ratings = rate_one(ctx, measures, period).await?;
    Ok(sets::exceptions(ratings).into_iter().map(MeasureResult).collect())
}

pub struct Plan(pub plan::Model);

/// A plan of an authority (council plan, business plan, performance report):
/// a tree of nodes holding measures, rated by the plan's rules.
#[Object]
impl Plan {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Plan, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// The authority whose plan it is.
    async fn authority(&self, ctx: &Context<'_>) -> Result<Authority> {
        let a = rows(ctx)?.authority.load_one(self.0.authority_id).await.gql()?;
        required(a, "authority").map(Authority)
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// Its place in the authority's live events: the event's, when
    /// `planChanged` delivers it; in a query, the authority's latest.
    async fn position(&self, ctx: &Context<'_>) -> Result<String> {
        super::live::position(ctx, self.0.authority_id).await
    }
    /// What sort of plan it is.
    async fn kind(&self) -> PlanKind {
        self.0.kind
    }
    /// How its measures are rated, unless a measure has its own rule.
    async fn rag_rule(&self) -> RagRule {
        entity::rating::plan_rag(&self.0).into()
    }
    /// How its measures' direction of travel is judged.
    async fn direction_rule(&self) -> DirectionRule {
        DirectionRule {
            method: self.0.direction_method,
            stable_band_percent: float(self.0.stable_band_percent.0),
            trend_periods: self.0.trend_periods,
        }
    }
    /// First financial year the plan covers, if bounded.
    async fn from(&self) -> Option<Period> {
        self.0.from_year
    }
    /// Last financial year the plan covers, if bounded.
    async fn to(&self) -> Option<Period> {
        self.0.to_year
    }
    /// The top level of the plan's tree (outcomes, priorities); each node
    /// holds its children.
    async fn nodes(&self, ctx: &Context<'_>) -> Result<Vec<PlanNode>> {
        let all = sets::plan_nodes(rows(ctx)?, self.0.id).await.gql()?;
        Ok(all
            .iter()
            .filter(|n| n.parent_id.is_none())
            .cloned()
            .map(PlanNode)
            .collect())
    }
    /// Every measure of the plan, in reporting order.
    async fn measures(&self, ctx: &Context<'_>) -> Result<Vec<Measure>> {
        Ok(sets::plan_measures(rows(ctx)?, self.0.id)
            .await
            .gql()?
            .into_iter()
            .map(Measure)
            .collect())
    }
    /// Counts of each status and direction over all its measures in a period.
    async fn breakdown(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period counted.")] period: Period,
    ) -> Result<Breakdown> {
        let measures = sets::plan_measures(rows(ctx)?, self.0.id).await.gql()?;
        breakdown(ctx, &measures, period).await
    }
    /// Both breakdowns and the measures whose status moved between two
    /// periods (`from` may be any earlier period).
    /// Its breakdowns at two periods and the measures whose status moved.
    async fn comparison(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period compared from.")] from: Period,
        #[graphql(desc = "The period compared to.")] to: Period,
    ) -> Result<Comparison> {
        let measures = sets::plan_measures(rows(ctx)?, self.0.id).await.gql()?;
        let mut both = rate(ctx, &measures, &[from, to]).await?.into_iter();
        let (before, after) = (both.next().unwrap_or_default(), both.next().unwrap_or_default());
        let moves = sets::moves(&before, &after);
        let pairs = |v: Vec<(Rating, Rating)>| {
            v.into_iter()
                .map(|(a, b)| StatusMove {
                    from: MeasureResult(a),
                    to: MeasureResult(b),
                })
                .collect()
        };
        Ok(Comparison {
            from: Breakdown::of(from, &before),
            to: Breakdown::of(to, &after),
            improved: moves
                .improved
                .iter()
                .map(|(_, b)| MeasureResult(b.clone()))
                .collect(),
            worsened: moves
                .worsened
                .iter()
                .map(|(_, b)| MeasureResult(b.clone()))
                .collect(),
            improved_moves: pairs(moves.improved),
            worsened_moves: pairs(moves.worsened),
            unrated_moves: pairs(moves.unrated),
        })
    }
    /// RED and AMBER results in a period, in reporting order.
    /// Its RED and AMBER results in a period, in reporting order.
    pub(super) async fn exceptions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period.")] period: Period,
    ) -> Result<Vec<MeasureResult>> {
        let measures = sets::plan_measures(rows(ctx)?, self.0.id).await.gql()?;
        exceptions(ctx, &measures, period).await
    }
    /// Measures RED in `period` and in each of the `consecutive − 1` periods before it.
    async fn escalations(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The latest period looked at.")] period: Period,
        #[graphql(default = 2, desc = "How many periods in a row.")] consecutive: Option<i32>,
    ) -> Result<Vec<Measure>> {
        let measures = sets::plan_measures(rows(ctx)?, self.0.id).await.gql()?;
        let consecutive = consecutive.unwrap_or(entity::rules::DEFAULT_ESCALATION_CONSECUTIVE as i32);
        let r = request(ctx)?;
        let hit = sets::escalations(&r.rows, &r.ratings, measures, period, consecutive)
            .await
            .gql()?;
        Ok(hit.into_iter().map(Measure).collect())
    }
    /// Croydon's escalation report (Cabinet, May 2024, §8.2–8.3): the
    /// measures RED in `period`, with the criteria each meets, most first,
    /// then in reporting order. RED_CONSECUTIVE: RED in each of the
    /// `consecutive` periods up to `period`; WORSENING: worse, by its
    /// polarity, than `consecutive − 1` periods earlier;
    /// NO_EFFECTIVE_ACTION_PLAN: no open action plan, or every open one has
    /// an overdue action (as of the server's date).
    async fn escalation_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period reported.")] period: Period,
        #[graphql(
            default_with = "Some(DEFAULT_REPORT_CONSECUTIVE as i32)",
            desc = "How many periods the report looks back over, up to 12."
        )]
        consecutive: Option<i32>,
    ) -> Result<Vec<Escalation>> {
        // An explicit null, as an unset variable sends, means the default too.
        let consecutive = consecutive.unwrap_or(DEFAULT_REPORT_CONSECUTIVE as i32);
        let r = request(ctx)?;
        let measures = sets::plan_measures(&r.rows, self.0.id).await.gql()?;
        let today = Utc::now().date_naive();
        let report = sets::escalation_report(&r.rows, &r.ratings, &measures, period, consecutive, today)
            .await
            .gql()?;
        let by_id: HashMap<i64, &measure::Model> = measures.iter().map(|m| (m.id, m)).collect();
        report
            .into_iter()
            .map(|(rating, criteria)| {
                let m = required(by_id.get(&rating.measure_id).map(|m| (*m).clone()), "measure")?;
                Ok(Escalation {
                    measure: Measure(m),
                    result: MeasureResult(rating),
                    criteria_met: i32::try_from(criteria.len()).unwrap_or(i32::MAX),
                    criteria,
                })
            })
            .collect()
    }
    /// One breakdown per period from `from` to `to` (of the same kind), for a chart.
    async fn trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first period.")] from: Period,
        #[graphql(desc = "The last period.")] to: Period,
    ) -> Result<Vec<Breakdown>> {
        let periods = sets::span(from, to).gql()?;
        let measures = sets::plan_measures(rows(ctx)?, self.0.id).await.gql()?;
        let rated = rate(ctx, &measures, &periods).await?;
        Ok(periods
            .iter()
            .zip(rated)
            .map(|(p, r)| Breakdown::of(*p, &r))
            .collect())
    }
    /// When the plan's results for the period are due, if a deadline is set.
    async fn deadline(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period.")] period: Period,
    ) -> Result<Option<Date>> {
        let set = store::deadlines::of_plans(request(ctx)?.reader(), &[self.0.id], &[period])
            .await
            .gql()?;
        Ok(set.first().map(|d| Date(d.due_on)))
    }
    /// The periods of this plan whose results are published.
    async fn published_periods(&self, ctx: &Context<'_>) -> Result<Vec<Period>> {
        sets::published_periods(rows(ctx)?, self.0.id).await.gql()
    }
}

pub struct PlanNode(pub plan_node::Model);

/// A theme, priority or outcome in a plan's tree, holding measures and other nodes.
#[Object]
impl PlanNode {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::PlanNode, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Its code, as the plan numbers it.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The node it sits under; null at the top of the plan.
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<PlanNode>> {
        let Some(pid) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(rows(ctx)?.node.load_one(pid).await.gql()?.map(PlanNode))
    }
    /// The nodes directly under it.
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<PlanNode>> {
        let all = sets::plan_nodes(rows(ctx)?, self.0.plan_id).await.gql()?;
        Ok(all
            .iter()
            .filter(|n| n.parent_id == Some(self.0.id))
            .cloned()
            .map(PlanNode)
            .collect())
    }
    /// Measures sitting directly under this node.
    async fn measures(&self, ctx: &Context<'_>) -> Result<Vec<Measure>> {
        let id = self.0.id;
        let mine = sets::plan_measures_where(rows(ctx)?, self.0.plan_id, |m| m.node_id == Some(id))
            .await
            .gql()?;
        Ok(mine.into_iter().map(Measure).collect())
    }
    /// Breakdown over every measure beneath this node, at any depth.
    /// Counts of each status and direction over the measures it holds, in a period.
    async fn breakdown(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period counted.")] period: Period,
    ) -> Result<Breakdown> {
        let measures = sets::measures_under(rows(ctx)?, self.0.plan_id, &[self.0.id], &[])
            .await
            .gql()?;
        breakdown(ctx, &measures, period).await
    }
}
