//! Persisted queries, in the shape of Apollo's automatic persisted queries:
//! a request may carry `extensions.persistedQuery` = `{ "version": 1,
//! "sha256Hash": HEX }` and leave the text out. A hash the server does not
//! know is refused with `PERSISTED_QUERY_NOT_FOUND`; the client then sends
//! the hash with the text, which is checked against the hash and remembered
//! (a bounded number of documents, least recently used going first). So a
//! long dashboard query can be a short GET a CDN can revalidate.
//!
//! With trusted documents (`COUNCILPERF_TRUSTED_DOCUMENTS`), only the
//! documents of that list run, whether sent by hash or by text, and nothing
//! is registered.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use anyhow::Context;
use async_graphql::Request;
use schema::error::ApiError;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::cache::Lru;

/// What a registered document costs besides its text and hash, roughly.
const ENTRY_OVERHEAD: usize = 96;

/// The extension's name, as Apollo's clients send it.
const EXTENSION: &str = "persistedQuery";

/// The lower-case hex SHA-256 of a document's text.
pub fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

pub struct Persisted {
    /// Documents registered by clients, by hash, within a number of bytes.
    registered: Mutex<Lru<String, Arc<str>>>,
    /// When set, the only documents that run.
    trusted: Option<HashMap<String, Arc<str>>>,
}

/// What a request's `persistedQuery` extension says.
#[derive(Deserialize)]
struct Extension {
    version: u32,
    #[serde(rename = "sha256Hash")]
    sha256_hash: String,
}

impl Persisted {
    /// Remembers registered documents up to `megabytes`; `trusted`, when
    /// given, is the whole list of documents that may run.
    pub fn new(megabytes: usize, trusted: Option<HashMap<String, Arc<str>>>) -> Self {
        Persisted {
            registered: Mutex::new(Lru::new(megabytes.saturating_mul(1024 * 1024))),
            trusted,
        }
    }

    /// Fills in the text of a request sent by hash, registers a text sent
    /// with its hash, and refuses what the trusted documents do not hold.
    /// `max_bytes` bounds what is registered (a longer text is refused when
    /// it runs).
    pub fn resolve(&self, r: &mut Request, max_bytes: usize) -> Result<(), ApiError> {
        let Some(ext) = r.extensions.get(EXTENSION) else {
            return match &self.trusted {
                Some(trusted) if !trusted.contains_key(&hash(&r.query)) => Err(ApiError::UntrustedDocument),
                _ => Ok(()),
            };
        };
        let ext: Extension = ext
            .clone()
            .into_json()
            .ok()
            .and_then(|v| serde_json::from_value(v).ok())
            .ok_or_else(|| {
                ApiError::BadRequest(
                    "extensions.persistedQuery is { \"version\": 1, \"sha256Hash\": \"<hex>\" }".to_owned(),
                )
            })?;
        if ext.version != 1 {
            return Err(ApiError::BadRequest(
                "only version 1 of persisted queries is supported".to_owned(),
            ));
        }
        let wanted = ext.sha256_hash.to_ascii_lowercase();
        if r.query.is_empty() {
            let known = match &self.trusted {
                Some(trusted) => trusted.get(&wanted).cloned(),
                None => self.registered().get(&wanted),
            };
            r.query = known.ok_or(ApiError::PersistedQueryNotFound)?.to_string();
            return Ok(());
        }
        if hash(&r.query) != wanted {
            return Err(ApiError::BadRequest(
                "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query".to_owned(),
            ));
        }
        match &self.trusted {
            Some(trusted) if !trusted.contains_key(&wanted) => Err(ApiError::UntrustedDocument),
            Some(_) => Ok(()),
            None => {
                if r.query.len() <= max_bytes {
                    let size = r.query.len() + wanted.len() + ENTRY_OVERHEAD;
                    self.registered().put(wanted, r.query.as_str().into(), size);
                }
                Ok(())
            }
        }
    }

    fn registered(&self) -> std::sync::MutexGuard<'_, Lru<String, Arc<str>>> {
        self.registered.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Apollo's persisted query manifest (`generate-persisted-query-manifest`).
#[derive(Deserialize)]
struct Manifest {
    operations: Vec<ManifestOperation>,
}

#[derive(Deserialize)]
struct ManifestOperation {
    body: String,
}

/// The trusted documents at `path`: a directory of `.graphql` files, one
/// document each, or an Apollo persisted query manifest (JSON). Each is
/// known by the SHA-256 of its exact text, which is what clients hash.
pub fn trusted_documents(path: &Path) -> anyhow::Result<HashMap<String, Arc<str>>> {
    let texts: Vec<String> = if path.is_dir() {
        let mut texts = Vec::new();
        for entry in std::fs::read_dir(path).with_context(|| format!("reading {}", path.display()))? {
            let file = entry?.path();
            if file.extension().is_some_and(|e| e == "graphql") {
                texts.push(
                    std::fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?,
                );
            }
        }
        texts
    } else {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let manifest: Manifest = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a persisted query manifest", path.display()))?;
        manifest.operations.into_iter().map(|o| o.body).collect()
    };
    anyhow::ensure!(!texts.is_empty(), "{} holds no documents", path.display());
    Ok(texts.into_iter().map(|t| (hash(&t), t.into())).collect())
}
