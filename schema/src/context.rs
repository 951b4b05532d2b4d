//! What one request carries: who it is made as, the rows it has read and
//! the ratings it has made. Made per request: nothing here may serve another.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::{Context, Result};
use entity::model::authority;
use sea_orm::DatabaseConnection;

use crate::benchmarks::Benchmarks;
use crate::error::{ApiError, Gql};
use crate::loaders::{Loaders, Shared};
use crate::policy::Viewer;
use crate::rating::Ratings;
use crate::store::{self, Reader};

/// Who a request is made as, and the authorities its roles are at, known
/// while resolving them: a query about those need not read them again.
#[derive(Clone, Debug)]
pub struct Session {
    pub viewer: Viewer,
    pub authorities: Vec<authority::Model>,
    /// The versions its roles were resolved at, when that took reading
    /// them: the response cache looks its answer up at these.
    pub version: Option<store::Version>,
}

impl Session {
    pub fn anonymous() -> Self {
        Session {
            viewer: Viewer::Anonymous,
            authorities: Vec::new(),
            version: None,
        }
    }
}

pub struct Request {
    pub viewer: Arc<Viewer>,
    pub rows: Loaders,
    pub ratings: Ratings,
    pub benchmarks: Benchmarks,
    db: Reader,
    /// Authorities read already, by slug: those the token names.
    by_slug: Mutex<HashMap<String, authority::Model>>,
    /// The position of the live event a subscription is delivering (0:
    /// none), which `position` answers while the event is resolved: a
    /// subscription resolves one event before it reads the next.
    delivering: AtomicI64,
}

impl Request {
    pub fn new(db: Reader, session: Session) -> Self {
        let viewer = Arc::new(session.viewer);
        let by_slug = session
            .authorities
            .into_iter()
            .map(|a| (a.slug.clone(), a))
            .collect();
        Request {
            rows: Loaders::new(&db),
            ratings: Ratings::new(db.clone(), viewer.clone()),
            benchmarks: Benchmarks::new(db.clone()),
            viewer,
            db,
            by_slug: Mutex::new(by_slug),
            delivering: AtomicI64::new(0),
        }
    }

    pub fn delivering_at(&self, position: i64) {
        self.delivering.store(position, Ordering::Relaxed);
    }

    pub fn delivering(&self) -> Option<i64> {
        Some(self.delivering.load(Ordering::Relaxed)).filter(|p| *p > 0)
    }

    /// Drops every row and rating read so far: after a write, what this
    /// request read before it may be out of date.
    pub fn forget(&self) {
        self.rows.forget();
        self.ratings.forget();
        self.benchmarks.forget();
        self.by_slug
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    pub async fn authority_by_slug(&self, slug: &str) -> Shared<Option<authority::Model>> {
        let known = self
            .by_slug
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(slug)
            .cloned();
        match known {
            Some(a) => Ok(Some(a)),
            None => Ok(store::authority_by_slug(&self.db, slug).await?),
        }
    }

    /// Where this request reads: reads outside the loaders go here too, so
    /// that a query holds one connection and sees one snapshot.
    pub fn reader(&self) -> &Reader {
        &self.db
    }
}

pub fn request<'a>(ctx: &Context<'a>) -> Result<&'a Request> {
    ctx.data::<Request>()
        .map_err(|e| ApiError::internal(e.message))
        .gql()
}

pub fn rows<'a>(ctx: &Context<'a>) -> Result<&'a Loaders> {
    Ok(&request(ctx)?.rows)
}

/// The pool mutations write through.
pub fn database<'a>(ctx: &Context<'a>) -> Result<&'a DatabaseConnection> {
    ctx.data::<DatabaseConnection>()
        .map_err(|e| ApiError::internal(e.message))
        .gql()
}
