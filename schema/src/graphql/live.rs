//! Live updates: the subscription root. Each event names rows by id; the
//! subscriber re-reads them through its own request's read model, so it
//! receives only what it could read by query at that moment (the public:
//! published results only), hidden by the same rule (`rating::visible`).

use std::future::Future;

use async_graphql::futures_util::stream::{self, Stream};
use async_graphql::{Context, ID, Object, Result, Subscription};
use chrono::{DateTime, Utc};
use entity::Period;
use entity::model::{commentary, publication, result};
use tokio::sync::broadcast::error::RecvError;

use super::commentary::Commentary;
use super::common::{parse_id, required};
use super::measure::{MeasureResult, rate_keys};
use super::plan::Plan;
use crate::context::{Request, request, rows};
use crate::error::{ApiError, Gql};
use crate::ids::Kind;
use crate::live::{Event, Listening, Signal};
use crate::rating::visible;
use crate::store;

#[derive(Default)]
pub struct SubscriptionRoot;

/// Live events over a WebSocket (graphql-transport-ws), each shown as the
/// subscriber may read it.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Results of the authority (of one plan, if given) as they are
    /// submitted or restated, rated, as this subscriber may read them: an
    /// unpublished result only to those who may read drafts.
    async fn result_changed<'c>(
        &self,
        ctx: &Context<'c>,
        #[graphql(desc = "The authority's slug.")] authority: String,
        #[graphql(desc = "Only this plan's results (its global id).")] plan_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<MeasureResult>> + 'c> {
        deliveries(ctx, &authority, plan_id.as_ref(), changed_result).await
    }

    /// Periods the authority's plans publish.
    async fn period_published<'c>(
        &self,
        ctx: &Context<'c>,
        #[graphql(desc = "The authority's slug.")] authority: String,
    ) -> Result<impl Stream<Item = Result<Publication>> + 'c> {
        deliveries(ctx, &authority, None, publication).await
    }

    /// Commentary added to the authority's results (of one plan, if given),
    /// shown only beside a value this subscriber may see.
    async fn commentary_added<'c>(
        &self,
        ctx: &Context<'c>,
        #[graphql(desc = "The authority's slug.")] authority: String,
        #[graphql(desc = "Only this plan's commentary (its global id).")] plan_id: Option<ID>,
    ) -> Result<impl Stream<Item = Result<Commentary>> + 'c> {
        deliveries(ctx, &authority, plan_id.as_ref(), added_commentary).await
    }
}

/// A plan's period made public.
pub struct Publication(publication::Model);

/// A plan's period made public.
#[Object]
impl Publication {
    /// The plan.
    async fn plan(&self, ctx: &Context<'_>) -> Result<Plan> {
        let p = rows(ctx)?.plan.load_one(self.0.plan_id).await.gql()?;
        required(p, "plan").map(Plan)
    }
    /// The period published.
    async fn period(&self) -> Period {
        self.0.period
    }
    /// When it was published.
    async fn published_at(&self) -> DateTime<Utc> {
        self.0.published_at
    }
}

/// Which events a subscription is about.
#[derive(Clone, Copy)]
struct Wanted {
    authority: i64,
    /// `None`: every plan; an id that is none of ours matches nothing.
    plan: Option<Option<i64>>,
}

impl Wanted {
    fn covers(&self, authority: i64, plan: i64) -> bool {
        authority == self.authority && self.plan.is_none_or(|p| p == Some(plan))
    }
}

/// The stream of one subscription: every event of the feed it wants,
/// re-read by `deliver` as the request's viewer (`None`: not for this
/// viewer). What the request read for one event is forgotten before the
/// next, so each delivery reads afresh. A lost listening connection reaches
/// the subscriber as an `UNAVAILABLE` error, and the stream goes on; a
/// subscriber that fell behind the feed raises the socket's alarm, and its
/// stream ends.
async fn deliveries<'c, T, F, Fut>(
    ctx: &Context<'c>,
    slug: &str,
    plan: Option<&ID>,
    deliver: F,
) -> Result<impl Stream<Item = Result<T>> + use<'c, T, F, Fut>>
where
    T: Send + 'c,
    F: Fn(&'c Request, Event) -> Fut + Send + 'c,
    Fut: Future<Output = Result<Option<T>>> + Send + 'c,
{
    let r = request(ctx)?;
    let listening = ctx
        .data::<Listening>()
        .map_err(|_| ApiError::BadUserInput("subscribe over the WebSocket endpoint /graphql/ws".to_owned()))
        .gql()?;
    let authority = r
        .authority_by_slug(slug)
        .await
        .gql()?
        .ok_or_else(|| ApiError::NotFound(format!("authority {slug}")))
        .gql()?;
    let wanted = Wanted {
        authority: authority.id,
        plan: plan.map(|p| parse_id(Kind::Plan, p)),
    };
    let receiver = listening
        .take()
        .ok_or_else(|| ApiError::BadUserInput("one subscription per operation".to_owned()))
        .gql()?;
    // The events of the batch being delivered that this subscription
    // wants, last first.
    let pending: Vec<Event> = Vec::new();
    Ok(stream::unfold(
        (receiver, pending, deliver),
        move |(mut receiver, mut pending, deliver)| async move {
            loop {
                let Some(event) = pending.pop() else {
                    match receiver.recv().await {
                        Ok(Signal::Events(batch)) => {
                            pending = batch
                                .iter()
                                .rev()
                                .filter(|e| wanted.covers(e.authority(), plan_of(e)))
                                .copied()
                                .collect();
                        }
                        Ok(Signal::Resync) => {
                            let told = Err(ApiError::LiveInterrupted).gql();
                            return Some((told, (receiver, pending, deliver)));
                        }
                        Err(RecvError::Lagged(_)) => {
                            listening.lagged.notify_one();
                            return None;
                        }
                        Err(RecvError::Closed) => return None,
                    }
                    continue;
                };
                r.forget();
                match deliver(r, event).await {
                    Ok(None) => {}
                    Ok(Some(t)) => return Some((Ok(t), (receiver, pending, deliver))),
                    Err(e) => return Some((Err(e), (receiver, pending, deliver))),
                }
            }
        },
    ))
}

fn plan_of(e: &Event) -> i64 {
    match e {
        Event::Result { plan, .. } | Event::Published { plan, .. } | Event::Commentary { plan, .. } => *plan,
    }
}

async fn one<E>(r: &Request, id: i64) -> Result<Option<E::Model>>
where
    E: sea_orm::EntityTrait,
{
    Ok(store::by_ids::<E>(r.reader(), &[id]).await.gql()?.pop())
}

async fn changed_result(r: &Request, e: Event) -> Result<Option<MeasureResult>> {
    let Event::Result { result: id, .. } = e else {
        return Ok(None);
    };
    let Some(row) = one::<result::Entity>(r, id).await? else {
        return Ok(None);
    };
    let rated = rate_keys(r, &[(row.measure_id, row.period)]).await.gql()?.pop();
    Ok(rated.filter(|m| visible::announced(m, row.id)).map(MeasureResult))
}

async fn publication(r: &Request, e: Event) -> Result<Option<Publication>> {
    let Event::Published { publication: id, .. } = e else {
        return Ok(None);
    };
    Ok(one::<publication::Entity>(r, id).await?.map(Publication))
}

async fn added_commentary(r: &Request, e: Event) -> Result<Option<Commentary>> {
    let Event::Commentary { commentary: id, .. } = e else {
        return Ok(None);
    };
    let Some(row) = one::<commentary::Entity>(r, id).await? else {
        return Ok(None);
    };
    let Some(rating) = rate_keys(r, &[(row.measure_id, row.period)]).await.gql()?.pop() else {
        return Ok(None);
    };
    Ok(visible::commentary(&rating, std::slice::from_ref(&row))
        .pop()
        .map(Commentary))
}
