//! An authority's data out: `councilperf export --authority SLUG DIR`
//! writes the import files into a directory; `GET
//! /authorities/{slug}/export.zip` streams the same files as a ZIP archive
//! to the authority's ADMINs and the platform's, as a blocking task writes
//! it, through a bounded channel, so a slow reader holds back the writer
//! rather than the archive piling up in memory.

use std::io::Write;
use std::path::Path;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use anyhow::Context;
use schema::error::ApiError;
use schema::service::export::{self, File};
use sea_orm::DatabaseConnection;
use tokio::sync::mpsc;

use crate::graphql::{refuse, session_of};
use crate::state::State;

/// Writes `slug`'s export into `dir` (created if missing), as whoever runs
/// the CLI: holding the database, they hold its data already.
pub async fn to_dir(db: &DatabaseConnection, slug: &str, dir: &Path) -> anyhow::Result<()> {
    let viewer = schema::service::import::importer(crate::import::IMPORTER);
    let a = export::exportable(db, &viewer, slug).await?;
    let files = export::export(db, a).await?;
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for f in &files {
        let path = dir.join(f.name);
        std::fs::write(&path, &f.bytes).with_context(|| format!("writing {}", path.display()))?;
    }
    println!("{} files written to {}", files.len(), dir.display());
    Ok(())
}

/// Bytes the writer gathers before it hands them to the response.
const CHUNK: usize = 64 * 1024;

/// Chunks of the response in flight at once.
const IN_FLIGHT: usize = 4;

/// What the blocking writer writes into: chunks for the response body.
struct Channel {
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
    buf: Vec<u8>,
}

impl Channel {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        // The reader went away: stop writing.
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))
    }
}

impl Write for Channel {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

fn write_zip(files: &[File], out: Channel) -> zip::result::ZipResult<()> {
    let mut zip = zip::ZipWriter::new_stream(out);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for f in files {
        zip.start_file(f.name, options)?;
        zip.write_all(&f.bytes)?;
    }
    let mut out = zip.finish()?.into_inner();
    out.flush()?;
    Ok(())
}

/// `GET /authorities/{slug}/export.zip`.
pub async fn zip(state: web::Data<State>, req: HttpRequest, slug: web::Path<String>) -> HttpResponse {
    let slug = slug.into_inner();
    let files = async {
        let session = session_of(&state, &req).await?;
        let a = export::exportable(&state.db, &session.viewer, &slug).await?;
        export::export(&state.db, a).await
    };
    let files = match files.await {
        Ok(files) => files,
        Err(e) => return refuse(&e),
    };
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let failed = tx.clone();
    tokio::task::spawn_blocking(move || {
        let out = Channel {
            tx,
            buf: Vec::with_capacity(CHUNK),
        };
        if let Err(e) = write_zip(&files, out) {
            // The status has gone; a broken body tells the client.
            let _ = failed.blocking_send(Err(std::io::Error::other(ApiError::internal(e).to_string())));
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "application/zip"))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{slug}-export.zip\""),
        ))
        .streaming(body)
}
