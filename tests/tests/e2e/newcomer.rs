//! A newcomer's first hour: `serve --demo` with no key configured accepts
//! the tokens the README's `token` command mints at once, and `HEAD`
//! answers as `GET` does, without the body.

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

use reqwest::header::{DATE, HeaderMap};
use serde_json::{Value, json};
use tests::server::built;
use tests::{engines, spawn};

/// `councilperf ARGS` run in `dir` with no key of any kind in its
/// environment, as on a newcomer's machine.
fn councilperf(dir: &Path) -> Command {
    let mut c = Command::new(built("api", "councilperf").unwrap());
    c.current_dir(dir)
        .env_remove("JWT_SECRET")
        .env_remove("JWT_PUBLIC_KEY_FILE")
        .env_remove("JWT_JWKS_URL")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/demo.db?mode=rwc", dir.display()),
        );
    c
}

/// A directory of its own, removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> Scratch {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!("cp_newcomer_{}_{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn token(dir: &Path, args: &[&str]) -> Output {
    councilperf(dir).arg("token").args(args).output().unwrap()
}

const ME: &str = "{ me { subject roles { role authority { slug } } } }";

#[tokio::test]
async fn a_demo_with_no_key_accepts_the_readmes_token_at_once() {
    let dir = Scratch::new();
    let refused = token(dir.path(), &["--sub", "jane", "--grant", "croydon:OFFICER"]);
    assert!(!refused.status.success(), "no key yet, so no token");
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("JWT_SECRET") && why.contains("serve --demo"),
        "the refusal says what to do: {why}"
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("http://127.0.0.1:{port}");
    let log = dir.path().join("server.log");
    let _server = Running(
        councilperf(dir.path())
            .args(["serve", "--demo"])
            .env("COUNCILPERF_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap(),
    );
    let client = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..1200 {
        let answer = client.get(format!("{address}/healthz")).send().await;
        if answer.is_ok_and(|a| a.status() == 200) {
            healthy = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "the demo server did not start");

    let said = std::fs::read_to_string(&log).unwrap();
    assert!(
        said.contains("DEVELOPMENT key") && said.contains("councilperf.dev-secret"),
        "the server warns that it signs with a development key: {said}"
    );
    let kept = std::fs::read_to_string(dir.path().join("councilperf.dev-secret")).unwrap();
    assert!(kept.trim().len() >= 32, "a development key of 32 bytes or more");

    // The README's command, run where the server was started.
    let minted = token(
        dir.path(),
        &["--sub", "jane", "--grant", "croydon:OFFICER", "--ttl", "8h"],
    );
    assert!(
        minted.status.success(),
        "{}",
        String::from_utf8_lossy(&minted.stderr)
    );
    let jwt = String::from_utf8(minted.stdout).unwrap();
    let answer: Value = client
        .post(format!("{address}/graphql"))
        .bearer_auth(jwt.trim())
        .json(&json!({ "query": ME }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["data"]["me"]["subject"], "jane", "{answer}");
    assert_eq!(
        answer["data"]["me"]["roles"][0]["authority"]["slug"], "croydon",
        "{answer}"
    );
}

/// The headers, but for those that differ between any two answers, each
/// list in one order (the CORS layer lists its exposed headers in any).
fn comparable(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut kept: Vec<(String, String)> = headers
        .iter()
        .filter(|(name, _)| *name != DATE && name.as_str() != "x-request-id")
        .map(|(n, v)| {
            let mut items: Vec<&str> = v.to_str().unwrap_or_default().split(", ").collect();
            items.sort_unstable();
            (n.to_string(), items.join(", "))
        })
        .collect();
    kept.sort();
    kept
}

#[tokio::test]
async fn head_answers_as_get_without_the_body() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = app
            .data(r#"{ authority(slug: "kent") { plans { id } } }"#, Value::Null)
            .await
            .unwrap()["authority"]["plans"][0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let html = "text/html";
        let paths = [
            ("/healthz", "*/*"),
            ("/readyz", "*/*"),
            ("/graphql", html),
            ("/graphiql", html),
            ("/", html),
            ("/feeds/results.csv?authority=kent&from=2023-24", "*/*"),
            (&*format!("/plans/{plan}/report.csv?period=2023-24%20Q1"), "*/*"),
            ("/no/such/page", "*/*"),
        ];
        for (path, accept) in paths {
            let url = format!("{}{path}", app.address);
            let get = app
                .client
                .get(&url)
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            let head = app
                .client
                .head(&url)
                .header("accept", accept)
                .send()
                .await
                .unwrap();
            assert_eq!(head.status(), get.status(), "{engine:?} {path}");
            assert_eq!(
                comparable(head.headers()),
                comparable(get.headers()),
                "{engine:?} {path}"
            );
            let (status, body) = (get.status(), get.bytes().await.unwrap());
            if status == 200 {
                assert!(!body.is_empty(), "{engine:?} {path}: GET has a body");
            }
            assert!(head.bytes().await.unwrap().is_empty(), "{engine:?} {path}");
        }
    }
}
