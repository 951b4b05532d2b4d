//! Everything one rating pass reads, and the pass itself.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::forecast;
use entity::model::{measure, plan, publication};
use entity::rating::{self, Goal, MeasureRules};
use entity::rules::published_at;
use entity::{Num, Period};
use rust_decimal::Decimal;

use super::rated::{Rating, Submission};
use super::visible;
use crate::loaders::Shared;
use crate::policy::{self, Viewer};
use crate::store::unique;
use crate::store::{self, Reader};

/// What rating needs of one measure.
pub(super) struct MeasureFacts {
    pub plan_id: i64,
    pub scope: policy::Scope,
    pub rules: MeasureRules,
}

/// Everything loaded for one batch of ratings.
pub(super) struct Facts<'v> {
    viewer: &'v Viewer,
    pub measures: HashMap<i64, MeasureFacts>,
    /// Per plan: each published period and when it was published.
    published: HashMap<i64, Vec<(Period, DateTime<Utc>)>>,
    pub values: HashMap<(i64, Period), store::ResultValue>,
    goals: HashMap<(i64, Period), Goal>,
}

impl<'v> Facts<'v> {
    pub fn new(
        viewer: &'v Viewer,
        measures: &[measure::Model],
        plans: &[plan::Model],
        publications: &[publication::Model],
    ) -> Self {
        let plans: HashMap<i64, &plan::Model> = plans.iter().map(|p| (p.id, p)).collect();
        let mut published: HashMap<i64, Vec<(Period, DateTime<Utc>)>> = HashMap::new();
        for p in publications {
            published
                .entry(p.plan_id)
                .or_default()
                .push((p.period, p.published_at));
        }
        let measures = measures
            .iter()
            .filter_map(|m| {
                let rated = MeasureFacts {
                    plan_id: m.plan_id,
                    scope: policy::measure_scope(m),
                    rules: MeasureRules::of(m, plans.get(&m.plan_id)?),
                };
                Some((m.id, rated))
            })
            .collect();
        Facts {
            viewer,
            measures,
            published,
            values: HashMap::new(),
            goals: HashMap::new(),
        }
    }

    /// Facts of measures known only by id: three statements.
    pub async fn load(db: &Reader, viewer: &'v Viewer, measure_ids: &[i64]) -> Shared<Self> {
        let ctx = store::rating_context(db, measure_ids).await?;
        Ok(Self::new(viewer, &ctx.measures, &ctx.plans, &ctx.publications))
    }

    fn published_at(&self, plan_id: i64, period: &Period) -> Option<DateTime<Utc>> {
        self.published
            .get(&plan_id)
            .and_then(|ps| published_at(ps, period))
    }

    fn sees_drafts(&self, m: &MeasureFacts) -> bool {
        visible::sees_drafts(self.viewer, m.scope)
    }

    /// Keeps the results the viewer may see: published ones, and unpublished
    /// ones where the policy lets the viewer read them.
    pub fn add_results(&mut self, rows: Vec<store::ResultValue>) {
        for r in rows {
            let Some(m) = self.measures.get(&r.measure_id) else {
                continue;
            };
            if visible::shown(
                self.published_at(m.plan_id, &r.period).is_some(),
                self.sees_drafts(m),
            ) {
                self.values.insert((r.measure_id, r.period), r);
            }
        }
    }

    pub fn add_targets(&mut self, rows: Vec<store::TargetValue>) {
        for t in rows {
            self.goals.insert(
                (t.measure_id, t.period),
                Goal {
                    target: t.target.0,
                    floor: t.floor.map(|f: Num| f.0),
                },
            );
        }
    }

    /// Reads the results and targets rating `keys` needs: one statement.
    pub async fn read(&mut self, db: &Reader, keys: &[(i64, Period)]) -> Shared<()> {
        let ids = unique(keys.iter().map(|k| k.0));
        let mut periods: Vec<Period> = keys
            .iter()
            .filter_map(|(id, p)| self.measures.get(id).map(|m| rating::inputs(&m.rules, p)))
            .flatten()
            .collect();
        periods.sort();
        periods.dedup();
        let (results, targets) = store::rating_values_in(db, &ids, &periods).await?;
        self.add_results(results);
        self.add_targets(targets);
        Ok(())
    }

    pub fn rate(&self, measure_id: i64, period: &Period) -> Option<Rating> {
        let m = self.measures.get(&measure_id)?;
        let value_at =
            |p: &Period| -> Option<Decimal> { self.values.get(&(measure_id, *p)).map(|r| r.value.0) };
        let goal_at = |p: &Period| self.goals.get(&(measure_id, *p)).copied();
        let mut rated = rating::rate(&m.rules, period, value_at, goal_at);
        let shown = self.values.get(&(measure_id, rated.reported));
        rating::hold_provisional(&m.rules, &mut rated, shown.map(|r| r.quality));
        let published_at = self.published_at(m.plan_id, &rated.reported);
        let sees_drafts = self.sees_drafts(m);
        let shown_to_viewer = visible::shown(published_at.is_some(), sees_drafts);
        if !shown_to_viewer {
            visible::withhold(&mut rated);
        }
        let forecast = m.rules.forecast.filter(|_| shown_to_viewer).and_then(|method| {
            let entered = shown.and_then(|r| r.forecast).map(|n| n.0);
            forecast::forecast(method, &m.rules, &rated.reported, value_at, goal_at, entered)
        });
        Some(Rating {
            measure_id,
            result_id: shown.map(|r| r.id),
            published: published_at.is_some(),
            history_since: if sees_drafts { None } else { published_at },
            restated: shown.is_some_and(|r| r.restated),
            submission: shown.map(|r| Submission {
                version: r.version,
                at: r.submitted_at,
                quality: r.quality,
                as_at: r.as_at,
                by: visible::sees_submitter(self.viewer, m.scope).then(|| r.submitted_by.clone()),
            }),
            rated,
            forecast,
        })
    }
}
