//! Croydon's escalation report (Cabinet, May 2024, §8.2–8.3) over a plan
//! built through the mutations: measures meeting 3, 2, 1 and 0 of the
//! criteria come out in that order, amber and green ones not at all, and a
//! viewer who may not read a period's drafts sees nothing of it.

use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

async fn run(app: &TestApp, token: &str, query: &str, variables: Value) -> Value {
    app.data_as(token, query, variables).await.unwrap()
}

const REPORT: &str = r#"query($p: Period!, $n: Int) { authority(slug: "redhill") { plans {
  escalationReport(period: $p, consecutive: $n) { measure { code } result { status value } criteria criteriaMet } } } }"#;

/// The report as (code, criteria) pairs, as the viewer sees it.
async fn report(app: &TestApp, viewer: Option<&str>, period: &str) -> Vec<(String, Vec<String>)> {
    let vars = json!({ "p": period });
    let d = match viewer {
        Some(t) => run(app, t, REPORT, vars).await,
        None => app.data(REPORT, vars).await.unwrap(),
    };
    d["authority"]["plans"][0]["escalationReport"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let criteria: Vec<String> = e["criteria"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
                .collect();
            assert_eq!(e["criteriaMet"], json!(criteria.len()));
            assert_eq!(e["result"]["status"], "RED");
            (e["measure"]["code"].as_str().unwrap().to_owned(), criteria)
        })
        .collect()
}

/// The first plan's report as (code, criteriaMet) pairs.
fn counts(d: &Value) -> Vec<(&str, i64)> {
    d["authority"]["plans"][0]["escalationReport"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["measure"]["code"].as_str().unwrap(),
                e["criteriaMet"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn entry(code: &str, criteria: &[&str]) -> (String, Vec<String>) {
    (
        code.to_owned(),
        criteria.iter().map(|c| (*c).to_owned()).collect(),
    )
}

/// A measure: code, polarity, yearly target, values in Q1..Q4 of 2023-24.
struct Spec(&'static str, &'static str, f64, [f64; 4]);

/// Created in this order, so the report's order is its own doing.
const MEASURES: [Spec; 6] = [
    // RED now only, better than two quarters ago, a plan on track: none.
    Spec("ZERO", "HIGHER_IS_BETTER", 100.0, [80.0, 95.0, 85.0, 70.0]),
    Spec("GREEN", "HIGHER_IS_BETTER", 100.0, [100.0, 100.0, 100.0, 100.0]),
    // Lower is better: RED, amber, RED, better than Q1, no plan: one.
    Spec("ONE", "LOWER_IS_BETTER", 10.0, [12.0, 10.5, 11.5, 12.0]),
    Spec("AMBER", "HIGHER_IS_BETTER", 100.0, [80.0, 80.0, 95.0, 95.0]),
    // RED three quarters and worse, a plan on track: two.
    Spec("TWO", "HIGHER_IS_BETTER", 100.0, [80.0, 85.0, 70.0, 60.0]),
    // Lower is better: RED three quarters and worse, its plan overdue: three.
    Spec("THREE", "LOWER_IS_BETTER", 10.0, [12.0, 13.0, 14.0, 15.0]),
];

const QUARTERS: [&str; 4] = ["2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4"];

/// Builds Redhill's plan as its ADMIN and OFFICER would; nothing published.
async fn build(app: &TestApp, admin: &str, officer: &str) -> (Value, Vec<Value>) {
    let root = token("root", &["PLATFORM_ADMIN"]);
    let d = run(
        app,
        &root,
        r#"mutation { createAuthority(input: { slug: "redhill", name: "Redhill", kind: DISTRICT }) { id } }"#,
        Value::Null,
    )
    .await;
    let aid = d["createAuthority"]["id"].clone();
    let d = run(
        app,
        admin,
        r#"mutation($a: ID!) { createPlan(input: { authorityId: $a, title: "Business Plan", kind: BUSINESS_PLAN,
             ragRule: { method: TOLERANCE, amberTolerancePercent: 10 }, from: "2023-24", to: "2024-25" }) { id } }"#,
        json!({ "a": aid }),
    )
    .await;
    let plan = d["createPlan"]["id"].clone();
    let d = run(app, admin, r#"mutation($p: ID!) { createPlanNode(input: { planId: $p, code: "O1", title: "Outcome one" }) { id } }"#, json!({ "p": plan })).await;
    let node = d["createPlanNode"]["id"].clone();
    let mut ids = Vec::new();
    let mut results = Vec::new();
    for Spec(code, polarity, target, values) in &MEASURES {
        let d = run(
            app,
            admin,
            r#"mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { id } }"#,
            json!({ "input": { "nodeId": node, "code": code, "title": format!("Measure {code}"),
                    "unit": "PERCENT", "polarity": polarity, "kind": "COUNCIL" } }),
        )
        .await;
        let id = d["createMeasure"]["id"].clone();
        run(
            app,
            officer,
            r#"mutation($input: SetTargetInput!) { setTarget(input: $input) { status } }"#,
            json!({ "input": { "measureId": id, "period": "2023-24", "target": target } }),
        )
        .await;
        for (q, v) in QUARTERS.iter().zip(values) {
            results.push(json!({ "measureId": id, "period": q, "value": v }));
        }
        ids.push(id);
    }
    run(
        app,
        officer,
        r#"mutation($input: [SubmitResultInput!]!) { submitResults(input: $input) { status } }"#,
        json!({ "input": results }),
    )
    .await;
    let plan_of = |i: usize, actions: Value| json!({ "input": { "measureId": ids[i], "title": format!("Recovery plan {i}"), "actions": actions } });
    let create = r#"mutation($input: CreateActionPlanInput!) { createActionPlan(input: $input) { actions { id version } } }"#;
    // ZERO and TWO: an open action with no date passed.
    run(
        app,
        officer,
        create,
        plan_of(
            0,
            json!([{ "description": "Weekly review", "owner": "Head of service" }]),
        ),
    )
    .await;
    let d = run(
        app,
        officer,
        create,
        plan_of(
            4,
            json!([{ "description": "Recruit", "owner": "Head of service", "dueOn": "2023-06-30" },
                   { "description": "Monthly review", "owner": "Head of service" }]),
        ),
    )
    .await;
    // Its dated action is done, so it is not overdue.
    let done = &d["createActionPlan"]["actions"][0];
    run(
        app,
        officer,
        r#"mutation($input: UpdateActionInput!) { updateAction(input: $input) { status overdue } }"#,
        json!({ "input": { "id": done["id"], "status": "DONE", "expectedVersion": done["version"] } }),
    )
    .await;
    // THREE: its only plan has an action past its date.
    let d = run(
        app,
        officer,
        r#"mutation($input: CreateActionPlanInput!) { createActionPlan(input: $input) { actions { overdue } } }"#,
        plan_of(
            5,
            json!([{ "description": "New contract", "owner": "Director", "dueOn": "2024-01-31" },
                   { "description": "Monthly review", "owner": "Director" }]),
        ),
    )
    .await;
    assert_eq!(d["createActionPlan"]["actions"][0]["overdue"], true);
    (plan, ids)
}

#[tokio::test]
async fn the_report_orders_measures_by_the_criteria_they_meet() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let admin = token("admin", &["redhill:ADMIN"]);
        let officer = token("officer", &["redhill:OFFICER"]);
        let (plan, _) = build(&app, &admin, &officer).await;
        let publish = r#"mutation($p: ID!, $q: Period!) { publishPeriod(planId: $p, period: $q) { id } }"#;

        let all_three = ["RED_CONSECUTIVE", "WORSENING", "NO_EFFECTIVE_ACTION_PLAN"];
        let expected = vec![
            entry("THREE", &all_three),
            entry("TWO", &["RED_CONSECUTIVE", "WORSENING"]),
            entry("ONE", &["NO_EFFECTIVE_ACTION_PLAN"]),
            entry("ZERO", &[]),
        ];
        // Nothing published: the public sees an empty report, the council's
        // officer the whole of it.
        assert_eq!(report(&app, None, "2023-24 Q3").await, vec![], "{engine:?}");
        assert_eq!(
            report(&app, Some(&officer), "2023-24 Q3").await,
            expected,
            "{engine:?}"
        );

        // Q3 published alone: the hidden Q1 and Q2 make no run of reds and
        // no value to worsen from.
        run(&app, &admin, publish, json!({ "p": plan, "q": "2023-24 Q3" })).await;
        let public = report(&app, None, "2023-24 Q3").await;
        assert_eq!(
            public,
            vec![
                entry("ONE", &["NO_EFFECTIVE_ACTION_PLAN"]),
                entry("THREE", &["NO_EFFECTIVE_ACTION_PLAN"]),
                entry("ZERO", &[]),
                entry("TWO", &[]),
            ],
            "{engine:?}: as many criteria, reporting order"
        );

        for q in ["2023-24 Q1", "2023-24 Q2"] {
            run(&app, &admin, publish, json!({ "p": plan, "q": q })).await;
        }
        assert_eq!(report(&app, None, "2023-24 Q3").await, expected, "{engine:?}");
        let viewer = token("viewer", &["redhill:VIEWER"]);
        assert_eq!(
            report(&app, Some(&viewer), "2023-24 Q3").await,
            expected,
            "{engine:?}"
        );

        // Q4 is submitted but not published: empty to the public, not to
        // the council's officer.
        assert_eq!(report(&app, None, "2023-24 Q4").await, vec![], "{engine:?}");
        assert_eq!(
            report(&app, Some(&officer), "2023-24 Q4").await,
            vec![
                entry("THREE", &all_three),
                entry("ONE", &["WORSENING", "NO_EFFECTIVE_ACTION_PLAN"]),
                entry("TWO", &["RED_CONSECUTIVE", "WORSENING"]),
                entry("ZERO", &["WORSENING"]),
            ],
            "{engine:?}"
        );

        // A window of one quarter: every RED is a run, nothing is worse
        // than itself.
        let d = run(&app, &officer, REPORT, json!({ "p": "2023-24 Q3", "n": 1 })).await;
        assert_eq!(
            counts(&d),
            [("ONE", 2), ("THREE", 2), ("ZERO", 1), ("TWO", 1)],
            "{engine:?}"
        );

        for n in [0, 13, -1] {
            let codes = app
                .error_codes(REPORT, json!({ "p": "2023-24 Q3", "n": n }))
                .await
                .unwrap();
            assert_eq!(codes, ["BAD_USER_INPUT"], "{engine:?}: consecutive {n}");
        }
    }
}

/// The demo's Croydon report for its latest quarter, as the example
/// operations show it (`schema/operations/escalation-report.json`).
#[tokio::test]
async fn croydon_demo_report_for_2023_24_q3() {
    let q = r#"{ authority(slug: "croydon") { plans { escalationReport(period: "2023-24 Q3") { measure { code } criteriaMet } } } }"#;
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let d = app.data(q, Value::Null).await.unwrap();
        assert_eq!(
            counts(&d),
            [
                ("O3.6", 3),
                ("O1.4", 2),
                ("O1.5", 2),
                ("O4.6", 2),
                ("O4.8", 2),
                ("O5.2", 2),
                ("O3.1", 1),
                ("O4.9", 1),
                ("O5.1", 1),
            ],
            "{engine:?}"
        );
    }
}
