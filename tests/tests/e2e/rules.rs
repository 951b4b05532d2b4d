//! The rules other councils rate by, set and seen through the API as a
//! council's admin and officers would.

use serde_json::{Value, json};
use tests::{engines, spawn, token};

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
        let root = token("root", &["PLATFORM_ADMIN"]);
        let admin = token("admin", &["havering:ADMIN"]);
        let officer = token("officer", &["havering:OFFICER"]);
        let run = |t: &str, q: &'static str, v: Value| {
            let t = t.to_owned();
            let app = &app;
            async move { app.data_as(&t, q, v).await.unwrap() }
        };
        let d = run(
            &root,
            r#"mutation { createAuthority(input: { slug: "havering", name: "Havering", kind: LONDON_BOROUGH }) { id } }"#,
            Value::Null,
        )
        .await;
        let d = run(
            &admin,
            r#"mutation($a: ID!) { createPlan(input: { authorityId: $a, title: "Corporate Performance", kind: CORPORATE_PLAN,
                 ragRule: { method: IMPROVEMENT }, from: "2012-13", to: "2013-14" }) { id } }"#,
            json!({ "a": d["createAuthority"]["id"] }),
        )
        .await;
        let d = run(
            &admin,
            r#"mutation($p: ID!) { createPlanNode(input: { planId: $p, code: "CP", title: "Corporate" }) { id } }"#,
            json!({ "p": d["createPlan"]["id"] }),
        )
        .await;
        let node = d["createPlanNode"]["id"].clone();
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
