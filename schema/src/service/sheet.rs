//! Importing a results sheet into one plan: each row becomes an input of
//! `submitResults` (a `value`, with its `note`) or of `setTarget` (a
//! `target`, with its `floor`), and the whole sheet is checked by the same
//! use cases as those mutations, in a few statements whatever its length:
//! every bad row is reported, not just the first, and one bad row writes
//! nothing.

use std::collections::HashMap;

use async_graphql::ID;
use chrono::NaiveDate;
use entity::model::{measure, plan};
use entity::{DataQuality, Period};
use sea_orm::ActiveEnum;

use super::import::sheet::{self, SheetRow};
use super::reporting::{Checked, check_results, check_targets};
use crate::archive::is_live;
use crate::error::{ApiError, ApiResult, Code};
use crate::ids::{self, Kind};
use crate::inputs::{SetTargetInput, SubmitResultInput};
use crate::policy::{Verb, Viewer, allows, measure_scope};
use crate::scalars::Date;
use crate::store;
use crate::store::write::Write;
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
    /// The measures and periods written, each once, to rate.
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
    Ok(all.into_iter().filter(|m| may_submit(viewer, m)).collect())
}

fn may_submit(viewer: &Viewer, m: &measure::Model) -> bool {
    is_live(m) && allows(viewer, Verb::SubmitResult, Some(measure_scope(m)))
}

/// The sheet's column for an input field of the use cases.
fn column_of(field: &str) -> Option<&'static str> {
    match field {
        "measureId" => Some("code"),
        f => sheet::COLUMNS.iter().copied().find(|c| *c == f),
    }
}

impl RowError {
    fn new(row: usize, column: &'static str, message: String) -> Self {
        RowError {
            row,
            column: Some(column),
            code: Code::BadUserInput,
            message,
        }
    }

    /// A use case's refusal of the row: its column is the field the error
    /// is about, never a guess from its words.
    fn of(row: usize, e: &ApiError) -> Self {
        RowError {
            row,
            column: e.field().and_then(column_of),
            code: e.code(),
            message: e.unplaced().to_string(),
        }
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
                .ok_or_else(|| RowError::new(r.row, column, format!("`{t}` is not a number")))
        })
        .transpose()
}

/// The one path a sheet takes in, for an upload and for `councilperf
/// import`: checked and written in one transaction, which comes back, not
/// yet committed, when every row passed: the caller rates what it wrote and
/// commits it, or rolls it back for a dry run (dropped, it rolls back too).
///
/// Who may submit here is decided first, by a read of its own, and the file
/// is read next, off the request's worker: an outsider's file is never
/// read, and a heavy sheet holds no writer's place while it is.
pub async fn import_sheet(
    db: &DatabaseConnection,
    viewer: &Viewer,
    plan_id: &ID,
    period: Option<Period>,
    bytes: &[u8],
) -> ApiResult<(SheetOutcome, Option<Write>)> {
    if *viewer == Viewer::Anonymous {
        return Err(ApiError::Unauthenticated);
    }
    let not_found = || ApiError::invalid("planId", format!("no plan {}", plan_id.as_str()));
    let n = ids::key(Kind::Plan, plan_id).ok_or_else(not_found)?;
    let p = store::by_ids::<plan::Entity>(db, &[n])
        .await?
        .pop()
        .ok_or_else(not_found)?;
    let all = store::rows_where_in::<measure::Entity>(db, measure::Column::PlanId, &[p.id], None).await?;
    // A PARTNER acts on its partner's measures, not on the plan, so the
    // question is whether any measure here is the viewer's.
    if !all.iter().any(|m| may_submit(viewer, m)) {
        return Err(ApiError::Forbidden(
            "you may submit no measure of this plan".to_owned(),
        ));
    }
    let rows = sheet::parse(bytes).await?;
    let w = super::begin(db, viewer).await?;
    let out = import_rows(&w, viewer, &all, period, &rows).await?;
    let passed = out.errors.is_empty().then_some(w);
    Ok((out, passed))
}

/// What one row asks for, once its cells read.
struct Wanted {
    row: usize,
    target: Option<SetTargetInput>,
    result: Option<SubmitResultInput>,
}

/// The rows of a sheet into the plan of `all` (its measures), through the
/// use cases, all checked before any is written.
async fn import_rows(
    w: &Write,
    viewer: &Viewer,
    all: &[measure::Model],
    period: Option<Period>,
    rows: &[SheetRow],
) -> ApiResult<SheetOutcome> {
    let mut out = SheetOutcome {
        rows: rows.len(),
        ..SheetOutcome::default()
    };
    let by_code: HashMap<String, &measure::Model> =
        all.iter().map(|m| (m.code.to_ascii_lowercase(), m)).collect();
    let mut wanted = Vec::new();
    for r in rows {
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
        match read_row(&by_code, period, r) {
            Ok(Some(w)) => wanted.push(w),
            Ok(None) => {}
            Err(e) => out.errors.push(e),
        }
    }
    out.errors.extend(repeated_rows(&mut wanted));
    let (targets, target_rows): (Vec<SetTargetInput>, Vec<usize>) = wanted
        .iter_mut()
        .filter_map(|w| w.target.take().map(|t| (t, w.row)))
        .unzip();
    let (results, result_rows): (Vec<SubmitResultInput>, Vec<usize>) = wanted
        .iter_mut()
        .filter_map(|w| w.result.take().map(|r| (r, w.row)))
        .unzip();
    // A sheet of results alone asks nothing of the right to set targets.
    let targets = match targets.is_empty() {
        true => Vec::new(),
        false => refused(check_targets(w, viewer, &targets).await, &target_rows, &mut out)?,
    };
    let results = match results.is_empty() {
        true => Vec::new(),
        false => refused(check_results(w, viewer, &results).await, &result_rows, &mut out)?,
    };
    if !out.errors.is_empty() {
        out.errors.sort_by_key(|e| e.row);
        return Ok(out);
    }
    out.targets = targets.len();
    out.results = results.len();
    let mut written: Vec<(i64, Period)> = targets
        .iter()
        .map(|t| (t.measure.id, t.period))
        .chain(results.iter().map(|r| (r.measure.id, r.period)))
        .collect();
    store::reporting::set_targets(w, &targets).await?;
    store::reporting::submit_results(w, &results).await?;
    written.sort_unstable();
    written.dedup();
    out.written = written;
    Ok(out)
}

/// The rows of a checked batch that passed; those refused go to `out`'s
/// errors by their sheet rows, as do all of them when the viewer may do
/// this nowhere. A failure of the database fails the whole request: it is
/// no fault of a row.
fn refused<T>(checked: ApiResult<Checked<T>>, rows: &[usize], out: &mut SheetOutcome) -> ApiResult<Vec<T>> {
    let checked = match checked {
        Err(e) if e.code() == Code::Forbidden => {
            out.errors.extend(rows.iter().map(|row| RowError::of(*row, &e)));
            return Ok(Vec::new());
        }
        other => other?,
    };
    let mut passed = Vec::new();
    for (r, row) in checked.into_iter().zip(rows) {
        match r {
            Ok(item) => passed.push(item),
            Err(e) => out.errors.push(RowError::of(*row, &e)),
        }
    }
    Ok(passed)
}

/// Rows that give the same measure and period as an earlier row: each named
/// with the row it repeats, and taken out of the batch.
fn repeated_rows(wanted: &mut [Wanted]) -> Vec<RowError> {
    let mut errors = Vec::new();
    let mut seen: HashMap<(bool, String, Period), usize> = HashMap::new();
    for w in wanted {
        for target in [true, false] {
            let key = match target {
                true => w.target.as_ref().map(|t| (t.measure_id.to_string(), t.period)),
                false => w.result.as_ref().map(|r| (r.measure_id.to_string(), r.period)),
            };
            let Some((measure, period)) = key else {
                continue;
            };
            let first = *seen.entry((target, measure, period)).or_insert(w.row);
            if first == w.row {
                continue;
            }
            let what = match target {
                true => {
                    w.target = None;
                    "a target"
                }
                false => {
                    w.result = None;
                    "a value"
                }
            };
            errors.push(RowError::new(
                w.row,
                "code",
                format!(
                    "rows {first} and {} both give {what} for the same measure and period: keep one",
                    w.row
                ),
            ));
        }
    }
    errors
}

/// What a row asks for, or its error; `None` for a row that asks nothing
/// (a template row not filled in yet).
fn read_row(
    by_code: &HashMap<String, &measure::Model>,
    period: Option<Period>,
    r: &SheetRow,
) -> Result<Option<Wanted>, RowError> {
    let code = r
        .get("code")
        .ok_or_else(|| RowError::new(r.row, "code", "no measure code".to_owned()))?;
    let m = by_code
        .get(&code.to_ascii_lowercase())
        .ok_or_else(|| RowError::new(r.row, "code", format!("no measure `{code}` in this plan")))?;
    let period = match r.get("period") {
        Some(t) => t
            .parse::<Period>()
            .map_err(|e| RowError::new(r.row, "period", e.to_string()))?,
        None => period.ok_or_else(|| {
            RowError::new(r.row, "period", "no period in the row or the request".to_owned())
        })?,
    };
    let value = number(r, "value")?;
    let quality = r
        .get("quality")
        .map(|t| {
            DataQuality::try_from_value(&t.trim().to_ascii_uppercase()).map_err(|_| {
                RowError::new(
                    r.row,
                    "quality",
                    format!("`{t}` is not PROVISIONAL, FINAL, REVISED or ESTIMATED"),
                )
            })
        })
        .transpose()?;
    let as_at = r
        .get("as_at")
        .map(|t| {
            NaiveDate::parse_from_str(t.trim(), "%Y-%m-%d")
                .map(Date)
                .map_err(|_| RowError::new(r.row, "as_at", format!("`{t}` is not a date (YYYY-MM-DD)")))
        })
        .transpose()?;
    let forecast = number(r, "forecast")?;
    let target = number(r, "target")?;
    let floor = number(r, "floor")?;
    if target.is_none() && floor.is_some() {
        return Err(RowError::new(
            r.row,
            "floor",
            "a floor needs its target".to_owned(),
        ));
    }
    if value.is_none() && target.is_none() {
        return Ok(None);
    }
    let measure_id = ID(m.id.to_string());
    Ok(Some(Wanted {
        row: r.row,
        target: target.map(|target| SetTargetInput {
            measure_id: measure_id.clone(),
            period,
            target,
            floor,
        }),
        result: value.map(|value| SubmitResultInput {
            measure_id,
            period,
            value,
            note: r.get("note").map(str::to_owned),
            expected_version: None,
            quality,
            as_at,
            forecast,
        }),
    }))
}
