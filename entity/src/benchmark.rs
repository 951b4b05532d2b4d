//! Benchmarks across councils, as DESIGN.md's "Benchmarking across councils"
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

use crate::enums::Polarity;

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
/// orders equal values (DESIGN: "equal values by authority name"). The schema
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
