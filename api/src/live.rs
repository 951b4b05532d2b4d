//! A replica's live feed (see `schema::live`): on SQLite the process's own
//! feed of the file; on PostgreSQL fed by a `LISTEN` connection of its own,
//! which reconnects when it drops and tells subscribers it did.

use std::str::FromStr;
use std::time::Duration;

use schema::live::{self, Feed, Signal};
use sea_orm::{DatabaseBackend, DatabaseConnection};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use tokio::sync::watch;

/// How the listening connection names itself to PostgreSQL
/// (`pg_stat_activity.application_name`).
pub const LISTENER_NAME: &str = "councilperf-listen";

/// Wait between attempts to get the listening connection back.
const RECONNECT_EVERY: Duration = Duration::from_millis(500);

/// What the sockets of one server share: the feed, and the signal that
/// the server is shutting down.
#[derive(Clone)]
pub struct Live {
    pub feed: Feed,
    pub stopping: watch::Receiver<bool>,
}

/// The feed of a server on `db`. On PostgreSQL it returns once listening,
/// so that a replica serves only what it will hear about.
pub async fn start(
    database_url: &str,
    db: &DatabaseConnection,
    capacity: usize,
) -> anyhow::Result<(Live, watch::Sender<bool>)> {
    let feed = match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let feed = live::feed(capacity);
            let options = PgConnectOptions::from_str(database_url)?.application_name(LISTENER_NAME);
            let listener = connect(&options).await?;
            tokio::spawn(listen(options, feed.clone(), listener));
            feed
        }
        _ => live::local_feed(db, capacity).unwrap_or_else(|| live::feed(capacity)),
    };
    let (stop, stopping) = watch::channel(false);
    Ok((Live { feed, stopping }, stop))
}

/// Relays every notification on [`live::CHANNEL`] to the feed, for as long
/// as the feed has a server. Whenever the connection is lost, and again
/// once it is back, subscribers are told they may have missed events.
async fn listen(options: PgConnectOptions, feed: Feed, first: PgListener) {
    let mut lost = false;
    let mut next = Ok(first);
    // The server's own handle keeps the feed open: when only this task's
    // is left, the server is gone.
    while feed.strong_count() > 1 {
        match next {
            Ok(mut listener) => {
                if lost {
                    tracing::info!("live updates: listening again");
                    let _ = feed.send(Signal::Resync);
                    lost = false;
                }
                loop {
                    match listener.try_recv().await {
                        Ok(Some(n)) => live::announce(&feed, live::parse(n.payload())),
                        // Lost and already listening again (sqlx reconnects
                        // eagerly): whatever came in between is gone.
                        Ok(None) => {
                            tracing::warn!("live updates: the listening connection was lost and remade");
                            let _ = feed.send(Signal::Resync);
                        }
                        Err(e) => {
                            tracing::warn!(cause = %e, "live updates: the listening connection failed");
                            break;
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(cause = %e, "live updates: cannot listen"),
        }
        if !lost {
            let _ = feed.send(Signal::Resync);
            lost = true;
        }
        tokio::time::sleep(RECONNECT_EVERY).await;
        next = connect(&options).await;
    }
}

async fn connect(options: &PgConnectOptions) -> Result<PgListener, sqlx::Error> {
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options.clone())
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(live::CHANNEL).await?;
    Ok(listener)
}
