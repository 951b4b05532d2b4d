//! Reading an authority's import files (the format the demo councils use)
//! into a [`Bundle`] for the one write path: the use cases the mutations
//! call, in one transaction (`schema::service::import`).
//!
//! A directory holds `authority.json` (structure, partners, plans with their
//! node trees and published periods, panels with remit and meetings, action
//! plans with their actions) and three CSV files: `measures.csv`,
//! `targets.csv`, `results.csv`. An export adds `commentary.csv`,
//! `metric-values.csv` and `audit.csv`, and may come as a ZIP archive.

use std::path::Path;

use anyhow::Context;
use schema::error::ApiError;
use schema::service::import::{Bundle, Reference, importer};
use sea_orm::DatabaseConnection;
use serde::de::DeserializeOwned;

/// The texts of one authority's files.
pub struct Files<'a> {
    pub authority: &'a str,
    pub measures: &'a str,
    pub targets: &'a str,
    pub results: &'a str,
}

fn rows<T: DeserializeOwned>(name: &str, text: &str) -> anyhow::Result<Vec<T>> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes())
        .deserialize()
        .enumerate()
        // Line 1 is the header.
        .map(|(i, r)| r.with_context(|| format!("{name} line {}", i + 2)))
        .collect()
}

pub fn parse(files: &Files<'_>) -> anyhow::Result<Bundle> {
    let mut b: Bundle = serde_json::from_str(files.authority).context("authority.json")?;
    b.measures = rows("measures.csv", files.measures)?;
    b.targets = rows("targets.csv", files.targets)?;
    b.results = rows("results.csv", files.results)?;
    Ok(b)
}

/// Reads the files of a directory or, when `path` is a file, of the ZIP
/// archive an export endpoint serves.
pub fn read_dir(path: &Path) -> anyhow::Result<Bundle> {
    if path.is_file() {
        let zipped = unzip(path)?;
        return read_files(|f| Ok(zipped.get(f).cloned()));
    }
    read_files(|f| {
        let p = path.join(f);
        match std::fs::read_to_string(&p) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("reading {}", p.display())),
        }
    })
}

/// The four files every import has, then the ones an export adds.
fn read_files(read: impl Fn(&str) -> anyhow::Result<Option<String>>) -> anyhow::Result<Bundle> {
    let needed = |f: &str| read(f)?.with_context(|| format!("{f} is missing"));
    let (authority, measures, targets, results) = (
        needed("authority.json")?,
        needed("measures.csv")?,
        needed("targets.csv")?,
        needed("results.csv")?,
    );
    let mut b = parse(&Files {
        authority: &authority,
        measures: &measures,
        targets: &targets,
        results: &results,
    })?;
    if let Some(text) = read("commentary.csv")? {
        b.commentary = rows("commentary.csv", &text)?;
    }
    if let Some(text) = read("metric-values.csv")? {
        b.metric_values = rows("metric-values.csv", &text)?;
    }
    if let Some(text) = read("audit.csv")? {
        b.audit = rows("audit.csv", &text)?;
    }
    Ok(b)
}

/// Largest archive member read: well above any council's export.
const MAX_MEMBER: u64 = 512 * 1024 * 1024;

/// The text files of a ZIP archive, by name.
fn unzip(path: &Path) -> anyhow::Result<std::collections::HashMap<String, String>> {
    use std::io::Read;
    let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
    let mut zip =
        zip::ZipArchive::new(file).with_context(|| format!("{} is not a ZIP archive", path.display()))?;
    let mut files = std::collections::HashMap::new();
    for i in 0..zip.len() {
        let entry = zip.by_index(i)?;
        let name = entry.name()?.into_owned();
        let mut text = String::new();
        entry
            .take(MAX_MEMBER)
            .read_to_string(&mut text)
            .with_context(|| format!("reading {name} of {}", path.display()))?;
        files.insert(name, text);
    }
    Ok(files)
}

/// Who an import is audited as unless the CLI's `--as` says otherwise.
pub const IMPORTER: &str = "import";

pub async fn import(db: &DatabaseConnection, bundle: &Bundle) -> anyhow::Result<()> {
    import_as(db, bundle, IMPORTER).await
}

/// Imports the bundle all or nothing, audited under `actor`.
pub async fn import_as(db: &DatabaseConnection, bundle: &Bundle, actor: &str) -> anyhow::Result<()> {
    schema::service::import::import(db, &importer(actor), bundle)
        .await
        .map_err(|e| anyhow::anyhow!("importing {}: {e}", bundle.slug))?;
    Ok(())
}

/// Imports one results sheet into a plan, all or nothing, through the path
/// of the `importResults` upload; prints what it did and fails, writing
/// nothing, when any row is refused.
pub async fn import_sheet(
    db: &DatabaseConnection,
    file: &Path,
    plan: &str,
    period: Option<&str>,
    dry_run: bool,
    actor: &str,
) -> anyhow::Result<()> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let period = period
        .map(str::parse::<entity::Period>)
        .transpose()
        .map_err(|e| anyhow::anyhow!("--period: {e}"))?;
    let plan = async_graphql::ID(plan.to_owned());
    let failed = |e: schema::error::ApiError| anyhow::anyhow!("importing {}: {e}", file.display());
    let (mut out, passed) = schema::service::sheet::import_sheet(db, &importer(actor), &plan, period, &bytes)
        .await
        .map_err(failed)?;
    if let Some(w) = passed
        && !dry_run
    {
        w.commit().await.map_err(failed)?;
        out.applied = true;
    }
    for e in &out.errors {
        eprintln!(
            "{} row {}{}: {} {}",
            file.display(),
            e.row,
            e.column.map(|c| format!(", column {c}")).unwrap_or_default(),
            e.code.as_str(),
            e.message
        );
    }
    if !out.errors.is_empty() {
        anyhow::bail!("{} rows refused: nothing was written", out.errors.len());
    }
    println!(
        "{} rows: {} results, {} targets{}",
        out.rows,
        out.results,
        out.targets,
        if out.applied {
            ""
        } else {
            " (dry run: nothing written)"
        }
    );
    Ok(())
}

macro_rules! demo_council {
    ($slug:literal) => {
        Files {
            authority: include_str!(concat!("../demo/", $slug, "/authority.json")),
            measures: include_str!(concat!("../demo/", $slug, "/measures.csv")),
            targets: include_str!(concat!("../demo/", $slug, "/targets.csv")),
            results: include_str!(concat!("../demo/", $slug, "/results.csv")),
        }
    };
}

/// The demo councils' files, built into the binary so `serve --demo` works
/// from any directory. Havering, added last, leaves the others' ids as they
/// were.
pub fn demo_files() -> [Files<'static>; 5] {
    [
        demo_council!("croydon"),
        demo_council!("kent"),
        demo_council!("rotherham"),
        demo_council!("windsor-maidenhead"),
        demo_council!("havering"),
    ]
}

/// Loads the demo councils when the database holds no authority yet.
/// Replicas starting together may race here: each council is imported in one
/// transaction, so the loser of a race meets a duplicate slug and leaves that
/// council to the winner.
pub async fn load_demo(db: &DatabaseConnection) -> anyhow::Result<bool> {
    if !schema::store::authorities(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_empty()
    {
        return Ok(false);
    }
    // The metric before the councils whose measures follow it; its values
    // and groups after the councils they name.
    let (national, comparisons) = demo_reference()?;
    demo_step("the demo metric", import_reference(db, &national, IMPORTER).await)?;
    for files in demo_files() {
        let bundle = parse(&files)?;
        let imported = schema::service::import::import(db, &importer(IMPORTER), &bundle)
            .await
            .map(|_| ());
        demo_step(&bundle.slug, imported.map_err(|e| anyhow::anyhow!(e)))?;
    }
    demo_step(
        "the demo benchmarks",
        import_reference(db, &comparisons, IMPORTER).await,
    )?;
    Ok(true)
}

/// One step of loading the demo: a replica that lost the race to load it
/// meets a duplicate and leaves that step to the winner.
fn demo_step(what: &str, done: anyhow::Result<()>) -> anyhow::Result<()> {
    match done {
        Ok(()) => Ok(()),
        Err(e) if matches!(e.downcast_ref::<ApiError>(), Some(ApiError::Conflict(_))) => Ok(()),
        Err(e) => Err(e.context(format!("importing {what}"))),
    }
}

/// The demo's national data (`demo/benchmarks`): first the metric and the
/// councils it compares the demo councils with, then the values and groups.
pub fn demo_reference() -> anyhow::Result<(Reference, Reference)> {
    let national = Reference {
        metrics: rows("metrics.csv", include_str!("../demo/benchmarks/metrics.csv"))?,
        authorities: rows(
            "authorities.csv",
            include_str!("../demo/benchmarks/authorities.csv"),
        )?,
        ..Reference::default()
    };
    let comparisons = Reference {
        values: rows(
            "metric-values.csv",
            include_str!("../demo/benchmarks/metric-values.csv"),
        )?,
        groups: serde_json::from_str(include_str!("../demo/benchmarks/groups.json"))
            .context("groups.json")?,
        ..Reference::default()
    };
    Ok((national, comparisons))
}

/// Reads a CSV of reference values: `metric, authority, period, value`.
pub fn read_metric_values(file: &Path) -> anyhow::Result<Reference> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    Ok(Reference {
        values: rows(&file.display().to_string(), &text)?,
        ..Reference::default()
    })
}

/// Imports reference data all or nothing, through the use cases of
/// `createMetric`, `createAuthority`, `setMetricValues` and
/// `createComparisonGroup`, audited under `actor`.
pub async fn import_reference(db: &DatabaseConnection, r: &Reference, actor: &str) -> anyhow::Result<()> {
    let set = schema::service::import::import_reference(db, &importer(actor), r).await?;
    tracing::debug!(values = set, "imported reference data");
    Ok(())
}
