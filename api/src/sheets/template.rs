//! The `Results` template: one row per measure the caller may submit in
//! the plan (a PARTNER: its partner's), with what a person filling it needs
//! beside the empty `value` and `note`.

use actix_web::HttpRequest;
use schema::Session;
use schema::error::ApiError;
use serde_json::{Value, json};

use super::{Cell, Sheet, query};
use crate::state::State;

/// The previous value is the previous period's result: the period being
/// filled in has none yet, so its own `previousValue` would be empty.
const QUERY: &str = r#"query($plan: ID!, $period: Period!, $previous: Period!) { plan(id: $plan) { measures {
  id code title unit polarity node { title }
  result(period: $period) { target floor } previous: result(period: $previous) { value } } } }"#;

/// The columns `importResults` reads are `code`, `period`, `value`, `note`;
/// the rest are context and are ignored on the way back in.
const HEADER: [&str; 11] = [
    "code",
    "period",
    "node",
    "title",
    "unit",
    "polarity",
    "previous value",
    "target",
    "floor",
    "value",
    "note",
];
const WIDTHS: [f64; 11] = [10.0, 12.0, 28.0, 60.0, 10.0, 18.0, 14.0, 10.0, 10.0, 12.0, 40.0];
const VALUE: usize = 9;

pub async fn sheets(
    state: &State,
    req: &HttpRequest,
    session: &Session,
    plan_id: &str,
    period: &str,
) -> Result<Vec<Sheet>, ApiError> {
    let plan: i64 = plan_id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("plan {plan_id}")))?;
    let mine = schema::service::sheet::submittable(&state.db, &session.viewer, plan).await?;
    if mine.is_empty() {
        return Err(match session.viewer {
            schema::policy::Viewer::Anonymous => ApiError::Unauthenticated,
            _ => ApiError::Forbidden("you may submit no measure of this plan".to_owned()),
        });
    }
    let bad_period = || ApiError::BadRequest(format!("`{period}` is not a period"));
    let previous = period
        .parse::<entity::Period>()
        .map_err(|_| bad_period())?
        .previous()
        .ok_or_else(bad_period)?;
    let variables = json!({ "plan": plan_id, "period": period, "previous": previous.to_string() });
    let d = query(state, req, session.clone(), QUERY, variables).await?;
    let measures = d["plan"]["measures"].as_array().cloned().unwrap_or_default();
    let mut rows = Vec::new();
    let mut percent = Vec::new();
    for m in measures {
        let id: Option<i64> = m["id"].as_str().and_then(|i| i.parse().ok());
        if !mine.iter().any(|x| Some(x.id) == id) {
            continue;
        }
        let r: &Value = &m["result"];
        if m["unit"] == "PERCENT" {
            percent.push(rows.len());
        }
        rows.push(vec![
            Cell::text(&m["code"]),
            Cell::Text(period.to_owned()),
            Cell::text(&m["node"]["title"]),
            Cell::text(&m["title"]),
            Cell::text(&m["unit"]),
            Cell::text(&m["polarity"]),
            Cell::number(&m["previous"]["value"]),
            Cell::number(&r["target"]),
            Cell::number(&r["floor"]),
            Cell::Empty,
            Cell::Empty,
        ]);
    }
    Ok(vec![Sheet {
        name: "Results",
        header: HEADER.iter().map(|h| (*h).to_owned()).collect(),
        widths: WIDTHS.to_vec(),
        rows,
        percent: Some((VALUE, percent)),
    }])
}
