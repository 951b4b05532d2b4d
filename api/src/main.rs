use std::path::PathBuf;
use std::process::ExitCode;

use api::{Application, Config, db, import};
use clap::{Parser, Subcommand};

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
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Import one authority from a directory of import files.
    Import {
        /// Holds authority.json, measures.csv, targets.csv and results.csv.
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
        Command::Import { dir } => {
            let config = Config::from_env()?;
            let bundle = import::read_dir(&dir)?;
            let conn = db::connect(&config.database_url, config.pool_size, Default::default()).await?;
            db::migrate(&conn).await?;
            import::import(&conn, &bundle).await
        }
        Command::Serve { demo } => {
            let config = Config::from_env()?;
            let app = Application::build(&config, demo).await?;
            tracing::info!(address = %config.bind.ip(), port = app.port(), "serving /graphql");
            app.run().await?;
            Ok(())
        }
    }
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
