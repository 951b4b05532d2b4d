//! A large results sheet uploaded as an officer would: every council
//! measure of an authority, from its latest quarter back, until the sheet
//! has the rows asked for; each value changed, so that applying it replaces
//! (and keeps in the history) what was there.

use std::time::Instant;

use anyhow::Context;
use serde_json::{Value, json};

use crate::{officer_token, statements};

const IMPORT: &str = r#"mutation($plan: ID!, $file: Upload!, $dry: Boolean!) {
  importResults(planId: $plan, file: $file, dryRun: $dry) { applied rows results errors { row message } } }"#;

pub async fn run(url: &str, slug: &str, rows: usize) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let token = officer_token(slug)?;
    let d: Value = client
        .post(format!("{url}/graphql"))
        .bearer_auth(&token)
        .json(&json!({ "query": format!(
            r#"{{ authority(slug: "{slug}") {{ plans {{ id measures {{ code kind results {{ period value }} }} }} }} }}"#) }))
        .send()
        .await?
        .json()
        .await?;
    let plan = &d["data"]["authority"]["plans"][0];
    let plan_id = plan["id"]
        .as_str()
        .with_context(|| format!("no plan of {slug}: {d}"))?
        .to_owned();
    let mut columns: Vec<(String, Vec<(String, f64)>)> = plan["measures"]
        .as_array()
        .context("no measures")?
        .iter()
        .filter(|m| m["kind"] == "COUNCIL")
        .map(|m| {
            let series = m["results"]
                .as_array()
                .map(|rs| {
                    rs.iter()
                        .filter_map(|r| Some((r["period"].as_str()?.to_owned(), r["value"].as_f64()?)))
                        .rev()
                        .collect()
                })
                .unwrap_or_default();
            (m["code"].as_str().unwrap_or_default().to_owned(), series)
        })
        .collect();
    let mut csv = String::from("code,period,value,note\n");
    let mut n = 0;
    'fill: for depth in 0.. {
        let mut any = false;
        for (code, series) in &mut columns {
            if let Some((period, value)) = series.get(depth) {
                any = true;
                // Another value, within 0 to 100: a percentage.
                let changed = if *value >= 50.0 { value - 1.0 } else { value + 1.0 };
                csv.push_str(&format!("{code},{period},{changed},bench\n"));
                n += 1;
                if n == rows {
                    break 'fill;
                }
            }
        }
        if !any {
            break;
        }
    }
    println!("{slug}: a sheet of {n} rows ({} bytes)", csv.len());
    for dry in [true, false] {
        let before = statements(&client, url).await?;
        let started = Instant::now();
        let operations =
            json!({ "query": IMPORT, "variables": { "plan": plan_id, "file": null, "dry": dry } });
        let form = reqwest::multipart::Form::new()
            .text("operations", operations.to_string())
            .text("map", json!({ "0": ["variables.file"] }).to_string())
            .part(
                "0",
                reqwest::multipart::Part::bytes(csv.clone().into_bytes()).file_name("results.csv"),
            );
        let body: Value = client
            .post(format!("{url}/graphql"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await?
            .json()
            .await?;
        let took = started.elapsed();
        let spent = statements(&client, url).await? - before;
        let report = &body["data"]["importResults"];
        anyhow::ensure!(
            report["errors"].as_array().is_some_and(Vec::is_empty),
            "the sheet was refused: {body}"
        );
        println!(
            "{}: {:.2} s, {spent} statements (applied: {}, results: {})",
            if dry { "dry run" } else { "applied" },
            took.as_secs_f64(),
            report["applied"],
            report["results"]
        );
    }
    Ok(())
}
