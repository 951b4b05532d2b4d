//! Benchmark statistics, ranks and quartile bands as the README's
//! "Comparing councils" defines them, against values worked by
//! hand. Quantiles are `QUARTILE.INC`: for n values sorted ascending
//! x₀…xₙ₋₁ the p-quantile is at h = (n − 1)·p, x⌊h⌋ + (h − ⌊h⌋)·(x⌊h⌋₊₁ − x⌊h⌋).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use rust_decimal::Decimal;

use crate::benchmark::{
    BenchmarkEntry, LOWER_QUARTILE, MEDIAN, Statistics, UPPER_QUARTILE, benchmark, quantile, quartile_band,
    rank,
};
use crate::enums::Polarity;
use crate::enums::Polarity::{HigherIsBetter, LowerIsBetter, None as NoPolarity};

fn d(s: &str) -> Decimal {
    Decimal::from_str_exact(s).unwrap()
}

fn ds(values: &[&str]) -> Vec<Decimal> {
    values.iter().map(|s| d(s)).collect()
}

fn stats(values: &[&str]) -> Statistics {
    Statistics::of(&ds(values))
}

/// count, then [mean, min, max, lower quartile, median, upper quartile].
fn expect(s: &Statistics, count: usize, [mean, min, max, lq, median, uq]: [&str; 6]) {
    assert_eq!(s.count, count);
    assert_eq!(s.mean, Some(d(mean)), "mean");
    assert_eq!(s.min, Some(d(min)), "min");
    assert_eq!(s.max, Some(d(max)), "max");
    assert_eq!(s.lower_quartile, Some(d(lq)), "lower quartile");
    assert_eq!(s.median, Some(d(median)), "median");
    assert_eq!(s.upper_quartile, Some(d(uq)), "upper quartile");
}

/// A row as the schema will hold it: authority name, value, and something
/// else (the source) that the benchmark must carry along untouched.
#[derive(Debug, PartialEq, Eq)]
struct Row {
    authority: String,
    value: Decimal,
    reference: bool,
}

impl BenchmarkEntry for Row {
    fn value(&self) -> Decimal {
        self.value
    }
    fn name(&self) -> &str {
        &self.authority
    }
}

fn rows(entries: &[(&str, &str)]) -> Vec<(String, Decimal)> {
    entries.iter().map(|(n, v)| ((*n).to_owned(), d(v))).collect()
}

/// (name, rank) best first.
fn ranking(polarity: Polarity, entries: &[(String, Decimal)]) -> Vec<(&str, Option<usize>)> {
    rank(polarity, entries)
        .into_iter()
        .map(|r| (r.entry.0.as_str(), r.rank))
        .collect()
}

// ---------------------------------------------------------------- quantiles

#[test]
fn one_value() {
    // n = 1: h = 0·p = 0 for every p, ⌊h⌋ = 0, h − ⌊h⌋ = 0: every quantile is x₀.
    expect(
        &stats(&["7.25"]),
        1,
        ["7.25", "7.25", "7.25", "7.25", "7.25", "7.25"],
    );
}

#[test]
fn two_values() {
    // Sorted 10, 20 (given in reverse); n − 1 = 1, gap x₁ − x₀ = 10.
    // lower quartile: h = 0.25, ⌊h⌋ = 0: 10 + 0.25·10 = 12.5
    // median:         h = 0.5,  ⌊h⌋ = 0: 10 + 0.5·10  = 15
    // upper quartile: h = 0.75, ⌊h⌋ = 0: 10 + 0.75·10 = 17.5
    // mean 30 / 2 = 15.
    expect(&stats(&["20", "10"]), 2, ["15", "10", "20", "12.5", "15", "17.5"]);
}

#[test]
fn three_values() {
    // Sorted 3, 4, 9 (given 3, 9, 4); n − 1 = 2.
    // lower quartile: h = 0.5, ⌊h⌋ = 0: 3 + 0.5·(4 − 3) = 3.5
    // median:         h = 1,   ⌊h⌋ = 1: x₁ = 4, no interpolation
    // upper quartile: h = 1.5, ⌊h⌋ = 1: 4 + 0.5·(9 − 4) = 6.5
    // mean 16 / 3 = 5.333…: not a finite decimal, so rounded to Decimal's
    // 96-bit mantissa, here 29 significant digits (5.3333…3 × 10²⁸ < 2⁹⁶ ≈ 7.9 × 10²⁸).
    expect(
        &stats(&["3", "9", "4"]),
        3,
        ["5.3333333333333333333333333333", "3", "9", "3.5", "4", "6.5"],
    );
}

#[test]
fn four_values() {
    // Sorted 10, 12.5, 20, 40 (given 12.5, 10, 40, 20); n − 1 = 3.
    // lower quartile: h = 0.75, ⌊h⌋ = 0: 10 + 0.75·(12.5 − 10) = 10 + 1.875 = 11.875
    // median:         h = 1.5,  ⌊h⌋ = 1: 12.5 + 0.5·(20 − 12.5) = 12.5 + 3.75 = 16.25
    // upper quartile: h = 2.25, ⌊h⌋ = 2: 20 + 0.25·(40 − 20) = 20 + 5 = 25
    // mean 82.5 / 4 = 20.625.
    expect(
        &stats(&["12.5", "10", "40", "20"]),
        4,
        ["20.625", "10", "40", "11.875", "16.25", "25"],
    );
}

#[test]
fn five_values() {
    // Sorted 48.9, 52.3, 55.0, 61.2, 70.4; n − 1 = 4, so h = 1, 2, 3 and
    // every quartile is a value (h − ⌊h⌋ = 0):
    // lower quartile x₁ = 52.3, median x₂ = 55.0, upper quartile x₃ = 61.2.
    // mean 287.8 / 5 = 57.56.
    expect(
        &stats(&["61.2", "48.9", "55.0", "70.4", "52.3"]),
        5,
        ["57.56", "48.9", "70.4", "52.3", "55.0", "61.2"],
    );
}

/// Thirteen councils' rates, as the end-to-end test has thirteen.
const THIRTEEN: [(&str, &str); 13] = [
    ("Adur", "41.2"),
    ("Barnet", "35.7"),
    ("Croydon", "52.0"),
    ("Dorset", "44.8"),
    ("Ealing", "29.3"),
    ("Fenland", "47.5"),
    ("Gedling", "38.1"),
    ("Halton", "44.8"),
    ("Islington", "56.3"),
    ("Kent", "33.9"),
    ("Luton", "50.6"),
    ("Maidstone", "41.2"),
    ("Newham", "45.0"),
];

fn thirteen() -> Vec<(String, Decimal)> {
    rows(&THIRTEEN)
}

#[test]
fn thirteen_values() {
    // Sorted:  x₀ 29.3  x₁ 33.9  x₂ 35.7  x₃ 38.1  x₄ 41.2  x₅ 41.2  x₆ 44.8
    //          x₇ 44.8  x₈ 45.0  x₉ 47.5  x₁₀ 50.6  x₁₁ 52.0  x₁₂ 56.3
    // n − 1 = 12, so the quartiles fall on values (h − ⌊h⌋ = 0):
    // lower quartile h = 3: x₃ = 38.1; median h = 6: x₆ = 44.8;
    // upper quartile h = 9: x₉ = 47.5.
    // Sum 560.4; mean 560.4 / 13 = 43.107692 307692 307692 … (076923 repeats).
    // A Decimal holds 29 significant digits of it (4.3…× 10²⁸ < 2⁹⁶):
    // 43.107692307692307692307692307|69…, the next digit 6 rounds the last up
    // to …308.
    //
    // Cross-check, no spreadsheet application being to hand: Python's
    // statistics.quantiles(values, n=4, method="inclusive") computes the same
    // (n − 1)·p interpolation as QUARTILE.INC / PERCENTILE.INC (Excel,
    // LibreOffice, Google Sheets; R's type 7) and gives [38.1, 44.8, 47.5];
    // fractions.Fraction gives the mean as 2802/65 = 43.1076923…
    let values: Vec<Decimal> = thirteen().into_iter().map(|(_, v)| v).collect();
    expect(
        &Statistics::of(&values),
        13,
        [
            "43.107692307692307692307692308",
            "29.3",
            "56.3",
            "38.1",
            "44.8",
            "47.5",
        ],
    );
}

#[test]
fn thirteen_values_between_ranks() {
    // The quartiles of thirteen values fall on values; other p interpolate.
    // p = 0.1: h = 1.2,  ⌊h⌋ = 1:  33.9 + 0.2·(35.7 − 33.9) = 33.9 + 0.36 = 34.26
    // p = 0.9: h = 10.8, ⌊h⌋ = 10: 50.6 + 0.8·(52.0 − 50.6) = 50.6 + 1.12 = 51.72
    // p = 0.6: h = 7.2,  ⌊h⌋ = 7:  44.8 + 0.2·(45.0 − 44.8) = 44.8 + 0.04 = 44.84
    // Python's statistics.quantiles(values, n=10, method="inclusive")
    // (PERCENTILE.INC) gives 34.260000000000005, 51.720000000000006 and
    // 44.839999999999996 in floats: the exact figures are these.
    let mut sorted: Vec<Decimal> = thirteen().into_iter().map(|(_, v)| v).collect();
    sorted.sort();
    assert_eq!(quantile(&sorted, d("0.1")), Some(d("34.26")));
    assert_eq!(quantile(&sorted, d("0.9")), Some(d("51.72")));
    assert_eq!(quantile(&sorted, d("0.6")), Some(d("44.84")));
    assert_eq!(
        quantile(&sorted, Decimal::ZERO),
        Some(d("29.3")),
        "p = 0 is the min"
    );
    assert_eq!(
        quantile(&sorted, Decimal::ONE),
        Some(d("56.3")),
        "p = 1 is the max"
    );
}

#[test]
fn quantile_refuses_what_it_cannot_answer() {
    let sorted = ds(&["1", "2"]);
    assert_eq!(quantile(&[], MEDIAN), None, "no values");
    assert_eq!(quantile(&sorted, d("-0.01")), None);
    assert_eq!(quantile(&sorted, d("1.01")), None);
    assert_eq!(
        (LOWER_QUARTILE, MEDIAN, UPPER_QUARTILE),
        (d("0.25"), d("0.5"), d("0.75"))
    );
}

#[test]
fn quartiles_are_exact_where_floats_are_not() {
    // Sorted 0.1, 0.2, 0.3, 0.7; lower quartile h = 0.75, ⌊h⌋ = 0:
    // 0.1 + 0.75·(0.2 − 0.1) = 0.175 exactly (a float gives 0.17500000000000002,
    // and would band a council with 0.175 in the bottom quarter).
    let s = stats(&["0.3", "0.1", "0.7", "0.2"]);
    assert_eq!(s.lower_quartile, Some(d("0.175")));
    assert_eq!(quartile_band(HigherIsBetter, d("0.175"), &s), Some(3));
    // Mean 1.3 / 4 = 0.325 exactly.
    assert_eq!(s.mean, Some(d("0.325")));
}

#[test]
fn a_group_with_no_values() {
    let s = Statistics::of(&[]);
    assert_eq!(
        s,
        Statistics {
            count: 0,
            mean: None,
            min: None,
            max: None,
            median: None,
            lower_quartile: None,
            upper_quartile: None,
        }
    );
    for polarity in [HigherIsBetter, LowerIsBetter, NoPolarity] {
        assert_eq!(quartile_band(polarity, d("1"), &s), None, "{polarity:?}");
        let b = benchmark::<(String, Decimal)>(polarity, &[]);
        assert_eq!(b.statistics, s);
        assert!(b.values.is_empty());
    }
}

#[test]
fn extreme_values_do_not_overflow() {
    // Decimal's largest magnitude is 2⁹⁶ − 1 = 79228162514264337593543950335.
    let max = Decimal::MAX;
    let min = Decimal::MIN;
    // The gap min..max overflows; the weighted form does not:
    // median of (MIN, MAX) is 0.5·MIN + 0.5·MAX = 0.
    let s = Statistics::of(&[max, min]);
    assert_eq!(s.median, Some(Decimal::ZERO));
    assert_eq!(s.mean, Some(Decimal::ZERO), "sum 0 fits");
    // MAX + MAX overflows the sum; the mean is Σ(x ÷ n): MAX ÷ 2 rounds
    // (half to even) to …168, and …168 × 2 is one past MAX, held at MAX.
    let s = Statistics::of(&[max, max]);
    assert_eq!(s.mean, Some(max));
    assert_eq!(s.upper_quartile, Some(max));
    // 1 + MAX overflows too. True mean (2·MAX + 1) ÷ 3
    // = 158456325028528675187087900671 ÷ 3 = 52818775009509558395695966890.33…,
    // which a Decimal holds as …890 (no room for a decimal place). Σ(x ÷ 3) =
    // 0.333… + 26409387504754779197847983445 × 2 rounds to the same.
    let s = Statistics::of(&[max, Decimal::ONE, max]);
    assert_eq!(s.mean, Some(d("52818775009509558395695966890")));
}

// -------------------------------------------------------------------- ranks

#[test]
fn higher_is_better_ranks_share_the_better_rank() {
    // 9 best; the two 4s share rank 2 and the 2 after them is 4th.
    // Equal values by name: Barnet before Croydon whatever the input order.
    let e = rows(&[("Dorset", "2"), ("Croydon", "4"), ("Adur", "9"), ("Barnet", "4")]);
    assert_eq!(
        ranking(HigherIsBetter, &e),
        [
            ("Adur", Some(1)),
            ("Barnet", Some(2)),
            ("Croydon", Some(2)),
            ("Dorset", Some(4))
        ]
    );
}

#[test]
fn lower_is_better_ranks_share_the_better_rank() {
    // The same values lower is better: 2 best; the two 4s share the better,
    // smaller, rank 2 (not 3); 9 is 4th.
    let e = rows(&[("Dorset", "2"), ("Croydon", "4"), ("Adur", "9"), ("Barnet", "4")]);
    assert_eq!(
        ranking(LowerIsBetter, &e),
        [
            ("Dorset", Some(1)),
            ("Barnet", Some(2)),
            ("Croydon", Some(2)),
            ("Adur", Some(4))
        ]
    );
}

#[test]
fn ties_at_the_top_and_everywhere() {
    let e = rows(&[("Kent", "7"), ("Halton", "3"), ("Ealing", "7.00")]);
    // 7 and 7.00 are the same value: both first, then 3rd.
    assert_eq!(
        ranking(HigherIsBetter, &e),
        [("Ealing", Some(1)), ("Kent", Some(1)), ("Halton", Some(3))]
    );
    assert_eq!(
        ranking(LowerIsBetter, &e),
        [("Halton", Some(1)), ("Ealing", Some(2)), ("Kent", Some(2))]
    );
    let all = rows(&[("Luton", "5"), ("Fenland", "5"), ("Gedling", "5")]);
    assert_eq!(
        ranking(LowerIsBetter, &all),
        [("Fenland", Some(1)), ("Gedling", Some(1)), ("Luton", Some(1))]
    );
}

#[test]
fn one_council_is_first_and_in_the_best_quarter() {
    for polarity in [HigherIsBetter, LowerIsBetter] {
        let e = rows(&[("Croydon", "12")]);
        let b = benchmark(polarity, &e);
        assert_eq!(b.values.len(), 1);
        assert_eq!(
            (b.values[0].rank, b.values[0].quartile),
            (Some(1), Some(1)),
            "{polarity:?}"
        );
    }
}

// -------------------------------------------------------------------- bands

#[test]
fn bands_exactly_at_a_quartile_higher_is_better() {
    // Five values: lower quartile 52.3, median 55.0, upper quartile 61.2 (five_values).
    let s = stats(&["61.2", "48.9", "55.0", "70.4", "52.3"]);
    let band = |v: &str| quartile_band(HigherIsBetter, d(v), &s);
    assert_eq!(band("70.4"), Some(1));
    assert_eq!(band("61.2"), Some(1), "at the upper quartile: best quarter");
    assert_eq!(band("61.19"), Some(2));
    assert_eq!(band("55.0"), Some(2), "at the median: second");
    assert_eq!(band("55"), Some(2), "at the median at another scale");
    assert_eq!(band("54.99"), Some(3));
    assert_eq!(band("52.3"), Some(3), "at the lower quartile: third");
    assert_eq!(band("52.2999999999"), Some(4));
    assert_eq!(band("48.9"), Some(4));
}

#[test]
fn bands_exactly_at_a_quartile_lower_is_better() {
    let s = stats(&["61.2", "48.9", "55.0", "70.4", "52.3"]);
    let band = |v: &str| quartile_band(LowerIsBetter, d(v), &s);
    assert_eq!(band("48.9"), Some(1));
    assert_eq!(band("52.3"), Some(1), "at the lower quartile: best quarter");
    assert_eq!(band("52.3000000001"), Some(2));
    assert_eq!(band("55.0"), Some(2), "at the median: second");
    assert_eq!(band("55.01"), Some(3));
    assert_eq!(band("61.2"), Some(3), "at the upper quartile: third");
    assert_eq!(band("61.21"), Some(4));
    assert_eq!(band("70.4"), Some(4));
}

#[test]
fn bands_at_interpolated_quartiles() {
    // Four values: lower quartile 11.875, median 16.25, upper quartile 25
    // (four_values), none of them a value of the group.
    let s = stats(&["12.5", "10", "40", "20"]);
    let higher = |v: &str| quartile_band(HigherIsBetter, d(v), &s);
    let lower = |v: &str| quartile_band(LowerIsBetter, d(v), &s);
    assert_eq!((higher("25"), higher("24.999")), (Some(1), Some(2)));
    assert_eq!((higher("16.25"), higher("16.249")), (Some(2), Some(3)));
    assert_eq!((higher("11.875"), higher("11.874")), (Some(3), Some(4)));
    assert_eq!((lower("11.875"), lower("11.876")), (Some(1), Some(2)));
    assert_eq!((lower("16.25"), lower("16.251")), (Some(2), Some(3)));
    assert_eq!((lower("25"), lower("25.001")), (Some(3), Some(4)));
    // The group's own values: 40 and 20 above the median, 12.5 and 10 below.
    let b: Vec<_> = ["40", "20", "12.5", "10"].iter().map(|v| higher(v)).collect();
    assert_eq!(b, [Some(1), Some(2), Some(3), Some(4)]);
}

#[test]
fn two_councils_are_a_first_and_a_fourth() {
    // Quartiles 12.5, 15, 17.5 (two_values): 20 ≥ 17.5, 10 < 12.5.
    let e = rows(&[("Kent", "10"), ("Luton", "20")]);
    let higher = benchmark(HigherIsBetter, &e);
    let placed: Vec<_> = higher
        .values
        .iter()
        .map(|p| (p.entry.0.as_str(), p.rank, p.quartile))
        .collect();
    assert_eq!(placed, [("Luton", Some(1), Some(1)), ("Kent", Some(2), Some(4))]);
    let lower = benchmark(LowerIsBetter, &e);
    let placed: Vec<_> = lower
        .values
        .iter()
        .map(|p| (p.entry.0.as_str(), p.rank, p.quartile))
        .collect();
    assert_eq!(placed, [("Kent", Some(1), Some(1)), ("Luton", Some(2), Some(4))]);
}

// ---------------------------------------------------------- whole benchmark

/// (name, value, rank, quartile) best first.
fn table(polarity: Polarity) -> Vec<(String, String, Option<usize>, Option<u8>)> {
    let e = thirteen();
    benchmark(polarity, &e)
        .values
        .iter()
        .map(|p| (p.entry.0.clone(), p.entry.1.to_string(), p.rank, p.quartile))
        .collect()
}

fn expected(
    rows: &[(&str, &str, Option<usize>, Option<u8>)],
) -> Vec<(String, String, Option<usize>, Option<u8>)> {
    rows.iter()
        .map(|(n, v, r, q)| ((*n).to_owned(), (*v).to_owned(), *r, *q))
        .collect()
}

#[test]
fn league_table_of_thirteen_higher_is_better() {
    // Quartiles 38.1, 44.8, 47.5 (thirteen_values). Bands: ≥ 47.5 first,
    // ≥ 44.8 second, ≥ 38.1 third, else fourth. Ties: Dorset and Halton at
    // 44.8 share 6th (then 8th), Adur and Maidstone at 41.2 share 8th (then 10th).
    assert_eq!(
        table(HigherIsBetter),
        expected(&[
            ("Islington", "56.3", Some(1), Some(1)),
            ("Croydon", "52.0", Some(2), Some(1)),
            ("Luton", "50.6", Some(3), Some(1)),
            ("Fenland", "47.5", Some(4), Some(1)),
            ("Newham", "45.0", Some(5), Some(2)),
            ("Dorset", "44.8", Some(6), Some(2)),
            ("Halton", "44.8", Some(6), Some(2)),
            ("Adur", "41.2", Some(8), Some(3)),
            ("Maidstone", "41.2", Some(8), Some(3)),
            ("Gedling", "38.1", Some(10), Some(3)),
            ("Barnet", "35.7", Some(11), Some(4)),
            ("Kent", "33.9", Some(12), Some(4)),
            ("Ealing", "29.3", Some(13), Some(4)),
        ])
    );
}

#[test]
fn league_table_of_thirteen_lower_is_better() {
    // Bands: ≤ 38.1 first, ≤ 44.8 second, ≤ 47.5 third, else fourth. Ties
    // share the better, smaller, rank: Adur and Maidstone 5th (then 7th),
    // Dorset and Halton 7th (then 9th).
    assert_eq!(
        table(LowerIsBetter),
        expected(&[
            ("Ealing", "29.3", Some(1), Some(1)),
            ("Kent", "33.9", Some(2), Some(1)),
            ("Barnet", "35.7", Some(3), Some(1)),
            ("Gedling", "38.1", Some(4), Some(1)),
            ("Adur", "41.2", Some(5), Some(2)),
            ("Maidstone", "41.2", Some(5), Some(2)),
            ("Dorset", "44.8", Some(7), Some(2)),
            ("Halton", "44.8", Some(7), Some(2)),
            ("Newham", "45.0", Some(9), Some(3)),
            ("Fenland", "47.5", Some(10), Some(3)),
            ("Luton", "50.6", Some(11), Some(4)),
            ("Croydon", "52.0", Some(12), Some(4)),
            ("Islington", "56.3", Some(13), Some(4)),
        ])
    );
}

#[test]
fn polarity_none_has_statistics_but_no_ranks_or_bands() {
    // No value is better than another, so all tie and read by name;
    // the statistics are those of thirteen_values all the same.
    let e = thirteen();
    let b = benchmark(NoPolarity, &e);
    assert_eq!(
        b.statistics,
        Statistics::of(&e.iter().map(|(_, v)| *v).collect::<Vec<_>>())
    );
    assert_eq!(b.statistics.median, Some(d("44.8")));
    let names: Vec<&str> = b.values.iter().map(|p| p.entry.0.as_str()).collect();
    let mut by_name: Vec<&str> = THIRTEEN.iter().map(|(n, _)| *n).collect();
    by_name.sort();
    assert_eq!(names, by_name);
    assert!(b.values.iter().all(|p| p.rank.is_none() && p.quartile.is_none()));
    assert!(ranking(NoPolarity, &e).iter().all(|(_, r)| r.is_none()));
    assert_eq!(quartile_band(NoPolarity, d("44.8"), &b.statistics), None);
}

#[test]
fn a_benchmark_borrows_the_callers_rows() {
    // The schema's rows carry more than name and value (the source); the
    // benchmark hands back references to them, in order, not copies.
    let rows = vec![
        Row {
            authority: "Croydon".into(),
            value: d("60"),
            reference: false,
        },
        Row {
            authority: "Barnet".into(),
            value: d("70"),
            reference: true,
        },
    ];
    let b = benchmark(HigherIsBetter, &rows);
    assert!(std::ptr::eq(b.values[0].entry, &rows[1]));
    assert!(std::ptr::eq(b.values[1].entry, &rows[0]));
    assert!(b.values[0].entry.reference);
    assert_eq!(b.statistics.mean, Some(d("65")));
}

// ---------------------------------------------------------- groups and sources

#[test]
fn an_own_published_result_wins_over_a_reference_value() {
    use crate::benchmark::chosen;
    use crate::enums::BenchmarkSource::{Reference, Reported};
    assert_eq!(chosen(Some(1), Some(2)), Some((1, Reported)));
    assert_eq!(chosen(None, Some(2)), Some((2, Reference)));
    assert_eq!(chosen(Some(1), None), Some((1, Reported)));
    assert_eq!(chosen::<i32>(None, None), None);
}

#[test]
fn built_in_groups_by_slug() {
    use crate::benchmark::{BuiltIn, built_in, is_reserved, kind_slug, region_slug};
    use crate::enums::AuthorityKind;
    assert_eq!(built_in("all"), Some(BuiltIn::All));
    assert_eq!(kind_slug(AuthorityKind::LondonBorough), "london-borough");
    assert_eq!(
        kind_slug(AuthorityKind::MetropolitanBorough),
        "metropolitan-borough"
    );
    for (slug, kind) in [
        ("county", AuthorityKind::County),
        ("district", AuthorityKind::District),
        ("london-borough", AuthorityKind::LondonBorough),
        ("metropolitan-borough", AuthorityKind::MetropolitanBorough),
        ("unitary", AuthorityKind::Unitary),
        ("other", AuthorityKind::Other),
    ] {
        assert_eq!(built_in(slug), Some(BuiltIn::Kind(kind)), "{slug}");
        assert!(is_reserved(slug));
    }
    assert_eq!(region_slug("South East").as_deref(), Some("region-south-east"));
    assert_eq!(region_slug(" south-east ").as_deref(), Some("region-south-east"));
    assert_eq!(
        region_slug("Yorkshire and The Humber").as_deref(),
        Some("region-yorkshire-and-the-humber")
    );
    assert_eq!(region_slug("—"), None, "no letter or digit");
    assert_eq!(
        built_in("region-south-east"),
        Some(BuiltIn::Region("region-south-east".to_owned()))
    );
    assert_eq!(built_in("region-"), None);
    assert!(is_reserved("region-"), "the prefix is reserved whatever follows");
    assert_eq!(built_in("kent-neighbours"), None);
    assert!(!is_reserved("kent-neighbours"));
    assert_eq!(built_in("London-Borough"), None, "slugs are lower case");
}

#[test]
fn built_in_groups_cover_by_kind_and_region() {
    use crate::benchmark::{BuiltIn, built_in};
    use crate::enums::AuthorityKind::{County, Unitary};
    let se = built_in("region-south-east").expect("a region slug");
    assert!(se.covers(County, Some("South East")));
    assert!(se.covers(Unitary, Some("south east")));
    assert!(!se.covers(County, Some("London")));
    assert!(!se.covers(County, None));
    assert!(BuiltIn::Kind(County).covers(County, None));
    assert!(!BuiltIn::Kind(County).covers(Unitary, Some("South East")));
    assert!(BuiltIn::All.covers(Unitary, None));
}

#[test]
fn a_benchmark_is_about_a_period_of_the_metrics_frequency() {
    use crate::benchmark::benchmark_period;
    use crate::enums::Frequency::{Annual, Monthly, Quarterly};
    let p = |s: &str| s.parse::<crate::Period>().expect("a period");
    assert_eq!(benchmark_period(p("2022-23"), Annual), Some(p("2022-23")));
    assert_eq!(benchmark_period(p("2022-23 Q4"), Annual), Some(p("2022-23")));
    assert_eq!(
        benchmark_period(p("2023-03"), Annual),
        Some(p("2022-23")),
        "March is in the year to March"
    );
    assert_eq!(benchmark_period(p("2023-04"), Quarterly), Some(p("2023-24 Q1")));
    assert_eq!(
        benchmark_period(p("2022-23 Q2"), Quarterly),
        Some(p("2022-23 Q2"))
    );
    assert_eq!(
        benchmark_period(p("2022-23"), Quarterly),
        None,
        "a year is not one quarter"
    );
    assert_eq!(benchmark_period(p("2022-23 Q1"), Monthly), None);
}

#[test]
fn a_measure_links_to_a_metric_of_its_unit_and_no_finer_frequency() {
    use crate::benchmark::linkable;
    use crate::enums::Frequency::{Annual, Monthly, Quarterly};
    use crate::enums::Unit::{Count, Percent};
    assert!(linkable((Percent, Annual), (Percent, Annual)).is_ok());
    assert!(linkable((Percent, Quarterly), (Percent, Annual)).is_ok());
    assert!(linkable((Percent, Monthly), (Percent, Quarterly)).is_ok());
    let e = linkable((Count, Annual), (Percent, Annual)).expect_err("units differ");
    assert!(e.contains("Count") && e.contains("Percent"), "{e}");
    assert!(linkable((Percent, Annual), (Percent, Quarterly)).is_err());
}

#[test]
fn what_can_be_a_code() {
    use crate::values::is_code;
    assert!(is_code("NI192"));
    assert!(is_code("ASCOF-1A"));
    assert!(!is_code(""));
    assert!(!is_code("NI 192"));
    assert!(!is_code("NI192\u{0}"));
    assert!(!is_code(&"x".repeat(33)));
}
