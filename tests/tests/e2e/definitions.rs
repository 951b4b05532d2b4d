//! A measure's definition changes through the API: recorded by an ADMIN,
//! they break its series for direction, the compared value, comparisons
//! and escalation, and the report pack says "definition changed" where the
//! earlier value would stand; bad changes are refused and write nothing.

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

use crate::fixtures::{Council, council, report_row, sheet};

async fn body(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.send(query, variables, Some(token))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const CHANGE: &str = r#"mutation($m: ID!, $from: Period!, $why: String!) {
  changeMeasureDefinition(input: { measureId: $m, effectiveFrom: $from, description: $why }) {
    definitions { effectiveFrom description changedBy } } }"#;

const RESULTS: &str = r#"query($m: ID!) { measure(id: $m) {
  results(from: "2024-25 Q1", to: "2024-25 Q4") { period status direction previousValue definitionChanged } } }"#;

#[tokio::test]
async fn a_definition_change_breaks_the_series() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let admin = token("admin", &["surrey:ADMIN"]);
        let officer = token("officer", &["surrey:OFFICER"]);
        let data = |t: &str, q: &str, v: Value| {
            let (t, q) = (t.to_owned(), q.to_owned());
            let app = &app;
            async move { app.data_as(&t, &q, v).await.unwrap() }
        };
        let Council { plan, node, .. } = council(&app, "surrey", json!({ "method": "TOLERANCE" })).await;
        let d = data(
            &admin,
            r#"mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { id definitions { effectiveFrom } } }"#,
            json!({ "input": { "nodeId": node, "code": "H1", "title": "Households in temporary accommodation",
                               "unit": "COUNT", "polarity": "LOWER_IS_BETTER", "kind": "COUNCIL" } }),
        )
        .await;
        assert_eq!(d["createMeasure"]["definitions"], json!([]));
        let m = d["createMeasure"]["id"].clone();
        data(
            &officer,
            r#"mutation($m: ID!) { setTarget(input: { measureId: $m, period: "2024-25", target: 100 }) { target } }"#,
            json!({ "m": m }),
        )
        .await;
        // Red, red, red, red: an escalation at Q4 of two reds running.
        for (q, v) in [("Q1", 150), ("Q2", 140), ("Q3", 130), ("Q4", 200)] {
            data(
                &officer,
                r#"mutation($m: ID!, $p: Period!, $v: Float!) { submitResult(input: { measureId: $m, period: $p, value: $v }) { status } }"#,
                json!({ "m": m, "p": format!("2024-25 {q}"), "v": v }),
            )
            .await;
        }
        let escalations = r#"query($p: ID!) { plan(id: $p) { escalations(period: "2024-25 Q4", consecutive: 2) { code }
          comparison(from: "2024-25 Q3", to: "2024-25 Q4") { improvedMoves { to { status } } unratedMoves { from { status } to { status } } } } }"#;
        let d = data(&officer, escalations, json!({ "p": plan })).await;
        assert_eq!(d["plan"]["escalations"], json!([{ "code": "H1" }]));

        // Refused, nothing written: not the measure's frequency, an ADMIN's
        // change only, and no change before the last.
        for (who, from, field) in [
            (&admin, "2024-25", Some("effectiveFrom")),
            (&officer, "2024-25 Q4", None),
        ] {
            let e = body(&app, who, CHANGE, json!({ "m": m, "from": from, "why": "x" })).await;
            assert!(e["errors"][0]["extensions"]["code"].is_string(), "{e}");
            if let Some(field) = field {
                assert_eq!(e["errors"][0]["extensions"]["field"], field);
            }
        }
        let d = data(
            &admin,
            CHANGE,
            json!({ "m": m, "from": "2024-25 Q4", "why": "Counted by households, not people" }),
        )
        .await;
        assert_eq!(
            d["changeMeasureDefinition"]["definitions"],
            json!([{ "effectiveFrom": "2024-25 Q4", "description": "Counted by households, not people", "changedBy": "admin" }])
        );
        let e = body(
            &app,
            &admin,
            CHANGE,
            json!({ "m": m, "from": "2024-25 Q3", "why": "earlier" }),
        )
        .await;
        assert_eq!(e["errors"][0]["extensions"]["field"], "effectiveFrom", "{e}");
        // The same change recorded again, as a retry would: nothing new.
        let again = data(
            &admin,
            CHANGE,
            json!({ "m": m, "from": "2024-25 Q4", "why": "Counted by households, not people" }),
        )
        .await;
        assert_eq!(again, d);

        // Q4 is not compared with Q3: no direction, no previous value, and it
        // says why. Q2 and Q3 compare as before.
        let d = data(&officer, RESULTS, json!({ "m": m })).await;
        let results = d["measure"]["results"].as_array().unwrap().clone();
        assert_eq!(
            results[3],
            json!({ "period": "2024-25 Q4", "status": "RED", "direction": "NOT_COMPARABLE", "previousValue": null, "definitionChanged": true }),
            "{engine:?}"
        );
        assert_eq!(
            results[2],
            json!({ "period": "2024-25 Q3", "status": "RED", "direction": "IMPROVING", "previousValue": 140.0, "definitionChanged": false })
        );
        // No run of reds and no status move spans the change.
        let d = data(&officer, escalations, json!({ "p": plan })).await;
        assert_eq!(d["plan"]["escalations"], json!([]), "{engine:?}");
        // Q4 restated green: RED to GREEN across the change is no improvement.
        data(
            &officer,
            r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2024-25 Q4", value: 95 }) { status } }"#,
            json!({ "m": m }),
        )
        .await;
        let d = data(&officer, escalations, json!({ "p": plan })).await;
        assert_eq!(
            d["plan"]["comparison"],
            json!({ "improvedMoves": [], "unratedMoves": [{ "from": { "status": "RED" }, "to": { "status": "GREEN" } }] })
        );
        // The report pack says it where the previous value would stand.
        let csv = sheet(&app, Some(&officer), &plan, "report.csv", "2024-25 Q4").await;
        assert_eq!(
            report_row(&csv, "H1")["previous value"],
            "definition changed",
            "{csv}"
        );
    }
}
