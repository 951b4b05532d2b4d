//! The benchmark read model: comparison groups and their members, and a
//! metric's values over a group in a period, placed by the rules of
//! `entity::benchmark`. The same for every viewer: only published results
//! and reference values ever enter (`rating::visible::in_benchmark`).
//!
//! A request reads each thing once: the authorities (one statement), a
//! stored group's members (batched), and the values of every (metric,
//! period) it asks about (four statements for the whole batch), however many
//! authorities, measures or groups it covers.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use async_graphql::dataloader::Loader;
use entity::benchmark::{self as rules, BenchmarkEntry, BuiltIn, Statistics};
use entity::model::{authority, comparison_group, measure, metric};
use entity::{AuthorityKind, BenchmarkSource, ComparisonGroupKind, Period};
use rust_decimal::Decimal;
use tokio::sync::OnceCell;

use crate::error::ApiError;
use crate::loaders::{Cached, Loaders, Shared, cached};
use crate::rating::visible;
use crate::store::{self, Reader, unique};

/// A comparison group: built in (its members follow the authorities' rows)
/// or stored.
#[derive(Clone, Debug)]
pub enum Group {
    BuiltIn {
        which: BuiltIn,
        slug: String,
        name: String,
    },
    Stored(comparison_group::Model),
}

impl Group {
    pub fn slug(&self) -> &str {
        match self {
            Group::BuiltIn { slug, .. } => slug,
            Group::Stored(g) => &g.slug,
        }
    }
    pub fn name(&self) -> &str {
        match self {
            Group::BuiltIn { name, .. } => name,
            Group::Stored(g) => &g.name,
        }
    }
    pub fn kind(&self) -> ComparisonGroupKind {
        match self {
            Group::BuiltIn { which, .. } => which.kind(),
            Group::Stored(g) => g.kind,
        }
    }
    pub fn owner_id(&self) -> Option<i64> {
        match self {
            Group::BuiltIn { .. } => None,
            Group::Stored(g) => g.owner_id,
        }
    }
}

/// How a built-in group of one kind of authority is named.
fn kind_name(kind: AuthorityKind) -> &'static str {
    match kind {
        AuthorityKind::County => "County councils",
        AuthorityKind::District => "District councils",
        AuthorityKind::LondonBorough => "London boroughs",
        AuthorityKind::MetropolitanBorough => "Metropolitan boroughs",
        AuthorityKind::Unitary => "Unitary authorities",
        AuthorityKind::Other => "Other authorities",
    }
}

/// One authority's value of a metric in a period, before it is placed.
#[derive(Clone, Debug)]
pub struct Candidate {
    pub value: Decimal,
    pub source: BenchmarkSource,
    /// The measure the value was reported by; for a reference value, the
    /// authority's measure linked to the metric, if it has one.
    pub measure_id: Option<i64>,
}

/// A metric's candidates in one period, by authority id.
type Values = Arc<HashMap<i64, Candidate>>;

/// One member's place in a benchmark.
#[derive(Clone, Debug)]
pub struct Placed {
    pub authority: authority::Model,
    pub candidate: Candidate,
    pub rank: Option<usize>,
    pub quartile: Option<u8>,
}

/// A benchmark of a metric in a period over a group.
#[derive(Debug)]
pub struct Benchmark {
    pub metric: metric::Model,
    pub period: Period,
    pub group: Group,
    pub statistics: Statistics,
    /// Best first; equal values by authority name.
    pub values: Vec<Placed>,
}

struct Member<'a> {
    authority: &'a authority::Model,
    candidate: &'a Candidate,
}

impl BenchmarkEntry for Member<'_> {
    fn value(&self) -> Decimal {
        self.candidate.value
    }
    fn name(&self) -> &str {
        &self.authority.name
    }
}

/// The benchmarks of one request.
pub struct Benchmarks {
    db: Reader,
    values: Cached<ValuesLoader>,
    /// Read by the first resolver to ask; the others wait for its answer
    /// rather than each reading them.
    authorities: Mutex<Arc<OnceCell<Arc<[authority::Model]>>>>,
}

impl Benchmarks {
    pub fn new(db: Reader) -> Self {
        Benchmarks {
            values: cached(ValuesLoader { db: db.clone() }),
            db,
            authorities: Mutex::default(),
        }
    }

    /// Drops what was read: after a write it may be out of date.
    pub fn forget(&self) {
        self.values.clear::<(i64, Period)>();
        *self.authorities.lock().unwrap_or_else(PoisonError::into_inner) = Arc::default();
    }

    /// Every authority, by slug: built-in groups are read off them, and a
    /// benchmark names its members from them.
    pub async fn authorities(&self) -> Shared<Arc<[authority::Model]>> {
        let cell = self
            .authorities
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let all = cell
            .get_or_try_init(|| async { store::authorities(&self.db).await.map(Arc::from) })
            .await?;
        Ok(all.clone())
    }

    /// The group a slug names, if any: a region's group exists while an
    /// authority is in that region.
    pub async fn group(&self, slug: &str) -> Shared<Option<Group>> {
        let Some(which) = rules::built_in(slug) else {
            return Ok(store::benchmarks::group_by_slug(&self.db, slug)
                .await?
                .map(Group::Stored));
        };
        let name = match &which {
            BuiltIn::All => "All authorities".to_owned(),
            BuiltIn::Kind(k) => kind_name(*k).to_owned(),
            BuiltIn::Region(_) => {
                let all = self.authorities().await?;
                let named = all
                    .iter()
                    .filter(|a| which.covers(a.kind, a.region.as_deref()))
                    .find_map(|a| a.region.clone());
                match named {
                    Some(region) => region,
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(Group::BuiltIn {
            which,
            slug: slug.to_owned(),
            name,
        }))
    }

    /// Every group: `all`, one per authority kind, one per region in use
    /// (by slug), then the stored groups (by slug).
    pub async fn groups(&self) -> Shared<Vec<Group>> {
        let all = self.authorities().await?;
        let mut groups = Vec::new();
        for slug in std::iter::once(rules::ALL.to_owned())
            .chain(<AuthorityKind as sea_orm::Iterable>::iter().map(rules::kind_slug))
        {
            groups.extend(self.group(&slug).await?);
        }
        let mut regions: Vec<(String, String)> = all
            .iter()
            .filter_map(|a| {
                let region = a.region.as_ref()?;
                Some((rules::region_slug(region)?, region.clone()))
            })
            .collect();
        regions.sort();
        regions.dedup_by(|a, b| a.0 == b.0);
        groups.extend(regions.into_iter().filter_map(|(slug, name)| {
            Some(Group::BuiltIn {
                which: rules::built_in(&slug)?,
                slug,
                name,
            })
        }));
        groups.extend(
            store::benchmarks::groups(&self.db)
                .await?
                .into_iter()
                .map(Group::Stored),
        );
        Ok(groups)
    }

    /// A group's members as it lists them (a nearest-neighbour group lists
    /// the neighbours, not its owner), by name.
    pub async fn members(&self, rows: &Loaders, group: &Group) -> Shared<Vec<authority::Model>> {
        let all = self.authorities().await?;
        let mut members: Vec<authority::Model> = match group {
            Group::BuiltIn { which, .. } => all
                .iter()
                .filter(|a| which.covers(a.kind, a.region.as_deref()))
                .cloned()
                .collect(),
            Group::Stored(g) => {
                let listed = rows.members_of_group.load_one(g.id).await?.unwrap_or_default();
                let ids: HashSet<i64> = listed.iter().map(|m| m.authority_id).collect();
                all.iter().filter(|a| ids.contains(&a.id)).cloned().collect()
            }
        };
        members.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(members)
    }

    /// The benchmark of `metric` at `period` (a period of the metric's
    /// frequency) over `group`: its members and, for a nearest-neighbour
    /// group, its owner.
    pub async fn benchmark(
        &self,
        rows: &Loaders,
        metric: metric::Model,
        period: Period,
        group: Group,
    ) -> Shared<Arc<Benchmark>> {
        let mut covered = self.members(rows, &group).await?;
        if group.kind() == ComparisonGroupKind::NearestNeighbours
            && let Some(owner) = group.owner_id()
        {
            let all = self.authorities().await?;
            covered.extend(all.iter().filter(|a| a.id == owner).cloned());
        }
        let values = self
            .values
            .load_one((metric.id, period))
            .await?
            .unwrap_or_default();
        let members: Vec<Member<'_>> = covered
            .iter()
            .filter_map(|a| {
                Some(Member {
                    authority: a,
                    candidate: values.get(&a.id)?,
                })
            })
            .collect();
        let placed = rules::benchmark(metric.polarity, &members);
        let values = placed
            .values
            .iter()
            .map(|p| Placed {
                authority: p.entry.authority.clone(),
                candidate: p.entry.candidate.clone(),
                rank: p.rank,
                quartile: p.quartile,
            })
            .collect();
        Ok(Arc::new(Benchmark {
            statistics: placed.statistics,
            values,
            metric,
            period,
            group,
        }))
    }
}

/// The candidates of metrics in periods, by (metric id, period): four
/// statements a batch.
pub struct ValuesLoader {
    db: Reader,
}

impl Loader<(i64, Period)> for ValuesLoader {
    type Value = Values;
    type Error = Arc<ApiError>;

    async fn load(&self, keys: &[(i64, Period)]) -> Shared<HashMap<(i64, Period), Values>> {
        let metric_ids = unique(keys.iter().map(|k| k.0));
        let periods = unique(keys.iter().map(|k| k.1));
        let mut linked = store::benchmarks::linked_measures(&self.db, &metric_ids).await?;
        // An authority's measure of a metric is its live one first, then its
        // oldest: the one whose result counts and that a value links to.
        linked.sort_by_key(|m| (m.archived, m.id));
        let plan_ids = unique(linked.iter().map(|m| m.plan_id));
        let measure_ids: Vec<i64> = linked.iter().map(|m| m.id).collect();
        let (published, results) = if linked.is_empty() {
            (HashSet::new(), HashMap::new())
        } else {
            let publications = store::rows_where_in::<entity::model::publication::Entity>(
                &self.db,
                entity::model::publication::Column::PlanId,
                &plan_ids,
                None,
            )
            .await?;
            let results = store::results_in(&self.db, &measure_ids, &periods).await?;
            (
                publications
                    .into_iter()
                    .map(|p| (p.plan_id, p.period))
                    .collect::<HashSet<_>>(),
                results
                    .into_iter()
                    .filter(|r| rules::counts(r.quality))
                    .map(|r| ((r.measure_id, r.period), r.value))
                    .collect::<HashMap<_, _>>(),
            )
        };
        let references = store::benchmarks::reference_values(&self.db, &metric_ids, &periods).await?;
        let mut out: HashMap<(i64, Period), HashMap<i64, Candidate>> = HashMap::new();
        for key @ (metric_id, period) in keys.iter().copied() {
            let of_metric: Vec<&measure::Model> =
                linked.iter().filter(|m| m.metric_id == Some(metric_id)).collect();
            let mut reported: HashMap<i64, Candidate> = HashMap::new();
            let mut linked_of: HashMap<i64, i64> = HashMap::new();
            for m in &of_metric {
                linked_of.entry(m.authority_id).or_insert(m.id);
                let published = visible::in_benchmark(published.contains(&(m.plan_id, period)));
                if let (true, Some(value)) = (published, results.get(&(m.id, period))) {
                    reported.entry(m.authority_id).or_insert(Candidate {
                        value: value.0,
                        source: BenchmarkSource::Reported,
                        measure_id: Some(m.id),
                    });
                }
            }
            let mut reference: HashMap<i64, Candidate> = references
                .iter()
                .filter(|v| v.metric_id == metric_id && v.period == period)
                .map(|v| {
                    (
                        v.authority_id,
                        Candidate {
                            value: v.value.0,
                            source: BenchmarkSource::Reference,
                            measure_id: linked_of.get(&v.authority_id).copied(),
                        },
                    )
                })
                .collect();
            let authorities: HashSet<i64> = reported.keys().chain(reference.keys()).copied().collect();
            let chosen = authorities
                .into_iter()
                .filter_map(|a| {
                    let (c, _) = rules::chosen(reported.remove(&a), reference.remove(&a))?;
                    Some((a, c))
                })
                .collect();
            out.insert(key, chosen);
        }
        Ok(out.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}
