//! The example operations in `schema/operations/` run against the demo
//! councils without error, so the documentation cannot rot.
//!
//! Each file may start with a line `# variables: {…}` giving its variables.

use serde_json::Value;
use tests::{engines, spawn};

fn operations() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/operations");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    files.sort();
    files
}

fn variables(text: &str) -> Value {
    text.lines()
        .find_map(|l| l.strip_prefix("# variables:"))
        .map_or(Value::Null, |v| serde_json::from_str(v.trim()).unwrap())
}

#[tokio::test]
async fn every_example_operation_runs() {
    let ops = operations();
    assert!(
        ops.len() >= 8,
        "expected the example operations, found {}",
        ops.len()
    );
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        for (path, text) in &ops {
            let data = app
                .data(text, variables(text))
                .await
                .unwrap_or_else(|e| panic!("{path}: {e}"));
            assert!(data.is_object(), "{path}: no data");
        }
    }
}
