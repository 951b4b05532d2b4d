//! Benchmarking across councils: metrics, comparison groups, benchmarks.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, Result};
use entity::benchmark::benchmark_period;
use entity::model::metric;
use entity::{BenchmarkSource, ComparisonGroupKind, Frequency, Period, Polarity, Unit};
use rust_decimal::Decimal;

use super::authority::Authority;
use super::common::transact;
use super::measure::Measure;
use crate::benchmarks::{self, Group};
use crate::context::{request, rows};
use crate::error::{ApiError, Gql};
use crate::ids::{self, Kind};
use crate::inputs::{CreateComparisonGroupInput, CreateMetricInput, MetricValueInput};
use crate::service;
use crate::store;

#[derive(Default)]
pub struct BenchmarkQuery;

#[Object]
impl BenchmarkQuery {
    /// Every national metric, by code.
    async fn metrics(&self, ctx: &Context<'_>) -> Result<Vec<Metric>> {
        let all = store::benchmarks::metrics(request(ctx)?.reader()).await.gql()?;
        Ok(all.into_iter().map(Metric).collect())
    }

    /// One national metric by its code; null when there is none.
    async fn metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its code: `NI192`.")] code: String,
    ) -> Result<Option<Metric>> {
        let found = store::benchmarks::metrics_by_code(request(ctx)?.reader(), &[code])
            .await
            .gql()?;
        Ok(found.into_iter().next().map(Metric))
    }

    /// Every comparison group: `all`, one per authority kind, one per region
    /// (`region-south-east`), then the stored groups, by slug.
    async fn comparison_groups(&self, ctx: &Context<'_>) -> Result<Vec<ComparisonGroup>> {
        let groups = request(ctx)?.benchmarks.groups().await.gql()?;
        Ok(groups.into_iter().map(ComparisonGroup).collect())
    }

    /// One comparison group by its slug; null when there is none.
    async fn comparison_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Its slug: `all`, `region-south-east`.")] slug: String,
    ) -> Result<Option<ComparisonGroup>> {
        let found = request(ctx)?.benchmarks.group(&slug).await.gql()?;
        Ok(found.map(ComparisonGroup))
    }
}

#[derive(Default)]
pub struct BenchmarkMutation;

#[Object]
impl BenchmarkMutation {
    /// PLATFORM_ADMIN.
    async fn create_metric(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new metric.")] input: CreateMetricInput,
    ) -> Result<Metric> {
        Ok(Metric(transact!(ctx, service::create_metric, input)))
    }

    /// Loads national reference values, each replacing the one loaded before
    /// for its metric, authority and period: all or nothing, at most 1,000
    /// at once. PLATFORM_ADMIN. Answers how many were set.
    async fn set_metric_values(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The values.")] input: Vec<MetricValueInput>,
    ) -> Result<i32> {
        let set = transact!(ctx, service::set_metric_values, &input, service::at_row);
        Ok(i32::try_from(set).unwrap_or(i32::MAX))
    }

    /// A NEAREST_NEIGHBOURS or CUSTOM group: PLATFORM_ADMIN, or an ADMIN of
    /// the owner.
    async fn create_comparison_group(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new group.")] input: CreateComparisonGroupInput,
    ) -> Result<ComparisonGroup> {
        Ok(ComparisonGroup(Group::Stored(transact!(
            ctx,
            service::create_comparison_group,
            input
        ))))
    }
}

pub struct Metric(pub metric::Model);

/// A measure defined the same way nationally, so councils' values of it can
/// be compared.
#[Object]
impl Metric {
    /// Its global id.
    pub(super) async fn id(&self) -> ID {
        ids::row(Kind::Metric, self.0.id)
    }
    /// The per-table number: what ID arguments took before global ids.
    async fn database_id(&self) -> i64 {
        self.0.id
    }
    /// Its code, as the publisher names it.
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
    /// How often it is published.
    async fn frequency(&self) -> Frequency {
        self.0.frequency
    }
    /// Who publishes it, and where.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }
    /// The metric over a group at a period: a period of the metric's
    /// frequency, or a finer one, which means the period of the metric's
    /// frequency containing it (a quarter asks about its financial year).
    async fn benchmark(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period compared.")] period: Period,
        #[graphql(
            default_with = "Some(entity::benchmark::ALL.to_owned())",
            desc = "The comparison group's slug; default `all`."
        )]
        group: Option<String>,
    ) -> Result<Benchmark> {
        benchmark(ctx, self.0.clone(), period, group.as_deref()).await
    }
}

/// The one way a benchmark is asked for, from a metric or a measure.
pub(super) async fn benchmark(
    ctx: &Context<'_>,
    metric: metric::Model,
    period: Period,
    group: Option<&str>,
) -> Result<Benchmark> {
    let r = request(ctx)?;
    // An explicit null asks for the default.
    let group = group.unwrap_or(entity::benchmark::ALL);
    let at = benchmark_period(period, metric.frequency)
        .ok_or_else(|| {
            ApiError::BadUserInput(format!(
                "{} is {:?}: a benchmark is of one of its periods, not of {period}",
                metric.code, metric.frequency
            ))
        })
        .gql()?;
    let group = r
        .benchmarks
        .group(group)
        .await
        .gql()?
        .ok_or_else(|| ApiError::BadUserInput(format!("no comparison group `{group}`")))
        .gql()?;
    let b = r.benchmarks.benchmark(&r.rows, metric, at, group).await.gql()?;
    Ok(Benchmark(b))
}

/// A metric's values over a comparison group in one period.
pub struct Benchmark(Arc<benchmarks::Benchmark>);

fn float(d: Option<Decimal>) -> Option<f64> {
    d.map(super::common::float)
}

/// A metric's values over a comparison group in one period.
#[Object]
impl Benchmark {
    /// The metric.
    async fn metric(&self) -> Metric {
        Metric(self.0.metric.clone())
    }
    /// The period of the metric's frequency the benchmark is of.
    async fn period(&self) -> Period {
        self.0.period
    }
    /// The comparison group.
    async fn group(&self) -> ComparisonGroup {
        ComparisonGroup(self.0.group.clone())
    }
    /// Members with a value.
    async fn count(&self) -> i32 {
        i32::try_from(self.0.statistics.count).unwrap_or(i32::MAX)
    }
    /// The members' mean value; null when none has a value.
    async fn mean(&self) -> Option<f64> {
        float(self.0.statistics.mean)
    }
    /// The members' median value; null when none has a value.
    async fn median(&self) -> Option<f64> {
        float(self.0.statistics.median)
    }
    /// QUARTILE.INC's first quartile.
    async fn lower_quartile(&self) -> Option<f64> {
        float(self.0.statistics.lower_quartile)
    }
    /// QUARTILE.INC's third quartile.
    async fn upper_quartile(&self) -> Option<f64> {
        float(self.0.statistics.upper_quartile)
    }
    /// The lowest value; null when none has a value.
    async fn min(&self) -> Option<f64> {
        float(self.0.statistics.min)
    }
    /// The highest value; null when none has a value.
    async fn max(&self) -> Option<f64> {
        float(self.0.statistics.max)
    }
    /// Best first by the metric's polarity; equal values by authority name.
    async fn values(&self) -> Vec<BenchmarkValue> {
        (0..self.0.values.len())
            .map(|i| BenchmarkValue(self.0.clone(), i))
            .collect()
    }
    /// Where one authority (by slug) stands; null when it has no value.
    async fn position(
        &self,
        #[graphql(desc = "The authority's slug.")] authority: String,
    ) -> Option<BenchmarkValue> {
        let i = self.0.values.iter().position(|v| v.authority.slug == authority)?;
        Some(BenchmarkValue(self.0.clone(), i))
    }
}

/// One authority's value in a benchmark.
pub struct BenchmarkValue(Arc<benchmarks::Benchmark>, usize);

impl BenchmarkValue {
    fn placed(&self) -> Result<&benchmarks::Placed> {
        self.0
            .values
            .get(self.1)
            .ok_or_else(|| ApiError::internal("a benchmark value out of range"))
            .gql()
    }
}

/// One authority's value in a benchmark.
#[Object]
impl BenchmarkValue {
    /// The authority.
    async fn authority(&self) -> Result<Authority> {
        Ok(Authority(self.placed()?.authority.clone()))
    }
    /// Its value, in the metric's unit.
    async fn value(&self) -> Result<f64> {
        Ok(super::common::float(self.placed()?.candidate.value))
    }
    /// 1 is best; equal values share the better rank. Null when the metric
    /// has no polarity.
    async fn rank(&self) -> Result<Option<i32>> {
        Ok(self.placed()?.rank.and_then(|r| i32::try_from(r).ok()))
    }
    /// 1 is the best quarter of the group. Null when the metric has no
    /// polarity.
    async fn quartile(&self) -> Result<Option<i32>> {
        Ok(self.placed()?.quartile.map(i32::from))
    }
    /// Whether it is the authority's own published result or a reference value.
    async fn source(&self) -> Result<BenchmarkSource> {
        Ok(self.placed()?.candidate.source)
    }
    /// The authority's measure linked to the metric: the one that reported
    /// the value, or, beside a reference value, the one it has.
    async fn measure(&self, ctx: &Context<'_>) -> Result<Option<Measure>> {
        let Some(id) = self.placed()?.candidate.measure_id else {
            return Ok(None);
        };
        Ok(rows(ctx)?.measure.load_one(id).await.gql()?.map(Measure))
    }
}

/// A named set of authorities to compare.
pub struct ComparisonGroup(pub Group);

/// A named set of authorities to compare.
#[Object]
impl ComparisonGroup {
    /// Opaque: built-in groups (all authorities, a kind, a region) have no
    /// number, so it names the group by slug.
    pub(super) async fn id(&self) -> ID {
        ids::group(self.0.slug())
    }
    /// Its slug, unique.
    async fn slug(&self) -> &str {
        self.0.slug()
    }
    /// Its name.
    async fn name(&self) -> &str {
        self.0.name()
    }
    /// What decides its members.
    async fn kind(&self) -> ComparisonGroupKind {
        self.0.kind()
    }
    /// The council a nearest-neighbour or custom group belongs to.
    async fn owner(&self, ctx: &Context<'_>) -> Result<Option<Authority>> {
        let Some(id) = self.0.owner_id() else {
            return Ok(None);
        };
        Ok(rows(ctx)?.authority.load_one(id).await.gql()?.map(Authority))
    }
    /// By name. A nearest-neighbour group lists the neighbours; its
    /// benchmarks cover its owner too.
    async fn members(&self, ctx: &Context<'_>) -> Result<Vec<Authority>> {
        let r = request(ctx)?;
        let members = r.benchmarks.members(&r.rows, &self.0).await.gql()?;
        Ok(members.into_iter().map(Authority).collect())
    }
}
