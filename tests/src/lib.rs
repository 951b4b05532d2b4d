//! Test harness: starts the real server on a random port over a fresh
//! database and speaks HTTP to it, as a dashboard would.
//!
//! Every test runs on SQLite, and again on PostgreSQL when
//! `TEST_DATABASE_URL` is set, each in a database of its own.

pub mod browser;
pub mod node;
pub mod oidc;
pub mod server;
pub mod ws;

use std::sync::atomic::{AtomicU32, Ordering};

use anyhow::{Context, bail};
use api::config::{DEFAULT_CACHE_MB, Limits};
use api::{Application, Config};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::{Value, json};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The engines this run covers.
pub fn engines() -> Vec<Engine> {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.is_empty()) {
        vec![Engine::Sqlite, Engine::Postgres]
    } else {
        static SAID: std::sync::Once = std::sync::Once::new();
        SAID.call_once(|| eprintln!("TEST_DATABASE_URL is not set: end-to-end tests run on SQLite only"));
        vec![Engine::Sqlite]
    }
}

/// For a PostgreSQL-only test, which is `#[ignore]`d so that a bare
/// `cargo test` lists it as skipped: run on purpose (`--include-ignored`,
/// as `.ci/run` does) without a database, it fails instead of passing.
pub fn require_postgres() {
    assert!(
        engines().contains(&Engine::Postgres),
        "this PostgreSQL-only test was run on purpose but TEST_DATABASE_URL is not set"
    );
}

/// Authorities in the demo: the four councils that report, and the 65 more
/// its benchmark compares them with (`api/demo/benchmarks`).
pub const DEMO_AUTHORITIES: usize = 69;

/// The HS256 secret test servers trust.
pub const SECRET: &str = "test-secret-of-at-least-32-bytes!";

/// Every table of the schema.
pub const TABLES: &[&str] = &[
    "authorities",
    "partners",
    "plans",
    "plan_nodes",
    "measures",
    "targets",
    "results",
    "result_history",
    "commentary",
    "commentary_history",
    "action_plans",
    "actions",
    "panels",
    "panel_remits",
    "meetings",
    "agenda_items",
    "publications",
    "deadlines",
    "metrics",
    "metric_values",
    "comparison_groups",
    "comparison_group_members",
    "audit_log",
    "idempotency_keys",
    "identity_providers",
    "identity_provider_authorities",
    "role_mappings",
    "memberships",
];

static SEQ: AtomicU32 = AtomicU32::new(0);

/// A name no other test of any run on this machine uses at the same time.
fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "cp_test_{}_{}_{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed),
        nanos
    )
}

/// A database of its own for one test.
pub async fn fresh_database(engine: Engine) -> anyhow::Result<String> {
    let name = unique_name();
    match engine {
        Engine::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            Ok(format!("sqlite://{}?mode=rwc", path.display()))
        }
        Engine::Postgres => {
            let admin = std::env::var("TEST_DATABASE_URL").context("TEST_DATABASE_URL")?;
            let conn = Database::connect(&admin).await?;
            conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            conn.close().await?;
            let Some(slash) = admin.rfind('/') else {
                bail!("TEST_DATABASE_URL has no database name: {admin}");
            };
            let query = admin[slash..].find('?').map_or("", |q| &admin[slash + q..]);
            Ok(format!("{}/{name}{query}", &admin[..slash]))
        }
    }
}

pub struct TestApp {
    pub engine: Engine,
    pub address: String,
    pub database_url: String,
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    /// Stops the server cleanly.
    pub shutdown: api::Shutdown,
    /// The SQLite file to remove when the test ends.
    file: Option<std::path::PathBuf>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(f) = &self.file {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", f.display()));
            }
        }
    }
}

pub async fn spawn(engine: Engine, demo: bool) -> anyhow::Result<TestApp> {
    spawn_with(engine, demo, Limits::default()).await
}

pub async fn spawn_with(engine: Engine, demo: bool, limits: Limits) -> anyhow::Result<TestApp> {
    spawn_config(engine, demo, limits, test_jwt()).await
}

/// The token settings of test servers: HS256 with [`SECRET`].
pub fn test_jwt() -> api::config::Jwt {
    api::config::Jwt {
        secret: Some(SECRET.to_owned()),
        ..Default::default()
    }
}

pub async fn spawn_config(
    engine: Engine,
    demo: bool,
    limits: Limits,
    jwt: api::config::Jwt,
) -> anyhow::Result<TestApp> {
    spawn_adjusted(engine, demo, |c| {
        c.limits = limits;
        c.jwt = jwt;
    })
    .await
}

/// A server with `pool_size` database connections.
pub async fn spawn_with_pool(engine: Engine, demo: bool, pool_size: u32) -> anyhow::Result<TestApp> {
    spawn_adjusted(engine, demo, |c| c.pool_size = Some(pool_size)).await
}

/// A server whose response cache holds `cache_mb` megabytes (0: none).
pub async fn spawn_with_cache(engine: Engine, demo: bool, cache_mb: usize) -> anyhow::Result<TestApp> {
    spawn_adjusted(engine, demo, |c| c.cache_mb = cache_mb).await
}

/// A server on a fresh database whose configuration `adjust` changes from
/// the tests' own.
pub async fn spawn_adjusted(
    engine: Engine,
    demo: bool,
    adjust: impl FnOnce(&mut Config),
) -> anyhow::Result<TestApp> {
    let database_url = fresh_database(engine).await?;
    let mut config = config(&database_url)?;
    adjust(&mut config);
    let mut app = serve(engine, &config, demo).await?;
    app.file = database_url
        .strip_prefix("sqlite://")
        .and_then(|rest| rest.split('?').next())
        .map(std::path::PathBuf::from);
    Ok(app)
}

/// A server (no demo) on the existing database `database_url`, which the
/// test looks after.
pub async fn spawn_on(engine: Engine, database_url: &str) -> anyhow::Result<TestApp> {
    serve(engine, &config(database_url)?, false).await
}

/// The tests' configuration of a server on `database_url`.
fn config(database_url: &str) -> anyhow::Result<Config> {
    Ok(Config {
        database_url: database_url.to_owned(),
        bind: "127.0.0.1:0".parse()?,
        pool_size: Some(4),
        limits: Limits::default(),
        jwt: test_jwt(),
        cors_origins: vec!["https://dashboard.example".to_owned()],
        introspection: true,
        development: false,
        cache_mb: DEFAULT_CACHE_MB,
        persisted_queries_mb: api::config::DEFAULT_PERSISTED_QUERIES_MB,
        trusted_documents: None,
    })
}

/// A server on an existing database.
async fn serve(engine: Engine, config: &Config, demo: bool) -> anyhow::Result<TestApp> {
    let app = Application::build(config, demo).await?;
    let address = format!("http://127.0.0.1:{}", app.port());
    let db = app.db().clone();
    let shutdown = app.shutdown();
    tokio::spawn(app.run());
    Ok(TestApp {
        engine,
        address,
        database_url: config.database_url.clone(),
        db,
        // Idle connections are let go before the server's 5 s keep-alive
        // closes them, so a request never races the close (a test that
        // waits on a child process between requests would, now and then).
        client: reqwest::Client::builder()
            .pool_idle_timeout(std::time::Duration::from_secs(2))
            .build()?,
        shutdown,
        file: None,
    })
}

impl TestApp {
    /// Another server on this one's database, with `limits`: a second
    /// replica behind the same load balancer, with its own pool and
    /// response cache.
    pub async fn replica(&self, limits: Limits) -> anyhow::Result<TestApp> {
        let mut config = config(&self.database_url)?;
        config.limits = limits;
        serve(self.engine, &config, false).await
    }

    /// POSTs one operation and returns the whole response body.
    pub async fn post(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let resp = self.send(query, variables, None).await?;
        Ok(resp.json().await?)
    }

    /// POSTs one operation with an optional bearer token.
    pub async fn send(
        &self,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> anyhow::Result<reqwest::Response> {
        let mut req = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        Ok(req.send().await?)
    }

    /// Runs an operation as the holder of `token` and returns its `data`.
    pub async fn data_as(&self, token: &str, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.answer(Some(token), query, variables).await
    }

    /// Runs an operation that must succeed, as the holder of `token` or
    /// anonymously, and returns its `data`.
    pub async fn answer(&self, token: Option<&str>, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body: Value = self.send(query, variables, token).await?.json().await?;
        if let Some(errors) = body.get("errors") {
            bail!("[{:?}] unexpected errors: {errors}", self.engine);
        }
        Ok(body["data"].clone())
    }

    /// An authority's first plan and its measure `code`: their ids.
    pub async fn measure(&self, slug: &str, code: &str) -> anyhow::Result<(Value, Value)> {
        let d = self
            .data(
                "query($s: String!) { authority(slug: $s) { plans { id measures { id code } } } }",
                json!({ "s": slug }),
            )
            .await?;
        let plan = &d["authority"]["plans"][0];
        let measure = plan["measures"]
            .as_array()
            .and_then(|ms| ms.iter().find(|m| m["code"] == code))
            .with_context(|| format!("{slug} has no measure {code}"))?;
        Ok((plan["id"].clone(), measure["id"].clone()))
    }

    /// The server still answers a plain query: after an abuse, it kept serving.
    pub async fn still_serving(&self) {
        let d = self.data("{ authorities { slug } }", Value::Null).await;
        assert!(
            d.is_ok_and(|d| d["authorities"].is_array()),
            "the server stopped serving"
        );
    }

    /// Runs an operation that must succeed and returns its `data`.
    pub async fn data(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        self.answer(None, query, variables).await
    }

    /// The error codes of an operation that must fail.
    pub async fn error_codes(&self, query: &str, variables: Value) -> anyhow::Result<Vec<String>> {
        let body = self.post(query, variables).await?;
        self.codes_of(body)
    }

    /// The error codes of an operation that must fail for the holder of `token`.
    pub async fn error_codes_as(
        &self,
        token: &str,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Vec<String>> {
        let body: Value = self.send(query, variables, Some(token)).await?.json().await?;
        self.codes_of(body)
    }

    fn codes_of(&self, body: Value) -> anyhow::Result<Vec<String>> {
        let Some(errors) = body["errors"].as_array() else {
            bail!("[{:?}] expected errors, got {body}", self.engine);
        };
        Ok(errors
            .iter()
            .map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_owned())
            .collect())
    }

    /// Rows in every table, to show a refused mutation changed nothing.
    pub async fn row_counts(&self) -> anyhow::Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for table in TABLES {
            let row = self
                .db
                .query_one_raw(sea_orm::Statement::from_string(
                    self.db.get_database_backend(),
                    format!("SELECT COUNT(*) AS n FROM {table}"),
                ))
                .await?
                .context("no count")?;
            out.push(((*table).to_owned(), row.try_get::<i64>("", "n")?));
        }
        Ok(out)
    }

    /// The server's `/metrics` text.
    pub async fn metrics(&self) -> anyhow::Result<String> {
        Ok(self
            .client
            .get(format!("{}/metrics", self.address))
            .send()
            .await?
            .text()
            .await?)
    }

    /// A counter or gauge the server serves at `/metrics`.
    pub async fn metric(&self, name: &str) -> anyhow::Result<u64> {
        self.metrics()
            .await?
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .with_context(|| format!("no {name} in /metrics"))?
            .trim()
            .parse()
            .with_context(|| format!("{name} is not a number"))
    }

    /// The name of this server's database (on PostgreSQL, one of its own).
    pub fn database_name(&self) -> String {
        let path = self.database_url.rsplit('/').next().unwrap_or_default();
        path.split('?').next().unwrap_or_default().to_owned()
    }

    /// A connection to `TEST_DATABASE_URL`, outside this server's database,
    /// and a statement for it that cuts every connection to this server's
    /// database, as a failover would.
    pub async fn outage_control(&self) -> anyhow::Result<(DatabaseConnection, String)> {
        let admin = Database::connect(std::env::var("TEST_DATABASE_URL")?).await?;
        let cut = format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{}' AND pid <> pg_backend_pid()",
            self.database_name()
        );
        Ok((admin, cut))
    }

    /// SQL statements the server has sent so far, from `/metrics`.
    pub async fn statements(&self) -> anyhow::Result<u64> {
        self.metric("councilperf_db_statements_total").await
    }
}

/// Runs `councilperf ARGS…` (the CLI, built as `cargo run` builds it)
/// against `database_url`, and waits for it.
pub fn councilperf<I, A>(database_url: &str, args: I) -> std::process::Output
where
    I: IntoIterator<Item = A>,
    A: AsRef<std::ffi::OsStr>,
{
    let out = std::process::Command::new(env!("CARGO"))
        .args(["run", "--quiet", "-p", "api", "--bin", "councilperf", "--"])
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output();
    match out {
        Ok(out) => out,
        Err(e) => panic!("running councilperf: {e}"),
    }
}

/// The body of a multipart request as `curl -F` sends it (the GraphQL
/// multipart request spec): operations, map, and one file, the variable
/// `file`, parted by `boundary`.
pub fn multipart_body(boundary: &str, query: &str, variables: Value, name: &str, file: &[u8]) -> Vec<u8> {
    let mut variables = variables;
    variables["file"] = Value::Null;
    let operations = json!({ "query": query, "variables": variables });
    let mut body = Vec::new();
    for (field, value) in [
        ("operations", operations.to_string()),
        ("map", json!({ "0": ["variables.file"] }).to_string()),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"0\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    body
}

/// A token from the test servers' issuer with the given grants
/// (`AUTHORITY:ROLE[:PARTNER]` or `PLATFORM_ADMIN`).
pub fn token(sub: &str, grants: &[&str]) -> String {
    let grants = grants
        .iter()
        .map(|g| api::auth::parse_grant(g))
        .collect::<anyhow::Result<Vec<_>>>();
    grants
        .and_then(|g| {
            api::auth::mint(
                SECRET,
                "councilperf",
                "councilperf",
                sub,
                g,
                std::time::Duration::from_secs(600),
            )
        })
        .unwrap_or_default()
}

/// The row a global id names, for tests that read its table directly.
pub fn row_id(id: &Value) -> i64 {
    let text = id.as_str().unwrap_or_default();
    match schema::ids::decode(text) {
        Ok(schema::ids::Global::Row(_, n)) => n,
        other => panic!("{text} names no row: {other:?}"),
    }
}
