//! Cumulative measures (issue 27, item 4): a quarter rated against its own
//! target, else its profile's share of the annual target; directions
//! against the same quarter last year; a year answered by its Q4; profiles
//! refused where they mean nothing. And the README's worked example, as
//! the API answers it.

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

const OPERATION: &str = include_str!("../../../schema/operations/cumulative-measure.graphql");
const README: &str = include_str!("../../../README.md");

/// The README's table, row by row: period, value, target, where the target
/// comes from, status, direction, value compared with.
fn readme_rows() -> Vec<Vec<String>> {
    let table = README
        .split_once("<!-- cumulative example: begin -->\n")
        .and_then(|(_, rest)| rest.split_once("<!-- cumulative example: end -->"))
        .expect("README.md has the cumulative example's table")
        .0;
    table
        .lines()
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

fn number(cell: &str) -> Value {
    match cell {
        "none" => Value::Null,
        n => json!(n.parse::<f64>().unwrap()),
    }
}

#[tokio::test]
async fn the_readmes_worked_example_is_what_the_api_answers() {
    let query: String = OPERATION
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        README.contains(&format!("```graphql\n{query}```")),
        "README.md shows schema/operations/cumulative-measure.graphql as it is"
    );
    let rows = readme_rows();
    assert_eq!(rows.len(), 6);
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let d = app
            .data(&query, json!({ "slug": "croydon", "code": "O1.1" }))
            .await
            .unwrap();
        let m = &d["measures"]["edges"][0]["node"];
        assert_eq!(m["accumulation"], "CUMULATIVE");
        assert_eq!(m["targetProfile"], json!([30.0, 57.5, 85.0, 100.0]));
        let results = m["results"].as_array().unwrap();
        assert_eq!(results.len(), rows.len(), "{engine:?}");
        for (r, row) in results.iter().zip(&rows) {
            let shown = json!({
                "period": row[0],
                "value": number(&row[1]),
                "target": number(&row[2]),
                "status": row[4],
                "direction": row[5],
                "previousValue": number(&row[6]),
            });
            assert_eq!(*r, shown, "{engine:?}: README.md's row for {}", row[0]);
            // "57.5% of 95" is the profile's share; else the quarter's own.
            match row[3].split_once("% of ") {
                Some((percent, annual)) => {
                    let share = percent.parse::<f64>().unwrap() * annual.parse::<f64>().unwrap() / 100.0;
                    assert!((share - r["target"].as_f64().unwrap()).abs() < 1e-9, "{}", row[0]);
                }
                None => assert_eq!(row[3], "the quarter's own"),
            }
        }
        assert_eq!(
            m["outturn"],
            json!({ "reportedPeriod": "2022-23 Q4", "value": 95.2, "target": 95.0, "status": "GREEN" }),
            "{engine:?}"
        );
    }
}

const CREATE: &str = r#"mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { id accumulation targetProfile } }"#;
const UPDATE: &str = r#"mutation($input: UpdateMeasureInput!) { updateMeasure(input: $input) { accumulation targetProfile } }"#;
const SUBMIT: &str = r#"mutation($m: ID!, $p: Period!, $v: Float!) {
  submitResult(input: { measureId: $m, period: $p, value: $v }) { status } }"#;
const TARGET: &str = r#"mutation($m: ID!, $p: Period!, $t: Float!) {
  setTarget(input: { measureId: $m, period: $p, target: $t }) { target } }"#;
const RESULTS: &str = r#"query($m: ID!) { measure(id: $m) {
  accumulation targetProfile
  results(from: "2023-24 Q1", to: "2023-24 Q4") { period value target status direction previousValue }
  year: result(period: "2023-24") { reportedPeriod value target status }
  plan { measures { code } } } }"#;

struct Council {
    admin: String,
    officer: String,
    node: Value,
}

/// Sutton, with a plan rated by tolerance whose direction rule is the
/// previous period, and one node.
async fn sutton(app: &TestApp) -> Council {
    let root = token("root", &["PLATFORM_ADMIN"]);
    let admin = token("admin", &["sutton:ADMIN"]);
    let d = app
        .data_as(
            &root,
            r#"mutation { createAuthority(input: { slug: "sutton", name: "Sutton", kind: LONDON_BOROUGH }) { id } }"#,
            Value::Null,
        )
        .await
        .unwrap();
    let d = app
        .data_as(
            &admin,
            r#"mutation($a: ID!) { createPlan(input: { authorityId: $a, title: "Council Plan", kind: COUNCIL_PLAN,
                 ragRule: { method: TOLERANCE }, directionRule: { method: PREVIOUS_PERIOD },
                 from: "2022-23", to: "2023-24" }) { id } }"#,
            json!({ "a": d["createAuthority"]["id"] }),
        )
        .await
        .unwrap();
    let d = app
        .data_as(
            &admin,
            r#"mutation($p: ID!) { createPlanNode(input: { planId: $p, code: "R", title: "Resources" }) { id } }"#,
            json!({ "p": d["createPlan"]["id"] }),
        )
        .await
        .unwrap();
    Council {
        admin,
        officer: token("officer", &["sutton:OFFICER"]),
        node: d["createPlanNode"]["id"].clone(),
    }
}

fn measure_input(node: &Value, code: &str, extra: Value) -> Value {
    let mut input = json!({ "nodeId": node, "code": code, "title": "Council Tax collected in year",
                            "unit": "PERCENT", "polarity": "HIGHER_IS_BETTER", "kind": "COUNCIL" });
    input
        .as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({ "input": input })
}

/// The refusal's code and field.
async fn refused(app: &TestApp, token: &str, query: &str, variables: Value) -> (Value, Value) {
    let body: Value = app
        .send(query, variables, Some(token))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let e = &body["errors"][0]["extensions"];
    (e["code"].clone(), e["field"].clone())
}

#[tokio::test]
async fn a_cumulative_measure_is_rated_against_its_profiled_target() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let c = sutton(&app).await;
        let d = app
            .data_as(
                &c.admin,
                CREATE,
                measure_input(
                    &c.node,
                    "CT",
                    json!({ "accumulation": "CUMULATIVE", "targetProfile": [10, 30, 60, 100] }),
                ),
            )
            .await
            .unwrap();
        assert_eq!(d["createMeasure"]["accumulation"], "CUMULATIVE");
        assert_eq!(
            d["createMeasure"]["targetProfile"],
            json!([10.0, 30.0, 60.0, 100.0])
        );
        let m = d["createMeasure"]["id"].clone();
        let officer = |q: &'static str, v: Value| {
            let app = &app;
            let t = c.officer.clone();
            async move { app.data_as(&t, q, v).await.unwrap() }
        };
        officer(TARGET, json!({ "m": m, "p": "2023-24", "t": 80 })).await;
        officer(TARGET, json!({ "m": m, "p": "2023-24 Q4", "t": 82 })).await;
        for (p, v) in [
            ("2022-23 Q2", 20.0),
            ("2023-24 Q1", 7.19),
            ("2023-24 Q2", 25.0),
            ("2023-24 Q3", 48.0),
            ("2023-24 Q4", 79.0),
        ] {
            officer(SUBMIT, json!({ "m": m, "p": p, "v": v })).await;
        }
        let d = officer(RESULTS, json!({ "m": m })).await;
        let row = |p: &str, v: f64, t: f64, s: &str, dir: &str, prev: Value| json!({ "period": p, "value": v, "target": t, "status": s, "direction": dir, "previousValue": prev });
        assert_eq!(
            d["measure"]["results"],
            json!([
                // 10% of 80 is 8, amber from 7.2; no 2022-23 Q1 to compare.
                row("2023-24 Q1", 7.19, 8.0, "RED", "NOT_COMPARABLE", Value::Null),
                // 30% of 80; up on 2022-23 Q2, whatever the plan's rule says.
                row("2023-24 Q2", 25.0, 24.0, "GREEN", "IMPROVING", json!(20.0)),
                // 60% of 80; Q2 is not like with like.
                row("2023-24 Q3", 48.0, 48.0, "GREEN", "NOT_COMPARABLE", Value::Null),
                // Its own target wins over the profile's 100%.
                row("2023-24 Q4", 79.0, 82.0, "AMBER", "NOT_COMPARABLE", Value::Null),
            ]),
            "{engine:?}"
        );
        assert_eq!(
            d["measure"]["year"],
            json!({ "reportedPeriod": "2023-24 Q4", "value": 79.0, "target": 82.0, "status": "AMBER" }),
            "asked for the year, its Q4 answers"
        );

        // Even steps without a profile: 40 by the end of Q2.
        let d = app
            .data_as(
                &c.admin,
                UPDATE,
                json!({ "input": { "id": m, "clearTargetProfile": true } }),
            )
            .await
            .unwrap();
        assert_eq!(d["updateMeasure"]["targetProfile"], Value::Null);
        let d = officer(RESULTS, json!({ "m": m })).await;
        assert_eq!(d["measure"]["results"][1]["target"], 40.0);
        assert_eq!(
            d["measure"]["results"][1]["status"], "RED",
            "25 is more than 10% short of 40"
        );

        // Back to PERIOD it rates as any measure: the whole annual target,
        // compared with the quarter before.
        app.data_as(
            &c.admin,
            UPDATE,
            json!({ "input": { "id": m, "accumulation": "PERIOD" } }),
        )
        .await
        .unwrap();
        let d = officer(RESULTS, json!({ "m": m })).await;
        assert_eq!(
            d["measure"]["results"][1],
            row("2023-24 Q2", 25.0, 80.0, "RED", "IMPROVING", json!(7.19)),
            "{engine:?}"
        );
    }
}

#[tokio::test]
async fn a_profile_that_means_nothing_is_refused_and_nothing_written() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let c = sutton(&app).await;
        let cumulative = |profile: Value| json!({ "accumulation": "CUMULATIVE", "targetProfile": profile });
        let cases = [
            (
                "on a PERIOD measure",
                json!({ "targetProfile": [25, 50, 75, 100] }),
            ),
            (
                "on a ROLLING measure",
                json!({ "accumulation": "ROLLING", "targetProfile": [25, 50, 75, 100] }),
            ),
            ("three for four quarters", cumulative(json!([25, 50, 100]))),
            (
                "twelve for four quarters",
                cumulative(json!([10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 99, 100])),
            ),
            ("falling", cumulative(json!([30, 20, 60, 100]))),
            ("over 100", cumulative(json!([25, 50, 75, 101]))),
            ("zero", cumulative(json!([0, 50, 75, 100]))),
            (
                "short of 100 at the year's end",
                cumulative(json!([25, 50, 75, 90])),
            ),
            (
                "an ANNUAL measure",
                json!({ "accumulation": "CUMULATIVE", "frequency": "ANNUAL", "targetProfile": [100] }),
            ),
        ];
        for (why, extra) in cases {
            let got = refused(&app, &c.admin, CREATE, measure_input(&c.node, "X", extra)).await;
            assert_eq!(
                got,
                (json!("BAD_USER_INPUT"), json!("targetProfile")),
                "{engine:?}: {why}"
            );
        }
        // A monthly measure takes twelve.
        let d = app
            .data_as(
                &c.admin,
                CREATE,
                measure_input(
                    &c.node,
                    "M",
                    json!({ "frequency": "MONTHLY", "accumulation": "CUMULATIVE",
                            "targetProfile": [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100] }),
                ),
            )
            .await
            .unwrap();
        let m = d["createMeasure"]["id"].clone();
        // A change that would leave the profile meaningless, or says two things.
        for (why, input, field) in [
            (
                "rolling, keeping the profile",
                json!({ "id": m, "accumulation": "ROLLING" }),
                "targetProfile",
            ),
            (
                "four for twelve months",
                json!({ "id": m, "targetProfile": [25, 50, 75, 100] }),
                "targetProfile",
            ),
            (
                "a profile and its clearing",
                json!({ "id": m, "targetProfile": [5, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 100], "clearTargetProfile": true }),
                "clearTargetProfile",
            ),
        ] {
            let got = refused(&app, &c.admin, UPDATE, json!({ "input": input })).await;
            assert_eq!(got, (json!("BAD_USER_INPUT"), json!(field)), "{engine:?}: {why}");
        }
        let d = app.data_as(&c.officer, RESULTS, json!({ "m": m })).await.unwrap();
        assert_eq!(d["measure"]["accumulation"], "CUMULATIVE", "nothing changed");
        assert_eq!(d["measure"]["targetProfile"].as_array().unwrap().len(), 12);
        assert_eq!(
            d["measure"]["plan"]["measures"],
            json!([{ "code": "M" }]),
            "{engine:?}: no refused measure was written"
        );
        // Rolling once the profile goes with it.
        let d = app
            .data_as(
                &c.admin,
                UPDATE,
                json!({ "input": { "id": m, "accumulation": "ROLLING", "clearTargetProfile": true } }),
            )
            .await
            .unwrap();
        assert_eq!(
            d["updateMeasure"],
            json!({ "accumulation": "ROLLING", "targetProfile": Value::Null })
        );
    }
}
