//! Live updates: the events a write raises, and how they reach every
//! replica's subscribers.
//!
//! A write transaction collects its events ([`crate::store::write::Write`])
//! and hands them over only once it commits, so nothing that rolled back is
//! ever announced. On PostgreSQL they travel as `NOTIFY` on [`CHANNEL`],
//! sent inside the transaction (PostgreSQL delivers them on commit), and
//! every replica's `LISTEN` connection hears them; on SQLite, one process
//! serves the file and they go straight to its in-process feed. Events name
//! rows by id only: each subscriber re-reads the row under its own grants
//! when it is delivered (`graphql::live`), so an event can carry nothing a
//! subscriber may not see.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};

use entity::Period;
use sea_orm::{DatabaseBackend, DatabaseConnection};
use serde::{Deserialize, Serialize};
use tokio::sync::{Notify, broadcast};

/// The PostgreSQL notification channel every replica listens on.
pub const CHANNEL: &str = "councilperf_events";

/// PostgreSQL refuses a `NOTIFY` payload of 8000 bytes or more: events are
/// sent in batches below this.
pub const MAX_PAYLOAD: usize = 7_000;

/// Something a committed write changed, by ids: what a subscriber sees of
/// it is read afresh when it is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Event {
    /// What a measure's result for a period shows changed: its value (a
    /// submission or a restatement), or its target, floor, rule, action
    /// plans, publication or archiving.
    Result {
        measure: i64,
        period: Period,
        plan: i64,
        authority: i64,
    },
    /// A plan's period was published.
    Published {
        publication: i64,
        plan: i64,
        authority: i64,
    },
    /// Commentary was added to a measure's period, or edited.
    Commentary {
        commentary: i64,
        measure: i64,
        plan: i64,
        authority: i64,
    },
    /// A plan itself changed: its title, rule or deadlines, its archiving,
    /// or the nodes and measures it is made of.
    Plan { plan: i64, authority: i64 },
}

impl Event {
    pub fn authority(&self) -> i64 {
        match self {
            Event::Result { authority, .. }
            | Event::Published { authority, .. }
            | Event::Commentary { authority, .. }
            | Event::Plan { authority, .. } => *authority,
        }
    }

    pub fn plan(&self) -> i64 {
        match self {
            Event::Result { plan, .. }
            | Event::Published { plan, .. }
            | Event::Commentary { plan, .. }
            | Event::Plan { plan, .. } => *plan,
        }
    }
}

/// An event with its place in its authority's sequence: positions are given
/// in the order the events commit, so a subscriber that saw position `n`
/// has seen every earlier event of that authority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Positioned {
    pub position: i64,
    #[serde(flatten)]
    pub event: Event,
}

/// What a replica's feed carries to its subscribers. Events come in the
/// batches they were committed (or notified) in, so that a bulk import is
/// a few signals rather than thousands: a subscriber's backlog is counted
/// in batches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signal {
    Events(Arc<[Positioned]>),
    /// The replica lost its listening connection, or got it back: events
    /// may have been missed, and subscribers should read afresh.
    Resync,
}

/// A replica's feed: every signal goes to every subscriber's receiver,
/// each of which holds at most the feed's capacity of signals it has not
/// taken yet; one that falls further behind is told it lagged.
pub type Feed = broadcast::Sender<Signal>;

pub fn feed(capacity: usize) -> Feed {
    broadcast::channel(capacity.max(1)).0
}

/// The in-process feeds of SQLite databases, by file: every server of this
/// process on one file shares its feed, as they share its writes.
static LOCAL: LazyLock<Mutex<HashMap<PathBuf, Feed>>> = LazyLock::new(Mutex::default);

fn sqlite_file(db: &DatabaseConnection) -> Option<PathBuf> {
    (db.get_database_backend() == DatabaseBackend::Sqlite).then(|| {
        db.get_sqlite_connection_pool()
            .connect_options()
            .get_filename()
            .to_path_buf()
    })
}

/// The feed a SQLite database's writes are announced on (made with
/// `capacity` by whoever asks first); `None` on PostgreSQL, whose writes
/// are announced by `NOTIFY`.
pub fn local_feed(db: &DatabaseConnection, capacity: usize) -> Option<Feed> {
    let file = sqlite_file(db)?;
    let mut feeds = LOCAL.lock().unwrap_or_else(PoisonError::into_inner);
    // A feed no server holds any more is let go.
    feeds.retain(|_, f| f.strong_count() > 1);
    Some(feeds.entry(file).or_insert_with(|| feed(capacity)).clone())
}

/// The feed a server of this process made for a SQLite database, if any:
/// where a write on it announces its events.
pub fn existing_local_feed(db: &DatabaseConnection) -> Option<Feed> {
    let file = sqlite_file(db)?;
    LOCAL
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&file)
        .cloned()
}

/// Announces committed events on a feed, as one batch.
pub fn announce(feed: &Feed, events: Vec<Positioned>) {
    if !events.is_empty() {
        // No receiver: nobody is subscribed, nothing to tell.
        let _ = feed.send(Signal::Events(events.into()));
    }
}

/// The payloads that carry `events` by `NOTIFY`, each a JSON array below
/// [`MAX_PAYLOAD`] bytes.
pub fn payloads(events: &[Positioned]) -> Vec<String> {
    let mut out = Vec::new();
    let mut batch: Vec<String> = Vec::new();
    let mut size = 2;
    for e in events {
        let Ok(one) = serde_json::to_string(e) else {
            continue;
        };
        if !batch.is_empty() && size + one.len() + 1 > MAX_PAYLOAD {
            out.push(format!("[{}]", batch.join(",")));
            batch.clear();
            size = 2;
        }
        size += one.len() + 1;
        batch.push(one);
    }
    if !batch.is_empty() {
        out.push(format!("[{}]", batch.join(",")));
    }
    out
}

/// The events of one `NOTIFY` payload; one this version cannot read is
/// dropped (a newer replica's kinds of event, during a rolling upgrade).
pub fn parse(payload: &str) -> Vec<Positioned> {
    serde_json::from_str::<Vec<serde_json::Value>>(payload)
        .map(|all| {
            all.into_iter()
                .filter_map(|v| serde_json::from_value(v).ok())
                .collect()
        })
        .unwrap_or_default()
}

/// What one subscription listens with: its receiver of the replica's
/// feed, taken when the socket read the `subscribe` message (so that every
/// event committed after that reaches it), and the socket's alarm, raised
/// when the subscription fell behind the feed, on which the socket is
/// closed: a subscriber that cannot keep up is dropped rather than
/// buffered without bound.
pub struct Listening {
    receiver: Mutex<Option<broadcast::Receiver<Signal>>>,
    pub lagged: Arc<Notify>,
}

impl Listening {
    pub fn new(feed: &Feed, lagged: Arc<Notify>) -> Self {
        Listening {
            receiver: Mutex::new(Some(feed.subscribe())),
            lagged,
        }
    }

    /// The receiver, for the one stream that listens with it.
    pub fn take(&self) -> Option<broadcast::Receiver<Signal>> {
        self.receiver
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn payloads_stay_below_the_notify_limit_and_read_back() {
        let period: Period = "2023-24 Q4".parse().unwrap();
        let events: Vec<Positioned> = (0..1000)
            .map(|i| Positioned {
                position: i + 1,
                event: Event::Result {
                    measure: i + 1,
                    period,
                    plan: 7,
                    authority: 3,
                },
            })
            .collect();
        let sent = payloads(&events);
        assert!(sent.len() > 1);
        assert!(sent.iter().all(|p| p.len() < MAX_PAYLOAD));
        let back: Vec<Positioned> = sent.iter().flat_map(|p| parse(p)).collect();
        assert_eq!(back, events);
        assert!(parse("not json").is_empty());
        assert_eq!(
            parse(
                r#"[{"kind":"future","position":1},{"kind":"published","position":2,"publication":1,"plan":2,"authority":3}]"#
            ),
            vec![Positioned {
                position: 2,
                event: Event::Published {
                    publication: 1,
                    plan: 2,
                    authority: 3
                }
            }]
        );
    }
}
