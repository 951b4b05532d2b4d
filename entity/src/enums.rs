//! The closed vocabularies of the domain. Each is stored as its
//! SCREAMING_SNAKE_CASE name, read from import files by the same name, and
//! exposed to GraphQL under it.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

macro_rules! vocabulary {
    ($($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident),+ $(,)? })+) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[cfg_attr(feature = "graphql", derive(async_graphql::Enum))]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))", rename_all = "SCREAMING_SNAKE_CASE")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }
    )+};
}

vocabulary! {
    /// Rating of one measure in one period.
    RagStatus {
        /// Beyond its target by at least the rule's blue margin (BRAG's
        /// "exceeded"): met, counted apart from GREEN. Only a rule with a
        /// blue margin rates it.
        Blue,
        /// At or better than its target.
        Green,
        /// Short of its target, but within the amber band (tolerance or floor).
        Amber,
        /// Short of its target and outside the amber band.
        Red,
        /// A value but nothing to rate it against: no target, a tracking
        /// measure, or a measure with no polarity (Croydon's grey).
        NoTarget,
        /// No value for the period, or one this viewer may not see yet
        /// (Croydon's black), or a PROVISIONAL value under a rule that does
        /// not rate them.
        NoData,
    }
    /// Direction of travel of one measure in one period.
    Direction {
        /// Better than the value compared with, beyond the stable band.
        Improving,
        /// Within the stable band of the value compared with.
        Stable,
        /// Worse than the value compared with, beyond the stable band.
        Declining,
        /// Nothing to compare: no value now or then, too few points for a
        /// trend, or a measure with no polarity.
        NotComparable,
    }
    /// Which way is better for a measure's value.
    Polarity {
        /// A higher value is better.
        HigherIsBetter,
        /// A lower value is better.
        LowerIsBetter,
        /// Neither: its results are NO_TARGET and NOT_COMPARABLE, never rated.
        None,
    }
    /// Whose measure it is, which decides who may submit it and how it is rated.
    MeasureKind {
        /// The council's own measure.
        Council,
        /// A measure a partner body leads: its PARTNER may submit it.
        Partnership,
        /// Tracked for context only: never rated against a target.
        Tracking,
    }
    /// How a result short of its target is told amber from red.
    RagMethod {
        /// Amber within the tolerance of the target: a percentage of it
        /// (`amberTolerancePercent`), or a number of the measure's units
        /// (`amberToleranceUnits`).
        Tolerance,
        /// Amber at or above the floor set beside the target; without one,
        /// at or above the target less `amberToleranceUnits` when the rule
        /// sets it; red otherwise.
        Floor,
        /// Havering's: green on or within the tolerance of the target;
        /// amber further off but improved or maintained against the same
        /// period last year; red further off and not improved, or with
        /// no value last year to compare with.
        Improvement,
    }
    /// What a result is compared with for its direction of travel.
    DirectionMethod {
        /// The period before.
        PreviousPeriod,
        /// The same period a year earlier.
        SamePeriodLastYear,
        /// A least-squares line through the last `trendPeriods` periods.
        Trend,
    }
    /// How sure a result's source is of it (LG Inform's benchmarking club
    /// never publishes provisional data).
    DataQuality {
        /// Not yet confirmed by its source: a plan's rule may leave it
        /// unrated, and it never counts in a benchmark.
        Provisional,
        /// Confirmed: every result submitted without a quality.
        Final,
        /// A figure its source has since revised, replacing an earlier one
        /// (a restatement is any change after publication, whatever its cause).
        Revised,
        /// An estimate where the source has no figure.
        Estimated,
    }
    /// How often a measure reports.
    Frequency {
        /// Every calendar month.
        Monthly,
        /// Every quarter of the financial year.
        Quarterly,
        /// Once a financial year.
        Annual,
    }
    /// What a measure's value counts.
    Unit {
        /// A percentage, 0 to 100.
        Percent,
        /// A number of things or people.
        Count,
        /// A rate.
        Rate,
        /// A number of days.
        Days,
        /// A number of seconds.
        Seconds,
        /// An amount of money.
        Currency,
        /// A score on the measure's own scale.
        Score,
        /// Anything else.
        Other,
    }
    /// The type of local authority.
    AuthorityKind {
        /// A county council.
        County,
        /// A district council.
        District,
        /// A London borough.
        LondonBorough,
        /// A metropolitan borough.
        MetropolitanBorough,
        /// A unitary authority.
        Unitary,
        /// Any other body.
        Other,
    }
    /// What sort of plan a council reports against.
    PlanKind {
        /// A service or directorate business plan.
        BusinessPlan,
        /// The council plan.
        CouncilPlan,
        /// The corporate plan.
        CorporatePlan,
        /// A performance report.
        PerformanceReport,
        /// Any other plan.
        Other,
    }
    /// Who a piece of commentary speaks for.
    CommentaryKind {
        /// The service's own account, written by officers.
        Service,
        /// Councillors' scrutiny, written by members.
        Scrutiny,
        /// The leading partner body's account of a partnership measure.
        Partner,
    }
    /// Where an action of an action plan stands.
    ActionStatus {
        /// Not begun.
        NotStarted,
        /// Under way.
        InProgress,
        /// Completed.
        Done,
        /// Abandoned.
        Dropped,
    }
    /// What sort of body a panel is.
    PanelKind {
        /// The cabinet.
        Cabinet,
        /// A scrutiny committee.
        ScrutinyCommittee,
        /// A panel.
        Panel,
        /// A board.
        Board,
    }
    /// What a person may do at an authority (README, "Roles").
    Role {
        /// Everything, in every authority, and create authorities; held at no authority.
        PlatformAdmin,
        /// As an officer, and also publish periods, edit plans, measures,
        /// partners and panels, manage roles and read the audit log.
        Admin,
        /// Submit results, set targets, write action plans, add and edit commentary.
        Officer,
        /// A councillor: read unpublished results, add scrutiny commentary and edit their own.
        Member,
        /// Read the authority's unpublished results.
        Viewer,
        /// Speak for one partner body: read and submit the partnership
        /// measures it leads and add partner commentary on them.
        Partner,
    }
    /// Where a role a signed-in person holds comes from: the platform's own
    /// token's `grants` claim, a role held in the service, or a claim of the
    /// token its provider maps to a role.
    RoleSource {
        /// The `grants` claim of a token the platform signed.
        TokenGrants,
        /// A role granted in the service (`grantRole`).
        Service,
        /// A claim of the provider's token, mapped by its `roleMap`.
        ClaimMapping,
    }
    /// Why a measure is in Croydon's escalation report.
    EscalationCriterion {
        /// Red in each of the last `consecutive` periods.
        RedConsecutive,
        /// Worse now than at the start of the window, by its polarity.
        Worsening,
        /// No action plan with an open action, or every such plan has an
        /// overdue action.
        NoEffectiveActionPlan,
    }
    /// What decides a comparison group's members.
    ComparisonGroupKind {
        /// Every authority.
        All,
        /// Authorities of one kind.
        AuthorityKind,
        /// Authorities of one region.
        Region,
        /// An authority's nearest neighbours, listed for it.
        NearestNeighbours,
        /// A list chosen by hand.
        Custom,
    }
    /// Where a benchmark value comes from: the authority's own published
    /// result, or a national reference value.
    BenchmarkSource {
        /// The authority's own published result.
        Reported,
        /// A national reference value loaded by a platform administrator.
        Reference,
    }
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
