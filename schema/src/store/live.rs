//! The statements of live events (see [`crate::live`]): each authority's
//! positions, the recent events kept for a subscriber to resume from, and
//! the results a change of their measure or plan alters.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, TimeDelta, Utc};
use entity::Period;
use entity::model::{measure, result};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, JoinType, QueryFilter, QuerySelect,
};

use super::write::Write;
use crate::error::{ApiError, ApiResult};
use crate::live::{Event, Positioned};

const POSITIONS: &str = "event_positions";
const EVENTS: &str = "live_events";

/// How long an event stays replayable: a client away longer reads afresh.
/// Kept in the database, so a client may come back to any replica.
pub const KEPT_FOR: TimeDelta = TimeDelta::minutes(15);

/// At most this many events are replayed to one subscriber: further behind
/// than that, reading afresh costs less than catching up.
pub const MAX_REPLAY: u64 = 5_000;

/// Rows of `live_events` in one statement (4 parameters each).
const ROWS_PER_INSERT: usize = 5_000;

/// Numbers a committing write's events in its authorities' sequences and
/// keeps them for replay; events older than [`KEPT_FOR`] are let go (an
/// authority's when it next raises events: the table holds what each
/// authority raised in its last 15 minutes, at most [`MAX_REPLAY`] from one
/// write). The
/// authorities' position rows are locked in id order until the commit, so
/// two writers cannot deadlock, and an authority's positions become visible
/// in the order they were given: a subscriber that saw `n` never sees a
/// smaller position after it.
pub async fn number(
    txn: &DatabaseTransaction,
    events: Vec<Event>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<Positioned>> {
    // An import raises `Plan` for each node and measure it creates: one
    // of each event a write raised is enough.
    let mut seen = HashSet::new();
    let mut by_authority: BTreeMap<i64, Vec<Event>> = BTreeMap::new();
    for e in events {
        if seen.insert(e) {
            by_authority.entry(e.authority()).or_default().push(e);
        }
    }
    let mut out = Vec::new();
    for (authority, events) in by_authority {
        let count = i64::try_from(events.len()).map_err(ApiError::internal)?;
        let claim = Query::insert()
            .into_table(Alias::new(POSITIONS))
            .columns([Alias::new("authority_id"), Alias::new("position")])
            .values([authority.into(), count.into()])
            .map_err(ApiError::internal)?
            .on_conflict(
                OnConflict::column(Alias::new("authority_id"))
                    .value(
                        Alias::new("position"),
                        Expr::col((Alias::new(POSITIONS), Alias::new("position")))
                            .add(Expr::col((Alias::new("excluded"), Alias::new("position")))),
                    )
                    .to_owned(),
            )
            .returning_col(Alias::new("position"))
            .to_owned();
        let last: i64 = txn
            .query_one(&claim)
            .await?
            .ok_or_else(|| ApiError::internal("no position was claimed"))?
            .try_get("", "position")?;
        let numbered: Vec<Positioned> = (last - count + 1..)
            .zip(events)
            .map(|(position, event)| Positioned { position, event })
            .collect();
        // More than a subscriber may replay (an import): none is kept, and
        // a subscriber from before it reads afresh; so do the older ones.
        let kept: &[Positioned] = if numbered.len() as u64 > MAX_REPLAY {
            &[]
        } else {
            &numbered
        };
        for chunk in kept.chunks(ROWS_PER_INSERT) {
            let mut insert = Query::insert()
                .into_table(Alias::new(EVENTS))
                .columns(["authority_id", "position", "event", "at"].map(Alias::new))
                .to_owned();
            for p in chunk {
                let json = serde_json::to_string(&p.event).map_err(ApiError::internal)?;
                insert
                    .values([authority.into(), p.position.into(), json.into(), now.into()])
                    .map_err(ApiError::internal)?;
            }
            txn.execute(&insert).await?;
        }
        let cutoff = if kept.is_empty() { now } else { now - KEPT_FOR };
        let expired = Query::delete()
            .from_table(Alias::new(EVENTS))
            .and_where(Expr::col(Alias::new("authority_id")).eq(authority))
            .and_where(Expr::col(Alias::new("at")).lt(cutoff))
            .to_owned();
        txn.execute(&expired).await?;
        out.extend(numbered);
    }
    Ok(out)
}

/// The position of each authority's last event (0: none yet).
pub async fn latest(db: &impl ConnectionTrait, authorities: &[i64]) -> ApiResult<HashMap<i64, i64>> {
    let mut out: HashMap<i64, i64> = authorities.iter().map(|a| (*a, 0)).collect();
    for chunk in authorities.chunks(super::CHUNK) {
        let q = Query::select()
            .columns([Alias::new("authority_id"), Alias::new("position")])
            .from(Alias::new(POSITIONS))
            .and_where(Expr::col(Alias::new("authority_id")).is_in(chunk.iter().copied()))
            .to_owned();
        for row in db.query_all(&q).await? {
            out.insert(row.try_get("", "authority_id")?, row.try_get("", "position")?);
        }
    }
    Ok(out)
}

/// What a subscriber that saw an authority's events up to a position missed.
pub enum Missed {
    /// Every event after it, in order.
    Events(Vec<Positioned>),
    /// Not all of them are kept (too old, too many, or a position this
    /// database never gave): the subscriber must read afresh.
    TooMany,
}

pub async fn since(db: &impl ConnectionTrait, authority: i64, seen: i64) -> ApiResult<Missed> {
    let last = latest(db, &[authority])
        .await?
        .get(&authority)
        .copied()
        .unwrap_or(0);
    if seen > last {
        return Ok(Missed::TooMany);
    }
    if seen == last {
        return Ok(Missed::Events(Vec::new()));
    }
    let q = Query::select()
        .columns([Alias::new("position"), Alias::new("event")])
        .from(Alias::new(EVENTS))
        .and_where(Expr::col(Alias::new("authority_id")).eq(authority))
        .and_where(Expr::col(Alias::new("position")).gt(seen))
        // Kept a little longer than the window until they are let go:
        // the window is what a client is promised.
        .and_where(Expr::col(Alias::new("at")).gte(Utc::now() - KEPT_FOR))
        .order_by(Alias::new("position"), Order::Asc)
        .limit(MAX_REPLAY + 1)
        .to_owned();
    let rows = db.query_all(&q).await?;
    let first: Option<i64> = rows.first().map(|r| r.try_get("", "position")).transpose()?;
    if first != Some(seen + 1) || rows.len() as u64 > MAX_REPLAY {
        return Ok(Missed::TooMany);
    }
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let json: String = row.try_get("", "event")?;
        // An event this version cannot read (a newer replica's kind, during
        // a rolling upgrade) is passed over, as on the live channel.
        if let Ok(event) = serde_json::from_str(&json) {
            out.push(Positioned {
                position: row.try_get("", "position")?,
                event,
            });
        }
    }
    Ok(Missed::Events(out))
}

/// Raises `Plan`: the plan, its nodes or measures, or its deadlines changed.
pub fn plan_changed(w: &Write, plan: i64, authority: i64) {
    w.raise(Event::Plan { plan, authority });
}

/// Which stored results a change alters.
pub enum Affected<'a> {
    /// Every result of these measures.
    Measures(&'a [i64]),
    /// Every result of these plans.
    Plans(&'a [i64]),
    /// The results of a measure within periods (its targets' periods: a
    /// quarter's target applies to its months).
    Within(&'a [(i64, Period)]),
    /// The results of a plan within a period (its publication).
    PlanWithin(i64, Period),
}

/// Raises `Result` for every stored result the change alters, so that a
/// subscriber sees a new target, rule, publication or archiving on the
/// results it shows.
pub async fn results_changed(w: &Write, affected: Affected<'_>) -> ApiResult<()> {
    let rows = || {
        result::Entity::find()
            .select_only()
            .columns([
                result::Column::MeasureId,
                result::Column::Period,
                result::Column::AuthorityId,
            ])
            .column(measure::Column::PlanId)
            .join(
                JoinType::InnerJoin,
                result::Entity::belongs_to(measure::Entity)
                    .from(result::Column::MeasureId)
                    .to(measure::Column::Id)
                    .into(),
            )
    };
    let (ids, by_plan) = match &affected {
        Affected::Measures(ids) => (ids.to_vec(), false),
        Affected::Within(pairs) => (super::unique(pairs.iter().map(|p| p.0)), false),
        Affected::Plans(ids) => (ids.to_vec(), true),
        Affected::PlanWithin(plan, _) => (vec![*plan], true),
    };
    let found = super::chunked(&ids, |chunk| {
        let q = if by_plan {
            rows().filter(measure::Column::PlanId.is_in(chunk))
        } else {
            rows().filter(result::Column::MeasureId.is_in(chunk))
        };
        q.into_tuple::<(i64, Period, i64, i64)>().all(&w.txn)
    })
    .await?;
    let mut within: HashMap<i64, Vec<Period>> = HashMap::new();
    if let Affected::Within(pairs) = &affected {
        for (m, p) in pairs.iter() {
            within.entry(*m).or_default().push(*p);
        }
    }
    for (measure, period, authority, plan) in found {
        let altered = match &affected {
            Affected::Measures(_) | Affected::Plans(_) => true,
            Affected::Within(_) => within
                .get(&measure)
                .is_some_and(|ps| ps.iter().any(|p| p.contains(&period))),
            Affected::PlanWithin(_, p) => p.contains(&period),
        };
        if altered {
            w.raise(Event::Result {
                measure,
                period,
                plan,
                authority,
            });
        }
    }
    Ok(())
}
