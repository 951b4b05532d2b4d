//! The README's restore drill: a PostgreSQL backup (`pg_dump -Fc`) taken
//! while writers run, restored into a new database with `pg_restore`, and a
//! server started on it.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::{Engine, TestApp, fresh_database, spawn, spawn_on, token};

const SUBMIT: &str = r#"mutation($m: ID!, $v: Float!) {
  submitResult(input: { measureId: $m, period: "2023-24 Q1", value: $v }) { value } }"#;

/// The result the writers restate, with every value it held.
const RESULT: &str = r#"query($m: ID!) { measure(id: $m) { result(period: "2023-24 Q1") {
  value version position versions(first: 500) { totalCount edges { node { value } } } } } }"#;

/// What the writers never touch: a quarter before theirs (no direction of
/// travel compares with a later one), as the public and an officer see it.
const UNTOUCHED: &str = r#"{ authority(slug: "kent") { plans { title breakdown(period: "2022-23 Q2") {
  green amber red noData } measures { code result(period: "2022-23 Q2") { value status direction
  submittedBy version } } } } }"#;

/// The measures the writers restate, one writer each.
const WRITTEN: [&str; 3] = ["CS01", "CS04", "CS06"];

fn officer() -> String {
    token("officer", &["kent:OFFICER", "kent:ADMIN"])
}

/// Restates `measure` again and again until `stop`: the values it had
/// acknowledged, each with when its answer arrived.
async fn write(app: Arc<TestApp>, measure: Value, first: f64, stop: Arc<AtomicBool>) -> Vec<(f64, Instant)> {
    let token = officer();
    let mut acknowledged = Vec::new();
    let mut value = first;
    while !stop.load(Ordering::Relaxed) {
        value += 0.01;
        // Two decimals, as a person would type them.
        let v = (value * 100.0).round() / 100.0;
        let d = app
            .data_as(&token, SUBMIT, json!({ "m": measure, "v": v }))
            .await
            .unwrap();
        assert_eq!(d["submitResult"]["value"], json!(v));
        acknowledged.push((v, Instant::now()));
    }
    acknowledged
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} could not start: {e}"));
    assert!(
        out.status.success(),
        "{program} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The values `measure`'s result replaced, newest first, and its answer.
async fn held(app: &TestApp, measure: &Value) -> (Vec<f64>, Value) {
    let d = app
        .data_as(&officer(), RESULT, json!({ "m": measure }))
        .await
        .unwrap();
    let result = d["measure"]["result"].clone();
    let replaced = result["versions"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["value"].as_f64().unwrap())
        .collect();
    (replaced, result)
}

#[tokio::test]
#[ignore = "PostgreSQL only: needs TEST_DATABASE_URL (.ci/run runs it)"]
async fn a_backup_taken_under_writers_restores_every_acknowledged_write() {
    tests::require_postgres();
    let app = Arc::new(spawn(Engine::Postgres, true).await.unwrap());
    let untouched = app.data_as(&officer(), UNTOUCHED, Value::Null).await.unwrap();
    let public = app.data(UNTOUCHED, Value::Null).await.unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let mut measures = Vec::new();
    let mut writers = Vec::new();
    for (i, code) in WRITTEN.iter().enumerate() {
        let (_, measure) = app.measure("kent", code).await.unwrap();
        measures.push(measure.clone());
        // Far from the demo's values, so each write changes the result.
        let first = 10.0 * (i + 1) as f64;
        writers.push(tokio::spawn(write(app.clone(), measure, first, stop.clone())));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;

    let dump = std::env::temp_dir().join(format!("{}.dump", app.database_name()));
    let dump_path = dump.to_string_lossy().into_owned();
    let started = Instant::now();
    run("pg_dump", &["-Fc", "-f", &dump_path, &app.database_url]);
    // The writers go on while the backup runs and a while after.
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for w in writers {
        acknowledged.push(w.await.unwrap());
    }

    let restored = fresh_database(Engine::Postgres).await.unwrap();
    run("pg_restore", &["--no-owner", "-d", &restored, &dump_path]);
    let _ = std::fs::remove_file(&dump);
    let second = spawn_on(Engine::Postgres, &restored).await.unwrap();

    // From the first request: what the backup holds, and nothing stale.
    assert_eq!(
        second.data_as(&officer(), UNTOUCHED, Value::Null).await.unwrap(),
        untouched
    );
    assert_eq!(second.data(UNTOUCHED, Value::Null).await.unwrap(), public);
    let mut before_backup = 0;
    for (measure, acked) in measures.iter().zip(&acknowledged) {
        let (replaced, result) = held(&second, measure).await;
        let current = result["value"].as_f64().unwrap();
        for (v, at) in acked {
            if *at < started {
                before_backup += 1;
                assert!(
                    *v == current || replaced.contains(v),
                    "{v}, acknowledged before the backup, is missing: {current} {replaced:?}"
                );
            }
        }
        // Nothing but what was written: the writer's values, each once,
        // over the demo's.
        let (demo, written) = replaced.split_last().unwrap();
        assert!(!acked.iter().any(|(a, _)| a == demo), "{demo}");
        assert!(
            written
                .iter()
                .chain([&current])
                .all(|v| acked.iter().any(|(a, _)| a == v))
        );
        assert_eq!(
            result["versions"]["totalCount"].as_u64(),
            Some(replaced.len() as u64)
        );
        assert_eq!(result["version"].as_u64(), Some(replaced.len() as u64 + 1));

        // The restored database takes writes, and its next answer shows
        // them, at a later position.
        let (_, cached) = held(&second, measure).await;
        assert_eq!(cached, result);
        second
            .data_as(&officer(), SUBMIT, json!({ "m": measure, "v": 99.99 }))
            .await
            .unwrap();
        let (_, after) = held(&second, measure).await;
        assert_eq!(after["value"], json!(99.99));
        assert_eq!(after["version"].as_u64(), Some(replaced.len() as u64 + 2));
        assert!(position(&after) > position(&result), "{after} after {result}");
    }
    let all: usize = acknowledged.iter().map(Vec::len).sum();
    eprintln!("{all} writes acknowledged, {before_backup} of them before the backup began");
    assert!(
        before_backup >= WRITTEN.len(),
        "the writers wrote too little before the backup"
    );
    assert!(all > before_backup, "no writer ran during the backup");
}

/// A `position` as the number it orders by.
fn position(result: &Value) -> u64 {
    result["position"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0)
}
