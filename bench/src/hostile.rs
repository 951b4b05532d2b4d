//! The hostile documents of issue 11, sent to a running server as an
//! anonymous stranger would: how long each takes to be refused, whether
//! `/healthz` stays fast meanwhile, and how much the server's memory grows.

use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// `levels` fragments, each spreading the next one twice.
fn fan_out(levels: usize) -> String {
    let mut q = String::from("{ ...F0 }");
    for i in 0..levels {
        q.push_str(&format!(
            " fragment F{i} on Query {{ ...F{n} ...F{n} }}",
            n = i + 1
        ));
    }
    q.push_str(&format!(" fragment F{levels} on Query {{ me {{ subject }} }}"));
    q
}

fn rss_mb(pid: Option<u32>) -> Option<f64> {
    crate::status_mb(pid?, "VmRSS:")
}

/// Sends `query` from `copies` clients at once; returns the slowest answer
/// and the first error code.
async fn at_once(
    client: &reqwest::Client,
    url: &str,
    query: &str,
    copies: usize,
) -> anyhow::Result<(Duration, String)> {
    let started = Instant::now();
    let mut asks = tokio::task::JoinSet::new();
    for _ in 0..copies {
        let (client, url, body) = (
            client.clone(),
            format!("{url}/graphql"),
            json!({ "query": query }),
        );
        asks.spawn(async move {
            let body: Value = client.post(url).json(&body).send().await?.json().await?;
            Ok::<_, reqwest::Error>(body)
        });
    }
    let mut code = String::new();
    while let Some(answer) = asks.join_next().await {
        let body = answer??;
        if code.is_empty() {
            code = body["errors"][0]["extensions"]["code"]
                .as_str()
                .unwrap_or("OK")
                .to_owned();
        }
    }
    Ok((started.elapsed(), code))
}

async fn healthz(client: &reqwest::Client, url: &str) -> anyhow::Result<Duration> {
    let started = Instant::now();
    client
        .get(format!("{url}/healthz"))
        .send()
        .await?
        .error_for_status()?;
    Ok(started.elapsed())
}

/// Connections that send headers and a little of the body, then stall:
/// seconds until the server has closed them all.
async fn stalled_bodies(url: &str, n: usize) -> anyhow::Result<Duration> {
    let host = url.trim_start_matches("http://").trim_end_matches('/').to_owned();
    let mut open = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = tokio::net::TcpStream::connect(&host).await?;
        let head = format!(
            "POST /graphql HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{"
        );
        s.write_all(head.as_bytes()).await?;
        open.push(s);
    }
    let started = Instant::now();
    for mut s in open {
        let mut sink = Vec::new();
        tokio::time::timeout(Duration::from_secs(120), s.read_to_end(&mut sink))
            .await
            .context("a stalled connection was still open after 120 s")??;
    }
    Ok(started.elapsed())
}

pub async fn run(url: &str, pid: Option<u32>) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let duplicates = format!(
        "{{ authorities {{ plans {{ {} }} }} }}",
        r#"breakdown(period: "2023-24 Q1") { total } "#.repeat(2_000)
    );
    let long = format!("{{ authorities {{ {} }} }}", "slug ".repeat(200_000));
    let attacks = [
        ("fragment fan-out, 30 levels", fan_out(30), 4),
        ("2,000 duplicated breakdowns (80 KB)", duplicates, 8),
        ("200,000 duplicated fields (1 MB)", long, 8),
    ];
    println!(
        "| attack | bytes | clients | slowest answer | code | /healthz meanwhile | RSS before → after (MB) |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (name, query, copies) in attacks {
        let before = rss_mb(pid);
        let (attack, health) = tokio::join!(at_once(&client, url, &query, copies), async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            healthz(&client, url).await
        });
        let (slowest, code) = attack?;
        let after = rss_mb(pid);
        let mb = |v: Option<f64>| v.map_or("–".to_owned(), |v| format!("{v:.0}"));
        println!(
            "| {name} | {} | {copies} | {:.1} ms | {code} | {:.1} ms | {} → {} |",
            query.len(),
            slowest.as_secs_f64() * 1e3,
            health?.as_secs_f64() * 1e3,
            mb(before),
            mb(after)
        );
    }
    let closed = stalled_bodies(url, 500).await?;
    println!(
        "\n500 connections stalled in their bodies: all closed by the server {:.1} s after the last was opened",
        closed.as_secs_f64()
    );
    Ok(())
}
