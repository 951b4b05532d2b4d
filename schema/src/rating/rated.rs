//! One measure rated in one period, as a viewer may see it.

use chrono::{DateTime, NaiveDate, Utc};
use entity::DataQuality;
use entity::forecast::Forecast;
use entity::rating::Rated;

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
    /// The shown result's version and submission; `None` where none is shown.
    pub submission: Option<Submission>,
    /// The year-end forecast made at the reported period, from what the
    /// viewer may see; `None` for a measure with no forecast method.
    pub forecast: Option<Forecast>,
}

/// Which version a shown result is, and when and by whom it was submitted.
#[derive(Clone, Debug)]
pub struct Submission {
    pub version: i32,
    pub at: DateTime<Utc>,
    pub quality: DataQuality,
    pub as_at: Option<NaiveDate>,
    /// The subject who submitted it, for those who may know (see
    /// [`super::visible::sees_submitter`]).
    pub by: Option<String>,
}
