//! Periods in the UK financial year, as docs/contract.md ("Periods") defines them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;

use crate::enums::Frequency;
use crate::period::{Period, PeriodError, PeriodKind};

fn p(s: &str) -> Period {
    s.parse().unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
}

fn ps(list: &[&str]) -> Vec<Period> {
    list.iter().map(|s| p(s)).collect()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

// ---------------------------------------------------------------- parsing

#[test]
fn parses_financial_year() {
    assert_eq!(p("2023-24"), Period::Year { fy: 2023 });
    assert_eq!(p("2024-25"), Period::Year { fy: 2024 });
    assert_eq!(p("2015-16"), Period::Year { fy: 2015 });
    assert_eq!(p("2023-24").kind(), PeriodKind::Year);
}

#[test]
fn parses_financial_year_across_a_century() {
    assert_eq!(p("1999-00"), Period::Year { fy: 1999 });
    assert_eq!(p("2099-00"), Period::Year { fy: 2099 });
}

#[test]
fn parses_every_quarter() {
    for q in 1..=4u8 {
        let s = format!("2023-24 Q{q}");
        assert_eq!(p(&s), Period::Quarter { fy: 2023, q }, "{s}");
        assert_eq!(p(&s).kind(), PeriodKind::Quarter);
    }
}

#[test]
fn parses_every_month() {
    for m in 1..=12u8 {
        let s = format!("2024-{m:02}");
        assert_eq!(p(&s), Period::Month { year: 2024, month: m }, "{s}");
        assert_eq!(p(&s).kind(), PeriodKind::Month);
    }
    assert_eq!(p("2024-02"), Period::Month { year: 2024, month: 2 });
    assert_eq!(
        p("2023-12"),
        Period::Month {
            year: 2023,
            month: 12
        }
    );
}

#[test]
fn yyyy_nn_is_a_year_only_when_nn_is_the_next_year() {
    // 2024-25 is a year; 2024-12 is December 2024; 2024-24 is neither.
    assert_eq!(p("2024-25").kind(), PeriodKind::Year);
    assert_eq!(p("2024-12").kind(), PeriodKind::Month);
    assert!("2024-24".parse::<Period>().is_err());
    // Documented ambiguity: for years whose next year ends in 01–12 the
    // string reads as the financial year, never as the month.
    assert_eq!(p("2010-11"), Period::Year { fy: 2010 });
    assert_eq!(p("2000-01"), Period::Year { fy: 2000 });
    assert_eq!(p("2011-12"), Period::Year { fy: 2011 });
    assert_eq!(
        p("2012-12"),
        Period::Month {
            year: 2012,
            month: 12
        }
    );
}

#[test]
fn rejects_malformed_periods() {
    let bad = [
        // from the brief
        "2023-25",
        "2023-24 Q5",
        "2023-24 Q0",
        "2024-13",
        "2024-00",
        "2023/24",
        " 2023-24",
        "2023-24 q1",
        "2023-24  Q1",
        "",
        "abcd-ef",
        "2023-2024",
        // more
        "2023-22",
        "2023-24 ",
        "2023-24\n",
        "2023-24\tQ1",
        "2023-24 Q1 ",
        "2023-24Q1",
        "2023-24 Q",
        "2023-24 Q12",
        "2023-24 Q01",
        "2023-24 Q1x",
        "2023-24 Q+1",
        "2023-24 Q-1",
        "2023-24 Qa",
        "2023-24 FY",
        "Q1 2023-24",
        "2023-24 Q1 Q2",
        "2024-02 Q1",
        "2024-2",
        "2024-002",
        "24-25",
        "024-25",
        "12023-24",
        "2024",
        "2024-",
        "-2024-02",
        "+2024-02",
        "2024-+2",
        "2024--2",
        "2024-02-01",
        "2024_02",
        "2024 02",
        "2023\u{2212}24",
        "\u{ff12}\u{ff10}\u{ff12}\u{ff13}-24",
        "２０２３-24",
        "2023-2４",
        "FY2023-24",
        "2023-24 Q1\0",
        " ",
        "-",
        // outside the supported years
        "1899-00",
        "0000-01",
        "1899-12",
        "3000-01",
        "9999-00",
        "1899-00 Q1",
    ];
    for s in bad {
        assert_eq!(
            s.parse::<Period>(),
            Err(PeriodError(s.to_owned())),
            "{s:?} should be refused"
        );
    }
}

#[test]
fn error_message_names_the_input_and_the_valid_forms() {
    let e = "2023/24".parse::<Period>().unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains("`2023/24`"), "{msg}");
    assert!(msg.contains("2023-24"), "{msg}");
    assert!(msg.contains("2023-24 Q1"), "{msg}");
    assert!(msg.contains("2024-02"), "{msg}");
}

#[test]
fn constructors_check_their_arguments() {
    assert_eq!(Period::year(2023), Ok(Period::Year { fy: 2023 }));
    assert_eq!(Period::quarter(2023, 4), Ok(Period::Quarter { fy: 2023, q: 4 }));
    assert_eq!(Period::month(2024, 2), Ok(Period::Month { year: 2024, month: 2 }));
    assert!(Period::year(1899).is_err());
    assert!(Period::year(3000).is_err());
    assert!(Period::year(1900).is_ok());
    assert!(Period::year(2999).is_ok());
    assert!(Period::quarter(2023, 0).is_err());
    assert!(Period::quarter(2023, 5).is_err());
    assert!(Period::quarter(1899, 1).is_err());
    assert!(Period::month(2024, 0).is_err());
    assert!(Period::month(2024, 13).is_err());
    assert!(Period::month(3000, 1).is_err());
}

// ---------------------------------------------------------------- display

#[test]
fn displays_canonical_forms() {
    assert_eq!(Period::Year { fy: 2023 }.to_string(), "2023-24");
    assert_eq!(Period::Year { fy: 1999 }.to_string(), "1999-00");
    assert_eq!(Period::Year { fy: 2009 }.to_string(), "2009-10");
    assert_eq!(Period::Quarter { fy: 2023, q: 1 }.to_string(), "2023-24 Q1");
    assert_eq!(Period::Quarter { fy: 2023, q: 4 }.to_string(), "2023-24 Q4");
    assert_eq!(Period::Month { year: 2024, month: 2 }.to_string(), "2024-02");
    assert_eq!(
        Period::Month {
            year: 2023,
            month: 12
        }
        .to_string(),
        "2023-12"
    );
}

#[test]
fn display_round_trips() {
    let samples = [
        "2023-24",
        "2024-25",
        "1999-00",
        "1900-01",
        "2999-00",
        "2023-24 Q1",
        "2023-24 Q2",
        "2023-24 Q3",
        "2023-24 Q4",
        "1999-00 Q4",
        "2024-01",
        "2024-02",
        "2024-09",
        "2024-10",
        "2024-12",
        "1900-12",
        "2999-12",
    ];
    for s in samples {
        assert_eq!(p(s).to_string(), s);
        assert_eq!(p(&p(s).to_string()), p(s));
    }
}

#[test]
fn every_period_of_a_decade_round_trips() {
    for fy in 2013..=2032 {
        let y = Period::year(fy).unwrap();
        assert_eq!(p(&y.to_string()), y);
        for q in 1..=4 {
            let qp = Period::quarter(fy, q).unwrap();
            assert_eq!(p(&qp.to_string()), qp);
        }
        for m in 1..=12 {
            let mp = Period::month(fy, m).unwrap();
            assert_eq!(p(&mp.to_string()), mp);
        }
    }
}

// ---------------------------------------------------------------- structure

#[test]
fn kind_of_each_form() {
    assert_eq!(p("2023-24").kind(), PeriodKind::Year);
    assert_eq!(p("2023-24 Q3").kind(), PeriodKind::Quarter);
    assert_eq!(p("2023-10").kind(), PeriodKind::Month);
}

#[test]
fn frequency_period_kind() {
    assert_eq!(Frequency::Monthly.period_kind(), PeriodKind::Month);
    assert_eq!(Frequency::Quarterly.period_kind(), PeriodKind::Quarter);
    assert_eq!(Frequency::Annual.period_kind(), PeriodKind::Year);
}

#[test]
fn financial_year_of_each_kind() {
    assert_eq!(p("2023-24").financial_year(), p("2023-24"));
    for q in 1..=4 {
        assert_eq!(p(&format!("2023-24 Q{q}")).financial_year(), p("2023-24"));
    }
    for m in [
        "2023-04", "2023-05", "2023-09", "2023-12", "2024-01", "2024-02", "2024-03",
    ] {
        assert_eq!(p(m).financial_year(), p("2023-24"), "{m}");
    }
    assert_eq!(p("2023-03").financial_year(), p("2022-23"));
    assert_eq!(p("2024-04").financial_year(), p("2024-25"));
}

#[test]
fn quarter_of_each_month() {
    let expect = [
        ("2023-04", "2023-24 Q1"),
        ("2023-05", "2023-24 Q1"),
        ("2023-06", "2023-24 Q1"),
        ("2023-07", "2023-24 Q2"),
        ("2023-08", "2023-24 Q2"),
        ("2023-09", "2023-24 Q2"),
        ("2023-10", "2023-24 Q3"),
        ("2023-11", "2023-24 Q3"),
        ("2023-12", "2023-24 Q3"),
        ("2024-01", "2023-24 Q4"),
        ("2024-02", "2023-24 Q4"),
        ("2024-03", "2023-24 Q4"),
        ("2024-04", "2024-25 Q1"),
    ];
    for (m, q) in expect {
        assert_eq!(p(m).quarter_of(), Some(p(q)), "{m}");
    }
}

#[test]
fn quarter_of_a_quarter_is_itself_and_a_year_has_none() {
    assert_eq!(p("2023-24 Q2").quarter_of(), Some(p("2023-24 Q2")));
    assert_eq!(p("2023-24").quarter_of(), None);
}

// ---------------------------------------------------------------- stepping

#[test]
fn previous_of_q1_is_q4_of_the_year_before() {
    assert_eq!(p("2023-24 Q1").previous(), Some(p("2022-23 Q4")));
}

#[test]
fn next_of_q4_is_q1_of_the_year_after() {
    assert_eq!(p("2023-24 Q4").next(), Some(p("2024-25 Q1")));
}

#[test]
fn previous_and_next_within_a_year() {
    assert_eq!(p("2023-24 Q2").previous(), Some(p("2023-24 Q1")));
    assert_eq!(p("2023-24 Q2").next(), Some(p("2023-24 Q3")));
    assert_eq!(p("2023-24 Q3").next(), Some(p("2023-24 Q4")));
    assert_eq!(p("2023-24 Q4").previous(), Some(p("2023-24 Q3")));
}

#[test]
fn previous_and_next_year() {
    assert_eq!(p("2023-24").previous(), Some(p("2022-23")));
    assert_eq!(p("2023-24").next(), Some(p("2024-25")));
    assert_eq!(p("1999-00").next(), Some(p("2000-01")));
    assert_eq!(p("2000-01").previous(), Some(p("1999-00")));
}

#[test]
fn months_step_across_january() {
    assert_eq!(p("2024-01").previous(), Some(p("2023-12")));
    assert_eq!(p("2023-12").next(), Some(p("2024-01")));
    assert_eq!(p("2024-02").previous(), Some(p("2024-01")));
    assert_eq!(p("2024-03").next(), Some(p("2024-04")));
    // Months step by calendar month, regardless of the financial year.
    assert_eq!(p("2024-04").previous(), Some(p("2024-03")));
}

#[test]
fn offset_steps_any_distance() {
    let q1 = p("2023-24 Q1");
    assert_eq!(q1.offset(0), Some(q1));
    assert_eq!(q1.offset(-1), Some(p("2022-23 Q4")));
    assert_eq!(q1.offset(-4), Some(p("2022-23 Q1")));
    assert_eq!(q1.offset(-5), Some(p("2021-22 Q4")));
    assert_eq!(q1.offset(3), Some(p("2023-24 Q4")));
    assert_eq!(q1.offset(4), Some(p("2024-25 Q1")));
    assert_eq!(q1.offset(9), Some(p("2025-26 Q2")));
    assert_eq!(p("2024-02").offset(-14), Some(p("2022-12")));
    assert_eq!(p("2024-02").offset(11), Some(p("2025-01")));
    assert_eq!(p("2024-02").offset(-25), Some(p("2022-01")));
    assert_eq!(p("2023-24").offset(-10), Some(p("2013-14")));
    assert_eq!(p("2023-24").offset(7), Some(p("2030-31")));
}

#[test]
fn offset_is_none_outside_the_supported_years() {
    assert_eq!(p("1900-01").previous(), None);
    assert_eq!(p("2999-00").next(), None);
    assert_eq!(p("1900-01 Q1").previous(), None);
    assert_eq!(p("2999-00 Q4").next(), None);
    assert_eq!(
        p("1900-02").offset(-1),
        Some(Period::Month { year: 1900, month: 1 })
    );
    assert_eq!(Period::Month { year: 1900, month: 1 }.previous(), None);
    assert_eq!(p("2999-12").next(), None);
    assert_eq!(p("2023-24").offset(i64::MAX / 2), None);
    assert_eq!(p("2023-24").offset(i64::MIN / 2), None);
}

#[test]
fn same_period_last_year_for_each_kind() {
    assert_eq!(p("2023-24").same_period_last_year(), Some(p("2022-23")));
    for q in 1..=4 {
        assert_eq!(
            p(&format!("2023-24 Q{q}")).same_period_last_year(),
            Some(p(&format!("2022-23 Q{q}")))
        );
    }
    assert_eq!(p("2024-02").same_period_last_year(), Some(p("2023-02")));
    assert_eq!(p("2024-01").same_period_last_year(), Some(p("2023-01")));
    assert_eq!(p("2023-12").same_period_last_year(), Some(p("2022-12")));
    assert_eq!(p("1900-01").same_period_last_year(), None);
    assert_eq!(p("1900-01 Q4").same_period_last_year(), None);
    assert_eq!(p("1900-12").same_period_last_year(), None);
}

#[test]
fn a_value_is_compared_by_the_next_period_and_the_same_one_next_year() {
    assert_eq!(p("2023-24").compared_by(), ps(&["2024-25"]));
    assert_eq!(p("2023-24 Q4").compared_by(), ps(&["2024-25 Q1", "2024-25 Q4"]));
    assert_eq!(p("2023-24 Q1").compared_by(), ps(&["2023-24 Q2", "2024-25 Q1"]));
    assert_eq!(p("2024-03").compared_by(), ps(&["2024-04", "2025-03"]));
    assert_eq!(p("2023-12").compared_by(), ps(&["2024-01", "2024-12"]));
}

#[test]
fn window_ends_with_the_period_oldest_first() {
    assert_eq!(
        p("2023-24 Q2").window(4),
        ps(&["2022-23 Q3", "2022-23 Q4", "2023-24 Q1", "2023-24 Q2"])
    );
    assert_eq!(
        p("2024-02").window(4),
        ps(&["2023-11", "2023-12", "2024-01", "2024-02"])
    );
    assert_eq!(p("2023-24").window(3), ps(&["2021-22", "2022-23", "2023-24"]));
    assert_eq!(p("2023-24 Q2").window(1), ps(&["2023-24 Q2"]));
    assert_eq!(p("2023-24 Q2").window(0), Vec::<Period>::new());
}

#[test]
fn window_stops_at_the_first_supported_year() {
    assert_eq!(p("1901-02").window(4), ps(&["1900-01", "1901-02"]));
}

#[test]
fn through_lists_every_period_inclusive() {
    assert_eq!(
        p("2023-24 Q3").through(&p("2024-25 Q2")),
        ps(&["2023-24 Q3", "2023-24 Q4", "2024-25 Q1", "2024-25 Q2"])
    );
    assert_eq!(
        p("2023-11").through(&p("2024-02")),
        ps(&["2023-11", "2023-12", "2024-01", "2024-02"])
    );
    assert_eq!(
        p("2021-22").through(&p("2023-24")),
        ps(&["2021-22", "2022-23", "2023-24"])
    );
    assert_eq!(p("2023-24 Q1").through(&p("2023-24 Q1")), ps(&["2023-24 Q1"]));
}

#[test]
fn through_is_empty_backwards_or_across_kinds() {
    assert!(p("2023-24 Q2").through(&p("2023-24 Q1")).is_empty());
    assert!(p("2024-02").through(&p("2023-12")).is_empty());
    assert!(p("2023-24").through(&p("2023-24 Q4")).is_empty());
    assert!(p("2023-24 Q1").through(&p("2023-24")).is_empty());
    assert!(p("2023-04").through(&p("2023-24 Q1")).is_empty());
}

#[test]
fn through_a_full_year_of_months() {
    let months = p("2023-04").through(&p("2024-03"));
    assert_eq!(months.len(), 12);
    assert!(months.iter().all(|m| m.financial_year() == p("2023-24")));
}

// ---------------------------------------------------------------- dates

#[test]
fn start_and_end_of_a_year() {
    assert_eq!(p("2023-24").start_date(), date(2023, 4, 1));
    assert_eq!(p("2023-24").end_date(), date(2024, 3, 31));
}

#[test]
fn start_and_end_of_each_quarter() {
    let expect = [
        ("2023-24 Q1", date(2023, 4, 1), date(2023, 6, 30)),
        ("2023-24 Q2", date(2023, 7, 1), date(2023, 9, 30)),
        ("2023-24 Q3", date(2023, 10, 1), date(2023, 12, 31)),
        ("2023-24 Q4", date(2024, 1, 1), date(2024, 3, 31)),
    ];
    for (q, start, end) in expect {
        assert_eq!(p(q).start_date(), start, "{q}");
        assert_eq!(p(q).end_date(), end, "{q}");
    }
}

#[test]
fn start_and_end_of_months() {
    assert_eq!(p("2024-02").start_date(), date(2024, 2, 1));
    assert_eq!(p("2024-02").end_date(), date(2024, 2, 29));
    assert_eq!(p("2023-02").end_date(), date(2023, 2, 28));
    assert_eq!(p("2023-12").start_date(), date(2023, 12, 1));
    assert_eq!(p("2023-12").end_date(), date(2023, 12, 31));
    assert_eq!(p("2024-04").end_date(), date(2024, 4, 30));
    assert_eq!(p("2024-01").end_date(), date(2024, 1, 31));
}

#[test]
fn end_dates_of_the_last_supported_periods() {
    // The last periods have no successor, but they still end when they end.
    assert_eq!(p("2999-00").end_date(), date(3000, 3, 31));
    assert_eq!(p("2999-00 Q3").end_date(), date(2999, 12, 31));
    assert_eq!(p("2999-00 Q4").start_date(), date(3000, 1, 1));
    assert_eq!(p("2999-00 Q4").end_date(), date(3000, 3, 31));
    assert_eq!(p("2999-12").end_date(), date(2999, 12, 31));
    assert!(!p("2999-12").contains(&p("2999-00 Q4")));
    assert!(p("2999-00").contains(&p("2999-00 Q4")));
}

#[test]
fn periods_tile_time_without_gaps() {
    for start in [p("2019-20"), p("2019-20 Q1"), p("2019-04")] {
        let mut cur = start;
        for _ in 0..30 {
            let next = cur.next().unwrap();
            assert!(cur.start_date() <= cur.end_date());
            assert_eq!(cur.end_date().succ_opt(), Some(next.start_date()), "{cur}");
            cur = next;
        }
    }
}

// ---------------------------------------------------------------- contains

#[test]
fn a_year_contains_its_quarters_and_months() {
    let y = p("2023-24");
    assert!(y.contains(&y));
    for q in 1..=4 {
        assert!(y.contains(&p(&format!("2023-24 Q{q}"))));
    }
    for m in p("2023-04").through(&p("2024-03")) {
        assert!(y.contains(&m), "{m}");
    }
    assert!(!y.contains(&p("2023-03")));
    assert!(!y.contains(&p("2024-04")));
    assert!(!y.contains(&p("2022-23 Q4")));
    assert!(!y.contains(&p("2024-25 Q1")));
    assert!(!y.contains(&p("2022-23")));
    assert!(!y.contains(&p("2024-25")));
}

#[test]
fn a_quarter_contains_its_three_months_and_not_the_fourth() {
    let q1 = p("2023-24 Q1");
    assert!(q1.contains(&q1));
    for m in ["2023-04", "2023-05", "2023-06"] {
        assert!(q1.contains(&p(m)), "{m}");
    }
    assert!(!q1.contains(&p("2023-07")));
    assert!(!q1.contains(&p("2023-03")));
    assert!(!q1.contains(&p("2023-24 Q2")));
    assert!(!q1.contains(&p("2023-24")));
}

#[test]
fn january_to_march_belong_to_q4_of_the_previous_financial_year() {
    let q4 = p("2023-24 Q4");
    for m in ["2024-01", "2024-02", "2024-03"] {
        assert!(q4.contains(&p(m)), "{m}");
        assert!(p("2023-24").contains(&p(m)), "{m}");
        assert!(!p("2024-25").contains(&p(m)), "{m}");
        assert_eq!(p(m).quarter_of(), Some(q4));
        assert_eq!(p(m).financial_year(), p("2023-24"));
    }
    assert!(!q4.contains(&p("2023-12")));
    assert!(!q4.contains(&p("2024-04")));
    assert!(!p("2024-25 Q4").contains(&p("2024-01")));
}

#[test]
fn a_month_contains_only_itself() {
    let m = p("2024-02");
    assert!(m.contains(&m));
    assert!(!m.contains(&p("2024-01")));
    assert!(!m.contains(&p("2023-24 Q4")));
    assert!(!m.contains(&p("2023-24")));
}

#[test]
fn contains_agrees_with_quarter_of_and_financial_year() {
    for m in p("2020-01").through(&p("2026-12")) {
        let q = m.quarter_of().unwrap();
        let y = m.financial_year();
        assert!(q.contains(&m), "{q} ∌ {m}");
        assert!(y.contains(&m), "{y} ∌ {m}");
        assert!(y.contains(&q), "{y} ∌ {q}");
        assert!(!q.next().unwrap().contains(&m));
        assert!(!q.previous().unwrap().contains(&m));
        assert!(!y.next().unwrap().contains(&m));
        assert!(!y.previous().unwrap().contains(&m));
    }
}

// ---------------------------------------------------------------- fallbacks and containing

#[test]
fn target_fallbacks_month_then_quarter_then_year() {
    assert_eq!(
        p("2024-02").target_fallbacks(),
        ps(&["2024-02", "2023-24 Q4", "2023-24"])
    );
    assert_eq!(
        p("2023-05").target_fallbacks(),
        ps(&["2023-05", "2023-24 Q1", "2023-24"])
    );
    assert_eq!(p("2023-24 Q3").target_fallbacks(), ps(&["2023-24 Q3", "2023-24"]));
    assert_eq!(p("2023-24").target_fallbacks(), ps(&["2023-24"]));
}

#[test]
fn containing_a_date() {
    let d = date(2024, 1, 15);
    assert_eq!(Period::containing(PeriodKind::Month, d), p("2024-01"));
    assert_eq!(Period::containing(PeriodKind::Quarter, d), p("2023-24 Q4"));
    assert_eq!(Period::containing(PeriodKind::Year, d), p("2023-24"));

    let d = date(2023, 4, 1);
    assert_eq!(Period::containing(PeriodKind::Month, d), p("2023-04"));
    assert_eq!(Period::containing(PeriodKind::Quarter, d), p("2023-24 Q1"));
    assert_eq!(Period::containing(PeriodKind::Year, d), p("2023-24"));

    let d = date(2023, 3, 31);
    assert_eq!(Period::containing(PeriodKind::Month, d), p("2023-03"));
    assert_eq!(Period::containing(PeriodKind::Quarter, d), p("2022-23 Q4"));
    assert_eq!(Period::containing(PeriodKind::Year, d), p("2022-23"));

    let d = date(2023, 12, 31);
    assert_eq!(Period::containing(PeriodKind::Quarter, d), p("2023-24 Q3"));
}

#[test]
fn containing_holds_the_date_for_every_day() {
    let mut d = date(2023, 1, 1);
    while d <= date(2025, 12, 31) {
        for kind in [PeriodKind::Month, PeriodKind::Quarter, PeriodKind::Year] {
            let per = Period::containing(kind, d);
            assert_eq!(per.kind(), kind);
            assert!(per.start_date() <= d && d <= per.end_date(), "{per} ∌ {d}");
        }
        d = d.succ_opt().unwrap();
    }
}

// ---------------------------------------------------------------- ordering

#[test]
fn ordering_is_chronological_longer_first() {
    let sorted = ps(&[
        "2022-23 Q4",
        "2023-03",
        "2023-24",
        "2023-24 Q1",
        "2023-04",
        "2023-05",
        "2023-06",
        "2023-24 Q2",
        "2023-07",
        "2023-12",
        "2023-24 Q4",
        "2024-01",
        "2024-03",
        "2024-25",
        "2024-25 Q1",
    ]);
    let mut shuffled = sorted.clone();
    shuffled.reverse();
    shuffled.swap(0, 7);
    shuffled.swap(3, 11);
    shuffled.sort();
    assert_eq!(shuffled, sorted);
}

#[test]
fn ordering_basic_comparisons() {
    assert!(p("2022-23") < p("2023-24"));
    assert!(p("2023-24 Q1") < p("2023-24 Q2"));
    assert!(p("2023-24 Q4") < p("2024-25 Q1"));
    assert!(p("2023-12") < p("2024-01"));
    assert!(p("2023-24") < p("2023-24 Q1"));
    assert!(p("2023-24 Q1") < p("2023-04"));
    assert!(p("2022-23 Q4") < p("2023-24"));
    assert!(p("2024-03") < p("2024-25"));
    assert_eq!(p("2023-24").cmp(&p("2023-24")), std::cmp::Ordering::Equal);
    assert_eq!(
        p("2023-24 Q2").partial_cmp(&p("2023-24 Q1")),
        Some(std::cmp::Ordering::Greater)
    );
    assert_eq!(p("2023-24").max(p("2022-23")), p("2023-24"));
}

#[test]
fn ordering_agrees_with_next_for_each_kind() {
    for start in [p("2019-20"), p("2019-20 Q1"), p("2019-04")] {
        let mut cur = start;
        for _ in 0..30 {
            let next = cur.next().unwrap();
            assert!(cur < next, "{cur} < {next}");
            assert_eq!(next.previous(), Some(cur));
            cur = next;
        }
    }
}

#[test]
fn equal_periods_hash_equal() {
    use std::collections::HashSet;
    let set: HashSet<Period> = ["2023-24", "2023-24", "2023-24 Q1", "2023-04"]
        .iter()
        .map(|s| p(s))
        .collect();
    assert_eq!(set.len(), 3);
}

// ---------------------------------------------------------------- periods due in a report

#[test]
fn a_quarter_holds_its_three_months() {
    assert_eq!(
        p("2025-26 Q3").ending_within(PeriodKind::Month),
        ps(&["2025-10", "2025-11", "2025-12"])
    );
    assert_eq!(
        p("2025-26 Q4").ending_within(PeriodKind::Month),
        ps(&["2026-01", "2026-02", "2026-03"])
    );
    assert_eq!(
        p("2025-26 Q3").ending_within(PeriodKind::Quarter),
        ps(&["2025-26 Q3"])
    );
}

#[test]
fn a_year_is_due_with_its_last_quarter_and_month_only() {
    for q in 1..=3 {
        assert!(
            p(&format!("2025-26 Q{q}"))
                .ending_within(PeriodKind::Year)
                .is_empty()
        );
    }
    assert_eq!(p("2025-26 Q4").ending_within(PeriodKind::Year), ps(&["2025-26"]));
    assert_eq!(p("2026-03").ending_within(PeriodKind::Year), ps(&["2025-26"]));
    assert!(p("2026-02").ending_within(PeriodKind::Year).is_empty());
    assert_eq!(
        p("2025-12").ending_within(PeriodKind::Quarter),
        ps(&["2025-26 Q3"])
    );
    assert!(p("2025-11").ending_within(PeriodKind::Quarter).is_empty());
}

#[test]
fn a_year_holds_every_quarter_and_month_of_it() {
    let y = p("2025-26");
    assert_eq!(y.ending_within(PeriodKind::Year), ps(&["2025-26"]));
    assert_eq!(
        y.ending_within(PeriodKind::Quarter),
        ps(&["2025-26 Q1", "2025-26 Q2", "2025-26 Q3", "2025-26 Q4"])
    );
    assert_eq!(
        y.ending_within(PeriodKind::Month),
        p("2025-04").through(&p("2026-03"))
    );
    assert_eq!(p("2025-11").ending_within(PeriodKind::Month), ps(&["2025-11"]));
}

#[test]
fn every_period_due_lies_in_the_same_financial_year() {
    for per in p("2023-24").through(&p("2026-27")).into_iter().chain(
        p("2023-24 Q1")
            .through(&p("2026-27 Q4"))
            .into_iter()
            .chain(p("2023-04").through(&p("2027-03"))),
    ) {
        for kind in [PeriodKind::Year, PeriodKind::Quarter, PeriodKind::Month] {
            for due in per.ending_within(kind) {
                assert_eq!(due.kind(), kind);
                assert_eq!(due.financial_year(), per.financial_year(), "{per}: {due}");
                assert!(per.contains(&due) || due.contains(&per), "{per}: {due}");
            }
        }
    }
}
