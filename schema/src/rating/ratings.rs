//! The entry point of the read model.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::futures_util::future::join_all;
use entity::Period;
use entity::model::measure;
use tokio::sync::OnceCell;

use super::facts::Facts;
use super::rated::Rating;
use super::series::{Series, SeriesKey};
use crate::error::ApiError;
use crate::loaders::{Cached, Loaders, Shared, cached};
use crate::policy::Viewer;
use crate::store::Reader;
use crate::store::unique;

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
        let plan_ids = unique(measures.iter().map(|m| m.plan_id));
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
    /// (a dashboard has read them already); then one statement.
    async fn pass(
        &self,
        rows: &Loaders,
        plan_id: i64,
        periods: &[Period],
    ) -> Shared<HashMap<Period, HashMap<i64, Rating>>> {
        let (of_plan, plan) = tokio::try_join!(rows.plan_rows(plan_id), rows.plan.load_one(plan_id))?;
        let mut facts = Facts::new(
            &self.viewer,
            &of_plan.measures,
            plan.as_slice(),
            &of_plan.publications,
        );
        let measures = of_plan.measures;
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
