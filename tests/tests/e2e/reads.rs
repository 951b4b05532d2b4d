//! Every read field of the contract, over the demo councils.

use serde_json::{Value, json};
use tests::{engines, spawn, spawn_with_pool, token};

const PLAN: &str = r#"query($slug: String!) {
  authority(slug: $slug) {
    id slug name kind
    partners { id slug name }
    plans {
      id title kind from to publishedPeriods
      authority { slug }
      ragRule { method amberTolerancePercent }
      directionRule { method stableBandPercent trendPeriods }
      nodes { id code title parent { code } children { code parent { code } measures { code } } measures { code } }
      measures { id code title unit polarity kind frequency partner { slug } node { code } plan { title } ragRule { method } }
    }
  }
}"#;

#[tokio::test]
async fn a_plan_reads_with_its_tree_rules_and_measures() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let d = app.data(PLAN, json!({ "slug": "kent" })).await.unwrap();
        let a = &d["authority"];
        assert_eq!(a["kind"], "COUNTY");
        let plan = &a["plans"][0];
        assert_eq!(plan["authority"]["slug"], "kent");
        assert_eq!(
            plan["ragRule"],
            json!({ "method": "FLOOR", "amberTolerancePercent": 10.0 })
        );
        assert_eq!(
            plan["directionRule"],
            json!({ "method": "TREND", "stableBandPercent": 5.0, "trendPeriods": 4 })
        );
        assert_eq!(plan["measures"].as_array().unwrap().len(), 38);
        assert!(
            plan["publishedPeriods"]
                .as_array()
                .unwrap()
                .contains(&json!("2023-24 Q1"))
        );
        // Top-level nodes only; children carry their parent.
        for node in plan["nodes"].as_array().unwrap() {
            assert_eq!(node["parent"], Value::Null);
            for child in node["children"].as_array().unwrap() {
                assert_eq!(child["parent"]["code"], node["code"]);
            }
        }
        let under_nodes: usize = plan["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| n["children"].as_array().unwrap())
            .map(|c| c["measures"].as_array().unwrap().len())
            .sum();
        assert_eq!(under_nodes, 38, "every Kent KPI sits under a directorate section");
        let cs01 = plan["measures"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["code"] == "CS01")
            .unwrap();
        assert_eq!(cs01["unit"], "PERCENT");
        assert_eq!(cs01["polarity"], "HIGHER_IS_BETTER");
        assert_eq!(cs01["frequency"], "QUARTERLY");
        assert_eq!(cs01["ragRule"], Value::Null);

        let d = app.data(PLAN, json!({ "slug": "croydon" })).await.unwrap();
        let plan = &d["authority"]["plans"][0];
        let partnership: Vec<&Value> = plan["measures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["kind"] == "PARTNERSHIP")
            .collect();
        assert!(!partnership.is_empty());
        assert!(partnership.iter().all(|m| m["partner"]["slug"].is_string()));
        assert_eq!(d["authority"]["partners"].as_array().unwrap().len(), 3);
        assert_eq!(plan["nodes"].as_array().unwrap().len(), 5);
    }
}

const MEASURE: &str = r#"query($id: ID!, $period: Period!, $from: Period, $to: Period) {
  measure(id: $id) {
    code
    result(period: $period) {
      measure { code } period reportedPeriod value valueText target floor status direction previousValue published restated
      commentary { id body kind version author createdAt }
    }
    results(from: $from, to: $to) { period value status direction }
    actionPlans { id title actions { id description owner dueOn status overdue version } }
  }
}"#;

async fn measure_id(app: &tests::TestApp, slug: &str, code: &str) -> String {
    let d = app
        .data(
            "query($slug: String!) { authority(slug: $slug) { plans { measures { id code } } } }",
            json!({ "slug": slug }),
        )
        .await
        .unwrap();
    d["authority"]["plans"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["measures"].as_array().unwrap())
        .find(|m| m["code"] == code)
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .unwrap()
}

#[tokio::test]
async fn a_measure_reads_its_result_and_series() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let id = measure_id(&app, "kent", "CS01").await;
        let d = app
            .data(
                MEASURE,
                json!({ "id": id, "period": "2023-24 Q1", "from": "2022-23 Q1", "to": "2023-24 Q2" }),
            )
            .await
            .unwrap();
        let r = &d["measure"]["result"];
        assert_eq!(r["measure"]["code"], "CS01");
        assert_eq!(r["period"], "2023-24 Q1");
        assert_eq!(r["reportedPeriod"], "2023-24 Q1");
        assert_eq!(r["value"], 97.9);
        assert_eq!(r["valueText"], "97.9");
        assert_eq!(r["target"], 97.0, "the yearly target applies to its quarters");
        assert_eq!(r["floor"], 90.0);
        assert_eq!(r["status"], "GREEN");
        assert_eq!(r["previousValue"], 98.0);
        assert_eq!(r["published"], true);
        assert_eq!(r["restated"], false);
        let series = d["measure"]["results"].as_array().unwrap();
        let periods: Vec<&str> = series.iter().map(|r| r["period"].as_str().unwrap()).collect();
        assert_eq!(
            periods,
            [
                "2022-23 Q1",
                "2022-23 Q2",
                "2022-23 Q3",
                "2022-23 Q4",
                "2023-24 Q1",
                "2023-24 Q2"
            ],
            "{engine:?}"
        );
        assert_eq!(
            series[5]["status"], "NO_DATA",
            "a period without a result is shown as NO_DATA"
        );
        assert_eq!(series[5]["value"], Value::Null);
        assert_eq!(
            series[0]["direction"], "NOT_COMPARABLE",
            "TREND needs three points"
        );

        // Open ends stop at the first and last results.
        let d = app
            .data(MEASURE, json!({ "id": id, "period": "2023-24 Q1" }))
            .await
            .unwrap();
        assert_eq!(d["measure"]["results"].as_array().unwrap().len(), 5);

        // A monthly measure asked for a quarter answers with its latest month.
        let id = measure_id(&app, "croydon", "O1.4").await;
        let d = app
            .data(MEASURE, json!({ "id": id, "period": "2023-24 Q4" }))
            .await
            .unwrap();
        let r = &d["measure"]["result"];
        assert_eq!(r["reportedPeriod"], "2024-02");
        assert_eq!(r["value"], 68.2);
        assert_eq!(r["target"], 85.0);
        assert_eq!(r["status"], "RED");
        assert_eq!(r["direction"], "IMPROVING");
        assert_eq!(r["previousValue"], 66.0);

        // Croydon's waste measure has no Q3 data: black.
        let id = measure_id(&app, "croydon", "O4.2").await;
        let d = app
            .data(MEASURE, json!({ "id": id, "period": "2023-24 Q3" }))
            .await
            .unwrap();
        assert_eq!(d["measure"]["result"]["status"], "NO_DATA");
        assert_eq!(d["measure"]["result"]["previousValue"], 35.4);

        // A tracking measure is rated grey whatever its value.
        let id = measure_id(&app, "croydon", "O2.3").await;
        let d = app
            .data(MEASURE, json!({ "id": id, "period": "2023-24 Q2" }))
            .await
            .unwrap();
        assert_eq!(d["measure"]["result"]["status"], "NO_TARGET");
    }
}

#[tokio::test]
async fn lookups_by_id_and_missing_ids() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let d = app
            .data(
                r#"{ authority(slug: "windsor-maidenhead") { plans { id } panels { id } } nobody: authority(slug: "nowhere") { slug } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(d["nobody"], Value::Null);
        let plan_id = d["authority"]["plans"][0]["id"].clone();
        let panel_id = d["authority"]["panels"][0]["id"].clone();
        let q = r#"query($plan: ID!, $panel: ID!) {
          plan(id: $plan) { title }
          panel(id: $panel) { name kind remitNodes { code } measures { code }
            meetings { heldOn title agenda { title plan { title } period minutes resolutions } }
            exceptions(period: "2020-21 Q2") { status measure { code } } }
          missingPlan: plan(id: "999999") { title }
          junkPlan: plan(id: "not-a-number") { title }
          missingMeasure: measure(id: "999999") { code }
          me { subject }
        }"#;
        let d = app
            .data(q, json!({ "plan": plan_id, "panel": panel_id }))
            .await
            .unwrap();
        assert_eq!(
            d["plan"]["title"],
            "Interim Council Strategy 2020-21 Performance Report"
        );
        let panel = &d["panel"];
        assert_eq!(panel["kind"], "PANEL");
        assert_eq!(panel["remitNodes"].as_array().unwrap().len(), 3);
        assert_eq!(panel["measures"].as_array().unwrap().len(), 13);
        assert_eq!(panel["meetings"][0]["heldOn"], "2020-11-10");
        assert_eq!(panel["meetings"][0]["agenda"][0]["period"], "2020-21 Q2");
        let reds = panel["exceptions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["status"] == "RED")
            .count();
        assert_eq!(reds, 3);
        assert_eq!(d["missingPlan"], Value::Null);
        assert_eq!(d["junkPlan"], Value::Null);
        assert_eq!(d["missingMeasure"], Value::Null);
        assert_eq!(d["me"], Value::Null, "anonymous");
    }
}

#[tokio::test]
async fn a_malformed_period_is_bad_user_input() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        for bad in ["2023-25", "2023-24 Q5", "2024-13", "Q1 2023", ""] {
            let codes = app
                .error_codes(
                    r#"query($p: Period!) { authority(slug: "kent") { plans { breakdown(period: $p) { total } } } }"#,
                    json!({ "p": bad }),
                )
                .await
                .unwrap();
            assert_eq!(codes, ["BAD_USER_INPUT"], "{bad:?}");
        }
        let codes = app
            .error_codes(
                r#"{ authority(slug: "kent") { plans { breakdown(period: "2023/24") { total } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"]);
    }
}

/// A query reads through one connection, held for the whole request: with a
/// pool of one, a read that went around it (the authority list, the audit
/// log) would wait for that connection until the pool gave up.
#[tokio::test]
async fn a_query_reads_through_one_connection() {
    for engine in engines() {
        let app = spawn_with_pool(engine, true, 1).await.unwrap();
        let admin = token("admin", &["kent:ADMIN"]);
        let d = app
            .data_as(
                &admin,
                r#"{ authorities { slug }
                     authority(slug: "kent") { auditLog { hasNextPage }
                       plans { breakdown(period: "2023-24 Q1") { total } trend(from: "2023-24 Q1", to: "2023-24 Q4") { period } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert!(
            d["authorities"].as_array().is_some_and(|a| a.len() >= 4),
            "{engine:?}: {d}"
        );
        assert_eq!(
            d["authority"]["plans"][0]["trend"].as_array().map(Vec::len),
            Some(4),
            "{engine:?}"
        );
    }
}
