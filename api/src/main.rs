use std::path::PathBuf;
use std::process::ExitCode;

use api::auth::demo as demo_key;
use api::{Application, Config, db, import};
use clap::{Parser, Subcommand};

/// A request allocates many small rows and values on two worker threads;
/// mimalloc serves those faster than the system allocator and returns memory
/// to the system between bursts.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// councilperf: council performance reporting over GraphQL.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run migrations, then serve the API.
    Serve {
        /// Load the demo councils when the database holds no authority yet.
        /// With no JWT_SECRET, JWT_PUBLIC_KEY_FILE or JWT_JWKS_URL, sign with
        /// a development key kept in ./councilperf.dev-secret, which `token`
        /// uses too.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Mint an HS256 token with JWT_SECRET (else the development key a
    /// `serve --demo` left in this directory), for development and tests.
    Token {
        /// The subject (user id).
        #[arg(long)]
        sub: String,
        /// AUTHORITY:ROLE[:PARTNER], or PLATFORM_ADMIN; repeatable.
        #[arg(long = "grant", value_parser = api::auth::parse_grant, required = true)]
        grants: Vec<api::auth::GrantClaim>,
        /// Lifetime in seconds, or with a unit: 90s, 30m, 1h, 7d.
        #[arg(long, default_value = "1h", value_parser = parse_ttl)]
        ttl: std::time::Duration,
    },
    /// Import one authority from a directory of import files, all or
    /// nothing, through the checks the mutations make.
    ///
    /// With `--plan`, imports one sheet (CSV or XLSX: a filled results
    /// template, whose columns read are code, period, value and note, or a
    /// targets sheet: code, period, target, floor) into that plan instead,
    /// through the same path as the `importResults` upload.
    ///
    /// With `--metric-values`, imports national reference values from a CSV
    /// of `metric, authority, period, value`, all or nothing, through the
    /// path of `setMetricValues`.
    Import {
        /// Holds authority.json, measures.csv, targets.csv and results.csv
        /// (an export's directory or ZIP archive adds more); with `--plan`, the sheet file; with `--metric-values`, the CSV.
        dir: PathBuf,
        /// The file is a CSV of reference values.
        #[arg(long, conflicts_with_all = ["plan", "period", "dry_run"])]
        metric_values: bool,
        /// The plan a results sheet goes into.
        #[arg(long)]
        plan: Option<String>,
        /// The period of rows that name none.
        #[arg(long)]
        period: Option<String>,
        /// Check the sheet and report, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// Who the audit log records the import as.
        #[arg(long = "as", default_value = import::IMPORTER)]
        actor: String,
    },
    /// Write everything an authority owns into DIR, in the files `import`
    /// reads (a README there says what each holds), its audit log and
    /// unpublished data included.
    Export {
        /// The authority's slug.
        #[arg(long)]
        authority: String,
        /// Where the files go; created if missing.
        dir: PathBuf,
    },
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Schema => {
            print!("{}", schema::sdl());
            Ok(())
        }
        Command::Migrate => {
            let config = Config::from_env()?;
            let conn = db::connect(&config.database_url, config.pool_size, Default::default()).await?;
            db::migrate(&conn).await?;
            Ok(())
        }
        Command::Token { sub, grants, ttl } => {
            let jwt = api::config::Jwt::from_env()?;
            let secret = match jwt.secret {
                Some(secret) => secret,
                None => demo_key::kept_key()?.ok_or_else(|| {
                    anyhow::anyhow!(
                        "set JWT_SECRET to mint a token, or run this where `serve --demo` \
                         started with no key configured: it keeps a development key in {}",
                        demo_key::DEVELOPMENT_KEY_FILE
                    )
                })?,
            };
            println!(
                "{}",
                api::auth::mint(&secret, &jwt.issuer, &jwt.audience, &sub, grants, ttl)?
            );
            Ok(())
        }
        Command::Import {
            dir,
            metric_values,
            actor,
            plan,
            period,
            dry_run,
        } => {
            let config = Config::from_env()?;
            let conn = db::connect(&config.database_url, config.pool_size, Default::default()).await?;
            db::migrate(&conn).await?;
            match plan {
                Some(plan) => {
                    import::import_sheet(&conn, &dir, &plan, period.as_deref(), dry_run, &actor).await
                }
                None if metric_values => {
                    import::import_reference(&conn, &import::read_metric_values(&dir)?, &actor).await
                }
                None => import::import_as(&conn, &import::read_dir(&dir)?, &actor).await,
            }
        }
        Command::Export { authority, dir } => {
            let config = Config::from_env()?;
            let conn = db::connect(&config.database_url, config.pool_size, Default::default()).await?;
            db::migrate(&conn).await?;
            api::export::to_dir(&conn, &authority, &dir).await
        }
        Command::Serve { demo } => {
            let mut config = Config::from_env()?;
            if demo {
                demo_key::development_key(&mut config.jwt)?;
            }
            let app = Application::build(&config, demo).await?;
            tracing::info!(address = %config.bind.ip(), port = app.port(), "serving /graphql");
            app.run().await?;
            Ok(())
        }
    }
}

fn parse_ttl(s: &str) -> Result<std::time::Duration, String> {
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = n
        .parse()
        .map_err(|_| format!("`{s}` is not a duration like 1h"))?;
    let secs = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{s}`: use s, m, h or d")),
    };
    Ok(std::time::Duration::from_secs(n * secs))
}

#[tokio::main]
async fn main() -> ExitCode {
    api::init_tracing();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
