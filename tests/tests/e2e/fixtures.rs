//! Purpose-built authorities, written through the same import path as the
//! demo councils.

use schema::service::import::Bundle;
use serde_json::{Value, json};

/// A measure of the fixture plan: code, node, polarity, kind.
pub struct M<'a>(pub &'a str, pub &'a str, pub &'a str, pub &'a str);

/// One plan ("plan") with nodes A (child A1) and B, quarterly measures, a
/// panel whose remit is node A, and every period in `published` published.
pub fn bundle(
    slug: &str,
    measures: &[M<'_>],
    targets: &[(&str, &str, &str)],
    results: &[(&str, &str, &str)],
    published: &[&str],
) -> Bundle {
    let measures: Vec<Value> = measures
        .iter()
        .map(|M(code, node, polarity, kind)| {
            json!({ "plan": "plan", "node": node, "code": code, "title": format!("Measure {code}"),
                    "unit": "PERCENT", "polarity": polarity, "kind": kind, "frequency": "QUARTERLY" })
        })
        .collect();
    let targets: Vec<Value> = targets
        .iter()
        .map(|(m, p, t)| json!({ "measure": m, "period": p, "target": t }))
        .collect();
    let results: Vec<Value> = results
        .iter()
        .map(|(m, p, v)| json!({ "measure": m, "period": p, "value": v }))
        .collect();
    serde_json::from_value(json!({
        "slug": slug, "name": format!("{slug} council"), "kind": "DISTRICT",
        "plans": [{
            "key": "plan", "title": "Test plan", "kind": "CORPORATE_PLAN",
            "ragRule": { "method": "TOLERANCE", "amberTolerancePercent": 10 },
            "directionRule": { "method": "PREVIOUS_PERIOD" },
            "published": published,
            "nodes": [
                { "code": "A", "title": "Outcome A", "children": [{ "code": "A1", "title": "Priority A1" }] },
                { "code": "B", "title": "Outcome B" }
            ]
        }],
        "panels": [{ "name": "Scrutiny of A", "kind": "SCRUTINY_COMMITTEE",
                     "remit": { "nodes": [{ "plan": "plan", "code": "A" }] } }],
        "measures": measures, "targets": targets, "results": results,
    }))
    .expect("fixture bundle")
}

/// `n` measures under A1, each with a target and a result in two quarters;
/// every third is RED in the second, and every other of those has an
/// action plan with an overdue action.
pub fn sized(slug: &str, n: usize) -> Bundle {
    let codes: Vec<String> = (0..n).map(|i| format!("M{i}")).collect();
    let measures: Vec<M<'_>> = codes
        .iter()
        .map(|c| M(c, "A1", "HIGHER_IS_BETTER", "COUNCIL"))
        .collect();
    let targets: Vec<(&str, &str, &str)> = codes.iter().map(|c| (c.as_str(), "2023-24", "50")).collect();
    let results: Vec<(&str, &str, &str)> = codes
        .iter()
        .enumerate()
        .flat_map(|(i, c)| {
            let v = if i % 3 == 0 { "40" } else { "60" };
            [(c.as_str(), "2023-24 Q1", "48"), (c.as_str(), "2023-24 Q2", v)]
        })
        .collect();
    let mut b = bundle(slug, &measures, &targets, &results, &["2023-24 Q1", "2023-24 Q2"]);
    let plans: Vec<Value> = codes
        .iter()
        .step_by(6)
        .map(|c| {
            json!({ "measure": c, "title": format!("Recovery of {c}"), "actions": [
                { "description": "Review", "owner": "Head of service", "dueOn": "2023-09-30" },
                { "description": "Report", "owner": "Head of service", "status": "IN_PROGRESS" }
            ] })
        })
        .collect();
    b.action_plans = serde_json::from_value(Value::Array(plans)).expect("fixture action plans");
    b
}

/// A council made through the API as its people would: a new authority
/// `slug` (by the platform admin), one plan rated by `rule` (a
/// `RagRuleInput`) and one node (by the authority's ADMIN).
pub struct Council {
    pub authority: Value,
    pub plan: Value,
    pub node: Value,
}

pub async fn council(app: &tests::TestApp, slug: &str, rule: Value) -> Council {
    let root = tests::token("root", &["PLATFORM_ADMIN"]);
    let admin = tests::token("admin", &[&format!("{slug}:ADMIN")]);
    let run = |t: &str, q: &'static str, v: Value| {
        let t = t.to_owned();
        async move { app.data_as(&t, q, v).await.unwrap() }
    };
    let d = run(
        &root,
        r#"mutation($s: String!) { createAuthority(input: { slug: $s, name: $s, kind: UNITARY }) { id } }"#,
        json!({ "s": slug }),
    )
    .await;
    let authority = d["createAuthority"]["id"].clone();
    let d = run(
        &admin,
        r#"mutation($a: ID!, $rule: RagRuleInput!) { createPlan(input: { authorityId: $a, title: "Performance",
             kind: PERFORMANCE_REPORT, ragRule: $rule }) { id } }"#,
        json!({ "a": authority, "rule": rule }),
    )
    .await;
    let plan = d["createPlan"]["id"].clone();
    let d = run(
        &admin,
        r#"mutation($p: ID!) { createPlanNode(input: { planId: $p, code: "N", title: "Services" }) { id } }"#,
        json!({ "p": plan }),
    )
    .await;
    Council {
        authority,
        plan,
        node: d["createPlanNode"]["id"].clone(),
    }
}

/// A plan's sheet (`report.csv`, `template.csv`) for a period, as the
/// holder of `token` (or the public) downloads it.
pub async fn sheet(
    app: &tests::TestApp,
    token: Option<&str>,
    plan: &Value,
    file: &str,
    period: &str,
) -> String {
    let id = plan.as_str().unwrap_or_default();
    let mut req = app
        .client
        .get(format!("{}/plans/{id}/{file}", app.address))
        .query(&[("period", period)]);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().text().await.unwrap()
}

/// The report pack's row of measure `code`, cell by column name (cells
/// hold no commas in the tests that read them this way).
pub fn report_row(csv: &str, code: &str) -> std::collections::HashMap<String, String> {
    let mut lines = csv
        .lines()
        .map(|l| l.split(',').map(str::to_owned).collect::<Vec<_>>());
    let header = lines.next().unwrap_or_default();
    let at = header.iter().position(|h| h == "code").unwrap_or(1);
    let row = lines
        .find(|r| r.get(at).is_some_and(|c| c == code))
        .unwrap_or_else(|| panic!("no row {code}: {csv}"));
    header.into_iter().zip(row).collect()
}
