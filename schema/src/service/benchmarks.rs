//! Benchmarking's writes: national metrics and their reference values, which
//! a PLATFORM_ADMIN loads, and comparison groups, which a council's ADMIN
//! may make for their own council (its nearest neighbours, say).

use std::collections::{HashMap, HashSet};

use entity::benchmark::{is_reserved, linkable};
use entity::model::{authority, comparison_group, comparison_group_member, measure, metric, metric_value};
use entity::{ComparisonGroupKind, Period};
use sea_orm::ActiveValue::Set;

use super::guard::{at_row, scope};
use super::validate::{self, MAX_ITEMS, MAX_NAME, MAX_TEXT, MAX_TITLE};
use crate::error::{ApiError, ApiResult};
use crate::inputs::{CreateComparisonGroupInput, CreateMetricInput, MetricValueInput};
use crate::policy::{Verb, Viewer, authorize, authorize_somewhere};
use crate::store::benchmarks as store;
use crate::store::unique;
use crate::store::write::{Upsert, Write};

pub async fn create_metric(w: &Write, viewer: &Viewer, input: CreateMetricInput) -> ApiResult<metric::Model> {
    authorize(viewer, Verb::ManageNational, None)?;
    let code = validate::code(&input.code)?;
    if !store::metrics_by_code(&w.txn, std::slice::from_ref(&code))
        .await?
        .is_empty()
    {
        return Err(ApiError::Conflict(format!("a metric `{code}` exists already")));
    }
    let row = metric::ActiveModel {
        code: Set(code),
        title: Set(validate::text("title", &input.title, MAX_TITLE)?),
        unit: Set(input.unit),
        polarity: Set(input.polarity),
        frequency: Set(input.frequency),
        source: Set(validate::optional_text(
            "source",
            input.source.as_deref(),
            MAX_TEXT,
        )?),
        created_at: Set(w.now),
        ..Default::default()
    };
    w.create("createMetric", "metric", row).await
}

/// The metric a measure is to be linked to, refused unless the measure
/// counts in its unit and reports as often or more often.
pub(super) async fn metric_for(
    w: &Write,
    code: &str,
    m: (entity::Unit, entity::Frequency),
) -> ApiResult<i64> {
    let found = store::metrics_by_code(&w.txn, &[code.to_owned()]).await?;
    let metric = found
        .first()
        .ok_or_else(|| ApiError::BadUserInput(format!("metricCode: no metric `{code}`")))?;
    linkable(m, (metric.unit, metric.frequency))
        .map_err(|why| ApiError::BadUserInput(format!("metricCode `{code}`: {why}")))?;
    Ok(metric.id)
}

/// A measure's link checked again after an edit of its unit.
pub(super) async fn check_link(w: &Write, m: &measure::Model) -> ApiResult<()> {
    let Some(id) = m.metric_id else {
        return Ok(());
    };
    let metric = crate::store::by_ids::<metric::Entity>(&w.txn, &[id])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("a measure's metric vanished"))?;
    linkable((m.unit, m.frequency), (metric.unit, metric.frequency))
        .map_err(|why| ApiError::BadUserInput(format!("the measure is linked to `{}`: {why}", metric.code)))
}

/// Loads reference values, each replacing the one loaded before for its
/// metric, authority and period; all or nothing. Answers how many were set.
pub async fn set_metric_values(
    w: &Write,
    viewer: &Viewer,
    input: &[MetricValueInput],
    locate: impl Fn(usize, ApiError) -> ApiError,
) -> ApiResult<usize> {
    authorize(viewer, Verb::ManageNational, None)?;
    if input.len() > MAX_ITEMS {
        return Err(ApiError::BadUserInput(format!(
            "at most {MAX_ITEMS} values at once"
        )));
    }
    let codes: Vec<String> = unique(input.iter().map(|v| v.metric_code.clone()));
    let slugs: Vec<String> = unique(input.iter().map(|v| v.authority.clone()));
    let metrics: HashMap<String, metric::Model> = store::metrics_by_code(&w.txn, &codes)
        .await?
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
    let authorities: HashMap<String, authority::Model> = store::authorities_by_slug(&w.txn, &slugs)
        .await?
        .into_iter()
        .map(|a| (a.slug.clone(), a))
        .collect();
    let mut rows = Vec::with_capacity(input.len());
    let mut seen = HashSet::with_capacity(input.len());
    for (i, v) in input.iter().enumerate() {
        let row = (|| {
            let m = metrics.get(&v.metric_code).ok_or_else(|| {
                ApiError::invalid("metricCode", format!("metricCode: no metric `{}`", v.metric_code))
            })?;
            let a = authorities.get(&v.authority).ok_or_else(|| {
                ApiError::invalid("authority", format!("authority: no authority `{}`", v.authority))
            })?;
            if v.period.kind() != m.frequency.period_kind() {
                return Err(ApiError::invalid(
                    "period",
                    format!(
                        "period {} is not a period of {}, which is {:?}",
                        v.period, m.code, m.frequency
                    ),
                ));
            }
            if !seen.insert((m.id, a.id, v.period)) {
                return Err(ApiError::invalid(
                    "period",
                    format!("{} of {} in {} is given twice", m.code, a.slug, v.period),
                ));
            }
            Ok((m.id, a.id, v.period, validate::number("value", v.value)?))
        })()
        .map_err(|e| locate(i, e))?;
        rows.push(row);
    }
    let metric_ids: Vec<i64> = unique(rows.iter().map(|r| r.0));
    let periods: Vec<Period> = unique(rows.iter().map(|r| r.2));
    let existing: HashMap<(i64, i64, Period), metric_value::Model> =
        store::reference_values(&w.txn, &metric_ids, &periods)
            .await?
            .into_iter()
            .map(|v| ((v.metric_id, v.authority_id, v.period), v))
            .collect();
    let mut before = Vec::new();
    let mut changed = Vec::new();
    for (metric_id, authority_id, period, value) in rows.iter().copied() {
        let old = existing.get(&(metric_id, authority_id, period));
        if old.is_some_and(|o| o.value == value) {
            continue;
        }
        before.extend(old);
        changed.push(metric_value::ActiveModel {
            metric_id: Set(metric_id),
            authority_id: Set(authority_id),
            period: Set(period),
            value: Set(value),
            set_by: Set(w.actor.clone()),
            set_at: Set(w.now),
            ..Default::default()
        });
    }
    if !changed.is_empty() {
        use metric_value::Column as V;
        w.upsert_many(
            "setMetricValues",
            "metricValue",
            changed,
            &before,
            Upsert {
                key: &[V::MetricId, V::Period, V::AuthorityId],
                columns: &[V::Value, V::SetBy, V::SetAt],
                guard: None,
            },
        )
        .await?;
    }
    Ok(rows.len())
}

/// Makes a nearest-neighbour or custom group. A group owned by a council
/// is its ADMINs' to make; one owned by none, the platform's.
pub async fn create_comparison_group(
    w: &Write,
    viewer: &Viewer,
    input: CreateComparisonGroupInput,
) -> ApiResult<comparison_group::Model> {
    match input.owner {
        Some(_) => authorize_somewhere(viewer, Verb::EditStructure)?,
        None => authorize(viewer, Verb::ManageNational, None)?,
    }
    let owner = match &input.owner {
        Some(slug) => {
            let found = store::authorities_by_slug(&w.txn, std::slice::from_ref(slug)).await?;
            let a = found
                .into_iter()
                .next()
                .ok_or_else(|| ApiError::BadUserInput(format!("owner: no authority `{slug}`")))?;
            authorize(viewer, Verb::EditStructure, Some(scope(a.id)))?;
            Some(a)
        }
        None => None,
    };
    let slug = validate::slug(&input.slug)?;
    if is_reserved(&slug) {
        return Err(ApiError::BadUserInput(format!(
            "slug `{slug}` is reserved for the built-in groups (all, one per authority kind, region-…)"
        )));
    }
    match (input.kind, &owner) {
        (ComparisonGroupKind::NearestNeighbours, None) => {
            return Err(ApiError::BadUserInput(
                "a NEAREST_NEIGHBOURS group names its owner: the council whose neighbours they are"
                    .to_owned(),
            ));
        }
        (ComparisonGroupKind::NearestNeighbours | ComparisonGroupKind::Custom, _) => {}
        (kind, _) => {
            return Err(ApiError::BadUserInput(format!(
                "{kind:?} groups are built in: all, one per authority kind, and one per region (set an authority's region)"
            )));
        }
    }
    let name = validate::text("name", &input.name, MAX_NAME)?;
    if input.members.len() > MAX_ITEMS {
        return Err(ApiError::BadUserInput(format!(
            "a group has at most {MAX_ITEMS} members"
        )));
    }
    let members = store::authorities_by_slug(&w.txn, &input.members).await?;
    let mut ids = Vec::with_capacity(input.members.len());
    for (i, slug) in input.members.iter().enumerate() {
        let a = members.iter().find(|a| &a.slug == slug).ok_or_else(|| {
            at_row(
                i,
                ApiError::invalid("members", format!("members: no authority `{slug}`")),
            )
        })?;
        if ids.contains(&a.id) {
            return Err(at_row(
                i,
                ApiError::invalid("members", format!("members: `{slug}` is listed twice")),
            ));
        }
        if input.kind == ComparisonGroupKind::NearestNeighbours
            && owner.as_ref().is_some_and(|o| o.id == a.id)
        {
            return Err(at_row(
                i,
                ApiError::invalid(
                    "members",
                    format!("members: `{slug}` owns the group, and is not its own neighbour"),
                ),
            ));
        }
        ids.push(a.id);
    }
    if store::group_by_slug(&w.txn, &slug).await?.is_some() {
        return Err(ApiError::Conflict(format!("a group `{slug}` exists already")));
    }
    if let (ComparisonGroupKind::NearestNeighbours, Some(o)) = (input.kind, &owner) {
        let theirs = store::neighbours_of(&w.txn, &[o.id]).await?;
        if let Some(g) = theirs.first() {
            return Err(ApiError::Conflict(format!(
                "{} has its nearest neighbours already: `{}`",
                o.slug, g.slug
            )));
        }
    }
    let group = w
        .create(
            "createComparisonGroup",
            "comparisonGroup",
            comparison_group::ActiveModel {
                slug: Set(slug),
                name: Set(name),
                kind: Set(input.kind),
                owner_id: Set(owner.map(|o| o.id)),
                created_by: Set(w.actor.clone()),
                created_at: Set(w.now),
                ..Default::default()
            },
        )
        .await?;
    let rows = ids
        .into_iter()
        .map(|authority_id| comparison_group_member::ActiveModel {
            group_id: Set(group.id),
            authority_id: Set(authority_id),
            ..Default::default()
        })
        .collect();
    w.create_many("createComparisonGroup", "comparisonGroupMember", rows)
        .await?;
    Ok(group)
}
