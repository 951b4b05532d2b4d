//! A request costs a fixed number of SQL statements, whatever the number of
//! measures: resolvers batch through DataLoaders, never query per row.

use serde_json::Value;
use tests::{engines, spawn};

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
