//! The template is the contract of the upload (issue 22): every template a
//! caller may download, filled in by a spreadsheet program and sent back
//! otherwise unchanged, writes exactly its values and nothing else, every
//! row it lists can go back, and targets travel by a sheet of their own.

use std::collections::BTreeMap;

use calamine::{Data, Reader};
use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};

use crate::sheets::{croydon_plan, multipart};

const IMPORT: &str = r#"mutation($plan: ID!, $file: Upload!) {
  importResults(planId: $plan, file: $file) { applied results targets errors { row column code message } } }"#;

/// What the results template is headed with: its context columns are
/// never read as writes.
const TEMPLATE_HEADER: [&str; 14] = [
    "code",
    "period",
    "node",
    "title",
    "unit",
    "polarity",
    "previous value",
    "current target",
    "current floor",
    "value",
    "note",
    "quality",
    "as_at",
    "forecast",
];

// ---------------------------------------------------------------- HTTP

async fn get(app: &TestApp, token: Option<&str>, path: &str) -> reqwest::Response {
    let mut req = app.client.get(format!("{}{path}", app.address));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

fn sheet_path(plan: &Value, file: &str, period: &str) -> String {
    format!(
        "/plans/{}/{file}?period={}",
        plan.as_str().unwrap(),
        period.replace(' ', "%20")
    )
}

/// A sheet the holder of `token` may download.
async fn download(app: &TestApp, token: &str, plan: &Value, file: &str, period: &str) -> Vec<u8> {
    let resp = get(app, Some(token), &sheet_path(plan, file, period)).await;
    assert_eq!(resp.status(), 200, "{:?}: {file} {period}", app.engine);
    resp.bytes().await.unwrap().to_vec()
}

/// Uploads a sheet through `importResults`, which must apply it; answers
/// its report.
async fn upload_applies(app: &TestApp, token: &str, plan: &Value, name: &str, file: &[u8]) -> Value {
    let body = multipart(app, Some(token), IMPORT, json!({ "plan": plan }), name, file).await;
    let report = body["data"]["importResults"].clone();
    assert_eq!(report["applied"], true, "{:?}: {name}: {body}", app.engine);
    assert_eq!(report["errors"], json!([]), "{:?}: {name}", app.engine);
    report
}

// ---------------------------------------------------------------- reading back

/// Each measure's value, target and floor at every period of its
/// frequency in the year, by (code, period), as `token` reads them.
type Snapshot = BTreeMap<(String, String), [Value; 3]>;

async fn snapshot(app: &TestApp, token: &str, plan: &Value, year: &str) -> Snapshot {
    let d = app
        .data_as(
            token,
            r#"query($p: ID!, $y: Period!) { plan(id: $p) { measures { code
              results(from: $y, to: $y) { period value target floor } } } }"#,
            json!({ "p": plan, "y": year }),
        )
        .await
        .unwrap();
    let mut out = Snapshot::new();
    for m in d["plan"]["measures"].as_array().unwrap() {
        for r in m["results"].as_array().unwrap() {
            let key = (
                m["code"].as_str().unwrap().to_owned(),
                r["period"].as_str().unwrap().to_owned(),
            );
            out.insert(key, [r["value"].clone(), r["target"].clone(), r["floor"].clone()]);
        }
    }
    out
}

/// The operations of the authority's audit log after `cursor` (from the
/// start when null), read as its ADMIN, and the cursor of the last.
async fn audit_after(app: &TestApp, admin: &str, slug: &str, cursor: Value) -> (Vec<String>, Value) {
    let mut cursor = cursor;
    let mut ops = Vec::new();
    loop {
        let d = app
            .data_as(
                admin,
                r#"query($s: String!, $after: String) { authority(slug: $s) {
                  auditLog(first: 500, after: $after) { entries { operation } hasNextPage endCursor } } }"#,
                json!({ "s": slug, "after": cursor }),
            )
            .await
            .unwrap();
        let page = &d["authority"]["auditLog"];
        let entries = page["entries"].as_array().unwrap();
        ops.extend(
            entries
                .iter()
                .map(|e| e["operation"].as_str().unwrap().to_owned()),
        );
        if !entries.is_empty() {
            cursor = page["endCursor"].clone();
        }
        if page["hasNextPage"] != true {
            return (ops, cursor);
        }
    }
}

// ---------------------------------------------------------------- a person's spreadsheet program

/// A workbook's first sheet: its name and its rows, header first.
fn read_xlsx(bytes: &[u8]) -> (String, Vec<Vec<Data>>) {
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = book.sheet_names()[0].clone();
    let rows = book
        .worksheet_range(&name)
        .unwrap()
        .rows()
        .map(<[_]>::to_vec)
        .collect();
    (name, rows)
}

/// Saves rows as a spreadsheet program saves a workbook: every cell as it
/// was read, on a sheet of the same name.
fn write_xlsx(name: &str, rows: &[Vec<Data>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(name).unwrap();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell {
                Data::String(s) => {
                    ws.write_string(r, c, s).unwrap();
                }
                Data::Float(f) => {
                    ws.write_number(r, c, *f).unwrap();
                }
                Data::Int(i) => {
                    ws.write_number(r, c, *i as f64).unwrap();
                }
                Data::Empty => {}
                other => panic!("a template holds no {other:?}"),
            }
        }
    }
    book.save_to_buffer().unwrap()
}

fn header_of(rows: &[Vec<Data>]) -> Vec<String> {
    rows[0].iter().map(ToString::to_string).collect()
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name} in {header:?}"))
}

/// The (code, period) of each row of an XLSX sheet.
fn keys_of(rows: &[Vec<Data>]) -> Vec<(String, String)> {
    rows[1..]
        .iter()
        .map(|r| (r[0].to_string(), r[1].to_string()))
        .collect()
}

/// The values written into a template: (code, period, value).
type Filled = Vec<(String, String, f64)>;

/// The value a person types into row `i`: distinct for every fill `seed`
/// and row, exact in binary, small enough for a percentage. Every fifth
/// row is left blank (a measure not reported yet), every other one gets a
/// note.
fn typed(seed: u32, i: usize) -> Option<(f64, Option<String>)> {
    (i % 5 != 4).then(|| {
        let v = 1.0 + f64::from(seed) + i as f64 / 64.0;
        (v, i.is_multiple_of(2).then(|| format!("note {seed}.{i}")))
    })
}

/// A downloaded `template.xlsx` filled in and saved again.
fn fill_xlsx(bytes: &[u8], seed: u32) -> (Vec<u8>, Filled) {
    let (name, mut rows) = read_xlsx(bytes);
    let header = header_of(&rows);
    let (value, note) = (column(&header, "value"), column(&header, "note"));
    let mut filled = Filled::new();
    for (i, row) in rows.iter_mut().skip(1).enumerate() {
        let Some((v, n)) = typed(seed, i) else { continue };
        row.resize(header.len(), Data::Empty);
        row[value] = Data::Float(v);
        if let Some(n) = n {
            row[note] = Data::String(n);
        }
        filled.push((row[0].to_string(), row[1].to_string(), v));
    }
    (write_xlsx(&name, &rows), filled)
}

/// A downloaded `template.csv` filled in as text: `value` and `note` are
/// its columns before the last three (`quality`, `as_at`, `forecast`), all
/// empty, and stay so.
fn fill_csv(bytes: &[u8], seed: u32) -> (Vec<u8>, Filled) {
    let text = String::from_utf8(bytes.to_vec()).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.ends_with(",value,note,quality,as_at,forecast"), "{header}");
    let mut out = vec![header.to_owned()];
    let mut filled = Filled::new();
    for (i, line) in lines.enumerate() {
        let Some((v, n)) = typed(seed, i) else {
            out.push(line.to_owned());
            continue;
        };
        let head = line
            .strip_suffix(",,,,,")
            .unwrap_or_else(|| panic!("not blank: {line}"));
        out.push(format!("{head},{v},{},,,", n.unwrap_or_default()));
        let mut fields = line.split(',');
        let (code, period) = (fields.next().unwrap(), fields.next().unwrap());
        filled.push((code.to_owned(), period.to_owned(), v));
    }
    (format!("{}\n", out.join("\n")).into_bytes(), filled)
}

/// The (code, period) of each row of a CSV sheet.
fn csv_keys(bytes: &[u8]) -> Vec<(String, String)> {
    String::from_utf8(bytes.to_vec())
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let mut f = l.split(',');
            (f.next().unwrap().to_owned(), f.next().unwrap().to_owned())
        })
        .collect()
}

/// Where a filled template went back: whose token, which plan and year,
/// and the authority whose audit log (read by `admin`) records it.
struct Upload<'a> {
    app: &'a TestApp,
    who: &'a str,
    admin: &'a str,
    slug: &'a str,
    plan: &'a Value,
    year: &'a str,
}

impl Upload<'_> {
    /// Sends a filled template back: it applies and writes exactly the
    /// filled values; no other value, no target and no floor changes; the
    /// audit log gains one `submitResult` record per value and nothing else.
    async fn results(&self, name: &str, file: &[u8], filled: &Filled) {
        let engine = self.app.engine;
        let before = snapshot(self.app, self.admin, self.plan, self.year).await;
        let (_, cursor) = audit_after(self.app, self.admin, self.slug, Value::Null).await;
        let report = upload_applies(self.app, self.who, self.plan, name, file).await;
        assert_eq!(
            (report["results"].as_u64(), report["targets"].as_u64()),
            (Some(filled.len() as u64), Some(0)),
            "{engine:?}: {name}: {report}"
        );
        let mut want = before;
        for (code, period, v) in filled {
            let cell = want
                .get_mut(&(code.clone(), period.clone()))
                .unwrap_or_else(|| panic!("{engine:?}: {name}: {code} at {period} is outside {}", self.year));
            cell[0] = json!(v);
        }
        assert_eq!(
            snapshot(self.app, self.admin, self.plan, self.year).await,
            want,
            "{engine:?}: {name}: exactly the filled values written, no target or floor changed"
        );
        let (ops, _) = audit_after(self.app, self.admin, self.slug, cursor).await;
        assert_eq!(
            ops,
            vec!["submitResult"; filled.len()],
            "{engine:?}: {name}: the audit shows only results"
        );
    }

    /// Downloads the template for `period` as `who`, fills it in as XLSX
    /// and as CSV with `seed`, and sends each back.
    async fn both_formats(&self, period: &str, seed: u32) -> Vec<(String, String)> {
        let xlsx = download(self.app, self.who, self.plan, "template.xlsx", period).await;
        let (file, filled) = fill_xlsx(&xlsx, seed);
        self.results("filled.xlsx", &file, &filled).await;
        let csv = download(self.app, self.who, self.plan, "template.csv", period).await;
        let keys = keys_of(&read_xlsx(&xlsx).1);
        assert_eq!(
            csv_keys(&csv),
            keys,
            "{:?}: the CSV lists the XLSX's rows",
            self.app.engine
        );
        let (file, filled) = fill_csv(&csv, seed + 1);
        self.results("filled.csv", &file, &filled).await;
        keys
    }
}

// ---------------------------------------------------------------- the fixture

const SLUG: &str = "matrixton";
const ADMIN: &str = "matrixton:ADMIN";
const OFFICER: &str = "matrixton:OFFICER";
const PARTNER: &str = "matrixton:PARTNER:police";
const YEAR: &str = "2025-26";

/// A measure of the fixture: code, frequency, whether the police lead it,
/// unit, and the target it has (period, target, floor).
struct Spec(
    &'static str,
    &'static str,
    bool,
    &'static str,
    Option<(&'static str, f64, Option<f64>)>,
);

const MEASURES: [Spec; 6] = [
    Spec("CM", "MONTHLY", false, "PERCENT", Some((YEAR, 50.0, Some(40.0)))),
    Spec(
        "PM",
        "MONTHLY",
        true,
        "COUNT",
        Some(("2025-26 Q3", 12.0, Some(10.0))),
    ),
    Spec(
        "CQ",
        "QUARTERLY",
        false,
        "PERCENT",
        Some(("2025-26 Q3", 70.0, None)),
    ),
    Spec("PQ", "QUARTERLY", true, "COUNT", None),
    Spec("CA", "ANNUAL", false, "DAYS", None),
    Spec("PA", "ANNUAL", true, "COUNT", Some((YEAR, 30.0, Some(20.0)))),
];

/// Matrixton, built through the API as its ADMIN would: a plan covering
/// 2024-25 to 2025-26 rated by floors, a partner (the police), council and
/// partner-led measures of each frequency, targets and floors on some, an
/// archived measure, and one result (CQ in 2025-26 Q2). Answers the plan.
async fn matrixton(app: &TestApp) -> Value {
    let root = token("root", &["PLATFORM_ADMIN"]);
    let admin = token("admin", &[ADMIN]);
    let run = |t: &str, q: &'static str, v: Value| {
        let t = t.to_owned();
        async move { app.data_as(&t, q, v).await.unwrap() }
    };
    let d = run(
        &root,
        r#"mutation { createAuthority(input: { slug: "matrixton", name: "Matrixton", kind: DISTRICT }) { id } }"#,
        Value::Null,
    )
    .await;
    let authority = d["createAuthority"]["id"].clone();
    let d = run(
        &admin,
        r#"mutation($a: ID!) { createPartner(input: { authorityId: $a, slug: "police", name: "Police" }) { id } }"#,
        json!({ "a": authority }),
    )
    .await;
    let police = d["createPartner"]["id"].clone();
    let d = run(
        &admin,
        r#"mutation($a: ID!) { createPlan(input: { authorityId: $a, title: "Council plan", kind: COUNCIL_PLAN,
             ragRule: { method: FLOOR }, from: "2024-25", to: "2025-26" }) { id } }"#,
        json!({ "a": authority }),
    )
    .await;
    let plan = d["createPlan"]["id"].clone();
    let d = run(
        &admin,
        r#"mutation($p: ID!) { createPlanNode(input: { planId: $p, code: "A", title: "Outcome A" }) { id } }"#,
        json!({ "p": plan }),
    )
    .await;
    let node = d["createPlanNode"]["id"].clone();
    let create = |code: &str, frequency: &str, partner: bool, unit: &str| {
        let (kind, partner) = if partner {
            ("PARTNERSHIP", police.clone())
        } else {
            ("COUNCIL", Value::Null)
        };
        json!({ "input": { "nodeId": node, "code": code, "title": format!("Measure {code}"), "unit": unit,
                "polarity": "HIGHER_IS_BETTER", "kind": kind, "frequency": frequency, "partnerId": partner } })
    };
    const CREATE: &str = r#"mutation($input: CreateMeasureInput!) { createMeasure(input: $input) { id } }"#;
    for Spec(code, frequency, partner, unit, target) in &MEASURES {
        let d = run(&admin, CREATE, create(code, frequency, *partner, unit)).await;
        let id = d["createMeasure"]["id"].clone();
        if let Some((period, target, floor)) = target {
            run(
                &admin,
                r#"mutation($input: SetTargetInput!) { setTarget(input: $input) { status } }"#,
                json!({ "input": { "measureId": id, "period": period, "target": target, "floor": floor } }),
            )
            .await;
        }
        if *code == "CQ" {
            run(
                &admin,
                r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2025-26 Q2", value: 65 }) { status } }"#,
                json!({ "m": id }),
            )
            .await;
        }
    }
    let d = run(&admin, CREATE, create("CX", "QUARTERLY", false, "COUNT")).await;
    run(
        &admin,
        r#"mutation($m: ID!) { archiveMeasure(id: $m) { id } }"#,
        json!({ "m": d["createMeasure"]["id"] }),
    )
    .await;
    plan
}

/// The periods a measure of `frequency` is listed at in the template for
/// `period`: a quarter's months, a year's last quarter for an annual
/// measure, every quarter and month of a year.
fn due_at(frequency: &str, period: &str) -> Vec<String> {
    let months = |from: u32, n: u32| -> Vec<String> {
        (from..from + n)
            .map(|m| format!("{}-{:02}", 2025 + (m - 1) / 12, (m - 1) % 12 + 1))
            .collect()
    };
    let p = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect();
    match (frequency, period) {
        ("MONTHLY", "2025-26 Q3") => months(10, 3),
        ("MONTHLY", "2025-26 Q4") => months(13, 3),
        ("MONTHLY", YEAR) => months(4, 12),
        ("QUARTERLY", "2025-26 Q3" | "2025-26 Q4") => p(&[period]),
        ("QUARTERLY", YEAR) => p(&["2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4"]),
        ("ANNUAL", "2025-26 Q4" | YEAR) => p(&[YEAR]),
        _ => Vec::new(),
    }
}

/// The rows a template for `period` lists for a caller: each of its
/// measures, in reporting order, at each period it is due at.
fn expected_rows(partner_only: bool, period: &str) -> Vec<(String, String)> {
    MEASURES
        .iter()
        .filter(|Spec(_, _, partner, ..)| *partner || !partner_only)
        .flat_map(|Spec(code, frequency, ..)| {
            due_at(frequency, period)
                .into_iter()
                .map(|p| ((*code).to_owned(), p))
        })
        .collect()
}

// ---------------------------------------------------------------- the matrix

/// The acceptance matrix: PARTNER, OFFICER and ADMIN each download the
/// template of a quarter, of the year's last quarter and of the year, as
/// XLSX and as CSV; each lists every row it may, each row goes back, and
/// sent back filled in it writes exactly its values and nothing else.
#[tokio::test]
async fn every_template_filled_in_goes_back_and_writes_only_its_values() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let plan = matrixton(&app).await;
        let admin = token("admin", &[ADMIN]);
        let roles = [
            (token("police-analyst", &[PARTNER]), true),
            (token("officer", &[OFFICER]), false),
            (admin.clone(), false),
        ];
        let mut seed = 0;
        for period in ["2025-26 Q3", "2025-26 Q4", YEAR] {
            for (who, partner_only) in &roles {
                let upload = Upload {
                    app: &app,
                    who,
                    admin: &admin,
                    slug: SLUG,
                    plan: &plan,
                    year: YEAR,
                };
                let rows = upload.both_formats(period, seed).await;
                seed += 2;
                assert_eq!(
                    rows,
                    expected_rows(*partner_only, period),
                    "{engine:?}: {period}: the rows listed (partner only: {partner_only})"
                );
            }
        }
    }
}

/// Each row's context is that of its own period: a month shows the target
/// its quarter or year gives it and the previous month's value, a quarter
/// the previous quarter's value; a period outside the plan's years lists
/// nothing.
#[tokio::test]
async fn each_row_shows_its_own_periods_context() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let plan = matrixton(&app).await;
        let officer = token("officer", &[OFFICER]);
        let (_, cm) = app.measure(SLUG, "CM").await.unwrap();
        app.data_as(
            &officer,
            r#"mutation($m: ID!) { submitResult(input: { measureId: $m, period: "2025-10", value: 47 }) { status } }"#,
            json!({ "m": cm }),
        )
        .await
        .unwrap();
        let bytes = download(&app, &officer, &plan, "template.xlsx", "2025-26 Q3").await;
        let (name, rows) = read_xlsx(&bytes);
        assert_eq!(name, "Results");
        let header = header_of(&rows);
        assert_eq!(header, TEMPLATE_HEADER, "{engine:?}");
        let at = |code: &str, period: &str, col: &str| -> String {
            let row = rows[1..]
                .iter()
                .find(|r| r[0] == code && r[1] == period)
                .unwrap_or_else(|| panic!("{engine:?}: no row {code} {period}"));
            row.get(column(&header, col))
                .map(ToString::to_string)
                .unwrap_or_default()
        };
        let context =
            |code, period| ["previous value", "current target", "current floor"].map(|c| at(code, period, c));
        assert_eq!(
            context("CM", "2025-10"),
            ["", "50", "40"],
            "{engine:?}: the year's target"
        );
        assert_eq!(
            context("CM", "2025-11"),
            ["47", "50", "40"],
            "{engine:?}: the previous month's value"
        );
        assert_eq!(
            context("PM", "2025-12"),
            ["", "12", "10"],
            "{engine:?}: the quarter's target"
        );
        assert_eq!(context("CQ", "2025-26 Q3"), ["65", "70", ""], "{engine:?}");
        assert_eq!(context("PQ", "2025-26 Q3"), ["", "", ""], "{engine:?}");
        let q4 = download(&app, &officer, &plan, "template.xlsx", "2025-26 Q4").await;
        let (_, q4) = read_xlsx(&q4);
        let pa = q4[1..].iter().find(|r| r[0] == "PA").unwrap();
        assert_eq!(
            (
                pa[1].to_string(),
                pa[column(&header, "current target")].to_string()
            ),
            (YEAR.to_owned(), "30".to_owned()),
            "{engine:?}: an annual measure in its year's last quarter"
        );

        let outside = download(&app, &officer, &plan, "template.csv", "2026-27 Q1").await;
        assert_eq!(
            String::from_utf8(outside).unwrap(),
            format!("{}\n", TEMPLATE_HEADER.join(",")),
            "{engine:?}: outside the plan's years, no row"
        );
    }
}

// ---------------------------------------------------------------- targets

const TARGETS_HEADER: [&str; 8] = [
    "code", "period", "node", "title", "unit", "polarity", "target", "floor",
];

/// Sends a targets sheet back: it applies, sets each listed row's target
/// and floor to what it says (a row without a target sets nothing), writes
/// no result, and the audit log gains only `setTarget` records.
async fn targets_go_back(up: &Upload<'_>, name: &str, file: &[u8], rows: &[(String, String, Value, Value)]) {
    let engine = up.app.engine;
    let before = snapshot(up.app, up.admin, up.plan, up.year).await;
    let (_, cursor) = audit_after(up.app, up.admin, up.slug, Value::Null).await;
    let report = upload_applies(up.app, up.who, up.plan, name, file).await;
    let set = rows.iter().filter(|r| !r.2.is_null()).count();
    assert_eq!(
        (report["results"].as_u64(), report["targets"].as_u64()),
        (Some(0), Some(set as u64)),
        "{engine:?}: {name}: {report}"
    );
    let after = snapshot(up.app, up.admin, up.plan, up.year).await;
    for (code, period, target, floor) in rows {
        let key = (code.clone(), period.clone());
        assert_eq!(
            (&after[&key][1], &after[&key][2]),
            (target, floor),
            "{engine:?}: {name}: {code} at {period}"
        );
        assert_eq!(after[&key][0], before[&key][0], "{engine:?}: no value written");
    }
    // A target set again as it stands at its own period writes nothing,
    // so there may be fewer records than rows, but never another kind.
    let (ops, _) = audit_after(up.app, up.admin, up.slug, cursor).await;
    assert!(
        !ops.is_empty() && ops.len() <= set && ops.iter().all(|op| op == "setTarget"),
        "{engine:?}: {name}: the audit shows only targets: {ops:?}"
    );
}

fn number_or_null(d: &Data) -> Value {
    match d {
        Data::Float(f) => json!(f),
        Data::Int(i) => json!(i),
        _ => Value::Null,
    }
}

/// Targets travel by their own sheet, for those who may set them: listed
/// at the periods each measure reports in, prefilled with what applies
/// there now, and sent back (edited, as XLSX or as CSV) they set exactly
/// what they say.
#[tokio::test]
async fn the_targets_sheet_sets_exactly_its_targets() {
    for engine in engines() {
        let app = spawn(engine, false).await.unwrap();
        let plan = matrixton(&app).await;
        let admin = token("admin", &[ADMIN]);
        let officer = token("officer", &[OFFICER]);
        let police = token("police-analyst", &[PARTNER]);
        let path = sheet_path(&plan, "targets.xlsx", "2025-26 Q3");
        assert_eq!(
            get(&app, None, &path).await.status(),
            401,
            "{engine:?}: anonymous"
        );
        let refused = get(&app, Some(&police), &path).await;
        assert_eq!(refused.status(), 403, "{engine:?}: a partner sets no target");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{engine:?}: {body}"
        );
        let csv_path = sheet_path(&plan, "targets.csv", "2025-26 Q3");
        assert_eq!(get(&app, Some(&police), &csv_path).await.status(), 403);

        // An OFFICER edits the quarter's sheet in a spreadsheet program.
        let up = Upload {
            app: &app,
            who: &officer,
            admin: &admin,
            slug: SLUG,
            plan: &plan,
            year: YEAR,
        };
        let bytes = download(&app, &officer, &plan, "targets.xlsx", "2025-26 Q3").await;
        let (name, mut rows) = read_xlsx(&bytes);
        assert_eq!(name, "Targets");
        let header = header_of(&rows);
        assert_eq!(header, TARGETS_HEADER, "{engine:?}");
        assert_eq!(keys_of(&rows), expected_rows(false, "2025-26 Q3"), "{engine:?}");
        let (t, f) = (column(&header, "target"), column(&header, "floor"));
        for row in rows.iter_mut().skip(1) {
            row.resize(header.len(), Data::Empty);
            match (row[0].to_string().as_str(), row[1].to_string().as_str()) {
                ("CM", "2025-11") => row[f] = Data::Float(45.0),
                ("CQ", _) => row[t] = Data::Float(72.0),
                ("PQ", _) => (row[t], row[f]) = (Data::Float(33.0), Data::Float(25.0)),
                _ => {}
            }
        }
        let prefilled: Vec<(String, String, Value, Value)> = rows[1..]
            .iter()
            .map(|r| {
                (
                    r[0].to_string(),
                    r[1].to_string(),
                    number_or_null(&r[t]),
                    number_or_null(&r[f]),
                )
            })
            .collect();
        let shown = |code: &str| {
            prefilled
                .iter()
                .filter(|r| r.0 == code)
                .map(|r| (r.2.clone(), r.3.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            shown("PM"),
            vec![(json!(12.0), json!(10.0)); 3],
            "{engine:?}: prefilled with what applies now"
        );
        assert_eq!(shown("CM")[0], (json!(50.0), json!(40.0)), "{engine:?}");
        targets_go_back(&up, "targets.xlsx", &write_xlsx(&name, &rows), &prefilled).await;

        // An ADMIN sets the annual measure's target for the year, as CSV text.
        let up = Upload { who: &admin, ..up };
        let csv = download(&app, &admin, &plan, "targets.csv", YEAR).await;
        let text = String::from_utf8(csv).unwrap();
        assert_eq!(text.lines().next(), Some(TARGETS_HEADER.join(",").as_str()));
        let mut edited = Vec::new();
        let mut rows = Vec::new();
        for line in text.lines() {
            let mut f = line.split(',');
            let (code, period) = (f.next().unwrap().to_owned(), f.next().unwrap().to_owned());
            let mut parts = line.rsplitn(3, ',');
            let (floor, target, head) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let (target, floor) = if code == "CA" {
                ("90", "75")
            } else {
                (target, floor)
            };
            edited.push(format!("{head},{target},{floor}"));
            if code != "code" {
                let num = |s: &str| s.parse::<f64>().map_or(Value::Null, |n| json!(n));
                rows.push((code, period, num(target), num(floor)));
            }
        }
        assert!(rows.iter().any(|r| r.0 == "CA" && r.1 == YEAR), "{engine:?}");
        let file = format!("{}\n", edited.join("\n"));
        targets_go_back(&up, "targets.csv", file.as_bytes(), &rows).await;
    }
}

// ---------------------------------------------------------------- the issue's findings

const DEMO_ADMIN: &str = "croydon:ADMIN";

/// A filled-in Croydon template for 2025-26 Q3 goes back as `who`.
async fn croydon_template_goes_back(app: &TestApp, who: &str, seed: u32) -> Vec<(String, String)> {
    let plan = croydon_plan(app).await;
    let admin = token("admin", &[DEMO_ADMIN]);
    let up = Upload {
        app,
        who,
        admin: &admin,
        slug: "croydon",
        plan: &plan,
        year: YEAR,
    };
    up.both_formats("2025-26 Q3", seed).await
}

/// The police analyst's template for a partner measure with a target goes
/// back: it was refused `FORBIDDEN` "you may not set targets", its
/// `target` column read as a `setTarget`.
#[tokio::test]
async fn the_police_template_with_a_target_on_its_measure_goes_back() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let (_, o43) = app.measure("croydon", "O4.3").await.unwrap();
        app.data_as(
            &token("officer", &["croydon:OFFICER"]),
            r#"mutation($m: ID!) { setTarget(input: { measureId: $m, period: "2025-26 Q3", target: 8000 }) { target } }"#,
            json!({ "m": o43 }),
        )
        .await
        .unwrap();
        let police = token("police-analyst", &["croydon:PARTNER:metropolitan-police"]);
        let rows = croydon_template_goes_back(&app, &police, 0).await;
        assert!(
            rows.contains(&("O4.3".to_owned(), "2025-26 Q3".to_owned())),
            "{engine:?}: {rows:?}"
        );
    }
}

/// An OFFICER's quarter template lists each monthly measure once per month
/// and goes back: it was refused, every monthly row carrying the quarter.
#[tokio::test]
async fn an_officers_quarter_template_with_monthly_measures_goes_back() {
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let officer = token("officer", &["croydon:OFFICER"]);
        let rows = croydon_template_goes_back(&app, &officer, 0).await;
        let o14: Vec<&str> = rows
            .iter()
            .filter(|(c, _)| c == "O1.4")
            .map(|(_, p)| p.as_str())
            .collect();
        assert_eq!(
            o14,
            ["2025-10", "2025-11", "2025-12"],
            "{engine:?}: a monthly measure"
        );
    }
}
