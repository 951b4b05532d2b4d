//! Importing a results sheet into one plan: each row becomes the input of
//! `submitResults` (a `value`) and of `setTarget` (a `target`, with its
//! `floor`), checked by the same use cases in the caller's transaction. The
//! whole sheet is checked before the caller decides to commit: every bad row
//! is reported, not just the first, and one bad row writes nothing.

use async_graphql::ID;
use entity::Period;
use entity::model::{measure, plan};

use super::guard::find;
use super::import::sheet::{self, SheetRow};
use super::reporting::{set_targets, submit_results};
use crate::archive::is_live;
use crate::error::{ApiError, ApiResult, Code};
use crate::inputs::{SetTargetInput, SubmitResultInput};
use crate::policy::{Verb, Viewer, allows, measure_scope};
use crate::store;
use crate::store::write::{Rehearsal, Write};
use sea_orm::DatabaseConnection;

/// A refused row: its number on the sheet, the column at fault when one is.
#[derive(Debug, Clone)]
pub struct RowError {
    pub row: usize,
    pub column: Option<&'static str>,
    pub code: Code,
    pub message: String,
}

/// What a sheet came to; written only when `errors` is empty and the
/// caller commits.
#[derive(Debug, Default)]
pub struct SheetOutcome {
    /// Whether the sheet was written: never on a dry run or with errors.
    pub applied: bool,
    pub rows: usize,
    pub results: usize,
    pub targets: usize,
    pub errors: Vec<RowError>,
    /// The measures and periods written, to rate.
    pub written: Vec<(i64, Period)>,
}

/// The live measures of a plan the viewer may submit results for; the
/// viewer may submit nothing here when this is empty.
pub async fn submittable(
    w: &impl sea_orm::ConnectionTrait,
    viewer: &Viewer,
    plan_id: i64,
) -> ApiResult<Vec<measure::Model>> {
    let all = store::rows_where_in::<measure::Entity>(
        w,
        measure::Column::PlanId,
        &[plan_id],
        Some(measure::Column::Position),
    )
    .await?;
    Ok(all
        .into_iter()
        .filter(|m| is_live(m) && allows(viewer, Verb::SubmitResult, Some(measure_scope(m))))
        .collect())
}

fn row_error(row: usize, e: ApiError) -> RowError {
    let message = match &e {
        ApiError::Forbidden(m) => format!("not allowed: {m}"),
        other => other.to_string(),
    };
    let column = ["value", "target", "floor", "note", "period"]
        .into_iter()
        .find(|c| message.contains(c));
    RowError {
        row,
        column,
        code: e.code(),
        message,
    }
}

/// A number in a cell, or the row's error naming the column.
fn number(r: &SheetRow, column: &'static str) -> Result<Option<f64>, RowError> {
    r.get(column)
        .map(|t| {
            t.replace(',', "")
                .trim_end_matches('%')
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .ok_or_else(|| RowError {
                    row: r.row,
                    column: Some(column),
                    code: Code::BadUserInput,
                    message: format!("`{t}` is not a number"),
                })
        })
        .transpose()
}

/// The one path a sheet takes in, for an upload and for `councilperf
/// import`: one transaction, committed only when every row passed and this
/// is no dry run; otherwise dropped, which rolls it back.
pub async fn import_sheet(
    db: &DatabaseConnection,
    viewer: &Viewer,
    plan_id: &ID,
    period: Option<Period>,
    bytes: &[u8],
    dry_run: bool,
) -> ApiResult<(SheetOutcome, Option<Rehearsal>)> {
    let w = super::begin(db, viewer).await?;
    let mut out = import_results(&w, viewer, plan_id, period, bytes).await?;
    out.applied = !dry_run && out.errors.is_empty();
    if out.applied {
        w.commit().await?;
        return Ok((out, None));
    }
    // A clean dry run keeps its writes readable, to rate them, until the
    // caller drops it.
    let rehearsal = out.errors.is_empty().then(|| w.rehearse());
    Ok((out, rehearsal))
}

/// Imports `bytes` (CSV or XLSX) into the plan through the use cases;
/// refuses the whole request when the viewer may submit nothing in it.
async fn import_results(
    w: &Write,
    viewer: &Viewer,
    plan_id: &ID,
    period: Option<Period>,
    bytes: &[u8],
) -> ApiResult<SheetOutcome> {
    // Permission first: a PARTNER acts on its partner's measures, not on the
    // plan, so the question is whether any measure here is the viewer's.
    let p = find::<plan::Entity>(w, plan_id, "plan").await?;
    let mine = submittable(&w.txn, viewer, p.id).await?;
    if mine.is_empty() {
        return Err(ApiError::Forbidden(
            "you may submit no measure of this plan".to_owned(),
        ));
    }
    let all = store::rows_where_in::<measure::Entity>(&w.txn, measure::Column::PlanId, &[p.id], None).await?;
    let rows = sheet::parse(bytes).await?;
    let mut out = SheetOutcome {
        rows: rows.len(),
        ..SheetOutcome::default()
    };
    for r in &rows {
        if !r.problems.is_empty() {
            out.errors
                .extend(r.problems.iter().map(|(column, message)| RowError {
                    row: r.row,
                    column: *column,
                    code: Code::BadUserInput,
                    message: message.clone(),
                }));
            continue;
        }
        match import_row(w, viewer, &all, period, r, &mut out).await {
            Ok(()) => {}
            // The database failing is no fault of the row: the whole request fails.
            Err(e) if e.code == Code::Unavailable => return Err(ApiError::Unavailable),
            Err(e) if matches!(e.code, Code::Internal | Code::Timeout) => return Err(ApiError::Internal),
            Err(e) => out.errors.push(e),
        }
    }
    Ok(out)
}

async fn import_row(
    w: &Write,
    viewer: &Viewer,
    measures: &[measure::Model],
    period: Option<Period>,
    r: &SheetRow,
    out: &mut SheetOutcome,
) -> Result<(), RowError> {
    let at = |column: &'static str, message: String| RowError {
        row: r.row,
        column: Some(column),
        code: Code::BadUserInput,
        message,
    };
    let code = r
        .get("code")
        .ok_or_else(|| at("code", "no measure code".to_owned()))?;
    let m = measures
        .iter()
        .find(|m| m.code.eq_ignore_ascii_case(code))
        .ok_or_else(|| at("code", format!("no measure `{code}` in this plan")))?;
    let period = match r.get("period") {
        Some(t) => t.parse::<Period>().map_err(|e| at("period", e.to_string()))?,
        None => period.ok_or_else(|| at("period", "no period in the row or the request".to_owned()))?,
    };
    let value = number(r, "value")?;
    let target = number(r, "target")?;
    let floor = number(r, "floor")?;
    // A template row left blank is a measure not reported yet: skipped.
    if value.is_none() && target.is_none() && floor.is_none() {
        return Ok(());
    }
    if let Some(target) = target {
        let input = SetTargetInput {
            measure_id: ID(m.id.to_string()),
            period,
            target,
            floor,
        };
        set_targets(w, viewer, &[input], |_, e| e)
            .await
            .map_err(|e| row_error(r.row, e))?;
        out.targets += 1;
    } else if floor.is_some() {
        return Err(at("floor", "a floor needs its target".to_owned()));
    }
    if let Some(value) = value {
        let input = SubmitResultInput {
            measure_id: ID(m.id.to_string()),
            period,
            value,
            note: r.get("note").map(str::to_owned),
            expected_version: None,
        };
        submit_results(w, viewer, &[input], |_, e| e)
            .await
            .map_err(|e| row_error(r.row, e))?;
        out.results += 1;
    }
    out.written.push((m.id, period));
    Ok(())
}
