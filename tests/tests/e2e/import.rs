//! `councilperf import` goes through the mutations' use cases in one
//! transaction: what a mutation refuses an import refuses, naming the file,
//! row and column, and writes nothing; a valid import is audited.

use std::path::{Path, PathBuf};

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};
use tests::{Engine, TestApp, engines, spawn, token};

use crate::fixtures::sized;

const DEMO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/demo/windsor-maidenhead");

/// A copy of a demo council's files with `edit` applied to one of them.
fn files(name: &str, edit: impl Fn(&str, String) -> String) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cp_import_{}_{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["authority.json", "measures.csv", "targets.csv", "results.csv"] {
        let text = std::fs::read_to_string(Path::new(DEMO).join(f)).unwrap();
        std::fs::write(dir.join(f), edit(f, text)).unwrap();
    }
    dir
}

/// A server whose database knows the national metric the demo council's
/// measures follow, as the demo's does.
async fn importing(engine: tests::Engine) -> TestApp {
    let app = spawn(engine, false).await.unwrap();
    let (national, _) = api::import::demo_reference().unwrap();
    api::import::import_reference(&app.db, &national, "test")
        .await
        .unwrap();
    app
}

async fn import(app: &TestApp, dir: &Path) -> anyhow::Result<()> {
    let bundle = api::import::read_dir(dir)?;
    api::import::import_as(&app.db, &bundle, "jane.importer").await
}

async fn refused_without_a_trace(app: &TestApp, dir: &Path, says: &[&str]) {
    let before = app.row_counts().await.unwrap();
    let err = import(app, dir).await.expect_err("the import should be refused");
    let message = format!("{err:#}");
    for s in says {
        assert!(
            message.contains(s),
            "{:?}: `{message}` should say `{s}`",
            app.engine
        );
    }
    assert_eq!(
        app.row_counts().await.unwrap(),
        before,
        "a refused import wrote rows"
    );
}

#[tokio::test]
async fn an_invalid_slug_is_refused_and_nothing_is_written() {
    let dir = files("slug", |f, text| match f {
        "authority.json" => text.replace("\"slug\": \"windsor-maidenhead\"", "\"slug\": \"Kent Copy\""),
        _ => text,
    });
    for engine in engines() {
        let app = importing(engine).await;
        refused_without_a_trace(&app, &dir, &["authority.json, field slug", "Kent Copy"]).await;
    }
}

#[tokio::test]
async fn a_floor_on_the_wrong_side_of_its_target_is_refused() {
    // ASC1 is higher-is-better: a floor above its target of 90 is wrong.
    let dir = files("floor", |f, text| match f {
        "targets.csv" => text.replacen("ASC1,2020-21,90,", "ASC1,2020-21,90,95", 1),
        _ => text,
    });
    for engine in engines() {
        let app = importing(engine).await;
        refused_without_a_trace(&app, &dir, &["targets.csv row 2", "column floor", "wrong side"]).await;
    }
}

#[tokio::test]
async fn a_result_in_the_wrong_frequency_is_refused_at_its_row() {
    let dir = files("period", |f, text| match f {
        "results.csv" => text.replacen("ASC1,2020-21 Q1,83.0,", "ASC1,2020-05,83.0,", 1),
        _ => text,
    });
    for engine in engines() {
        let app = importing(engine).await;
        refused_without_a_trace(&app, &dir, &["results.csv row 2", "column period"]).await;
    }
}

#[tokio::test]
async fn a_valid_import_is_in_the_audit_log_under_its_actor() {
    let dir = files("valid", |_, text| text);
    for engine in engines() {
        let app = importing(engine).await;
        import(&app, &dir).await.unwrap();
        let admin = token("a", &["windsor-maidenhead:ADMIN"]);
        let d = app
            .data_as(
                &admin,
                r#"{ authority(slug: "windsor-maidenhead") { auditLog(first: 500) { entries { actor operation entity } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        let entries = d["authority"]["auditLog"]["entries"].as_array().unwrap();
        assert!(
            entries.iter().all(|e| e["actor"] == "jane.importer"),
            "{engine:?}: {entries:?}"
        );
        for (operation, entity) in [
            ("createAuthority", "authority"),
            ("createPlan", "plan"),
            ("createMeasure", "measure"),
            ("setTarget", "target"),
            ("submitResult", "result"),
            ("publishPeriod", "publication"),
        ] {
            assert!(
                entries
                    .contains(&json!({ "actor": "jane.importer", "operation": operation, "entity": entity })),
                "{engine:?}: no {operation} of a {entity} in the audit log"
            );
        }
        // The same authority again is a conflict, and changes nothing.
        refused_without_a_trace(&app, &dir, &["authority.json", "already exists"]).await;
    }
}

/// The command itself: a refused import exits non-zero, says where, and
/// leaves the database without an authority.
#[tokio::test]
async fn the_import_command_exits_non_zero_on_a_refusal() {
    let dir = files("cli", |f, text| match f {
        "authority.json" => text.replace("\"slug\": \"windsor-maidenhead\"", "\"slug\": \"Kent Copy\""),
        _ => text,
    });
    let database_url = tests::fresh_database(tests::Engine::Sqlite).await.unwrap();
    let out = tests::councilperf(&database_url, [std::ffi::OsStr::new("import"), dir.as_os_str()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the import should fail: {stderr}");
    assert!(stderr.contains("authority.json, field slug"), "{stderr}");
    let db = sea_orm::Database::connect(&database_url).await.unwrap();
    assert!(schema::store::authorities(&db).await.unwrap().is_empty());
    db.close().await.unwrap();
    if let Some(file) = database_url
        .strip_prefix("sqlite://")
        .and_then(|r| r.split('?').next())
    {
        let _ = std::fs::remove_file(file);
    }
}

/// `councilperf import --metric-values`: reference values from a CSV, all
/// or nothing, through the path of `setMetricValues`.
#[tokio::test]
async fn the_import_command_loads_reference_values_all_or_nothing() {
    let app = spawn(tests::Engine::Sqlite, true).await.unwrap();
    let dir = std::env::temp_dir().join(format!("cp_values_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("metric-values.csv");
    let cli = |file: &Path| {
        tests::councilperf(
            &app.database_url,
            [
                std::ffi::OsStr::new("import"),
                "--metric-values".as_ref(),
                file.as_os_str(),
            ],
        )
    };
    const COUNT: &str = r#"{ metric(code: "NI192") { benchmark(period: "2023-24") { count mean } } }"#;
    std::fs::write(
        &file,
        "metric,authority,period,value\nNI192,croydon,2023-24,39.8\nNI192,nowhere,2023-24,50\n",
    )
    .unwrap();
    let before = app.row_counts().await.unwrap();
    let out = cli(&file);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "an unknown authority should be refused: {stderr}"
    );
    assert!(
        stderr.contains("metric-values.csv row 3, column authority"),
        "{stderr}"
    );
    assert_eq!(app.row_counts().await.unwrap(), before, "nothing was written");
    std::fs::write(
        &file,
        "metric,authority,period,value\nNI192,croydon,2023-24,39.8\nNI192,rotherham,2023-24,44.9\n",
    )
    .unwrap();
    let out = cli(&file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let d = app.data(COUNT, Value::Null).await.unwrap();
    assert_eq!(d["metric"]["benchmark"], json!({ "count": 2, "mean": 42.35 }));
    let _ = std::fs::remove_dir_all(&dir);
}

/// An import leaves PostgreSQL statistics of the tables it grew from empty:
/// without them (autovacuum off) the next import's reads of what earlier
/// ones wrote were sequential scans, and each authority took longer to
/// import than the one before (issue 22).
#[tokio::test]
#[ignore = "PostgreSQL only: needs TEST_DATABASE_URL (.ci/run runs it)"]
async fn an_import_leaves_statistics_of_the_tables_it_grew() {
    tests::require_postgres();
    let app = spawn(Engine::Postgres, false).await.unwrap();
    api::import::import(&app.db, &sized("busytown", 40))
        .await
        .unwrap();
    let row = app
        .db
        .query_one_raw(Statement::from_string(
            DbBackend::Postgres,
            "SELECT min(reltuples)::bigint AS rows FROM pg_class \
             WHERE relnamespace = current_schema()::regnamespace \
             AND relname IN ('measures', 'targets', 'results', 'audit_log')",
        ))
        .await
        .unwrap()
        .unwrap();
    // Never analysed, a table's reltuples is -1; each of these holds at
    // least the 40 measures' rows.
    assert!(row.try_get::<i64>("", "rows").unwrap() >= 40);
}

#[tokio::test]
async fn an_action_version_short_of_its_status_or_a_platform_role_is_refused_at_its_place() {
    let with = |name: &str, field: &'static str, value: Value| {
        files(name, move |f, text| match f {
            "authority.json" => {
                let mut b: Value = serde_json::from_str(&text).unwrap();
                b[field] = value.clone();
                serde_json::to_string(&b).unwrap()
            }
            _ => text,
        })
    };
    // DONE takes an update: version 1 says it never had one.
    let action = with(
        "action_version",
        "actionPlans",
        json!([{ "measure": "ASC1", "title": "Plan", "actions": [
            { "description": "Do it", "owner": "Someone", "status": "DONE", "version": 1 }
        ] }]),
    );
    let member = with(
        "member_role",
        "members",
        json!([{ "role": "PLATFORM_ADMIN", "email": "someone@example.org" }]),
    );
    for engine in engines() {
        let app = importing(engine).await;
        refused_without_a_trace(
            &app,
            &action,
            &[
                "authority.json actionPlans[0].actions[0], field version",
                "version 1",
            ],
        )
        .await;
        refused_without_a_trace(
            &app,
            &member,
            &["authority.json members[0]", "PLATFORM_ADMIN at none"],
        )
        .await;
    }
}
