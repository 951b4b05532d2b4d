//! The files that cost a reader without bounds its memory (a cell at
//! XFD1048576, a sparse sheet reaching column XFD, a zip bomb, a 300 MB
//! shared string, 16,384 columns), sent to the real server binary started
//! under a memory cap, so that a regression fails the test instead of
//! taking the machine down: each gets a coded refusal or report, the server
//! keeps serving, and its peak resident memory (`VmHWM`) stays under 300 MB.
//!
//! The cap is on address space (`prlimit --as`), the only one a plain user
//! can set on one process. It is not the resident bound (that is
//! `VmHWM`): mimalloc reserves its arenas, each thread its stack and SQLite
//! and tokio their own regions, so the server at rest already maps more
//! than it uses. [`ADDRESS_SPACE`] leaves room for all that and for the
//! reading, and none for the grid or the inflated bomb an unbounded reader
//! would allocate. Without `prlimit` the test says so and is skipped,
//! except under CI.

use std::process::Command;

use tests::server::Server;
use tests::{Engine, engines, fresh_database};

use crate::hostile_sheets::{SHEET, good_row, refused, reported, streamed, upload_to, workbook};

/// The cap on the server's address space. The debug server serving the
/// demo maps about 1.7 GB at rest (`VmPeak`) while 60 MB of it is resident;
/// this leaves over 2 GB for reading, and not the 2.6 GB grid a sparse
/// sheet reaching XFD made an unbounded reader fill, nor the 512 GB of
/// one cell at XFD1048576.
const ADDRESS_SPACE: u64 = 4 << 30;
/// The bound on the server's resident memory through every file.
const PEAK_RSS: u64 = 300 << 20;

/// `councilperf serve --demo` under `prlimit --as`, on its own database.
async fn start(engine: Engine) -> Server {
    let database_url = fresh_database(engine).await.unwrap();
    Server::start(&database_url, &["--demo"], &[], Some(ADDRESS_SPACE))
        .await
        .unwrap_or_else(|e| panic!("{engine:?}: {e:#} under the cap"))
}

/// The memory-costly files: (what, file name, file).
fn costly_files() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let good = workbook(|s| good_row(s, 1));
    let corner = workbook(|s| {
        good_row(s, 1);
        s.write_number(1_048_575, 16_383, 1).unwrap();
    });
    let sparse = workbook(|s| {
        good_row(s, 1);
        for r in (2..5_000u32).step_by(7) {
            s.write_number(r, (3 + r % 16_381) as u16, 1).unwrap();
        }
        s.write_number(4_999, 16_383, 1).unwrap();
    });
    let row = r#"<row><c t="n"><v>1</v></c></row>"#;
    let sheet_head =
        r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#;
    let bomb = streamed(
        &good,
        SHEET,
        sheet_head,
        row,
        (1 << 30) / row.len(),
        "</sheetData></worksheet>",
    );
    let sst_head = r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>code</t></si><si><t>value</t></si><si><t>note</t></si><si><t>"#;
    let huge_string = streamed(
        &good,
        "xl/sharedStrings.xml",
        sst_head,
        "x",
        300_000_000,
        "</t></si></sst>",
    );
    let wide = workbook(|s| {
        for c in 3..16_384u16 {
            s.write_number(1, c, f64::from(c)).unwrap();
        }
        good_row(s, 2);
    });
    vec![
        ("cells at A1 and XFD1048576", "corner.xlsx", corner),
        ("a sparse sheet reaching XFD at row 5,000", "sparse.xlsx", sparse),
        ("a zip bomb inflating to 1 GiB", "bomb.xlsx", bomb),
        ("a 300 MB shared string", "string.xlsx", huge_string),
        ("16,384 columns", "wide.xlsx", wide),
    ]
}

#[tokio::test]
async fn hostile_files_keep_the_capped_server_serving_under_300_mb() {
    if Command::new("prlimit").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test: install prlimit (util-linux)"
        );
        eprintln!("skipped: the memory test needs prlimit (util-linux)");
        return;
    }
    let files = costly_files();
    for engine in engines() {
        let server = start(engine).await;
        let d = server
            .data(r#"{ authority(slug: "croydon") { plans { id } } }"#)
            .await
            .unwrap();
        let plan = d["authority"]["plans"][0]["id"].clone();
        assert!(plan.is_string(), "{engine:?}: {d}");
        for (what, name, file) in &files {
            let what = format!("{engine:?}: {what}");
            let body = upload_to(&server.client, &server.address, &plan, name, file).await;
            match *name {
                "bomb.xlsx" | "string.xlsx" => {
                    refused(&what, &body, "BAD_USER_INPUT", "inflates to more than")
                }
                "wide.xlsx" => {
                    // Row 2 (numbers under no header) is not read.
                    let r = reported(&what, &body, &[]);
                    assert_eq!(r["rows"], 1, "{what}: {r}");
                }
                _ => {
                    reported(&what, &body, &[]);
                }
            }
            assert!(server.healthy().await, "{what}: the server stopped serving");
            let authorities = server.data("{ authorities { slug } }").await.unwrap();
            assert!(authorities["authorities"].is_array(), "{what}: {authorities}");
        }
        let peak = server.status("VmHWM").unwrap();
        assert!(
            peak < PEAK_RSS,
            "{engine:?}: the server's resident memory peaked at {} MB",
            peak >> 20
        );
        eprintln!(
            "{engine:?}: peak resident memory {} MB (VmHWM), address space {} MB (VmPeak)",
            peak >> 20,
            server.status("VmPeak").unwrap() >> 20
        );
    }
}
