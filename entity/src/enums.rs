//! The closed vocabularies of the domain. Each is stored as its
//! SCREAMING_SNAKE_CASE name, read from import files by the same name, and
//! exposed to GraphQL under it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($($(#[$doc:meta])* $name:ident { $($variant:ident),+ $(,)? })+) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))", rename_all = "SCREAMING_SNAKE_CASE")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $($variant),+ }
    )+};
}

vocabulary! {
    /// Rating of one measure in one period.
    RagStatus { Green, Amber, Red, NoTarget, NoData }
    /// Direction of travel of one measure in one period.
    Direction { Improving, Stable, Declining, NotComparable }
    Polarity { HigherIsBetter, LowerIsBetter, None }
    MeasureKind { Council, Partnership, Tracking }
    RagMethod { Tolerance, Floor }
    DirectionMethod { PreviousPeriod, SamePeriodLastYear, Trend }
    Frequency { Monthly, Quarterly, Annual }
    Unit { Percent, Count, Rate, Days, Seconds, Currency, Score, Other }
    AuthorityKind { County, District, LondonBorough, MetropolitanBorough, Unitary, Other }
    PlanKind { BusinessPlan, CouncilPlan, CorporatePlan, PerformanceReport, Other }
    CommentaryKind { Service, Scrutiny, Partner }
    ActionStatus { NotStarted, InProgress, Done, Dropped }
    PanelKind { Cabinet, ScrutinyCommittee, Panel, Board }
    Role { PlatformAdmin, Admin, Officer, Member, Viewer, Partner }
    /// Where a role a signed-in person holds comes from: the platform's own
    /// token's `grants` claim, a role held in the service, or a claim of the
    /// token its provider maps to a role.
    RoleSource { TokenGrants, Service, ClaimMapping }
    /// Why a measure is in Croydon's escalation report.
    EscalationCriterion { RedConsecutive, Worsening, NoEffectiveActionPlan }
    /// What decides a comparison group's members.
    ComparisonGroupKind { All, AuthorityKind, Region, NearestNeighbours, Custom }
    /// Where a benchmark value comes from: the authority's own published
    /// result, or a national reference value.
    BenchmarkSource { Reported, Reference }
}

impl Frequency {
    /// The kind of period a measure of this frequency reports in.
    pub fn period_kind(self) -> crate::period::PeriodKind {
        use crate::period::PeriodKind;
        match self {
            Frequency::Monthly => PeriodKind::Month,
            Frequency::Quarterly => PeriodKind::Quarter,
            Frequency::Annual => PeriodKind::Year,
        }
    }
}
