//! Live updates: the subscription root. Each event names rows by id; the
//! subscriber re-reads them through its own request's read model, so it
//! receives only what it could read by query at that moment (the public:
//! published results only), hidden by the same rule (`rating::visible`).

use std::future::Future;

use async_graphql::futures_util::stream::{self, Stream};
use async_graphql::{Context, ID, Object, Result, Subscription};
use chrono::{DateTime, Utc};
use entity::Period;
use entity::model::{commentary, publication};
use tokio::sync::broadcast::error::RecvError;

use super::commentary::Commentary;
use super::common::{parse_id, required};
use super::measure::{MeasureResult, rate_keys};
use super::plan::Plan;
use crate::context::{Request, request, rows};
use crate::error::{ApiError, Gql};
use crate::ids::Kind;
use crate::live::{Event, Listening, Positioned, Signal};
use crate::rating::visible;
use crate::store;
use crate::store::live::{KEPT_FOR, Missed};

#[derive(Default)]
pub struct SubscriptionRoot;

/// Live events over a WebSocket (graphql-transport-ws), each shown as the
/// subscriber may read it. Every subscription may resume: given `since`,
/// the position of the last event its client saw (from an event, or from a
/// query's `position`), it first receives what it missed, in order, if the
/// events are still kept (15 minutes, on every replica); otherwise it ends
/// at once with `RESYNC`.
#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Results of the authority (of one plan, if given) whenever what they
    /// show changes: a value submitted or restated, a target or floor, the
    /// rule, action plans, publication or archiving. Rated, as this
    /// subscriber may read them: an unpublished result only to those who
    /// may read drafts.
    async fn result_changed<'c>(
        &self,
        ctx: &Context<'c>,
        #[graphql(desc = "The authority's slug.")] authority: String,
        #[graphql(desc = "Only this plan's results (its global id).")] plan_id: Option<ID>,
        #[graphql(desc = "Resume after this position: what was missed comes first.")] since: Option<String>,
    ) -> Result<impl Stream<Item = Result<MeasureResult>> + 'c> {
        deliveries(
            ctx,
            Asked::new(&authority, plan_id.as_ref(), since.as_deref()),
            changed_result,
        )
        .await
    }

    /// Periods the authority's plans publish.
    async fn period_published<'c>(
        &self,
        ctx: &Context<'c>,
        #[graphql(desc = "The authority's slug.")] authority: String,
        #[graphql(desc = "Resume after this position: what was missed comes first.")] since: Option<String>,
    ) -> Result<impl Stream<Item = Result<Publication>> + 'c> {
        deliveries(ctx, Asked::new(&authority, None, since.as_deref()), publication).await
    }

    /// Commentary added to the authority's results (of one plan, if given),
    /// or edited, shown only beside a value this subscriber may see.
    async fn commentary_added<'c>(
        &self,
        ctx: &Context<'c>,
        #[graphql(desc = "The authority's slug.")] authority: String,
        #[graphql(desc = "Only this plan's commentary (its global id).")] plan_id: Option<ID>,
        #[graphql(desc = "Resume after this position: what was missed comes first.")] since: Option<String>,
    ) -> Result<impl Stream<Item = Result<Commentary>> + 'c> {
        deliveries(
            ctx,
            Asked::new(&authority, plan_id.as_ref(), since.as_deref()),
            added_commentary,
        )
        .await
    }

    /// The authority's plans (one, if given) whenever the plan itself
    /// changes: its title, rule, deadlines or archiving, or the nodes and
    /// measures it is made of.
    async fn plan_changed<'c>(
        &self,
        ctx: &Context<'c>,
        #[graphql(desc = "The authority's slug.")] authority: String,
        #[graphql(desc = "Only this plan (its global id).")] plan_id: Option<ID>,
        #[graphql(desc = "Resume after this position: what was missed comes first.")] since: Option<String>,
    ) -> Result<impl Stream<Item = Result<Plan>> + 'c> {
        deliveries(
            ctx,
            Asked::new(&authority, plan_id.as_ref(), since.as_deref()),
            changed_plan,
        )
        .await
    }
}

/// The position a live object answers: the event's it is delivered with,
/// else its authority's latest when it was read, which a client subscribes
/// `since` to miss nothing after its query.
pub(super) async fn position(ctx: &Context<'_>, authority: i64) -> Result<String> {
    let r = request(ctx)?;
    let at = match r.delivering() {
        Some(p) => p,
        None => r.rows.position.load_one(authority).await.gql()?.unwrap_or(0),
    };
    Ok(at.to_string())
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
    /// Its place in the authority's live events (see `Subscription`).
    async fn position(&self, ctx: &Context<'_>) -> Result<String> {
        position(ctx, self.0.authority_id).await
    }
}

/// What a subscription asked for, as its arguments gave it.
struct Asked<'a> {
    authority: &'a str,
    plan: Option<&'a ID>,
    since: Option<&'a str>,
}

impl<'a> Asked<'a> {
    fn new(authority: &'a str, plan: Option<&'a ID>, since: Option<&'a str>) -> Self {
        Asked {
            authority,
            plan,
            since,
        }
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
    fn covers(&self, e: &Event) -> bool {
        e.authority() == self.authority && self.plan.is_none_or(|p| p == Some(e.plan()))
    }
}

/// The events of a batch a subscription wants, last first (to be popped),
/// past the position it has seen, which moves to the batch's last of its
/// authority.
fn wanted_of(batch: &[Positioned], wanted: Wanted, seen: &mut i64) -> Vec<Positioned> {
    let mut out = Vec::new();
    for p in batch.iter().filter(|p| p.event.authority() == wanted.authority) {
        if p.position > *seen {
            *seen = p.position;
            if wanted.covers(&p.event) {
                out.push(*p);
            }
        }
    }
    out.reverse();
    out
}

/// The position a client says it saw, as the events number them.
fn seen(since: &str) -> Result<i64> {
    since
        .parse::<i64>()
        .ok()
        .filter(|p| *p >= 0)
        .ok_or_else(|| ApiError::invalid("since", "since is a position a live event or query answered"))
        .gql()
}

/// The stream of one subscription: what it missed since the position it
/// gave, then every event of the feed it wants, each re-read by `deliver`
/// as the request's viewer (`None`: not for this viewer). The receiver was
/// taken before the missed events are read, so none committed in between
/// is lost; one both read and received is delivered once, by position.
/// What the request read for one event is forgotten before the next, so
/// each delivery reads afresh. A lost listening connection reaches the
/// subscriber as an `UNAVAILABLE` error, and the stream goes on; a
/// subscriber that fell behind the feed raises the socket's alarm, and its
/// stream ends.
async fn deliveries<'c, T, F, Fut>(
    ctx: &Context<'c>,
    asked: Asked<'_>,
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
    let since = asked.since.map(seen).transpose()?;
    let authority = r
        .authority_by_slug(asked.authority)
        .await
        .gql()?
        .ok_or_else(|| ApiError::NotFound(format!("authority {}", asked.authority)))
        .gql()?;
    let wanted = Wanted {
        authority: authority.id,
        plan: asked.plan.map(|p| parse_id(Kind::Plan, p)),
    };
    let receiver = listening
        .take()
        .ok_or_else(|| ApiError::BadUserInput("one subscription per operation".to_owned()))
        .gql()?;
    let mut last = 0;
    let pending = match since {
        None => Vec::new(),
        Some(seen) => {
            last = seen;
            match store::live::since(r.reader(), authority.id, seen).await.gql()? {
                Missed::Events(missed) => wanted_of(&missed, wanted, &mut last),
                Missed::TooMany => return Err(ApiError::Resync(KEPT_FOR.num_minutes())).gql(),
            }
        }
    };
    Ok(stream::unfold(
        (receiver, pending, last, deliver),
        move |(mut receiver, mut pending, mut last, deliver)| async move {
            loop {
                let Some(next) = pending.pop() else {
                    match receiver.recv().await {
                        Ok(Signal::Events(batch)) => pending = wanted_of(&batch, wanted, &mut last),
                        Ok(Signal::Resync) => {
                            let told = Err(ApiError::LiveInterrupted).gql();
                            return Some((told, (receiver, pending, last, deliver)));
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
                r.delivering_at(next.position);
                match deliver(r, next.event).await {
                    Ok(None) => {}
                    Ok(Some(t)) => return Some((Ok(t), (receiver, pending, last, deliver))),
                    Err(e) => return Some((Err(e), (receiver, pending, last, deliver))),
                }
            }
        },
    ))
}

async fn one<E>(r: &Request, id: i64) -> Result<Option<E::Model>>
where
    E: sea_orm::EntityTrait,
{
    Ok(store::by_ids::<E>(r.reader(), &[id]).await.gql()?.pop())
}

async fn changed_result(r: &Request, e: Event) -> Result<Option<MeasureResult>> {
    let Event::Result { measure, period, .. } = e else {
        return Ok(None);
    };
    let rated = rate_keys(r, &[(measure, period)]).await.gql()?.pop();
    Ok(rated.filter(visible::announced).map(MeasureResult))
}

async fn changed_plan(r: &Request, e: Event) -> Result<Option<Plan>> {
    let Event::Plan { plan, .. } = e else {
        return Ok(None);
    };
    Ok(r.rows.plan.load_one(plan).await.gql()?.map(Plan))
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
