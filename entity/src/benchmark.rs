//! Benchmarks across councils, as the README's "Comparing councils"
//! defines them: the statistics of a metric's values over a comparison group,
//! the councils best first with competition ranks, and the quarter of the
//! group each council falls in.
//!
//! Everything is exact decimal arithmetic, so that a council exactly at a
//! quartile lands on the documented side of it: a float would put 0.1 +
//! 0.75 × (0.2 − 0.1) at 0.17500000000000002 and band a council with 0.175
//! in the wrong quarter. The only rounding is where a decimal cannot hold the
//! answer at all: a mean such as 16 / 3, which `Decimal` keeps to 28 or 29
//! significant digits (its 96-bit mantissa), far beyond the 15 to 17 of the
//! `Float` the contract returns it as.

use std::cmp::Ordering;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use sea_orm::{ActiveEnum, Iterable};

use crate::enums::{
    AuthorityKind, BenchmarkSource, ComparisonGroupKind, DataQuality, Frequency, Polarity, Unit,
};
use crate::period::Period;

/// Whether a council's reported result counts in a benchmark: a
/// PROVISIONAL figure never does (LG Inform's club publishes none), so a
/// reference value, if any, stands for the council instead.
pub fn counts(quality: DataQuality) -> bool {
    quality != DataQuality::Provisional
}

/// p of the lower quartile.
pub const LOWER_QUARTILE: Decimal = Decimal::from_parts(25, 0, 0, false, 2);
/// p of the median.
pub const MEDIAN: Decimal = Decimal::from_parts(5, 0, 0, false, 1);
/// p of the upper quartile.
pub const UPPER_QUARTILE: Decimal = Decimal::from_parts(75, 0, 0, false, 2);

/// The statistics of a benchmark over the members that have a value. Every
/// statistic but `count` is `None` exactly when there are no values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Statistics {
    pub count: usize,
    /// The sum divided by `count`: exact when the quotient fits a `Decimal`
    /// (28 significant digits at least), otherwise rounded to fit by
    /// `rust_decimal`'s division (half to even, the last digit only).
    pub mean: Option<Decimal>,
    pub min: Option<Decimal>,
    pub max: Option<Decimal>,
    pub median: Option<Decimal>,
    pub lower_quartile: Option<Decimal>,
    pub upper_quartile: Option<Decimal>,
}

impl Statistics {
    /// The statistics of `values`, in any order.
    pub fn of(values: &[Decimal]) -> Self {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        Statistics {
            count: sorted.len(),
            mean: mean(&sorted),
            min: sorted.first().copied(),
            max: sorted.last().copied(),
            median: quantile(&sorted, MEDIAN),
            lower_quartile: quantile(&sorted, LOWER_QUARTILE),
            upper_quartile: quantile(&sorted, UPPER_QUARTILE),
        }
    }
}

/// The arithmetic mean; `None` for no values.
///
/// The sum is exact. Only when the sum itself leaves `Decimal`'s range
/// (beyond ±7.9 × 10²⁸, which no council statistic comes near, but nothing
/// bounds an entered value) is the mean taken as Σ(x ÷ n) instead, each term
/// rounded to `Decimal`'s precision and the running sum held within its
/// range: off from the true mean by a few units in the 28th significant digit
/// at most, rather than no mean at all for a group of representable values.
fn mean(values: &[Decimal]) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    let n = Decimal::from(values.len());
    let sum = values.iter().try_fold(Decimal::ZERO, |s, &x| s.checked_add(x));
    match sum {
        Some(sum) => sum.checked_div(n),
        None => values
            .iter()
            .try_fold(Decimal::ZERO, |s, &x| Some(s.saturating_add(x.checked_div(n)?))),
    }
}

/// The p-quantile of values sorted ascending, by linear interpolation between
/// closest ranks (spreadsheets' `QUARTILE.INC` and `PERCENTILE.INC`): at
/// h = (n − 1)·p it is x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋₊₁ − x⌊h⌋).
///
/// `None` for no values or p outside 0..=1. `sorted` must be ascending; the
/// answer for unsorted input is meaningless (but never a panic).
///
/// For the quartiles h − ⌊h⌋ is 0, ¼, ½ or ¾, so the answer has at most two
/// more decimal places than the values and is exact whenever that fits 28
/// significant digits.
pub fn quantile(sorted: &[Decimal], p: Decimal) -> Option<Decimal> {
    if sorted.is_empty() || p < Decimal::ZERO || p > Decimal::ONE {
        return None;
    }
    let h = Decimal::from(sorted.len() - 1).checked_mul(p)?;
    let floor = h.floor();
    let below = *sorted.get(floor.to_usize()?)?;
    let fraction = h - floor;
    if fraction.is_zero() {
        // Exactly on a value; also keeps p = 1 from reading past the end.
        return Some(below);
    }
    let above = *sorted.get(floor.to_usize()? + 1)?;
    match above.checked_sub(below) {
        Some(gap) => below.checked_add(fraction.checked_mul(gap)?),
        // The gap of values of opposite sign near the ends of Decimal's range
        // overflows; the weighted form cannot, its terms having opposite signs.
        None => (Decimal::ONE - fraction)
            .checked_mul(below)?
            .checked_add(fraction.checked_mul(above)?),
    }
}

/// What a benchmark needs of one of its values: the value and the name that
/// orders equal values (README: "equal values by authority name"). The schema
/// implements it for its rows, so that a benchmark borrows them, not copies.
pub trait BenchmarkEntry {
    fn value(&self) -> Decimal;
    /// Equal values are ordered by this, in `str`'s order (by code point):
    /// a caller wanting another collation passes a key that sorts so.
    fn name(&self) -> &str;
}

/// `(name, value)`, for callers (and tests) without a row type of their own.
impl<N: AsRef<str>> BenchmarkEntry for (N, Decimal) {
    fn value(&self) -> Decimal {
        self.1
    }
    fn name(&self) -> &str {
        self.0.as_ref()
    }
}

/// Whether `a` comes before `b` in a benchmark: better by the polarity first,
/// then by name. With polarity NONE no value is better than another, so every
/// value ties and the list reads in name order.
fn best_first(polarity: Polarity, a: Decimal, b: Decimal) -> Ordering {
    match polarity {
        Polarity::HigherIsBetter => b.cmp(&a),
        Polarity::LowerIsBetter => a.cmp(&b),
        Polarity::None => Ordering::Equal,
    }
}

/// One entry of a ranking.
#[derive(Debug, PartialEq, Eq)]
pub struct Ranked<'a, T> {
    pub entry: &'a T,
    /// 1 is best; `None` when polarity is NONE.
    pub rank: Option<usize>,
}

impl<T> Clone for Ranked<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Ranked<'_, T> {}

/// The entries best first by `polarity`, equal values by name, with
/// competition ranks: equal values share the better rank and the next value
/// skips the ranks they took (1, 2, 2, 4), for either polarity. Equal means
/// numerically equal: 4.0 and 4.00 tie.
pub fn rank<T: BenchmarkEntry>(polarity: Polarity, entries: &[T]) -> Vec<Ranked<'_, T>> {
    let mut order: Vec<&T> = entries.iter().collect();
    order.sort_by(|a, b| best_first(polarity, a.value(), b.value()).then_with(|| a.name().cmp(b.name())));
    let mut ranked: Vec<Ranked<'_, T>> = Vec::with_capacity(order.len());
    for (i, entry) in order.into_iter().enumerate() {
        let rank = match ranked.last() {
            _ if polarity == Polarity::None => None,
            Some(prev) if prev.entry.value() == entry.value() => prev.rank,
            _ => Some(i + 1),
        };
        ranked.push(Ranked { entry, rank });
    }
    ranked
}

/// The quarter of the group `value` falls in, 1 the best: higher is better,
/// 1 if value ≥ upper quartile, 2 if ≥ median, 3 if ≥ lower quartile, else 4;
/// lower is better mirrors it (1 if value ≤ lower quartile, 2 if ≤ median, 3
/// if ≤ upper quartile, else 4). A value exactly at a quartile is in the
/// better quarter. `None` when polarity is NONE or the group has no values.
pub fn quartile_band(polarity: Polarity, value: Decimal, stats: &Statistics) -> Option<u8> {
    let (lower, median, upper) = (stats.lower_quartile?, stats.median?, stats.upper_quartile?);
    let band = match polarity {
        Polarity::HigherIsBetter if value >= upper => 1,
        Polarity::HigherIsBetter if value >= median => 2,
        Polarity::HigherIsBetter if value >= lower => 3,
        Polarity::HigherIsBetter => 4,
        Polarity::LowerIsBetter if value <= lower => 1,
        Polarity::LowerIsBetter if value <= median => 2,
        Polarity::LowerIsBetter if value <= upper => 3,
        Polarity::LowerIsBetter => 4,
        Polarity::None => return None,
    };
    Some(band)
}

/// One value of a benchmark, where it stands.
#[derive(Debug, PartialEq, Eq)]
pub struct Placed<'a, T> {
    pub entry: &'a T,
    /// 1 is best; `None` when polarity is NONE.
    pub rank: Option<usize>,
    /// 1 is the best quarter; `None` when polarity is NONE.
    pub quartile: Option<u8>,
}

impl<T> Clone for Placed<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Placed<'_, T> {}

/// A benchmark of one metric in one period over one group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Benchmark<'a, T> {
    pub statistics: Statistics,
    /// Best first; equal values by name.
    pub values: Vec<Placed<'a, T>>,
}

/// The benchmark of `entries`, one per member of the group with a value (the
/// caller has already chosen which value counts: published, own over
/// reference).
pub fn benchmark<T: BenchmarkEntry>(polarity: Polarity, entries: &[T]) -> Benchmark<'_, T> {
    let values: Vec<Decimal> = entries.iter().map(BenchmarkEntry::value).collect();
    let statistics = Statistics::of(&values);
    let values = rank(polarity, entries)
        .into_iter()
        .map(|r| Placed {
            entry: r.entry,
            rank: r.rank,
            quartile: quartile_band(polarity, r.entry.value(), &statistics),
        })
        .collect();
    Benchmark { statistics, values }
}

/// Which value of an authority enters a benchmark: its own published result
/// wins over the reference value loaded for it. The caller passes only
/// published results: nothing unpublished is ever a candidate.
pub fn chosen<T>(reported: Option<T>, reference: Option<T>) -> Option<(T, BenchmarkSource)> {
    reported
        .map(|v| (v, BenchmarkSource::Reported))
        .or_else(|| reference.map(|v| (v, BenchmarkSource::Reference)))
}

/// The slug of the built-in group of every authority.
pub const ALL: &str = "all";

/// The slugs of region groups start with this, so that no region can take
/// the slug of another built-in group (a region called "County") or of a
/// stored one.
pub const REGION_PREFIX: &str = "region-";

/// A group whose members follow the authorities' own rows, never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BuiltIn {
    All,
    Kind(AuthorityKind),
    /// The authorities whose region has this slug.
    Region(String),
}

impl BuiltIn {
    pub fn kind(&self) -> ComparisonGroupKind {
        match self {
            BuiltIn::All => ComparisonGroupKind::All,
            BuiltIn::Kind(_) => ComparisonGroupKind::AuthorityKind,
            BuiltIn::Region(_) => ComparisonGroupKind::Region,
        }
    }

    /// Whether an authority of `kind` in `region` is a member.
    pub fn covers(&self, kind: AuthorityKind, region: Option<&str>) -> bool {
        match self {
            BuiltIn::All => true,
            BuiltIn::Kind(k) => *k == kind,
            BuiltIn::Region(slug) => region.and_then(region_slug).as_deref() == Some(slug.as_str()),
        }
    }
}

/// The built-in group a slug names: `all`, a kind in lower case with
/// hyphens (`london-borough`), or `region-` and a region's slug.
pub fn built_in(slug: &str) -> Option<BuiltIn> {
    if slug == ALL {
        return Some(BuiltIn::All);
    }
    if let Some(region) = slug.strip_prefix(REGION_PREFIX) {
        return crate::values::is_slug(region).then(|| BuiltIn::Region(slug.to_owned()));
    }
    AuthorityKind::iter()
        .find(|k| kind_slug(*k) == slug)
        .map(BuiltIn::Kind)
}

/// Whether a stored group may not take `slug`: every slug a built-in group
/// has or could have.
pub fn is_reserved(slug: &str) -> bool {
    built_in(slug).is_some() || slug.starts_with(REGION_PREFIX)
}

/// The slug of the group of authorities of one kind: `LONDON_BOROUGH` is
/// `london-borough`.
pub fn kind_slug(kind: AuthorityKind) -> String {
    kind.to_value().to_lowercase().replace('_', "-")
}

/// The slug of a region's group: `region-` and the region's letters and
/// digits in lower case, every other run of characters one hyphen ("South
/// East" and "south-east" are one region). `None` when the region has no
/// letter or digit, or the slug would be too long.
pub fn region_slug(region: &str) -> Option<String> {
    let mut slug = String::from(REGION_PREFIX);
    for word in region
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if slug.len() > REGION_PREFIX.len() {
            slug.push('-');
        }
        slug.push_str(&word.to_ascii_lowercase());
    }
    (slug.len() > REGION_PREFIX.len() && crate::values::is_slug(&slug)).then_some(slug)
}

/// The period of a metric's frequency that a benchmark asked for at
/// `period` is about: `period` itself, or the one of the metric's frequency
/// containing it (asked at a quarter, an annual metric answers for the
/// quarter's financial year). `None` when `period` is coarser than the
/// metric's periods: a year holds four quarters, and no one of them is the
/// year's.
pub fn benchmark_period(period: Period, metric: Frequency) -> Option<Period> {
    let kind = metric.period_kind();
    match period.kind().cmp(&kind) {
        Ordering::Equal => Some(period),
        Ordering::Greater => Some(Period::containing(kind, period.start_date())),
        Ordering::Less => None,
    }
}

/// Whether a measure may be linked to a metric, and if not why: it must
/// count in the metric's unit, and report as often as the metric or more
/// often. Only its results in the metric's own periods are the metric's
/// values: a quarterly measure of an annual metric reports none, and its
/// authority's reference value stands for it.
pub fn linkable(measure: (Unit, Frequency), metric: (Unit, Frequency)) -> Result<(), String> {
    if measure.0 != metric.0 {
        return Err(format!(
            "the measure counts in {:?} and the metric in {:?}",
            measure.0, metric.0
        ));
    }
    if measure.1.period_kind() < metric.1.period_kind() {
        return Err(format!(
            "the measure reports {:?} and the metric {:?}: a measure reports as often as its metric or more",
            measure.1, metric.1
        ));
    }
    Ok(())
}
