//! Year-end forecasts through the API, as a council's officers set them up
//! and a councillor reads them: each method, the status a forecast would
//! earn, what the public sees before publication, and refusals that write
//! nothing.

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

use crate::fixtures::{Council, council, report_row, sheet};

async fn body(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    app.send(query, variables, token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const FORECAST: &str = r#"query($m: ID!, $p: Period!) { measure(id: $m) { forecastMethod
  result(period: $p) { value forecast { method period value target status } } } }"#;

const SUBMIT: &str = r#"mutation($m: ID!, $p: Period!, $v: Float!, $f: Float) {
  submitResult(input: { measureId: $m, period: $p, value: $v, forecast: $f }) { value } }"#;

#[tokio::test]
async fn each_forecast_method_projects_the_year_and_rates_it() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let admin = token("admin", &["cambs:ADMIN"]);
        let officer = token("officer", &["cambs:OFFICER"]);
        let data = |t: &str, q: &str, v: Value| {
            let (t, q) = (t.to_owned(), q.to_owned());
            let app = &app;
            async move { app.data_as(&t, &q, v).await.unwrap() }
        };
        let Council { plan, node, .. } = council(&app, "cambs", json!({ "method": "TOLERANCE" })).await;
        let create =
            r#"mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { id forecastMethod } }"#;
        let measure = |code: &str, extra: Value| {
            let mut input = json!({ "nodeId": node, "code": code, "title": code, "unit": "PERCENT",
                                    "polarity": "HIGHER_IS_BETTER", "kind": "COUNCIL" });
            input
                .as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            json!({ "input": input })
        };
        // An annual measure reports its year: nothing to forecast.
        let e = body(
            &app,
            Some(&admin),
            create,
            measure("A", json!({ "frequency": "ANNUAL", "forecastMethod": "TREND" })),
        )
        .await;
        assert_eq!(e["errors"][0]["extensions"]["field"], "forecastMethod", "{e}");
        let mut ids = Vec::new();
        for (code, extra) in [
            ("T", json!({ "forecastMethod": "TREND" })),
            ("E", json!({ "forecastMethod": "ENTERED" })),
            (
                "P",
                json!({ "forecastMethod": "PROFILE", "accumulation": "CUMULATIVE", "targetProfile": [30, 57.5, 85, 100] }),
            ),
        ] {
            let d = data(&admin, create, measure(code, extra)).await;
            ids.push(d["createMeasure"]["id"].clone());
        }
        let (trend, entered, profile) = (&ids[0], &ids[1], &ids[2]);
        for (m, t) in [(trend, 35.0), (entered, 95.5), (profile, 95.5)] {
            data(
                &officer,
                r#"mutation($m: ID!, $t: Float!) { setTarget(input: { measureId: $m, period: "2024-25", target: $t }) { target } }"#,
                json!({ "m": m, "t": t }),
            )
            .await;
        }
        let forecast = |m: &Value, p: &str, who: Option<&str>| {
            let (m, p, who) = (m.clone(), p.to_owned(), who.map(str::to_owned));
            let app = &app;
            async move {
                let d = body(app, who.as_deref(), FORECAST, json!({ "m": m, "p": p })).await;
                d["data"]["measure"]["result"]["forecast"].clone()
            }
        };

        // TREND: Q1 10 is one point, no line; Q2 20 makes ten a quarter, 40
        // by Q4, green against 35.
        data(
            &officer,
            SUBMIT,
            json!({ "m": trend, "p": "2024-25 Q1", "v": 10 }),
        )
        .await;
        assert_eq!(forecast(trend, "2024-25 Q1", Some(&officer)).await, Value::Null);
        data(
            &officer,
            SUBMIT,
            json!({ "m": trend, "p": "2024-25 Q2", "v": 20 }),
        )
        .await;
        assert_eq!(
            forecast(trend, "2024-25 Q2", Some(&officer)).await,
            json!({ "method": "TREND", "period": "2024-25 Q4", "value": 40.0, "target": 35.0, "status": "GREEN" }),
            "{engine:?}"
        );
        // The public's forecast is drawn through what it may see: none while
        // Q1 is unpublished, even once Q2 is.
        let publish = r#"mutation($p: ID!, $at: Period!) { publishPeriod(planId: $p, period: $at) { id } }"#;
        assert_eq!(forecast(trend, "2024-25 Q2", None).await, Value::Null);
        data(&admin, publish, json!({ "p": plan, "at": "2024-25 Q2" })).await;
        assert_eq!(forecast(trend, "2024-25 Q2", None).await, Value::Null);
        data(&admin, publish, json!({ "p": plan, "at": "2024-25 Q1" })).await;
        assert_eq!(forecast(trend, "2024-25 Q2", None).await["value"], 40.0);

        // The report pack carries it beside the value.
        let csv = sheet(&app, None, &plan, "report.csv", "2024-25 Q2").await;
        let row = report_row(&csv, "T");
        assert_eq!(
            (&row["forecast"][..], &row["forecast status"][..]),
            ("40", "GREEN"),
            "{csv}"
        );

        // ENTERED: the officer's own; refused where the method is not ENTERED.
        let e = body(
            &app,
            Some(&officer),
            SUBMIT,
            json!({ "m": trend, "p": "2024-25 Q3", "v": 30, "f": 50 }),
        )
        .await;
        assert_eq!(e["errors"][0]["extensions"]["field"], "forecast", "{e}");
        let d = body(
            &app,
            Some(&officer),
            FORECAST,
            json!({ "m": trend, "p": "2024-25 Q3" }),
        )
        .await;
        assert_eq!(
            d["data"]["measure"]["result"]["value"],
            Value::Null,
            "nothing written"
        );
        data(
            &officer,
            SUBMIT,
            json!({ "m": entered, "p": "2024-25 Q1", "v": 28.1, "f": 90 }),
        )
        .await;
        assert_eq!(
            forecast(entered, "2024-25 Q1", Some(&officer)).await,
            json!({ "method": "ENTERED", "period": "2024-25 Q4", "value": 90.0, "target": 95.5, "status": "AMBER" })
        );

        // PROFILE: 28.1 by Q1, 30% of the profile, is 93.67 by year end: amber.
        data(
            &officer,
            SUBMIT,
            json!({ "m": profile, "p": "2024-25 Q1", "v": 28.1 }),
        )
        .await;
        let f = forecast(profile, "2024-25 Q1", Some(&officer)).await;
        assert_eq!(
            (f["method"].as_str(), f["status"].as_str()),
            (Some("PROFILE"), Some("AMBER"))
        );
        assert!((f["value"].as_f64().unwrap() - 93.666_666).abs() < 1e-5, "{f}");

        // The year's last quarter forecasts its outturn; a cleared method, nothing.
        data(
            &officer,
            SUBMIT,
            json!({ "m": profile, "p": "2024-25 Q4", "v": 96 }),
        )
        .await;
        assert_eq!(
            forecast(profile, "2024-25 Q4", Some(&officer)).await["value"],
            96.0
        );
        let d = data(
            &admin,
            r#"mutation($m: ID!) { updateMeasure(input: { id: $m, clearForecastMethod: true }) { forecastMethod } }"#,
            json!({ "m": profile }),
        )
        .await;
        assert_eq!(d["updateMeasure"]["forecastMethod"], Value::Null);
        assert_eq!(
            forecast(profile, "2024-25 Q4", Some(&officer)).await,
            Value::Null,
            "{engine:?}"
        );
    }
}
