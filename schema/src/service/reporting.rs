//! A reporting cycle: targets, results and publication.

use async_graphql::ID;
use entity::Period;
use entity::model::{measure, plan, result};
use entity::rules::floor_fits;

use super::guard::{guarded, scope};
use super::validate::{self, MAX_ITEMS, MAX_TEXT};
use crate::archive::is_live;
use crate::error::{ApiError, ApiResult};
use crate::inputs::{SetTargetInput, SubmitResultInput};
use crate::policy::{Verb, Viewer, authorize, authorize_somewhere, measure_scope};
use crate::store;
use crate::store::write::Write;

/// The plans of some measures, by id, in one statement.
async fn plans_of(w: &Write, measures: &[&measure::Model]) -> ApiResult<Vec<plan::Model>> {
    let ids: Vec<i64> = measures.iter().map(|m| m.plan_id).collect();
    store::by_ids::<plan::Entity>(&w.txn, &ids).await
}

/// A period-keyed input may only be about a live measure of a live plan,
/// within the plan's years.
fn in_plan<'p>(m: &measure::Model, plans: &'p [plan::Model], period: Period) -> ApiResult<&'p plan::Model> {
    let p = plans
        .iter()
        .find(|p| p.id == m.plan_id)
        .ok_or_else(|| ApiError::internal("a measure without its plan"))?;
    if !is_live(m) || !is_live(p) {
        return Err(ApiError::BadUserInput(format!("measure {} is archived", m.code)));
    }
    validate::in_span(period, p.from_year, p.to_year)?;
    Ok(p)
}

/// The measure a period-keyed input is about, once the viewer may `verb`
/// on it and the period lies in its plan's years.
pub(super) async fn measure_in_period(
    w: &Write,
    viewer: &Viewer,
    verb: Verb,
    measure_id: &ID,
    period: Period,
) -> ApiResult<measure::Model> {
    let m = guarded::<measure::Entity>(w, viewer, verb, measure_id, "measure", measure_scope).await?;
    in_plan(&m, &plans_of(w, &[&m]).await?, period)?;
    Ok(m)
}

/// The measures a batch of rows names, once the viewer may `verb` on every
/// one (each row the viewer may not write is refused before any row is
/// checked), with their plans: two statements for the whole batch.
async fn measures_of_rows<'i>(
    w: &Write,
    viewer: &Viewer,
    verb: Verb,
    ids: impl Iterator<Item = &'i ID>,
    locate: &impl Fn(usize, ApiError) -> ApiError,
) -> ApiResult<(Vec<Option<measure::Model>>, Vec<plan::Model>)> {
    authorize_somewhere(viewer, verb)?;
    let ids: Vec<Option<i64>> = ids.map(|id| id.parse::<i64>().ok()).collect();
    let wanted: Vec<i64> = ids.iter().flatten().copied().collect();
    let measures = store::by_ids::<measure::Entity>(&w.txn, &wanted).await?;
    let found: Vec<Option<measure::Model>> = ids
        .iter()
        .map(|id| id.and_then(|id| measures.iter().find(|m| m.id == id).cloned()))
        .collect();
    for (i, m) in found.iter().enumerate() {
        if let Some(m) = m {
            authorize(viewer, verb, Some(measure_scope(m))).map_err(|e| locate(i, e))?;
        }
    }
    let plans = plans_of(w, &measures.iter().collect::<Vec<_>>()).await?;
    Ok((found, plans))
}

fn named<'m>(m: &'m Option<measure::Model>, id: &ID) -> ApiResult<&'m measure::Model> {
    m.as_ref()
        .ok_or_else(|| ApiError::BadUserInput(format!("no measure {}", id.as_str())))
}

/// Sets targets (and floors), all or nothing; `locate` names the input a
/// refusal concerns (`setTarget` sets one; an import sets many).
pub async fn set_targets(
    w: &Write,
    viewer: &Viewer,
    inputs: &[SetTargetInput],
    locate: impl Fn(usize, ApiError) -> ApiError,
) -> ApiResult<Vec<measure::Model>> {
    let (found, plans) = measures_of_rows(
        w,
        viewer,
        Verb::SetTarget,
        inputs.iter().map(|i| &i.measure_id),
        &locate,
    )
    .await?;
    let mut items = Vec::with_capacity(inputs.len());
    for (i, (input, m)) in inputs.iter().zip(&found).enumerate() {
        let check = || -> ApiResult<store::reporting::NewTarget<'_>> {
            let m = named(m, &input.measure_id)?;
            in_plan(m, &plans, input.period)?;
            validate::target_period(input.period, m.frequency.period_kind())?;
            let value = validate::number("target", input.target)?;
            let floor = input.floor.map(|f| validate::number("floor", f)).transpose()?;
            if let Some(f) = floor
                && !floor_fits(m.polarity, value.0, f.0)
            {
                return Err(ApiError::BadUserInput(format!(
                    "the floor {f} is on the wrong side of the target {value} for a {:?} measure",
                    m.polarity
                )));
            }
            Ok(store::reporting::NewTarget {
                measure: m,
                period: input.period,
                target: value,
                floor,
            })
        };
        items.push(check().map_err(|e| locate(i, e))?);
    }
    store::reporting::set_targets(w, &items).await?;
    Ok(found.into_iter().flatten().collect())
}

/// Stores results all or nothing; `locate` names the input a refusal
/// concerns (`submitResults` names it by its index).
pub async fn submit_results(
    w: &Write,
    viewer: &Viewer,
    inputs: &[SubmitResultInput],
    locate: impl Fn(usize, ApiError) -> ApiError,
) -> ApiResult<Vec<result::Model>> {
    let (found, plans) = measures_of_rows(
        w,
        viewer,
        Verb::SubmitResult,
        inputs.iter().map(|i| &i.measure_id),
        &locate,
    )
    .await?;
    if inputs.is_empty() || inputs.len() > MAX_ITEMS {
        return Err(ApiError::BadUserInput(format!(
            "submit 1 to {MAX_ITEMS} results at once"
        )));
    }
    let mut items = Vec::with_capacity(inputs.len());
    for (i, (input, m)) in inputs.iter().zip(&found).enumerate() {
        let check = || -> ApiResult<store::reporting::NewResult<'_>> {
            let m = named(m, &input.measure_id)?;
            in_plan(m, &plans, input.period)?;
            validate::reporting_period(input.period, m.frequency.period_kind())?;
            if inputs[..i]
                .iter()
                .any(|e| e.measure_id == input.measure_id && e.period == input.period)
            {
                return Err(ApiError::BadUserInput(
                    "the same measure and period appear twice".to_owned(),
                ));
            }
            Ok(store::reporting::NewResult {
                measure: m,
                period: input.period,
                value: validate::number("value", input.value)?,
                note: validate::optional_text("note", input.note.as_deref(), MAX_TEXT)?,
                expected_version: input.expected_version,
            })
        };
        items.push(check().map_err(|e| locate(i, e))?);
    }
    store::reporting::submit_results(w, &items).await
}

pub async fn publish_period(
    w: &Write,
    viewer: &Viewer,
    plan_id: &ID,
    period: Period,
) -> ApiResult<plan::Model> {
    let p = guarded::<plan::Entity>(w, viewer, Verb::PublishPeriod, plan_id, "plan", |p| {
        scope(p.authority_id)
    })
    .await?;
    validate::in_span(period, p.from_year, p.to_year)?;
    store::reporting::publish(w, &p, period).await?;
    Ok(p)
}

/// Sets when a plan's results for a period are due: the people who close a
/// reporting cycle (they publish it) set its deadline.
pub async fn set_deadline(
    w: &Write,
    viewer: &Viewer,
    plan_id: &ID,
    period: Period,
    due_on: chrono::NaiveDate,
) -> ApiResult<plan::Model> {
    let p = guarded::<plan::Entity>(w, viewer, Verb::PublishPeriod, plan_id, "plan", |p| {
        scope(p.authority_id)
    })
    .await?;
    validate::in_span(period, p.from_year, p.to_year)?;
    store::deadlines::set(w, &p, period, due_on).await?;
    Ok(p)
}
