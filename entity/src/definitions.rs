//! A measure's definition changes (a new method, a new data source): each
//! starts its series again, so direction, trend, comparison, escalation and
//! forecasts never compare a value with one from before the change, and a
//! report says "definition changed" where the earlier value would stand.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::period::Period;

/// Most definition changes one measure keeps: its row holds them all.
pub const MAX_DEFINITIONS: usize = 50;

/// One change of a measure's definition, in force from `effective_from`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    pub effective_from: Period,
    pub description: String,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

/// A measure's definition changes, oldest first (the definition it was
/// created with has no entry: it needs no break).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Definitions(pub Vec<Definition>);

impl Definitions {
    /// The periods each series starts at, oldest first.
    pub fn breaks(&self) -> Vec<Period> {
        self.0.iter().map(|d| d.effective_from).collect()
    }
}

impl fmt::Display for Definitions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = serde_json::to_string(&self.0).map_err(|_| fmt::Error)?;
        f.write_str(&text)
    }
}

impl FromStr for Definitions {
    type Err = serde_json::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_str(s).map(Definitions)
    }
}

impl Serialize for Definitions {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Definitions {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Where the series `period` belongs to starts: the latest break at or
/// before it (by start date, so a year and its quarters agree); `None`
/// where no change has come into force yet.
pub fn series_start(breaks: &[Period], period: &Period) -> Option<Period> {
    breaks
        .iter()
        .filter(|b| b.start_date() <= period.start_date())
        .max_by_key(|b| b.start_date())
        .copied()
}

/// `value_at` seen from a series starting at `since`: nothing from before
/// it, so no comparison reads across a definition change.
pub fn within(
    since: Option<Period>,
    value_at: impl Fn(&Period) -> Option<Decimal>,
) -> impl Fn(&Period) -> Option<Decimal> {
    move |p| if before(since, p) { None } else { value_at(p) }
}

/// Whether `earlier` lies before the start of a series: comparing it with
/// a period of that series crosses a definition change.
pub fn before(since: Option<Period>, earlier: &Period) -> bool {
    since.is_some_and(|s| earlier.start_date() < s.start_date())
}
