//! Spreadsheets in and out: results sheets uploaded over the GraphQL
//! multipart request spec, all or nothing, every bad row named.

use serde_json::{Value, json};
use tests::{TestApp, engines, multipart_body, spawn, token};

const POLICE: &str = "croydon:PARTNER:metropolitan-police";
const PERIOD: &str = "2024-25 Q1";

const IMPORT: &str = r#"mutation($plan: ID!, $period: Period, $file: Upload!, $dry: Boolean = false) {
  importResults(planId: $plan, period: $period, file: $file, dryRun: $dry) {
    applied rows results targets errors { row column code message } preview { value status } } }"#;

async fn upload(app: &TestApp, token: &str, variables: Value, name: &str, file: &[u8]) -> Value {
    multipart(app, Some(token), IMPORT, variables, name, file).await
}

/// A multipart request as `curl -F` sends it: operations, map, one file
/// (the variable `file`).
pub async fn multipart(
    app: &TestApp,
    token: Option<&str>,
    query: &str,
    variables: Value,
    name: &str,
    file: &[u8],
) -> Value {
    multipart_to(&app.client, &app.address, token, query, variables, name, file).await
}

/// [`multipart`] to the server at `address`.
pub async fn multipart_to(
    client: &reqwest::Client,
    address: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
    name: &str,
    file: &[u8],
) -> Value {
    let boundary = "councilperf-test-boundary";
    let body = multipart_body(boundary, query, variables, name, file);
    let mut req = client
        .post(format!("{address}/graphql"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

pub async fn croydon_plan(app: &TestApp) -> Value {
    let d = app
        .data(r#"{ authority(slug: "croydon") { plans { id } } }"#, Value::Null)
        .await
        .unwrap();
    d["authority"]["plans"][0]["id"].clone()
}

#[tokio::test]
async fn a_bad_csv_is_refused_whole_naming_every_bad_row() {
    let file = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/croydon-police-refused.csv"
    ))
    .unwrap();
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = croydon_plan(&app).await;
        let before = app.row_counts().await.unwrap();
        let police = token("sergeant", &[POLICE]);
        let body = upload(
            &app,
            &police,
            json!({ "plan": plan, "period": PERIOD }),
            "results.csv",
            &file,
        )
        .await;
        assert!(body.get("errors").is_none(), "{engine:?}: {body}");
        let report = &body["data"]["importResults"];
        assert_eq!(report["applied"], false, "{engine:?}: {report}");
        assert_eq!(report["rows"], 3);
        let errors: Vec<(i64, &str)> = report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["row"].as_i64().unwrap(), e["code"].as_str().unwrap()))
            .collect();
        assert_eq!(
            errors,
            [(2, "BAD_USER_INPUT"), (4, "FORBIDDEN")],
            "{engine:?}: {report}"
        );
        assert_eq!(report["errors"][0]["column"], "value");
        assert_eq!(
            app.row_counts().await.unwrap(),
            before,
            "{engine:?}: a refused sheet writes nothing"
        );
    }
}

#[tokio::test]
async fn a_caller_who_may_submit_nothing_in_the_plan_is_refused_whole() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = croydon_plan(&app).await;
        let kent = token("kent-officer", &["kent:OFFICER"]);
        let body = upload(
            &app,
            &kent,
            json!({ "plan": plan, "period": PERIOD }),
            "r.csv",
            b"code,value\nO4.3,1\n",
        )
        .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{engine:?}: {body}"
        );
    }
}

async fn download(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// The first sheet of an XLSX file as text, header included.
fn read_xlsx(bytes: &[u8], sheet: &str) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    book.worksheet_range(sheet)
        .unwrap()
        .rows()
        .map(<[_]>::to_vec)
        .collect()
}

#[tokio::test]
async fn a_partner_fills_in_its_template_and_a_viewer_reads_the_values_back() {
    use calamine::Data;
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = croydon_plan(&app).await;
        let plan_id = plan.as_str().unwrap();
        let police = token("sergeant", &[POLICE]);
        let path = format!("/plans/{plan_id}/template.xlsx?period=2024-25%20Q1");

        assert_eq!(
            download(&app, None, &path).await.status(),
            401,
            "{engine:?}: anonymous"
        );
        let kent = token("kent-officer", &["kent:OFFICER"]);
        assert_eq!(
            download(&app, Some(&kent), &path).await.status(),
            403,
            "{engine:?}: another council"
        );

        let resp = download(&app, Some(&police), &path).await;
        assert_eq!(resp.status(), 200, "{engine:?}: {:?}", resp.text().await);
        let template = read_xlsx(&resp.bytes().await.unwrap(), "Results");
        let header: Vec<String> = template[0].iter().map(ToString::to_string).collect();
        assert_eq!(&header[..2], ["code", "period"]);
        let value_col = header.iter().position(|h| h == "value").unwrap();
        let note_col = header.iter().position(|h| h == "note").unwrap();
        let codes: Vec<String> = template[1..].iter().map(|r| r[0].to_string()).collect();
        assert_eq!(
            codes,
            ["O4.3", "O4.4", "O4.5"],
            "{engine:?}: only the partner's measures"
        );

        // The officer fills it in with a spreadsheet program: here, a writer.
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        for (r, row) in template.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                match cell {
                    Data::String(s) => ws.write_string(r, c, s).map(|_| ()).unwrap(),
                    Data::Float(f) => ws.write_number(r, c, *f).map(|_| ()).unwrap(),
                    _ => {}
                }
            }
        }
        let values = [8100.0, 31.0, 2045.0];
        for (i, v) in values.iter().enumerate() {
            ws.write_number(i as u32 + 1, value_col as u16, *v).unwrap();
        }
        ws.write_string(1, note_col as u16, "provisional").unwrap();
        let filled = book.save_to_buffer().unwrap();

        let before = app.row_counts().await.unwrap();
        let dry = upload(
            &app,
            &police,
            json!({ "plan": plan, "dry": true }),
            "filled.xlsx",
            &filled,
        )
        .await;
        let report = &dry["data"]["importResults"];
        assert_eq!(report["errors"], json!([]), "{engine:?}: {dry}");
        assert_eq!(
            (report["applied"].clone(), report["results"].clone()),
            (json!(false), json!(3))
        );
        assert_eq!(
            app.row_counts().await.unwrap(),
            before,
            "{engine:?}: a dry run writes nothing"
        );
        let previewed: Vec<f64> = report["preview"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["value"].as_f64().unwrap())
            .collect();
        assert_eq!(
            previewed, values,
            "{engine:?}: a dry run rates what it would write"
        );

        let real = upload(&app, &police, json!({ "plan": plan }), "filled.xlsx", &filled).await;
        let report = &real["data"]["importResults"];
        assert_eq!(report["applied"], true, "{engine:?}: {real}");
        assert_eq!(report["preview"].as_array().unwrap().len(), 3);

        let viewer = token("councillor", &["croydon:VIEWER"]);
        let d = app
            .data_as(
                &viewer,
                r#"query($p: ID!) { plan(id: $p) { measures { code result(period: "2024-25 Q1") { value note: valueText } } } }"#,
                json!({ "p": plan }),
            )
            .await
            .unwrap();
        let got: Vec<(String, f64)> = d["plan"]["measures"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["code"].as_str().unwrap().starts_with("O4.") && m["result"]["value"].is_number())
            .map(|m| {
                (
                    m["code"].as_str().unwrap().to_owned(),
                    m["result"]["value"].as_f64().unwrap(),
                )
            })
            .collect();
        let want: Vec<(String, f64)> = codes.iter().cloned().zip(values).collect();
        assert_eq!(got, want, "{engine:?}");
    }
}

#[tokio::test]
async fn kents_report_pack_reads_back_as_published() {
    use calamine::Data;
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let d = app
            .data(
                r#"{ authority(slug: "kent") { plans { id measures { id code } } } }"#,
                Value::Null,
            )
            .await
            .unwrap();
        let plan = d["authority"]["plans"][0]["id"].as_str().unwrap().to_owned();
        let first = d["authority"]["plans"][0]["measures"][0].clone();
        let officer = token("kent-officer", &["kent:OFFICER"]);
        app.data_as(
            &officer,
            r#"mutation($m: ID!) { addCommentary(input: { measureId: $m, period: "2023-24 Q1", body: "=HYPERLINK(\"http://x\")", kind: SERVICE }) { id } }"#,
            json!({ "m": first["id"] }),
        )
        .await
        .unwrap();

        let resp = download(
            &app,
            None,
            &format!("/plans/{plan}/report.xlsx?period=2023-24%20Q1"),
        )
        .await;
        assert_eq!(resp.status(), 200, "{engine:?}");
        let bytes = resp.bytes().await.unwrap();
        let summary = read_xlsx(&bytes, "Summary");
        let header: Vec<String> = summary[0].iter().map(ToString::to_string).collect();
        let at = |name: &str| header.iter().position(|h| h == name).unwrap();
        let counts: Vec<f64> = ["green", "amber", "red"]
            .iter()
            .map(|c| calamine::DataType::get_float(&summary[1][at(c)]).unwrap())
            .collect();
        assert_eq!(counts, [16.0, 11.0, 11.0], "{engine:?}");
        let measures = read_xlsx(&bytes, "Measures");
        assert_eq!(measures.len() - 1, 38, "{engine:?}: 38 measure rows");
        let mh: Vec<String> = measures[0].iter().map(ToString::to_string).collect();
        let commentary = mh.iter().position(|h| h == "latest commentary").unwrap();
        let status = mh.iter().position(|h| h == "status").unwrap();
        assert_eq!(
            measures[1][commentary],
            Data::String("=HYPERLINK(\"http://x\")".to_owned()),
            "{engine:?}: text, not a formula"
        );
        assert!(["GREEN", "AMBER", "RED"].contains(&measures[1][status].to_string().as_str()));

        let csv = download(
            &app,
            None,
            &format!("/plans/{plan}/report.csv?period=2023-24%20Q1"),
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(csv.contains("'=HYPERLINK"), "{engine:?}: escaped in CSV");
        assert_eq!(csv.lines().count(), 39);
    }
}

#[tokio::test]
async fn due_lists_a_partners_outstanding_measures_late_once_the_deadline_passed() {
    const DUE: &str =
        r#"{ me { due(period: "2024-25 Q1") { measure { code } plan { title } dueOn late } } }"#;
    const SET: &str = r#"mutation($p: ID!, $on: Date!) { setDeadline(planId: $p, period: "2024-25 Q1", dueOn: $on) {
      deadline(period: "2024-25 Q1") } }"#;
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = croydon_plan(&app).await;
        let police = token("sergeant", &[POLICE]);
        let admin = token("admin", &["croydon:ADMIN"]);
        let officer = token("officer", &["croydon:OFFICER"]);

        let d = app.data_as(&police, DUE, Value::Null).await.unwrap();
        let due = d["me"]["due"].as_array().unwrap();
        let codes: Vec<&str> = due
            .iter()
            .map(|m| m["measure"]["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["O4.3", "O4.4", "O4.5"], "{engine:?}");
        assert!(due.iter().all(|m| m["dueOn"].is_null() && m["late"] == false));

        let codes = {
            let body: Value = app
                .send(SET, json!({ "p": plan, "on": "2024-07-31" }), Some(&officer))
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            body["errors"][0]["extensions"]["code"].clone()
        };
        assert_eq!(codes, "FORBIDDEN", "{engine:?}: ADMIN only");

        let d = app
            .data_as(&admin, SET, json!({ "p": plan, "on": "2024-07-31" }))
            .await
            .unwrap();
        assert_eq!(d["setDeadline"]["deadline"], "2024-07-31");
        let d = app.data_as(&police, DUE, Value::Null).await.unwrap();
        assert!(
            d["me"]["due"]
                .as_array()
                .unwrap()
                .iter()
                .all(|m| m["dueOn"] == "2024-07-31" && m["late"] == true),
            "{engine:?}: {d}"
        );

        app.data_as(&admin, SET, json!({ "p": plan, "on": "2099-07-31" }))
            .await
            .unwrap();
        upload(
            &app,
            &police,
            json!({ "plan": plan, "period": PERIOD }),
            "r.csv",
            b"code,value\nO4.4,30\n",
        )
        .await;
        let d = app.data_as(&police, DUE, Value::Null).await.unwrap();
        let due = d["me"]["due"].as_array().unwrap();
        let codes: Vec<&str> = due
            .iter()
            .map(|m| m["measure"]["code"].as_str().unwrap())
            .collect();
        assert_eq!(
            codes,
            ["O4.3", "O4.5"],
            "{engine:?}: a submitted measure is no longer due"
        );
        assert!(due.iter().all(|m| m["late"] == false));
    }
}

/// `councilperf import --plan` reads the same sheets through the same path:
/// a refused sheet exits non-zero naming the row and writes nothing; a good
/// one writes results and targets.
#[tokio::test]
async fn the_import_command_reads_the_same_sheets() {
    let app = spawn(tests::Engine::Sqlite, true).await.unwrap();
    let plan = croydon_plan(&app).await;
    let cli = |file: &str| {
        let plan = plan.as_str().unwrap();
        let path = format!("{}/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
        tests::councilperf(&app.database_url, ["import", "--plan", plan, &path])
    };
    let before = app.row_counts().await.unwrap();
    let out = cli("croydon-police-refused.csv");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("row 2, column value: BAD_USER_INPUT"), "{stderr}");
    assert_eq!(app.row_counts().await.unwrap(), before);

    let out = cli("croydon-results.csv");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let d = app
        .data_as(
            &token("councillor", &["croydon:VIEWER"]),
            r#"query($p: ID!) { plan(id: $p) { measures { code result(period: "2024-25 Q1") { value target } } } }"#,
            json!({ "p": plan }),
        )
        .await
        .unwrap();
    let o11 = d["plan"]["measures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "O1.1")
        .unwrap()
        .clone();
    assert_eq!(o11["result"], json!({ "value": 27.5, "target": 28.0 }));
}

/// The pack's escalation sheet is Croydon's escalation report, in its order.
#[tokio::test]
async fn the_report_packs_escalation_sheet_is_the_escalation_report() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = croydon_plan(&app).await;
        let d = app
            .data(
                r#"query($p: ID!) { plan(id: $p) { escalationReport(period: "2023-24 Q3") { measure { code } criteriaMet } } }"#,
                json!({ "p": plan }),
            )
            .await
            .unwrap();
        let want: Vec<(String, f64)> = d["plan"]["escalationReport"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["measure"]["code"].as_str().unwrap().to_owned(),
                    e["criteriaMet"].as_f64().unwrap(),
                )
            })
            .collect();
        assert!(!want.is_empty());
        let path = format!(
            "/plans/{}/report.xlsx?period=2023-24%20Q3",
            plan.as_str().unwrap()
        );
        let bytes = download(&app, None, &path).await.bytes().await.unwrap();
        let sheet = read_xlsx(&bytes, "Escalations");
        let header: Vec<String> = sheet[0].iter().map(ToString::to_string).collect();
        let met = header.iter().position(|h| h == "criteria met").unwrap();
        let got: Vec<(String, f64)> = sheet[1..]
            .iter()
            .map(|r| (r[0].to_string(), calamine::DataType::get_float(&r[met]).unwrap()))
            .collect();
        assert_eq!(got, want, "{engine:?}");
    }
}
