//! A reporting cycle: targets, results and publication.

use async_graphql::ID;
use entity::model::{measure, plan, result};
use entity::rules::floor_fits;
use entity::{DataQuality, ForecastMethod, Period};

use super::guard::{guarded, scope};
use super::validate::{self, MAX_ITEMS, MAX_TEXT};
use crate::archive::is_live;
use crate::error::{ApiError, ApiResult, Code};
use crate::ids::{self, Kind};
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
        return Err(ApiError::invalid(
            "measureId",
            format!("measure {} is archived", m.code),
        ));
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

/// The measures a batch of rows names, each as the viewer may `verb` on
/// it or the row's refusal, with their plans: two statements for the whole
/// batch. A viewer who may `verb` nowhere is refused the whole batch.
async fn measures_of_rows<'i>(
    w: &Write,
    viewer: &Viewer,
    verb: Verb,
    ids: impl Iterator<Item = &'i ID>,
) -> ApiResult<(Vec<ApiResult<measure::Model>>, Vec<plan::Model>)> {
    authorize_somewhere(viewer, verb)?;
    let ids: Vec<(&ID, Option<i64>)> = ids.map(|id| (id, ids::key(Kind::Measure, id))).collect();
    let wanted = store::unique(ids.iter().filter_map(|(_, n)| *n));
    let measures = store::by_ids::<measure::Entity>(&w.txn, &wanted).await?;
    let by_id: std::collections::HashMap<i64, &measure::Model> = measures.iter().map(|m| (m.id, m)).collect();
    let found = ids
        .iter()
        .map(|(id, n)| {
            let m = n
                .and_then(|n| by_id.get(&n))
                .ok_or_else(|| ApiError::invalid("measureId", format!("no measure {}", id.as_str())))?;
            authorize(viewer, verb, Some(measure_scope(m)))?;
            Ok((*m).clone())
        })
        .collect();
    let plans = plans_of(w, &measures.iter().collect::<Vec<_>>()).await?;
    Ok((found, plans))
}

/// Each row of a batch checked: what to write, or why the row is refused.
pub type Checked<T> = Vec<ApiResult<T>>;

/// Every row of a checked batch, or its first refusal named by `locate`:
/// a row the viewer may not write before any other mistake, so that a
/// batch never tells an outsider more than that.
fn all_or_first<T>(checked: Checked<T>, locate: impl Fn(usize, ApiError) -> ApiError) -> ApiResult<Vec<T>> {
    let (mut out, mut errors) = (Vec::with_capacity(checked.len()), Vec::new());
    for (i, r) in checked.into_iter().enumerate() {
        match r {
            Ok(item) => out.push(item),
            Err(e) => errors.push((i, e)),
        }
    }
    let first = errors
        .iter()
        .position(|(_, e)| e.code() == Code::Forbidden)
        .unwrap_or(0);
    match errors.into_iter().nth(first) {
        Some((i, e)) => Err(locate(i, e)),
        None => Ok(out),
    }
}

/// The row of a batch that names the same measure and period as an earlier
/// one, by its index.
fn repeats<'i>(keys: impl Iterator<Item = (&'i ID, Period)>) -> Vec<Option<usize>> {
    let mut seen = std::collections::HashMap::new();
    keys.enumerate()
        .map(|(i, (id, period))| {
            // By the measure named: its global id and its number are one.
            let measure = ids::key(Kind::Measure, id).ok_or(id.as_str());
            let first = *seen.entry((measure, period)).or_insert(i);
            (first != i).then_some(first)
        })
        .collect()
}

fn repeated(first: usize) -> ApiError {
    ApiError::invalid(
        "period",
        format!("the same measure and period as row {first}: send each once"),
    )
}

/// An input about a measure in a period.
trait AboutMeasure {
    fn key(&self) -> (&ID, Period);
}

impl AboutMeasure for SetTargetInput {
    fn key(&self) -> (&ID, Period) {
        (&self.measure_id, self.period)
    }
}

impl AboutMeasure for SubmitResultInput {
    fn key(&self) -> (&ID, Period) {
        (&self.measure_id, self.period)
    }
}

/// Checks every row of a batch about a measure in a period: the measure
/// found and the viewer allowed to `verb` on it, the period in its plan's
/// years, then `check`, and no row naming the same measure and period as
/// one before it. A few statements for the whole batch, writing nothing.
async fn check_rows<I: AboutMeasure, T>(
    w: &Write,
    viewer: &Viewer,
    verb: Verb,
    inputs: &[I],
    check: impl Fn(&I, measure::Model) -> ApiResult<T>,
) -> ApiResult<Checked<T>> {
    let (found, plans) = measures_of_rows(w, viewer, verb, inputs.iter().map(|i| i.key().0)).await?;
    let again = repeats(inputs.iter().map(AboutMeasure::key));
    Ok(inputs
        .iter()
        .zip(found)
        .zip(again)
        .map(|((input, m), again)| {
            let m = m?;
            in_plan(&m, &plans, input.key().1)?;
            let item = check(input, m)?;
            again.map_or(Ok(item), |first| Err(repeated(first)))
        })
        .collect())
}

/// Checks every target of a batch (and its floor), writing nothing.
pub async fn check_targets(
    w: &Write,
    viewer: &Viewer,
    inputs: &[SetTargetInput],
) -> ApiResult<Checked<store::reporting::NewTarget>> {
    check_rows(w, viewer, Verb::SetTarget, inputs, |input, m| {
        validate::target_period(input.period, m.frequency.period_kind())?;
        let value = validate::number("target", input.target)?;
        let floor = input.floor.map(|f| validate::number("floor", f)).transpose()?;
        if let Some(f) = floor
            && !floor_fits(m.polarity, value.0, f.0)
        {
            return Err(ApiError::invalid(
                "floor",
                format!(
                    "the floor {f} is on the wrong side of the target {value} for a {:?} measure",
                    m.polarity
                ),
            ));
        }
        Ok(store::reporting::NewTarget {
            measure: m,
            period: input.period,
            target: value,
            floor,
        })
    })
    .await
}

/// Sets targets (and floors), all or nothing; `locate` names the input a
/// refusal concerns (`setTarget` sets one; an import sets many).
pub async fn set_targets(
    w: &Write,
    viewer: &Viewer,
    inputs: &[SetTargetInput],
    locate: impl Fn(usize, ApiError) -> ApiError,
) -> ApiResult<Vec<measure::Model>> {
    let items = all_or_first(check_targets(w, viewer, inputs).await?, locate)?;
    store::reporting::set_targets(w, &items).await?;
    Ok(items.into_iter().map(|t| t.measure).collect())
}

/// Checks every result of a batch, writing nothing.
pub async fn check_results(
    w: &Write,
    viewer: &Viewer,
    inputs: &[SubmitResultInput],
) -> ApiResult<Checked<store::reporting::NewResult>> {
    check_rows(w, viewer, Verb::SubmitResult, inputs, |input, m| {
        validate::reporting_period(input.period, m.frequency.period_kind())?;
        Ok(store::reporting::NewResult {
            period: input.period,
            value: validate::number("value", input.value)?,
            note: validate::optional_text("note", input.note.as_deref(), MAX_TEXT)?,
            expected_version: input.expected_version,
            quality: input.quality.unwrap_or(DataQuality::Final),
            as_at: input.as_at.map(|d| validate::as_at(d.0, w.now)).transpose()?,
            forecast: match input.forecast {
                Some(f) if m.forecast_method == Some(ForecastMethod::Entered) => {
                    Some(validate::number("forecast", f)?)
                }
                Some(_) => {
                    return Err(ApiError::invalid(
                        "forecast",
                        format!(
                            "{} does not take entered forecasts: its forecastMethod is not ENTERED",
                            m.code
                        ),
                    ));
                }
                None => None,
            },
            measure: m,
        })
    })
    .await
}

/// Stores results all or nothing, as many as a mutation takes at once;
/// `locate` names the input a refusal concerns (`submitResults` names it by
/// its index).
pub async fn submit_results(
    w: &Write,
    viewer: &Viewer,
    inputs: &[SubmitResultInput],
    locate: impl Fn(usize, ApiError) -> ApiError,
) -> ApiResult<Vec<result::Model>> {
    authorize_somewhere(viewer, Verb::SubmitResult)?;
    if inputs.is_empty() || inputs.len() > MAX_ITEMS {
        return Err(ApiError::BadUserInput(format!(
            "submit 1 to {MAX_ITEMS} results at once"
        )));
    }
    submit_batch(w, viewer, inputs, locate).await
}

/// Stores any number of results all or nothing: an import's.
pub async fn submit_batch(
    w: &Write,
    viewer: &Viewer,
    inputs: &[SubmitResultInput],
    locate: impl Fn(usize, ApiError) -> ApiError,
) -> ApiResult<Vec<result::Model>> {
    let items = all_or_first(check_results(w, viewer, inputs).await?, locate)?;
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
