//! The results feed: stored results in id order, as the viewer may see
//! them, paged by keyset. The store pages rows by id (so a walk sees every
//! row once, whatever is written meanwhile); visibility and status are the
//! read model's, decided by rating each fetched chunk: a row shows when its
//! rating shows that very result, and matches `status` when it is rated so.

use std::collections::HashMap;
use std::future::Future;

use async_graphql::futures_util::future::join_all;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use entity::model::measure;
use entity::rules::published_at;
use entity::{Period, RagStatus};

use super::rated::Rating;
use super::visible;
use crate::archive::is_live;
use crate::context::Request;
use crate::error::{ApiError, ApiResult};
use crate::policy;
use crate::store::feeds::{self, ResultKey, ResultScope};
use crate::store::measures::{self, MeasureKey, MeasureOrder, MeasureScope};
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
    numbered(RESULT, c)
}

/// The number a cursor `cursor(tag, n)` holds.
pub fn numbered(tag: &str, c: &str) -> ApiResult<i64> {
    uncursor(tag, c)?
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
    let after = args.after.as_deref().map(result_id).transpose()?;
    let before = args.before.as_deref().map(result_id).transpose()?;
    scan(
        args,
        after,
        before,
        |after, before, backward, limit| {
            feeds::result_keys(r.reader(), &q.scope, after, before, backward, limit)
        },
        |keys: Vec<ResultKey>| async move { kept(r, q.status, &keys).await },
        |k: &ResultKey| k.id,
        |id: &i64| result_cursor(*id),
    )
    .await
}

/// One page of a connection paged by keyset. `fetch(after, before,
/// backward, limit)` reads up to `limit` keys strictly between the bounds,
/// in the connection's order (from the end when `backward`); `keep` decides
/// for each key of a chunk what it shows, if anything (visibility, a
/// status); `bound` is the position a key holds, and `cursor` writes one.
/// A bound is a value, not an offset, so a walk sees every row once,
/// whatever is written meanwhile.
pub async fn scan<K: Clone, B: Clone, T, Fetched, Kept>(
    args: &PageArgs,
    mut after: Option<B>,
    mut before: Option<B>,
    fetch: impl Fn(Option<B>, Option<B>, bool, u64) -> Fetched,
    keep: impl Fn(Vec<K>) -> Kept,
    bound: impl Fn(&K) -> B,
    cursor: impl Fn(&B) -> String,
) -> ApiResult<Page<T>>
where
    Fetched: Future<Output = ApiResult<Vec<K>>>,
    Kept: Future<Output = ApiResult<Vec<Option<T>>>>,
{
    let (n, backward) = args.size()?;
    let mut items: Vec<(String, T)> = Vec::with_capacity(n);
    let (mut more, mut scanned, mut last_scanned) = (false, 0, None);
    // Start with what the page needs and grow: a sparse filter reads more.
    let mut chunk = u64::try_from(n + 1).unwrap_or(MAX_CHUNK).min(MAX_CHUNK);
    'scan: loop {
        let keys = fetch(after.clone(), before.clone(), backward, chunk).await?;
        let exhausted = (keys.len() as u64) < chunk;
        scanned += keys.len();
        for (key, item) in keys.iter().zip(keep(keys.clone()).await?) {
            last_scanned = Some(bound(key));
            let Some(item) = item else {
                continue;
            };
            if items.len() == n {
                more = true;
                break 'scan;
            }
            items.push((cursor(&bound(key)), item));
        }
        if exhausted {
            break;
        }
        if scanned >= MAX_SCANNED {
            more = true;
            break;
        }
        match (backward, keys.last()) {
            (true, Some(k)) => before = Some(bound(k)),
            (false, Some(k)) => after = Some(bound(k)),
            _ => break,
        }
        chunk = (chunk * 2).min(MAX_CHUNK);
    }
    // Cut short by the scan bound, a page ends where the scan stopped, so
    // the next page goes on from there.
    let edge_end = if more && items.len() < n {
        last_scanned.as_ref().map(&cursor)
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

/// How many keys `keep` keeps, read in chunks of `fetch` (as [`scan`]
/// takes them) from the start: a count that depends on rating every row.
pub async fn count_kept<K: Clone, B, T, Fetched, Kept>(
    fetch: impl Fn(Option<B>, Option<B>, bool, u64) -> Fetched,
    keep: impl Fn(Vec<K>) -> Kept,
    bound: impl Fn(&K) -> B,
) -> ApiResult<i64>
where
    Fetched: Future<Output = ApiResult<Vec<K>>>,
    Kept: Future<Output = ApiResult<Vec<Option<T>>>>,
{
    let (mut total, mut after) = (0, None);
    loop {
        let keys = fetch(after.take(), None, false, MAX_CHUNK).await?;
        total += keep(keys.clone()).await?.iter().filter(|k| k.is_some()).count() as i64;
        match keys.last() {
            Some(k) if keys.len() as u64 == MAX_CHUNK => after = Some(bound(k)),
            _ => return Ok(total),
        }
    }
}

/// How many results the feed holds for the viewer. Without a status, one
/// grouped count and the publications of the plans it names; with one,
/// every matching result is rated, in chunks.
pub async fn results_count(r: &Request, q: &ResultQuery) -> ApiResult<i64> {
    if q.status.is_some() {
        return count_kept(
            |after, _, _, limit| feeds::result_keys(r.reader(), &q.scope, after, None, false, limit),
            |keys: Vec<ResultKey>| async move { kept(r, q.status, &keys).await },
            |k: &ResultKey| k.id,
        )
        .await;
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

/// Each key's rating when the viewer sees that very result, rated
/// `status` if one is asked.
async fn kept(r: &Request, status: Option<RagStatus>, keys: &[ResultKey]) -> ApiResult<Vec<Option<Rating>>> {
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
            by_key
                .remove(&(k.measure_id, k.period))
                .filter(|x| visible::shows(x, k.id) && status.is_none_or(|s| x.rated.status == s))
        })
        .collect())
}

/// A measures filter with its names resolved, and its order.
#[derive(Clone, Debug)]
pub struct MeasureQuery {
    pub scope: MeasureScope,
    pub order: MeasureOrder,
    /// Measures rated one of these in the period, as the viewer sees them.
    pub status: Option<(Vec<RagStatus>, Period)>,
}

impl MeasureQuery {
    /// Cursors name their order, so that one order's cursor is refused by
    /// another (its key would name no place in it).
    fn tag(&self) -> String {
        let dir = if self.order.descending { "desc" } else { "asc" };
        format!("measure:{:?}:{dir}", self.order.sort)
    }

    fn cursor(&self, key: &MeasureKey) -> String {
        cursor(&self.tag(), &serde_json::to_string(key).unwrap_or_default())
    }

    fn key(&self, c: &str) -> ApiResult<MeasureKey> {
        let text = uncursor(&self.tag(), c)?;
        serde_json::from_str(&text)
            .map_err(|_| ApiError::BadUserInput(format!("`{c}` is not a cursor of this connection")))
    }

    async fn keys(
        &self,
        r: &Request,
        after: Option<&MeasureKey>,
        before: Option<&MeasureKey>,
        backward: bool,
        limit: u64,
    ) -> ApiResult<Vec<MeasureKey>> {
        measures::measure_keys(
            r.reader(),
            &self.scope,
            self.order,
            after,
            before,
            backward,
            limit,
        )
        .await
    }

    /// Each key's measure, when it is still live and, if a status is asked,
    /// rated so for the viewer: the public reads no status of an
    /// unpublished period.
    async fn kept(&self, r: &Request, keys: &[MeasureKey]) -> ApiResult<Vec<Option<measure::Model>>> {
        let mut by_id = r
            .rows
            .measure
            .load_many(keys.iter().map(|k| k.id))
            .await
            .map_err(|e| (*e).clone())?;
        let statuses: Option<HashMap<i64, RagStatus>> = match &self.status {
            None => None,
            Some((_, period)) => {
                let measures: Vec<_> = by_id.values().cloned().collect();
                let rated = r
                    .ratings
                    .rate(&r.rows, &measures, std::slice::from_ref(period))
                    .await
                    .map_err(|e| (*e).clone())?;
                Some(
                    rated
                        .into_iter()
                        .flatten()
                        .map(|x| (x.measure_id, x.rated.status))
                        .collect(),
                )
            }
        };
        Ok(keys
            .iter()
            .map(|k| {
                let m = by_id.remove(&k.id).filter(is_live)?;
                match (&self.status, &statuses) {
                    (Some((wanted, _)), Some(rated)) => {
                        rated.get(&k.id).is_some_and(|s| wanted.contains(s)).then_some(m)
                    }
                    _ => Some(m),
                }
            })
            .collect())
    }
}

/// A page of the measures list.
pub async fn measures(r: &Request, q: &MeasureQuery, args: &PageArgs) -> ApiResult<Page<measure::Model>> {
    let after = args.after.as_deref().map(|c| q.key(c)).transpose()?;
    let before = args.before.as_deref().map(|c| q.key(c)).transpose()?;
    scan(
        args,
        after,
        before,
        |after, before, backward, limit| async move {
            q.keys(r, after.as_ref(), before.as_ref(), backward, limit).await
        },
        |keys: Vec<MeasureKey>| async move { q.kept(r, &keys).await },
        MeasureKey::clone,
        |k: &MeasureKey| q.cursor(k),
    )
    .await
}

/// How many measures the list holds for the viewer: one count, or with a
/// status every measure rated, in chunks.
pub async fn measures_count(r: &Request, q: &MeasureQuery) -> ApiResult<i64> {
    if q.status.is_none() {
        return measures::measure_count(r.reader(), &q.scope).await;
    }
    count_kept(
        |after: Option<MeasureKey>, _, _, limit| async move {
            q.keys(r, after.as_ref(), None, false, limit).await
        },
        |keys: Vec<MeasureKey>| async move { q.kept(r, &keys).await },
        MeasureKey::clone,
    )
    .await
}

/// A page of a list read whole (a result's or a commentary's versions),
/// ordered by a number that falls from first to last (a version, newest
/// first): a cursor names that number, so a page goes on from the same
/// item however many are added meanwhile.
pub async fn page_list<T: Clone>(
    tag: &str,
    items: &[T],
    key: impl Fn(&T) -> i64,
    args: &PageArgs,
) -> ApiResult<Page<T>> {
    let after = args.after.as_deref().map(|c| numbered(tag, c)).transpose()?;
    let before = args.before.as_deref().map(|c| numbered(tag, c)).transpose()?;
    scan(
        args,
        after,
        before,
        |after: Option<i64>, before: Option<i64>, backward, limit| {
            let within = items
                .iter()
                .filter(|t| after.is_none_or(|a| key(t) < a) && before.is_none_or(|b| key(t) > b));
            let limit = usize::try_from(limit).unwrap_or(usize::MAX);
            std::future::ready(Ok(if backward {
                within.rev().take(limit).cloned().collect()
            } else {
                within.take(limit).cloned().collect()
            }))
        },
        |ts: Vec<T>| std::future::ready(Ok(ts.into_iter().map(Some).collect())),
        &key,
        |k: &i64| cursor(tag, &k.to_string()),
    )
    .await
}
