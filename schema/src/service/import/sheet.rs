//! Reading a results sheet (a filled-in template, or any sheet with the
//! same column names) from CSV or XLSX into rows of text, the same for an
//! upload and for `councilperf import`: one code path.
//!
//! How cells read, as a performance officer would expect:
//! - columns are found by their header name in any case; others are ignored;
//! - a number is its value; a cell formatted as a percentage reads as the
//!   percentage shown (Excel stores 85% as 0.85: we read 85, the figure the
//!   officer typed, since our percentages are 0 to 100);
//! - a blank cell is no value; a row blank in every column we read is skipped;
//! - a date or an error cell is no number: it reaches validation as text and
//!   is refused there with the row and column.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};

use crate::error::{ApiError, ApiResult};

/// The largest sheet accepted, in bytes.
pub const MAX_SHEET_BYTES: usize = 5 * 1024 * 1024;
/// The most data rows a sheet may hold.
pub const MAX_SHEET_ROWS: usize = 10_000;

/// The columns read, by header name (any case).
pub const COLUMNS: [&str; 6] = ["code", "period", "value", "target", "floor", "note"];

/// One data row: its number on the sheet (the header is row 1) and the
/// text of each column of [`COLUMNS`] it has, `None` when blank.
#[derive(Debug, Clone)]
pub struct SheetRow {
    pub row: usize,
    pub cells: [Option<String>; 6],
}

impl SheetRow {
    pub fn get(&self, column: &str) -> Option<&str> {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.cells[i].as_deref())
    }
}

/// An XLSX file is a zip archive, which begins with these bytes.
fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The sheet's rows, told CSV or XLSX by content.
pub fn read(bytes: &[u8]) -> ApiResult<Vec<SheetRow>> {
    if bytes.len() > MAX_SHEET_BYTES {
        return Err(ApiError::BadUserInput(format!(
            "the file is {} bytes; at most {MAX_SHEET_BYTES} are accepted",
            bytes.len()
        )));
    }
    let grid = if is_zip(bytes) { xlsx(bytes)? } else { csv(bytes)? };
    rows(grid)
}

/// Finds the columns by header and keeps the rows that say anything.
fn rows(grid: Vec<Vec<Option<String>>>) -> ApiResult<Vec<SheetRow>> {
    let mut lines = grid.into_iter();
    let header = lines
        .next()
        .ok_or_else(|| ApiError::BadUserInput("the sheet is empty: it needs a header row".to_owned()))?;
    let at: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|c| {
            header
                .iter()
                .position(|h| h.as_deref().is_some_and(|h| h.trim().eq_ignore_ascii_case(c)))
        })
        .collect();
    if at[0].is_none() {
        return Err(ApiError::BadUserInput(
            "the sheet has no `code` column in its first row".to_owned(),
        ));
    }
    let mut out = Vec::new();
    for (i, line) in lines.enumerate() {
        let cells: [Option<String>; 6] =
            std::array::from_fn(|c| at[c].and_then(|j| line.get(j).cloned().flatten()));
        if cells.iter().all(Option::is_none) {
            continue;
        }
        if out.len() == MAX_SHEET_ROWS {
            return Err(ApiError::BadUserInput(format!(
                "the sheet has more than {MAX_SHEET_ROWS} rows"
            )));
        }
        out.push(SheetRow { row: i + 2, cells });
    }
    Ok(out)
}

fn text(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

fn csv(bytes: &[u8]) -> ApiResult<Vec<Vec<Option<String>>>> {
    let bad =
        |e: &dyn std::fmt::Display| ApiError::BadUserInput(format!("the file is neither XLSX nor CSV: {e}"));
    let body = std::str::from_utf8(bytes).map_err(|e| bad(&e))?;
    // Spreadsheets save CSV with a byte order mark.
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let mut grid = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes());
    for record in reader.records() {
        let record = record.map_err(|e| bad(&e))?;
        grid.push(record.iter().map(text).collect());
        // The header is one more than the rows allowed.
        if grid.len() > MAX_SHEET_ROWS + 1 {
            break;
        }
    }
    Ok(grid)
}

fn xlsx(bytes: &[u8]) -> ApiResult<Vec<Vec<Option<String>>>> {
    let bad =
        |e: &dyn std::fmt::Display| ApiError::BadUserInput(format!("the XLSX file cannot be read: {e}"));
    let mut book: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| bad(&e))?;
    let name = book
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| ApiError::BadUserInput("the workbook has no sheet".to_owned()))?;
    let range = book.worksheet_range(&name).map_err(|e| bad(&e))?;
    let styles = book.worksheet_style(&name).map_err(|e| bad(&e))?;
    let Some((top, left)) = range.start() else {
        return Ok(Vec::new());
    };
    let mut grid = Vec::new();
    for (r, line) in range.rows().enumerate().take(MAX_SHEET_ROWS + 2) {
        let row = top + u32::try_from(r).unwrap_or(u32::MAX);
        // Leading empty rows and columns still count, as the sheet numbers them.
        while grid.len() < row as usize {
            grid.push(Vec::new());
        }
        let mut cells: Vec<Option<String>> = vec![None; left as usize];
        for (c, cell) in line.iter().enumerate() {
            let col = left + u32::try_from(c).unwrap_or(u32::MAX);
            let percent = styles
                .get((row, col))
                .and_then(|s| s.number_format.as_ref())
                .is_some_and(|f| f.format_code.contains('%'));
            cells.push(cell_text(cell, percent));
        }
        grid.push(cells);
    }
    Ok(grid)
}

fn cell_text(cell: &Data, percent: bool) -> Option<String> {
    let number = |f: f64| Some(if percent { f * 100.0 } else { f });
    let n = match cell {
        Data::Empty => None,
        Data::Int(i) => number(*i as f64),
        Data::Float(f) => number(*f),
        Data::String(s) => return text(s),
        Data::Bool(b) => return Some(b.to_string()),
        Data::DateTime(d) => return Some(format!("date {}", d.as_f64())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => return Some(format!("date {s}")),
        Data::Error(e) => return Some(format!("error {e}")),
    };
    // Rounded to what a sheet shows, so 0.1 × 100 reads 10, not 10.000000000000002.
    n.map(|f| {
        let r = (f * 1e9).round() / 1e9;
        r.to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_columns_by_name_any_case_others_ignored() {
        let rows = read(b"Title,CODE,Value,note\nx,A1,85,\n,,,\ny,A2,,late\n").unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].get("code"), Some("A1"));
        assert_eq!(rows[0].get("value"), Some("85"));
        assert_eq!(rows[1].row, 4);
        assert_eq!(rows[1].get("value"), None);
        assert_eq!(rows[1].get("note"), Some("late"));
    }

    #[test]
    fn percentages_read_as_shown() {
        assert_eq!(cell_text(&Data::Float(0.85), true).as_deref(), Some("85"));
        assert_eq!(cell_text(&Data::Float(0.1), true).as_deref(), Some("10"));
        assert_eq!(cell_text(&Data::Float(0.85), false).as_deref(), Some("0.85"));
        assert_eq!(cell_text(&Data::String("  ".into()), false), None);
    }

    #[test]
    fn too_many_rows_refused() {
        let mut body = String::from("code,value\n");
        for i in 0..=MAX_SHEET_ROWS {
            body.push_str(&format!("M{i},1\n"));
        }
        assert!(read(body.as_bytes()).is_err());
    }
}
