//! Who the request is made as.

use std::collections::{HashMap, HashSet};

use async_graphql::{ComplexObject, Context, ID, Object, Result, SimpleObject};
use chrono::Utc;
use entity::model::{authority, partner};
use entity::{Period, Role};

use super::authority::{Authority, Partner};
use super::common::parse_id;
use super::identity::HeldRoleObject;
use super::measure::{Measure, MeasureResult, rate_keys};
use super::plan::Plan;
use crate::context::{request, rows};
use crate::error::Gql;
use crate::ids::Kind;
use crate::policy::{Grant, Viewer};
use crate::rating::due;
use crate::scalars::Date;

#[derive(Default)]
pub struct ViewerQuery;

#[Object]
impl ViewerQuery {
    /// The viewer the request is made as; null when anonymous.
    async fn me(&self, ctx: &Context<'_>) -> Result<Option<ViewerObject>> {
        Ok(ViewerObject::of(&request(ctx)?.viewer))
    }
}

/// Who the request is made as.
#[derive(SimpleObject)]
#[graphql(name = "Viewer", complex)]
pub struct ViewerObject {
    /// Its `sub`, as its token carries it.
    subject: String,
    /// Its name, when its token carries one.
    name: Option<String>,
    /// The issuer of the token it signed in with.
    issuer: Option<String>,
    /// As its identity provider asserts it.
    email: Option<String>,
    #[graphql(skip)]
    grants: Vec<Grant>,
}

/// A measure the viewer may submit that has no result for the period yet.
#[derive(SimpleObject)]
pub struct DueMeasure {
    /// The measure.
    measure: Measure,
    /// Its plan.
    plan: Plan,
    /// The plan's deadline for the period, if one is set.
    due_on: Option<Date>,
    /// The deadline has passed (today, UTC, is after it).
    late: bool,
}

/// One period a measure the viewer may submit reports in, with what is
/// stored for it.
#[derive(SimpleObject)]
#[graphql(name = "Submission")]
pub struct SubmissionObject {
    /// The measure.
    measure: Measure,
    /// Its plan.
    plan: Plan,
    /// The measure's own period (a month of a monthly measure).
    period: Period,
    /// Its deadline: the plan's for this period, else for the period asked.
    due_on: Option<Date>,
    /// Nothing is submitted yet and the deadline has passed (UTC).
    late: bool,
    /// Nothing is submitted yet.
    outstanding: bool,
    /// The measure rated at this period: its value, target, previous value,
    /// and the stored result's `version`, `submittedAt` and `submittedBy`.
    result: MeasureResult,
}

#[ComplexObject]
impl ViewerObject {
    /// Every measure the viewer may submit with no result for the period.
    async fn due(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period.")] period: Period,
    ) -> Result<Vec<DueMeasure>> {
        let r = request(ctx)?;
        let today = Utc::now().date_naive();
        Ok(due::due(r.reader(), &r.viewer, period)
            .await
            .gql()?
            .into_iter()
            .map(|d| DueMeasure {
                measure: Measure(d.measure),
                plan: Plan(d.plan),
                due_on: d.due_on.map(Date),
                late: d.due_on.is_some_and(|on| on < today),
            })
            .collect())
    }
    /// Every period of its own frequency each measure the viewer may submit
    /// (of one plan, if given) reports in within `period` (a quarter's
    /// months for a monthly measure; a year's quarters and months), within
    /// its plan's years, as the results template lists them: submitted or
    /// outstanding, with what was submitted.
    async fn submissions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The period asked for.")] period: Period,
        #[graphql(desc = "Only this plan's measures (its global id).")] plan_id: Option<ID>,
    ) -> Result<Vec<SubmissionObject>> {
        let r = request(ctx)?;
        let plan = match plan_id {
            None => None,
            Some(id) => match parse_id(Kind::Plan, &id) {
                Some(n) => Some(n),
                None => return Ok(Vec::new()),
            },
        };
        let owed = due::owed(r.reader(), &r.viewer, period, plan).await.gql()?;
        let keys: Vec<(i64, Period)> = owed.iter().map(|o| (o.measure.id, o.period)).collect();
        let rated = rate_keys(r, &keys).await.gql()?;
        let today = Utc::now().date_naive();
        Ok(owed
            .into_iter()
            .zip(rated)
            .map(|(o, rating)| SubmissionObject {
                late: !o.submitted && o.due_on.is_some_and(|on| on < today),
                outstanding: !o.submitted,
                due_on: o.due_on.map(Date),
                period: o.period,
                measure: Measure(o.measure),
                plan: Plan(o.plan),
                result: MeasureResult(rating),
            })
            .collect())
    }
    /// Every role it holds, and where each comes from: the platform's
    /// token grants, a role held in the service, or a claim its provider
    /// maps.
    async fn roles(&self) -> Vec<HeldRoleObject> {
        self.grants.iter().cloned().map(HeldRoleObject).collect()
    }
    /// Every role it holds, with its authority and partner (see `roles` for where each comes from).
    async fn grants(&self, ctx: &Context<'_>) -> Result<Vec<GrantObject>> {
        let l = rows(ctx)?;
        let auth_ids: HashSet<i64> = self.grants.iter().filter_map(|g| g.authority_id).collect();
        let partner_ids: HashSet<i64> = self.grants.iter().filter_map(|g| g.partner_id).collect();
        let auths: HashMap<i64, authority::Model> = l.authority.load_many(auth_ids).await.gql()?;
        let partners: HashMap<i64, partner::Model> = l.partner.load_many(partner_ids).await.gql()?;
        Ok(self
            .grants
            .iter()
            .map(|g| GrantObject {
                role: g.role,
                authority: g.authority_id.and_then(|a| auths.get(&a).cloned()).map(Authority),
                partner: g.partner_id.and_then(|p| partners.get(&p).cloned()).map(Partner),
            })
            .collect())
    }
}

impl ViewerObject {
    pub fn of(v: &Viewer) -> Option<Self> {
        match v {
            Viewer::Anonymous => None,
            Viewer::User {
                subject,
                name,
                issuer,
                email,
                grants,
            } => Some(ViewerObject {
                subject: subject.clone(),
                name: name.clone(),
                issuer: Some(issuer.clone()),
                email: email.clone(),
                grants: grants.clone(),
            }),
        }
    }
}

/// A role the viewer holds, at an authority (null for PLATFORM_ADMIN) and,
/// for PARTNER, for a partner.
#[derive(SimpleObject)]
#[graphql(name = "Grant")]
pub struct GrantObject {
    /// The role.
    role: Role,
    /// The authority it is held at; null for PLATFORM_ADMIN.
    authority: Option<Authority>,
    /// For PARTNER: the partner it speaks for.
    partner: Option<Partner>,
}
