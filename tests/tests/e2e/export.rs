//! Taking an authority's data out and restoring it: `councilperf export`
//! and `GET /authorities/{slug}/export.zip` give the same files; importing
//! them into a database that holds only the national reference data (and
//! the other councils) gives every answer the first database gave, byte
//! for byte once ids are set aside: every example operation as each kind of
//! viewer, and each plan's sheets. History, versions and the audit log come
//! back with their times and authors, and the import adds one record.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use entity::model::{action, audit_log};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::{Value, json};
use tests::{TestApp, councilperf, engines, spawn, token};

const COUNCILS: &[&str] = &["croydon", "havering", "kent", "rotherham", "windsor-maidenhead"];

/// The example queries (a subscription's trigger writes, so it is left to
/// the operations test).
fn queries() -> Vec<(String, String)> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../schema/operations");
    let mut ops: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .filter(|(_, text)| !text.contains("# trigger:"))
        .collect();
    ops.sort();
    assert!(ops.len() >= 8, "expected the example operations");
    ops
}

/// The operation's own variables, and the same naming `slug` instead.
fn variable_sets(text: &str, slug: &str) -> Vec<Value> {
    let own: Value = text
        .lines()
        .find_map(|l| l.strip_prefix("# variables:"))
        .map_or(json!({}), |v| serde_json::from_str(v.trim()).unwrap());
    let mut sets = vec![own.clone()];
    for key in ["slug", "authority"] {
        if own.get(key).is_some_and(|v| v != slug) {
            let mut other = own.clone();
            other[key] = json!(slug);
            sets.push(other);
        }
    }
    sets
}

/// The answer with what two databases number differently set aside: global
/// ids, row numbers, cursors.
fn normalised(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, v)| {
                    let id_like = k == "id"
                        || k == "position"
                        || k == "databaseId"
                        || k.ends_with("Id")
                        || k.ends_with("Cursor")
                        || k == "cursor";
                    let v = if id_like && !v.is_object() && !v.is_array() {
                        json!("<id>")
                    } else {
                        normalised(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalised).collect()),
        Value::String(s)
            if schema::ids::decode(s).is_ok_and(|g| matches!(g, schema::ids::Global::Row(..))) =>
        {
            json!("<id>")
        }
        other => other.clone(),
    }
}

/// A whole response, data and errors, as the holder of `token` gets it.
async fn response(app: &TestApp, token: Option<&str>, query: &str, variables: Value) -> Value {
    let body: Value = app
        .send(query, variables, token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    normalised(&body)
}

/// The sheets of every plan of `slug` for each period it published, as its
/// ADMIN downloads them, with the plan's id set aside.
async fn sheets(app: &TestApp, slug: &str, admin: &str) -> Vec<(String, String)> {
    let d = app
        .data_as(
            admin,
            "query($s: String!) { authority(slug: $s) { plans { id publishedPeriods } } }",
            json!({ "s": slug }),
        )
        .await
        .unwrap();
    let mut out = Vec::new();
    for (n, plan) in d["authority"]["plans"].as_array().unwrap().iter().enumerate() {
        let id = plan["id"].as_str().unwrap();
        for period in plan["publishedPeriods"].as_array().unwrap() {
            let period = period.as_str().unwrap();
            for file in ["report.csv", "template.csv", "targets.csv"] {
                let resp = app
                    .client
                    .get(format!("{}/plans/{id}/{file}", app.address))
                    .query(&[("period", period)])
                    .bearer_auth(admin)
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body = resp.text().await.unwrap().replace(id, "<id>");
                out.push((format!("plan {n} {file} {period} ({status})"), body));
            }
        }
    }
    out
}

/// Every result of `slug` in `period` with all it replaced, and its
/// commentary with every earlier text.
const HISTORY: &str = r#"query($s: String!, $p: Period!) { authority(slug: $s) { plans {
  ragRule { ...Rule } measures {
  code forecastMethod definitions { effectiveFrom description changedBy changedAt } ragRule { ...Rule } result(period: $p) { status value version submittedAt submittedBy restated published quality asAt
    forecast { method period value target status }
    history { version value note submittedBy submittedAt replacedAt quality asAt }
    commentary { body kind version author createdAt history { version body author editedAt } }
    actionPlans { title actions { description status dueOn } } } } } } }
fragment Rule on RagRule { method amberTolerancePercent amberToleranceUnits blueMarginPercent blueMarginUnits }"#;

/// Gives `slug` a past: a published value submitted twice more (so
/// restated, with versions), commentary written and edited, a deadline,
/// each by someone other than the importer, so the round trip has history
/// to keep. Answers the period it wrote in.
async fn make_history(app: &TestApp, slug: &str) -> String {
    let officer = token("officer-jo", &[&format!("{slug}:ADMIN")]);
    let d = app
        .data_as(
            &officer,
            "query($s: String!) { authority(slug: $s) { plans { id publishedPeriods measures { id } } } }",
            json!({ "s": slug }),
        )
        .await
        .unwrap();
    let plan = &d["authority"]["plans"][0];
    let measure = plan["measures"][0]["id"].clone();
    let periods = plan["publishedPeriods"].as_array().unwrap();
    let submit = r#"mutation($m: ID!, $p: Period!, $v: Float!) { submitResult(input: { measureId: $m, period: $p, value: $v, note: "checked again" }) { version } }"#;
    // The first published period the measure reports in.
    let mut period = None;
    for p in periods.iter().rev().filter_map(Value::as_str) {
        let vars = json!({ "m": measure, "p": p, "v": 41.5 });
        if app.data_as(&officer, submit, vars).await.is_ok() {
            period = Some(p.to_owned());
            break;
        }
    }
    let period = period.expect("a published period the first measure reports in");
    // Margins on the plan's rule, and a measure's own rule in units, which
    // must come back as they were.
    let rule = app
        .data_as(
            &officer,
            "query($p: ID!) { plan(id: $p) { ragRule { method amberTolerancePercent } } }",
            json!({ "p": plan["id"] }),
        )
        .await
        .unwrap();
    let mut rule = rule["plan"]["ragRule"].clone();
    rule["blueMarginPercent"] = json!(1.5);
    app.data_as(
        &officer,
        "mutation($p: ID!, $r: RagRuleInput!) { updatePlan(input: { id: $p, ragRule: $r }) { id } }",
        json!({ "p": plan["id"], "r": rule }),
    )
    .await
    .unwrap();
    app.data_as(
        &officer,
        "mutation($m: ID!) { updateMeasure(input: { id: $m, ragRule: { method: TOLERANCE, amberToleranceUnits: 2, blueMarginUnits: 0.5 } }) { id } }",
        json!({ "m": measure }),
    )
    .await
    .unwrap();
    // Provisional, then revised by its source, with the dates they held at
    // and (where the measure reports within the year) the officer's forecast.
    let d = app
        .data_as(
            &officer,
            r#"mutation($m: ID!) { updateMeasure(input: { id: $m, forecastMethod: ENTERED }) { id } }"#,
            json!({ "m": measure }),
        )
        .await;
    let forecast = d.is_ok().then_some(50.5);
    // Its definition changed from the period written in.
    app.data_as(
        &token("editor-sam", &[&format!("{slug}:ADMIN")]),
        r#"mutation($m: ID!, $p: Period!) { changeMeasureDefinition(input: { measureId: $m, effectiveFrom: $p, description: "New data source" }) { id } }"#,
        json!({ "m": measure, "p": period }),
    )
    .await
    .unwrap();
    let revise = r#"mutation($m: ID!, $p: Period!, $v: Float!, $q: DataQuality!, $at: Date!, $f: Float) { submitResult(input: { measureId: $m, period: $p, value: $v, quality: $q, asAt: $at, forecast: $f }) { version } }"#;
    for (v, q, at) in [
        (42.25, "PROVISIONAL", "2020-01-31"),
        (43.0, "REVISED", "2020-02-29"),
    ] {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        app.data_as(
            &officer,
            revise,
            json!({ "m": measure, "p": period, "v": v, "q": q, "at": at, "f": forecast }),
        )
        .await
        .unwrap();
    }
    let c = app
        .data_as(
            &officer,
            r#"mutation($m: ID!, $p: Period!) { addCommentary(input: { measureId: $m, period: $p, kind: SERVICE, body: "First thoughts" }) { id version } }"#,
            json!({ "m": measure, "p": period }),
        )
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    app.data_as(
        &token("editor-sam", &[&format!("{slug}:ADMIN")]),
        r#"mutation($c: ID!) { editCommentary(input: { id: $c, body: "Second thoughts", expectedVersion: 1 }) { version } }"#,
        json!({ "c": c["addCommentary"]["id"] }),
    )
    .await
    .unwrap();
    app.data_as(
        &officer,
        r#"mutation($pl: ID!, $p: Period!) { setDeadline(planId: $pl, period: $p, dueOn: "2030-01-31") { id } }"#,
        json!({ "pl": plan["id"], "p": period }),
    )
    .await
    .unwrap();
    // A measure retired, and an action moved on (where there is one).
    let measures = plan["measures"].as_array().unwrap();
    app.data_as(
        &officer,
        "mutation($m: ID!) { archiveMeasure(id: $m) { id } }",
        json!({ "m": measures[measures.len() - 1]["id"] }),
    )
    .await
    .unwrap();
    let d = app
        .data_as(
            &officer,
            "query($s: String!) { authority(slug: $s) { plans { measures { actionPlans { actions { id version } } } } } }",
            json!({ "s": slug }),
        )
        .await
        .unwrap();
    let action = d["authority"]["plans"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["measures"].as_array().unwrap())
        .flat_map(|m| m["actionPlans"].as_array().unwrap())
        .flat_map(|ap| ap["actions"].as_array().unwrap())
        .next();
    if let Some(a) = action {
        app.data_as(
            &officer,
            r#"mutation($a: ID!, $v: Int!) { updateAction(input: { id: $a, status: DONE, note: "Signed off", expectedVersion: $v }) { id } }"#,
            json!({ "a": a["id"], "v": a["version"] }),
        )
        .await
        .unwrap();
    }
    // An action updated twice, and one never; roles granted by subject and
    // by email.
    let ap = app
        .data_as(
            &officer,
            r#"mutation($m: ID!) { createActionPlan(input: { measureId: $m, title: "Recovery", actions: [{ description: "Clear the backlog", owner: "Head of service" }, { description: "Report back", owner: "Director" }] }) { actions { id } } }"#,
            json!({ "m": measure }),
        )
        .await
        .unwrap();
    for (status, v) in [("IN_PROGRESS", 1), ("DONE", 2)] {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        app.data_as(
            &officer,
            &format!(r#"mutation($a: ID!, $v: Int!) {{ updateAction(input: {{ id: $a, status: {status}, note: "Step {v}", expectedVersion: $v }}) {{ id }} }}"#),
            json!({ "a": ap["createActionPlan"]["actions"][0]["id"], "v": v }),
        )
        .await
        .unwrap();
    }
    for person in [
        r#"role: OFFICER, issuer: "https://id.example.org", subject: "ana""#,
        r#"role: VIEWER, email: "Bo@Example.org""#,
    ] {
        app.data_as(
            &officer,
            &format!("mutation($s: String!) {{ grantRole(input: {{ authority: $s, {person} }}) {{ id }} }}"),
            json!({ "s": slug }),
        )
        .await
        .unwrap();
    }
    period
}

/// The roles held at `slug` and its actions, as its ADMIN sees them.
const HELD: &str = r#"query($s: String!) { authority(slug: $s) {
  members { role partner { slug } issuer subject email grantedAt grantedBy }
  plans { measures { code actionPlans { title actions { description owner dueOn status version } } } } } }"#;

/// What the API does not show of `slug`'s actions (note, when each last
/// moved on) with what it does, in the order they were written.
async fn actions(app: &TestApp, slug: &str) -> Vec<String> {
    let a = schema::store::authority_by_slug(&app.db, slug)
        .await
        .unwrap()
        .unwrap();
    action::Entity::find()
        .filter(action::Column::AuthorityId.eq(a.id))
        .order_by_asc(action::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|x| {
            format!(
                "{} {:?} {:?} v{} {}",
                x.description, x.status, x.note, x.version, x.updated_at
            )
        })
        .collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cp_export_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn dir_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// The archive's files, and the archive itself.
async fn zip_files(app: &TestApp, slug: &str, token: &str) -> (BTreeMap<String, Vec<u8>>, Vec<u8>) {
    let resp = app
        .client
        .get(format!("{}/authorities/{slug}/export.zip", app.address))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "application/zip");
    let bytes = resp.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let files = (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).unwrap();
            let mut out = Vec::new();
            f.read_to_end(&mut out).unwrap();
            (f.name().unwrap().into_owned(), out)
        })
        .collect();
    (files, bytes.to_vec())
}

async fn audit(app: &TestApp, slug: &str) -> Vec<audit_log::Model> {
    let a = schema::store::authority_by_slug(&app.db, slug)
        .await
        .unwrap()
        .unwrap();
    audit_log::Entity::find()
        .filter(audit_log::Column::AuthorityId.eq(a.id))
        .order_by_asc(audit_log::Column::Id)
        .all(&app.db)
        .await
        .unwrap()
}

/// A database with the demo's national reference data, then each council
/// imported from its export, into a database that holds nothing of it yet.
async fn restored(engine: tests::Engine, dirs: &[PathBuf]) -> TestApp {
    let app = spawn(engine, false).await.unwrap();
    let (national, mut comparisons) = api::import::demo_reference().unwrap();
    api::import::import_reference(&app.db, &national, "import")
        .await
        .unwrap();
    for dir in dirs {
        let out = councilperf(&app.database_url, ["import", dir.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "import {}: {}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // The councils' own values and groups came with their exports.
    comparisons
        .values
        .retain(|v| !COUNCILS.contains(&v.authority.as_str()));
    comparisons
        .groups
        .retain(|g| !g.owner.as_deref().is_some_and(|o| COUNCILS.contains(&o)));
    api::import::import_reference(&app.db, &comparisons, "import")
        .await
        .unwrap();
    app
}

#[tokio::test]
async fn an_export_imported_elsewhere_answers_as_the_original() {
    let ops = queries();
    for engine in engines() {
        let src = spawn(engine, true).await.unwrap();
        let mut periods = Vec::new();
        let mut dirs = Vec::new();
        for slug in COUNCILS {
            periods.push(make_history(&src, slug).await);
        }
        for slug in COUNCILS {
            let admin = token("exporter", &[&format!("{slug}:ADMIN")]);
            let dir = temp_dir(slug);
            let out = councilperf(
                &src.database_url,
                ["export", "--authority", slug, dir.to_str().unwrap()],
            );
            assert!(
                out.status.success(),
                "export {slug}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let files = dir_files(&dir);
            for name in [
                "README.md",
                "authority.json",
                "measures.csv",
                "targets.csv",
                "results.csv",
                "commentary.csv",
                "audit.csv",
            ] {
                assert!(files.contains_key(name), "{slug}: the export has no {name}");
            }
            if *slug == "croydon" {
                let measures = String::from_utf8_lossy(&files["measures.csv"]).into_owned();
                assert!(
                    measures.contains(",CUMULATIVE,30;57.5;85;100,ENTERED,\"[{\"\"effectiveFrom"),
                    "O1.1's accumulation, target profile, forecast method and definitions are exported: {measures}"
                );
            }
            let (zipped, archive) = zip_files(&src, slug, &admin).await;
            assert_eq!(zipped, files, "{slug}: the archive and the directory differ");
            // One council comes back from the archive itself.
            if *slug == "kent" {
                let path = dir.with_extension("zip");
                std::fs::write(&path, archive).unwrap();
                std::fs::remove_dir_all(&dir).unwrap();
                dirs.push(path);
            } else {
                dirs.push(dir);
            }
        }
        let dst = restored(engine, &dirs).await;
        for (slug, period) in COUNCILS.iter().zip(&periods) {
            let admin = token("exporter", &[&format!("{slug}:ADMIN")]);
            let viewers = [
                None,
                Some(admin.clone()),
                Some(token("platform", &["PLATFORM_ADMIN"])),
            ];
            for (name, text) in &ops {
                for vars in variable_sets(text, slug) {
                    for v in &viewers {
                        let (a, b) = (
                            response(&src, v.as_deref(), text, vars.clone()).await,
                            response(&dst, v.as_deref(), text, vars.clone()).await,
                        );
                        assert_eq!(
                            a.to_string(),
                            b.to_string(),
                            "[{engine:?}] {slug}: {name} {vars} as {} differs",
                            if v.is_some() {
                                "a signed-in viewer"
                            } else {
                                "anonymous"
                            }
                        );
                    }
                }
            }
            let vars = json!({ "s": slug, "p": period });
            let (a, b) = (
                response(&src, Some(&admin), HISTORY, vars.clone()).await,
                response(&dst, Some(&admin), HISTORY, vars).await,
            );
            let text = a.to_string();
            assert!(
                text.contains("Second thoughts")
                    && text.contains("First thoughts")
                    && text.contains("officer-jo"),
                "{slug}: no history to compare: {text}"
            );
            assert_eq!(text, b.to_string(), "[{engine:?}] {slug}: the history differs");
            // The roles held there and the actions, each at its version.
            let vars = json!({ "s": slug });
            let (a, b) = (
                response(&src, Some(&admin), HELD, vars.clone()).await,
                response(&dst, Some(&admin), HELD, vars).await,
            );
            let text = a.to_string();
            assert!(
                text.contains(r#""subject":"ana""#)
                    && text.contains("bo@example.org")
                    && text.contains(r#""version":3"#),
                "{slug}: no roles or updated actions to compare: {text}"
            );
            assert_eq!(
                text,
                b.to_string(),
                "[{engine:?}] {slug}: the roles or actions differ"
            );
            assert_eq!(
                actions(&src, slug).await,
                actions(&dst, slug).await,
                "[{engine:?}] {slug}: the actions' notes or times differ"
            );
            let (a, b) = (sheets(&src, slug, &admin).await, sheets(&dst, slug, &admin).await);
            assert!(!a.is_empty(), "{slug} published nothing to compare");
            assert_eq!(a, b, "[{engine:?}] {slug}: the sheets differ");

            // The log comes back as it was, with one record of the import.
            let (before, after) = (audit(&src, slug).await, audit(&dst, slug).await);
            assert_eq!(after.len(), before.len() + 1, "{slug}: the audit log");
            let said = |r: &audit_log::Model| {
                (
                    r.at,
                    r.actor.clone(),
                    r.operation.clone(),
                    r.entity.clone(),
                    r.before.clone(),
                    r.after.clone(),
                )
            };
            assert!(before.iter().map(said).eq(after[..before.len()].iter().map(said)));
            let last = &after[before.len()];
            assert_eq!(
                (last.operation.as_str(), last.actor.as_str()),
                ("import", "import")
            );
        }
        for dir in dirs {
            let _ = std::fs::remove_dir_all(&dir);
            let _ = std::fs::remove_file(&dir);
        }
    }
}

#[tokio::test]
async fn only_an_admin_of_the_authority_may_export_it() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let get = |slug: &str, token: Option<String>| {
            let mut req = app
                .client
                .get(format!("{}/authorities/{slug}/export.zip", app.address));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            async move {
                let resp = req.send().await.unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                (
                    status,
                    body["errors"][0]["extensions"]["code"]
                        .as_str()
                        .unwrap_or("")
                        .to_owned(),
                )
            }
        };
        assert_eq!(get("kent", None).await, (401, "UNAUTHENTICATED".to_owned()));
        for grant in ["kent:OFFICER", "kent:MEMBER", "kent:VIEWER", "croydon:ADMIN"] {
            assert_eq!(
                get("kent", Some(token("someone", &[grant]))).await,
                (403, "FORBIDDEN".to_owned()),
                "{grant}"
            );
        }
        assert_eq!(
            get("nowhere", Some(token("someone", &["PLATFORM_ADMIN"]))).await,
            (404, "NOT_FOUND".to_owned())
        );
        for grant in ["kent:ADMIN", "PLATFORM_ADMIN"] {
            let resp = app
                .client
                .get(format!("{}/authorities/kent/export.zip", app.address))
                .bearer_auth(token("someone", &[grant]))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 200, "{grant}");
        }
    }
}
