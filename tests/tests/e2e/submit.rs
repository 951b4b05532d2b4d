//! The submission page at `GET /submit` (issue 24): the demo's sign-in
//! exists only under `--demo`; `Viewer.submissions` lists what a template
//! lists; and in headless Chromium the police analyst signs in through a
//! real OpenID issuer (`tests::oidc`), uploads a sheet with two bad rows,
//! fixes it, applies it, enters a value, writes commentary and meets a
//! second tab's edit as a conflict. axe-core checks every step; every
//! request goes to this server or the issuer.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tests::browser::{self, Browser};
use tests::oidc::{AUDIENCE, CLIENT_ID, Issuers};
use tests::{Engine, TestApp, engines, spawn, token};

const PERIOD: &str = "2023-24 Q4";

const SUBMISSIONS: &str = r#"query($p: Period!) { me { submissions(period: $p) {
  measure { code frequency } plan { id } period outstanding late dueOn
  result { value version submittedAt submittedBy } } } }"#;

#[tokio::test]
async fn the_demo_sign_in_exists_only_under_demo() {
    for engine in engines() {
        for demo in [false, true] {
            let app = spawn(engine, demo).await.unwrap();
            let listed = app
                .client
                .get(format!("{}/auth/demo", app.address))
                .send()
                .await
                .unwrap();
            let minted = app
                .client
                .post(format!("{}/auth/demo", app.address))
                .json(&json!({ "person": "croydon-police-analyst" }))
                .send()
                .await
                .unwrap();
            if !demo {
                assert_eq!(listed.status(), 404, "{engine:?}");
                assert_eq!(minted.status(), 404, "{engine:?}");
                continue;
            }
            let people: Value = listed.json().await.unwrap();
            let ids: Vec<&str> = people
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap())
                .collect();
            assert_eq!(ids, ["croydon-police-analyst", "kent-officer", "croydon-admin"]);
            let t: Value = minted.json().await.unwrap();
            let me = app
                .data_as(
                    t["accessToken"].as_str().unwrap(),
                    "{ me { roles { role authority { slug } partner { slug } } } }",
                    Value::Null,
                )
                .await
                .unwrap();
            assert_eq!(
                me["me"]["roles"],
                json!([{ "role": "PARTNER", "authority": { "slug": "croydon" },
                         "partner": { "slug": "metropolitan-police" } }])
            );
            let nobody = app
                .client
                .post(format!("{}/auth/demo", app.address))
                .json(&json!({ "person": "root" }))
                .send()
                .await
                .unwrap();
            assert_eq!(nobody.status(), 404);
        }
    }
}

#[tokio::test]
async fn an_officer_sees_the_whole_plan_due_monthly_measures_included() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let officer = token("officer", &["croydon:OFFICER"]);
        let d = app
            .data_as(&officer, SUBMISSIONS, json!({ "p": PERIOD }))
            .await
            .unwrap();
        let rows = d["me"]["submissions"].as_array().unwrap().clone();
        let listed: BTreeSet<(String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r["measure"]["code"].as_str().unwrap().to_owned(),
                    r["period"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        // Exactly the rows of the plan's template for the period.
        let plan = rows[0]["plan"]["id"].as_str().unwrap().to_owned();
        let csv = app
            .client
            .get(format!("{}/plans/{plan}/template.csv", app.address))
            .query(&[("period", PERIOD)])
            .bearer_auth(&officer)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let template: BTreeSet<(String, String)> = csv
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut cells = l.trim_start_matches('\u{feff}').split(',');
                Some((cells.next()?.to_owned(), cells.next()?.to_owned()))
            })
            .collect();
        assert_eq!(listed, template, "{engine:?}");
        let months: Vec<&str> = rows
            .iter()
            .filter(|r| r["measure"]["code"] == "O1.4")
            .map(|r| r["period"].as_str().unwrap())
            .collect();
        assert_eq!(months, ["2024-01", "2024-02", "2024-03"], "{engine:?}");
        // What was submitted is there with its version and submitter.
        let submitted = rows.iter().find(|r| !r["outstanding"].as_bool().unwrap());
        if let Some(s) = submitted {
            assert!(s["result"]["version"].as_i64().unwrap() >= 1);
            assert!(s["result"]["submittedAt"].is_string());
        }
        let outstanding = rows.iter().filter(|r| r["outstanding"] == true).count();
        assert!(outstanding > 0);
        // A partner's list is its partner's measures alone.
        let analyst = token("analyst", &["croydon:PARTNER:metropolitan-police"]);
        let d = app
            .data_as(&analyst, SUBMISSIONS, json!({ "p": PERIOD }))
            .await
            .unwrap();
        let codes: Vec<&str> = d["me"]["submissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["measure"]["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["O4.3", "O4.4", "O4.5"], "{engine:?}");
    }
}

// ------------------------------------------------------------ the browser

fn screenshots() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target");
    // Chromium reads an upload only by a path without `..`.
    target.canonicalize().unwrap_or(target)
}

fn axe_source() -> Option<String> {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("audit/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(file).ok()
}

/// Runs axe-core in the page (injected as text, never loaded from a URL)
/// and fails on any violation of serious or critical impact.
async fn accessible(b: &mut Browser, axe: &str, step: &str) {
    if b.evaluate("typeof axe").await.unwrap() != "object" {
        b.evaluate(&format!("{axe}\n;0")).await.unwrap();
    }
    let found = b
        .evaluate(
            "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations
               .filter((v) => v.impact === 'serious' || v.impact === 'critical')
               .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) })))",
        )
        .await
        .unwrap();
    assert_eq!(found, json!([]), "axe-core at {step}");
}

async fn shot(b: &mut Browser, name: &str) {
    b.screenshot(&screenshots().join(format!("submit-{name}.png")))
        .await
        .unwrap();
}

/// Focuses what `selector` picks and presses Enter, as a keyboard user.
async fn activate(b: &mut Browser, selector: &str) {
    b.wait_for(&format!("document.querySelector({})", json!(selector)))
        .await
        .unwrap();
    b.evaluate(&format!("document.querySelector({}).focus()", json!(selector)))
        .await
        .unwrap();
    b.enter().await.unwrap();
}

/// Focuses a field and types into it.
async fn fill(b: &mut Browser, selector: &str, text: &str) {
    b.evaluate(&format!(
        "(() => {{ const e = document.querySelector({}); e.focus(); e.value = ''; }})()",
        json!(selector)
    ))
    .await
    .unwrap();
    b.type_text(text).await.unwrap();
}

/// Signs in at the issuer's own pages (its login form, its consent),
/// whichever of them it shows, until the page is back and signed in.
async fn sign_in_at_issuer(b: &mut Browser, app: &TestApp, login: &str) {
    activate(b, "[data-action=\"sign-in\"]").await;
    for _ in 0..20 {
        let at = b
            .wait_for("document.readyState === 'complete' && location.href")
            .await
            .unwrap();
        let at = at.as_str().unwrap_or_default().to_owned();
        if at.starts_with(&app.address) {
            if b.evaluate("document.getElementById('main')?.dataset.ready === 'signed-in'")
                .await
                .unwrap()
                == true
            {
                return;
            }
        } else if at.contains("/interaction/") {
            b.evaluate(&format!(
                "(() => {{ const i = document.querySelector('input[name=login]'); if (i) i.value = {};
                   document.querySelector('form').submit(); return true; }})()",
                json!(login)
            ))
            .await
            .unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    panic!("the sign-in never came back signed in");
}

/// Every request went to this server or the issuer (a `data:` URL goes
/// nowhere).
fn only_ours(b: &Browser, allowed: &[&str]) {
    let origins: Vec<String> = allowed
        .iter()
        .map(|a| a.trim_start_matches("http://").to_owned())
        .collect();
    for url in &b.requests {
        let rest = url
            .strip_prefix("http://")
            .or_else(|| url.strip_prefix("ws://"))
            .or_else(|| url.strip_prefix("blob:http://"));
        let ok = rest.is_some_and(|r| {
            origins
                .iter()
                .any(|o| r.starts_with(&format!("{o}/")) || r == o)
        }) || url == "about:blank"
            // Chromium's own pictures (a date field's calendar): no request leaves.
            || url.starts_with("data:");
        assert!(ok, "the page requested {url}");
    }
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A CSV line's cells as written (quotes kept), split at the commas
/// outside quotes.
fn cells_of(line: &str) -> Vec<String> {
    let mut cells = vec![String::new()];
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                cells.push(String::new());
                continue;
            }
            _ => {}
        }
        cells.last_mut().unwrap().push(c);
    }
    cells
}

/// The template's CSV with `values` (by code) in `value`, and `period`
/// replaced per code where given.
fn filled(template: &str, values: &[(&str, &str, Option<&str>)]) -> String {
    let mut out = Vec::new();
    let mut lines = template.lines();
    let header = lines.next().unwrap().trim_start_matches('\u{feff}');
    let columns: Vec<&str> = header.split(',').collect();
    let value = columns.iter().position(|c| *c == "value").unwrap();
    let period = columns.iter().position(|c| *c == "period").unwrap();
    out.push(header.to_owned());
    for line in lines {
        let mut cells = cells_of(line);
        if let Some((_, v, p)) = values.iter().find(|(c, ..)| cells[0] == *c) {
            cells[value] = (*v).to_owned();
            if let Some(p) = p {
                cells[period] = (*p).to_owned();
            }
        }
        out.push(cells.join(","));
    }
    out.join("\n") + "\n"
}

#[tokio::test]
async fn the_police_analyst_submits_in_the_browser() {
    let Some(exe) = browser::chromium() else {
        assert!(!browser::required(), "CI is set but chromium is not installed");
        eprintln!("skipped: chromium not installed");
        return;
    };
    let Some(axe) = axe_source() else {
        assert!(
            !browser::required(),
            "CI must run `npm install` in tests/audit (axe-core)"
        );
        eprintln!("skipped: axe-core needs `npm install` in tests/audit");
        return;
    };
    let Some(mut idp) = Issuers::start().await else {
        return;
    };
    let app = spawn(Engine::Sqlite, true).await.unwrap();
    let plain = spawn(Engine::Sqlite, false).await.unwrap();
    // Croydon's tenant stands for the Metropolitan Police's: it vouches
    // for the police's PARTNER role at Croydon.
    let register =
        "mutation($v: RegisterIdentityProviderInput!) { registerIdentityProvider(input: $v) { id } }";
    app.data_as(
        &token("root", &["PLATFORM_ADMIN"]),
        register,
        json!({ "v": { "issuer": idp.croydon, "audience": AUDIENCE, "clientId": CLIENT_ID,
                "scopes": ["openid", "email", "profile", "api"], "authorities": ["croydon"],
                "partner": "metropolitan-police", "roleClaim": "roles",
                "roleMap": [{ "claimValue": "Analyst", "role": "PARTNER", "partner": "metropolitan-police" }] } }),
    )
    .await
    .unwrap();
    // The page may call this server and the issuer (its token endpoint),
    // and load nothing from anywhere else.
    for path in ["/submit", "/submit?authority=croydon"] {
        let r = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        let policy = r.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(policy.starts_with("default-src 'self';"), "{policy}");
        assert!(
            policy.contains(&format!("connect-src 'self' {};", idp.croydon)),
            "{policy}"
        );
        assert!(!policy.contains("unsafe"), "{policy}");
    }
    let r = app
        .client
        .get(format!("{}/submit?authority=kent", app.address))
        .send()
        .await
        .unwrap();
    let policy = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.contains("connect-src 'self';"),
        "Kent's page names no provider: {policy}"
    );
    // The analyst's account at the issuer (signed in once, as node does).
    let analyst = idp
        .token("croydon", "analyst", Some("analyst@met.police.uk"), &["Analyst"])
        .await;

    let mut b = Browser::launch(&exe).await.unwrap();

    // A server without --demo offers no demo sign-in.
    b.navigate(&format!("{}/submit", plain.address)).await.unwrap();
    b.wait_for("document.getElementById('main').dataset.ready")
        .await
        .unwrap();
    assert_eq!(
        b.evaluate("document.getElementById('demo').hidden")
            .await
            .unwrap(),
        true
    );

    // 1. Signed out, at Croydon.
    let page = format!("{}/submit?authority=croydon&period=2023-24%20Q4", app.address);
    b.navigate(&page).await.unwrap();
    b.wait_for("document.getElementById('main').dataset.ready === 'signed-out'")
        .await
        .unwrap();
    assert_eq!(
        b.evaluate("document.getElementById('demo').hidden")
            .await
            .unwrap(),
        false
    );
    accessible(&mut b, &axe, "signed out").await;
    shot(&mut b, "1-signed-out").await;

    // 2. Through the issuer's own pages, by authorization code with PKCE.
    sign_in_at_issuer(&mut b, &app, "analyst").await;
    b.wait_for("document.querySelectorAll('#plans tr[data-measure]').length === 3")
        .await
        .unwrap();
    let rows = b
        .evaluate("[...document.querySelectorAll('#plans tr[data-measure]')].map((r) => [r.dataset.measure, r.dataset.outstanding])")
        .await
        .unwrap();
    assert_eq!(
        rows,
        json!([["O4.3", "true"], ["O4.4", "true"], ["O4.5", "true"]])
    );
    accessible(&mut b, &axe, "what is due").await;
    shot(&mut b, "2-due").await;

    // 3. The template, fetched with the token and handed to a download
    // link as a Blob (kept here as the page makes it: headless Chromium's
    // downloads of object URLs never finish writing).
    b.evaluate(
        "(() => { const make = URL.createObjectURL; URL.createObjectURL = (blob) => {
            blob.text().then((t) => { window.savedTemplate = t; }); return make(blob); }; return true; })()",
    )
    .await
    .unwrap();
    activate(&mut b, "[data-action=\"template-csv\"]").await;
    let template = b.wait_for("window.savedTemplate").await.unwrap();
    let template = template.as_str().unwrap().to_owned();
    b.wait_for("document.getElementById('notice').textContent.includes('template')")
        .await
        .unwrap();
    assert!(template.contains("O4.3,2023-24 Q4"), "{template}");

    // 4. Two bad rows, each named by row and column; nothing written.
    let bad = screenshots().join("submit-downloads/bad.csv");
    write(
        &bad,
        &filled(
            &template,
            &[("O4.3", "lots", None), ("O4.4", "25", Some("2023-24 Q9"))],
        ),
    );
    b.set_file("#sheet-file", &bad).await.unwrap();
    activate(&mut b, "[data-action=\"check\"]").await;
    let errors = b
        .wait_for("document.querySelectorAll('[data-sheet=errors] tbody tr').length && [...document.querySelectorAll('[data-sheet=errors] tbody tr')].map((r) => [Number(r.dataset.row), r.dataset.column])")
        .await
        .unwrap();
    assert_eq!(errors, json!([[2, "value"], [3, "period"]]));
    assert_eq!(
        b.evaluate("document.querySelector('[data-action=apply]').disabled")
            .await
            .unwrap(),
        true
    );
    accessible(&mut b, &axe, "bad rows").await;
    shot(&mut b, "3-bad-rows").await;

    // 5. Fixed, checked, applied (O4.5 left for the form).
    let good = screenshots().join("submit-downloads/good.csv");
    write(
        &good,
        &filled(&template, &[("O4.3", "21000", None), ("O4.4", "25", None)]),
    );
    b.set_file("#sheet-file", &good).await.unwrap();
    activate(&mut b, "[data-action=\"check\"]").await;
    b.wait_for("document.getElementById('sheet-summary')?.textContent.includes('would be written')")
        .await
        .unwrap();
    activate(&mut b, "[data-action=\"apply\"]").await;
    b.wait_for("document.getElementById('sheet-summary')?.textContent.startsWith('Applied: 2 results')")
        .await
        .unwrap();
    b.wait_for("document.querySelector('#plans tr[data-measure=\"O4.3\"]').dataset.outstanding === 'false'")
        .await
        .unwrap();
    accessible(&mut b, &axe, "applied").await;
    shot(&mut b, "4-applied").await;
    let me = app
        .data_as(&analyst, SUBMISSIONS, json!({ "p": PERIOD }))
        .await
        .unwrap();
    let o43 = &me["me"]["submissions"][0];
    assert_eq!(
        (o43["result"]["value"].as_f64(), o43["result"]["version"].as_i64()),
        (Some(21000.0), Some(1))
    );
    assert_eq!(o43["result"]["submittedBy"], "analyst");

    // 6. Published, the public dashboard shows the new figures.
    let admin = token("croydon-admin", &["croydon:ADMIN"]);
    let plan = o43["plan"]["id"].as_str().unwrap().to_owned();
    app.data_as(
        &admin,
        "mutation($p: ID!) { publishPeriod(planId: $p, period: \"2023-24 Q4\") { id } }",
        json!({ "p": plan }),
    )
    .await
    .unwrap();
    b.navigate(&format!(
        "{}/?authority=croydon&plan={plan}&period=2023-24%20Q4",
        app.address
    ))
    .await
    .unwrap();
    let shown = b
        .wait_for("document.getElementById('dashboard').dataset.period && document.querySelector('[data-measure=\"O4.3\"] td.number')?.textContent")
        .await
        .unwrap();
    assert_eq!(shown, "21,000");
    shot(&mut b, "5-dashboard").await;

    // 7. One value by the form, with the keyboard.
    b.navigate(&page).await.unwrap();
    b.wait_for("document.querySelectorAll('#plans tr[data-measure]').length === 3")
        .await
        .unwrap();
    fill(&mut b, "#plans tr[data-measure=\"O4.5\"] input", "1250").await;
    b.enter().await.unwrap();
    b.wait_for("document.querySelector('#plans tr[data-measure=\"O4.5\"]').dataset.outstanding === 'false'")
        .await
        .unwrap();
    // A bad value gets the API's own message beside its field.
    fill(&mut b, "#plans tr[data-measure=\"O4.4\"] input", "1e30").await;
    b.enter().await.unwrap();
    let said = b
        .wait_for("document.querySelector('#plans tr[data-measure=\"O4.4\"] .error').textContent")
        .await
        .unwrap();
    assert!(
        said.as_str().unwrap().contains("out of range"),
        "the API's own words: {said}"
    );
    shot(&mut b, "6-form").await;

    // 8. Commentary, then an edit another tab beats.
    activate(
        &mut b,
        "#plans tr[data-measure=\"O4.5\"] [data-action=commentary]",
    )
    .await;
    b.wait_for("!document.getElementById('commentary-section').hidden && document.activeElement.id === 'commentary-heading'").await.unwrap();
    fill(
        &mut b,
        "#commentary-body",
        "Recorded offences fell after the summer operation.",
    )
    .await;
    activate(&mut b, "#commentary-form button[type=submit]").await;
    b.wait_for("document.querySelector('#commentary-list article[data-version=\"1\"]')")
        .await
        .unwrap();
    accessible(&mut b, &axe, "commentary").await;
    activate(&mut b, "#commentary-list [data-action=edit-commentary]").await;
    b.wait_for("document.querySelector('#commentary-list textarea')")
        .await
        .unwrap();

    let mut tab = b.new_tab().await.unwrap();
    tab.navigate(&page).await.unwrap();
    tab.wait_for("document.getElementById('main').dataset.ready")
        .await
        .unwrap();
    sign_in_at_issuer(&mut tab, &app, "analyst").await;
    activate(
        &mut tab,
        "#plans tr[data-measure=\"O4.5\"] [data-action=commentary]",
    )
    .await;
    activate(&mut tab, "#commentary-list [data-action=edit-commentary]").await;
    fill(&mut tab, "#commentary-list textarea", "Edited in the second tab.").await;
    activate(&mut tab, "#commentary-list form.edit button[type=submit]").await;
    tab.wait_for(
        "document.querySelector('#commentary-list article[data-version=\"2\"]:not([data-editing])')",
    )
    .await
    .unwrap();
    shot(&mut tab, "7-second-tab").await;

    fill(&mut b, "#commentary-list textarea", "Edited in the first tab.").await;
    activate(&mut b, "#commentary-list form.edit button[type=submit]").await;
    let conflict = b
        .wait_for("document.querySelector('#commentary-list .error')?.textContent")
        .await
        .unwrap();
    assert!(conflict.as_str().unwrap().starts_with("Conflict"), "{conflict}");
    assert_eq!(
        b.evaluate("document.querySelector('#commentary-list article .body').textContent")
            .await
            .unwrap(),
        "Edited in the second tab."
    );
    accessible(&mut b, &axe, "conflict").await;
    shot(&mut b, "8-conflict").await;

    // Live: what someone else submits meanwhile appears without a reload.
    let o43_id = app.measure("croydon", "O4.3").await.unwrap().1;
    app.data_as(
        &admin,
        "mutation($m: ID!) { submitResult(input: { measureId: $m, period: \"2023-24 Q4\", value: 22000 }) { version } }",
        json!({ "m": o43_id }),
    )
    .await
    .unwrap();
    b.wait_for("document.querySelector('#plans tr[data-measure=\"O4.3\"] .submitted').textContent.includes('22,000')")
        .await
        .unwrap();

    // 9. Signed out; the demo's Kent officer, signed in by the demo's own
    // sign-in, sees Kent's plan.
    activate(&mut b, "[data-action=\"sign-out\"]").await;
    b.wait_for("!document.getElementById('demo').hidden && document.getElementById('signed-in').hidden")
        .await
        .unwrap();
    b.evaluate("document.getElementById('demo-person').value = 'kent-officer'")
        .await
        .unwrap();
    activate(&mut b, "[data-action=\"demo-sign-in\"]").await;
    b.wait_for("document.getElementById('who').textContent.includes('Kent') && document.querySelectorAll('#plans tr[data-measure]').length > 0")
        .await
        .unwrap();
    accessible(&mut b, &axe, "the demo's Kent officer").await;
    shot(&mut b, "9-demo-officer").await;

    let allowed = [app.address.as_str(), plain.address.as_str(), idp.croydon.as_str()];
    only_ours(&tab, &allowed);
    only_ours(&b, &allowed);
    drop(tab);
}
