//! Spreadsheets out: `GET /plans/{planId}/template.xlsx|csv`,
//! `targets.xlsx|csv` and `report.xlsx|csv`. Each reads through the public
//! GraphQL schema, as the caller (same bearer token, same visibility rules,
//! one read snapshot), so a sheet never shows what the caller could not
//! query; this module only lays the answer out.

mod report;
mod targets;
mod template;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use async_graphql::{Request, Variables};
use rust_xlsxwriter::{Color, DataValidation, DataValidationRule, Format, Workbook, XlsxError};
use schema::Session;
use schema::error::{ApiError, Code};
use serde::Deserialize;
use serde_json::Value;

use crate::graphql::{Answer, execute, refuse, session_of};
use crate::state::State;

/// A cell of a sheet.
pub enum Cell {
    Text(String),
    Number(f64),
    /// A RAG status: the word, in its colour.
    Status(String),
    Empty,
}

impl Cell {
    fn text(v: &Value) -> Cell {
        match v.as_str() {
            Some(s) => Cell::Text(s.to_owned()),
            None => Cell::Empty,
        }
    }

    fn number(v: &Value) -> Cell {
        v.as_f64().map_or(Cell::Empty, Cell::Number)
    }
}

/// One worksheet: its name, header, column widths and rows.
pub struct Sheet {
    pub name: &'static str,
    pub header: Vec<String>,
    pub widths: Vec<f64>,
    pub rows: Vec<Vec<Cell>>,
    /// Rows whose `value` column (by index) takes a percentage: 0 to 100.
    pub percent: Option<(usize, Vec<usize>)>,
}

fn status_color(status: &str) -> Color {
    match status {
        "BLUE" => Color::RGB(0xBDD7EE),
        "GREEN" => Color::RGB(0xC6EFCE),
        "AMBER" => Color::RGB(0xFFEB9C),
        "RED" => Color::RGB(0xFFC7CE),
        _ => Color::RGB(0xD9D9D9),
    }
}

/// An XLSX workbook of the sheets: bold frozen header, widths, coloured
/// statuses, percentage validation. Text is always written as a string
/// cell, so text beginning `=` is never run as a formula.
fn xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for s in sheets {
        let ws = book.add_worksheet();
        ws.set_name(s.name)?;
        for (c, h) in s.header.iter().enumerate() {
            let c = col(c);
            ws.write_string_with_format(0, c, h, &bold)?;
            ws.set_column_width(c, s.widths.get(usize::from(c)).copied().unwrap_or(12.0))?;
        }
        ws.set_freeze_panes(1, 0)?;
        for (r, line) in s.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in line.iter().enumerate() {
                let c = col(c);
                match cell {
                    Cell::Text(t) => {
                        ws.write_string(r, c, t)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, c, *n)?;
                    }
                    Cell::Status(t) => {
                        let f = Format::new().set_background_color(status_color(t));
                        ws.write_string_with_format(r, c, t, &f)?;
                    }
                    Cell::Empty => {}
                }
            }
        }
        if let Some((value_col, rows)) = &s.percent {
            let dv = DataValidation::new()
                .allow_decimal_number(DataValidationRule::Between(0.0, 100.0))
                .set_error_message("A percentage between 0 and 100")?;
            for r in rows {
                let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
                ws.add_data_validation(r, col(*value_col), r, col(*value_col), &dv)?;
            }
        }
    }
    book.save_to_buffer()
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// Text a spreadsheet would run as a formula, made inert the way OWASP
/// advises: a leading apostrophe.
pub fn csv_text(t: &str) -> String {
    if t.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{t}")
    } else {
        t.to_owned()
    }
}

fn csv(sheet: &Sheet) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(sheet.header.iter().map(|h| csv_text(h)))?;
    for line in &sheet.rows {
        w.write_record(line.iter().map(|c| match c {
            Cell::Text(t) | Cell::Status(t) => csv_text(t),
            Cell::Number(n) => n.to_string(),
            Cell::Empty => String::new(),
        }))?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[derive(Deserialize)]
pub struct Params {
    period: String,
}

/// What a sheet endpoint serves, named by the path's last segment.
enum Kind {
    Template,
    Targets,
    Report,
}

/// `GET /plans/{planId}/{template|targets|report}.{xlsx|csv}?period=P`.
pub async fn get(
    state: web::Data<State>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    params: Result<web::Query<Params>, actix_web::Error>,
) -> HttpResponse {
    let (plan_id, file) = path.into_inner();
    let (kind, format) = match file.as_str() {
        "template.xlsx" => (Kind::Template, "xlsx"),
        "template.csv" => (Kind::Template, "csv"),
        "targets.xlsx" => (Kind::Targets, "xlsx"),
        "targets.csv" => (Kind::Targets, "csv"),
        "report.xlsx" => (Kind::Report, "xlsx"),
        "report.csv" => (Kind::Report, "csv"),
        _ => return refuse(&ApiError::NotFound(format!("sheet {file}"))),
    };
    let Ok(params) = params else {
        return refuse(&ApiError::BadRequest(
            "name the period: ?period=2024-25 Q1".to_owned(),
        ));
    };
    let session = match session_of(&state, &req).await {
        Ok(s) => s,
        Err(e) => return refuse(&e),
    };
    let sheets = match kind {
        Kind::Template => template::sheets(&state, &req, &session, &plan_id, &params.period).await,
        Kind::Targets => targets::sheets(&state, &req, &session, &plan_id, &params.period).await,
        Kind::Report => report::sheets(&state, &req, session, &plan_id, &params.period).await,
    };
    let sheets = match sheets {
        Ok(s) => s,
        Err(e) => return refuse(&e),
    };
    let (body, media) = if format == "xlsx" {
        (
            xlsx(&sheets).map_err(ApiError::internal),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    } else {
        // A CSV holds one sheet: the template's or the targets' rows, the
        // report's measures.
        let main = sheets
            .iter()
            .find(|s| ["Results", "Targets", "Measures"].contains(&s.name));
        (
            main.ok_or(ApiError::Internal)
                .and_then(|s| csv(s).map_err(ApiError::internal)),
            "text/csv; charset=utf-8",
        )
    };
    match body {
        Ok(body) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, media))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"plan-{plan_id}-{file}\""),
            ))
            .body(body),
        Err(e) => refuse(&e),
    }
}

/// Runs `query` as the caller, through the same limits and read snapshot as
/// `/graphql`; the first error refuses the whole sheet with its code.
pub(crate) async fn query(
    state: &State,
    req: &HttpRequest,
    session: Session,
    query: &str,
    variables: Value,
) -> Result<Value, ApiError> {
    let r = Request::new(query).variables(Variables::from_json(variables));
    let resp = match execute(state, &crate::graphql::request_id(req), r, session).await {
        Answer::Run(resp) => resp,
        // A kept answer has no errors: its data is the sheet's.
        Answer::Kept(e) => {
            let mut body: Value = serde_json::from_slice(&e.body).map_err(ApiError::internal)?;
            return Ok(body["data"].take());
        }
    };
    if let Some(e) = resp.errors.first() {
        let code = e
            .extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .map(|c| c.to_string().trim_matches('"').to_owned())
            .unwrap_or_default();
        return Err(match code.as_str() {
            c if c == Code::Forbidden.as_str() => ApiError::Forbidden(e.message.clone()),
            c if c == Code::Unauthenticated.as_str() => ApiError::Unauthenticated,
            c if c == Code::Unavailable.as_str() => ApiError::Unavailable,
            c if c == Code::Internal.as_str() => ApiError::Internal,
            _ => ApiError::BadRequest(e.message.clone()),
        });
    }
    serde_json::to_value(&resp.data).map_err(ApiError::internal)
}
