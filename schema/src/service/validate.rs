//! Input checks for mutations, each failing with `BAD_USER_INPUT` before
//! anything is written. The limits are documented in the README.

use async_graphql::ID;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{Num, Period, PeriodKind};
use rust_decimal::Decimal;

use sea_orm::EntityTrait;

use crate::error::{ApiError, ApiResult};
use crate::ids;

/// Longest name (authority, partner, panel, owner).
pub const MAX_NAME: usize = 200;
/// Longest title (plan, node, measure, action plan, meeting, agenda item).
pub const MAX_TITLE: usize = 300;
/// Longest code of a node, measure or metric.
pub use entity::values::MAX_CODE;
/// Longest slug.
pub use entity::values::MAX_SLUG;
/// Longest commentary, action description, minutes or note.
pub const MAX_TEXT: usize = 10_000;
/// Most actions in one action plan, rows in one submitResults, ids in a remit.
pub const MAX_ITEMS: usize = 1_000;

fn bad(field: &'static str, msg: String) -> ApiError {
    ApiError::invalid(field, msg)
}

/// Trimmed, non-empty, at most `max` characters, no control characters but
/// line breaks and tabs.
pub fn text(field: &'static str, value: &str, max: usize) -> ApiResult<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(bad(field, format!("{field} must not be empty")));
    }
    if v.chars().count() > max {
        return Err(bad(field, format!("{field} is longer than {max} characters")));
    }
    if v.chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(bad(field, format!("{field} contains control characters")));
    }
    Ok(v.to_owned())
}

pub fn optional_text(field: &'static str, value: Option<&str>, max: usize) -> ApiResult<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// Lower-case letters, digits and hyphens, as in URLs.
pub fn slug(value: &str) -> ApiResult<String> {
    if entity::values::is_slug(value) {
        Ok(value.to_owned())
    } else {
        Err(bad(
            "slug",
            format!("slug `{value}` must be 1 to {MAX_SLUG} lower-case letters, digits and inner hyphens"),
        ))
    }
}

/// A code: no spaces, at most `MAX_CODE` characters.
pub fn code(value: &str) -> ApiResult<String> {
    let v = text("code", value, MAX_CODE)?;
    if v.chars().any(char::is_whitespace) {
        return Err(bad("code", format!("code `{v}` must not contain spaces")));
    }
    Ok(v)
}

/// A finite number, kept as the decimal the client wrote.
pub fn number(field: &'static str, value: f64) -> ApiResult<Num> {
    if !value.is_finite() {
        return Err(bad(field, format!("{field} must be a finite number")));
    }
    // The float's shortest text is the decimal that was sent.
    value
        .to_string()
        .parse::<Num>()
        .map_err(|_| bad(field, format!("{field} {value} is out of range")))
}

/// A percentage from 0 to 100.
pub fn percent(field: &'static str, value: f64) -> ApiResult<Num> {
    let n = number(field, value)?;
    if n.0 < Decimal::ZERO || n.0 > Decimal::ONE_HUNDRED {
        return Err(bad(field, format!("{field} must be between 0 and 100")));
    }
    Ok(n)
}

/// A distance from a target, in units or as a percentage of it: never
/// negative, and more than zero where `at_least` is [`Bound::AboveZero`]
/// (a blue margin of nothing would rate every met target BLUE).
pub fn distance(field: &'static str, value: f64, at_least: Bound) -> ApiResult<Num> {
    let n = number(field, value)?;
    match at_least {
        Bound::Zero if n.0 < Decimal::ZERO => Err(bad(field, format!("{field} must not be negative"))),
        Bound::AboveZero if n.0 <= Decimal::ZERO => Err(bad(field, format!("{field} must be more than 0"))),
        _ => Ok(n),
    }
}

/// A result's as-at date: a figure cannot be true at a day still to come.
pub fn as_at(date: NaiveDate, now: DateTime<Utc>) -> ApiResult<NaiveDate> {
    if date > now.date_naive() {
        return Err(bad("asAt", format!("asAt {date} is after today")));
    }
    Ok(date)
}

/// The least a [`distance`] may be.
#[derive(Clone, Copy)]
pub enum Bound {
    Zero,
    AboveZero,
}

/// The primary key of a row of `E` an ID argument names, by its global id
/// or (for now) its number (see [`crate::ids`]); anything else, an id of
/// another type included, refers to nothing.
pub fn id<E: EntityTrait>(field: &'static str, value: &ID) -> ApiResult<i64> {
    ids::key_of::<E>(value).ok_or_else(|| bad(field, format!("{field} `{}` is not an id", value.as_str())))
}

/// A period within the financial years a plan covers.
pub fn in_span(period: Period, from: Option<Period>, to: Option<Period>) -> ApiResult<()> {
    let fy = period.financial_year();
    if from.is_some_and(|f| fy < f) || to.is_some_and(|t| fy > t) {
        let span = |p: Option<Period>| p.map_or_else(|| "…".to_owned(), |p| p.to_string());
        return Err(bad(
            "period",
            format!(
                "period {period} is outside the plan's years ({} to {})",
                span(from),
                span(to)
            ),
        ));
    }
    Ok(())
}

/// Results are reported in the measure's own frequency.
pub fn reporting_period(period: Period, kind: PeriodKind) -> ApiResult<()> {
    if period.kind() != kind {
        return Err(bad(
            "period",
            format!("period {period} is not a {kind:?} period, which this measure reports in"),
        ));
    }
    Ok(())
}

/// Targets are set for the measure's own periods or coarser ones (a yearly
/// target applies to every quarter and month of its year).
pub fn target_period(period: Period, kind: PeriodKind) -> ApiResult<()> {
    if period.kind() > kind {
        return Err(bad(
            "period",
            format!("period {period} is finer than the {kind:?} periods this measure reports in"),
        ));
    }
    Ok(())
}

/// Longest region name.
pub const MAX_REGION: usize = 100;

/// A region: a name with a letter or digit, which names its group.
pub fn region(value: &str) -> ApiResult<String> {
    let v = text("region", value, MAX_REGION)?;
    if entity::benchmark::region_slug(&v).is_none() {
        return Err(bad("region", format!("region `{v}` needs a letter or digit")));
    }
    Ok(v)
}

/// An ONS (GSS) code: a country's letter and eight digits, as E10000016.
pub fn ons_code(value: &str) -> ApiResult<String> {
    let v = value.trim();
    let mut chars = v.chars();
    let country = chars.next().is_some_and(|c| matches!(c, 'E' | 'W' | 'S' | 'N'));
    if country && v.len() == 9 && chars.all(|c| c.is_ascii_digit()) {
        Ok(v.to_owned())
    } else {
        Err(bad(
            "onsCode",
            format!("onsCode `{v}` must be a letter E, W, S or N and eight digits, as E10000016"),
        ))
    }
}

/// An optional field of a create: absent or blank is none.
pub fn optional<T>(value: Option<&str>, check: fn(&str) -> ApiResult<T>) -> ApiResult<Option<T>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => check(v).map(Some),
    }
}

/// An identity provider's address: https, or plain http on a loopback
/// address (a provider on the same machine, in development and tests).
pub fn url(field: &'static str, value: &str) -> ApiResult<String> {
    let v = value.trim();
    let host = v
        .strip_prefix("https://")
        .map(|rest| (rest, true))
        .or_else(|| v.strip_prefix("http://").map(|rest| (rest, false)));
    let ok = v.len() <= 2048
        && !v.chars().any(|c| c.is_whitespace() || c.is_control())
        && host.is_some_and(|(rest, https)| {
            let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
            let name = authority.rsplit_once(':').map_or(authority, |(h, port)| {
                if port.chars().all(|c| c.is_ascii_digit()) && !h.ends_with(':') {
                    h
                } else {
                    authority
                }
            });
            !name.is_empty() && (https || matches!(name, "localhost" | "127.0.0.1" | "[::1]"))
        });
    if ok {
        Ok(v.to_owned())
    } else {
        Err(bad(
            field,
            format!("{field} must be an https URL (plain http only on a loopback address), not `{v}`"),
        ))
    }
}
