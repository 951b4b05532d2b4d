//! The import files' format: `authority.json` (structure, partners, plans
//! with their node trees and published periods, panels with remit and
//! meetings, action plans) and the rows of `measures.csv`, `targets.csv`,
//! `results.csv`.

use chrono::NaiveDate;
use entity::{
    ActionStatus, AuthorityKind, ComparisonGroupKind, DirectionMethod, Frequency, MeasureKind, Num,
    PanelKind, Period, PlanKind, Polarity, RagMethod, Unit,
};
use serde::Deserialize;

/// One authority as an import file set describes it.
#[derive(Debug, Deserialize)]
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
    #[serde(default)]
    pub measures: Vec<MeasureRow>,
    #[serde(default)]
    pub targets: Vec<TargetRow>,
    #[serde(default)]
    pub results: Vec<ResultRow>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartnerIn {
    pub slug: String,
    pub name: String,
}

#[derive(Debug, Deserialize)]
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
    pub published: Vec<Period>,
    #[serde(default)]
    pub nodes: Vec<NodeIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RagRuleIn {
    pub method: RagMethod,
    #[serde(default)]
    pub amber_tolerance_percent: Option<Num>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DirectionRuleIn {
    pub method: DirectionMethod,
    #[serde(default)]
    pub stable_band_percent: Option<Num>,
    #[serde(default)]
    pub trend_periods: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeIn {
    pub code: String,
    pub title: String,
    #[serde(default)]
    pub children: Vec<NodeIn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PanelIn {
    pub name: String,
    pub kind: PanelKind,
    #[serde(default)]
    pub remit: RemitIn,
    #[serde(default)]
    pub meetings: Vec<MeetingIn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemitIn {
    #[serde(default)]
    pub nodes: Vec<NodeRef>,
    #[serde(default)]
    pub measures: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeRef {
    pub plan: String,
    pub code: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MeetingIn {
    pub date: NaiveDate,
    pub title: String,
    #[serde(default)]
    pub agenda: Vec<AgendaIn>,
}

#[derive(Debug, Deserialize)]
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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionPlanIn {
    pub measure: String,
    pub title: String,
    #[serde(default)]
    pub actions: Vec<ActionIn>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActionIn {
    pub description: String,
    pub owner: String,
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    /// Where the action stands now; a new action is NOT_STARTED.
    #[serde(default)]
    pub status: Option<ActionStatus>,
}

/// A row of `measures.csv`.
#[derive(Debug, Deserialize)]
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
    /// The code of the national metric the measure follows.
    #[serde(default)]
    pub metric: Option<String>,
}

/// A row of `targets.csv`.
#[derive(Debug, Deserialize)]
pub struct TargetRow {
    pub measure: String,
    pub period: Period,
    pub target: Num,
    pub floor: Option<Num>,
}

/// A row of `results.csv`.
#[derive(Debug, Deserialize)]
pub struct ResultRow {
    pub measure: String,
    pub period: Period,
    pub value: Num,
    pub note: Option<String>,
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
#[derive(Debug, Deserialize)]
pub struct MetricRow {
    pub code: String,
    pub title: String,
    pub unit: Unit,
    pub polarity: Polarity,
    pub frequency: Frequency,
    pub source: Option<String>,
}

/// A row of `authorities.csv`.
#[derive(Debug, Deserialize)]
pub struct AuthorityRow {
    pub slug: String,
    pub name: String,
    pub kind: AuthorityKind,
    pub region: Option<String>,
    pub ons_code: Option<String>,
}

/// A row of `metric-values.csv`.
#[derive(Debug, Deserialize)]
pub struct MetricValueRow {
    pub metric: String,
    pub authority: String,
    pub period: Period,
    pub value: Num,
}

/// A comparison group of `groups.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupIn {
    pub slug: String,
    pub name: String,
    pub kind: ComparisonGroupKind,
    #[serde(default)]
    pub owner: Option<String>,
    pub members: Vec<String>,
}
