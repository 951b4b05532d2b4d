//! The rating read model, the heart of the product: every measure rated in
//! a period by its plan's rules, as the viewer may see it. One entry point,
//! [`Ratings::rate`], rates any set of measures at any periods, one pass per
//! plan whatever their number; [`Ratings::series`] answers a measure's
//! results over time. The sets of measures that plans, nodes and panels
//! count are in [`sets`]; what is hidden from whom, in [`visible`].

mod facts;
mod series;
pub mod sets;
pub mod visible;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::futures_util::future::join_all;
use chrono::{DateTime, Utc};
use entity::Period;
use entity::model::measure;
use entity::rating::Rated;
use tokio::sync::OnceCell;

pub use series::{Series, SeriesKey};

use crate::error::ApiError;
pub use crate::loaders::Shared;
use crate::loaders::{Cached, Loaders, cached};
use crate::policy::Viewer;
use crate::store::Reader;
use facts::Facts;

/// Longest run of periods one series, trend or escalation looks at: ten
/// years of months.
pub const MAX_PERIODS: u32 = 120;

/// One measure rated in one period, as a viewer may see it.
#[derive(Clone, Debug)]
pub struct Rating {
    pub measure_id: i64,
    /// The stored result shown, if any.
    pub result_id: Option<i64>,
    pub rated: Rated,
    /// Whether the reported period is published.
    pub published: bool,
    /// Earlier values are shown only if they were themselves public: for a
    /// viewer who may not read unpublished results, those replaced after
    /// this moment (the period's publication). `None`: every earlier value.
    pub history_since: Option<DateTime<Utc>>,
    /// Whether the shown value was changed after publication.
    pub restated: bool,
}

fn unique_ids(ids: impl Iterator<Item = i64>) -> Vec<i64> {
    let mut v: Vec<i64> = ids.collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Every measure of one plan rated at one period, by measure id.
type PlanRatings = Arc<HashMap<i64, Rating>>;

type RatingCell = Arc<OnceCell<PlanRatings>>;

/// The ratings of one request, for its viewer.
pub struct Ratings {
    db: Reader,
    viewer: Arc<Viewer>,
    /// One cell per (plan, period): the first resolver to ask rates the
    /// whole plan, every other one waits for that answer. Unlike a batch
    /// window this does not depend on timing, so a request's statements are
    /// the same every time.
    cells: Mutex<HashMap<(i64, Period), RatingCell>>,
    series: Cached<Series>,
}

impl Ratings {
    pub fn new(db: Reader, viewer: Arc<Viewer>) -> Self {
        Ratings {
            series: cached(Series {
                db: db.clone(),
                viewer: viewer.clone(),
            }),
            db,
            viewer,
            cells: Mutex::default(),
        }
    }

    /// Drops every rating made so far: after a write they may be out of date.
    pub fn forget(&self) {
        self.cells.lock().unwrap_or_else(PoisonError::into_inner).clear();
        self.series.clear::<SeriesKey>();
    }

    /// Every measure rated at every period, `[period][measure]` in the order
    /// given: one rating pass per plan the measures belong to, for all the
    /// periods at once, shared with every other resolver of the request.
    /// Archived measures are rated too, so they still show their results.
    pub async fn rate(
        &self,
        rows: &Loaders,
        measures: &[measure::Model],
        periods: &[Period],
    ) -> Shared<Vec<Vec<Rating>>> {
        let plan_ids = unique_ids(measures.iter().map(|m| m.plan_id));
        let rated = join_all(plan_ids.iter().map(|p| self.plan(rows, *p, periods))).await;
        let mut by_plan = HashMap::new();
        for (p, r) in plan_ids.iter().zip(rated) {
            by_plan.insert(*p, r?);
        }
        Ok((0..periods.len())
            .map(|i| {
                measures
                    .iter()
                    .filter_map(|m| by_plan.get(&m.plan_id)?.get(i)?.get(&m.id).cloned())
                    .collect()
            })
            .collect())
    }

    /// A measure's series: one rating per period of its frequency.
    pub async fn series(&self, key: SeriesKey) -> Shared<Vec<Rating>> {
        Ok(self.series.load_one(key).await?.unwrap_or_default())
    }

    /// Every measure of a plan rated at each of `periods`. The periods not
    /// yet rated in this request are rated together, in one pass.
    async fn plan(&self, rows: &Loaders, plan_id: i64, periods: &[Period]) -> Shared<Vec<PlanRatings>> {
        let cells: Vec<RatingCell> = {
            let mut cells = self.cells.lock().unwrap_or_else(PoisonError::into_inner);
            periods
                .iter()
                .map(|p| cells.entry((plan_id, *p)).or_default().clone())
                .collect()
        };
        let missing: Vec<Period> = periods
            .iter()
            .zip(&cells)
            .filter(|(_, c)| !c.initialized())
            .map(|(p, _)| *p)
            .collect();
        // Several periods at once (a trend) are rated in one pass; a single
        // period goes through its cell alone, so that the many resolvers of
        // a dashboard asking at once wait for one pass instead of each
        // starting their own.
        if missing.len() > 1 {
            let mut fresh = self.pass(rows, plan_id, &missing).await?;
            for (p, cell) in periods.iter().zip(&cells) {
                if let Some(r) = fresh.remove(p) {
                    // Another resolver may have filled it meanwhile: same answer.
                    let _ = cell.set(Arc::new(r));
                }
            }
        }
        let mut out = Vec::with_capacity(periods.len());
        for (p, cell) in periods.iter().zip(&cells) {
            let one = [*p];
            let got = cell
                .get_or_try_init(|| async {
                    let mut r = self.pass(rows, plan_id, &one).await?;
                    Ok::<_, Arc<ApiError>>(Arc::new(r.remove(p).unwrap_or_default()))
                })
                .await?;
            out.push(got.clone());
        }
        Ok(out)
    }

    /// One rating pass over every measure of a plan at every given period.
    /// The plan, its measures and publications come through the loaders
    /// (a dashboard has read them already); then two statements.
    async fn pass(
        &self,
        rows: &Loaders,
        plan_id: i64,
        periods: &[Period],
    ) -> Shared<HashMap<Period, HashMap<i64, Rating>>> {
        let (measures, plan, publications) = tokio::try_join!(
            rows.measures_of_plan.load_one(plan_id),
            rows.plan.load_one(plan_id),
            rows.publications_of_plan.load_one(plan_id),
        )?;
        let measures = measures.unwrap_or_default();
        let mut facts = Facts::new(
            &self.viewer,
            &measures,
            plan.as_slice(),
            &publications.unwrap_or_default(),
        );
        let keys: Vec<(i64, Period)> = periods
            .iter()
            .flat_map(|p| measures.iter().map(move |m| (m.id, *p)))
            .collect();
        facts.read(&self.db, &keys).await?;
        let mut out: HashMap<Period, HashMap<i64, Rating>> = HashMap::new();
        for (id, p) in keys {
            if let Some(r) = facts.rate(id, &p) {
                out.entry(p).or_default().insert(id, r);
            }
        }
        Ok(out)
    }
}
