//! The rules other councils rate by, set and seen through the API as a
//! council's admin and officers would.

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

use crate::fixtures::{Council, council, report_row, sheet};

const SUBMIT: &str = r#"mutation($m: ID!, $p: Period!, $v: Float!) {
  submitResult(input: { measureId: $m, period: $p, value: $v }) { status } }"#;

const STATUS: &str = r#"query($m: ID!) { measure(id: $m) {
  result(period: "2013-14 Q4") { value previousValue status }
  plan { ragRule { method amberTolerancePercent } breakdown(period: "2013-14 Q4") { green amber red } } } }"#;

/// Havering's rule: green within 10% of target; amber further off but
/// improved or maintained against the same quarter last year; red further
/// off and not improved. The previous quarter does not count.
#[tokio::test]
async fn improvement_based_amber_compares_with_the_same_quarter_last_year() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let admin = token("admin", &["havering:ADMIN"]);
        let officer = token("officer", &["havering:OFFICER"]);
        let run = |t: &str, q: &'static str, v: Value| {
            let t = t.to_owned();
            let app = &app;
            async move { app.data_as(&t, q, v).await.unwrap() }
        };
        let Council { node, .. } = council(&app, "havering", json!({ "method": "IMPROVEMENT" })).await;
        let mut ids = Vec::new();
        for (code, polarity) in [("CP1", "HIGHER_IS_BETTER"), ("CP2", "LOWER_IS_BETTER")] {
            let d = run(
                &admin,
                r#"mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { id } }"#,
                json!({ "input": { "nodeId": node, "code": code, "title": code, "unit": "PERCENT",
                                   "polarity": polarity, "kind": "COUNCIL" } }),
            )
            .await;
            let m = d["createMeasure"]["id"].clone();
            run(
                &officer,
                r#"mutation($m: ID!) { setTarget(input: { measureId: $m, period: "2013-14", target: 50 }) { target } }"#,
                json!({ "m": m }),
            )
            .await;
            ids.push(m);
        }
        let (higher, lower) = (&ids[0], &ids[1]);
        let submit = |m: &Value, p: &str, v: f64| run(&officer, SUBMIT, json!({ "m": m, "p": p, "v": v }));

        // More than 10% short of 50, better than the same quarter last
        // year (39), worse than the quarter before (45): amber.
        submit(higher, "2012-13 Q4", 39.0).await;
        submit(higher, "2013-14 Q3", 45.0).await;
        let d = submit(higher, "2013-14 Q4", 40.0).await;
        assert_eq!(d["submitResult"]["status"], "AMBER", "{engine:?}");
        let d = run(&officer, STATUS, json!({ "m": higher })).await;
        assert_eq!(
            d["measure"]["plan"]["ragRule"],
            json!({ "method": "IMPROVEMENT", "amberTolerancePercent": 10.0 })
        );
        assert_eq!(d["measure"]["result"]["status"], "AMBER");
        // Last year's figure restated above this year's: not improved, red.
        submit(higher, "2012-13 Q4", 41.0).await;
        let d = run(&officer, STATUS, json!({ "m": higher })).await;
        assert_eq!(d["measure"]["result"]["status"], "RED", "{engine:?}");
        // Within 10% of target: green, whatever last year says.
        let d = submit(higher, "2013-14 Q4", 45.0).await;
        assert_eq!(d["submitResult"]["status"], "GREEN");

        // Lower is better mirrors it: 56 is more than 10% over 50.
        submit(lower, "2012-13 Q4", 56.0).await;
        let d = submit(lower, "2013-14 Q4", 56.0).await;
        assert_eq!(d["submitResult"]["status"], "AMBER", "maintained");
        let d = submit(lower, "2013-14 Q4", 57.0).await;
        assert_eq!(d["submitResult"]["status"], "RED");
        let d = run(&officer, STATUS, json!({ "m": lower })).await;
        assert_eq!(
            d["measure"]["plan"]["breakdown"],
            json!({ "green": 1, "amber": 0, "red": 1 }),
            "{engine:?}"
        );
    }
}

/// The whole answer, errors included.
async fn body(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.send(query, variables, Some(token))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const RULE: &str = "method amberTolerancePercent amberToleranceUnits blueMarginPercent blueMarginUnits";

/// Blue for exceeding a target by a margin (Cambridgeshire's BRAG) and a
/// tolerance or floor in units ("within 2 percentage points"), on a plan's
/// rule and on a measure's own, in both polarities; refused rules write
/// nothing.
#[tokio::test]
async fn blue_margins_and_tolerances_in_units_rate_through_the_api() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let admin = token("admin", &["cambs:ADMIN"]);
        let officer = token("officer", &["cambs:OFFICER"]);
        let run = |t: &str, q: String, v: Value| {
            let t = t.to_owned();
            let app = &app;
            async move { app.data_as(&t, &q, v).await.unwrap() }
        };
        let rule = json!({ "method": "TOLERANCE", "amberToleranceUnits": 2, "blueMarginPercent": 5 });
        let Council {
            authority,
            plan,
            node,
        } = council(&app, "cambs", rule).await;
        let create_plan = format!(
            r#"mutation($a: ID!, $rule: RagRuleInput!) {{ createPlan(input: {{ authorityId: $a, title: "Performance",
                 kind: PERFORMANCE_REPORT, ragRule: $rule }}) {{ id ragRule {{ {RULE} }} }} }}"#
        );
        // One or the other of each pair, and margins above nothing.
        for (rule, field) in [
            (
                json!({ "method": "TOLERANCE", "amberTolerancePercent": 5, "amberToleranceUnits": 2 }),
                "amberToleranceUnits",
            ),
            (
                json!({ "method": "TOLERANCE", "blueMarginPercent": 5, "blueMarginUnits": 1 }),
                "blueMarginUnits",
            ),
            (
                json!({ "method": "TOLERANCE", "blueMarginPercent": 0 }),
                "blueMarginPercent",
            ),
            (
                json!({ "method": "TOLERANCE", "blueMarginUnits": -1 }),
                "blueMarginUnits",
            ),
            (
                json!({ "method": "FLOOR", "amberToleranceUnits": -0.5 }),
                "amberToleranceUnits",
            ),
        ] {
            let e = body(
                &app,
                &admin,
                &create_plan,
                json!({ "a": authority, "rule": rule }),
            )
            .await;
            assert_eq!(
                e["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{rule}: {e}"
            );
            assert_eq!(e["errors"][0]["extensions"]["field"], field, "{rule}");
        }
        let d = run(
            &admin,
            format!(r#"query($p: ID!) {{ plan(id: $p) {{ ragRule {{ {RULE} }} }} }}"#),
            json!({ "p": plan }),
        )
        .await;
        assert_eq!(
            d["plan"]["ragRule"],
            json!({ "method": "TOLERANCE", "amberTolerancePercent": 10.0, "amberToleranceUnits": 2.0,
                    "blueMarginPercent": 5.0, "blueMarginUnits": null })
        );
        let create_measure = format!(
            r#"mutation($input: CreateMeasureInput!) {{ createMeasure(input: $input) {{ id ragRule {{ {RULE} }} }} }}"#
        );
        let measure = |code: &str, polarity: &str, rule: Value| {
            let input = json!({ "nodeId": node, "code": code, "title": code, "unit": "PERCENT",
                                "polarity": polarity, "kind": "COUNCIL", "ragRule": rule });
            run(&admin, create_measure.clone(), json!({ "input": input }))
        };
        // The plan's rule: blue 5% beyond 80 (84), amber within 2 points (78).
        let higher = measure("H", "HIGHER_IS_BETTER", Value::Null).await["createMeasure"]["id"].clone();
        // Its own rule: FLOOR with a floor 3 points above a target of 20
        // that sets none, blue 1 point below it.
        let d = measure(
            "L",
            "LOWER_IS_BETTER",
            json!({ "method": "FLOOR", "amberToleranceUnits": 3, "blueMarginUnits": 1 }),
        )
        .await;
        assert_eq!(
            d["createMeasure"]["ragRule"],
            json!({ "method": "FLOOR", "amberTolerancePercent": 10.0, "amberToleranceUnits": 3.0,
                    "blueMarginPercent": null, "blueMarginUnits": 1.0 })
        );
        let lower = d["createMeasure"]["id"].clone();
        let target = |m: &Value, t: f64, floor: Option<f64>| {
            run(
                &officer,
                r#"mutation($m: ID!, $t: Float!, $f: Float) { setTarget(input: { measureId: $m, period: "2024-25", target: $t, floor: $f }) { target } }"#.into(),
                json!({ "m": m, "t": t, "f": floor }),
            )
        };
        target(&higher, 80.0, None).await;
        target(&lower, 20.0, None).await;
        let submit = |m: &Value, v: f64| {
            run(
                &officer,
                SUBMIT.into(),
                json!({ "m": m, "p": "2024-25 Q1", "v": v }),
            )
        };
        for (m, value, want) in [
            (&higher, 84.0, "BLUE"),
            (&higher, 83.9, "GREEN"),
            (&higher, 78.0, "AMBER"),
            (&higher, 77.9, "RED"),
            (&lower, 19.0, "BLUE"),
            (&lower, 19.5, "GREEN"),
            (&lower, 23.0, "AMBER"),
            (&lower, 23.1, "RED"),
        ] {
            let d = submit(m, value).await;
            assert_eq!(d["submitResult"]["status"], want, "{value} {engine:?}");
        }
        // A floor set beside the target wins over the units.
        submit(&lower, 22.0).await;
        target(&lower, 20.0, Some(21.0)).await;
        let result = r#"query($m: ID!) { measure(id: $m) { result(period: "2024-25 Q1") { status }
                 plan { breakdown(period: "2024-25 Q1") { total blue green amber red percentGreen } } } }"#
            .to_owned();
        let d = run(&officer, result.clone(), json!({ "m": lower })).await;
        assert_eq!(d["measure"]["result"]["status"], "RED", "{engine:?}");
        // Blue is counted apart and counts as met: 1 blue of 2 rated.
        submit(&higher, 90.0).await;
        let d = run(&officer, result.clone(), json!({ "m": higher })).await;
        assert_eq!(d["measure"]["result"]["status"], "BLUE");
        assert_eq!(
            d["measure"]["plan"]["breakdown"],
            json!({ "total": 2, "blue": 1, "green": 0, "amber": 0, "red": 1, "percentGreen": 50.0 })
        );
        // A rule set again without margins rates as before them.
        let d = run(
            &admin,
            format!(r#"mutation($p: ID!) {{ updatePlan(input: {{ id: $p, ragRule: {{ method: TOLERANCE }} }}) {{ ragRule {{ {RULE} }} }} }}"#),
            json!({ "p": plan }),
        )
        .await;
        assert_eq!(
            d["updatePlan"]["ragRule"],
            json!({ "method": "TOLERANCE", "amberTolerancePercent": 10.0, "amberToleranceUnits": null,
                    "blueMarginPercent": null, "blueMarginUnits": null })
        );
        let d = run(&officer, result, json!({ "m": higher })).await;
        assert_eq!(d["measure"]["result"]["status"], "GREEN", "{engine:?}");
        // A refused update leaves the measure's rule as it was.
        let e = body(
            &app,
            &admin,
            r#"mutation($m: ID!) { updateMeasure(input: { id: $m, ragRule: { method: TOLERANCE, blueMarginUnits: 0 } }) { id } }"#,
            json!({ "m": lower }),
        )
        .await;
        assert_eq!(e["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
        let d = run(
            &officer,
            format!(r#"query($m: ID!) {{ measure(id: $m) {{ ragRule {{ {RULE} }} }} }}"#),
            json!({ "m": lower }),
        )
        .await;
        assert_eq!(d["measure"]["ragRule"]["blueMarginUnits"], 1.0, "{engine:?}");
    }
}

const RESULT: &str = r#"query($m: ID!) { measure(id: $m) {
  result(period: "2024-25 Q1") { value status direction quality asAt restated versions(first: 10) { edges { node { value quality asAt } } } }
  plan { breakdown(period: "2024-25 Q1") { green red noData } } } }"#;

/// A result's data quality through the API: shown with its as-at date, a
/// plan's rule that does not rate provisional results holds them NO_DATA,
/// REVISED replaces only a value already there, and an uploaded sheet
/// carries both.
#[tokio::test]
async fn data_quality_is_shown_and_a_rule_may_leave_provisional_results_unrated() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let admin = token("admin", &["lga:ADMIN"]);
        let officer = token("officer", &["lga:OFFICER"]);
        let run = |t: &str, q: &str, v: Value| {
            let (t, q) = (t.to_owned(), q.to_owned());
            let app = &app;
            async move { app.data_as(&t, &q, v).await.unwrap() }
        };
        let rule = json!({ "method": "TOLERANCE", "rateProvisional": false });
        let Council { plan, node, .. } = council(&app, "lga", rule).await;
        let d = run(
            &admin,
            "query($p: ID!) { plan(id: $p) { ragRule { rateProvisional } } }",
            json!({ "p": plan }),
        )
        .await;
        assert_eq!(d["plan"]["ragRule"]["rateProvisional"], false);
        let d = run(
            &admin,
            r#"mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { id } }"#,
            json!({ "input": { "nodeId": node, "code": "Q1", "title": "Q1", "unit": "PERCENT",
                               "polarity": "HIGHER_IS_BETTER", "kind": "COUNCIL" } }),
        )
        .await;
        let m = d["createMeasure"]["id"].clone();
        run(
            &officer,
            r#"mutation($m: ID!) { setTarget(input: { measureId: $m, period: "2024-25", target: 50 }) { target } }"#,
            json!({ "m": m }),
        )
        .await;
        let submit = r#"mutation($m: ID!, $v: Float!, $q: DataQuality, $at: Date) {
          submitResult(input: { measureId: $m, period: "2024-25 Q1", value: $v, quality: $q, asAt: $at }) { status quality } }"#;
        // REVISED with nothing to revise, and a date to come: refused, nothing written.
        for (vars, field) in [
            (json!({ "m": m, "v": 60, "q": "REVISED" }), "quality"),
            (json!({ "m": m, "v": 60, "at": "2999-01-01" }), "asAt"),
        ] {
            let e = body(&app, &officer, submit, vars).await;
            assert_eq!(e["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{e}");
            assert_eq!(e["errors"][0]["extensions"]["field"], field);
        }
        let d = run(&officer, RESULT, json!({ "m": m })).await;
        assert_eq!(
            d["measure"]["result"]["value"],
            Value::Null,
            "{engine:?}: nothing written"
        );

        let d = run(
            &officer,
            submit,
            json!({ "m": m, "v": 60, "q": "PROVISIONAL", "at": "2024-06-30" }),
        )
        .await;
        assert_eq!(
            d["submitResult"],
            json!({ "status": "NO_DATA", "quality": "PROVISIONAL" })
        );
        let d = run(&officer, RESULT, json!({ "m": m })).await;
        let r = &d["measure"]["result"];
        assert_eq!(
            (&r["value"], &r["quality"], &r["asAt"]),
            (&json!(60.0), &json!("PROVISIONAL"), &json!("2024-06-30"))
        );
        assert_eq!(
            d["measure"]["plan"]["breakdown"],
            json!({ "green": 0, "red": 0, "noData": 1 })
        );
        // The source revises it: rated now, and the provisional figure is a
        // version of its own.
        let d = run(
            &officer,
            submit,
            json!({ "m": m, "v": 40, "q": "REVISED", "at": "2024-07-31" }),
        )
        .await;
        assert_eq!(
            d["submitResult"],
            json!({ "status": "RED", "quality": "REVISED" }),
            "{engine:?}"
        );
        let d = run(&officer, RESULT, json!({ "m": m })).await;
        let r = &d["measure"]["result"];
        assert_eq!(
            r["restated"], false,
            "a revision before publication is no restatement"
        );
        assert_eq!(
            r["versions"]["edges"],
            json!([{ "node": { "value": 60.0, "quality": "PROVISIONAL", "asAt": "2024-06-30" } }])
        );
        // A plan's rule that rates them (the default) rates a provisional value.
        run(
            &admin,
            r#"mutation($p: ID!) { updatePlan(input: { id: $p, ragRule: { method: TOLERANCE } }) { id } }"#,
            json!({ "p": plan }),
        )
        .await;
        let d = run(&officer, submit, json!({ "m": m, "v": 55, "q": "PROVISIONAL" })).await;
        assert_eq!(d["submitResult"]["status"], "GREEN");

        // An uploaded sheet sets them by column; a bad quality names its row.
        let upload = r#"mutation($plan: ID!, $file: Upload!) { importResults(planId: $plan, period: "2024-25 Q1", file: $file) {
          applied errors { row column message } } }"#;
        let filled_in = b"code,value,quality,as_at\nQ1,48,estimated,2024-06-15\n";
        let d = crate::sheets::multipart(
            &app,
            Some(&officer),
            upload,
            json!({ "plan": plan }),
            "q.csv",
            filled_in,
        )
        .await;
        assert_eq!(d["data"]["importResults"]["applied"], true, "{d}");
        let d = run(&officer, RESULT, json!({ "m": m })).await;
        let r = &d["measure"]["result"];
        assert_eq!(
            (&r["status"], &r["quality"], &r["asAt"]),
            (&json!("AMBER"), &json!("ESTIMATED"), &json!("2024-06-15"))
        );
        let d = crate::sheets::multipart(
            &app,
            Some(&officer),
            upload,
            json!({ "plan": plan }),
            "q.csv",
            b"code,value,quality\nQ1,49,guessed\n",
        )
        .await;
        let errors = &d["data"]["importResults"]["errors"];
        assert_eq!(
            (&errors[0]["row"], &errors[0]["column"]),
            (&json!(2), &json!("quality")),
            "{d}"
        );
        let d = run(&officer, RESULT, json!({ "m": m })).await;
        assert_eq!(
            d["measure"]["result"]["value"], 48.0,
            "{engine:?}: the refused sheet wrote nothing"
        );
        // The template a person downloads has the columns; filled in and
        // sent straight back, it writes them.
        let template = sheet(&app, Some(&officer), &plan, "template.csv", "2024-25 Q1").await;
        let mut lines: Vec<String> = template.lines().map(str::to_owned).collect();
        assert!(
            lines[0].ends_with(",value,note,quality,as_at,forecast"),
            "{template}"
        );
        assert_eq!(lines.len(), 2, "one measure due: {template}");
        lines[1] = lines[1].trim_end_matches(",,,,,").to_owned() + ",47,checked,PROVISIONAL,2024-06-20,";
        let filled = lines.join("\n") + "\n";
        let d = crate::sheets::multipart(
            &app,
            Some(&officer),
            upload,
            json!({ "plan": plan }),
            "t.csv",
            filled.as_bytes(),
        )
        .await;
        assert_eq!(d["data"]["importResults"]["applied"], true, "{d}");
        let d = run(&officer, RESULT, json!({ "m": m })).await;
        let r = &d["measure"]["result"];
        assert_eq!(
            (&r["value"], &r["quality"], &r["asAt"], &r["status"]),
            (
                &json!(47.0),
                &json!("PROVISIONAL"),
                &json!("2024-06-20"),
                &json!("AMBER")
            ),
            "{engine:?}"
        );
        // The report pack says it beside the value.
        let csv = sheet(&app, Some(&officer), &plan, "report.csv", "2024-25 Q1").await;
        let row = report_row(&csv, "Q1");
        let at = |name: &str| &row[name][..];
        assert_eq!(
            (at("value"), at("data quality"), at("as at"), at("status")),
            ("47", "PROVISIONAL", "2024-06-20", "AMBER"),
            "{csv}"
        );
    }
}
