//! The inputs of the use cases: what a mutation receives, and what an
//! import builds from its files.

use async_graphql::{ID, InputObject};
use chrono::{DateTime, Utc};
use entity::{
    ActionStatus, AuthorityKind, CommentaryKind, ComparisonGroupKind, DirectionMethod, Frequency,
    MeasureKind, PanelKind, Period, PlanKind, Polarity, RagMethod, Unit,
};

use crate::scalars::Date;

#[derive(InputObject)]
pub struct CreateAuthorityInput {
    /// Lower-case letters, digits and hyphens: `kent`, `windsor-maidenhead`.
    pub slug: String,
    pub name: String,
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
    pub id: ID,
    pub name: Option<String>,
    pub kind: Option<AuthorityKind>,
    pub region: Option<String>,
    pub ons_code: Option<String>,
}

#[derive(InputObject)]
pub struct CreatePartnerInput {
    pub authority_id: ID,
    pub slug: String,
    pub name: String,
}

#[derive(InputObject)]
pub struct RagRuleInput {
    pub method: RagMethod,
    /// Default 10.
    pub amber_tolerance_percent: Option<f64>,
}

#[derive(InputObject)]
pub struct DirectionRuleInput {
    pub method: DirectionMethod,
    /// Default 0.
    pub stable_band_percent: Option<f64>,
    /// Default 4.
    pub trend_periods: Option<i32>,
}

#[derive(InputObject)]
pub struct CreatePlanInput {
    pub authority_id: ID,
    pub title: String,
    pub kind: PlanKind,
    pub rag_rule: RagRuleInput,
    /// Default: PREVIOUS_PERIOD.
    pub direction_rule: Option<DirectionRuleInput>,
    /// First financial year the plan covers.
    pub from: Option<Period>,
    /// Last financial year the plan covers.
    pub to: Option<Period>,
}

#[derive(InputObject)]
pub struct CreatePlanNodeInput {
    pub plan_id: ID,
    pub parent_id: Option<ID>,
    pub code: String,
    pub title: String,
}

#[derive(InputObject)]
pub struct CreateMeasureInput {
    pub node_id: ID,
    pub code: String,
    pub title: String,
    pub unit: Unit,
    pub polarity: Polarity,
    pub kind: MeasureKind,
    #[graphql(default_with = "Frequency::Quarterly")]
    pub frequency: Frequency,
    /// The partner that leads a PARTNERSHIP measure.
    pub partner_id: Option<ID>,
    /// Overrides the plan's rule.
    pub rag_rule: Option<RagRuleInput>,
    /// The national metric whose definition the measure follows: its
    /// published results become the authority's values of the metric.
    pub metric_code: Option<String>,
}

#[derive(InputObject)]
pub struct SetTargetInput {
    pub measure_id: ID,
    /// The measure's own period, or a coarser one (a year's target applies
    /// to its quarters and months unless they have their own).
    pub period: Period,
    pub target: f64,
    /// The floor standard (RAG method FLOOR): at or below the target when
    /// higher is better, at or above it when lower is better.
    pub floor: Option<f64>,
}

#[derive(InputObject)]
pub struct SubmitResultInput {
    pub measure_id: ID,
    pub period: Period,
    pub value: f64,
    pub note: Option<String>,
    /// The version this submission replaces (0: none yet). Without it the
    /// last writer wins and every replaced value is kept in the history.
    pub expected_version: Option<i32>,
}

#[derive(InputObject)]
pub struct AddCommentaryInput {
    pub measure_id: ID,
    pub period: Period,
    pub body: String,
    pub kind: CommentaryKind,
}

#[derive(InputObject)]
pub struct EditCommentaryInput {
    pub id: ID,
    pub body: String,
    /// The version being replaced; a stale one fails with CONFLICT.
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct NewActionInput {
    pub description: String,
    pub owner: String,
    pub due_on: Option<Date>,
}

#[derive(InputObject)]
pub struct CreateActionPlanInput {
    pub measure_id: ID,
    pub title: String,
    #[graphql(default)]
    pub actions: Vec<NewActionInput>,
}

#[derive(InputObject)]
pub struct UpdateActionInput {
    pub id: ID,
    pub status: Option<ActionStatus>,
    pub note: Option<String>,
    /// The version being replaced; a stale one fails with CONFLICT.
    pub expected_version: i32,
}

#[derive(InputObject)]
pub struct CreatePanelInput {
    pub authority_id: ID,
    pub name: String,
    pub kind: PanelKind,
    /// Plan nodes whose measures (at any depth) the panel scrutinises.
    #[graphql(default)]
    pub remit_node_ids: Vec<ID>,
    /// Single measures in the remit.
    #[graphql(default)]
    pub remit_measure_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct AgendaItemInput {
    pub title: String,
    /// The plan whose report the item considers.
    pub plan_id: Option<ID>,
    pub period: Option<Period>,
    pub minutes: Option<String>,
    pub resolutions: Option<String>,
}

#[derive(InputObject)]
pub struct CreateMeetingInput {
    pub panel_id: ID,
    pub held_on: Date,
    pub title: String,
    #[graphql(default)]
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
    pub id: ID,
    pub slug: Option<String>,
    pub name: Option<String>,
}

/// Absent fields are left as they are.
#[derive(InputObject)]
pub struct UpdatePlanInput {
    pub id: ID,
    pub title: Option<String>,
    pub kind: Option<PlanKind>,
    pub rag_rule: Option<RagRuleInput>,
    pub direction_rule: Option<DirectionRuleInput>,
    pub from: Option<Period>,
    pub to: Option<Period>,
}

/// Absent fields are left as they are.
#[derive(InputObject)]
pub struct UpdatePlanNodeInput {
    pub id: ID,
    pub code: Option<String>,
    pub title: Option<String>,
}

/// Absent fields are left as they are. A measure's kind and frequency are
/// fixed once created, as its results depend on them.
#[derive(InputObject)]
pub struct UpdateMeasureInput {
    pub id: ID,
    pub code: Option<String>,
    pub title: Option<String>,
    pub unit: Option<Unit>,
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
}

/// Absent fields are left as they are; a remit list given replaces the old one.
#[derive(InputObject)]
pub struct UpdatePanelInput {
    pub id: ID,
    pub name: Option<String>,
    pub kind: Option<PanelKind>,
    pub remit_node_ids: Option<Vec<ID>>,
    pub remit_measure_ids: Option<Vec<ID>>,
}

/// A measure defined the same way nationally.
#[derive(InputObject)]
pub struct CreateMetricInput {
    /// As the publisher names it: `NI192`, `ASCOF-1A`.
    pub code: String,
    pub title: String,
    pub unit: Unit,
    pub polarity: Polarity,
    #[graphql(default_with = "Frequency::Annual")]
    pub frequency: Frequency,
    /// Who publishes it, and where.
    pub source: Option<String>,
}

/// One reference value: a metric's value for an authority in a period,
/// replacing any loaded before.
#[derive(InputObject)]
pub struct MetricValueInput {
    pub metric_code: String,
    /// The authority's slug.
    pub authority: String,
    /// A period of the metric's frequency.
    pub period: Period,
    pub value: f64,
}

#[derive(InputObject)]
pub struct CreateComparisonGroupInput {
    pub slug: String,
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
    pub role_map: Vec<RoleMappingInput>,
}

#[derive(InputObject)]
pub struct RoleMappingInput {
    pub claim_value: String,
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
    pub authority: Option<String>,
    pub role: entity::Role,
    /// For PARTNER: the partner's slug at the authority.
    pub partner: Option<String>,
    pub issuer: Option<String>,
    pub subject: Option<String>,
    pub email: Option<String>,
}
