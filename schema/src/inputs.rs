//! The inputs of the use cases: what a mutation receives, and what an
//! import builds from its files.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entity::{
    Accumulation, ActionStatus, AuthorityKind, CommentaryKind, ComparisonGroupKind, DataQuality,
    DirectionMethod, ForecastMethod, Frequency, MeasureKind, PanelKind, Period, PlanKind, Polarity,
    RagMethod, Unit,
};

use crate::scalars::Date;

/// A new authority (PLATFORM_ADMIN only).
#[derive(InputObject)]
pub struct CreateAuthorityInput {
    /// Lower-case letters, digits and hyphens: `kent`, `windsor-maidenhead`.
    pub slug: String,
    /// Its name, as "Kent County Council".
    pub name: String,
    /// What type of authority it is.
    pub kind: AuthorityKind,
    /// Its region, as "South East": the authorities of one region form the
    /// built-in group `region-south-east`.
    pub region: Option<String>,
    /// The ONS (GSS) code: a letter and eight digits, as E10000016.
    pub ons_code: Option<String>,
}

/// Absent fields are left as they are; an empty region or ONS code clears it.
#[derive(InputObject)]
pub struct UpdateAuthorityInput {
    /// The authority's global id.
    pub id: ID,
    /// Its new name.
    pub name: Option<String>,
    /// Its new type.
    pub kind: Option<AuthorityKind>,
    /// Its new region; empty clears it.
    pub region: Option<String>,
    /// Its new ONS (GSS) code; empty clears it.
    pub ons_code: Option<String>,
}

/// A partner body of an authority, such as the police or the NHS, which may lead partnership measures.
#[derive(InputObject)]
pub struct CreatePartnerInput {
    /// The authority's global id.
    pub authority_id: ID,
    /// Lower-case letters, digits and hyphens, unique within the authority: `metropolitan-police`.
    pub slug: String,
    /// Its name.
    pub name: String,
}

/// How short of its target a result is amber rather than red.
#[derive(InputObject)]
pub struct RagRuleInput {
    /// Tolerance band, floor standard, or improvement-based amber.
    pub method: RagMethod,
    /// The band below target, as a percentage of it: amber under
    /// TOLERANCE, green under IMPROVEMENT. Default 10.
    pub amber_tolerance_percent: Option<f64>,
    /// The band as a number of the measure's units (percentage points for
    /// a percentage) instead; under FLOOR, the floor of a target that sets
    /// none. Not with `amberTolerancePercent`.
    pub amber_tolerance_units: Option<f64>,
    /// Rate BLUE a result beyond its target by at least this percentage of
    /// it (more than 0). Not with `blueMarginUnits`; neither: never BLUE.
    pub blue_margin_percent: Option<f64>,
    /// Rate BLUE a result beyond its target by at least this many of the
    /// measure's units (more than 0).
    pub blue_margin_units: Option<f64>,
    /// Whether PROVISIONAL results are rated; when not, they are NO_DATA
    /// until confirmed. Default true.
    pub rate_provisional: Option<bool>,
}

/// What a result is compared with for its direction of travel, and how big a change counts.
#[derive(InputObject)]
pub struct DirectionRuleInput {
    /// Previous period, same period last year, or trend.
    pub method: DirectionMethod,
    /// Default 0.
    pub stable_band_percent: Option<f64>,
    /// Default 4.
    pub trend_periods: Option<i32>,
}

/// A new plan of an authority (ADMIN).
#[derive(InputObject)]
pub struct CreatePlanInput {
    /// The authority's global id.
    pub authority_id: ID,
    /// Its title.
    pub title: String,
    /// What sort of plan it is.
    pub kind: PlanKind,
    /// How its measures are rated, unless a measure has its own rule.
    pub rag_rule: RagRuleInput,
    /// Default: PREVIOUS_PERIOD.
    pub direction_rule: Option<DirectionRuleInput>,
    /// First financial year the plan covers.
    pub from: Option<Period>,
    /// Last financial year the plan covers.
    pub to: Option<Period>,
}

/// A new theme, priority or outcome in a plan's tree (ADMIN).
#[derive(InputObject)]
pub struct CreatePlanNodeInput {
    /// The plan's global id.
    pub plan_id: ID,
    /// The node it sits under; absent: at the top of the plan.
    pub parent_id: Option<ID>,
    /// Its code, as the plan numbers it: `1.2`.
    pub code: String,
    /// Its title.
    pub title: String,
}

/// A new measure under a plan node (ADMIN).
#[derive(InputObject)]
pub struct CreateMeasureInput {
    /// The plan node's global id.
    pub node_id: ID,
    /// Its code, unique within the plan: `KPI-01`.
    pub code: String,
    /// Its title.
    pub title: String,
    /// What its value counts.
    pub unit: Unit,
    /// Which way is better.
    pub polarity: Polarity,
    /// Council, partnership or tracking.
    pub kind: MeasureKind,
    #[graphql(default_with = "Frequency::Quarterly")]
    /// How often it reports; default QUARTERLY.
    pub frequency: Frequency,
    /// The partner that leads a PARTNERSHIP measure.
    pub partner_id: Option<ID>,
    /// Overrides the plan's rule.
    pub rag_rule: Option<RagRuleInput>,
    /// The national metric whose definition the measure follows: its
    /// published results become the authority's values of the metric.
    pub metric_code: Option<String>,
    #[graphql(default_with = "Accumulation::Period")]
    /// Whether its values stand alone, run year to date or roll; default PERIOD.
    pub accumulation: Accumulation,
    /// A CUMULATIVE measure's percents of its annual target due by the end
    /// of each period of the year, in order (one a quarter, or one a month):
    /// each above 0, never falling, the last 100. Absent: even steps.
    pub target_profile: Option<Vec<f64>>,
    /// How its year-end forecast is made; absent: no forecast.
    pub forecast_method: Option<ForecastMethod>,
}

/// A change of a measure's definition (ADMIN of its authority): a new
/// method or data source, from a period on. Its series starts again there.
#[derive(InputObject)]
pub struct ChangeMeasureDefinitionInput {
    /// The measure's global id.
    pub measure_id: ID,
    /// The first period of the measure's frequency the new definition
    /// applies to: after the last change, if any.
    pub effective_from: Period,
    /// What changed and why, as a report would say it.
    pub description: String,
}

/// A target, and optionally a floor, for a measure in a period (OFFICER or ADMIN); replaces any set before.
#[derive(InputObject)]
pub struct SetTargetInput {
    /// The measure's global id.
    pub measure_id: ID,
    /// The measure's own period, or a coarser one (a year's target applies
    /// to its quarters and months unless they have their own).
    pub period: Period,
    /// The value aimed at, in the measure's unit.
    pub target: f64,
    /// The floor standard (RAG method FLOOR): at or below the target when
    /// higher is better, at or above it when lower is better.
    pub floor: Option<f64>,
}

/// A measure's value for a period (OFFICER or ADMIN; PARTNER for the partnership measures its partner leads).
#[derive(InputObject)]
pub struct SubmitResultInput {
    /// The measure's global id.
    pub measure_id: ID,
    /// A period of the measure's frequency.
    pub period: Period,
    /// The value, in the measure's unit.
    pub value: f64,
    /// What the submitter wants readers of the history to know.
    pub note: Option<String>,
    /// The version this submission replaces (0: none yet). Without it the
    /// last writer wins and every replaced value is kept in the history.
    pub expected_version: Option<i32>,
    /// How sure the source is of the value. Default FINAL; REVISED only
    /// replaces a value already submitted.
    pub quality: Option<DataQuality>,
    /// The date the figure was true at, as its source states it: not after today.
    pub as_at: Option<Date>,
    /// The officer's year-end forecast, for a measure whose forecastMethod
    /// is ENTERED.
    pub forecast: Option<f64>,
}

/// Commentary on a measure in a period. OFFICER and ADMIN may add any
/// kind; a MEMBER, SCRUTINY; the leading partner's PARTNER, PARTNER.
#[derive(InputObject)]
pub struct AddCommentaryInput {
    /// The measure's global id.
    pub measure_id: ID,
    /// The period it comments on.
    pub period: Period,
    /// The text.
    pub body: String,
    /// Who it speaks for.
    pub kind: CommentaryKind,
}

/// New text for a piece of commentary: OFFICER or ADMIN, or its author for scrutiny and partner commentary.
#[derive(InputObject)]
pub struct EditCommentaryInput {
    /// The commentary's global id.
    pub id: ID,
    /// The new text.
    pub body: String,
    /// The version being replaced; a stale one fails with CONFLICT.
    pub expected_version: i32,
}

/// One action of a new action plan.
#[derive(InputObject)]
pub struct NewActionInput {
    /// What will be done.
    pub description: String,
    /// Who is responsible, as a name or post.
    pub owner: String,
    /// When it is due; absent: no date.
    pub due_on: Option<Date>,
}

/// An action plan for a measure (OFFICER or ADMIN).
#[derive(InputObject)]
pub struct CreateActionPlanInput {
    /// The measure's global id.
    pub measure_id: ID,
    /// Its title.
    pub title: String,
    #[graphql(default)]
    /// Its actions; default none.
    pub actions: Vec<NewActionInput>,
}

/// A change to one action (OFFICER or ADMIN).
#[derive(InputObject)]
pub struct UpdateActionInput {
    /// The action's global id.
    pub id: ID,
    /// Its new status; absent: unchanged.
    pub status: Option<ActionStatus>,
    /// A note on the change; absent: unchanged.
    pub note: Option<String>,
    /// The version being replaced; a stale one fails with CONFLICT.
    pub expected_version: i32,
}

/// A panel, cabinet, committee or board of an authority (ADMIN).
#[derive(InputObject)]
pub struct CreatePanelInput {
    /// The authority's global id.
    pub authority_id: ID,
    /// Its name.
    pub name: String,
    /// What sort of body it is.
    pub kind: PanelKind,
    /// Plan nodes whose measures (at any depth) the panel scrutinises.
    #[graphql(default)]
    pub remit_node_ids: Vec<ID>,
    /// Single measures in the remit.
    #[graphql(default)]
    pub remit_measure_ids: Vec<ID>,
}

/// One item of a meeting's agenda.
#[derive(InputObject)]
pub struct AgendaItemInput {
    /// Its title.
    pub title: String,
    /// The plan whose report the item considers.
    pub plan_id: Option<ID>,
    /// The period of the report it considers.
    pub period: Option<Period>,
    /// The minutes of the item.
    pub minutes: Option<String>,
    /// What was resolved.
    pub resolutions: Option<String>,
}

/// A meeting of a panel (ADMIN).
#[derive(InputObject)]
pub struct CreateMeetingInput {
    /// The panel's global id.
    pub panel_id: ID,
    /// The day it was held.
    pub held_on: Date,
    /// Its title.
    pub title: String,
    #[graphql(default)]
    /// Its agenda, in order; default none.
    pub agenda: Vec<AgendaItemInput>,
}

/// Which page of the audit log to read.
pub struct AuditPage {
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub first: Option<i32>,
    pub after: Option<String>,
    /// Taken over `first`: the page ends before `before`.
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Absent fields are left as they are.
#[derive(InputObject)]
pub struct UpdatePartnerInput {
    /// The partner's global id.
    pub id: ID,
    /// Its new slug.
    pub slug: Option<String>,
    /// Its new name.
    pub name: Option<String>,
}

/// Absent fields are left as they are.
#[derive(InputObject)]
pub struct UpdatePlanInput {
    /// The plan's global id.
    pub id: ID,
    /// Its new title.
    pub title: Option<String>,
    /// Its new kind.
    pub kind: Option<PlanKind>,
    /// Its new RAG rule.
    pub rag_rule: Option<RagRuleInput>,
    /// Its new direction rule.
    pub direction_rule: Option<DirectionRuleInput>,
    /// The first financial year it covers.
    pub from: Option<Period>,
    /// The last financial year it covers.
    pub to: Option<Period>,
}

/// Absent fields are left as they are.
#[derive(InputObject)]
pub struct UpdatePlanNodeInput {
    /// The plan node's global id.
    pub id: ID,
    /// Its new code.
    pub code: Option<String>,
    /// Its new title.
    pub title: Option<String>,
}

/// Absent fields are left as they are. A measure's kind and frequency are
/// fixed once created, as its results depend on them.
#[derive(InputObject)]
pub struct UpdateMeasureInput {
    /// The measure's global id.
    pub id: ID,
    /// Its new code.
    pub code: Option<String>,
    /// Its new title.
    pub title: Option<String>,
    /// Its new unit.
    pub unit: Option<Unit>,
    /// Its new polarity.
    pub polarity: Option<Polarity>,
    /// Another node of the same plan.
    pub node_id: Option<ID>,
    /// Overrides the plan's rule; see `clearRagRule`.
    pub rag_rule: Option<RagRuleInput>,
    /// Go back to the plan's rule.
    #[graphql(default)]
    pub clear_rag_rule: bool,
    /// Link the measure to this national metric; see `clearMetric`.
    pub metric_code: Option<String>,
    /// Unlink the measure from its metric.
    #[graphql(default)]
    pub clear_metric: bool,
    /// Whether its values stand alone, run year to date or roll.
    pub accumulation: Option<Accumulation>,
    /// A new target profile (see `CreateMeasureInput.targetProfile`); see
    /// `clearTargetProfile`.
    pub target_profile: Option<Vec<f64>>,
    /// Go back to even steps.
    #[graphql(default)]
    pub clear_target_profile: bool,
    /// How its year-end forecast is made; see `clearForecastMethod`.
    pub forecast_method: Option<ForecastMethod>,
    /// No year-end forecast any more.
    #[graphql(default)]
    pub clear_forecast_method: bool,
}

/// Absent fields are left as they are; a remit list given replaces the old one.
#[derive(InputObject)]
pub struct UpdatePanelInput {
    /// The panel's global id.
    pub id: ID,
    /// Its new name.
    pub name: Option<String>,
    /// Its new kind.
    pub kind: Option<PanelKind>,
    /// Plan nodes whose measures (at any depth) the panel scrutinises.
    pub remit_node_ids: Option<Vec<ID>>,
    /// Single measures in the remit.
    pub remit_measure_ids: Option<Vec<ID>>,
}

/// A measure defined the same way nationally.
#[derive(InputObject)]
pub struct CreateMetricInput {
    /// As the publisher names it: `NI192`, `ASCOF-1A`.
    pub code: String,
    /// Its title.
    pub title: String,
    /// What its value counts.
    pub unit: Unit,
    /// Which way is better.
    pub polarity: Polarity,
    #[graphql(default_with = "Frequency::Annual")]
    /// How often it is published; default ANNUAL.
    pub frequency: Frequency,
    /// Who publishes it, and where.
    pub source: Option<String>,
}

/// One reference value: a metric's value for an authority in a period,
/// replacing any loaded before.
#[derive(InputObject)]
pub struct MetricValueInput {
    /// The metric's code.
    pub metric_code: String,
    /// The authority's slug.
    pub authority: String,
    /// A period of the metric's frequency.
    pub period: Period,
    /// The value, in the metric's unit.
    pub value: f64,
}

/// A comparison group: an authority's nearest neighbours, or a list chosen by hand.
#[derive(InputObject)]
pub struct CreateComparisonGroupInput {
    /// Lower-case letters, digits and hyphens: `kent-neighbours`.
    pub slug: String,
    /// Its name.
    pub name: String,
    /// NEAREST_NEIGHBOURS or CUSTOM: the others are built in.
    pub kind: ComparisonGroupKind,
    /// The authority the group belongs to (its slug): required for
    /// NEAREST_NEIGHBOURS, whose benchmark covers the owner and its members.
    pub owner: Option<String>,
    /// The members' slugs.
    pub members: Vec<String>,
}

/// An identity provider (issue 23); registering an issuer again replaces
/// what was registered for it.
#[derive(InputObject)]
pub struct RegisterIdentityProviderInput {
    /// Its `iss`, exactly as its tokens carry it: https (plain http only on
    /// a loopback address).
    pub issuer: String,
    /// The `aud` its tokens for this service carry.
    pub audience: String,
    /// Where its signing keys are; absent: the `jwks_uri` of its discovery
    /// document (`ISSUER/.well-known/openid-configuration`).
    pub jwks_url: Option<String>,
    /// The client id a browser signs in with (public, no secret).
    pub client_id: Option<String>,
    /// The scopes a browser asks for; `openid` is always asked.
    #[graphql(default)]
    pub scopes: Vec<String>,
    /// Slugs of the authorities it may vouch for: a council's tenant, that
    /// council; a partner body's tenant, the councils that accept it.
    pub authorities: Vec<String>,
    /// A partner body's tenant: the partner's slug (at every authority
    /// listed). It then vouches only for that partner's PARTNER role.
    pub partner: Option<String>,
    /// The claim whose values `roleMap` maps (Entra ID's app `roles`, or
    /// `groups`); `roles` when a map is given without it.
    pub role_claim: Option<String>,
    #[graphql(default)]
    /// Which claim values give which roles; default none.
    pub role_map: Vec<RoleMappingInput>,
}

/// One value of a provider's role claim and the role it gives.
#[derive(InputObject)]
pub struct RoleMappingInput {
    /// The claim's value, as `Kent.Officer`.
    pub claim_value: String,
    /// The role it gives.
    pub role: entity::Role,
    /// A slug among the provider's authorities; may be left out when it
    /// has one.
    pub authority: Option<String>,
    /// For PARTNER: the partner's slug at that authority.
    pub partner: Option<String>,
}

/// A role at an authority (absent only for PLATFORM_ADMIN), held by a
/// person named by `issuer` and `subject`, or by `email` as their provider
/// asserts it, so a role can be granted before their first sign-in.
#[derive(InputObject)]
pub struct GrantRoleInput {
    /// The authority's slug; absent only for PLATFORM_ADMIN.
    pub authority: Option<String>,
    /// The role granted.
    pub role: entity::Role,
    /// For PARTNER: the partner's slug at the authority.
    pub partner: Option<String>,
    /// The issuer of the person's tokens, with `subject`.
    pub issuer: Option<String>,
    /// The person's `sub` at that issuer.
    pub subject: Option<String>,
    /// The person's email, as their provider asserts it, instead of `issuer` and `subject`.
    pub email: Option<String>,
}
