//! Two real OpenID Connect issuers, "Kent's tenant" and "Croydon's tenant":
//! panva's `oidc-provider` run by node (`tests/audit/oidc.mjs`), so the
//! tests verify tokens a real provider minted through its own endpoints
//! (authorization code with PKCE) rather than tokens they signed
//! themselves.
//!
//! Each issuer is `http://127.0.0.1:PORT` with its discovery document at
//! `/.well-known/openid-configuration` and its own RS256 key. Its access
//! tokens are JWTs (`typ: at+jwt`) for the audience [`AUDIENCE`], with
//! `iss`, `sub`, `aud`, `exp`, `iat`, `jti`, `scope: "api"`,
//! `client_id: "councilperf-web"`, `name`, `roles` (always an array) and,
//! when the account has one, `email`.

use std::path::PathBuf;
use std::process::Stdio;

use anyhow::{Context, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::node::audit_packages;
use crate::ws::PATIENCE;

/// The audience of every access token the issuers mint.
pub const AUDIENCE: &str = "api://councilperf";

/// The client the issuers know, public (no secret) and bound to PKCE.
pub const CLIENT_ID: &str = "councilperf-web";

pub struct Issuers {
    /// Kent's issuer URL, `http://127.0.0.1:PORT`, no trailing slash.
    pub kent: String,
    /// Croydon's issuer URL.
    pub croydon: String,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    // Last, so it is dropped (and node killed) after its pipes close.
    _node: Child,
}

impl Issuers {
    /// Starts both issuers. Without node or `npm install` in `tests/audit`
    /// it says the test is skipped and returns `None`, except under CI,
    /// which must install them and so fails instead.
    pub async fn start() -> Option<Issuers> {
        let dir = audit_packages(&["oidc-provider", "jose"], "the OpenID provider tests")?;
        match Self::spawn(dir).await {
            Ok(issuers) => Some(issuers),
            Err(e) => panic!("starting the OpenID issuers (tests/audit/oidc.mjs): {e:#}"),
        }
    }

    async fn spawn(dir: PathBuf) -> anyhow::Result<Issuers> {
        let mut node = Command::new("node")
            .arg(dir.join("oidc.mjs"))
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("running node")?;
        let stdin = node.stdin.take().context("no stdin")?;
        let stdout = BufReader::new(node.stdout.take().context("no stdout")?).lines();
        let mut issuers = Issuers {
            kent: String::new(),
            croydon: String::new(),
            stdin,
            stdout,
            _node: node,
        };
        let ready = issuers.line().await?;
        if ready["ready"] != true {
            bail!("expected ready, got {ready}");
        }
        for (name, url) in [("kent", &mut issuers.kent), ("croydon", &mut issuers.croydon)] {
            *url = ready[name]
                .as_str()
                .with_context(|| format!("no {name} in {ready}"))?
                .to_owned();
        }
        Ok(issuers)
    }

    async fn line(&mut self) -> anyhow::Result<Value> {
        let line = tokio::time::timeout(PATIENCE, self.stdout.next_line())
            .await
            .context("the OpenID issuers said nothing in time")??
            .context("the OpenID issuers ended")?;
        serde_json::from_str(&line).with_context(|| format!("not JSON: {line}"))
    }

    /// Sends one command and returns its answer, failing on `{"error"}`.
    async fn ask(&mut self, command: Value) -> anyhow::Result<Value> {
        let mut line = command.to_string();
        line.push('\n');
        self.stdin.write_all(line.as_bytes()).await?;
        self.stdin.flush().await?;
        let answer = self.line().await?;
        if let Some(e) = answer.get("error") {
            bail!("{e}");
        }
        Ok(answer)
    }

    async fn command(&mut self, command: Value) -> Value {
        match self.ask(command.clone()).await {
            Ok(answer) => answer,
            Err(e) => panic!("OpenID issuers, {command}: {e:#}"),
        }
    }

    /// The URL of `issuer` (`"kent"` or `"croydon"`).
    pub fn url(&self, issuer: &str) -> &str {
        match issuer {
            "kent" => &self.kent,
            "croydon" => &self.croydon,
            other => panic!("no issuer {other}: kent or croydon"),
        }
    }

    /// An access token `issuer` (`"kent"` or `"croydon"`) mints for `sub`,
    /// signed in as a person would, by authorization code with PKCE. The
    /// account (its `name` is `sub`; no `email` claim when `email` is
    /// `None`) is registered, or updated, first. Roles go in the `roles`
    /// claim, as Entra ID's app roles do.
    pub async fn token(&mut self, issuer: &str, sub: &str, email: Option<&str>, roles: &[&str]) -> String {
        self.tokens(issuer, sub, email, roles).await.0
    }

    /// As [`Issuers::token`], with the ID token minted alongside (its `aud`
    /// is [`CLIENT_ID`], not the API).
    pub async fn tokens(
        &mut self,
        issuer: &str,
        sub: &str,
        email: Option<&str>,
        roles: &[&str],
    ) -> (String, String) {
        let mut account = json!({ "issuer": issuer, "sub": sub, "name": sub, "roles": roles });
        if let Some(email) = email {
            account["email"] = json!(email);
        }
        let answer = self.command(json!({ "token": account })).await;
        match (answer["token"].as_str(), answer["idToken"].as_str()) {
            (Some(access), Some(id)) => (access.to_owned(), id.to_owned()),
            _ => panic!("OpenID issuers: no tokens in {answer}"),
        }
    }

    /// From now on `issuer` answers its JWKS path with 503 (`up: false`),
    /// or serves it again (`up: true`); its other endpoints are untouched.
    pub async fn keys(&mut self, issuer: &str, up: bool) {
        self.command(json!({ "keys": { "issuer": issuer, "up": up } }))
            .await;
    }

    /// A token naming `issuer` as its `iss`, otherwise as that issuer would
    /// mint it for `sub` (with the account's claims if `token` registered
    /// it there), but signed with `signed_by`'s key under its `kid`.
    pub async fn forge(&mut self, issuer: &str, signed_by: &str, sub: &str) -> String {
        let answer = self
            .command(json!({ "forge": { "issuer": issuer, "signedBy": signed_by, "sub": sub } }))
            .await;
        match answer["token"].as_str() {
            Some(token) => token.to_owned(),
            None => panic!("OpenID issuers: no token in {answer}"),
        }
    }
}
