//! A request costs a fixed number of SQL statements, whatever the number of
//! measures: resolvers batch through DataLoaders, never query per row.

use serde_json::Value;
use tests::{Engine, engines, spawn, spawn_with_cache, token};

use crate::fixtures::sized;

const OPERATIONS: [(&str, &str); 6] = [
    (
        "trend",
        r#"plans { trend(from: "2023-24 Q1", to: "2023-24 Q2") { green red } }"#,
    ),
    (
        "plan breakdown",
        r#"plans { breakdown(period: "2023-24 Q2") { total red } }"#,
    ),
    (
        "comparison",
        r#"plans { comparison(from: "2023-24 Q1", to: "2023-24 Q2") { improved { status } worsened { status } } }"#,
    ),
    (
        "panel breakdown",
        r#"panels { breakdown(period: "2023-24 Q2") { total red } }"#,
    ),
    (
        "escalation report",
        r#"plans { escalationReport(period: "2023-24 Q2", consecutive: 2) { measure { code } result { value } criteria measure { actionPlans { actions { overdue } } } } }"#,
    ),
    (
        "dashboard",
        r#"plans { nodes { breakdown(period: "2023-24 Q2") { total } children { measures { code result(period: "2023-24 Q2") { value status direction } } } } }"#,
    ),
];

async fn cost(app: &tests::TestApp, slug: &str, fields: &str) -> u64 {
    let q = format!(r#"{{ authority(slug: "{slug}") {{ {fields} }} }}"#);
    let before = app.statements().await.unwrap();
    app.data(&q, Value::Null).await.unwrap();
    app.statements().await.unwrap() - before
}

#[tokio::test]
async fn statements_per_request_do_not_grow_with_measures() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        api::import::import(&app.db, &sized("small", 10)).await.unwrap();
        api::import::import(&app.db, &sized("large", 500)).await.unwrap();
        for (name, fields) in OPERATIONS {
            let small = cost(&app, "small", fields).await;
            let large = cost(&app, "large", fields).await;
            assert_eq!(
                small, large,
                "{name} on {engine:?}: {small} statements for 10 measures, {large} for 500"
            );
            assert!(small <= 25, "{name}: {small} statements");
        }
    }
}

/// BENCHMARKS.md's operation (a): a plan's node tree with every measure's
/// result, status and direction.
const DASHBOARD: &str = r#"{ authority(slug: "large") { plans { nodes { code title children { code title measures { code title result(period: "2023-24 Q2") { value target status direction } } } } } } }"#;

async fn cost_as(app: &tests::TestApp, token: Option<&str>, query: &str) -> (u64, Value) {
    let before = app.statements().await.unwrap();
    let body: Value = app
        .send(query, Value::Null, token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    (app.statements().await.unwrap() - before, body)
}

/// Four statements: the token's grants (its authorities and their partners
/// together), the authority's plans, the plan's nodes, measures and
/// publications together, and the results and targets rating reads
/// together. Anonymous: the authority instead of the grants.
#[tokio::test]
async fn the_dashboard_costs_four_statements() {
    for engine in engines() {
        let app = spawn_with_cache(engine, false, 0).await.unwrap();
        api::import::import(&app.db, &sized("large", 150)).await.unwrap();
        let officer = token("officer", &["large:OFFICER"]);
        let (n, _) = cost_as(&app, Some(&officer), DASHBOARD).await;
        assert_eq!(n, 4, "{engine:?}: the officer's dashboard");
        let (n, _) = cost_as(&app, None, DASHBOARD).await;
        assert_eq!(n, 4, "{engine:?}: the public dashboard");
    }
}

/// With the cache on, an answer it keeps costs one statement (the data
/// version) and is the same answer; a miss costs the version twice more
/// (once to look, once in the query's snapshot). On PostgreSQL the version
/// is the snapshot, which other tests writing to their own databases in the
/// same cluster move on: there the hit may take a few tries.
#[tokio::test]
async fn a_kept_answer_costs_one_statement() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        api::import::import(&app.db, &sized("large", 150)).await.unwrap();
        let (miss, first) = cost_as(&app, None, DASHBOARD).await;
        assert_eq!(miss, 6, "{engine:?}: a miss");
        let tries = if engine == Engine::Sqlite { 1 } else { 20 };
        let mut costs = Vec::new();
        for _ in 0..tries {
            let (n, again) = cost_as(&app, None, DASHBOARD).await;
            assert_eq!(first, again);
            costs.push(n);
            if n == 1 {
                break;
            }
        }
        assert_eq!(
            costs.last(),
            Some(&1),
            "{engine:?}: a hit costs one statement: {costs:?}"
        );
    }
}
