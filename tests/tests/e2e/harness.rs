//! The load generator the benchmarks are compared with, `wrk`, driving the
//! real server with the dashboard query (BENCHMARKS.md's operation a): every
//! answer a success, the server serving throughout. Nothing is timed here;
//! the figures are the harness's (`councilperf-bench`, BENCHMARKS.md).
//! Without `wrk` the test says so and is skipped, except under CI, which
//! installs it.

use serde_json::json;
use tests::{Engine, spawn};

#[tokio::test]
async fn wrk_drives_the_dashboard_without_a_failure() {
    if std::process::Command::new("wrk")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test: install wrk"
        );
        eprintln!("skipped: the load test needs wrk (apt-get install wrk)");
        return;
    }
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let query = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../schema/operations/plan-dashboard.graphql"
    ))
    .unwrap();
    let body = json!({ "query": query, "variables": { "slug": "kent", "period": "2023-24 Q1" } });
    let dir = std::env::temp_dir().join(format!("cp_wrk_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("dashboard.lua");
    // wrk's Lua: the request every connection sends, and a count of the
    // answers that were not 200 (wrk itself counts only >= 400 as errors).
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.body = {body}\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
             bad = 0\nresponse = function(status) if status ~= 200 then bad = bad + 1 end end\n\
             done = function() io.write(string.format(\"not-200: %d\\n\", bad)) end\n",
            body = lua_string(&body.to_string())
        ),
    )
    .unwrap();
    let out = tokio::process::Command::new("wrk")
        .args(["-t1", "-c4", "-d2s", "--latency", "-s"])
        .arg(&script)
        .arg(format!("{}/graphql", app.address))
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{report}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let requests: u64 = report
        .lines()
        .find_map(|l| l.trim().split_once(" requests in "))
        .and_then(|(n, _)| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no request count in {report}"));
    assert!(requests > 0, "{report}");
    assert!(report.contains("not-200: 0"), "{report}");
    assert!(!report.contains("Socket errors"), "{report}");
    app.still_serving().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// A Lua string literal holding `s`.
fn lua_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
