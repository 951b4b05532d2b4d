//! Global object ids (the GraphQL Global Object Identification spec): the
//! one place ids are encoded and decoded. An id is the base64url (no
//! padding) of `TypeName:key`, as `Measure:12`, or of
//! `MeasureResult:12:2023-24 Q2` for a measure's result in a period.
//! Clients must treat it as opaque: the encoding may change.
//!
//! Until [`LEGACY_UNTIL`] an ID argument also accepts the per-table number
//! ids were before (`databaseId`), so clients can move over.

use std::str::FromStr;

use async_graphql::ID;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use entity::Period;
use sea_orm::EntityTrait;

/// The last day bare per-table numbers are accepted as ID arguments.
pub const LEGACY_UNTIL: &str = "2027-06-30";

/// Longest id text decoded: every id we issue is far shorter, and a bound
/// keeps a hostile one from costing anything.
const MAX_LEN: usize = 200;

/// Every type with a global id, named as in the schema.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Authority,
    Partner,
    Plan,
    PlanNode,
    Measure,
    MeasureResult,
    Commentary,
    ActionPlan,
    Action,
    Panel,
    Meeting,
    AgendaItem,
    Metric,
    ComparisonGroup,
    AuditEntry,
    IdentityProvider,
    Membership,
}

impl Kind {
    const ALL: [Kind; 17] = [
        Kind::Authority,
        Kind::Partner,
        Kind::Plan,
        Kind::PlanNode,
        Kind::Measure,
        Kind::MeasureResult,
        Kind::Commentary,
        Kind::ActionPlan,
        Kind::Action,
        Kind::Panel,
        Kind::Meeting,
        Kind::AgendaItem,
        Kind::Metric,
        Kind::ComparisonGroup,
        Kind::AuditEntry,
        Kind::IdentityProvider,
        Kind::Membership,
    ];

    /// The GraphQL type's name, which the id carries.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Authority => "Authority",
            Kind::Partner => "Partner",
            Kind::Plan => "Plan",
            Kind::PlanNode => "PlanNode",
            Kind::Measure => "Measure",
            Kind::MeasureResult => "MeasureResult",
            Kind::Commentary => "Commentary",
            Kind::ActionPlan => "ActionPlan",
            Kind::Action => "Action",
            Kind::Panel => "Panel",
            Kind::Meeting => "Meeting",
            Kind::AgendaItem => "AgendaItem",
            Kind::Metric => "Metric",
            Kind::ComparisonGroup => "ComparisonGroup",
            Kind::AuditEntry => "AuditEntry",
            Kind::IdentityProvider => "IdentityProvider",
            Kind::Membership => "Membership",
        }
    }

    /// The table whose row it is, where one row is one object: what the
    /// service layer, generic over entities, checks an id's type by.
    pub fn table(self) -> Option<&'static str> {
        Some(match self {
            Kind::Authority => "authorities",
            Kind::Partner => "partners",
            Kind::Plan => "plans",
            Kind::PlanNode => "plan_nodes",
            Kind::Measure => "measures",
            Kind::Commentary => "commentary",
            Kind::ActionPlan => "action_plans",
            Kind::Action => "actions",
            Kind::Panel => "panels",
            Kind::Meeting => "meetings",
            Kind::AgendaItem => "agenda_items",
            Kind::Metric => "metrics",
            Kind::AuditEntry => "audit_log",
            Kind::IdentityProvider => "identity_providers",
            Kind::Membership => "memberships",
            Kind::MeasureResult | Kind::ComparisonGroup => return None,
        })
    }

    fn named(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    fn of_table(table: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.table() == Some(table))
    }
}

/// What a global id names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Global {
    /// A row of a table, by primary key.
    Row(Kind, i64),
    /// A measure's result in a period.
    Result(i64, Period),
    /// A comparison group, by slug: built-in groups have no row.
    Group(String),
}

fn encode(text: &str) -> ID {
    ID(URL_SAFE_NO_PAD.encode(text))
}

/// The global id of a row.
pub fn row(kind: Kind, n: i64) -> ID {
    encode(&format!("{}:{n}", kind.name()))
}

/// The global id of a measure's result in a period.
pub fn result(measure_id: i64, period: Period) -> ID {
    encode(&format!("{}:{measure_id}:{period}", Kind::MeasureResult.name()))
}

/// The global id of a comparison group.
pub fn group(slug: &str) -> ID {
    encode(&format!("{}:{slug}", Kind::ComparisonGroup.name()))
}

/// The global id of the row an audit entry names by its entity (the type's
/// name in lower camel case, as `planNode`), when that entity's rows are
/// objects; otherwise its bare number.
pub fn of_audited(entity: &str, n: i64) -> ID {
    let named = |k: &Kind| {
        let name = k.name();
        name.get(..1)
            .is_some_and(|c| entity.get(..1) == Some(&c.to_lowercase()))
            && name.get(1..) == entity.get(1..)
    };
    match Kind::ALL.iter().find(|k| k.table().is_some() && named(k)) {
        Some(kind) => row(*kind, n),
        None => ID(n.to_string()),
    }
}

/// Why a global id could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// Not an id we could have issued.
    Garbled,
    /// Well formed, of a type we do not have.
    UnknownType,
}

/// What a global id names; bare numbers are not global ids.
pub fn decode(id: &str) -> Result<Global, Malformed> {
    if id.len() > MAX_LEN {
        return Err(Malformed::Garbled);
    }
    let bytes = URL_SAFE_NO_PAD.decode(id).map_err(|_| Malformed::Garbled)?;
    let text = String::from_utf8(bytes).map_err(|_| Malformed::Garbled)?;
    let (name, key) = text.split_once(':').ok_or(Malformed::Garbled)?;
    let kind = Kind::named(name).ok_or(Malformed::UnknownType)?;
    match kind {
        Kind::MeasureResult => {
            let (m, period) = key.split_once(':').ok_or(Malformed::Garbled)?;
            let period = Period::from_str(period).map_err(|_| Malformed::Garbled)?;
            Ok(Global::Result(number(m)?, period))
        }
        Kind::ComparisonGroup if !key.is_empty() => Ok(Global::Group(key.to_owned())),
        _ => Ok(Global::Row(kind, number(key)?)),
    }
}

/// A primary key as we write it: digits only, so `+1` or `01` is no alias.
fn number(key: &str) -> Result<i64, Malformed> {
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) || (key.len() > 1 && key.starts_with('0')) {
        return Err(Malformed::Garbled);
    }
    key.parse().map_err(|_| Malformed::Garbled)
}

/// The primary key an ID argument names for a `kind`: its global id, or
/// (until [`LEGACY_UNTIL`]) its bare number. `None`: it names no row of
/// that kind.
pub fn key(kind: Kind, id: &ID) -> Option<i64> {
    if let Ok(n) = number(id.as_str()) {
        return Some(n);
    }
    match decode(id.as_str()) {
        Ok(Global::Row(k, n)) if k == kind => Some(n),
        _ => None,
    }
}

/// The same for a row of the entity `E`, for code generic over entities.
pub fn key_of<E: EntityTrait>(id: &ID) -> Option<i64> {
    let kind = Kind::of_table(E::default().table_name())?;
    key(kind, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let id = row(Kind::Measure, 42);
        assert_eq!(decode(&id), Ok(Global::Row(Kind::Measure, 42)));
        assert_eq!(key(Kind::Measure, &id), Some(42));
        assert_eq!(key(Kind::Plan, &id), None, "another type's id names nothing");
        if let Ok(p) = "2023-24 Q2".parse::<Period>() {
            assert_eq!(decode(&result(7, p)), Ok(Global::Result(7, p)));
        } else {
            panic!("a period");
        }
        assert_eq!(
            decode(&group("region-south-east")),
            Ok(Global::Group("region-south-east".into()))
        );
        assert_eq!(of_audited("planNode", 3), row(Kind::PlanNode, 3));
        assert_eq!(of_audited("deadline", 3), ID("3".into()));
    }

    #[test]
    fn accepts_bare_numbers_until_the_deadline() {
        assert_eq!(key(Kind::Plan, &ID("12".into())), Some(12));
        assert_eq!(key(Kind::Plan, &ID("012".into())), None);
        assert_eq!(key(Kind::Plan, &ID("-1".into())), None);
    }

    #[test]
    fn refuses_what_we_never_issue() {
        assert_eq!(decode("12"), Err(Malformed::Garbled));
        assert_eq!(decode("!!"), Err(Malformed::Garbled));
        assert_eq!(decode(&encode("Measure:x")), Err(Malformed::Garbled));
        assert_eq!(decode(&encode("Measure:01")), Err(Malformed::Garbled));
        assert_eq!(decode(&encode("Nope:1")), Err(Malformed::UnknownType));
        assert_eq!(decode(&encode("MeasureResult:1:never")), Err(Malformed::Garbled));
    }
}
