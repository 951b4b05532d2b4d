//! Breakdowns, comparisons, exceptions, escalations and trends on
//! purpose-built data, covering their edge cases.

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn};

use crate::fixtures::{M, bundle};

/// Target 100 for 2023-24 with a 10% amber band: ≥100 green, ≥90 amber.
///
/// - E1 (A1): RED, RED, RED, RED — escalated however far back one looks;
/// - E2 (A1): RED, AMBER, RED, RED — the amber quarter breaks the run;
/// - G1 (A): AMBER, GREEN, GREEN, AMBER;
/// - N1 (B): added mid-year, results from Q3 only;
/// - T1 (B): a tracking measure.
async fn testshire(engine: tests::Engine) -> TestApp {
    let app = spawn(engine, false).await.unwrap();
    let measures = [
        M("E1", "A1", "HIGHER_IS_BETTER", "COUNCIL"),
        M("E2", "A1", "HIGHER_IS_BETTER", "COUNCIL"),
        M("G1", "A", "HIGHER_IS_BETTER", "COUNCIL"),
        M("N1", "B", "LOWER_IS_BETTER", "COUNCIL"),
        M("T1", "B", "NONE", "TRACKING"),
    ];
    let targets = [
        ("E1", "2023-24", "100"),
        ("E2", "2023-24", "100"),
        ("G1", "2023-24", "100"),
        ("N1", "2023-24", "20"),
    ];
    let mut results = Vec::new();
    for (code, values) in [
        ("E1", ["50", "60", "70", "80"]),
        ("E2", ["80", "95", "85", "70"]),
        ("G1", ["95", "100", "120", "90"]),
        ("T1", ["5", "6", "7", "8"]),
    ] {
        for (q, v) in ["Q1", "Q2", "Q3", "Q4"].iter().zip(values) {
            results.push((code, format!("2023-24 {q}"), v));
        }
    }
    results.push(("N1", "2023-24 Q3".to_owned(), "18"));
    results.push(("N1", "2023-24 Q4".to_owned(), "25"));
    let results: Vec<(&str, &str, &str)> = results.iter().map(|(c, p, v)| (*c, p.as_str(), *v)).collect();
    let published = [
        "2023-24 Q1",
        "2023-24 Q2",
        "2023-24 Q3",
        "2023-24 Q4",
        "2024-25 Q1",
    ];
    let b = bundle("testshire", &measures, &targets, &results, &published);
    api::import::import(&app.db, &b).await.unwrap();
    app
}

async fn plan(app: &TestApp, fields: &str) -> Value {
    let q = format!(r#"{{ authority(slug: "testshire") {{ plans {{ {fields} }} }} }}"#);
    let d = app.data(&q, Value::Null).await.unwrap();
    d["authority"]["plans"][0].clone()
}

fn codes(list: &Value, path: &[&str]) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut v = r;
            for p in path {
                v = &v[*p];
            }
            v.as_str().unwrap().to_owned()
        })
        .collect()
}

#[tokio::test]
async fn breakdowns_by_plan_and_node_with_a_period_of_no_data() {
    for engine in engines() {
        let app = testshire(engine).await;
        let p = plan(
            &app,
            r#"breakdown(period: "2023-24 Q4") { total green amber red noTarget noData improving stable declining notComparable percentGreen percentImproving }
               empty: breakdown(period: "2024-25 Q1") { total noData notComparable percentGreen percentImproving }
               q3: breakdown(period: "2023-24 Q3") { green amber red notComparable }
               nodes { code breakdown(period: "2023-24 Q4") { total red amber green noTarget } children { code breakdown(period: "2023-24 Q4") { total red } } }"#,
        )
        .await;
        // Q4: E1 RED, E2 RED, G1 AMBER, N1 RED (25 > 22), T1 NO_TARGET.
        assert_eq!(
            p["breakdown"],
            json!({ "total": 5, "green": 0, "amber": 1, "red": 3, "noTarget": 1, "noData": 0,
                    "improving": 1, "stable": 0, "declining": 3, "notComparable": 1,
                    "percentGreen": 0.0, "percentImproving": 25.0 }),
            "{engine:?}"
        );
        assert_eq!(
            p["empty"],
            json!({ "total": 5, "noData": 5, "notComparable": 5, "percentGreen": null, "percentImproving": null })
        );
        // The measure added mid-year has no previous result at Q3.
        assert_eq!(
            p["q3"],
            json!({ "green": 2, "amber": 0, "red": 2, "notComparable": 2 })
        );
        let a = &p["nodes"][0];
        assert_eq!(a["code"], "A");
        assert_eq!(
            a["breakdown"],
            json!({ "total": 3, "red": 2, "amber": 1, "green": 0, "noTarget": 0 }),
            "a node counts every measure beneath it"
        );
        assert_eq!(a["children"][0]["breakdown"], json!({ "total": 2, "red": 2 }));
        assert_eq!(p["nodes"][1]["breakdown"]["total"], 2);
    }
}

#[tokio::test]
async fn comparison_lists_moves_across_any_two_periods() {
    for engine in engines() {
        let app = testshire(engine).await;
        let p = plan(
            &app,
            r#"comparison(from: "2023-24 Q1", to: "2023-24 Q3") {
                 from { period green amber red noData } to { period green amber red noData }
                 improved { measure { code } status } worsened { measure { code } status }
                 unratedMoves { from { status } to { status measure { code } } } }
               q3q4: comparison(from: "2023-24 Q3", to: "2023-24 Q4") { improved { measure { code } } worsened { measure { code } } }"#,
        )
        .await;
        let c = &p["comparison"];
        assert_eq!(
            c["from"],
            json!({ "period": "2023-24 Q1", "green": 0, "amber": 1, "red": 2, "noData": 1 })
        );
        assert_eq!(
            c["to"],
            json!({ "period": "2023-24 Q3", "green": 2, "amber": 0, "red": 2, "noData": 0 })
        );
        // G1 AMBER → GREEN; E1, E2 stay RED; N1 NO_DATA → GREEN is listed apart.
        assert_eq!(codes(&c["improved"], &["measure", "code"]), ["G1"], "{engine:?}");
        assert_eq!(codes(&c["worsened"], &["measure", "code"]), Vec::<String>::new());
        assert_eq!(
            c["unratedMoves"],
            json!([{ "from": { "status": "NO_DATA" }, "to": { "status": "GREEN", "measure": { "code": "N1" } } }])
        );
        let c = &p["q3q4"];
        assert_eq!(codes(&c["improved"], &["measure", "code"]), Vec::<String>::new());
        assert_eq!(codes(&c["worsened"], &["measure", "code"]), ["G1", "N1"]);
    }
}

#[tokio::test]
async fn exceptions_are_red_and_amber_with_missing_commentary_flagged() {
    for engine in engines() {
        let app = testshire(engine).await;
        let p = plan(
            &app,
            r#"exceptions(period: "2023-24 Q2") { measure { code } status missingCommentary actionPlans { title } commentary { body } }"#,
        )
        .await;
        assert_eq!(
            codes(&p["exceptions"], &["measure", "code"]),
            ["E1", "E2"],
            "{engine:?}"
        );
        let e = &p["exceptions"];
        assert_eq!(e[0]["status"], "RED");
        assert_eq!(e[1]["status"], "AMBER");
        assert!(
            e.as_array()
                .unwrap()
                .iter()
                .all(|r| r["missingCommentary"] == true)
        );
        // A period with no data has no exceptions.
        let p = plan(&app, r#"exceptions(period: "2024-25 Q1") { status }"#).await;
        assert_eq!(p["exceptions"], json!([]));
    }
}

#[tokio::test]
async fn escalations_need_an_unbroken_run_of_reds() {
    for engine in engines() {
        let app = testshire(engine).await;
        let p = plan(
            &app,
            r#"two: escalations(period: "2023-24 Q4") { code }
               three: escalations(period: "2023-24 Q4", consecutive: 3) { code }
               one: escalations(period: "2023-24 Q4", consecutive: 1) { code }
               early: escalations(period: "2023-24 Q1", consecutive: 2) { code }"#,
        )
        .await;
        assert_eq!(codes(&p["two"], &["code"]), ["E1", "E2"], "{engine:?}");
        assert_eq!(
            codes(&p["three"], &["code"]),
            ["E1"],
            "one amber quarter breaks E2's run"
        );
        assert_eq!(codes(&p["one"], &["code"]), ["E1", "E2", "N1"]);
        assert_eq!(
            codes(&p["early"], &["code"]),
            Vec::<String>::new(),
            "no history before Q1"
        );
        let codes = app
            .error_codes(
                r#"{ authority(slug: "testshire") { plans { escalations(period: "2023-24 Q4", consecutive: 0) { code } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(codes, ["BAD_USER_INPUT"]);
    }
}

#[tokio::test]
async fn trend_gives_one_breakdown_per_period() {
    for engine in engines() {
        let app = testshire(engine).await;
        let p = plan(
            &app,
            r#"trend(from: "2023-24 Q1", to: "2024-25 Q1") { period red green noData }"#,
        )
        .await;
        assert_eq!(
            p["trend"],
            json!([
                { "period": "2023-24 Q1", "red": 2, "green": 0, "noData": 1 },
                { "period": "2023-24 Q2", "red": 1, "green": 1, "noData": 1 },
                { "period": "2023-24 Q3", "red": 2, "green": 2, "noData": 0 },
                { "period": "2023-24 Q4", "red": 3, "green": 0, "noData": 0 },
                { "period": "2024-25 Q1", "red": 0, "green": 0, "noData": 5 },
            ]),
            "{engine:?}"
        );
        for bad in [
            r#"trend(from: "2023-24 Q4", to: "2023-24 Q1") { period }"#,
            r#"trend(from: "2023-24", to: "2023-24 Q1") { period }"#,
            r#"trend(from: "2000-01 Q1", to: "2099-00 Q1") { period }"#,
        ] {
            let q = format!(r#"{{ authority(slug: "testshire") {{ plans {{ {bad} }} }} }}"#);
            assert_eq!(
                app.error_codes(&q, Value::Null).await.unwrap(),
                ["BAD_USER_INPUT"],
                "{bad}"
            );
        }
    }
}
