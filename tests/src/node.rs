//! Node and the JavaScript packages `npm install` puts in `tests/audit`,
//! which the tests of real clients (graphql-ws, Apollo Client,
//! graphql-codegen) and the OpenID issuers run.

use std::ffi::OsStr;
use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

use crate::ws::PATIENCE;

/// `tests/audit`, whose `package.json` lists the packages.
pub fn audit_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("audit")
}

/// `tests/audit` when node runs and each of `packages` is installed there.
/// Otherwise `what` is skipped: it says so and answers `None`, except under
/// CI, which installs them, where it fails instead.
pub fn audit_packages(packages: &[&str], what: &str) -> Option<PathBuf> {
    let dir = audit_dir();
    let node = std::process::Command::new("node").arg("--version").output();
    let installed = packages
        .iter()
        .all(|p| dir.join("node_modules").join(p).join("package.json").exists());
    if node.is_ok() && installed {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must run {what}: install node and `npm install` in tests/audit"
    );
    eprintln!("skipped: {what}, for want of node and `npm install` in tests/audit");
    None
}

/// A script of `tests/audit` run by node, which speaks JSON lines on its
/// stdout and waits for lines on its stdin.
pub struct Script {
    name: String,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    // Last, so it is dropped (and node killed) after its pipes close.
    _node: Child,
}

impl Script {
    /// Runs `tests/audit/NAME` with `args`, its errors passed through.
    pub fn run<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(name: &str, args: I) -> Script {
        let dir = audit_dir();
        let mut node = Command::new("node")
            .arg(dir.join(name))
            .args(args)
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("running node {name}: {e}"));
        let (Some(stdin), Some(stdout)) = (node.stdin.take(), node.stdout.take()) else {
            panic!("node {name} has no pipes");
        };
        Script {
            name: name.to_owned(),
            stdin,
            stdout: BufReader::new(stdout).lines(),
            _node: node,
        }
    }

    /// The next line the script prints, as JSON, within [`PATIENCE`].
    pub async fn line(&mut self) -> Value {
        let name = &self.name;
        let line = match tokio::time::timeout(PATIENCE, self.stdout.next_line()).await {
            Err(_) => panic!("node {name} said nothing in time"),
            Ok(Err(e)) => panic!("reading node {name}: {e}"),
            Ok(Ok(None)) => panic!("node {name} ended without a word"),
            Ok(Ok(Some(line))) => line,
        };
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("node {name} said {line}: {e}"))
    }

    /// Tells the script, waiting on its stdin, to go on.
    pub async fn tell(&mut self) {
        let stdin = &mut self.stdin;
        let told = async {
            stdin.write_all(b"\n").await?;
            stdin.flush().await
        };
        if let Err(e) = told.await {
            panic!("telling node {}: {e}", self.name);
        }
    }
}
