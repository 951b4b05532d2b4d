//! The results feed: stored results in id order, as the viewer may see
//! them, paged by keyset. The store pages rows by id (so a walk sees every
//! row once, whatever is written meanwhile); visibility and status are the
//! read model's, decided by rating each fetched chunk: a row shows when its
//! rating shows that very result, and matches `status` when it is rated so.

use std::collections::HashMap;

use async_graphql::futures_util::future::join_all;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::rules::published_at;
use entity::{Period, RagStatus};

use super::rated::Rating;
use super::visible;
use crate::context::Request;
use crate::error::{ApiError, ApiResult};
use crate::policy;
use crate::store::feeds::{self, ResultKey, ResultScope};
use crate::store::unique;

/// The most edges one page holds.
pub const MAX_PAGE: i32 = 500;
const DEFAULT_PAGE: i32 = 50;
/// Rows one page may scan looking for rows that match: a status that few
/// rows have ends a page early (with `hasNextPage` and an `endCursor` past
/// what was scanned) rather than rating the whole table in one request.
const MAX_SCANNED: usize = 20_000;
/// The largest chunk read and rated at once.
const MAX_CHUNK: u64 = 1_000;

/// What a client asks of a connection.
#[derive(Clone, Debug, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// One page: the items with their cursors, and Relay's page info.
pub struct Page<T> {
    pub items: Vec<(String, T)>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// A results filter with its names resolved.
#[derive(Clone, Debug, Default)]
pub struct ResultQuery {
    pub scope: ResultScope,
    pub status: Option<RagStatus>,
}

/// An opaque cursor: base64 of the sort key, tagged by what it pages so
/// that one feed's cursor is refused by another.
pub fn cursor(tag: &str, key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{tag}:{key}"))
}

/// The sort key of a cursor `cursor(tag, …)` made.
pub fn uncursor(tag: &str, c: &str) -> ApiResult<String> {
    let bad = || ApiError::BadUserInput(format!("`{c}` is not a cursor of this connection"));
    let text = URL_SAFE_NO_PAD
        .decode(c)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(bad)?;
    text.strip_prefix(tag)
        .and_then(|t| t.strip_prefix(':'))
        .map(str::to_owned)
        .ok_or_else(bad)
}

const RESULT: &str = "result";

fn result_cursor(id: i64) -> String {
    cursor(RESULT, &id.to_string())
}

fn result_id(c: &str) -> ApiResult<i64> {
    uncursor(RESULT, c)?
        .parse()
        .map_err(|_| ApiError::BadUserInput(format!("`{c}` is not a cursor of this connection")))
}

impl PageArgs {
    /// The page size and whether it is taken from the end (`last`).
    pub fn size(&self) -> ApiResult<(usize, bool)> {
        let check = |n: i32, name: &str| {
            if (0..=MAX_PAGE).contains(&n) {
                Ok(usize::try_from(n).unwrap_or(0))
            } else {
                Err(ApiError::BadUserInput(format!("{name} must be 0 to {MAX_PAGE}")))
            }
        };
        match (self.first, self.last) {
            (Some(_), Some(_)) => Err(ApiError::BadUserInput("pass first or last, not both".to_owned())),
            (None, Some(n)) => Ok((check(n, "last")?, true)),
            (first, None) => Ok((check(first.unwrap_or(DEFAULT_PAGE), "first")?, false)),
        }
    }
}

/// A page of the results feed.
pub async fn results(r: &Request, q: &ResultQuery, args: &PageArgs) -> ApiResult<Page<Rating>> {
    let (n, backward) = args.size()?;
    let mut after = args.after.as_deref().map(result_id).transpose()?;
    let mut before = args.before.as_deref().map(result_id).transpose()?;
    let mut items: Vec<(String, Rating)> = Vec::with_capacity(n);
    let (mut more, mut scanned, mut last_scanned) = (false, 0, None);
    // Start with what the page needs and grow: a sparse filter reads more.
    let mut chunk = u64::try_from(n + 1).unwrap_or(MAX_CHUNK).min(MAX_CHUNK);
    'scan: loop {
        let keys = feeds::result_keys(r.reader(), &q.scope, after, before, backward, chunk).await?;
        let exhausted = (keys.len() as u64) < chunk;
        scanned += keys.len();
        for (key, rating) in shown(r, &keys).await? {
            last_scanned = Some(key.id);
            let Some(rating) = rating.filter(|x| q.status.is_none_or(|s| x.rated.status == s)) else {
                continue;
            };
            if items.len() == n {
                more = true;
                break 'scan;
            }
            items.push((result_cursor(key.id), rating));
        }
        if exhausted {
            break;
        }
        if scanned >= MAX_SCANNED {
            more = true;
            break;
        }
        match (backward, keys.last()) {
            (true, Some(k)) => before = Some(k.id),
            (false, Some(k)) => after = Some(k.id),
            _ => break,
        }
        chunk = (chunk * 2).min(MAX_CHUNK);
    }
    // Cut short by the scan bound, a page ends where the scan stopped, so
    // the next page goes on from there.
    let edge_end = if more && items.len() < n {
        last_scanned.map(result_cursor)
    } else {
        None
    };
    if backward {
        items.reverse();
    }
    let first = items.first().map(|i| i.0.clone());
    let last = items.last().map(|i| i.0.clone());
    Ok(Page {
        has_next_page: if backward { args.before.is_some() } else { more },
        has_previous_page: if backward { more } else { args.after.is_some() },
        start_cursor: if backward {
            edge_end.clone().or(first)
        } else {
            first
        },
        end_cursor: if backward { last } else { edge_end.or(last) },
        items,
    })
}

/// How many results the feed holds for the viewer. Without a status, one
/// grouped count and the publications of the plans it names; with one,
/// every matching result is rated, in chunks.
pub async fn results_count(r: &Request, q: &ResultQuery) -> ApiResult<i64> {
    if q.status.is_some() {
        let mut total = 0;
        let mut after = None;
        loop {
            let keys = feeds::result_keys(r.reader(), &q.scope, after, None, false, MAX_CHUNK).await?;
            for (_, rating) in shown(r, &keys).await? {
                if rating.is_some_and(|x| q.status.is_none_or(|s| x.rated.status == s)) {
                    total += 1;
                }
            }
            match keys.last() {
                Some(k) if keys.len() as u64 == MAX_CHUNK => after = Some(k.id),
                _ => return Ok(total),
            }
        }
    }
    let counts = feeds::result_counts(r.reader(), &q.scope).await?;
    let plan_ids = unique(counts.iter().map(|c| c.plan_id));
    let of_plans = join_all(plan_ids.iter().map(|p| r.rows.plan_rows(*p))).await;
    let mut published: HashMap<i64, Vec<(Period, DateTime<Utc>)>> = HashMap::new();
    for (plan_id, of_plan) in plan_ids.iter().zip(of_plans) {
        let of_plan = of_plan.map_err(|e| (*e).clone())?;
        let list = of_plan
            .publications
            .iter()
            .map(|p| (p.period, p.published_at))
            .collect();
        published.insert(*plan_id, list);
    }
    Ok(counts
        .iter()
        .filter(|c| {
            let scope = policy::scope_of(c.authority_id, c.kind, c.partner_id);
            let public = published
                .get(&c.plan_id)
                .and_then(|ps| published_at(ps, &c.period))
                .is_some();
            visible::shown(public, visible::sees_drafts(&r.viewer, scope))
        })
        .map(|c| c.count)
        .sum())
}

/// Each key with its rating when the viewer sees that very result.
async fn shown(r: &Request, keys: &[ResultKey]) -> ApiResult<Vec<(ResultKey, Option<Rating>)>> {
    let ids = unique(keys.iter().map(|k| k.measure_id));
    let measures: Vec<_> = r
        .rows
        .measure
        .load_many(ids)
        .await
        .map_err(|e| (*e).clone())?
        .into_values()
        .collect();
    let periods = unique(keys.iter().map(|k| k.period));
    let rated = r
        .ratings
        .rate(&r.rows, &measures, &periods)
        .await
        .map_err(|e| (*e).clone())?;
    let mut by_key: HashMap<(i64, Period), Rating> = HashMap::new();
    for (period, ratings) in periods.iter().zip(rated) {
        by_key.extend(ratings.into_iter().map(|x| ((x.measure_id, *period), x)));
    }
    Ok(keys
        .iter()
        .map(|k| {
            let rating = by_key
                .remove(&(k.measure_id, k.period))
                .filter(|x| visible::shows(x, k.id));
            (*k, rating)
        })
        .collect())
}
