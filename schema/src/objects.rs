//! The GraphQL object types. Resolvers are thin: they fetch through the
//! request's loaders and hand the arithmetic to `entity` and `analytics`.

use std::collections::{HashMap, HashSet};

use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use entity::model::{
    action, action_plan, agenda_item, authority, commentary, measure, meeting, panel, partner, plan,
    plan_node, result_history,
};
use entity::{
    ActionStatus, AuthorityKind, CommentaryKind, Direction, DirectionMethod, Frequency, MeasureKind,
    PanelKind, Period, PlanKind, Polarity, RagMethod, RagStatus, Role, Unit,
};
use rust_decimal::Decimal;

use crate::analytics;
use crate::error::{ApiError, Gql};
use crate::loaders::{Loaders, Rating, SeriesKey};
use crate::policy::Viewer;
use crate::scalars::Date;

pub fn loaders<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    ctx.data::<Loaders>()
        .map_err(|e| ApiError::internal(e.message))
        .gql()
}

/// A row that must exist because another refers to it.
fn required<T>(row: Option<T>, what: &str) -> Result<T> {
    row.ok_or_else(|| ApiError::internal(format!("dangling reference to {what}")))
        .gql()
}

pub fn gid(n: i64) -> ID {
    ID(n.to_string())
}

/// An id a client sent; anything but one of ours matches nothing.
pub fn parse_id(id: &ID) -> Option<i64> {
    id.parse().ok()
}

/// The nearest float to an exact decimal (through its text: `to_f64`
/// accumulates error in the last digits).
fn float(d: Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

pub struct Authority(pub authority::Model);

#[Object]
impl Authority {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> AuthorityKind {
        self.0.kind
    }
    async fn plans(&self, ctx: &Context<'_>) -> Result<Vec<Plan>> {
        let l = loaders(ctx)?;
        let rows = l
            .plans_of_authority
            .load_one(self.0.id)
            .await
            .gql()?
            .unwrap_or_default();
        // Rating a plan reads its row by id: it is here already.
        l.plan.feed_many(rows.iter().map(|p| (p.id, p.clone()))).await;
        Ok(rows.iter().filter(|p| !p.archived).cloned().map(Plan).collect())
    }
    async fn partners(&self, ctx: &Context<'_>) -> Result<Vec<Partner>> {
        let rows = loaders(ctx)?
            .partners_of_authority
            .load_one(self.0.id)
            .await
            .gql()?;
        Ok(rows.unwrap_or_default().iter().cloned().map(Partner).collect())
    }
    async fn panels(&self, ctx: &Context<'_>) -> Result<Vec<Panel>> {
        let rows = loaders(ctx)?
            .panels_of_authority
            .load_one(self.0.id)
            .await
            .gql()?;
        Ok(rows.unwrap_or_default().iter().cloned().map(Panel).collect())
    }
    /// Every change to this authority's data, oldest first (ADMIN). Pass a
    /// page's `endCursor` as `after` for the next page.
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        #[graphql(default = 50)] first: i32,
        after: Option<String>,
    ) -> Result<AuditConnection> {
        let l = loaders(ctx)?;
        let page = crate::inputs::AuditPage {
            from,
            to,
            first: Some(first),
            after,
        };
        let (rows, has_next_page) = crate::service::audit_log(l.reader(), &l.viewer, self.0.id, page)
            .await
            .gql()?;
        Ok(AuditConnection {
            end_cursor: rows.last().map(|r| r.id.to_string()),
            has_next_page,
            entries: rows.into_iter().map(AuditEntry).collect(),
        })
    }
}

/// A page of the audit log.
#[derive(SimpleObject)]
pub struct AuditConnection {
    entries: Vec<AuditEntry>,
    has_next_page: bool,
    /// Pass as `after` for the next page.
    end_cursor: Option<String>,
}

/// One change: who, when, which operation on which entity, and its values
/// before and after (JSON).
pub struct AuditEntry(pub entity::model::audit_log::Model);

#[Object]
impl AuditEntry {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    async fn operation(&self) -> &str {
        &self.0.operation
    }
    async fn entity(&self) -> &str {
        &self.0.entity
    }
    async fn entity_id(&self) -> Option<ID> {
        self.0.entity_id.map(gid)
    }
    async fn before(&self) -> Option<&str> {
        self.0.before.as_deref()
    }
    async fn after(&self) -> Option<&str> {
        self.0.after.as_deref()
    }
    async fn at(&self) -> DateTime<Utc> {
        self.0.at
    }
}

pub struct Partner(pub partner::Model);

#[Object]
impl Partner {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
}

#[derive(SimpleObject)]
pub struct RagRule {
    method: RagMethod,
    amber_tolerance_percent: f64,
}

#[derive(SimpleObject)]
pub struct DirectionRule {
    method: DirectionMethod,
    stable_band_percent: f64,
    trend_periods: i32,
}

/// Counts of each RAG status and each direction of travel over a set of
/// measures in one period.
#[derive(SimpleObject, Clone)]
pub struct Breakdown {
    period: Period,
    total: i32,
    green: i32,
    amber: i32,
    red: i32,
    no_target: i32,
    no_data: i32,
    /// green ÷ (green + amber + red) × 100; null when nothing is rated.
    percent_green: Option<f64>,
    improving: i32,
    stable: i32,
    declining: i32,
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
    from: Breakdown,
    to: Breakdown,
    /// Results in `to` whose status moved up (GREEN > AMBER > RED).
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
    from: MeasureResult,
    to: MeasureResult,
}

/// The breakdown of a set of measures: what plans, nodes and panels count.
async fn breakdown(ctx: &Context<'_>, measures: &[measure::Model], period: Period) -> Result<Breakdown> {
    Ok(Breakdown::of(
        period,
        &analytics::rate(ctx, measures, period).await?,
    ))
}

/// The RED and AMBER results of a set of measures, in their order.
async fn exceptions(
    ctx: &Context<'_>,
    measures: &[measure::Model],
    period: Period,
) -> Result<Vec<MeasureResult>> {
    let ratings = analytics::rate(ctx, measures, period).await?;
    Ok(analytics::exceptions(ratings)
        .into_iter()
        .map(MeasureResult)
        .collect())
}

pub struct Plan(pub plan::Model);

#[Object]
impl Plan {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn authority(&self, ctx: &Context<'_>) -> Result<Authority> {
        let a = loaders(ctx)?
            .authority
            .load_one(self.0.authority_id)
            .await
            .gql()?;
        required(a, "authority").map(Authority)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn kind(&self) -> PlanKind {
        self.0.kind
    }
    async fn rag_rule(&self) -> RagRule {
        RagRule {
            method: self.0.rag_method,
            amber_tolerance_percent: float(self.0.amber_tolerance_percent.0),
        }
    }
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
        let all = analytics::plan_nodes(ctx, self.0.id).await?;
        Ok(all
            .iter()
            .filter(|n| n.parent_id.is_none())
            .cloned()
            .map(PlanNode)
            .collect())
    }
    /// Every measure of the plan, in reporting order.
    async fn measures(&self, ctx: &Context<'_>) -> Result<Vec<Measure>> {
        Ok(analytics::plan_measures(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Measure)
            .collect())
    }
    async fn breakdown(&self, ctx: &Context<'_>, period: Period) -> Result<Breakdown> {
        let measures = analytics::plan_measures(ctx, self.0.id).await?;
        breakdown(ctx, &measures, period).await
    }
    /// Both breakdowns and the measures whose status moved between two
    /// periods (`from` may be any earlier period).
    async fn comparison(&self, ctx: &Context<'_>, from: Period, to: Period) -> Result<Comparison> {
        let measures = analytics::plan_measures(ctx, self.0.id).await?;
        let mut both = analytics::rate_each(ctx, &measures, &[from, to])
            .await?
            .into_iter();
        let (before, after) = (both.next().unwrap_or_default(), both.next().unwrap_or_default());
        let moves = analytics::moves(&before, &after);
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
    async fn exceptions(&self, ctx: &Context<'_>, period: Period) -> Result<Vec<MeasureResult>> {
        let measures = analytics::plan_measures(ctx, self.0.id).await?;
        exceptions(ctx, &measures, period).await
    }
    /// Measures RED in `period` and in each of the `consecutive − 1` periods before it.
    async fn escalations(
        &self,
        ctx: &Context<'_>,
        period: Period,
        #[graphql(default = 2)] consecutive: Option<i32>,
    ) -> Result<Vec<Measure>> {
        let measures = analytics::plan_measures(ctx, self.0.id).await?;
        let consecutive = consecutive.unwrap_or(entity::rules::DEFAULT_ESCALATION_CONSECUTIVE as i32);
        let hit = analytics::escalations(ctx, measures, period, consecutive).await?;
        Ok(hit.into_iter().map(Measure).collect())
    }
    /// One breakdown per period from `from` to `to` (of the same kind), for a chart.
    async fn trend(&self, ctx: &Context<'_>, from: Period, to: Period) -> Result<Vec<Breakdown>> {
        let periods = analytics::span(from, to).gql()?;
        let measures = analytics::plan_measures(ctx, self.0.id).await?;
        let rated = analytics::rate_each(ctx, &measures, &periods).await?;
        Ok(periods
            .iter()
            .zip(rated)
            .map(|(p, r)| Breakdown::of(*p, &r))
            .collect())
    }
    /// The periods of this plan whose results are published.
    async fn published_periods(&self, ctx: &Context<'_>) -> Result<Vec<Period>> {
        analytics::published_periods(ctx, self.0.id).await
    }
}

pub struct PlanNode(pub plan_node::Model);

#[Object]
impl PlanNode {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn parent(&self, ctx: &Context<'_>) -> Result<Option<PlanNode>> {
        let Some(pid) = self.0.parent_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.node.load_one(pid).await.gql()?.map(PlanNode))
    }
    async fn children(&self, ctx: &Context<'_>) -> Result<Vec<PlanNode>> {
        let all = analytics::plan_nodes(ctx, self.0.plan_id).await?;
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
        let mine = analytics::plan_measures_where(ctx, self.0.plan_id, |m| m.node_id == Some(id)).await?;
        Ok(mine.into_iter().map(Measure).collect())
    }
    /// Breakdown over every measure beneath this node, at any depth.
    async fn breakdown(&self, ctx: &Context<'_>, period: Period) -> Result<Breakdown> {
        let measures = analytics::measures_under(ctx, self.0.plan_id, &[self.0.id], &[]).await?;
        breakdown(ctx, &measures, period).await
    }
}

pub struct Measure(pub measure::Model);

#[Object]
impl Measure {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn code(&self) -> &str {
        &self.0.code
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn unit(&self) -> Unit {
        self.0.unit
    }
    async fn polarity(&self) -> Polarity {
        self.0.polarity
    }
    async fn kind(&self) -> MeasureKind {
        self.0.kind
    }
    async fn frequency(&self) -> Frequency {
        self.0.frequency
    }
    /// The partner that leads a partnership measure.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let Some(pid) = self.0.partner_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.partner.load_one(pid).await.gql()?.map(Partner))
    }
    async fn node(&self, ctx: &Context<'_>) -> Result<Option<PlanNode>> {
        let Some(nid) = self.0.node_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.node.load_one(nid).await.gql()?.map(PlanNode))
    }
    async fn plan(&self, ctx: &Context<'_>) -> Result<Plan> {
        let p = loaders(ctx)?.plan.load_one(self.0.plan_id).await.gql()?;
        required(p, "plan").map(Plan)
    }
    /// The measure's own RAG rule, when it overrides its plan's.
    async fn rag_rule(&self) -> Option<RagRule> {
        self.0.rag_method.map(|method| {
            let rule = entity::rules::RagRule::new(method, self.0.amber_tolerance_percent.map(|n| n.0));
            RagRule {
                method,
                amber_tolerance_percent: float(rule.amber_tolerance_percent),
            }
        })
    }
    /// The measure rated in a period. For a period longer than the measure's
    /// frequency (a quarter of a monthly measure) the latest result inside it
    /// answers; for a shorter one, the measure's period containing it.
    async fn result(&self, ctx: &Context<'_>, period: Period) -> Result<MeasureResult> {
        let rated = loaders(ctx)?
            .plan_ratings(self.0.plan_id, &[period])
            .await
            .gql()?;
        required(rated.first().and_then(|r| r.get(&self.0.id)).cloned(), "measure").map(MeasureResult)
    }
    /// One result per period of the measure's frequency from `from` to `to`
    /// (periods without data included as NO_DATA). Open ends stop at the
    /// first and last results there are.
    async fn results(
        &self,
        ctx: &Context<'_>,
        from: Option<Period>,
        to: Option<Period>,
    ) -> Result<Vec<MeasureResult>> {
        analytics::check_span(self.0.frequency, from, to).gql()?;
        let key = SeriesKey {
            measure_id: self.0.id,
            from,
            to,
        };
        let rows = loaders(ctx)?.series.load_one(key).await.gql()?;
        Ok(rows.unwrap_or_default().into_iter().map(MeasureResult).collect())
    }
    async fn action_plans(&self, ctx: &Context<'_>) -> Result<Vec<ActionPlan>> {
        action_plans(ctx, self.0.id).await
    }
}

async fn action_plans(ctx: &Context<'_>, measure_id: i64) -> Result<Vec<ActionPlan>> {
    let rows = loaders(ctx)?
        .action_plans_of_measure
        .load_one(measure_id)
        .await
        .gql()?;
    Ok(rows.unwrap_or_default().iter().cloned().map(ActionPlan).collect())
}

pub struct MeasureResult(pub Rating);

#[Object]
impl MeasureResult {
    async fn measure(&self, ctx: &Context<'_>) -> Result<Measure> {
        let m = loaders(ctx)?.measure.load_one(self.0.measure_id).await.gql()?;
        required(m, "measure").map(Measure)
    }
    /// The period asked for.
    async fn period(&self) -> Period {
        self.0.rated.period
    }
    /// The measure's own period whose result answers for `period`.
    async fn reported_period(&self) -> Period {
        self.0.rated.reported
    }
    async fn value(&self) -> Option<f64> {
        self.0.rated.value.map(float)
    }
    /// The value exactly as stored, for clients that must not round.
    async fn value_text(&self) -> Option<String> {
        self.0.rated.value.map(|v| v.normalize().to_string())
    }
    async fn target(&self) -> Option<f64> {
        self.0.rated.target.map(float)
    }
    async fn floor(&self) -> Option<f64> {
        self.0.rated.floor.map(float)
    }
    async fn status(&self) -> RagStatus {
        self.0.rated.status
    }
    async fn direction(&self) -> Direction {
        self.0.rated.direction
    }
    /// The value direction of travel compares with: the previous period's,
    /// or the same period last year's under SAME_PERIOD_LAST_YEAR.
    async fn previous_value(&self) -> Option<f64> {
        self.0.rated.previous_value.map(float)
    }
    async fn published(&self) -> bool {
        self.0.published
    }
    async fn restated(&self) -> bool {
        self.0.restated
    }
    /// Commentary on the reported period, oldest first.
    async fn commentary(&self, ctx: &Context<'_>) -> Result<Vec<Commentary>> {
        Ok(self
            .commentary_rows(ctx)
            .await?
            .into_iter()
            .map(Commentary)
            .collect())
    }
    /// RED or AMBER with no commentary: Croydon requires commentary for both.
    async fn missing_commentary(&self, ctx: &Context<'_>) -> Result<bool> {
        let exception = matches!(self.0.rated.status, RagStatus::Red | RagStatus::Amber);
        Ok(exception && self.commentary_rows(ctx).await?.is_empty())
    }
    /// The measure's action plans, for exceptions that need one.
    async fn action_plans(&self, ctx: &Context<'_>) -> Result<Vec<ActionPlan>> {
        action_plans(ctx, self.0.measure_id).await
    }
    /// The values this result replaced, newest first. Viewers who may not
    /// read unpublished results see only values that were once public.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<ResultVersion>> {
        let Some(id) = self.0.result_id else {
            return Ok(Vec::new());
        };
        let rows = loaders(ctx)?.history_of_result.load_one(id).await.gql()?;
        let since = self.0.history_since;
        Ok(rows
            .unwrap_or_default()
            .iter()
            .rev()
            .filter(|h| since.is_none_or(|t| h.replaced_at > t))
            .cloned()
            .map(ResultVersion)
            .collect())
    }
}

/// An earlier value of a result.
pub struct ResultVersion(pub result_history::Model);

#[Object]
impl ResultVersion {
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn value(&self) -> f64 {
        float(self.0.value.0)
    }
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    async fn submitted_by(&self) -> &str {
        &self.0.submitted_by
    }
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// When a newer value replaced it.
    async fn replaced_at(&self) -> DateTime<Utc> {
        self.0.replaced_at
    }
}

impl MeasureResult {
    /// Commentary is only shown beside a value the viewer can see.
    async fn commentary_rows(&self, ctx: &Context<'_>) -> Result<Vec<commentary::Model>> {
        if self.0.rated.value.is_none() && !self.0.published {
            return Ok(Vec::new());
        }
        let rows = loaders(ctx)?
            .commentary_of_measure
            .load_one(self.0.measure_id)
            .await
            .gql()?;
        let period = self.0.rated.reported;
        Ok(rows
            .unwrap_or_default()
            .iter()
            .filter(|c| c.period == period)
            .cloned()
            .collect())
    }
}

pub struct Commentary(pub commentary::Model);

#[Object]
impl Commentary {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn kind(&self) -> CommentaryKind {
        self.0.kind
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn author(&self) -> &str {
        &self.0.author
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Earlier versions, newest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<CommentaryVersion>> {
        let rows = loaders(ctx)?
            .history_of_commentary
            .load_one(self.0.id)
            .await
            .gql()?;
        Ok(rows
            .unwrap_or_default()
            .iter()
            .rev()
            .cloned()
            .map(CommentaryVersion)
            .collect())
    }
}

/// An earlier version of a commentary.
pub struct CommentaryVersion(pub entity::model::commentary_history::Model);

#[Object]
impl CommentaryVersion {
    async fn version(&self) -> i32 {
        self.0.version
    }
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn author(&self) -> &str {
        &self.0.author
    }
    /// When a newer version replaced it.
    async fn edited_at(&self) -> DateTime<Utc> {
        self.0.edited_at
    }
}

pub struct ActionPlan(pub action_plan::Model);

#[Object]
impl ActionPlan {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn actions(&self, ctx: &Context<'_>) -> Result<Vec<Action>> {
        Ok(self.rows(ctx).await?.into_iter().map(Action).collect())
    }
    /// Some action is neither done nor dropped.
    async fn open(&self, ctx: &Context<'_>) -> Result<bool> {
        Ok(self.rows(ctx).await?.iter().any(|a| is_open(a.status)))
    }
}

fn is_open(s: ActionStatus) -> bool {
    !matches!(s, ActionStatus::Done | ActionStatus::Dropped)
}

impl ActionPlan {
    async fn rows(&self, ctx: &Context<'_>) -> Result<Vec<action::Model>> {
        let rows = loaders(ctx)?.actions_of_plan.load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().to_vec())
    }
}

pub struct Action(pub action::Model);

#[Object]
impl Action {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn description(&self) -> &str {
        &self.0.description
    }
    async fn owner(&self) -> &str {
        &self.0.owner
    }
    async fn due_on(&self) -> Option<Date> {
        self.0.due_on.map(Date)
    }
    async fn status(&self) -> ActionStatus {
        self.0.status
    }
    /// Past its due date and neither done nor dropped.
    async fn overdue(&self) -> bool {
        is_open(self.0.status) && self.0.due_on.is_some_and(|d| d < Utc::now().date_naive())
    }
    async fn version(&self) -> i32 {
        self.0.version
    }
}

pub struct Panel(pub panel::Model);

#[Object]
impl Panel {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn kind(&self) -> PanelKind {
        self.0.kind
    }
    /// The measures in the panel's remit: those under its plan nodes and
    /// those named singly.
    async fn measures(&self, ctx: &Context<'_>) -> Result<Vec<Measure>> {
        Ok(analytics::panel_measures(ctx, self.0.id)
            .await?
            .into_iter()
            .map(Measure)
            .collect())
    }
    /// The plan nodes in the panel's remit.
    async fn remit_nodes(&self, ctx: &Context<'_>) -> Result<Vec<PlanNode>> {
        let l = loaders(ctx)?;
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
    async fn meetings(&self, ctx: &Context<'_>) -> Result<Vec<Meeting>> {
        let rows = loaders(ctx)?.meetings_of_panel.load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().iter().cloned().map(Meeting).collect())
    }
    async fn breakdown(&self, ctx: &Context<'_>, period: Period) -> Result<Breakdown> {
        let measures = analytics::panel_measures(ctx, self.0.id).await?;
        breakdown(ctx, &measures, period).await
    }
    /// RED and AMBER results in the panel's remit.
    async fn exceptions(&self, ctx: &Context<'_>, period: Period) -> Result<Vec<MeasureResult>> {
        let measures = analytics::panel_measures(ctx, self.0.id).await?;
        exceptions(ctx, &measures, period).await
    }
}

pub struct Meeting(pub meeting::Model);

#[Object]
impl Meeting {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn held_on(&self) -> Date {
        Date(self.0.held_on)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    async fn agenda(&self, ctx: &Context<'_>) -> Result<Vec<AgendaItem>> {
        let rows = loaders(ctx)?.agenda_of_meeting.load_one(self.0.id).await.gql()?;
        Ok(rows.unwrap_or_default().iter().cloned().map(AgendaItem).collect())
    }
}

pub struct AgendaItem(pub agenda_item::Model);

#[Object]
impl AgendaItem {
    async fn id(&self) -> ID {
        gid(self.0.id)
    }
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// The plan whose report the item considered.
    async fn plan(&self, ctx: &Context<'_>) -> Result<Option<Plan>> {
        let Some(pid) = self.0.plan_id else {
            return Ok(None);
        };
        Ok(loaders(ctx)?.plan.load_one(pid).await.gql()?.map(Plan))
    }
    /// The reporting period the item considered.
    async fn period(&self) -> Option<Period> {
        self.0.period
    }
    async fn minutes(&self) -> Option<&str> {
        self.0.minutes.as_deref()
    }
    async fn resolutions(&self) -> Option<&str> {
        self.0.resolutions.as_deref()
    }
}

/// Who the request is made as.
#[derive(SimpleObject)]
#[graphql(name = "Viewer", complex)]
pub struct ViewerObject {
    subject: String,
    name: Option<String>,
    #[graphql(skip)]
    grants: Vec<crate::policy::Grant>,
}

#[ComplexObject]
impl ViewerObject {
    async fn grants(&self, ctx: &Context<'_>) -> Result<Vec<GrantObject>> {
        let l = loaders(ctx)?;
        let auth_ids: HashSet<i64> = self.grants.iter().filter_map(|g| g.authority_id).collect();
        let partner_ids: HashSet<i64> = self.grants.iter().filter_map(|g| g.partner_id).collect();
        let auths: HashMap<i64, authority::Model> = l.authority.load_many(auth_ids).await.gql()?;
        let partners: HashMap<i64, partner::Model> = l.partner.load_many(partner_ids).await.gql()?;
        Ok(self
            .grants
            .iter()
            .map(|g| GrantObject {
                role: g.role,
                authority: g.authority_id.and_then(|a| auths.get(&a).cloned()).map(Authority),
                partner: g.partner_id.and_then(|p| partners.get(&p).cloned()).map(Partner),
            })
            .collect())
    }
}

impl ViewerObject {
    pub fn of(v: &Viewer) -> Option<Self> {
        match v {
            Viewer::Anonymous => None,
            Viewer::User {
                subject,
                name,
                grants,
            } => Some(ViewerObject {
                subject: subject.clone(),
                name: name.clone(),
                grants: grants.clone(),
            }),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "Grant")]
pub struct GrantObject {
    role: Role,
    authority: Option<Authority>,
    partner: Option<Partner>,
}
