//! The exact response cache (docs/architecture.md, "Caching"): a
//! query's answer is kept under a key of everything it depends on — the
//! data version it was computed at, the day (deadlines turn late and actions
//! overdue at midnight), who asked (the session: anonymous callers are one
//! class), the document, the operation and the variables. Every write
//! transaction changes the version, which lives in the database
//! (`schema::store::version`), so an answer is served again only while no
//! write has committed since, on any replica. Bounded in bytes; least
//! recently used answers go first.

use std::hash::Hash;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};

use actix_web::web::Bytes;
use async_graphql::Request;
use chrono::NaiveDate;
use lru::LruCache;
use schema::Session;
use sha2::{Digest, Sha256};

use crate::metrics::Metrics;

/// The SHA-256 of everything an answer depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key([u8; 32]);

/// What an answer depends on besides the data: read before it runs.
pub struct Inputs<'a> {
    pub today: NaiveDate,
    pub session: &'a Session,
    pub request: &'a Request,
}

/// A SHA-256 of a list of parts, each preceded by its length, so that no
/// two different lists of parts hash the same bytes.
#[derive(Default)]
pub struct Parts(Sha256);

impl Parts {
    pub fn part(&mut self, bytes: &[u8]) {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
    }

    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

impl Inputs<'_> {
    /// The key of the answer at data version `version`.
    pub fn key(&self, version: &str) -> Key {
        let mut h = Parts::default();
        let mut part = |bytes: &[u8]| h.part(bytes);
        part(version.as_bytes());
        part(self.today.to_string().as_bytes());
        // The whole viewer, not only its roles: `me` answers with the
        // subject and name; and the authorities its roles are at, which
        // `authority(slug:)` answers from. Not the version its roles were
        // resolved at: the key has the version its answer was computed at.
        part(format!("{:?}{:?}", self.session.viewer, self.session.authorities).as_bytes());
        part(self.request.query.as_bytes());
        part(
            self.request
                .operation_name
                .as_deref()
                .unwrap_or_default()
                .as_bytes(),
        );
        part(&serde_json::to_vec(&self.request.variables).unwrap_or_default());
        Key(h.finish())
    }
}

/// A kept answer: its JSON body and entity tag.
pub struct Entry {
    pub body: Bytes,
    pub etag: String,
}

/// What an entry costs besides its body and tag: the key and the
/// bookkeeping of the map, roughly.
const ENTRY_OVERHEAD: usize = 160;

/// A strong entity tag of a body: the first 128 bits of its SHA-256.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// A map that drops its least recently used entries to stay within a
/// number of bytes: the response cache's, and the persisted queries'.
pub struct Lru<K: Hash + Eq, V> {
    entries: LruCache<K, (V, usize)>,
    bytes: usize,
    capacity: usize,
}

impl<K: Hash + Eq, V: Clone> Lru<K, V> {
    pub fn new(capacity_bytes: usize) -> Self {
        Lru {
            entries: LruCache::unbounded(),
            bytes: 0,
            capacity: capacity_bytes,
        }
    }

    pub fn get(&mut self, key: &K) -> Option<V> {
        self.entries.get(key).map(|(v, _)| v.clone())
    }

    /// Keeps `value`, which costs `size` bytes, and returns how many entries
    /// made room for it; one larger than the whole map is not kept.
    pub fn put(&mut self, key: K, value: V, size: usize) -> u64 {
        if size > self.capacity {
            return 0;
        }
        if let Some((_, old)) = self.entries.put(key, (value, size)) {
            self.bytes -= old;
        }
        self.bytes += size;
        let mut evicted = 0;
        while self.bytes > self.capacity {
            let Some((_, (_, gone))) = self.entries.pop_lru() else {
                break;
            };
            self.bytes -= gone;
            evicted += 1;
        }
        evicted
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

pub struct Cache {
    entries: Mutex<Lru<Key, Arc<Entry>>>,
    metrics: Arc<Metrics>,
}

impl Cache {
    /// A cache of `megabytes` (0: none).
    pub fn new(megabytes: usize, metrics: Arc<Metrics>) -> Option<Self> {
        (megabytes > 0).then(|| Cache {
            entries: Mutex::new(Lru::new(megabytes.saturating_mul(1024 * 1024))),
            metrics,
        })
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Lru<Key, Arc<Entry>>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn get(&self, key: &Key) -> Option<Arc<Entry>> {
        let found = self.entries().get(key);
        let counter = if found.is_some() {
            &self.metrics.cache_hits
        } else {
            &self.metrics.cache_misses
        };
        Metrics::count(counter);
        found
    }

    /// Keeps an answer, making room by dropping the least recently used.
    pub fn put(&self, key: Key, body: Bytes) -> Arc<Entry> {
        let entry = Arc::new(Entry {
            etag: etag(&body),
            body,
        });
        let size = entry.body.len() + entry.etag.len() + ENTRY_OVERHEAD;
        let mut entries = self.entries();
        let evicted = entries.put(key, entry.clone(), size);
        self.metrics.cache_evictions.fetch_add(evicted, Ordering::Relaxed);
        self.metrics
            .cache_bytes
            .store(entries.bytes() as u64, Ordering::Relaxed);
        entry
    }
}
