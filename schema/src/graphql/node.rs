//! Global object identification: the `Node` interface, and `node` and
//! `nodes`, which find objects by global id (`crate::ids`). Each answers
//! what the typed fields would show the same viewer, by the same rules:
//! what they hide (an archived plan, an unpublished result, another
//! council's audit log) is null here, as an unknown id is, so an answer
//! never tells that a hidden object exists. An id that is not one of ours is
//! the client's mistake, BAD_USER_INPUT.

use async_graphql::futures_util::future::try_join_all;
use async_graphql::{Context, ID, Interface, Object, Result};
use entity::Period;
use entity::model::{audit_log, identity_provider, measure, membership};

use super::authority::{AuditEntry, Authority, Partner};
use super::benchmark::{ComparisonGroup, Metric};
use super::commentary::{ActionItem, ActionPlan, Commentary};
use super::common::rate_one;
use super::identity::{IdentityProvider, Membership};
use super::measure::{Measure, MeasureResult};
use super::panel::{AgendaItem, Meeting, Panel};
use super::plan::{Plan, PlanNode};
use crate::archive::is_live;
use crate::context::{request, rows};
use crate::error::{ApiError, ApiResult, Gql};
use crate::ids::{self, Global, Kind, Malformed};
use crate::policy::{Scope, Verb, allows, measure_scope};
use crate::rating::visible;
use crate::store;

/// Most ids one `nodes` asks for.
pub const MAX_NODES: usize = 100;

/// An object with a global id, which `Query.node` finds it by.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID", desc = "Opaque and global: pass it to `Query.node`."))]
pub enum Node {
    Authority(Authority),
    Partner(Partner),
    Plan(Plan),
    PlanNode(PlanNode),
    Measure(Measure),
    MeasureResult(MeasureResult),
    Commentary(Commentary),
    ActionPlan(ActionPlan),
    Action(ActionItem),
    Panel(Panel),
    Meeting(Meeting),
    AgendaItem(AgendaItem),
    Metric(Metric),
    ComparisonGroup(ComparisonGroup),
    AuditEntry(AuditEntry),
    IdentityProvider(IdentityProvider),
    Membership(Membership),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The object with this global id, if the viewer may see it: null for
    /// an unknown id and for one the typed fields would hide. An id that is
    /// not a global id is BAD_USER_INPUT.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id.")] id: ID,
    ) -> Result<Option<Node>> {
        let wanted = global(&id).gql()?;
        find(ctx, wanted).await
    }
    /// The objects with these global ids, in order, each as `node` answers
    /// it. At most 100 ids.
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Global ids, at most 100.")] ids: Vec<ID>,
    ) -> Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(ApiError::invalid("ids", format!("at most {MAX_NODES} ids"))).gql();
        }
        let wanted = ids
            .iter()
            .enumerate()
            .map(|(i, id)| global(id).map_err(|e| e.at_index(i)))
            .collect::<ApiResult<Vec<_>>>()
            .gql()?;
        // Polled together, the finds share each loader's batch.
        try_join_all(wanted.into_iter().map(|g| find(ctx, g))).await
    }
}

fn global(id: &ID) -> ApiResult<Global> {
    ids::decode(id.as_str()).map_err(|e| {
        let why = match e {
            Malformed::Garbled => "is not a global id",
            Malformed::UnknownType => "names no type of ours",
        };
        ApiError::invalid("id", format!("`{}` {why}", id.as_str()))
    })
}

async fn find(ctx: &Context<'_>, wanted: Global) -> Result<Option<Node>> {
    match wanted {
        Global::Row(kind, n) => row(ctx, kind, n).await,
        Global::Result(m, period) => Ok(result(ctx, m, period).await?.map(Node::MeasureResult)),
        Global::Group(slug) => {
            let g = request(ctx)?.benchmarks.group(&slug).await.gql()?;
            Ok(g.map(|g| Node::ComparisonGroup(ComparisonGroup(g))))
        }
    }
}

async fn row(ctx: &Context<'_>, kind: Kind, n: i64) -> Result<Option<Node>> {
    let l = rows(ctx)?;
    let r = request(ctx)?;
    Ok(match kind {
        Kind::Authority => l
            .authority
            .load_one(n)
            .await
            .gql()?
            .map(|a| Node::Authority(Authority(a))),
        Kind::Partner => l
            .partner
            .load_one(n)
            .await
            .gql()?
            .map(|p| Node::Partner(Partner(p))),
        Kind::Plan => l
            .plan
            .load_one(n)
            .await
            .gql()?
            .filter(is_live)
            .map(|p| Node::Plan(Plan(p))),
        Kind::PlanNode => {
            let Some(node) = l.node.load_one(n).await.gql()? else {
                return Ok(None);
            };
            // Its plan's fields are the way to it: an archived plan hides it.
            let plan = l.plan.load_one(node.plan_id).await.gql()?;
            plan.filter(is_live).map(|_| Node::PlanNode(PlanNode(node)))
        }
        Kind::Measure => live_measure(ctx, n).await?.map(|m| Node::Measure(Measure(m))),
        // Rated in the period it is of, as `MeasureResult.commentary` shows it.
        Kind::Commentary => {
            let Some(c) = l.commentary.load_one(n).await.gql()? else {
                return Ok(None);
            };
            let Some(rating) = result(ctx, c.measure_id, c.period).await? else {
                return Ok(None);
            };
            visible::commentary(&rating.0, std::slice::from_ref(&c))
                .pop()
                .map(|c| Node::Commentary(Commentary(c)))
        }
        Kind::ActionPlan => {
            let Some(p) = l.action_plan.load_one(n).await.gql()? else {
                return Ok(None);
            };
            let live = live_measure(ctx, p.measure_id).await?.is_some();
            live.then_some(Node::ActionPlan(ActionPlan(p)))
        }
        Kind::Action => {
            let Some(a) = l.action.load_one(n).await.gql()? else {
                return Ok(None);
            };
            let plan = l.action_plan.load_one(a.action_plan_id).await.gql()?;
            let live = match plan {
                Some(p) => live_measure(ctx, p.measure_id).await?.is_some(),
                None => false,
            };
            live.then_some(Node::Action(ActionItem(a)))
        }
        Kind::Panel => l.panel.load_one(n).await.gql()?.map(|p| Node::Panel(Panel(p))),
        Kind::Meeting => l
            .meeting
            .load_one(n)
            .await
            .gql()?
            .map(|m| Node::Meeting(Meeting(m))),
        Kind::AgendaItem => l
            .agenda_item
            .load_one(n)
            .await
            .gql()?
            .map(|a| Node::AgendaItem(AgendaItem(a))),
        Kind::Metric => l.metric.load_one(n).await.gql()?.map(|m| Node::Metric(Metric(m))),
        // Read by those the typed fields show them to only, rarely and one
        // at a time: no loader.
        Kind::AuditEntry => {
            let e = store::by_ids::<audit_log::Entity>(r.reader(), &[n])
                .await
                .gql()?
                .pop();
            e.filter(|e| {
                e.authority_id
                    .is_some_and(|a| allows(&r.viewer, Verb::ReadAudit, Some(scope(a))))
            })
            .map(|e| Node::AuditEntry(AuditEntry(e)))
        }
        Kind::Membership => {
            let m = store::by_ids::<membership::Entity>(r.reader(), &[n])
                .await
                .gql()?
                .pop();
            m.filter(|m| allows(&r.viewer, Verb::ManageMembers, m.authority_id.map(scope)))
                .map(|m| Node::Membership(Membership(m)))
        }
        Kind::IdentityProvider => {
            if !allows(&r.viewer, Verb::RegisterIdentityProvider, None) {
                return Ok(None);
            }
            match store::by_ids::<identity_provider::Entity>(r.reader(), &[n])
                .await
                .gql()?
                .pop()
            {
                Some(p) => Some(Node::IdentityProvider(
                    IdentityProvider::read(r.reader(), p).await?,
                )),
                None => None,
            }
        }
        // Not rows: `decode` never gives these a row's key.
        Kind::MeasureResult | Kind::ComparisonGroup => None,
    })
}

fn scope(authority_id: i64) -> Scope {
    Scope {
        authority_id,
        partner_id: None,
    }
}

async fn live_measure(ctx: &Context<'_>, id: i64) -> Result<Option<measure::Model>> {
    Ok(rows(ctx)?.measure.load_one(id).await.gql()?.filter(is_live))
}

/// A live measure's result in a period, if the viewer may see it: once the
/// period is published, and before to those who may read its drafts.
async fn result(ctx: &Context<'_>, measure_id: i64, period: Period) -> Result<Option<MeasureResult>> {
    let Some(m) = live_measure(ctx, measure_id).await? else {
        return Ok(None);
    };
    let viewer = &request(ctx)?.viewer;
    let sees_drafts = visible::sees_drafts(viewer, measure_scope(&m));
    let rating = rate_one(ctx, std::slice::from_ref(&m), period).await?.pop();
    Ok(rating
        .filter(|r| visible::shown(r.published, sees_drafts))
        .map(MeasureResult))
}
