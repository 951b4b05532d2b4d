//! Hostile and broken files uploaded through `importResults`: each gets a
//! coded answer (a GraphQL error with `extensions.code`, or a report whose
//! errors name the row and column), never `INTERNAL`, and the server keeps
//! serving. The files that cost memory on a reader without bounds (a cell
//! at XFD1048576, a zip bomb, a huge shared string, a sparse far column)
//! are sent to a server under a memory cap (`sheet_memory`), so that a
//! regression cannot take the test machine down.

use std::io::{Cursor, Read, Write};

use rust_xlsxwriter::{Format, Workbook, Worksheet};
use serde_json::{Value, json};
use tests::{TestApp, engines, spawn, token};
use zip::write::SimpleFileOptions;

use crate::sheets::{croydon_plan, multipart_to};

pub const POLICE: &str = "croydon:PARTNER:metropolitan-police";
pub const PERIOD: &str = "2024-25 Q1";
/// A measure the police may report on for [`PERIOD`], and a figure it takes.
const CODE: &str = "O4.4";

pub const IMPORT: &str = r#"mutation($plan: ID!, $period: Period, $file: Upload!) {
  importResults(planId: $plan, period: $period, file: $file, dryRun: true) {
    applied rows errors { row column code message } } }"#;

/// Uploads `file` as the police (a dry run) and returns the whole answer.
pub async fn upload(app: &TestApp, plan: &Value, name: &str, file: &[u8]) -> Value {
    upload_to(&app.client, &app.address, plan, name, file).await
}

/// [`upload`] to the server at `address`.
pub async fn upload_to(
    client: &reqwest::Client,
    address: &str,
    plan: &Value,
    name: &str,
    file: &[u8],
) -> Value {
    let police = token("analyst", &[POLICE]);
    let variables = json!({ "plan": plan, "period": PERIOD });
    multipart_to(client, address, Some(&police), IMPORT, variables, name, file).await
}

/// What a file can be refused with: its contents or its cost, never a
/// failure of the server.
const REFUSALS: [&str; 2] = ["BAD_USER_INPUT", "TIMEOUT"];
/// What a row of a file can be refused with.
const ROW_REFUSALS: [&str; 2] = ["BAD_USER_INPUT", "FORBIDDEN"];

/// The answer is coded: a refusal's `extensions.code`, or a report whose
/// every error has a row and a code, each a client's mistake. Returns the
/// codes of a refusal, or the report.
pub fn coded(what: &str, body: &Value) -> Result<Vec<String>, Value> {
    if let Some(errors) = body["errors"].as_array() {
        let codes: Vec<String> = errors
            .iter()
            .map(|e| e["extensions"]["code"].as_str().unwrap_or("<none>").to_owned())
            .collect();
        assert!(
            !codes.is_empty() && codes.iter().all(|c| REFUSALS.contains(&c.as_str())),
            "{what}: {body}"
        );
        return Ok(codes);
    }
    let report = body["data"]["importResults"].clone();
    let errors = report["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{what}: {body}"));
    for e in errors {
        assert!(e["row"].as_i64().is_some_and(|r| r >= 1), "{what}: {e}");
        assert!(
            e["code"].as_str().is_some_and(|c| ROW_REFUSALS.contains(&c)),
            "{what}: {e}"
        );
    }
    Err(report)
}

/// A refusal of the whole file, with `code`, whose message says `says`.
pub fn refused(what: &str, body: &Value, code: &str, says: &str) {
    match coded(what, body) {
        Ok(codes) => assert_eq!(codes, [code], "{what}: {body}"),
        Err(report) => panic!("{what}: expected a refusal, got {report}"),
    }
    let message = body["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains(says), "{what}: {message}");
}

/// A report with exactly these errors: (row, column, code).
pub fn reported(what: &str, body: &Value, expected: &[(i64, Option<&str>, &str)]) -> Value {
    let report = match coded(what, body) {
        Err(report) => report,
        Ok(codes) => panic!("{what}: expected a report, got {codes:?}: {body}"),
    };
    let errors: Vec<(i64, Option<&str>, &str)> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["row"].as_i64().unwrap(),
                e["column"].as_str(),
                e["code"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(errors, expected, "{what}: {report}");
    report
}

/// A workbook whose `Results` sheet has the header `code`, `value`,
/// `note`, then what `fill` writes.
pub fn workbook(fill: impl FnOnce(&mut Worksheet)) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("Results").unwrap();
    for (c, h) in ["code", "value", "note"].into_iter().enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    fill(sheet);
    book.save_to_buffer().unwrap()
}

/// A zip of these parts, deflated.
pub fn zip_of(parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, body) in parts {
        out.start_file(name.as_str(), SimpleFileOptions::default())
            .unwrap();
        out.write_all(body).unwrap();
    }
    out.finish().unwrap().into_inner()
}

/// The parts of a zip, by name.
pub fn parts_of(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).unwrap();
            let mut body = Vec::new();
            f.read_to_end(&mut body).unwrap();
            (f.name().unwrap().to_string(), body)
        })
        .collect()
}

/// The workbook with the XML of part `name` rewritten by `edit`.
pub fn edited(bytes: &[u8], name: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
    let parts: Vec<(String, Vec<u8>)> = parts_of(bytes)
        .into_iter()
        .map(|(n, body)| {
            let body = if n == name {
                edit(String::from_utf8(body).unwrap()).into_bytes()
            } else {
                body
            };
            (n, body)
        })
        .collect();
    zip_of(&parts)
}

/// The workbook with one part streamed in: `head`, `body` `times` over,
/// `tail`; a few megabytes of zip that inflate to whatever `times` says.
pub fn streamed(bytes: &[u8], name: &str, head: &str, body: &str, times: usize, tail: &str) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // Deflate's best packs a repeated text about a thousand to one.
    let best = SimpleFileOptions::default().compression_level(Some(9));
    for (n, b) in parts_of(bytes) {
        out.start_file(n.as_str(), best).unwrap();
        if n != name {
            out.write_all(&b).unwrap();
            continue;
        }
        out.write_all(head.as_bytes()).unwrap();
        let chunk = body.repeat((1 << 20) / body.len().max(1) + 1);
        let mut left = body.len() * times;
        while left > 0 {
            let n = left.min(chunk.len());
            out.write_all(&chunk.as_bytes()[..n]).unwrap();
            left -= n;
        }
        out.write_all(tail.as_bytes()).unwrap();
    }
    out.finish().unwrap().into_inner()
}

pub const SHEET: &str = "xl/worksheets/sheet1.xml";

/// A good row: the measure and a figure.
pub fn good_row(sheet: &mut Worksheet, row: u32) {
    sheet.write_string(row, 0, CODE).unwrap();
    sheet.write_number(row, 1, 31).unwrap();
}

/// Each broken or odd file, what it is, and what its answer must be.
#[tokio::test]
async fn every_broken_or_odd_file_gets_a_coded_answer_and_the_server_keeps_serving() {
    let mut noise = Vec::with_capacity(64 * 1024);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while noise.len() < 64 * 1024 {
        // xorshift: the same "random" bytes on every run.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        noise.extend_from_slice(&x.to_le_bytes());
    }
    let good = workbook(|s| good_row(s, 1));
    let mut corrupt = good.clone();
    let middle = corrupt.len() / 3;
    for b in &mut corrupt[middle..middle + 400] {
        *b = !*b;
    }
    // Excel's own shapes for a formula it never calculated, an error and
    // a date: the writer's well-formed cells, reshaped.
    let formulas = edited(
        &workbook(|s| {
            s.write_string(1, 0, CODE).unwrap();
            s.write_formula(1, 1, "=SUM(D2:E2)").unwrap();
        }),
        SHEET,
        |xml| cut_cached_values(&xml),
    );
    let errors = edited(&workbook(|s| good_row(s, 1)), SHEET, |xml| {
        xml.replace(r#"<c r="B2"><v>31</v></c>"#, r#"<c r="B2" t="e"><v>#N/A</v></c>"#)
    });
    let dates = workbook(|s| {
        s.write_string(1, 0, CODE).unwrap();
        let d = Format::new().set_num_format("dd/mm/yyyy");
        s.write_number_with_format(1, 1, 45931.0, &d).unwrap();
    });
    let merged = workbook(|s| {
        good_row(s, 1);
        s.merge_range(1, 2, 2, 2, "a note on the merged cells", &Format::new())
            .unwrap();
    });
    let hidden_first = {
        let mut book = Workbook::new();
        let old = book.add_worksheet().set_name("Old").unwrap();
        old.write_string(0, 0, "code").unwrap();
        old.write_string(1, 0, "NOT-A-MEASURE").unwrap();
        old.set_hidden(true);
        let current = book.add_worksheet().set_name("Current").unwrap();
        current.write_string(0, 0, "code").unwrap();
        current.write_string(0, 1, "value").unwrap();
        good_row(current, 1);
        current.set_active(true);
        book.save_to_buffer().unwrap()
    };
    let wide = workbook(|s| {
        for c in 3..16_384u16 {
            s.write_string(0, c, format!("extra {c}")).unwrap();
            s.write_number(1, c, f64::from(c)).unwrap();
        }
        good_row(s, 1);
    });
    let mut quote = format!("code,value,note\n{CODE},31,\"never closed\n");
    for _ in 0..100 {
        quote.push_str(&format!("{CODE},32,\n"));
    }
    for engine in engines() {
        let app = spawn(engine, true).await.unwrap();
        let plan = croydon_plan(&app).await;
        let send = |name: &'static str, file: Vec<u8>| {
            let (app, plan) = (&app, &plan);
            async move {
                let body = upload(app, plan, name, &file).await;
                app.still_serving().await;
                body
            }
        };
        let what = |w: &str| format!("{engine:?}: {w}");

        let body = send("noise.bin", noise.clone()).await;
        refused(&what("random bytes"), &body, "BAD_USER_INPUT", "NUL");
        let body = send("t.xlsx", good[..good.len() / 2].to_vec()).await;
        refused(
            &what("a truncated zip"),
            &body,
            "BAD_USER_INPUT",
            "cannot be read",
        );
        let body = send("c.xlsx", corrupt.clone()).await;
        refused(&what("a corrupt zip"), &body, "BAD_USER_INPUT", "");
        let body = send("nul.csv", format!("code,value\n{CODE},31\0\n").into_bytes()).await;
        refused(&what("NUL bytes"), &body, "BAD_USER_INPUT", "NUL");

        let body = send("f.xlsx", formulas.clone()).await;
        let r = reported(
            &what("a formula without a value"),
            &body,
            &[(2, Some("value"), "BAD_USER_INPUT")],
        );
        assert!(
            r["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("no saved value"),
            "{r}"
        );
        let body = send("e.xlsx", errors.clone()).await;
        let r = reported(
            &what("an error cell"),
            &body,
            &[(2, Some("value"), "BAD_USER_INPUT")],
        );
        assert!(
            r["errors"][0]["message"].as_str().unwrap().contains("#N/A"),
            "{r}"
        );
        let body = send("d.xlsx", dates.clone()).await;
        reported(&what("a date"), &body, &[(2, Some("value"), "BAD_USER_INPUT")]);
        let body = send("q.csv", quote.clone().into_bytes()).await;
        let r = reported(
            &what("an unterminated quote"),
            &body,
            &[(2, Some("note"), "BAD_USER_INPUT")],
        );
        assert_eq!(r["applied"], false);

        let body = send("m.xlsx", merged.clone()).await;
        reported(&what("merged cells"), &body, &[]);
        let body = send("h.xlsx", hidden_first.clone()).await;
        let r = reported(&what("a hidden first sheet"), &body, &[]);
        assert_eq!(r["rows"], 1, "{r}");
        let body = send("w.xlsx", wide.clone()).await;
        reported(&what("16,384 columns"), &body, &[]);
        let bom = format!("\u{feff}code,value,note\n{CODE},31,with a BOM\n");
        let body = send("bom.csv", bom.into_bytes()).await;
        reported(&what("a CSV with a BOM"), &body, &[]);
        let cp1252 = [
            format!("code,value,note\n{CODE},31,cost ").as_bytes(),
            b"\xA3120 \x96 agreed\n",
        ]
        .concat();
        let body = send("excel.csv", cp1252).await;
        let r = reported(&what("Windows-1252 bytes"), &body, &[]);
        assert_eq!(r["rows"], 1, "{r}");
    }
}

/// A sheet's XML with the cached values of its formulas taken out, as a
/// program that writes formulas without calculating them leaves it.
fn cut_cached_values(xml: &str) -> String {
    let mut out = String::with_capacity(xml.len());
    let mut rest = xml;
    while let Some(at) = rest.find("</f>") {
        let (before, after) = rest.split_at(at + 4);
        out.push_str(before);
        rest = match after.strip_prefix("<v>").and_then(|v| v.split_once("</v>")) {
            Some((_, tail)) => tail,
            None => after,
        };
    }
    out.push_str(rest);
    out
}

/// Heavy but lawful sheets keep the parsing slots busy while `/healthz`
/// and a query keep answering: the reading runs off the HTTP workers. The
/// client's timeout is no measurement, only how long "answers" may take
/// at most (a reader on the workers held them for seconds).
#[tokio::test]
async fn healthz_and_queries_answer_while_sheets_are_read() {
    // 40 columns of 10,000 rows, none in a column read: every cell is
    // streamed, nothing is kept. The cell at column 1,000 made a reader
    // that filled the grid between the first and last cells hold a worker
    // for seconds (ten million cells).
    let heavy = workbook(|s| {
        for r in 1..10_000u32 {
            for c in 3..43u16 {
                s.write_number(r, c, f64::from(r)).unwrap();
            }
        }
        s.write_number(9_999, 999, 1).unwrap();
    });
    let answers = std::time::Duration::from_secs(5);
    for engine in engines() {
        let app = std::sync::Arc::new(spawn(engine, true).await.unwrap());
        let plan = croydon_plan(&app).await;
        let uploads: Vec<_> = (0..4)
            .map(|_| {
                let (app, plan, heavy) = (app.clone(), plan.clone(), heavy.clone());
                tokio::spawn(async move { upload(&app, &plan, "heavy.xlsx", &heavy).await })
            })
            .collect();
        let mut answered_in_flight = 0;
        while uploads.iter().any(|u| !u.is_finished()) {
            let health = app
                .client
                .get(format!("{}/healthz", app.address))
                .timeout(answers)
                .send()
                .await;
            assert!(
                health.as_ref().is_ok_and(|h| h.status() == 200),
                "{engine:?}: /healthz while sheets are read: {health:?}"
            );
            let query =
                tokio::time::timeout(answers, app.data("{ authorities { slug } }", Value::Null)).await;
            assert!(
                matches!(query, Ok(Ok(_))),
                "{engine:?}: a query while sheets are read: {query:?}"
            );
            if uploads.iter().any(|u| !u.is_finished()) {
                answered_in_flight += 1;
            }
        }
        for u in uploads {
            let body = u.await.unwrap();
            let report = reported(&format!("{engine:?}: a heavy sheet"), &body, &[]);
            assert_eq!(report["rows"], 0, "{engine:?}: {report}");
        }
        assert!(
            answered_in_flight > 0,
            "{engine:?}: nothing was asked while the sheets were read"
        );
    }
}
