//! Reading a results sheet (a filled-in template, or any sheet with the
//! same column names) from CSV or XLSX into rows of text, the same for an
//! upload and for `councilperf import`: one code path.
//!
//! How cells read, as a performance officer would expect:
//! - columns are found by their header name (row 1) in any case; others
//!   are ignored, and never kept in memory;
//! - a number is its value; a cell formatted as a percentage reads as the
//!   percentage shown (Excel stores 85% as 0.85: we read 85, the figure the
//!   officer typed, since our percentages are 0 to 100);
//! - a blank cell is no value; a row blank in every column we read is skipped;
//! - what cannot be a figure the officer meant (a formula with no saved
//!   value, an error cell, a date where a number or code goes, a quote that
//!   never closes) is a problem of its row and column, reported with the
//!   other bad rows, never a silent blank.
//!
//! Any file a signed-in caller sends is bounded before and while it is
//! read (`xlsx` for the zip's limits): the reader keeps at most
//! [`MAX_SHEET_ROWS`] rows of six columns, and gives up at a deadline. It
//! runs on tokio's blocking pool, a few at a time ([`parse`]), so a heavy
//! sheet never holds up the workers that answer other requests.

mod archive;
mod csv;
mod xlsx;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use crate::error::{ApiError, ApiResult};

/// The largest sheet accepted, in bytes.
pub const MAX_SHEET_BYTES: usize = 5 * 1024 * 1024;
/// The most data rows a sheet may hold.
pub const MAX_SHEET_ROWS: usize = 10_000;
/// The most text the columns read may hold in all, in bytes: a 10,000-row
/// sheet of codes, figures and short notes holds about 2 MB. Cells can
/// repeat one shared string, so this bounds the copies, not the file.
pub const MAX_SHEET_TEXT_BYTES: usize = 16 * 1024 * 1024;
/// How long reading one sheet may take, waiting for a slot included: well
/// inside the operation's own time limit, so the answer says why.
pub const SHEET_TIME_LIMIT: Duration = Duration::from_secs(10);
/// Sheets read at once: each may take a few tens of megabytes while read,
/// and the blocking pool's threads are shared with the database driver.
const SHEETS_AT_ONCE: usize = 2;

/// The columns read, by header name (any case).
pub const COLUMNS: [&str; 9] = [
    "code", "period", "value", "target", "floor", "note", "quality", "as_at", "forecast",
];

/// One data row: its number on the sheet (the header is row 1), the text
/// of each column of [`COLUMNS`] it has (`None` when blank), and what in
/// it cannot be read, by column (`None`: no column the sheet's header names).
#[derive(Debug, Clone)]
pub struct SheetRow {
    pub row: usize,
    pub cells: [Option<String>; COLUMNS.len()],
    pub problems: Vec<(Option<&'static str>, String)>,
}

impl SheetRow {
    pub fn get(&self, column: &str) -> Option<&str> {
        COLUMNS
            .iter()
            .position(|c| *c == column)
            .and_then(|i| self.cells[i].as_deref())
    }
}

/// Reads the sheet off the request's worker, at most [`SHEETS_AT_ONCE`]
/// at a time, within [`SHEET_TIME_LIMIT`] from now.
pub async fn parse(bytes: &[u8]) -> ApiResult<Vec<SheetRow>> {
    static SLOTS: Semaphore = Semaphore::const_new(SHEETS_AT_ONCE);
    let deadline = Instant::now() + SHEET_TIME_LIMIT;
    let timeout = || ApiError::Timeout(SHEET_TIME_LIMIT);
    let slot = tokio::time::timeout_at(deadline.into(), SLOTS.acquire())
        .await
        .map_err(|_| timeout())?
        .map_err(ApiError::internal)?;
    let bytes: Arc<[u8]> = Arc::from(bytes);
    // The slot goes with the thread: a request dropped meanwhile leaves the
    // reader to stop at its own deadline, still counted.
    let task = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        read(&bytes, deadline)
    });
    match task.await {
        Ok(rows) => rows,
        // The reader's dependencies assume well-formed input in places (a
        // cell reference too long for its integer): a file that trips one
        // is the sender's unreadable file, not a fault of the server.
        Err(e) if e.is_panic() => {
            tracing::warn!(cause = %e, "a sheet's reader panicked");
            Err(ApiError::BadUserInput(
                "the file cannot be read as XLSX or CSV".to_owned(),
            ))
        }
        Err(e) => Err(ApiError::internal(e)),
    }
}

/// An XLSX file is a zip archive, which begins with these bytes.
fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// A legacy `.xls` workbook, or an XLSX saved with a password, is an OLE
/// compound file, which begins with these bytes.
fn is_compound_file(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// The sheet's rows, told CSV or XLSX by content, read before `deadline`.
pub fn read(bytes: &[u8], deadline: Instant) -> ApiResult<Vec<SheetRow>> {
    if bytes.len() > MAX_SHEET_BYTES {
        return Err(ApiError::BadUserInput(format!(
            "the file is {} bytes; at most {MAX_SHEET_BYTES} are accepted",
            bytes.len()
        )));
    }
    if is_compound_file(bytes) {
        return Err(ApiError::BadUserInput(
            "the file is an old-format .xls workbook or has a password: save it as .xlsx without a password, or as CSV"
                .to_owned(),
        ));
    }
    let mut table = Table::new(deadline);
    table.in_time()?;
    if is_zip(bytes) {
        xlsx::read(bytes, &mut table)?;
    } else {
        csv::read(bytes, &mut table)?;
    }
    table.finish()
}

/// What a cell of a column read holds.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Text(String),
    /// `percent`: formatted as a percentage, so it reads as shown.
    Number {
        value: f64,
        percent: bool,
    },
    /// Why the cell cannot be read.
    Problem(String),
}

impl Cell {
    fn text(s: &str) -> Option<Cell> {
        let s = s.trim();
        (!s.is_empty()).then(|| Cell::Text(s.to_owned()))
    }
}

/// A number as a sheet shows it, rounded so 0.1 × 100 reads 10, not
/// 10.000000000000002.
fn shown(value: f64, percent: bool) -> String {
    let n = if percent { value * 100.0 } else { value };
    ((n * 1e9).round() / 1e9).to_string()
}

/// One row of the columns read, as it fills.
#[derive(Debug, Default)]
struct Line {
    cells: [Option<Cell>; COLUMNS.len()],
    problems: Vec<(Option<&'static str>, String)>,
}

/// The sheet as read: the header's columns and, for each row that says
/// anything in them, its cells; sparse, so a cell far off costs nothing.
struct Table {
    deadline: Instant,
    /// The sheet column (from 0) of each of [`COLUMNS`], from the header row.
    at: [Option<u32>; COLUMNS.len()],
    /// Whether the header row had any cell at all.
    header_seen: bool,
    /// Whether a row below the header has been read: the header is complete.
    body_started: bool,
    /// By the sheet's row index (from 0; the header is 0).
    lines: BTreeMap<u32, Line>,
    text_bytes: usize,
}

impl Table {
    fn new(deadline: Instant) -> Self {
        Table {
            deadline,
            at: [None; COLUMNS.len()],
            header_seen: false,
            body_started: false,
            lines: BTreeMap::new(),
            text_bytes: 0,
        }
    }

    /// Refuses to go on past the deadline.
    fn in_time(&self) -> ApiResult<()> {
        if Instant::now() >= self.deadline {
            return Err(ApiError::Timeout(SHEET_TIME_LIMIT));
        }
        Ok(())
    }

    /// A cell of the header row: the leftmost cell naming a column wins.
    fn header(&mut self, column: u32, text: &str) -> ApiResult<()> {
        if self.body_started {
            return Err(ApiError::BadUserInput(
                "the sheet's first row comes after others in the file: save it again from a spreadsheet program"
                    .to_owned(),
            ));
        }
        self.header_seen = true;
        let text = text.trim();
        if let Some(i) = COLUMNS.iter().position(|c| text.eq_ignore_ascii_case(c))
            && self.at[i].is_none_or(|c| column < c)
        {
            self.at[i] = Some(column);
        }
        Ok(())
    }

    /// Which of [`COLUMNS`] a sheet column is, if the header names it;
    /// asked for every cell below the header, which is then complete.
    fn column(&mut self, column: u32) -> Option<usize> {
        self.body_started = true;
        self.at.iter().position(|c| *c == Some(column))
    }

    /// The row's line, made when the row first says something.
    fn line(&mut self, row: u32) -> ApiResult<&mut Line> {
        if !self.lines.contains_key(&row) && self.lines.len() >= MAX_SHEET_ROWS {
            return Err(ApiError::BadUserInput(format!(
                "the sheet has more than {MAX_SHEET_ROWS} rows"
            )));
        }
        Ok(self.lines.entry(row).or_default())
    }

    /// Keeps a cell of a column read (`column`: its index in [`COLUMNS`]).
    fn put(&mut self, row: u32, column: usize, cell: Cell) -> ApiResult<()> {
        if let Cell::Text(s) | Cell::Problem(s) = &cell {
            self.text_bytes += s.len();
            if self.text_bytes > MAX_SHEET_TEXT_BYTES {
                return Err(ApiError::BadUserInput(format!(
                    "the sheet's columns hold more than {MAX_SHEET_TEXT_BYTES} bytes of text"
                )));
            }
        }
        self.line(row)?.cells[column] = Some(cell);
        Ok(())
    }

    /// A problem of a row not tied to a cell the header names.
    fn problem(&mut self, row: u32, column: Option<usize>, message: String) -> ApiResult<()> {
        match column {
            Some(i) => self.put(row, i, Cell::Problem(message)),
            None => {
                self.line(row)?.problems.push((None, message));
                Ok(())
            }
        }
    }

    /// A number read, in a column read, formatted as a percentage.
    fn mark_percent(&mut self, row: u32, column: u32) {
        let Some(i) = self.at.iter().position(|c| *c == Some(column)) else {
            return;
        };
        if let Some(Some(Cell::Number { percent, .. })) = self.lines.get_mut(&row).map(|l| &mut l.cells[i]) {
            *percent = true;
        }
    }

    /// Whether any number was kept (percentages matter only then).
    fn has_numbers(&self) -> bool {
        self.lines
            .values()
            .any(|l| l.cells.iter().any(|c| matches!(c, Some(Cell::Number { .. }))))
    }

    fn finish(self) -> ApiResult<Vec<SheetRow>> {
        if !self.header_seen {
            return Err(ApiError::BadUserInput(
                "the sheet is empty: it needs a header row".to_owned(),
            ));
        }
        if self.at[0].is_none() {
            return Err(ApiError::BadUserInput(
                "the sheet has no `code` column in its first row".to_owned(),
            ));
        }
        Ok(self
            .lines
            .into_iter()
            .map(|(row, line)| {
                let mut problems = Vec::new();
                let mut cells: [Option<String>; COLUMNS.len()] = Default::default();
                for (i, cell) in line.cells.into_iter().enumerate() {
                    cells[i] = match cell {
                        None => None,
                        Some(Cell::Text(s)) => Some(s),
                        Some(Cell::Number { value, percent }) => Some(shown(value, percent)),
                        Some(Cell::Problem(m)) => {
                            problems.push((Some(COLUMNS[i]), m));
                            None
                        }
                    };
                }
                problems.extend(line.problems);
                SheetRow {
                    row: row as usize + 1,
                    cells,
                    problems,
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn soon() -> Instant {
        Instant::now() + Duration::from_secs(30)
    }

    #[test]
    fn csv_columns_by_name_any_case_others_ignored() {
        let rows = read(b"Title,CODE,Value,note\nx,A1,85,\n,,,\ny,A2,,late\n", soon()).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[0].get("code"), Some("A1"));
        assert_eq!(rows[0].get("value"), Some("85"));
        assert_eq!(rows[1].row, 4);
        assert_eq!(rows[1].get("value"), None);
        assert_eq!(rows[1].get("note"), Some("late"));
    }

    #[test]
    fn numbers_read_as_shown() {
        assert_eq!(shown(0.85, true), "85");
        assert_eq!(shown(0.1, true), "10");
        assert_eq!(shown(0.85, false), "0.85");
        assert_eq!(Cell::text("  "), None);
    }

    #[test]
    fn too_many_rows_refused() {
        let mut body = String::from("code,value\n");
        for i in 0..=MAX_SHEET_ROWS {
            body.push_str(&format!("M{i},1\n"));
        }
        assert!(matches!(
            read(body.as_bytes(), soon()),
            Err(ApiError::BadUserInput(_))
        ));
        let fits: String = body
            .lines()
            .take(MAX_SHEET_ROWS + 1)
            .collect::<Vec<_>>()
            .join("\n");
        assert_eq!(
            read(fits.as_bytes(), soon()).map(|r| r.len()).ok(),
            Some(MAX_SHEET_ROWS)
        );
    }

    #[test]
    fn a_sheet_without_a_code_column_or_header_is_refused() {
        assert!(matches!(read(b"value\n1\n", soon()), Err(ApiError::BadUserInput(m)) if m.contains("code")));
        assert!(matches!(read(b"", soon()), Err(ApiError::BadUserInput(m)) if m.contains("empty")));
    }

    #[test]
    fn past_the_deadline_the_reader_stops_with_a_timeout() {
        assert!(matches!(
            read(b"code\nA1\n", Instant::now()),
            Err(ApiError::Timeout(_))
        ));
    }

    #[test]
    fn text_copied_from_cells_is_bounded() {
        let mut table = Table::new(soon());
        assert!(table.header(0, "note").is_ok() && table.header(1, "code").is_ok());
        let big = "x".repeat(MAX_SHEET_TEXT_BYTES / 4 + 1);
        let mut refused = None;
        for row in 1..10 {
            if let Err(e) = table.put(row, 5, Cell::Text(big.clone())) {
                refused = Some((row, e));
                break;
            }
        }
        assert!(
            matches!(refused, Some((4, ApiError::BadUserInput(_)))),
            "{refused:?}"
        );
    }

    #[test]
    fn an_old_xls_or_a_password_is_named() {
        let cfb = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0];
        assert!(matches!(read(&cfb, soon()), Err(ApiError::BadUserInput(m)) if m.contains(".xls")));
    }

    #[tokio::test]
    async fn parse_runs_the_reader_off_the_worker() {
        let rows = parse(b"code,value\nA1,1\n").await.unwrap_or_default();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].get("value"), Some("1"));
    }
}
