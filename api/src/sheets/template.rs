//! The `Results` template: one row per measure the caller may submit in
//! the plan (a PARTNER: its partner's) and per period that measure is due
//! at in the period asked for, with what a person filling it needs beside
//! the empty `value` and `note` (and `quality`, `as_at` and `forecast`,
//! which blank leave a result FINAL with no date or forecast).
//!
//! The template is the contract of the upload: filled in and sent back
//! otherwise unchanged, it writes exactly its `value`s and `note`s. So every
//! row names a period its measure takes, and no context column is headed
//! as a column the upload reads (`current target`, not `target`).

use actix_web::HttpRequest;
use entity::{Period, PeriodKind};
use schema::Session;
use schema::error::ApiError;
use schema::policy::Viewer;
use schema::service::validate::in_span;
use serde_json::{Value, json};

use super::{Cell, Sheet, query};
use crate::state::State;

/// Each measure's series over the periods it is due at, from the one
/// before the first (for the previous value): one range per frequency,
/// asked only where the period holds a row of that frequency. A measure
/// answers every alias, and only its own frequency's is read.
const QUERY: &str = r#"query($plan: ID!,
  $month: Boolean!, $monthFrom: Period, $monthTo: Period,
  $quarter: Boolean!, $quarterFrom: Period, $quarterTo: Period,
  $year: Boolean!, $yearFrom: Period, $yearTo: Period) {
  plan(id: $plan) { from to measures {
    id code title unit polarity frequency node { title }
    MONTHLY: results(from: $monthFrom, to: $monthTo) @include(if: $month) { ...R }
    QUARTERLY: results(from: $quarterFrom, to: $quarterTo) @include(if: $quarter) { ...R }
    ANNUAL: results(from: $yearFrom, to: $yearTo) @include(if: $year) { ...R } } } }
fragment R on MeasureResult { period value target floor }"#;

/// The frequencies, by their GraphQL name (the aliases above), with the
/// kind of period each reports in and the query's variable prefix.
const FREQUENCIES: [(&str, PeriodKind, &str); 3] = [
    ("MONTHLY", PeriodKind::Month, "month"),
    ("QUARTERLY", PeriodKind::Quarter, "quarter"),
    ("ANNUAL", PeriodKind::Year, "year"),
];

/// Context columns are headed so that the upload, which reads `code`,
/// `period`, `value`, `target`, `floor`, `note`, `quality`, `as_at` and
/// `forecast` by whole header name, never reads them.
const HEADER: [&str; 14] = [
    "code",
    "period",
    "node",
    "title",
    "unit",
    "polarity",
    "previous value",
    "current target",
    "current floor",
    "value",
    "note",
    "quality",
    "as_at",
    "forecast",
];
const WIDTHS: [f64; 14] = [
    10.0, 12.0, 28.0, 60.0, 10.0, 18.0, 14.0, 14.0, 14.0, 12.0, 40.0, 14.0, 12.0, 12.0,
];
const VALUE: usize = 9;

/// One row a sheet for a period lists: a measure at one period it is due at.
pub struct Due {
    /// `code`, `period`, then the measure's `node`, `title`, `unit` and
    /// `polarity`: the cells every sheet of due rows begins with.
    pub leading: Vec<Cell>,
    /// Whether the measure is a percentage, 0 to 100.
    pub percent: bool,
    pub previous_value: Value,
    pub target: Value,
    pub floor: Value,
}

/// The plan's id, as its path names it.
pub fn plan_number(plan_id: &str) -> Result<i64, ApiError> {
    let id = async_graphql::ID(plan_id.to_owned());
    schema::ids::key(schema::ids::Kind::Plan, &id)
        .ok_or_else(|| ApiError::NotFound(format!("plan {plan_id}")))
}

/// Refuses a caller who may act on no measure of the plan.
pub fn refuse_none(viewer: &Viewer, what: &str) -> ApiError {
    match viewer {
        Viewer::Anonymous => ApiError::Unauthenticated,
        _ => ApiError::Forbidden(format!("you may {what} no measure of this plan")),
    }
}

pub async fn sheets(
    state: &State,
    req: &HttpRequest,
    session: &Session,
    plan_id: &str,
    period: &str,
) -> Result<Vec<Sheet>, ApiError> {
    let plan = plan_number(plan_id)?;
    let mine = schema::service::sheet::submittable(&state.db, &session.viewer, plan).await?;
    if mine.is_empty() {
        return Err(refuse_none(&session.viewer, "submit"));
    }
    let ids: Vec<i64> = mine.iter().map(|m| m.id).collect();
    let due = due(state, req, session, plan_id, period, &ids).await?;
    let percent = percent_rows(&due);
    let rows = due
        .into_iter()
        .map(|d| {
            let mut row = d.leading;
            row.extend([
                Cell::number(&d.previous_value),
                Cell::number(&d.target),
                Cell::number(&d.floor),
                Cell::Empty,
                Cell::Empty,
                // Blank: FINAL, no date, no forecast.
                Cell::Empty,
                Cell::Empty,
                Cell::Empty,
            ]);
            row
        })
        .collect();
    Ok(vec![Sheet {
        name: "Results",
        header: HEADER.iter().map(|h| (*h).to_owned()).collect(),
        widths: WIDTHS.to_vec(),
        rows,
        percent: Some((VALUE, percent)),
    }])
}

/// The rows (by index) of percentage measures.
pub fn percent_rows(due: &[Due]) -> Vec<usize> {
    due.iter()
        .enumerate()
        .filter_map(|(i, d)| d.percent.then_some(i))
        .collect()
}

/// Every period each measure of `allowed` is due at in `period` (see
/// [`Period::ending_within`]) and within the plan's years, in reporting
/// order, with that period's own target and floor and the previous
/// period's value, read as the caller.
pub async fn due(
    state: &State,
    req: &HttpRequest,
    session: &Session,
    plan_id: &str,
    period: &str,
    allowed: &[i64],
) -> Result<Vec<Due>, ApiError> {
    let asked: Period = period
        .parse()
        .map_err(|_| ApiError::BadRequest(format!("`{period}` is not a period")))?;
    let mut variables = json!({ "plan": plan_id });
    for (_, kind, name) in FREQUENCIES {
        let periods = asked.ending_within(kind);
        let (first, last) = (periods.first(), periods.last());
        variables[name] = json!(first.is_some());
        variables[format!("{name}From")] = json!(first.map(|p| p.previous().unwrap_or(*p)));
        variables[format!("{name}To")] = json!(last);
    }
    let d = query(state, req, session.clone(), QUERY, variables).await?;
    let plan = &d["plan"];
    let year = |k: &str| plan[k].as_str().and_then(|p| p.parse::<Period>().ok());
    let (from, to) = (year("from"), year("to"));
    let mut out = Vec::new();
    for m in plan["measures"].as_array().into_iter().flatten() {
        let id = m["id"]
            .as_str()
            .and_then(|i| schema::ids::key(schema::ids::Kind::Measure, &async_graphql::ID(i.to_owned())));
        if !id.is_some_and(|id| allowed.contains(&id)) {
            continue;
        }
        let Some((frequency, kind, _)) = FREQUENCIES.iter().find(|(f, ..)| m["frequency"] == *f) else {
            continue;
        };
        let series = m[*frequency].as_array().map_or(&[][..], Vec::as_slice);
        let at = |p: Period, field: &str| {
            let p = p.to_string();
            series
                .iter()
                .find(|r| r["period"] == p.as_str())
                .map_or(Value::Null, |r| r[field].clone())
        };
        for p in asked.ending_within(*kind) {
            if in_span(p, from, to).is_err() {
                continue;
            }
            out.push(Due {
                leading: vec![
                    Cell::text(&m["code"]),
                    Cell::Text(p.to_string()),
                    Cell::text(&m["node"]["title"]),
                    Cell::text(&m["title"]),
                    Cell::text(&m["unit"]),
                    Cell::text(&m["polarity"]),
                ],
                percent: m["unit"] == "PERCENT",
                previous_value: p.previous().map_or(Value::Null, |q| at(q, "value")),
                target: at(p, "target"),
                floor: at(p, "floor"),
            });
        }
    }
    Ok(out)
}
