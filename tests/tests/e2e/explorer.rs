//! The API explorer at `/graphiql` (and `GET /graphql` from a browser):
//! served by this server alone under the dashboard's policy, so it works
//! with no internet access, runs operations and documents the schema.

use api::pages::DASHBOARD_POLICY;
use serde_json::json;
use tests::browser::{self, Browser};
use tests::{Engine, spawn};

/// Installed before the page's own scripts: every Content-Security-Policy
/// violation the page raises, kept where the test can read it.
const WATCH_VIOLATIONS: &str = "window.__violations = [];
document.addEventListener('securitypolicyviolation', (e) =>
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));";

#[tokio::test]
async fn the_explorer_and_its_assets_are_served_here_under_the_dashboards_policy() {
    let app = spawn(Engine::Sqlite, false).await.unwrap();
    for (path, accept) in [("/graphiql", "*/*"), ("/graphql", "text/html")] {
        let page = app
            .client
            .get(format!("{}{path}", app.address))
            .header("accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "{path}");
        assert_eq!(
            page.headers()["content-security-policy"],
            DASHBOARD_POLICY,
            "{path}"
        );
        let html = page.text().await.unwrap();
        assert!(!html.contains("://"), "{path} names no other origin");
        assert!(!html.contains("<script>"), "{path} has no inline script");
        for (asset, kind) in [
            ("/graphiql/explorer.js", "text/javascript"),
            ("/graphiql/explorer.css", "text/css"),
        ] {
            assert!(html.contains(&format!("\"{asset}\"")), "{path}: {asset}");
            let r = app
                .client
                .get(format!("{}{asset}", app.address))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{asset}");
            assert!(r.headers()["content-type"].to_str().unwrap().starts_with(kind));
            assert_eq!(r.headers()["content-security-policy"], DASHBOARD_POLICY);
            assert!(
                !r.text().await.unwrap().contains("://"),
                "{asset} names no other origin"
            );
        }
    }
    let missing = app
        .client
        .get(format!("{}/graphiql/other.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[tokio::test]
async fn the_explorer_runs_a_query_and_documents_the_schema_offline_in_chromium() {
    let Some(exe) = browser::chromium() else {
        assert!(!browser::required(), "CI is set but chromium is not installed");
        eprintln!("skipped: chromium not installed");
        return;
    };
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    // The browser resolves no host but 127.0.0.1 (`Browser::launch`): a
    // page that needed a CDN would stay blank.
    let mut chromium = Browser::launch(&exe).await.unwrap();
    chromium
        .call(
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": WATCH_VIOLATIONS }),
        )
        .await
        .unwrap();
    chromium
        .navigate(&format!("{}/graphiql", app.address))
        .await
        .unwrap();

    // The schema's documentation, from introspection.
    let types = chromium.wait_for("document.body.dataset.schema").await.unwrap();
    assert!(types.as_str().unwrap().parse::<u32>().unwrap() > 20, "{types}");
    chromium.evaluate("location.hash = '#Authority'").await.unwrap();
    let docs = chromium
        .wait_for("!document.getElementById('type-view').hidden && document.getElementById('type-fields').textContent")
        .await
        .unwrap();
    assert!(docs.as_str().unwrap().contains("plans"), "{docs}");

    // The operation in the form, run as a person would: a query with a
    // variable, sent with a token.
    let officer = tests::token("officer", &["kent:OFFICER"]);
    let set = format!(
        "document.getElementById('query').value = 'query Who($slug: String!) {{ me {{ subject }} authority(slug: $slug) {{ name }} }}';
         document.getElementById('variables').value = '{{\"slug\": \"kent\"}}';
         document.getElementById('token').value = '{officer}';
         document.getElementById('run').focus();"
    );
    chromium.evaluate(&set).await.unwrap();
    chromium.enter().await.unwrap();
    chromium.wait_for("document.body.dataset.ran").await.unwrap();
    let result = chromium
        .evaluate("JSON.parse(document.getElementById('result').textContent)")
        .await
        .unwrap();
    assert_eq!(
        result["data"],
        json!({ "me": { "subject": "officer" }, "authority": { "name": "Kent County Council" } }),
        "{result}"
    );

    let violations = chromium.evaluate("window.__violations").await.unwrap();
    assert_eq!(violations, json!([]), "the page broke its policy");
    let requests = &chromium.requests;
    assert!(
        requests.iter().any(|u| u.ends_with("/graphiql/explorer.js")),
        "{requests:?}"
    );
    for u in requests {
        assert!(
            u.starts_with(&app.address),
            "the page requested {u}: {requests:?}"
        );
    }
}
