//! The quarter's report pack, as the caller may see it (the public:
//! published periods only): `Summary`, `Measures`, `Exceptions`,
//! `Escalations` (Croydon's escalation report, `Plan.escalationReport`).

use actix_web::HttpRequest;
use schema::Session;
use schema::error::ApiError;
use serde_json::{Value, json};

use super::{Cell, Sheet, query};
use crate::state::State;

const BREAKDOWN: [&str; 14] = [
    "total",
    "blue",
    "green",
    "amber",
    "red",
    "noTarget",
    "noData",
    "percentGreen",
    "improving",
    "stable",
    "declining",
    "notComparable",
    "percentImproving",
    "period",
];

const QUERY: &str = r#"query($plan: ID!, $period: Period!) { plan(id: $plan) {
  title breakdown(period: $period) { ...B }
  nodes { code title breakdown(period: $period) { ...B } }
  measures { code title unit polarity kind partner { name } node { code title }
    result(period: $period) { value quality asAt forecast { value status } target floor previousValue definitionChanged status direction
      commentary { body } actionPlans { title open } } }
  exceptions(period: $period) { measure { code title } status value target commentary { body } }
  escalationReport(period: $period) { measure { code title } result { status value target } criteria criteriaMet } } }
fragment B on Breakdown { total blue green amber red noTarget noData percentGreen
  improving stable declining notComparable percentImproving period }"#;

const MEASURES: [&str; 19] = [
    "node",
    "code",
    "title",
    "unit",
    "polarity",
    "kind",
    "partner",
    "target",
    "floor",
    "value",
    "data quality",
    "as at",
    "forecast",
    "forecast status",
    "previous value",
    "status",
    "direction",
    "latest commentary",
    "open actions",
];

fn breakdown_row(name: &Value, b: &Value) -> Vec<Cell> {
    let mut row = vec![Cell::text(name)];
    row.extend(BREAKDOWN.iter().map(|f| match &b[*f] {
        Value::String(s) => Cell::Text(s.clone()),
        v => Cell::number(v),
    }));
    row
}

/// The newest commentary's text, if any (commentary comes oldest first).
fn latest(commentary: &Value) -> Cell {
    commentary
        .as_array()
        .and_then(|c| c.last())
        .map_or(Cell::Empty, |c| Cell::text(&c["body"]))
}

pub async fn sheets(
    state: &State,
    req: &HttpRequest,
    session: Session,
    plan_id: &str,
    period: &str,
) -> Result<Vec<Sheet>, ApiError> {
    let d = query(
        state,
        req,
        session,
        QUERY,
        json!({ "plan": plan_id, "period": period }),
    )
    .await?;
    let plan = &d["plan"];
    if plan.is_null() {
        return Err(ApiError::NotFound(format!("plan {plan_id}")));
    }
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();

    let mut summary = vec![breakdown_row(&plan["title"], &plan["breakdown"])];
    summary.extend(
        list(&plan["nodes"])
            .iter()
            .map(|n| breakdown_row(&n["title"], &n["breakdown"])),
    );
    let mut header = vec!["name".to_owned()];
    header.extend(BREAKDOWN.iter().map(|h| (*h).to_owned()));

    let measures = list(&plan["measures"])
        .iter()
        .map(|m| {
            let r = &m["result"];
            let open: Vec<&str> = r["actionPlans"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter(|p| p["open"] == true)
                        .filter_map(|p| p["title"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            vec![
                Cell::text(&m["node"]["title"]),
                Cell::text(&m["code"]),
                Cell::text(&m["title"]),
                Cell::text(&m["unit"]),
                Cell::text(&m["polarity"]),
                Cell::text(&m["kind"]),
                Cell::text(&m["partner"]["name"]),
                Cell::number(&r["target"]),
                Cell::number(&r["floor"]),
                Cell::number(&r["value"]),
                Cell::text(&r["quality"]),
                Cell::text(&r["asAt"]),
                Cell::number(&r["forecast"]["value"]),
                Cell::text(&r["forecast"]["status"]),
                // Where the value compared with came before a change of
                // definition, the report says so in its place.
                if r["definitionChanged"] == true {
                    Cell::Text("definition changed".to_owned())
                } else {
                    Cell::number(&r["previousValue"])
                },
                Cell::Status(r["status"].as_str().unwrap_or_default().to_owned()),
                Cell::text(&r["direction"]),
                latest(&r["commentary"]),
                if open.is_empty() {
                    Cell::Empty
                } else {
                    Cell::Text(open.join("; "))
                },
            ]
        })
        .collect();

    let exceptions = list(&plan["exceptions"])
        .iter()
        .map(|e| {
            vec![
                Cell::text(&e["measure"]["code"]),
                Cell::text(&e["measure"]["title"]),
                Cell::Status(e["status"].as_str().unwrap_or_default().to_owned()),
                Cell::number(&e["value"]),
                Cell::number(&e["target"]),
                latest(&e["commentary"]),
            ]
        })
        .collect();
    // Croydon's escalation report, as `Plan.escalationReport` orders it.
    let escalations = list(&plan["escalationReport"])
        .iter()
        .map(|e| {
            let criteria: Vec<&str> = e["criteria"]
                .as_array()
                .map(|c| c.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            vec![
                Cell::text(&e["measure"]["code"]),
                Cell::text(&e["measure"]["title"]),
                Cell::Status(e["result"]["status"].as_str().unwrap_or_default().to_owned()),
                Cell::number(&e["result"]["value"]),
                Cell::number(&e["result"]["target"]),
                Cell::number(&e["criteriaMet"]),
                Cell::Text(criteria.join(", ")),
            ]
        })
        .collect();
    let owned = |h: &[&str]| h.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    Ok(vec![
        Sheet {
            name: "Summary",
            widths: std::iter::once(40.0).chain([10.0; 13]).collect(),
            header,
            rows: summary,
            percent: None,
        },
        Sheet {
            name: "Measures",
            header: owned(&MEASURES),
            widths: vec![
                28.0, 10.0, 60.0, 10.0, 18.0, 12.0, 24.0, 10.0, 10.0, 10.0, 14.0, 10.0, 14.0, 60.0, 30.0,
            ],
            rows: measures,
            percent: None,
        },
        Sheet {
            name: "Exceptions",
            header: owned(&["code", "title", "status", "value", "target", "latest commentary"]),
            widths: vec![10.0, 60.0, 10.0, 10.0, 10.0, 60.0],
            rows: exceptions,
            percent: None,
        },
        Sheet {
            name: "Escalations",
            header: owned(&[
                "code",
                "title",
                "status",
                "value",
                "target",
                "criteria met",
                "criteria",
            ]),
            widths: vec![10.0, 60.0, 10.0, 10.0, 10.0, 12.0, 60.0],
            rows: escalations,
            percent: None,
        },
    ])
}
