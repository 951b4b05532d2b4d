//! The import files' format: `authority.json` (structure, partners, plans
//! with their node trees and published periods, panels with remit and
//! meetings, action plans) and the rows of `measures.csv`, `targets.csv`,
//! `results.csv`; an export adds who wrote what when, the roles held at
//! the authority and how often each action was updated, and the optional
//! `commentary.csv`, `metric-values.csv` and `audit.csv`. What an export
//! writes is what an import reads, so the types serve both.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{
    Accumulation, ActionStatus, AuthorityKind, CommentaryKind, ComparisonGroupKind, DataQuality,
    DirectionMethod, ForecastMethod, Frequency, MeasureKind, Num, PanelKind, Period, PlanKind, Polarity,
    Profile, RagMethod, Role, Unit,
};
use serde::{Deserialize, Serialize};

/// Who wrote something and when, as an export records it: an import of
/// files without it writes as the importer, now.
pub type Stamp = (Option<String>, Option<DateTime<Utc>>);

/// One authority as an import file set describes it.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Bundle {
    pub slug: String,
    pub name: String,
    pub kind: AuthorityKind,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub ons_code: Option<String>,
    /// Provenance of the data, for people reading the files.
    #[serde(default)]
    pub note: Option<String>,
    #[serde(default)]
    pub partners: Vec<PartnerIn>,
    #[serde(default)]
    pub plans: Vec<PlanIn>,
    #[serde(default)]
    pub panels: Vec<PanelIn>,
    #[serde(default)]
    pub action_plans: Vec<ActionPlanIn>,
    /// When the authority was created (an export's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    /// The comparison groups it owns, as `groups.json` holds them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comparison_groups: Vec<GroupIn>,
    /// The roles held in the service at the authority, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<MemberIn>,
    #[serde(default, skip_serializing)]
    pub measures: Vec<MeasureRow>,
    #[serde(default, skip_serializing)]
    pub targets: Vec<TargetRow>,
    /// Every version of every result, oldest first.
    #[serde(default, skip_serializing)]
    pub results: Vec<ResultRow>,
    /// Every version of every commentary, oldest first.
    #[serde(default, skip_serializing)]
    pub commentary: Vec<CommentaryRow>,
    /// Its national reference values.
    #[serde(default, skip_serializing)]
    pub metric_values: Vec<MetricValueRow>,
    /// Its audit log: when present, the import puts it back in place of
    /// the records its own writes would make, and adds one of its own.
    #[serde(default, skip_serializing)]
    pub audit: Vec<AuditRow>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerIn {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PlanIn {
    /// How the other files refer to this plan.
    pub key: String,
    pub title: String,
    pub kind: PlanKind,
    pub rag_rule: RagRuleIn,
    #[serde(default)]
    pub direction_rule: Option<DirectionRuleIn>,
    #[serde(default)]
    pub from: Option<Period>,
    #[serde(default)]
    pub to: Option<Period>,
    #[serde(default)]
    pub published: Vec<PublishedIn>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub archived: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deadlines: Vec<DeadlineIn>,
    #[serde(default)]
    pub nodes: Vec<NodeIn>,
}

/// A published period: a period alone, or with who published it and when.
#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum PublishedIn {
    Period(Period),
    Stamped {
        period: Period,
        by: String,
        at: DateTime<Utc>,
    },
}

impl PublishedIn {
    pub fn period(&self) -> Period {
        match self {
            PublishedIn::Period(p) | PublishedIn::Stamped { period: p, .. } => *p,
        }
    }

    pub fn stamp(&self) -> Stamp {
        match self {
            PublishedIn::Period(_) => (None, None),
            PublishedIn::Stamped { by, at, .. } => (Some(by.clone()), Some(*at)),
        }
    }
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeadlineIn {
    pub period: Period,
    pub due_on: NaiveDate,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RagRuleIn {
    pub method: RagMethod,
    #[serde(default)]
    pub amber_tolerance_percent: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amber_tolerance_units: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_margin_percent: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_margin_units: Option<Num>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_provisional: Option<bool>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectionRuleIn {
    pub method: DirectionMethod,
    #[serde(default)]
    pub stable_band_percent: Option<Num>,
    #[serde(default)]
    pub trend_periods: Option<u32>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeIn {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub children: Vec<NodeIn>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PanelIn {
    pub name: String,
    pub kind: PanelKind,
    #[serde(default)]
    pub remit: RemitIn,
    #[serde(default)]
    pub meetings: Vec<MeetingIn>,
}

#[derive(Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RemitIn {
    #[serde(default)]
    pub nodes: Vec<NodeRef>,
    #[serde(default)]
    pub measures: Vec<String>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRef {
    pub plan: String,
    pub code: String,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingIn {
    pub date: NaiveDate,
    pub title: String,
    #[serde(default)]
    pub agenda: Vec<AgendaIn>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AgendaIn {
    pub title: String,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub period: Option<Period>,
    #[serde(default)]
    pub minutes: Option<String>,
    #[serde(default)]
    pub resolutions: Option<String>,
}

/// An action plan of a measure, named by its code.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActionPlanIn {
    pub measure: String,
    pub title: String,
    #[serde(default)]
    pub actions: Vec<ActionIn>,
    #[serde(default, rename = "createdBy", skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, rename = "createdAt", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionIn {
    pub description: String,
    pub owner: String,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Where the action stands now; a new action is NOT_STARTED.
    #[serde(default)]
    pub status: Option<ActionStatus>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When it last moved on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
    /// How many times it was written (1 when never updated): the import
    /// updates it until it answers this version. Without it, an action
    /// that moved on is updated once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// A role held at the authority, as `grantRole` gave it: to a person named
/// by issuer and subject, or by email.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MemberIn {
    pub role: Role,
    /// For PARTNER: the partner's slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_at: Option<DateTime<Utc>>,
}

/// A row of `measures.csv`.
#[derive(Debug, Deserialize, Serialize)]
pub struct MeasureRow {
    pub plan: String,
    pub node: String,
    pub code: String,
    pub title: String,
    pub unit: Unit,
    pub polarity: Polarity,
    pub kind: MeasureKind,
    pub frequency: Frequency,
    pub partner: Option<String>,
    pub rag_method: Option<RagMethod>,
    pub amber_tolerance_percent: Option<Num>,
    #[serde(default)]
    pub amber_tolerance_units: Option<Num>,
    #[serde(default)]
    pub blue_margin_percent: Option<Num>,
    #[serde(default)]
    pub blue_margin_units: Option<Num>,
    #[serde(default)]
    pub rate_provisional: Option<bool>,
    /// The code of the national metric the measure follows.
    #[serde(default)]
    pub metric: Option<String>,
    #[serde(default)]
    pub archived: Option<bool>,
    /// PERIOD when absent.
    #[serde(default)]
    pub accumulation: Option<Accumulation>,
    /// A cumulative measure's percents of its annual target, as "25;50;75;100".
    #[serde(default)]
    pub target_profile: Option<Profile>,
    /// Blank: no year-end forecast.
    #[serde(default)]
    pub forecast_method: Option<ForecastMethod>,
    /// Its definition changes, as JSON (see `Measure.definitions`).
    #[serde(default)]
    pub definitions: Option<entity::definitions::Definitions>,
}

/// A row of `targets.csv`.
#[derive(Debug, Deserialize, Serialize)]
pub struct TargetRow {
    pub measure: String,
    pub period: Period,
    pub target: Num,
    pub floor: Option<Num>,
    #[serde(default)]
    pub set_by: Option<String>,
    #[serde(default)]
    pub set_at: Option<DateTime<Utc>>,
}

/// A row of `results.csv`.
#[derive(Debug, Deserialize, Serialize)]
pub struct ResultRow {
    pub measure: String,
    pub period: Period,
    pub value: Num,
    pub note: Option<String>,
    #[serde(default)]
    pub submitted_by: Option<String>,
    #[serde(default)]
    pub submitted_at: Option<DateTime<Utc>>,
    /// Blank: FINAL.
    #[serde(default)]
    pub quality: Option<DataQuality>,
    #[serde(default)]
    pub as_at: Option<NaiveDate>,
    /// The officer's year-end forecast, entered with it.
    #[serde(default)]
    pub forecast: Option<Num>,
}

/// A row of `commentary.csv`: one version of one commentary, which `key`
/// names across its versions.
#[derive(Debug, Deserialize, Serialize)]
pub struct CommentaryRow {
    pub key: String,
    pub measure: String,
    pub period: Period,
    pub kind: CommentaryKind,
    pub body: String,
    pub author: String,
    /// When this version was written.
    pub at: DateTime<Utc>,
}

/// A row of `audit.csv`, as the audit log holds it: `before` and `after`
/// are the JSON of the row, with the ids of the database it came from.
#[derive(Debug, Deserialize, Serialize)]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub operation: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// National reference data: metrics, authorities that appear only in
/// comparisons, reference values (`metric-values.csv`: metric, authority,
/// period, value) and comparison groups. Any part may be empty.
#[derive(Debug, Default)]
pub struct Reference {
    pub metrics: Vec<MetricRow>,
    pub authorities: Vec<AuthorityRow>,
    pub values: Vec<MetricValueRow>,
    pub groups: Vec<GroupIn>,
}

/// A row of `metrics.csv`.
#[derive(Debug, Deserialize, Serialize)]
pub struct MetricRow {
    pub code: String,
    pub title: String,
    pub unit: Unit,
    pub polarity: Polarity,
    pub frequency: Frequency,
    pub source: Option<String>,
}

/// A row of `authorities.csv`.
#[derive(Debug, Deserialize, Serialize)]
pub struct AuthorityRow {
    pub slug: String,
    pub name: String,
    pub kind: AuthorityKind,
    pub region: Option<String>,
    pub ons_code: Option<String>,
}

/// A row of `metric-values.csv`.
#[derive(Debug, Deserialize, Serialize)]
pub struct MetricValueRow {
    pub metric: String,
    pub authority: String,
    pub period: Period,
    pub value: Num,
    #[serde(default)]
    pub set_by: Option<String>,
    #[serde(default)]
    pub set_at: Option<DateTime<Utc>>,
}

/// A comparison group of `groups.json`.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GroupIn {
    pub slug: String,
    pub name: String,
    pub kind: ComparisonGroupKind,
    #[serde(default)]
    pub owner: Option<String>,
    pub members: Vec<String>,
    #[serde(default, rename = "createdBy", skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    #[serde(default, rename = "createdAt", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
}

impl GroupIn {
    /// The group as `createComparisonGroup` takes it, whichever file named it.
    pub fn input(&self) -> crate::inputs::CreateComparisonGroupInput {
        crate::inputs::CreateComparisonGroupInput {
            slug: self.slug.clone(),
            name: self.name.clone(),
            kind: self.kind,
            owner: self.owner.clone(),
            members: self.members.clone(),
        }
    }
}
