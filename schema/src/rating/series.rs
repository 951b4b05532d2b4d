//! A measure's results over time, for a chart: one batch for every series
//! a request asks for.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use entity::Period;
use entity::rating;

use super::facts::Facts;
use super::rated::{MAX_PERIODS, Rating};
use crate::error::ApiError;
use crate::loaders::Shared;
use crate::policy::Viewer;
use crate::store::unique;
use crate::store::{self, Reader};

/// A measure's series between two periods (either open), one rating per
/// period of the measure's own frequency. Open ends stop at the first and
/// last result the viewer can see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SeriesKey {
    pub measure_id: i64,
    pub from: Option<Period>,
    pub to: Option<Period>,
}

pub struct Series {
    pub(super) db: Reader,
    pub(super) viewer: Arc<Viewer>,
}

impl Loader<SeriesKey> for Series {
    type Value = Vec<Rating>;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[SeriesKey]) -> Shared<HashMap<SeriesKey, Vec<Rating>>> {
        let ids = unique(keys.iter().map(|k| k.measure_id));
        let mut facts = Facts::load(&self.db, &self.viewer, &ids).await?;
        // One range covering every key, reaching back as far as direction
        // needs; an open end on any key leaves that end open.
        let earliest = keys
            .iter()
            .map(|k| {
                let from = k.from?;
                let rules = &facts.measures.get(&k.measure_id)?.rules;
                let first = rating::inputs(rules, &from).first().copied().unwrap_or(from);
                Some(first.start_date().min(from.start_date()))
            })
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().min());
        let latest = keys
            .iter()
            .map(|k| k.to.map(|t| t.end_date()))
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().max());
        let (results, targets) = tokio::try_join!(
            store::result_values_between(&self.db, &ids, earliest, latest),
            store::target_values_in(&self.db, &ids, None),
        )?;
        facts.add_results(results);
        facts.add_targets(targets);
        let mut out = HashMap::new();
        for k in keys {
            let Some(m) = facts.measures.get(&k.measure_id) else {
                continue;
            };
            let kind = m.rules.frequency.period_kind();
            let seen = || {
                facts
                    .values
                    .keys()
                    .filter(|(id, _)| *id == k.measure_id)
                    .map(|(_, p)| *p)
            };
            let first = k
                .from
                .map(|f| Period::containing(kind, f.start_date()))
                .or_else(|| seen().min());
            let last =
                k.to.map(|t| Period::containing(kind, t.end_date()))
                    .or_else(|| seen().max());
            let mut series = match (first, last) {
                (Some(a), Some(b)) => a.through(&b),
                _ => Vec::new(),
            };
            // An open or far-off end is clipped to the latest periods a chart can hold.
            let cap = MAX_PERIODS as usize;
            if series.len() > cap {
                series.drain(..series.len() - cap);
            }
            out.insert(
                *k,
                series
                    .iter()
                    .filter_map(|p| facts.rate(k.measure_id, p))
                    .collect(),
            );
        }
        Ok(out)
    }
}
