//! Benchmarks at national scale: a dataset generator that writes through the
//! real import path, and a load harness that drives a running server over
//! HTTP. See BENCHMARKS.md.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

mod baseline;
mod hostile;
mod upload;

#[derive(Parser)]
#[command(about = "councilperf benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate authorities into DATABASE_URL through the import path.
    /// Measure k of every authority (M000, M001, …) follows the national
    /// metric GEN-k (GEN-000, GEN-001, …, created first where missing), as
    /// councils' measures follow national ones, so that a metric can be
    /// asked across all councils.
    Generate {
        #[arg(long, default_value_t = 400)]
        authorities: usize,
        #[arg(long, default_value_t = 150)]
        measures: usize,
        /// Quarters of results, ending 2023-24 Q4.
        #[arg(long, default_value_t = 40)]
        quarters: usize,
        /// Number the authorities from here (slugs a0001, a0002, …).
        #[arg(long, default_value_t = 0)]
        start: usize,
    },
    /// Print a pgbench script of the eight statements issue 7's server sent
    /// for the dashboard query (operation a; the server now sends four, read
    /// together) for one authority of DATABASE_URL, for
    /// `pgbench -M prepared -f script`.
    PgbenchScript {
        #[arg(long, default_value = "a0001")]
        slug: String,
        #[arg(long, default_value = "2023-24 Q4")]
        period: String,
    },
    /// Serve the hand-written baseline of the dashboard query on
    /// PostgreSQL (DATABASE_URL): `GET /dashboard/{slug}/{period}`.
    Baseline {
        #[arg(long, default_value = "127.0.0.1:18282")]
        bind: String,
        #[arg(long, default_value_t = 32)]
        pool_size: u32,
    },
    /// Drive a running server and report throughput, latency, statements
    /// per request and the server's peak RSS.
    Load {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Authority to query (generated ones are a0001, a0002, …).
        #[arg(long, default_value = "a0001")]
        slug: String,
        #[arg(long, default_value = "2023-24 Q4")]
        period: String,
        #[arg(long, value_delimiter = ',', default_value = "1,8,32,64")]
        connections: Vec<usize>,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// The server's process id, for its peak RSS.
        #[arg(long)]
        pid: Option<u32>,
        /// Drive the hand-written baseline (`baseline`) instead: dashboard only.
        #[arg(long)]
        baseline: bool,
        /// Operations to run: dashboard, breakdown, comparison, trend, submit.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "dashboard,breakdown,comparison,trend,submit"
        )]
        ops: Vec<String>,
        /// Open loop: for each operation, first measure its saturation rate
        /// (closed loop at the largest `--connections`), then send requests
        /// at this fraction of it, at a constant rate whatever the answers
        /// do (as wrk2 and k6's constant-arrival-rate do). Latency counts
        /// from when each request was due, so a stall shows in full.
        #[arg(long)]
        open_loop_at: Option<f64>,
        /// Send reads without a token: the anonymous public.
        #[arg(long)]
        anonymous: bool,
    },
    /// Upload a results sheet of `rows` rows (every council measure of the
    /// authority, from its latest quarter back, each value changed) to a
    /// running server, first as a dry run, then applied: time and
    /// statements of each.
    Upload {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long, default_value = "a0001")]
        slug: String,
        #[arg(long, default_value_t = 10_000)]
        rows: usize,
    },
    /// Send the hostile documents of issue 11 to a running server and
    /// report how fast each is refused and how the server's memory moves.
    Hostile {
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// The server's process id, for its memory.
        #[arg(long)]
        pid: Option<u32>,
    },
}

/// A small deterministic generator: the same dataset on every run.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn quarter_name(index_from_2023_q4_back: usize) -> String {
    // 2023-24 Q4 is quarter 4 of financial year 2023.
    let ordinal = 2023 * 4 + 3 - index_from_2023_q4_back as i64;
    let (fy, q) = (ordinal.div_euclid(4), ordinal.rem_euclid(4) + 1);
    format!("{fy}-{:02} Q{q}", (fy + 1).rem_euclid(100))
}

/// Every generated measure's unit and frequency, which its metric shares
/// (the import refuses a link between different units).
const UNIT: &str = "PERCENT";
const FREQUENCY: &str = "QUARTERLY";

/// Measure number `m`'s kind and polarity, the same in every authority.
fn measure_kind(m: usize) -> (&'static str, &'static str) {
    let kind = match m % 20 {
        0 => "TRACKING",
        1 | 2 => "PARTNERSHIP",
        _ => "COUNCIL",
    };
    let polarity = if kind == "TRACKING" {
        "NONE"
    } else if m.is_multiple_of(4) {
        "LOWER_IS_BETTER"
    } else {
        "HIGHER_IS_BETTER"
    };
    (kind, polarity)
}

/// The national metric measure number `m` of every authority follows.
fn metric_code(m: usize) -> String {
    format!("GEN-{m:03}")
}

/// The metrics of measures `0..measures` that `db` lacks, as national
/// reference data: a later run (`--start`) reuses the metrics of an earlier.
async fn missing_metrics(
    db: &sea_orm::DatabaseConnection,
    measures: usize,
) -> anyhow::Result<schema::service::import::Reference> {
    let codes: Vec<String> = (0..measures).map(metric_code).collect();
    let existing: std::collections::HashSet<String> = schema::store::benchmarks::metrics_by_code(db, &codes)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .into_iter()
        .map(|m| m.code)
        .collect();
    let metrics = (0..measures)
        .filter(|&m| !existing.contains(&metric_code(m)))
        .map(|m| {
            let row = json!({ "code": metric_code(m), "title": format!("Generated metric {m}"),
                "unit": UNIT, "polarity": measure_kind(m).1, "frequency": FREQUENCY, "source": "councilperf-bench" });
            serde_json::from_value(row).context("generated metric")
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(schema::service::import::Reference {
        metrics,
        ..Default::default()
    })
}

fn authority(i: usize, measures: usize, quarters: usize) -> anyhow::Result<schema::service::import::Bundle> {
    let mut rng = Lcg(i as u64 + 1);
    let slug = format!("a{:04}", i + 1);
    let outcomes: Vec<Value> = (1..=5)
        .map(|o| {
            json!({ "code": format!("O{o}"), "title": format!("Outcome {o}"),
                    "children": (1..=3).map(|p| json!({ "code": format!("O{o}P{p}"), "title": format!("Priority {o}.{p}") })).collect::<Vec<_>>() })
        })
        .collect();
    let periods: Vec<String> = (0..quarters).rev().map(quarter_name).collect();
    let years: Vec<String> = {
        let mut y: Vec<String> = periods.iter().map(|p| p[..7].to_owned()).collect();
        y.dedup();
        y
    };
    let mut rows = Vec::new();
    let mut targets = Vec::new();
    let mut results = Vec::new();
    for m in 0..measures {
        let code = format!("M{m:03}");
        let (kind, polarity) = measure_kind(m);
        rows.push(
            json!({ "plan": "plan", "node": format!("O{}P{}", m % 5 + 1, m % 3 + 1), "code": code,
            "title": format!("Measure {m}"), "unit": UNIT, "polarity": polarity, "kind": kind,
            "frequency": FREQUENCY, "partner": (kind == "PARTNERSHIP").then_some("police"),
            "metric": metric_code(m) }),
        );
        let base = 40 + rng.below(50) as i64;
        if kind != "TRACKING" {
            for y in &years {
                targets.push(json!({ "measure": code, "period": y, "target": base + 5, "floor": if polarity == "LOWER_IS_BETTER" { base + 10 } else { base - 5 } }));
            }
        }
        for p in &periods {
            if rng.below(100) < 3 {
                continue; // missing data
            }
            let v = base + rng.below(21) as i64 - 10;
            results.push(json!({ "measure": code, "period": p, "value": format!("{v}.{}", rng.below(10)) }));
        }
    }
    let bundle = json!({
        "slug": slug, "name": format!("Authority {}", i + 1), "kind": "DISTRICT",
        "note": "Generated for benchmarks.",
        "partners": [{ "slug": "police", "name": "Police" }],
        "plans": [{ "key": "plan", "title": "Council Plan", "kind": "COUNCIL_PLAN",
                    "ragRule": { "method": "FLOOR" }, "directionRule": { "method": "TREND", "stableBandPercent": 5 },
                    "published": periods, "nodes": outcomes }],
        "panels": [{ "name": "Scrutiny", "kind": "SCRUTINY_COMMITTEE", "remit": { "nodes": [{ "plan": "plan", "code": "O1" }, { "plan": "plan", "code": "O2" }] } }],
        "measures": rows, "targets": targets, "results": results,
    });
    serde_json::from_value(bundle).context("generated bundle")
}

async fn generate(authorities: usize, measures: usize, quarters: usize, start: usize) -> anyhow::Result<()> {
    let config = api::Config::from_env()?;
    let db = api::db::connect(&config.database_url, config.pool_size, Default::default()).await?;
    api::db::migrate(&db).await?;
    let started = Instant::now();
    // The metrics before the measures that follow them.
    api::import::import_reference(&db, &missing_metrics(&db, measures).await?, api::import::IMPORTER).await?;
    for i in 0..authorities {
        api::import::import(&db, &authority(start + i, measures, quarters)?).await?;
        if (i + 1) % 20 == 0 || i + 1 == authorities {
            eprintln!("{} authorities in {:.0?}", i + 1, started.elapsed());
        }
    }
    // Fresh statistics: without them PostgreSQL plans the rating reads as
    // sequential scans until autovacuum (which may be off) analyzes.
    db.execute_unprepared("ANALYZE").await?;
    Ok(())
}

/// What each operation sends.
fn operation(
    op: &str,
    slug: &str,
    period: &str,
    measure_ids: &[String],
    n: usize,
) -> anyhow::Result<(String, Value)> {
    let plan = format!(r#"authority(slug: "{slug}") {{ plans {{"#);
    Ok(match op {
        "dashboard" => (
            format!(
                "{{ {plan} nodes {{ code title children {{ code title measures {{ code title result(period: \"{period}\") {{ value target status direction }} }} }} }} }} }} }}"
            ),
            Value::Null,
        ),
        "breakdown" => (
            format!(
                "{{ {plan} breakdown(period: \"{period}\") {{ total green amber red improving stable declining }} }} }} }}"
            ),
            Value::Null,
        ),
        "comparison" => (
            format!(
                "{{ {plan} comparison(from: \"2023-24 Q3\", to: \"{period}\") {{ from {{ green }} to {{ green }} improved {{ status }} worsened {{ status }} }} }} }} }}"
            ),
            Value::Null,
        ),
        "trend" => (
            format!(
                "{{ {plan} trend(from: \"2022-23 Q1\", to: \"2023-24 Q4\") {{ period green amber red }} }} }} }}"
            ),
            Value::Null,
        ),
        "submit" => (
            "mutation($input: SubmitResultInput!) { submitResult(input: $input) { status } }".to_owned(),
            json!({ "input": { "measureId": measure_ids[n % measure_ids.len()], "period": period, "value": 50 + (n % 40) } }),
        ),
        other => bail!("unknown operation {other}"),
    })
}

async fn statements(client: &reqwest::Client, url: &str) -> anyhow::Result<u64> {
    let text = client.get(format!("{url}/metrics")).send().await?.text().await?;
    text.lines()
        .find_map(|l| l.strip_prefix("councilperf_db_statements_total "))
        .context("no statement counter")?
        .trim()
        .parse()
        .context("statement counter")
}

/// A memory figure of a process from `/proc/PID/status` (`VmHWM:`, the
/// peak; `VmRSS:`, now), in MB.
fn status_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix(field))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

fn peak_rss_mb(pid: u32) -> Option<f64> {
    status_mb(pid, "VmHWM:")
}

/// A token of an OFFICER of `slug`, signed with the server's `JWT_SECRET`.
fn officer_token(slug: &str) -> anyhow::Result<String> {
    let secret =
        std::env::var("JWT_SECRET").context("JWT_SECRET (the server's) to sign an officer's token")?;
    let jwt = api::config::Jwt::from_env()?;
    let grant = api::auth::parse_grant(&format!("{slug}:OFFICER"))?;
    api::auth::mint(
        &secret,
        &jwt.issuer,
        &jwt.audience,
        "bench",
        vec![grant],
        Duration::from_secs(3600),
    )
}

/// What the harness drives: the GraphQL server, or the hand-written
/// baseline of the dashboard.
#[derive(Clone)]
enum Target {
    Graphql {
        token: String,
        measure_ids: Vec<String>,
        /// Reads go without the token (the anonymous public).
        anonymous: bool,
    },
    Baseline,
}

impl Target {
    async fn graphql(
        client: &reqwest::Client,
        url: &str,
        slug: &str,
        anonymous: bool,
    ) -> anyhow::Result<Self> {
        let token = officer_token(slug)?;
        let ids: Value = client
            .post(format!("{url}/graphql"))
            .json(&json!({ "query": format!(r#"{{ authority(slug: "{slug}") {{ plans {{ measures {{ id kind }} }} }} }}"#) }))
            .send()
            .await?
            .json()
            .await?;
        let measure_ids = ids["data"]["authority"]["plans"][0]["measures"]
            .as_array()
            .context("no such authority")?
            .iter()
            .filter(|m| m["kind"] != "PARTNERSHIP")
            .filter_map(|m| m["id"].as_str().map(str::to_owned))
            .collect();
        Ok(Target::Graphql {
            token,
            measure_ids,
            anonymous,
        })
    }

    /// The `n`th request of operation `op`.
    fn request(
        &self,
        client: &reqwest::Client,
        url: &str,
        op: &str,
        slug: &str,
        period: &str,
        n: usize,
    ) -> anyhow::Result<reqwest::RequestBuilder> {
        Ok(match self {
            Target::Graphql {
                token,
                measure_ids,
                anonymous,
            } => {
                let (query, variables) = operation(op, slug, period, measure_ids, n)?;
                let request = client
                    .post(format!("{url}/graphql"))
                    .json(&json!({ "query": query, "variables": variables }));
                if *anonymous && op != "submit" {
                    request
                } else {
                    request.bearer_auth(token)
                }
            }
            Target::Baseline if op == "dashboard" => {
                client.get(format!("{url}/dashboard/{slug}/{}", period.replace(' ', "%20")))
            }
            Target::Baseline => bail!("the baseline serves the dashboard only"),
        })
    }

    /// How many measures submissions go to.
    fn measures(&self) -> usize {
        match self {
            Target::Graphql { measure_ids, .. } => measure_ids.len(),
            Target::Baseline => 0,
        }
    }

    /// The server's count of SQL statements so far; the baseline keeps none.
    async fn statements(&self, client: &reqwest::Client, url: &str) -> anyhow::Result<Option<u64>> {
        match self {
            Target::Graphql { .. } => statements(client, url).await.map(Some),
            Target::Baseline => Ok(None),
        }
    }
}

/// Sends one request and reads its answer: the error code if it failed.
async fn send(request: reqwest::RequestBuilder) -> Option<String> {
    match request.send().await {
        Ok(r) => match r.json::<Value>().await {
            Ok(b) => b["errors"][0]["extensions"]["code"]
                .as_str()
                .or_else(|| b.get("errors").map(|_| "uncoded"))
                .map(str::to_owned),
            Err(_) => Some("not JSON".to_owned()),
        },
        Err(_) => Some("transport".to_owned()),
    }
}

/// What one run measured.
#[derive(Default)]
struct Run {
    latencies: Vec<Duration>,
    errors: HashMap<String, u64>,
}

impl Run {
    fn add(&mut self, other: Run) {
        self.latencies.extend(other.latencies);
        for (code, n) in other.errors {
            *self.errors.entry(code).or_default() += n;
        }
    }

    fn record(&mut self, latency: Duration, failure: Option<String>) {
        self.latencies.push(latency);
        if let Some(code) = failure {
            *self.errors.entry(code).or_default() += 1;
        }
    }

    fn percentile(&self, p: f64) -> f64 {
        let all = &self.latencies;
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    }

    fn errors(&self) -> String {
        if self.errors.is_empty() {
            return "0".to_owned();
        }
        let mut named: Vec<String> = self
            .errors
            .iter()
            .map(|(code, n)| format!("{n} {code}"))
            .collect();
        named.sort();
        named.join(", ")
    }
}

/// Where a run sends its requests.
#[derive(Clone)]
struct Driver {
    client: reqwest::Client,
    url: String,
    target: Target,
    op: String,
    slug: String,
    period: String,
}

impl Driver {
    fn request(&self, n: usize) -> anyhow::Result<reqwest::RequestBuilder> {
        self.target
            .request(&self.client, &self.url, &self.op, &self.slug, &self.period, n)
    }

    /// `c` workers, each sending its next request when its last is answered,
    /// for `seconds`.
    async fn closed_loop(&self, c: usize, seconds: u64) -> anyhow::Result<Run> {
        let deadline = Instant::now() + Duration::from_secs(seconds);
        let tasks: Vec<_> = (0..c)
            .map(|worker| {
                let driver = self.clone();
                tokio::spawn(async move {
                    let mut run = Run::default();
                    // Worker w submits to measures w, w + c, w + 2c, … and
                    // round again: no two workers share a measure (while
                    // there are at least as many measures as workers), so
                    // a CONFLICT is a real race, not the harness's.
                    let rounds = (driver.target.measures() / c).max(1);
                    let mut k = 0;
                    while Instant::now() < deadline {
                        let n = worker + c * (k % rounds);
                        k += 1;
                        let Ok(request) = driver.request(n) else {
                            break;
                        };
                        let t = Instant::now();
                        let failure = send(request).await;
                        run.record(t.elapsed(), failure);
                    }
                    run
                })
            })
            .collect();
        let mut run = Run::default();
        for t in tasks {
            run.add(t.await?);
        }
        Ok(run)
    }

    /// Requests due at `rate` a second for `seconds`, on at most `c`
    /// connections at once. A request's latency counts from when it was
    /// due, so one that waited for a connection shows its wait.
    async fn open_loop(&self, rate: f64, c: usize, seconds: u64) -> anyhow::Result<Run> {
        let permits = std::sync::Arc::new(tokio::sync::Semaphore::new(c));
        let start = tokio::time::Instant::now();
        let total = (rate * seconds as f64) as usize;
        let mut tasks = Vec::with_capacity(total);
        for n in 0..total {
            let due = start + Duration::from_secs_f64(n as f64 / rate);
            tokio::time::sleep_until(due).await;
            let (driver, permits) = (self.clone(), permits.clone());
            tasks.push(tokio::spawn(async move {
                let _permit = permits.acquire_owned().await.ok()?;
                let request = driver.request(n).ok()?;
                let failure = send(request).await;
                Some((due.elapsed(), failure))
            }));
        }
        let mut run = Run::default();
        for t in tasks {
            if let Some((latency, failure)) = t.await? {
                run.record(latency, failure);
            }
        }
        Ok(run)
    }
}

#[allow(clippy::too_many_arguments)]
async fn load(
    url: &str,
    slug: &str,
    period: &str,
    connections: &[usize],
    seconds: u64,
    pid: Option<u32>,
    baseline: bool,
    ops: &[String],
    open_loop_at: Option<f64>,
    anonymous: bool,
) -> anyhow::Result<()> {
    let client = reqwest::Client::builder().pool_max_idle_per_host(128).build()?;
    let target = if baseline {
        Target::Baseline
    } else {
        Target::graphql(&client, url, slug, anonymous).await?
    };
    match open_loop_at {
        None => println!(
            "| operation | connections | requests/s | p50 ms | p99 ms | statements/request | errors |"
        ),
        Some(_) => println!(
            "| operation | saturation requests/s | open-loop rate/s | requests/s | p50 ms | p99 ms | statements/request | errors |"
        ),
    }
    println!(
        "| --- | --- | --- | --- | --- | --- | --- |{}",
        if open_loop_at.is_some() { " --- |" } else { "" }
    );
    for op in ops {
        let driver = Driver {
            client: client.clone(),
            url: url.to_owned(),
            target: target.clone(),
            op: op.clone(),
            slug: slug.to_owned(),
            period: period.to_owned(),
        };
        // Each run: its connections and, in open loop, the saturation rate
        // measured and the rate sent.
        let runs: Vec<(usize, Option<(f64, f64)>)> = match open_loop_at {
            None => connections.iter().map(|&c| (c, None)).collect(),
            Some(fraction) => {
                let c = connections.iter().copied().max().unwrap_or(32);
                let saturation =
                    driver.closed_loop(c, seconds).await?.latencies.len() as f64 / seconds as f64;
                vec![(c, Some((saturation, saturation * fraction)))]
            }
        };
        for (c, rate) in runs {
            let before = target.statements(&client, url).await?;
            let mut run = match rate {
                None => driver.closed_loop(c, seconds).await?,
                Some((_, rate)) => driver.open_loop(rate, c, seconds).await?,
            };
            let after = target.statements(&client, url).await?;
            run.latencies.sort();
            let n = run.latencies.len().max(1) as f64;
            let per_request = match (before, after) {
                (Some(b), Some(a)) => format!("{:.1}", (a - b) as f64 / n),
                _ => "-".to_owned(),
            };
            let throughput = run.latencies.len() as f64 / seconds as f64;
            let (p50, p99, errors) = (run.percentile(0.50), run.percentile(0.99), run.errors());
            match rate {
                Some((saturation, rate)) => println!(
                    "| {op} | {saturation:.0} | {rate:.0} | {throughput:.0} | {p50:.1} | {p99:.1} | {per_request} | {errors} |"
                ),
                None => println!(
                    "| {op} | {c} | {throughput:.0} | {p50:.1} | {p99:.1} | {per_request} | {errors} |"
                ),
            }
        }
    }
    if let Some(mb) = pid.and_then(peak_rss_mb) {
        println!("\nserver peak RSS: {mb:.0} MB");
    }
    Ok(())
}

/// The dashboard's statements as issue 7's server sent them: the token's
/// authority and its partners (which also answer `authority(slug:)`), the
/// authority's plans, the plan's nodes, measures and publications, then the
/// results and targets of the periods rating reads.
async fn pgbench_script(slug: &str, period: &str) -> anyhow::Result<()> {
    use entity::model::{measure, plan};
    let fail = |e: schema::error::ApiError| anyhow::anyhow!("{e}");
    let config = api::Config::from_env()?;
    let db = api::db::connect(&config.database_url, Some(1), Default::default()).await?;
    let authority = schema::store::authority_by_slug(&db, slug)
        .await
        .map_err(fail)?
        .context("no such authority")?;
    let plans =
        schema::store::rows_where_in::<plan::Entity>(&db, plan::Column::AuthorityId, &[authority.id], None)
            .await
            .map_err(fail)?;
    let plan_ids: Vec<i64> = plans.iter().map(|p| p.id).collect();
    let measures =
        schema::store::rows_where_in::<measure::Entity>(&db, measure::Column::PlanId, &plan_ids, None)
            .await
            .map_err(fail)?;
    let join = |v: Vec<String>| v.join(", ");
    let plan_list = join(plan_ids.iter().map(i64::to_string).collect());
    let measure_list = join(measures.iter().map(|m| m.id.to_string()).collect());
    let period: entity::Period = period.parse()?;
    let mut periods: Vec<entity::Period> = period.window(4);
    periods.push(period.financial_year());
    let period_list = join(periods.iter().map(|p| format!("'{p}'")).collect());
    let id = authority.id;
    println!("SELECT * FROM authorities WHERE slug IN ('{slug}');");
    println!("SELECT * FROM partners WHERE authority_id IN ({id}) ORDER BY id;");
    println!("SELECT * FROM plans WHERE authority_id IN ({id}) ORDER BY id;");
    println!("SELECT * FROM plan_nodes WHERE plan_id IN ({plan_list}) ORDER BY position, id;");
    println!("SELECT * FROM measures WHERE plan_id IN ({plan_list}) ORDER BY position, id;");
    println!("SELECT * FROM publications WHERE plan_id IN ({plan_list}) ORDER BY id;");
    println!(
        "SELECT id, measure_id, period, value, restated FROM results WHERE measure_id IN ({measure_list}) AND period IN ({period_list});"
    );
    println!(
        "SELECT measure_id, period, target, floor FROM targets WHERE measure_id IN ({measure_list}) AND period IN ({period_list});"
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::PgbenchScript { slug, period } => pgbench_script(&slug, &period).await,
        Command::Generate {
            authorities,
            measures,
            quarters,
            start,
        } => generate(authorities, measures, quarters, start).await,
        Command::Load {
            url,
            slug,
            period,
            connections,
            seconds,
            pid,
            baseline,
            ops,
            open_loop_at,
            anonymous,
        } => {
            load(
                &url,
                &slug,
                &period,
                &connections,
                seconds,
                pid,
                baseline,
                &ops,
                open_loop_at,
                anonymous,
            )
            .await
        }
        Command::Hostile { url, pid } => hostile::run(&url, pid).await,
        Command::Upload { url, slug, rows } => upload::run(&url, &slug, rows).await,
        Command::Baseline { bind, pool_size } => {
            let config = api::Config::from_env()?;
            baseline::serve(&config.database_url, &bind, pool_size).await
        }
    }
}
