//! The dashboard at `GET /`: served self-contained under a policy that lets
//! it reach only this server, and driven in headless Chromium over the demo
//! councils. The API explorer at `/graphiql` has tests of its own (`explorer`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use api::pages::DASHBOARD_POLICY;
use serde_json::{Value, json};
use tests::browser::{self, Browser};
use tests::{Engine, spawn};

const KENT_PLAN: &str = r#"{ authority(slug: "kent") { plans { id } } }"#;

const FIRST_EXCEPTION: &str = r#"query($plan: ID!) {
  plan(id: $plan) { exceptions(period: "2023-24 Q1") { measure { id } } }
}"#;

const COMMENT: &str = r#"mutation($measure: ID!, $body: String!) {
  addCommentary(input: { measureId: $measure, period: "2023-24 Q1", kind: SERVICE, body: $body }) { id }
}"#;

/// Commentary is shown as text: markup in it stays words on the page.
const BODY: &str = "<b>Recovery plan</b> agreed with the service";

const CS04: &str = r#"query($plan: ID!) { plan(id: $plan) { measures { id code } } }"#;

/// Kent's CS04 (daytime calls answered, target 95%) restated from AMBER to GREEN.
const SUBMIT: &str = r#"mutation($measure: ID!) {
  submitResult(input: { measureId: $measure, period: "2023-24 Q1", value: 99 }) { status }
}"#;

/// Waits until the page's socket is subscribed (within about 30 s).
const GONE_LIVE: &str = r#"new Promise((resolve, reject) => {
  let tries = 0;
  const check = () => {
    if (document.getElementById('live').textContent === 'Live') resolve(true);
    else if (++tries > 600) reject(new Error('the page never went live'));
    else setTimeout(check, 50);
  };
  check();
})"#;

/// Whether CS04's row turns GREEN within about two seconds.
const CS04_GREEN: &str = r#"new Promise((resolve) => {
  let tries = 0;
  const check = () => {
    const row = document.querySelector('[data-measure="CS04"]');
    if (row && row.dataset.status === 'GREEN') resolve(true);
    else if (++tries > 40) resolve(false);
    else setTimeout(check, 50);
  };
  check();
})"#;

/// The trend chart's definition-change mark's text, once drawn (within
/// about two seconds), else "".
const DEFINITION_BREAK: &str = r#"new Promise((resolve) => {
  let tries = 0;
  const check = () => {
    const mark = document.querySelector('#chart .definition-break');
    if (mark) resolve(mark.textContent);
    else if (++tries > 40) resolve('');
    else setTimeout(check, 50);
  };
  check();
})"#;

const STATUSES: &str = r#"query($plan: ID!, $period: Period!) {
  plan(id: $plan) {
    breakdown(period: $period) { blue green amber red noTarget noData }
    measures { code result(period: $period) { status } }
  }
}"#;

/// What the API says the page should show: the breakdown's counts (as the
/// page's text) and each measure's status.
async fn expected(
    app: &tests::TestApp,
    plan: &str,
    period: &str,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let d = app
        .data(STATUSES, json!({ "plan": plan, "period": period }))
        .await
        .unwrap();
    let b = &d["plan"]["breakdown"];
    let counts = ["blue", "green", "amber", "red", "noTarget", "noData"]
        .into_iter()
        .map(|k| (k.to_owned(), b[k].to_string()))
        .collect();
    let statuses = d["plan"]["measures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["code"].as_str().unwrap().to_owned(),
                m["result"]["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (counts, statuses)
}

/// Waits (within about 30 s) until the page shows what its address asks
/// for, at an address other than `previous`, then reads the hooks tests
/// rely on.
fn rendered_after(previous: &str) -> String {
    r#"new Promise((resolve, reject) => {
  let tries = 0;
  const check = () => {
    const main = document.getElementById('dashboard');
    const period = main.dataset.period;
    const asked = new URLSearchParams(location.search).get('period');
    if (period && period === asked && location.search !== PREVIOUS && main.getAttribute('aria-busy') === 'false') {
      resolve({
        period,
        picker: document.getElementById('period').value,
        plan: document.getElementById('plan').value,
        authorities: [...document.querySelectorAll('#authority option')].map((o) => o.value),
        heading: document.getElementById('heading').textContent,
        search: location.search,
        report: document.getElementById('report-xlsx').getAttribute('href'),
        breakdown: Object.fromEntries(
          [...document.querySelectorAll('[data-breakdown]')].map((e) => [e.dataset.breakdown, e.textContent])),
        rows: [...document.querySelectorAll('[data-measure]')].map((e) => [e.dataset.measure, e.dataset.status]),
        words: Object.fromEntries(
          [...document.querySelectorAll('[data-measure]')].map((e) => [e.dataset.status, e.querySelector('.status').textContent])),
        blueShown: !document.querySelector('[data-breakdown="blue"]').parentElement.hidden,
        forecasts: Object.fromEntries(
          [...document.querySelectorAll('[data-forecast]')].map((e) => [e.closest('[data-measure]').dataset.measure, e.textContent])),
        qualities: Object.fromEntries(
          [...document.querySelectorAll('[data-quality]')].map((e) => [e.closest('[data-measure]').dataset.measure, e.textContent])),
        commentary: [...document.querySelectorAll('#exception-list blockquote p')].map((e) => e.textContent),
        markup: document.querySelectorAll('#exception-list b').length,
        benchmark: document.getElementById('benchmark').hidden ? null : {
          title: document.getElementById('benchmark-title').textContent,
          values: document.querySelectorAll('#benchmark-values tr').length,
          ours: document.querySelector('#benchmark-values tr.ours td:nth-child(2)')?.textContent,
        },
      });
    } else if (++tries > 600) {
      reject(new Error('the page did not render: ' + document.getElementById('problem').textContent));
    } else {
      setTimeout(check, 50);
    }
  };
  check();
})"#
    .replace("PREVIOUS", &json!(previous).to_string())
}

fn strings(v: &Value) -> BTreeMap<String, String> {
    v.as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
        .collect()
}

/// The page's measure rows, checked to be one per measure.
fn rows(page: &Value) -> BTreeMap<String, String> {
    let list = page["rows"].as_array().unwrap();
    let map: BTreeMap<String, String> = list
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_owned(),
                r[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(map.len(), list.len(), "a measure has two rows: {list:?}");
    map
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"),
        PathBuf::from,
    )
}

/// The page shows `slug`'s report as the API rates it, at its latest
/// quarter; a screenshot of it goes to `target/dashboard-SLUG.png`.
async fn shows_report(app: &tests::TestApp, chromium: &mut Browser, page: &Value, slug: &str, name: &str) {
    let search = page["search"].as_str().unwrap();
    assert!(search.starts_with(&format!("?authority={slug}&")), "{search}");
    assert!(page["heading"].as_str().unwrap().starts_with(name), "{page}");
    let (plan, period) = (page["plan"].as_str().unwrap(), page["period"].as_str().unwrap());
    assert!(
        period.contains(" Q"),
        "{slug} opens at its latest quarter, not {period}"
    );
    let (counts, statuses) = expected(app, plan, period).await;
    assert_eq!(strings(&page["breakdown"]), counts, "{slug} {period}");
    assert_eq!(rows(page), statuses, "{slug} {period}");
    chromium
        .screenshot(&target_dir().join(format!("dashboard-{slug}.png")))
        .await
        .unwrap();
}

#[tokio::test]
async fn kents_report_renders_in_chromium_and_another_period_rerenders() {
    let Some(exe) = browser::chromium() else {
        assert!(!browser::required(), "CI is set but chromium is not installed");
        eprintln!("skipped: chromium not installed");
        return;
    };
    // One engine is enough: the page reads the API, whose figures the other
    // tests check on both.
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let plan = app.data(KENT_PLAN, Value::Null).await.unwrap()["authority"]["plans"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let exceptions = app.data(FIRST_EXCEPTION, json!({ "plan": plan })).await.unwrap();
    let officer = tests::token("officer", &["kent:OFFICER"]);
    app.data_as(
        &officer,
        COMMENT,
        json!({ "measure": exceptions["plan"]["exceptions"][0]["measure"]["id"], "body": BODY }),
    )
    .await
    .unwrap();
    let mut chromium = Browser::launch(&exe).await.unwrap();
    let url = format!("{}/?authority=kent&plan={plan}&period=2023-24%20Q1", app.address);
    chromium.navigate(&url).await.unwrap();

    let page = chromium.evaluate(&rendered_after("")).await.unwrap();
    assert_eq!(page["period"], "2023-24 Q1");
    let shown = strings(&page["breakdown"]);
    assert_eq!(
        (&shown["green"][..], &shown["amber"][..], &shown["red"][..]),
        ("16", "11", "11"),
        "Kent's published 2023-24 Q1 counts"
    );
    let (counts, statuses) = expected(&app, &plan, "2023-24 Q1").await;
    assert_eq!(shown, counts);
    let shown_rows = rows(&page);
    assert_eq!(shown_rows.len(), 38);
    assert_eq!(shown_rows, statuses);
    assert_eq!(page["commentary"], json!([BODY]));
    assert_eq!(page["benchmark"], Value::Null, "Kent's CS04 follows no metric");
    assert_eq!(page["markup"], 0);
    assert_eq!(
        page["report"],
        format!("/plans/{plan}/report.xlsx?period=2023-24%20Q1")
    );
    let screenshot = target_dir().join("dashboard.png");
    chromium.screenshot(&screenshot).await.unwrap();
    assert!(std::fs::metadata(&screenshot).unwrap().len() > 10_000);

    // Live: a result submitted through the API redraws the open page. An
    // event raised before the page's subscription reached the server is
    // not heard, so the submission is repeated until one is.
    chromium.evaluate(GONE_LIVE).await.unwrap();
    let cs04 = app.data(CS04, json!({ "plan": plan })).await.unwrap()["plan"]["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "CS04")
        .unwrap()["id"]
        .clone();
    let mut heard = false;
    for _ in 0..10 {
        app.data_as(&officer, SUBMIT, json!({ "measure": cs04 }))
            .await
            .unwrap();
        if chromium.evaluate(CS04_GREEN).await.unwrap() == true {
            heard = true;
            break;
        }
    }
    assert!(heard, "the page never redrew CS04 after its result changed");
    let page = chromium.evaluate(&rendered_after("")).await.unwrap();
    let (counts, statuses) = expected(&app, &plan, "2023-24 Q1").await;
    assert_eq!(counts["green"], "17");
    assert_eq!(strings(&page["breakdown"]), counts);
    assert_eq!(rows(&page), statuses);

    // A user picks an earlier period with the keyboard (newest is listed first).
    chromium
        .evaluate("document.getElementById('period').focus()")
        .await
        .unwrap();
    chromium.press("ArrowDown", 40).await.unwrap();
    let deep_link = page["search"].as_str().unwrap().to_owned();
    let page = chromium.evaluate(&rendered_after(&deep_link)).await.unwrap();
    let period = page["period"].as_str().unwrap().to_owned();
    assert_eq!(page["picker"], period);
    let (counts, statuses) = expected(&app, &plan, &period).await;
    assert_ne!(
        counts["green"], "16",
        "{period} must differ from 2023-24 Q1 for the test to show a re-render"
    );
    assert_eq!(strings(&page["breakdown"]), counts, "{period}");
    assert_eq!(rows(&page), statuses, "{period}");
    assert_eq!(
        page["search"],
        format!(
            "?authority=kent&plan={plan}&period={}",
            period.replace(' ', "%20")
        ),
        "the address is a deep link to what is shown"
    );

    assert_eq!(page["blueShown"], false, "no rule of Kent's rates blue");

    // Kent's rule with a blue margin: the page counts BLUE apart, and a
    // blue row says so in words, not colour alone.
    app.data_as(
        &tests::token("admin", &["kent:ADMIN"]),
        r#"mutation($p: ID!) { updatePlan(input: { id: $p, ragRule: { method: FLOOR, blueMarginPercent: 2 } }) { id } }"#,
        json!({ "p": plan }),
    )
    .await
    .unwrap();
    // And a provisional figure says so beside the value, and the officer's
    // year-end forecast under it.
    app.data_as(
        &tests::token("admin", &["kent:ADMIN"]),
        r#"mutation($m: ID!) { updateMeasure(input: { id: $m, forecastMethod: ENTERED }) { id } }"#,
        json!({ "m": cs04 }),
    )
    .await
    .unwrap();
    app.data_as(
        &officer,
        r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2023-24 Q1", value: 99, quality: PROVISIONAL, asAt: "2023-06-30", forecast: 96 }) { status } }"#,
        json!({ "m": cs04 }),
    )
    .await
    .unwrap();
    chromium.navigate(&url).await.unwrap();
    let page = chromium.evaluate(&rendered_after("")).await.unwrap();
    assert_eq!(
        page["qualities"],
        json!({ "CS04": " (provisional, as at 2023-06-30)" })
    );
    let forecast = page["forecasts"]["CS04"].as_str().unwrap_or_default();
    assert!(
        forecast.starts_with("Forecast for 2023-24 Q4: 96") && forecast.ends_with("(Green)"),
        "{forecast}"
    );
    let (counts, statuses) = expected(&app, &plan, "2023-24 Q1").await;
    assert_ne!(
        counts["blue"], "0",
        "Kent's 2023-24 Q1 has results 2% beyond target"
    );
    assert_eq!(strings(&page["breakdown"]), counts);
    assert_eq!(rows(&page), statuses);
    assert_eq!(page["blueShown"], true);
    assert_eq!(page["words"]["BLUE"], "Blue (exceeded)");

    // A definition change is marked on the trend chart, where the line breaks.
    app.data_as(
        &tests::token("admin", &["kent:ADMIN"]),
        r#"mutation($m: ID!) { changeMeasureDefinition(input: { measureId: $m, effectiveFrom: "2023-24 Q1", description: "Calls answered within 20 seconds" }) { id } }"#,
        json!({ "m": cs04 }),
    )
    .await
    .unwrap();
    chromium.navigate(&format!("{url}&measure=CS04")).await.unwrap();
    chromium.evaluate(&rendered_after("")).await.unwrap();
    let mark = chromium.evaluate(DEFINITION_BREAK).await.unwrap();
    assert_eq!(
        mark,
        "Definition changedDefinition changed from 2023-24 Q1: Calls answered within 20 seconds"
    );

    // A measure that follows a national metric shows its benchmark: Croydon's
    // recycling rate among the demo's 69 councils in 2022-23.
    let croydon = app
        .data(r#"{ authority(slug: "croydon") { plans { id } } }"#, Value::Null)
        .await
        .unwrap()["authority"]["plans"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let url = format!(
        "{}/?authority=croydon&plan={croydon}&period=2022-23%20Q4&measure=O4.2",
        app.address
    );
    chromium.navigate(&url).await.unwrap();
    let page = chromium.evaluate(&rendered_after("")).await.unwrap();
    let benchmark = &page["benchmark"];
    assert!(
        benchmark["title"].as_str().unwrap().starts_with("NI192 "),
        "{benchmark}"
    );
    assert_eq!(benchmark["values"], 69, "{benchmark}");
    assert_eq!(benchmark["ours"], "London Borough of Croydon", "{benchmark}");

    // Each demo council's report, picked in turn (councils known only for
    // benchmarking have no plan and are not offered).
    assert_eq!(
        page["authorities"],
        json!(["croydon", "havering", "kent", "rotherham", "windsor-maidenhead"])
    );
    let mut page = page;
    for (slug, name) in [
        ("havering", "London Borough of Havering"),
        ("kent", "Kent County Council"),
        ("rotherham", "Rotherham Metropolitan Borough Council"),
        ("windsor-maidenhead", "Royal Borough of Windsor and Maidenhead"),
    ] {
        chromium
            .evaluate("document.getElementById('authority').focus()")
            .await
            .unwrap();
        chromium.press("ArrowDown", 40).await.unwrap();
        let previous = page["search"].as_str().unwrap().to_owned();
        page = chromium.evaluate(&rendered_after(&previous)).await.unwrap();
        shows_report(&app, &mut chromium, &page, slug, name).await;
    }
    // With no parameters: the first council's plan at its latest quarter.
    chromium.navigate(&format!("{}/", app.address)).await.unwrap();
    let page = chromium.evaluate(&rendered_after("")).await.unwrap();
    shows_report(&app, &mut chromium, &page, "croydon", "London Borough of Croydon").await;

    // Nothing left the machine: every request went to this server.
    let local = app.address.replace("http://", "ws://");
    let requests = &chromium.requests;
    assert!(requests.iter().any(|u| u.ends_with("/graphql")), "{requests:?}");
    for u in requests {
        assert!(
            u.starts_with(&app.address) || u.starts_with(&local),
            "the page requested {u}: {requests:?}"
        );
    }
}

#[tokio::test]
async fn the_dashboard_and_its_assets_allow_only_this_server() {
    let app = spawn(Engine::Sqlite, false).await.unwrap();
    let get = |path: &str| app.client.get(format!("{}{path}", app.address)).send();
    let page = get("/").await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-security-policy"], DASHBOARD_POLICY);
    assert!(DASHBOARD_POLICY.starts_with("default-src 'self';"));
    assert!(!DASHBOARD_POLICY.contains("http"), "no other origin is allowed");
    let html = page.text().await.unwrap();
    for (asset, kind) in [
        ("/dashboard/dashboard.js", "text/javascript"),
        ("/dashboard/dashboard.css", "text/css"),
    ] {
        assert!(html.contains(&format!("\"{asset}\"")), "{asset}");
        let r = get(asset).await.unwrap();
        assert_eq!(r.status(), 200, "{asset}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(kind));
        assert_eq!(r.headers()["content-security-policy"], DASHBOARD_POLICY);
    }
    assert!(!html.contains("://"), "the page names no other origin");
}
