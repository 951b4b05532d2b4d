//! Configuration from the environment, as the README's table lists it.

use std::net::SocketAddr;
use std::time::Duration;

pub use schema::Limits;

use anyhow::Context;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://councilperf.db?mode=rwc";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub bind: SocketAddr,
    /// Connections in the pool (default: 32 on PostgreSQL, 8 on SQLite).
    pub pool_size: Option<u32>,
    pub limits: Limits,
    pub jwt: Jwt,
    /// Origins allowed to call the API from a browser (`*` for any).
    pub cors_origins: Vec<String>,
    /// Schema introspection (dashboards' tooling needs it).
    pub introspection: bool,
    /// Development mode: field suggestions in validation errors.
    pub development: bool,
    /// Megabytes of query answers the exact response cache keeps (0: none).
    pub cache_mb: usize,
    /// Megabytes of documents clients register as persisted queries.
    pub persisted_queries_mb: usize,
    /// When set, the only documents that run (a directory of `.graphql`
    /// files or an Apollo persisted query manifest).
    pub trusted_documents: Option<std::path::PathBuf>,
}

/// The response cache's default size: the answers of a few hundred
/// dashboards, well inside the server's memory bound.
pub const DEFAULT_CACHE_MB: usize = 32;

/// Room for a few hundred registered dashboard queries.
pub const DEFAULT_PERSISTED_QUERIES_MB: usize = 4;

/// Which tokens the server trusts.
#[derive(Clone, Debug)]
pub struct Jwt {
    /// HS256 shared secret.
    pub secret: Option<String>,
    /// PEM public key (RS256 or ES256) of the council's identity provider.
    pub public_key_pem: Option<Vec<u8>>,
    /// The identity provider's JWKS document, whose keys rotate.
    pub jwks_url: Option<String>,
    /// Least time between two fetches of that document, so tokens naming
    /// unknown keys cannot make the server hammer the provider.
    pub jwks_refresh: Duration,
    pub issuer: String,
    pub audience: String,
}

impl Default for Jwt {
    fn default() -> Self {
        Jwt {
            secret: None,
            public_key_pem: None,
            jwks_url: None,
            jwks_refresh: Duration::from_secs(30),
            issuer: "councilperf".to_owned(),
            audience: "councilperf".to_owned(),
        }
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parsed<T: std::str::FromStr>(name: &str) -> anyhow::Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    var(name)
        .map(|v| {
            v.parse::<T>()
                .map_err(|e| anyhow::anyhow!("{name}={v:?} is not valid: {e}"))
        })
        .transpose()
}

impl Config {
    pub fn from_env() -> anyhow::Result<Self> {
        let defaults = Limits::default();
        Ok(Config {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.to_owned()),
            bind: var("COUNCILPERF_BIND")
                .unwrap_or_else(|| DEFAULT_BIND.to_owned())
                .parse()
                .context("COUNCILPERF_BIND must be an address like 127.0.0.1:8080")?,
            pool_size: parsed("COUNCILPERF_POOL_SIZE")?,
            limits: Limits {
                max_body_bytes: parsed("COUNCILPERF_MAX_BODY_BYTES")?.unwrap_or(defaults.max_body_bytes),
                max_batch: parsed("COUNCILPERF_MAX_BATCH")?.unwrap_or(defaults.max_batch),
                max_aliases: parsed("COUNCILPERF_MAX_ALIASES")?.unwrap_or(defaults.max_aliases),
                max_root_fields: parsed("COUNCILPERF_MAX_ROOT_FIELDS")?.unwrap_or(defaults.max_root_fields),
                max_depth: parsed("COUNCILPERF_MAX_DEPTH")?.unwrap_or(defaults.max_depth),
                max_complexity: parsed("COUNCILPERF_MAX_COMPLEXITY")?.unwrap_or(defaults.max_complexity),
                max_fields: parsed("COUNCILPERF_MAX_FIELDS")?.unwrap_or(defaults.max_fields),
                max_spreads: parsed("COUNCILPERF_MAX_SPREADS")?.unwrap_or(defaults.max_spreads),
                max_query_bytes: parsed("COUNCILPERF_MAX_QUERY_BYTES")?.unwrap_or(defaults.max_query_bytes),
                query_timeout: parsed::<u64>("COUNCILPERF_QUERY_TIMEOUT_SECS")?
                    .map_or(defaults.query_timeout, Duration::from_secs),
                body_timeout: parsed::<u64>("COUNCILPERF_BODY_TIMEOUT_SECS")?
                    .map_or(defaults.body_timeout, Duration::from_secs)
                    .max(Duration::from_secs(1)),
                max_in_flight: parsed::<usize>("COUNCILPERF_MAX_IN_FLIGHT")?
                    .unwrap_or(defaults.max_in_flight)
                    .max(1),
                max_sockets: parsed("COUNCILPERF_WS_MAX_SOCKETS")?.unwrap_or(defaults.max_sockets),
                max_subscriptions: parsed("COUNCILPERF_WS_MAX_SUBSCRIPTIONS")?
                    .unwrap_or(defaults.max_subscriptions),
                max_message_bytes: parsed("COUNCILPERF_WS_MAX_MESSAGE_BYTES")?
                    .unwrap_or(defaults.max_message_bytes),
                init_timeout: parsed::<u64>("COUNCILPERF_WS_INIT_TIMEOUT_SECS")?
                    .map_or(defaults.init_timeout, Duration::from_secs),
                live_buffer: parsed::<usize>("COUNCILPERF_LIVE_BUFFER")?
                    .unwrap_or(defaults.live_buffer)
                    .max(1),
            },
            jwt: Jwt::from_env()?,
            cors_origins: var("COUNCILPERF_CORS_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            introspection: parsed("COUNCILPERF_INTROSPECTION")?.unwrap_or(true),
            development: parsed("COUNCILPERF_DEV")?.unwrap_or(false),
            cache_mb: parsed("COUNCILPERF_CACHE_MB")?.unwrap_or(DEFAULT_CACHE_MB),
            persisted_queries_mb: parsed("COUNCILPERF_PERSISTED_QUERIES_MB")?
                .unwrap_or(DEFAULT_PERSISTED_QUERIES_MB),
            trusted_documents: var("COUNCILPERF_TRUSTED_DOCUMENTS").map(Into::into),
        })
    }
}

/// Fewer bytes than HS256's own output (256 bits) can be guessed offline
/// from any one token, and a guessed secret mints any grant.
pub const MIN_SECRET_BYTES: usize = 32;

/// Refuses a `JWT_SECRET` too short to keep tokens unforgeable.
fn check_secret(secret: &str) -> anyhow::Result<()> {
    let n = secret.len();
    if n < MIN_SECRET_BYTES {
        anyhow::bail!(
            "JWT_SECRET has {n} bytes; it must have at least {MIN_SECRET_BYTES} \
             (for example the output of `openssl rand -base64 32`)"
        );
    }
    Ok(())
}

impl Jwt {
    pub fn from_env() -> anyhow::Result<Self> {
        let d = Jwt::default();
        let secret = var("JWT_SECRET");
        if let Some(s) = &secret {
            check_secret(s)?;
        }
        let public_key_pem = match var("JWT_PUBLIC_KEY_FILE") {
            None => None,
            Some(path) => {
                Some(std::fs::read(&path).with_context(|| format!("reading JWT_PUBLIC_KEY_FILE {path}"))?)
            }
        };
        Ok(Jwt {
            secret,
            public_key_pem,
            jwks_url: var("JWT_JWKS_URL"),
            jwks_refresh: parsed::<u64>("JWT_JWKS_REFRESH_SECS")?.map_or(d.jwks_refresh, Duration::from_secs),
            issuer: var("JWT_ISSUER").unwrap_or(d.issuer),
            audience: var("JWT_AUDIENCE").unwrap_or(d.audience),
        })
    }
}
