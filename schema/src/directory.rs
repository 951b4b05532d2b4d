//! Who a signed-in person is, and the roles they hold: those the platform's
//! own tokens grant, those held in the service, and those its provider maps
//! from the token's claims, each counted only where its provider may vouch
//! (`entity::identity`). Everything that decides it is held in memory
//! against the directory's version, which the request's one version read
//! gives, so resolving a person's roles costs no statement until an
//! identity provider, a membership, an authority or a partner changes.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use entity::identity::{HeldRole, Vouches};
use entity::model::{authority, identity_provider, membership, role_mapping};
use entity::{Role, RoleSource};
use sea_orm::ConnectionTrait;
use serde::{Deserialize, Serialize};

use crate::context::Session;
use crate::error::ApiResult;
use crate::policy::Viewer;
use crate::store;

/// One grant as the platform's own tokens carry it (the development and
/// service-account path): slugs, resolved here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenGrant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partner: Option<String>,
}

/// A verified token: who it names and what it asserts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    pub subject: String,
    pub name: Option<String>,
    /// Lower case; absent where the provider does not assert it as verified.
    pub email: Option<String>,
    /// Counted only from the platform's own issuer.
    pub grants: Vec<TokenGrant>,
    /// The values of its provider's role claim.
    pub claims: Vec<String>,
}

/// A registered identity provider, as verifying its tokens and resolving
/// their roles needs it.
#[derive(Debug)]
pub struct Provider {
    pub row: identity_provider::Model,
    pub authorities: Vec<i64>,
    pub mappings: Vec<role_mapping::Model>,
    vouches: Vouches,
}

/// The directory at one version.
#[derive(Default)]
pub struct Held {
    version: Option<i64>,
    authorities: HashMap<i64, authority::Model>,
    by_slug: HashMap<String, i64>,
    /// Partner ids by authority and slug.
    partners: HashMap<(i64, String), i64>,
    providers: HashMap<String, Arc<Provider>>,
    by_subject: HashMap<(String, String), Vec<membership::Model>>,
    by_email: HashMap<String, Vec<membership::Model>>,
}

impl Held {
    fn new(version: i64, rows: store::directory::Rows) -> Self {
        let partners = rows
            .partners
            .iter()
            .map(|p| ((p.authority_id, p.slug.clone()), p.id))
            .collect();
        let providers = rows
            .providers
            .into_iter()
            .map(|row| {
                let authorities: Vec<i64> = rows
                    .vouched
                    .iter()
                    .filter(|v| v.provider_id == row.id)
                    .map(|v| v.authority_id)
                    .collect();
                let partner_rows = row.partner_slug.as_ref().map(|slug| {
                    rows.partners
                        .iter()
                        .filter(|p| &p.slug == slug && authorities.contains(&p.authority_id))
                        .map(|p| p.id)
                        .collect::<BTreeSet<i64>>()
                });
                let vouches = Vouches::For {
                    authorities: authorities.iter().copied().collect(),
                    partners: partner_rows,
                };
                let mappings = rows
                    .mappings
                    .iter()
                    .filter(|m| m.provider_id == row.id)
                    .cloned()
                    .collect();
                let provider = Provider {
                    authorities,
                    mappings,
                    vouches,
                    row,
                };
                (provider.row.issuer.clone(), Arc::new(provider))
            })
            .collect();
        let mut by_subject: HashMap<(String, String), Vec<membership::Model>> = HashMap::new();
        let mut by_email: HashMap<String, Vec<membership::Model>> = HashMap::new();
        for m in rows.memberships {
            if let Some(email) = &m.email {
                by_email.entry(email.clone()).or_default().push(m);
            } else if let (Some(i), Some(s)) = (&m.issuer, &m.subject) {
                by_subject.entry((i.clone(), s.clone())).or_default().push(m);
            }
        }
        Held {
            version: Some(version),
            by_slug: rows.authorities.iter().map(|a| (a.slug.clone(), a.id)).collect(),
            authorities: rows.authorities.into_iter().map(|a| (a.id, a)).collect(),
            partners,
            providers,
            by_subject,
            by_email,
        }
    }

    pub fn provider(&self, issuer: &str) -> Option<Arc<Provider>> {
        self.providers.get(issuer).cloned()
    }

    pub fn providers(&self) -> impl Iterator<Item = &Arc<Provider>> {
        self.providers.values()
    }

    pub fn authority(&self, slug: &str) -> Option<&authority::Model> {
        self.authorities.get(self.by_slug.get(slug)?)
    }

    /// The platform's token grants, by id; those naming nothing that
    /// exists grant nothing.
    fn token_grants(&self, grants: &[TokenGrant]) -> Vec<HeldRole> {
        grants
            .iter()
            .filter_map(|g| {
                let authority_id = match &g.authority {
                    None => None,
                    Some(slug) => Some(*self.by_slug.get(slug)?),
                };
                let partner_id = match (&g.partner, authority_id) {
                    (None, _) => None,
                    (Some(slug), Some(a)) => Some(*self.partners.get(&(a, slug.clone()))?),
                    (Some(_), None) => return None,
                };
                Some(HeldRole {
                    role: g.role,
                    authority_id,
                    partner_id,
                    source: RoleSource::TokenGrants,
                    claim: None,
                })
            })
            .collect()
    }

    fn held_in_service(&self, id: &Identity) -> impl Iterator<Item = HeldRole> {
        let by_subject = self
            .by_subject
            .get(&(id.issuer.clone(), id.subject.clone()))
            .into_iter()
            .flatten();
        let by_email = id
            .email
            .as_ref()
            .and_then(|e| self.by_email.get(e))
            .into_iter()
            .flatten();
        by_subject.chain(by_email).map(|m| HeldRole {
            role: m.role,
            authority_id: m.authority_id,
            partner_id: m.partner_id,
            source: RoleSource::Service,
            claim: None,
        })
    }

    /// Every role `id` brings, where its provider (`None`: the platform's
    /// own issuer) may vouch for it. A role it may not is logged and
    /// ignored.
    fn roles(&self, id: &Identity, provider: Option<&Provider>) -> Vec<HeldRole> {
        let mut candidates = Vec::new();
        match provider {
            None => candidates.extend(self.token_grants(&id.grants)),
            Some(p) => {
                if !id.grants.is_empty() {
                    tracing::warn!(issuer = %id.issuer, subject = %id.subject,
                        "a `grants` claim from an issuer other than the platform's was ignored");
                }
                candidates.extend(
                    p.mappings
                        .iter()
                        .filter(|m| id.claims.contains(&m.claim_value))
                        .map(|m| HeldRole {
                            role: m.role,
                            authority_id: Some(m.authority_id),
                            partner_id: m.partner_id,
                            source: RoleSource::ClaimMapping,
                            claim: Some(m.claim_value.clone()),
                        }),
                );
            }
        }
        candidates.extend(self.held_in_service(id));
        let vouches = provider.map_or(&Vouches::Everything, |p| &p.vouches);
        let (admitted, refused) = vouches.sort(candidates);
        if !refused.is_empty() {
            tracing::warn!(issuer = %id.issuer, subject = %id.subject, ?refused,
                "roles its identity provider may not vouch for were ignored");
        }
        admitted
    }
}

/// The directory as last read, shared by every request of the process.
pub struct Directory {
    /// The issuer configured by environment: the platform's own.
    platform: String,
    held: RwLock<Arc<Held>>,
    reading: tokio::sync::Mutex<()>,
}

impl Directory {
    pub fn new(platform_issuer: &str) -> Self {
        Directory {
            platform: platform_issuer.to_owned(),
            held: RwLock::default(),
            reading: tokio::sync::Mutex::default(),
        }
    }

    pub fn platform_issuer(&self) -> &str {
        &self.platform
    }

    pub fn is_platform(&self, issuer: &str) -> bool {
        issuer == self.platform
    }

    fn held(&self) -> Arc<Held> {
        self.held.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// The directory at `version`, read again if what is held is another:
    /// requests that find it stale together share one read.
    pub async fn at(&self, db: &impl ConnectionTrait, version: i64) -> ApiResult<Arc<Held>> {
        let held = self.held();
        if held.version == Some(version) {
            return Ok(held);
        }
        let _reading = self.reading.lock().await;
        let held = self.held();
        if held.version == Some(version) {
            return Ok(held);
        }
        // Read after the version was: it holds that version's changes at
        // least, so a role revoked by then is gone.
        let fresh = Arc::new(Held::new(version, store::directory::read(db).await?));
        if held.version.is_none_or(|v| v < version) {
            *self.held.write().unwrap_or_else(PoisonError::into_inner) = fresh.clone();
        }
        Ok(fresh)
    }

    /// The directory now: one statement to learn its version, and the
    /// directory's read only when it changed.
    pub async fn now(&self, db: &impl ConnectionTrait) -> ApiResult<Arc<Held>> {
        let version = store::data_version(db).await?.directory;
        self.at(db, version).await
    }

    /// The session `id` speaks for now: the versions read in one
    /// statement, and the directory read only when it changed. The session
    /// keeps the versions, at which the response cache looks its answer up.
    pub async fn resolve(&self, db: &impl ConnectionTrait, id: Identity) -> ApiResult<Session> {
        let version = store::data_version(db).await?;
        let held = self.at(db, version.directory).await?;
        let mut session = self.session(&held, id);
        session.version = Some(version);
        Ok(session)
    }

    /// The session `id` speaks for, in directory `held`.
    pub fn session(&self, held: &Held, id: Identity) -> Session {
        let provider = if self.is_platform(&id.issuer) {
            None
        } else {
            match held.provider(&id.issuer) {
                Some(p) => Some(p),
                // Its provider was removed since its token was verified:
                // it vouches for nothing.
                None => return self.session_with(held, id, Vec::new()),
            }
        };
        let grants = held.roles(&id, provider.as_deref());
        self.session_with(held, id, grants)
    }

    fn session_with(&self, held: &Held, id: Identity, grants: Vec<HeldRole>) -> Session {
        let authorities: BTreeSet<i64> = grants.iter().filter_map(|g| g.authority_id).collect();
        Session {
            authorities: authorities
                .iter()
                .filter_map(|a| held.authorities.get(a).cloned())
                .collect(),
            viewer: Viewer::User {
                subject: id.subject,
                name: id.name,
                issuer: id.issuer,
                email: id.email,
                grants,
            },
            version: None,
        }
    }
}
