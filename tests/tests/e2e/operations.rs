//! The example operations in `schema/operations/` run against the demo
//! councils and answer the figures next to them (`NAME.json` beside
//! `NAME.graphql`: Kent's 16 green, 11 amber, 11 red and the like), so the
//! documentation cannot rot.
//!
//! Each file may start with a line `# variables: {…}` giving its variables.
//! A subscription's file also has a line `# trigger: {"grant": …, "query": …}`:
//! the mutation, run with a token of that grant, whose event it answers
//! with (its first `next`). Subscriptions run after the queries, as their
//! triggers change the figures.
//! After a deliberate change of figures, `BLESS=1 cargo test -p tests --test
//! e2e operations` rewrites the expected files; review their diff.

use std::path::PathBuf;

use serde_json::{Value, json};
use tests::ws::Socket;
use tests::{TestApp, engines, spawn, token};

fn operations() -> Vec<(PathBuf, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/operations");
    let mut files: Vec<(PathBuf, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect();
    files.sort();
    files
}

fn variables(text: &str) -> Value {
    text.lines()
        .find_map(|l| l.strip_prefix("# variables:"))
        .map_or(Value::Null, |v| serde_json::from_str(v.trim()).unwrap())
}

/// A subscription's trigger: the grant it runs with and the mutation.
fn trigger(text: &str) -> Option<(String, String)> {
    let t: Value =
        serde_json::from_str(text.lines().find_map(|l| l.strip_prefix("# trigger:"))?.trim()).unwrap();
    Some((t["grant"].as_str()?.to_owned(), t["query"].as_str()?.to_owned()))
}

/// What an operation answers: a query's data, or the data of the first
/// event a subscription hears once its trigger has run.
async fn answer(app: &TestApp, text: &str) -> anyhow::Result<Value> {
    let Some((grant, mutation)) = trigger(text) else {
        return app.data(text, variables(text)).await;
    };
    let mut s = Socket::connect(app, None).await?;
    s.subscribe("example", text, variables(text)).await?;
    // Once the ping is answered, the subscription listens.
    s.send(json!({ "type": "ping" })).await?;
    anyhow::ensure!(s.message().await?["type"] == "pong");
    app.data_as(&token("example", &[&grant]), &mutation, Value::Null)
        .await?;
    let m = s.message().await?;
    anyhow::ensure!(m["type"] == "next" && m["payload"]["errors"].is_null(), "{m}");
    Ok(m["payload"]["data"].clone())
}

#[tokio::test]
async fn every_example_operation_answers_its_figures() {
    let mut ops = operations();
    ops.sort_by_key(|(_, text)| trigger(text).is_some());
    assert!(
        ops.len() >= 8,
        "expected the example operations, found {}",
        ops.len()
    );
    let bless = std::env::var("BLESS").is_ok_and(|v| v == "1");
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        for (path, text) in &ops {
            let data = answer(&app, text)
                .await
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let expected_file = path.with_extension("json");
            if bless && engine == tests::Engine::Sqlite {
                std::fs::write(
                    &expected_file,
                    serde_json::to_string_pretty(&data).unwrap() + "\n",
                )
                .unwrap();
                continue;
            }
            let expected: Value = serde_json::from_str(
                &std::fs::read_to_string(&expected_file)
                    .unwrap_or_else(|e| panic!("{}: {e} (BLESS=1 writes it)", expected_file.display())),
            )
            .unwrap();
            assert_eq!(
                data,
                expected,
                "{engine:?}: {} answered other figures than {}",
                path.display(),
                expected_file.display()
            );
        }
    }
}

/// The README's example, checked figure by figure.
#[tokio::test]
async fn kent_reports_16_green_11_amber_11_red() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let data = app
            .data(
                r#"{ authority(slug: "kent") { plans { breakdown(period: "2023-24 Q1") { total green amber red improving stable declining } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        assert_eq!(
            data["authority"]["plans"][0]["breakdown"],
            serde_json::json!({ "total": 38, "green": 16, "amber": 11, "red": 11, "improving": 4, "stable": 24, "declining": 10 }),
            "{engine:?}"
        );
    }
}
