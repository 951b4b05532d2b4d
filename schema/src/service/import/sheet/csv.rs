//! CSV as spreadsheets save it: comma-separated, fields optionally in
//! double quotes (a quote inside doubled), records ending in CR, LF or
//! CRLF; UTF-8 with or without a byte order mark, or Windows-1252 (what
//! Excel's plain "CSV" saves on a UK machine) when the bytes are not UTF-8.

use std::borrow::Cow;

use super::{Cell, Table};
use crate::error::{ApiError, ApiResult};

/// Fields read between two looks at the clock.
const FIELDS_PER_CHECK: usize = 4096;

/// Windows-1252's characters for the bytes 0x80 to 0x9F, where it departs
/// from Latin-1 (the five bytes it leaves undefined map to the C1
/// controls, as browsers decode them).
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

fn windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// The file's text: UTF-8 (a byte order mark dropped), else Windows-1252.
fn decode(bytes: &[u8]) -> Cow<'_, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(windows_1252(bytes)),
    }
}

/// Reads the CSV into `table`: record 1 is the header.
pub(super) fn read(bytes: &[u8], table: &mut Table) -> ApiResult<()> {
    if bytes.contains(&0) {
        return Err(ApiError::BadUserInput(
            "the file holds NUL bytes, so it is neither XLSX nor CSV text (a UTF-16 file? save it as CSV UTF-8)"
                .to_owned(),
        ));
    }
    let text = decode(bytes);
    let mut fields = Fields::new(&text);
    let mut read = 0usize;
    while let Some(field) = fields.next_field() {
        read += 1;
        if read.is_multiple_of(FIELDS_PER_CHECK) {
            table.in_time()?;
        }
        match field {
            Field::Value { record, column, text } => keep(table, record, column, text)?,
            Field::Unclosed { record, column } => {
                if record == 0 {
                    return Err(ApiError::BadUserInput(
                        "the header row opens a quote that never closes".to_owned(),
                    ));
                }
                let at = table.column(column);
                return table.problem(
                    record,
                    at,
                    "a quote opens in this row and never closes, so the rest of the file cannot be read: close the quote (a quote inside a quoted field is written twice)"
                        .to_owned(),
                );
            }
        }
    }
    Ok(())
}

fn keep(table: &mut Table, record: u32, column: u32, text: &str) -> ApiResult<()> {
    if record == 0 {
        return table.header(column, text);
    }
    match (table.column(column), Cell::text(text)) {
        (Some(i), Some(cell)) => table.put(record, i, cell),
        _ => Ok(()),
    }
}

enum Field<'a> {
    Value {
        record: u32,
        column: u32,
        text: &'a str,
    },
    /// The file ended inside the quoted field that opened here.
    Unclosed {
        record: u32,
        column: u32,
    },
}

/// The fields of CSV text, one at a time. A field's text borrows the file
/// unless it had a doubled quote to undo.
struct Fields<'a> {
    text: &'a str,
    at: usize,
    record: u32,
    column: u32,
    /// The field just read, with its doubled quotes undone.
    unquoted: String,
    done: bool,
}

impl<'a> Fields<'a> {
    fn new(text: &'a str) -> Self {
        Fields {
            text,
            at: 0,
            record: 0,
            column: 0,
            unquoted: String::new(),
            done: false,
        }
    }

    fn next_field(&mut self) -> Option<Field<'_>> {
        if self.done {
            return None;
        }
        let text = self.text;
        let rest = &text[self.at..];
        if rest.is_empty() {
            self.done = true;
            return None;
        }
        let (record, column) = (self.record, self.column);
        let field = if let Some(quoted) = rest.strip_prefix('"') {
            let Some(len) = self.quoted(quoted) else {
                self.done = true;
                return Some(Field::Unclosed { record, column });
            };
            self.at += 1 + len;
            // Text after the closing quote (`"a"b`) belongs to the field.
            let tail = &text[self.at..];
            let end = tail.find([',', '\r', '\n']).unwrap_or(tail.len());
            self.unquoted.push_str(&tail[..end]);
            self.at += end;
            None
        } else {
            let end = rest.find([',', '\r', '\n']).unwrap_or(rest.len());
            self.at += end;
            Some(&rest[..end])
        };
        let after = &text[self.at..];
        if let Some(next) = after.strip_prefix(',') {
            self.at = text.len() - next.len();
            self.column += 1;
        } else {
            let breaks = if after.starts_with("\r\n") {
                2
            } else {
                after.len().min(1)
            };
            self.at += breaks;
            self.record += 1;
            self.column = 0;
            if self.at == text.len() {
                self.done = true;
            }
        }
        let text = match field {
            Some(t) => t,
            None => self.unquoted.as_str(),
        };
        Some(Field::Value { record, column, text })
    }

    /// Reads a quoted field's content (after its opening quote) into
    /// `unquoted`; its length up to and including the closing quote, or
    /// `None` when the text ends first.
    fn quoted(&mut self, body: &str) -> Option<usize> {
        self.unquoted.clear();
        let mut from = 0;
        loop {
            let q = from + body[from..].find('"')?;
            self.unquoted.push_str(&body[from..q]);
            if body[q + 1..].starts_with('"') {
                self.unquoted.push('"');
                from = q + 2;
            } else {
                return Some(q + 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::soon;
    use super::super::{SheetRow, read as read_sheet};
    use super::*;

    fn rows(bytes: &[u8]) -> Vec<SheetRow> {
        read_sheet(bytes, soon()).unwrap_or_default()
    }

    #[test]
    fn a_byte_order_mark_is_dropped() {
        let r = rows(b"\xEF\xBB\xBFcode,value\nA1,2\n");
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].get("code"), Some("A1"));
    }

    #[test]
    fn windows_1252_is_read_when_the_bytes_are_not_utf8() {
        let r = rows(b"code,value,note\nA1,2,\xA35 a visit \x96 \x93agreed\x94\n");
        assert_eq!(
            r[0].get("note"),
            Some("\u{a3}5 a visit \u{2013} \u{201c}agreed\u{201d}")
        );
        // Valid UTF-8 is never reread as Windows-1252.
        let r = rows("code,note\nA1,£5\n".as_bytes());
        assert_eq!(r[0].get("note"), Some("£5"));
    }

    #[test]
    fn nul_bytes_are_refused() {
        assert!(
            matches!(read_sheet(b"code\0,value\n", soon()), Err(ApiError::BadUserInput(m)) if m.contains("NUL"))
        );
    }

    #[test]
    fn quotes_line_breaks_and_doubled_quotes() {
        let r = rows(b"code,note,value\r\nA1,\"two\r\nlines, \"\"quoted\"\"\",3\r\n\"A2\",x\"y,4\rA3,,5");
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].get("note"), Some("two\r\nlines, \"quoted\""));
        assert_eq!(r[0].get("value"), Some("3"));
        assert_eq!(
            (r[1].row, r[1].get("code"), r[1].get("note")),
            (3, Some("A2"), Some("x\"y"))
        );
        assert_eq!((r[2].row, r[2].get("value")), (4, Some("5")));
    }

    #[test]
    fn an_unterminated_quote_is_an_error_of_the_row_it_opened_in() {
        let mut body = String::from("code,value,note\nA1,1,fine\nA2,2,\"never closed\n");
        for i in 3..100 {
            body.push_str(&format!("A{i},{i},\n"));
        }
        let r = rows(body.as_bytes());
        assert_eq!(r.len(), 2, "{r:?}");
        assert!(r[0].problems.is_empty());
        assert_eq!(r[1].row, 3);
        assert_eq!(r[1].get("code"), Some("A2"));
        assert!(
            matches!(r[1].problems.as_slice(), [(Some("note"), m)] if m.contains("quote")),
            "{r:?}"
        );
        // In a column the sheet does not read, the row is still named.
        let r = rows(b"code,other\nA1,\"open\nA2,x\n");
        assert!(matches!(r[0].problems.as_slice(), [(None, _)]), "{r:?}");
        assert!(read_sheet(b"code,\"value\n", soon()).is_err());
    }

    #[test]
    fn ragged_records_and_a_missing_final_line_break() {
        let r = rows(b"code,value\nA1\nA2,2,extra,cells\nA3,3");
        assert_eq!(r.len(), 3);
        assert_eq!(r[0].get("value"), None);
        assert_eq!(r[1].get("value"), Some("2"));
        assert_eq!(r[2].get("value"), Some("3"));
    }
}
