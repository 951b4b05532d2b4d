//! Measures and their results: the rated figures, series and the writes
//! of a reporting cycle.

use std::collections::HashMap;

use async_graphql::{Context, ID, Object, Result};
use chrono::{DateTime, Utc};
use entity::model::{commentary, measure, result_history};
use entity::{
    Accumulation, DataQuality, Direction, ForecastMethod, Frequency, MeasureKind, Period, Polarity,
    RagStatus, Unit,
};

use super::authority::Partner;
use super::benchmark::{Benchmark, Metric, benchmark};
use super::commentary::{ActionPlan, Commentary};
use super::common::{float, parse_id, rate_one, required, transact, written};
use super::feeds::ResultVersionConnection;
use super::plan::RagRule;
use super::plan::{Plan, PlanNode};
use super::series::{Forecast, MeasureDefinition};
use crate::archive::is_live;
use crate::context::{Session, request, rows};
use crate::error::{ApiError, ApiResult, Gql};
use crate::ids::{self, Kind};
use crate::inputs::{
    ChangeMeasureDefinitionInput, CreateMeasureInput, SetTargetInput, SubmitResultInput, UpdateMeasureInput,
};
use crate::rating::feed::PageArgs;
use crate::rating::{Rating, SeriesKey, sets, visible};
use crate::scalars::Date;
use crate::service;
use crate::store::write::{Finish, Write};

#[derive(Default)]
pub struct MeasureQuery;

#[Object]
impl MeasureQuery {
    /// One measure by its global id; null when there is none or it is archived.
    async fn measure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The measure's global id.")] id: ID,
    ) -> Result<Option<Measure>> {
        let Some(id) = parse_id(Kind::Measure, &id) else {
            return Ok(None);
        };
        let m = rows(ctx)?.measure.load_one(id).await.gql()?;
        Ok(m.filter(is_live).map(Measure))
    }
}

/// What a write wrote, rated inside its transaction before it is finished
/// (`finish`: committed, or rolled back for a dry run), so that the answer
/// is decided before the commit. What the answer's fields read besides is
/// read afresh: the write made the request forget what it had read before.
pub(super) async fn rated_then(
    ctx: &Context<'_>,
    w: Write,
    finish: Finish,
    keys: &[(i64, Period)],
) -> Result<Vec<MeasureResult>> {
    let session = Session {
        viewer: (*request(ctx)?.viewer).clone(),
        ..Session::anonymous()
    };
    let ratings = w
        .read_then(finish, |reader| async move {
            rate_keys(&crate::context::Request::new(reader, session), keys).await
        })
        .await
        .gql()?;
    Ok(ratings.into_iter().map(MeasureResult).collect())
}

/// The measures of `keys` rated at their periods, read through `r`.
pub(super) async fn rate_keys(r: &crate::context::Request, keys: &[(i64, Period)]) -> ApiResult<Vec<Rating>> {
    let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
    let measures: Vec<measure::Model> = r
        .rows
        .measure
        .load_many(ids)
        .await
        .map_err(|e| (*e).clone())?
        .into_values()
        .collect();
    let periods = crate::store::unique(keys.iter().map(|k| k.1));
    let mut all: HashMap<(i64, Period), Rating> = HashMap::new();
    let rated = r
        .ratings
        .rate(&r.rows, &measures, &periods)
        .await
        .map_err(|e| (*e).clone())?;
    for (period, ratings) in periods.iter().zip(rated) {
        all.extend(ratings.into_iter().map(|r| ((r.measure_id, *period), r)));
    }
    keys.iter()
        .map(|k| {
            all.get(k)
                .cloned()
                .ok_or_else(|| ApiError::internal("a measure just written has no rating"))
        })
        .collect()
}

#[derive(Default)]
pub struct MeasureMutation;

#[Object]
impl MeasureMutation {
    /// Adds a measure to a plan node (ADMIN of its authority).
    async fn create_measure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new measure.")] input: CreateMeasureInput,
    ) -> Result<Measure> {
        Ok(Measure(transact!(ctx, service::create_measure, input)))
    }
    /// Edits a measure: code, title, unit, rule and the rest (ADMIN of its authority).
    async fn update_measure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What changes; absent fields stay.")] input: UpdateMeasureInput,
    ) -> Result<Measure> {
        Ok(Measure(transact!(ctx, service::update_measure, input)))
    }
    /// Records that a measure's definition changed from a period on (ADMIN
    /// of its authority): its direction, trend, comparisons, escalation and
    /// forecasts never compare across the change.
    async fn change_measure_definition(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The change.")] input: ChangeMeasureDefinitionInput,
    ) -> Result<Measure> {
        Ok(Measure(transact!(ctx, service::change_measure_definition, input)))
    }
    /// Hides a measure and keeps its results.
    async fn archive_measure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The measure's global id.")] id: ID,
    ) -> Result<Measure> {
        Ok(Measure(transact!(ctx, service::archive_measure, &id)))
    }
    /// Sets a measure's target (and floor) for a period (OFFICER or ADMIN),
    /// and answers the measure rated in that period.
    async fn set_target(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The target.")] input: SetTargetInput,
    ) -> Result<MeasureResult> {
        let period = input.period;
        let (w, measures) = written!(ctx, service::set_targets, &[input], |_, e| e);
        let keys: Vec<(i64, Period)> = measures.iter().map(|m| (m.id, period)).collect();
        let mut one = rated_then(ctx, w, Finish::Commit, &keys).await?;
        required(one.pop(), "measure")
    }
    /// Submits a measure's value for a period (OFFICER or ADMIN; PARTNER for
    /// the partnership measures its partner leads), and answers it rated.
    async fn submit_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The result.")] input: SubmitResultInput,
    ) -> Result<MeasureResult> {
        let mut one = self.submit_results(ctx, vec![input]).await?;
        required(one.pop(), "result")
    }
    /// All or nothing: a refusal names the failing row by its index.
    async fn submit_results(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The results, rated in the order given.")] input: Vec<SubmitResultInput>,
    ) -> Result<Vec<MeasureResult>> {
        let (w, saved) = written!(ctx, service::submit_results, &input, service::at_row);
        let keys: Vec<(i64, Period)> = saved.iter().map(|r| (r.measure_id, r.period)).collect();
        rated_then(ctx, w, Finish::Commit, &keys).await
    }
}

pub struct Measure(pub measure::Model);

/// A performance indicator of a plan: its definition, and its results rated
/// by its own or its plan's rules.
#[Object]
impl Measure {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Measure, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Its code, unique within its plan.
    async fn code(&self) -> &str {
        &self.0.code
    }
    /// Its title.
    async fn title(&self) -> &str {
        &self.0.title
    }
    /// What its value counts.
    async fn unit(&self) -> Unit {
        self.0.unit
    }
    /// Which way is better.
    async fn polarity(&self) -> Polarity {
        self.0.polarity
    }
    /// Council, partnership or tracking.
    async fn kind(&self) -> MeasureKind {
        self.0.kind
    }
    /// How often it reports.
    async fn frequency(&self) -> Frequency {
        self.0.frequency
    }
    /// The partner that leads a partnership measure.
    async fn partner(&self, ctx: &Context<'_>) -> Result<Option<Partner>> {
        let Some(pid) = self.0.partner_id else {
            return Ok(None);
        };
        Ok(rows(ctx)?.partner.load_one(pid).await.gql()?.map(Partner))
    }
    /// The plan node it sits under.
    async fn node(&self, ctx: &Context<'_>) -> Result<Option<PlanNode>> {
        let Some(nid) = self.0.node_id else {
            return Ok(None);
        };
        Ok(rows(ctx)?.node.load_one(nid).await.gql()?.map(PlanNode))
    }
    /// The plan it belongs to.
    async fn plan(&self, ctx: &Context<'_>) -> Result<Plan> {
        let p = rows(ctx)?.plan.load_one(self.0.plan_id).await.gql()?;
        required(p, "plan").map(Plan)
    }
    /// The national metric the measure follows.
    async fn metric(&self, ctx: &Context<'_>) -> Result<Option<Metric>> {
        let Some(id) = self.0.metric_id else {
            return Ok(None);
        };
        Ok(rows(ctx)?.metric.load_one(id).await.gql()?.map(Metric))
    }
    /// Its metric's benchmark (see `Metric.benchmark`); null when the
    /// measure follows no metric.
    async fn benchmark(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period compared.")] period: Period,
        #[graphql(
            default_with = "Some(entity::benchmark::ALL.to_owned())",
            desc = "The comparison group's slug; default `all`."
        )]
        group: Option<String>,
    ) -> Result<Option<Benchmark>> {
        let Some(id) = self.0.metric_id else {
            return Ok(None);
        };
        let m = rows(ctx)?.metric.load_one(id).await.gql()?;
        Ok(Some(
            benchmark(ctx, required(m, "metric")?, period, group.as_deref()).await?,
        ))
    }
    /// The measure's own RAG rule, when it overrides its plan's.
    async fn rag_rule(&self) -> Option<RagRule> {
        entity::rating::measure_rag(&self.0).map(RagRule::from)
    }
    /// Whether its values stand alone (PERIOD), run year to date
    /// (CUMULATIVE) or cover the twelve months to the period's end
    /// (ROLLING). An accumulating measure's direction compares the same
    /// period last year, whatever its plan's direction rule.
    async fn accumulation(&self) -> Accumulation {
        self.0.accumulation
    }
    /// How its year-end forecast is made; null: it has none.
    async fn forecast_method(&self) -> Option<ForecastMethod> {
        self.0.forecast_method
    }
    /// Its definition changes, oldest first (the definition it was created
    /// with is not listed): each starts its series again.
    async fn definitions(&self) -> Vec<MeasureDefinition> {
        self.0
            .definitions
            .iter()
            .flat_map(|d| d.0.iter())
            .map(MeasureDefinition::from)
            .collect()
    }
    /// A cumulative measure's profile of its annual target: the percent of
    /// it due by the end of each period of the year, in order. Null: even
    /// steps (25, 50, 75, 100 for a quarterly measure) for a cumulative
    /// measure, none for others.
    async fn target_profile(&self) -> Option<Vec<f64>> {
        self.0
            .target_profile
            .as_ref()
            .map(|p| p.0.iter().map(|d| float(*d)).collect())
    }
    /// The measure rated in a period. For a period longer than the measure's
    /// frequency (a quarter of a monthly measure) the latest result inside it
    /// answers; for a shorter one, the measure's period containing it.
    async fn result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period.")] period: Period,
    ) -> Result<MeasureResult> {
        let mut rated = rate_one(ctx, std::slice::from_ref(&self.0), period).await?;
        required(rated.pop(), "measure").map(MeasureResult)
    }
    /// One result per period of the measure's frequency from `from` to `to`
    /// (periods without data included as NO_DATA). Open ends stop at the
    /// first and last results there are.
    async fn results(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first period; absent: its first result.")] from: Option<Period>,
        #[graphql(desc = "The last period; absent: its last result.")] to: Option<Period>,
    ) -> Result<Vec<MeasureResult>> {
        sets::check_span(self.0.frequency, from, to).gql()?;
        let key = SeriesKey {
            measure_id: self.0.id,
            from,
            to,
        };
        let series = request(ctx)?.ratings.series(key).await.gql()?;
        Ok(series.into_iter().map(MeasureResult).collect())
    }
    /// Its action plans.
    async fn action_plans(&self, ctx: &Context<'_>) -> Result<Vec<ActionPlan>> {
        action_plans(ctx, self.0.id).await
    }
}

async fn action_plans(ctx: &Context<'_>, measure_id: i64) -> Result<Vec<ActionPlan>> {
    let plans = rows(ctx)?
        .action_plans_of_measure
        .load_one(measure_id)
        .await
        .gql()?;
    Ok(plans
        .unwrap_or_default()
        .iter()
        .cloned()
        .map(ActionPlan)
        .collect())
}

pub struct MeasureResult(pub Rating);

/// A measure rated in one period: its value, target, RAG status and
/// direction of travel. To a viewer who may not read the period's
/// unpublished results it is NO_DATA with null value fields.
#[Object]
impl MeasureResult {
    /// Opaque: names the measure and the period asked for.
    pub(super) async fn id(&self) -> ID {
        ids::result(self.0.measure_id, self.0.rated.period)
    }
    /// The measure.
    async fn measure(&self, ctx: &Context<'_>) -> Result<Measure> {
        let m = rows(ctx)?.measure.load_one(self.0.measure_id).await.gql()?;
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
    /// The value in the measure's unit; null with no result, or one hidden from this viewer.
    async fn value(&self) -> Option<f64> {
        self.0.rated.value.map(float)
    }
    /// The value exactly as stored, for clients that must not round.
    async fn value_text(&self) -> Option<String> {
        self.0.rated.value.map(|v| v.normalize().to_string())
    }
    /// The target that applies; null when none is set.
    async fn target(&self) -> Option<f64> {
        self.0.rated.target.map(float)
    }
    /// The floor beside the target; null when none is set.
    async fn floor(&self) -> Option<f64> {
        self.0.rated.floor.map(float)
    }
    /// Its RAG status.
    async fn status(&self) -> RagStatus {
        self.0.rated.status
    }
    /// Its direction of travel.
    async fn direction(&self) -> Direction {
        self.0.rated.direction
    }
    /// The value direction of travel compares with: the previous period's,
    /// or the same period last year's under SAME_PERIOD_LAST_YEAR.
    async fn previous_value(&self) -> Option<f64> {
        self.0.rated.previous_value.map(float)
    }
    /// Whether the reported period is published.
    async fn published(&self) -> bool {
        self.0.published
    }
    /// Whether the shown value was changed after publication, for whatever
    /// reason (a source's revision is `quality` REVISED).
    async fn restated(&self) -> bool {
        self.0.restated
    }
    /// How sure the source is of the shown value; null where none is shown.
    /// A PROVISIONAL value is NO_DATA under a rule that does not rate them
    /// (`RagRule.rateProvisional`), and never counts in a benchmark.
    async fn quality(&self) -> Option<DataQuality> {
        self.0.submission.as_ref().map(|s| s.quality)
    }
    /// The date the shown value was true at, as its source states it.
    async fn as_at(&self) -> Option<Date> {
        self.0.submission.as_ref().and_then(|s| s.as_at).map(Date)
    }
    /// Whether the value this result would be compared with (`previousValue`,
    /// and its direction) comes from before a change of the measure's
    /// definition: then it is not compared, and a report says "definition
    /// changed" in its place.
    async fn definition_changed(&self) -> bool {
        self.0.rated.definition_changed
    }
    /// The year-end forecast made at this period (see `Measure.forecastMethod`)
    /// and the status it would earn against the year's target. Null for a
    /// measure without a method, an annual one, or where the method has
    /// nothing to go on yet.
    async fn forecast(&self) -> Option<Forecast> {
        self.0.forecast.map(Forecast::from)
    }
    /// The shown result's version, counting from 1: what `expectedVersion`
    /// compares with. Null where no result is shown.
    async fn version(&self) -> Option<i32> {
        self.0.submission.as_ref().map(|s| s.version)
    }
    /// When the shown result was submitted.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.0.submission.as_ref().map(|s| s.at)
    }
    /// Who submitted the shown result (the token's subject): null for anyone
    /// outside the authority's own roles and the partner that leads the
    /// measure.
    async fn submitted_by(&self) -> Option<&str> {
        self.0.submission.as_ref()?.by.as_deref()
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
    /// Its place in the authority's live events: the event's, when a
    /// subscription delivers it; in a query, the authority's latest, to
    /// subscribe `since` (see `Subscription`).
    async fn position(&self, ctx: &Context<'_>) -> Result<String> {
        let m = rows(ctx)?.measure.load_one(self.0.measure_id).await.gql()?;
        super::live::position(ctx, required(m, "measure")?.authority_id).await
    }
    /// The values this result replaced, newest first. Viewers who may not
    /// read unpublished results see only values that were once public.
    #[graphql(deprecation = "Use `versions`, the same values as a cursor connection.")]
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<ResultVersion>> {
        Ok(self
            .history_rows(ctx)
            .await?
            .into_iter()
            .map(ResultVersion)
            .collect())
    }
    /// The values this result replaced, newest first, a page at a time:
    /// what `history` lists, to the same viewers.
    async fn versions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The first this many after `after` (at most 500).")] first: Option<i32>,
        #[graphql(desc = "A cursor: the page starts after it.")] after: Option<String>,
        #[graphql(desc = "The last this many before `before` (at most 500).")] last: Option<i32>,
        #[graphql(desc = "A cursor: the page ends before it.")] before: Option<String>,
    ) -> Result<ResultVersionConnection> {
        let args = PageArgs {
            first,
            after,
            last,
            before,
        };
        ResultVersionConnection::of(&self.history_rows(ctx).await?, args).await
    }
}

/// An earlier value of a result.
pub struct ResultVersion(pub result_history::Model);

/// An earlier value of a result.
#[Object]
impl ResultVersion {
    /// Its version, counting from 1.
    async fn version(&self) -> i32 {
        self.0.version
    }
    /// The value it held.
    async fn value(&self) -> f64 {
        float(self.0.value.0)
    }
    /// The note submitted with it.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// Who submitted it (the token's subject).
    async fn submitted_by(&self) -> &str {
        &self.0.submitted_by
    }
    /// When it was submitted.
    async fn submitted_at(&self) -> DateTime<Utc> {
        self.0.submitted_at
    }
    /// When a newer value replaced it.
    async fn replaced_at(&self) -> DateTime<Utc> {
        self.0.replaced_at
    }
    /// How sure its source was of it.
    async fn quality(&self) -> DataQuality {
        self.0.quality
    }
    /// The date it was true at, as its source stated it.
    async fn as_at(&self) -> Option<Date> {
        self.0.as_at.map(Date)
    }
}

impl MeasureResult {
    async fn history_rows(&self, ctx: &Context<'_>) -> Result<Vec<result_history::Model>> {
        let Some(id) = self.0.result_id else {
            return Ok(Vec::new());
        };
        let history = rows(ctx)?.history_of_result.load_one(id).await.gql()?;
        Ok(visible::history(&self.0, &history.unwrap_or_default()))
    }
    async fn commentary_rows(&self, ctx: &Context<'_>) -> Result<Vec<commentary::Model>> {
        let all = rows(ctx)?
            .commentary_of_measure
            .load_one(self.0.measure_id)
            .await
            .gql()?;
        Ok(visible::commentary(&self.0, &all.unwrap_or_default()))
    }
}
