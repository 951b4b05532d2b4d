//! The `Targets` sheet: targets travel by a sheet made for them, for those
//! who may set them (OFFICER, ADMIN). It lists the same measures and
//! periods as the results template (the periods each measure reports in,
//! which a target may always take), prefilled with the target and floor
//! that apply there now; sent back through `importResults`, each row sets
//! its period's target and floor to what it says. A row whose target is
//! blank sets nothing.

use actix_web::HttpRequest;
use schema::Session;
use schema::error::ApiError;
use schema::policy::{Verb, allows, measure_scope};

use super::template::{due, percent_rows, plan_number, refuse_none};
use super::{Cell, Sheet};
use crate::state::State;

/// `target` and `floor` are what the upload reads; the context columns
/// between are headed as nothing it reads.
const HEADER: [&str; 8] = [
    "code", "period", "node", "title", "unit", "polarity", "target", "floor",
];
const WIDTHS: [f64; 8] = [10.0, 12.0, 28.0, 60.0, 10.0, 18.0, 12.0, 12.0];
const TARGET: usize = 6;

pub async fn sheets(
    state: &State,
    req: &HttpRequest,
    session: &Session,
    plan_id: &str,
    period: &str,
) -> Result<Vec<Sheet>, ApiError> {
    let plan = plan_number(plan_id)?;
    // Whoever may set a measure's target may submit its results: the
    // measures the upload would take, narrowed to those.
    let mine: Vec<i64> = schema::service::sheet::submittable(&state.db, &session.viewer, plan)
        .await?
        .iter()
        .filter(|m| allows(&session.viewer, Verb::SetTarget, Some(measure_scope(m))))
        .map(|m| m.id)
        .collect();
    if mine.is_empty() {
        return Err(refuse_none(&session.viewer, "set targets for"));
    }
    let due = due(state, req, session, plan_id, period, &mine).await?;
    let percent = percent_rows(&due);
    let rows = due
        .into_iter()
        .map(|d| {
            let mut row = d.leading;
            row.extend([Cell::number(&d.target), Cell::number(&d.floor)]);
            row
        })
        .collect();
    Ok(vec![Sheet {
        name: "Targets",
        header: HEADER.iter().map(|h| (*h).to_owned()).collect(),
        widths: WIDTHS.to_vec(),
        rows,
        percent: Some((TARGET, percent)),
    }])
}
