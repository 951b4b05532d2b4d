//! The real server binary, started by a test as an operator would start
//! it, for what only the whole process shows: its resident memory.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::SECRET;

/// `councilperf serve`, stopped when dropped.
pub struct Server {
    child: Child,
    pub address: String,
    pub client: reqwest::Client,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// `councilperf serve <args>` on `database_url` with `env` added to its
    /// environment, under `prlimit --as=<cap>` when a cap on its address
    /// space is given; answers once it is healthy.
    pub async fn start(
        database_url: &str,
        args: &[&str],
        env: &[(&str, &str)],
        address_space: Option<u64>,
    ) -> anyhow::Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let binary = binary()?;
        let mut command = match address_space {
            Some(cap) => {
                let mut c = Command::new("prlimit");
                c.arg(format!("--as={cap}")).arg("--").arg(binary);
                c
            }
            None => Command::new(binary),
        };
        let child = command
            .arg("serve")
            .args(args)
            .env("DATABASE_URL", database_url)
            .env("COUNCILPERF_BIND", format!("127.0.0.1:{port}"))
            .env("JWT_SECRET", SECRET)
            .env("RUST_LOG", "warn")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .spawn()
            .context("starting councilperf")?;
        let server = Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
            client: reqwest::Client::new(),
        };
        for _ in 0..600 {
            if server.healthy().await {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("the server did not start")
    }

    pub async fn healthy(&self) -> bool {
        let health = self.client.get(format!("{}/healthz", self.address)).send().await;
        health.is_ok_and(|h| h.status() == 200)
    }

    /// The public's answer to `query`: its `data`.
    pub async fn data(&self, query: &str) -> anyhow::Result<Value> {
        let body: Value = self
            .client
            .post(format!("{}/graphql", self.address))
            .json(&json!({ "query": query }))
            .send()
            .await?
            .json()
            .await?;
        Ok(body["data"].clone())
    }

    /// A field of `/proc/PID/status`, in bytes.
    pub fn status(&self, field: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kb: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {field} in {status}"))?;
        Ok(kb * 1024)
    }
}

/// A binary of the workspace, built next to the running test's. Built with
/// the tests' package selected too, so its dependencies' features are the
/// ones the test was built with and neither build undoes the other's work.
pub fn built(package: &str, bin: &str) -> anyhow::Result<PathBuf> {
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", package, "-p", "tests", "--bin", bin])
        .status()?;
    if !status.success() {
        bail!("building {bin}");
    }
    // A test runs as target/<profile>/deps/<test>-<hash>.
    let exe = std::env::current_exe()?;
    Ok(exe
        .parent()
        .and_then(Path::parent)
        .context("the test's directory")?
        .join(bin))
}

fn binary() -> anyhow::Result<PathBuf> {
    built("api", "councilperf")
}
