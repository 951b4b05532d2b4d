//! `importResults`: a results sheet uploaded over the GraphQL multipart
//! request spec, checked row by row by the use cases of `submitResults` and
//! `setTarget` (`service::sheet`), all or nothing.

use std::io::Read;

use async_graphql::{Context, ID, Object, Result, SimpleObject, Upload};
use entity::Period;

use super::MeasureResult;
use super::measure::rated_then;
use crate::context::{database, request};
use crate::error::{ApiError, Gql};
use crate::service;
use crate::service::import::sheet::MAX_SHEET_BYTES;
use crate::store::write::Finish;

#[derive(Default)]
pub struct SheetMutation;

/// A refused row of a sheet.
#[derive(SimpleObject)]
pub struct ImportError {
    /// The sheet's own row number: the header is row 1.
    row: i32,
    /// The column at fault, by its header; null when the row as a whole is.
    column: Option<String>,
    /// The error code, as an error's `extensions.code` would carry it.
    code: String,
    /// What is wrong, for a person.
    message: String,
}

/// What an import read, wrote or refused.
#[derive(SimpleObject)]
pub struct ImportReport {
    /// Whether the sheet was written: never on a dry run or with errors.
    applied: bool,
    /// Data rows read (blank rows are not counted).
    rows: i32,
    /// Rows with a value: results submitted (or that would be, on a dry run).
    results: i32,
    /// Rows with a target: targets set (or that would be, on a dry run).
    targets: i32,
    /// Every refused row; none were written if there are any.
    errors: Vec<ImportError>,
    /// The measures written, rated; empty on a dry run, which writes nothing.
    preview: Vec<MeasureResult>,
}

fn int(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object]
impl SheetMutation {
    /// Results, targets and floors from a CSV or XLSX sheet (a filled-in
    /// template): all or nothing, every bad row reported.
    async fn import_results(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan the sheet's measure codes belong to (its global id).")] plan_id: ID,
        #[graphql(desc = "The period of rows that name none.")] period: Option<Period>,
        #[graphql(desc = "The sheet, CSV or XLSX (GraphQL multipart upload).")] file: Upload,
        #[graphql(default = false, desc = "Check every row and write nothing.")] dry_run: bool,
    ) -> Result<ImportReport> {
        // A client can name a file it never sent (`Upload::value` would
        // panic on the index): its mistake, not ours.
        if *file >= ctx.query_env.uploads.len() {
            return Err(ApiError::BadUserInput(
                "no such file: send it as a multipart upload".to_owned(),
            ))
            .gql();
        }
        let upload = file.value(ctx).map_err(ApiError::internal).gql()?;
        let mut bytes = Vec::new();
        // One byte more than allowed tells a file too large.
        upload
            .into_read()
            .take(MAX_SHEET_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(ApiError::internal)
            .gql()?;
        let request = request(ctx)?;
        request.forget();
        let (mut out, passed) =
            service::sheet::import_sheet(database(ctx)?, &request.viewer, &plan_id, period, &bytes)
                .await
                .gql()?;
        // A dry run rates what it would write, inside its own transaction,
        // as the caller would see it, and rolls it back.
        let preview = match passed {
            Some(w) => {
                let finish = if dry_run { Finish::RollBack } else { Finish::Commit };
                let rated = rated_then(ctx, w, finish, &out.written).await?;
                out.applied = !dry_run;
                rated
            }
            None => Vec::new(),
        };
        Ok(ImportReport {
            applied: out.applied,
            rows: int(out.rows),
            results: int(out.results),
            targets: int(out.targets),
            errors: out
                .errors
                .into_iter()
                .map(|e| ImportError {
                    row: int(e.row),
                    column: e.column.map(str::to_owned),
                    code: e.code.as_str().to_owned(),
                    message: e.message,
                })
                .collect(),
            preview,
        })
    }
}
