//! XLSX: a zip of XML parts, bounded before a workbook is opened (see
//! `archive`) and streamed cell by cell once it is, keeping only the cells
//! of the columns the header names, never a grid from its first to its last
//! cell; the sheet's `<dimension>` is the sender's word and sizes nothing.

use std::io::{self, Cursor, Read};

use calamine::{DataRef, ExcelDateTime, Reader, Sheet, SheetType, SheetVisible, Style, Xlsx};

use super::archive::{check_archive, unreadable};
use super::{COLUMNS, Cell, Table, shown};
use crate::error::{ApiError, ApiResult};

/// Cells the sheet may hold, in any column.
pub const MAX_SHEET_CELLS: usize = 500_000;
/// Excel's grid: rows 1 to 1,048,576, columns A to XFD.
const GRID_ROWS: u32 = 1_048_576;
const GRID_COLUMNS: u32 = 16_384;
/// Cells read between two looks at the clock.
const CELLS_PER_CHECK: usize = 1024;

const FORMULA_WITHOUT_VALUE: &str =
    "a formula with no saved value: open and save the sheet in a spreadsheet program, or type the value";

/// Reads the workbook's sheet into `table`.
pub(super) fn read(bytes: &[u8], table: &mut Table) -> ApiResult<()> {
    let active = check_archive(bytes, table)?;
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(unreadable)?;
    let name = choose(book.sheets_metadata(), active)?;
    let percent_styles = stream(&mut book, &name, table)?;
    if percent_styles && table.has_numbers() {
        percentages(&mut book, &name, table)?;
    }
    Ok(())
}

/// The sheet read: the one named `Results` (any case), else the active
/// tab, else the first; never a hidden sheet or a chart.
fn choose(sheets: &[Sheet], active: Option<usize>) -> ApiResult<String> {
    let readable =
        |s: &&Sheet| matches!(s.visible, SheetVisible::Visible) && matches!(s.typ, SheetType::WorkSheet);
    sheets
        .iter()
        .filter(readable)
        .find(|s| s.name.trim().eq_ignore_ascii_case("results"))
        .or_else(|| active.and_then(|i| sheets.get(i)).filter(readable))
        .or_else(|| sheets.iter().find(readable))
        .map(|s| s.name.clone())
        .ok_or_else(|| ApiError::BadUserInput("the workbook has no visible worksheet".to_owned()))
}

/// Streams the sheet's cells into `table`; whether the workbook has any
/// percentage format (worth a second look at the styles).
fn stream<R: Read + io::Seek>(book: &mut Xlsx<R>, name: &str, table: &mut Table) -> ApiResult<bool> {
    let mut cells = book.worksheet_cells_reader(name).map_err(unreadable)?;
    let percent_styles = cells.styles().iter().any(is_percent);
    let mut read = 0usize;
    // The formula's metadata, not its text: expanding shared formulas
    // would size a table by the file's own `si` index.
    while let Some(c) = cells.next_cell_with_formula_metadata().map_err(unreadable)? {
        read += 1;
        if read > MAX_SHEET_CELLS {
            return Err(ApiError::BadUserInput(format!(
                "the sheet has more than {MAX_SHEET_CELLS} cells"
            )));
        }
        if read.is_multiple_of(CELLS_PER_CHECK) {
            table.in_time()?;
        }
        let (row, column) = c.pos;
        if row >= GRID_ROWS || column >= GRID_COLUMNS {
            return Err(ApiError::BadUserInput(
                "the sheet has a cell outside a spreadsheet's 1,048,576 rows and 16,384 columns".to_owned(),
            ));
        }
        if row == 0 {
            match &c.value {
                DataRef::String(s) => table.header(column, s)?,
                DataRef::SharedString(s) => table.header(column, s)?,
                DataRef::Empty => {}
                _ => table.header(column, "")?,
            }
            continue;
        }
        let Some(i) = table.column(column) else {
            continue;
        };
        if let Some(cell) = cell(c.value, c.formula.is_some(), i) {
            table.put(row, i, cell)?;
        }
    }
    Ok(percent_styles)
}

/// Marks the numbers kept whose cells are formatted as percentages.
fn percentages<R: Read + io::Seek>(book: &mut Xlsx<R>, name: &str, table: &mut Table) -> ApiResult<()> {
    let mut cells = book.worksheet_cells_reader(name).map_err(unreadable)?;
    let percent: Vec<bool> = cells.styles().iter().map(is_percent).collect();
    let mut read = 0usize;
    while let Some((row, column, style)) = cells.next_style_id().map_err(unreadable)? {
        read += 1;
        if read.is_multiple_of(CELLS_PER_CHECK) {
            table.in_time()?;
        }
        if percent.get(style).copied().unwrap_or(false) {
            table.mark_percent(row, column);
        }
    }
    Ok(())
}

fn is_percent(s: &Style) -> bool {
    s.number_format
        .as_ref()
        .is_some_and(|f| f.format_code.contains('%'))
}

/// What a cell of column `column` (of [`COLUMNS`]) reads as; `None` when blank.
fn cell(value: DataRef<'_>, formula: bool, column: usize) -> Option<Cell> {
    let number = |value: f64| {
        Some(Cell::Number {
            value,
            percent: false,
        })
    };
    match value {
        DataRef::Empty => formula.then(|| Cell::Problem(FORMULA_WITHOUT_VALUE.to_owned())),
        DataRef::Int(i) => number(i as f64),
        DataRef::Float(f) => number(f),
        DataRef::String(s) => Cell::text(&s),
        DataRef::SharedString(s) => Cell::text(s),
        DataRef::Bool(b) => Some(Cell::Text(b.to_string())),
        DataRef::DateTime(d) => Some(date(column, || iso(&d))),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => Some(date(column, || s)),
        DataRef::Error(e) => Some(Cell::Problem(format!(
            "the cell holds the error {e}: type the figure, or leave the cell blank"
        ))),
    }
}

/// A date is text in a note, the date itself as at, and a mistake anywhere else.
fn date(column: usize, text: impl FnOnce() -> String) -> Cell {
    Cell::Problem(
        match COLUMNS[column] {
            "note" | "as_at" => return Cell::Text(text()),
            "period" => {
                "the cell holds a date, not a period: type the period as text, such as 2025-10 or 2025-26 Q3"
            }
            "code" => "the cell holds a date, not a measure code",
            _ => "the cell holds a date, not a number",
        }
        .to_owned(),
    )
}

fn iso(d: &ExcelDateTime) -> String {
    if !d.is_datetime() {
        return shown(d.as_f64(), false);
    }
    let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
    if (h, mi, s) == (0, 0, 0) {
        format!("{y:04}-{mo:02}-{day:02}")
    } else {
        format!("{y:04}-{mo:02}-{day:02} {h:02}:{mi:02}:{s:02}")
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::time::Instant;

    use zip::write::SimpleFileOptions;

    use super::super::archive::{MAX_SHARED_STRINGS, MAX_SHARED_STRINGS_BYTES, MAX_ZIP_ENTRIES};
    use super::super::tests::soon;
    use super::super::{SheetRow, read as read_sheet};
    use super::*;

    /// A zip of these parts, deflated.
    fn zip(parts: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, body) in parts {
            let started = out.start_file(*name, SimpleFileOptions::default());
            assert!(started.is_ok() && out.write_all(body).is_ok());
        }
        out.finish().map(Cursor::into_inner).unwrap_or_default()
    }

    const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

    /// A workbook of sheets (name, `state`, the XML inside `<sheetData>`),
    /// with an active tab, and the shared strings and styles given.
    fn book(sheets: &[(&str, &str, &str)], active: usize, shared: &[&str]) -> Vec<u8> {
        let mut workbook = format!(
            r#"<workbook xmlns="{MAIN}" xmlns:r="{REL}"><bookViews><workbookView activeTab="{active}"/></bookViews><sheets>"#
        );
        let mut rels = String::from(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
        );
        let mut parts: Vec<(String, Vec<u8>)> = Vec::new();
        for (i, (name, state, data)) in sheets.iter().enumerate() {
            let n = i + 1;
            workbook.push_str(&format!(
                r#"<sheet name="{name}" sheetId="{n}" state="{state}" r:id="rId{n}"/>"#
            ));
            rels.push_str(&format!(
                r#"<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>"#
            ));
            parts.push((
                format!("xl/worksheets/sheet{n}.xml"),
                format!(r#"<worksheet xmlns="{MAIN}"><dimension ref="A1:XFD1048576"/><sheetData>{data}</sheetData></worksheet>"#)
                    .into_bytes(),
            ));
        }
        workbook.push_str("</sheets></workbook>");
        rels.push_str(&format!(
            r#"<Relationship Id="rIdS" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/><Relationship Id="rIdT" Type="{REL}/styles" Target="styles.xml"/></Relationships>"#
        ));
        let strings: String = shared.iter().map(|s| format!("<si><t>{s}</t></si>")).collect();
        let package = format!(
            r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>"#
        );
        // Styles: 0 general, 1 a percentage, 2 a date.
        let styles = format!(
            r#"<styleSheet xmlns="{MAIN}"><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="9" applyNumberFormat="1"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#
        );
        parts.extend([
            ("_rels/.rels".to_owned(), package.into_bytes()),
            ("xl/workbook.xml".to_owned(), workbook.into_bytes()),
            ("xl/_rels/workbook.xml.rels".to_owned(), rels.into_bytes()),
            (
                "xl/sharedStrings.xml".to_owned(),
                format!(
                    r#"<sst xmlns="{MAIN}" uniqueCount="{}">{strings}</sst>"#,
                    shared.len()
                )
                .into_bytes(),
            ),
            ("xl/styles.xml".to_owned(), styles.into_bytes()),
        ]);
        let parts: Vec<(&str, &[u8])> = parts.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        zip(&parts)
    }

    /// One visible sheet whose header is `code`, `value`, `note` (shared
    /// strings 0 to 2), then `data`.
    fn sheet(data: &str) -> Vec<u8> {
        let header = r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c></row>"#;
        book(
            &[("Results", "visible", &format!("{header}{data}"))],
            0,
            &["code", "value", "note", "M1"],
        )
    }

    fn rows(bytes: &[u8]) -> Vec<SheetRow> {
        match read_sheet(bytes, soon()) {
            Ok(rows) => rows,
            Err(e) => panic!("refused: {e}"),
        }
    }

    fn refusal(bytes: &[u8]) -> String {
        match read_sheet(bytes, soon()) {
            Err(ApiError::BadUserInput(m)) => m,
            other => panic!("expected a BAD_USER_INPUT refusal, got {other:?}"),
        }
    }

    #[test]
    fn a_cell_at_xfd1048576_costs_nothing_and_is_ignored() {
        let r = rows(&sheet(
            r#"<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>5</v></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
        ));
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].row, r[0].get("code"), r[0].get("value")),
            (2, Some("M1"), Some("5"))
        );
    }

    #[test]
    fn a_cell_outside_the_grid_is_refused() {
        let m = refusal(&sheet(r#"<row r="2"><c r="XFE2"><v>1</v></c></row>"#));
        assert!(m.contains("16,384"), "{m}");
    }

    #[test]
    fn a_formula_without_a_saved_value_is_a_row_error_on_its_column() {
        let r = rows(&sheet(
            r#"<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><f>SUM(D2:E2)</f></c></row><row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><f>1+1</f><v>2</v></c></row>"#,
        ));
        assert!(
            matches!(r[0].problems.as_slice(), [(Some("value"), m)] if m.contains("no saved value")),
            "{r:?}"
        );
        assert_eq!(r[0].get("value"), None);
        assert!(r[1].problems.is_empty());
        assert_eq!(r[1].get("value"), Some("2"));
    }

    #[test]
    fn error_cells_and_dates_are_row_errors_naming_their_column() {
        let r = rows(&sheet(
            r#"<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" t="e"><v>#N/A</v></c></row><row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3" s="2"><v>45931</v></c><c r="C3" s="2"><v>45931</v></c></row>"#,
        ));
        assert!(
            matches!(r[0].problems.as_slice(), [(Some("value"), m)] if m.contains("#N/A")),
            "{r:?}"
        );
        assert!(
            matches!(r[1].problems.as_slice(), [(Some("value"), m)] if m.contains("date")),
            "{r:?}"
        );
        // In a note, a date is its text.
        assert_eq!(r[1].get("note"), Some("2025-10-01"));
    }

    #[test]
    fn percentages_read_as_shown() {
        let r = rows(&sheet(
            r#"<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2" s="1"><v>0.85</v></c></row><row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>0.85</v></c></row>"#,
        ));
        assert_eq!(r[0].get("value"), Some("85"));
        assert_eq!(r[1].get("value"), Some("0.85"));
    }

    #[test]
    fn a_merged_cell_reads_as_its_top_left_cell() {
        let data = r#"<row r="2"><c r="A2" t="s"><v>3</v></c><c r="B2"><v>4</v></c><c r="C2" t="s"><v>2</v></c></row><row r="3"><c r="A3" t="s"><v>3</v></c><c r="B3"><v>5</v></c><c r="C3"/></row>"#;
        let bytes = sheet(data);
        let r = rows(&bytes);
        assert_eq!(r[0].get("note"), Some("note"));
        assert_eq!(r[1].get("note"), None);
    }

    #[test]
    fn the_sheet_read_is_results_else_the_active_visible_else_the_first_visible() {
        let header = r#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#;
        let code = |s: usize| format!(r#"{header}<row r="2"><c r="A2" t="s"><v>{s}</v></c></row>"#);
        let (a, b, c) = (code(1), code(2), code(3));
        let strings = ["code", "hidden", "second", "third"];
        let read = |sheets: &[(&str, &str, &str)], active| {
            rows(&book(sheets, active, &strings))
                .first()
                .and_then(|r| r.get("code").map(str::to_owned))
        };
        let hidden_first = [
            ("Old", "hidden", a.as_str()),
            ("Two", "visible", &b),
            ("Three", "visible", &c),
        ];
        assert_eq!(
            read(&hidden_first, 0).as_deref(),
            Some("second"),
            "never a hidden sheet"
        );
        assert_eq!(read(&hidden_first, 2).as_deref(), Some("third"), "the active tab");
        let named = [("Two", "visible", b.as_str()), ("RESULTS", "visible", &c)];
        assert_eq!(
            read(&named, 0).as_deref(),
            Some("third"),
            "the sheet named Results"
        );
        let hidden_results = [("results", "veryHidden", a.as_str()), ("Two", "visible", &b)];
        assert_eq!(read(&hidden_results, 0).as_deref(), Some("second"));
        let m = refusal(&book(&[("Old", "hidden", &a)], 0, &strings));
        assert!(m.contains("no visible worksheet"), "{m}");
    }

    #[test]
    fn a_zip_bomb_stops_at_the_cap() {
        let rows = "<row/>".repeat(4 * 1024 * 1024);
        let m = refusal(&sheet(&rows));
        assert!(m.contains("inflates to more than"), "{m}");
    }

    #[test]
    fn the_shared_strings_are_bounded_before_the_workbook_opens() {
        // A `uniqueCount` calamine would reserve room for.
        let mut bytes = sheet("");
        let declared = format!(r#"<sst xmlns="{MAIN}" uniqueCount="4">"#);
        let lie = format!(r#"<sst xmlns="{MAIN}" uniqueCount="99999999999999">"#);
        bytes = replace_part(&bytes, "xl/sharedStrings.xml", |x| x.replace(&declared, &lie));
        assert!(refusal(&bytes).contains("different texts"));
        // One string larger than the part's cap.
        let huge = "x".repeat(MAX_SHARED_STRINGS_BYTES as usize + 1);
        let bytes = book(&[("Results", "visible", "")], 0, &["code", &huge]);
        assert!(refusal(&bytes).contains("inflates to more than"));
        // Too many strings, however short.
        let many = vec!["a"; MAX_SHARED_STRINGS + 1];
        assert!(refusal(&book(&[("Results", "visible", "")], 0, &many)).contains("different texts"));
    }

    /// The workbook with one part's XML rewritten.
    fn replace_part(bytes: &[u8], name: &str, edit: impl Fn(String) -> String) -> Vec<u8> {
        let Ok(mut archive) = zip::ZipArchive::new(Cursor::new(bytes)) else {
            return Vec::new();
        };
        let mut parts = Vec::new();
        for i in 0..archive.len() {
            let Ok(mut f) = archive.by_index(i) else { continue };
            let part = f.name().map(|n| n.to_string()).unwrap_or_default();
            let mut body = String::new();
            let _ = f.read_to_string(&mut body);
            let body = if part == name { edit(body) } else { body };
            parts.push((part, body.into_bytes()));
        }
        let parts: Vec<(&str, &[u8])> = parts.iter().map(|(n, b)| (n.as_str(), b.as_slice())).collect();
        zip(&parts)
    }

    #[test]
    fn too_many_cells_or_entries_are_refused() {
        let row = format!("<row>{}</row>", "<c><v>1</v></c>".repeat(100));
        let m = refusal(&sheet(&row.repeat(MAX_SHEET_CELLS / 100 + 1)));
        assert!(m.contains("cells"), "{m}");
        let names: Vec<String> = (0..=MAX_ZIP_ENTRIES).map(|i| format!("x/{i}")).collect();
        let parts: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
        assert!(refusal(&zip(&parts)).contains("parts"));
    }

    #[test]
    fn broken_archives_are_refused_as_unreadable() {
        let good = sheet(r#"<row r="2"><c r="A2" t="s"><v>3</v></c></row>"#);
        let truncated = &good[..good.len() / 2];
        assert!(refusal(truncated).contains("cannot be read"));
        let mut corrupt = good.clone();
        for b in corrupt.iter_mut().skip(100).take(200) {
            *b = b.wrapping_mul(31).wrapping_add(7);
        }
        assert!(matches!(
            read_sheet(&corrupt, soon()),
            Err(ApiError::BadUserInput(_))
        ));
        assert!(refusal(b"PK\x03\x04 and then nothing").contains("cannot be read"));
    }

    #[test]
    fn the_deadline_stops_a_workbook_being_read() {
        let bytes = sheet(r#"<row r="2"><c r="A2" t="s"><v>3</v></c></row>"#);
        assert!(matches!(
            read_sheet(&bytes, Instant::now()),
            Err(ApiError::Timeout(_))
        ));
    }

    #[tokio::test]
    async fn a_cell_reference_too_long_for_the_reader_is_the_files_fault() {
        let bytes = sheet(
            r#"<row r="2"><c r="ZZZZZZZZZZZZZZ2"><v>1</v></c><c r="A99999999999999"><v>1</v></c></row>"#,
        );
        let refused = super::super::parse(&bytes).await;
        assert!(matches!(refused, Err(ApiError::BadUserInput(_))), "{refused:?}");
    }
}
