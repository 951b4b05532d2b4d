//! The one policy function: who may do what to which authority's data.
//! Resolvers ask it; no other module decides access.

use entity::{CommentaryKind, Role};

use crate::error::{ApiError, ApiResult};

/// One role a viewer holds, scoped to an authority (absent only for
/// `PLATFORM_ADMIN`) and, for `PARTNER`, to the partner it speaks for, with
/// where it came from.
pub use entity::identity::HeldRole as Grant;

/// Who is asking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Viewer {
    #[default]
    Anonymous,
    User {
        subject: String,
        name: Option<String>,
        /// The issuer of the token it signed in with.
        issuer: String,
        /// As its provider asserts it.
        email: Option<String>,
        grants: Vec<Grant>,
    },
}

impl Viewer {
    pub fn grants(&self) -> &[Grant] {
        match self {
            Viewer::Anonymous => &[],
            Viewer::User { grants, .. } => grants,
        }
    }
}

/// What a viewer wants to do: a verb of the policy (an action plan's item
/// is an `ActionItem`, elsewhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// See results of a period its plan has not published yet.
    ReadUnpublished,
    /// Read an authority's audit log.
    ReadAudit,
    CreateAuthority,
    /// Register the identity providers people sign in through.
    RegisterIdentityProvider,
    /// Grant and revoke roles at an authority, and list who holds them (at
    /// no authority: platform roles).
    ManageMembers,
    /// Define national metrics, load their reference values, and make
    /// comparison groups no authority owns.
    ManageNational,
    /// Edit an authority's structure: the authority itself, partners, plans,
    /// nodes, measures, panels, meetings.
    EditStructure,
    PublishPeriod,
    SubmitResult,
    SetTarget,
    WriteActionPlan,
    AddCommentary(CommentaryKind),
    /// Edit commentary; `own` when the viewer wrote it.
    EditCommentary {
        kind: CommentaryKind,
        own: bool,
    },
}

impl Verb {
    fn describe(self) -> &'static str {
        match self {
            Verb::ReadUnpublished => "read unpublished results",
            Verb::ReadAudit => "read the audit log",
            Verb::CreateAuthority => "create authorities",
            Verb::RegisterIdentityProvider => "register identity providers",
            Verb::ManageMembers => "grant, revoke or list roles here",
            Verb::ManageNational => "define metrics, load reference values or make national groups",
            Verb::EditStructure => "edit plans, measures, partners, panels and comparison groups",
            Verb::PublishPeriod => "publish a period",
            Verb::SubmitResult => "submit results",
            Verb::SetTarget => "set targets",
            Verb::WriteActionPlan => "write action plans",
            Verb::AddCommentary(_) => "add this kind of commentary",
            Verb::EditCommentary { .. } => "edit this commentary",
        }
    }
}

/// The data acted on: which authority, and for a partnership measure, the
/// partner that leads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    pub authority_id: i64,
    pub partner_id: Option<i64>,
}

/// Whether the viewer may act on data in `scope` (`None`: outside any
/// authority, as creating one is).
pub fn allows(viewer: &Viewer, verb: Verb, scope: Option<Scope>) -> bool {
    viewer.grants().iter().filter(|g| g.is_well_formed()).any(|g| {
        is_platform(g)
            || scope
                .is_some_and(|s| g.authority_id == Some(s.authority_id) && role_allows(g, verb, s.partner_id))
    })
}

fn is_platform(g: &Grant) -> bool {
    g.role == Role::PlatformAdmin && g.authority_id.is_none()
}

/// The scope of a measure: its authority, and the partner that leads it when
/// it is a partnership measure.
pub fn measure_scope(m: &entity::model::measure::Model) -> Scope {
    scope_of(m.authority_id, m.kind, m.partner_id)
}

/// The scope of a measure known by its columns only (a count grouped by
/// them, say).
pub fn scope_of(authority_id: i64, kind: entity::MeasureKind, partner_id: Option<i64>) -> Scope {
    Scope {
        authority_id,
        partner_id: partner_id.filter(|_| kind == entity::MeasureKind::Partnership),
    }
}

/// The role table of docs/contract.md ("Roles"), for one grant within its
/// own authority.
fn role_allows(g: &Grant, verb: Verb, partner_id: Option<i64>) -> bool {
    let own_measure = g.partner_id.is_some() && g.partner_id == partner_id;
    match (verb, g.role) {
        (_, Role::PlatformAdmin) => true,
        (Verb::ReadUnpublished, Role::Partner) => own_measure,
        (Verb::ReadUnpublished, _) => true,
        (Verb::SubmitResult, Role::Partner) => own_measure,
        (
            Verb::SubmitResult | Verb::SetTarget | Verb::WriteActionPlan | Verb::AddCommentary(_),
            Role::Officer | Role::Admin,
        ) => true,
        (Verb::EditCommentary { .. }, Role::Officer | Role::Admin) => true,
        (Verb::AddCommentary(CommentaryKind::Scrutiny), Role::Member) => true,
        (
            Verb::EditCommentary {
                kind: CommentaryKind::Scrutiny,
                own: true,
            },
            Role::Member,
        ) => true,
        (Verb::AddCommentary(CommentaryKind::Partner), Role::Partner) => own_measure,
        (
            Verb::EditCommentary {
                kind: CommentaryKind::Partner,
                own: true,
            },
            Role::Partner,
        ) => own_measure,
        (Verb::ReadAudit | Verb::EditStructure | Verb::PublishPeriod | Verb::ManageMembers, Role::Admin) => {
            true
        }
        _ => false,
    }
}

/// Refuses a viewer who may not act on `scope`: anonymous viewers are
/// unauthenticated, everyone else forbidden.
pub fn authorize(viewer: &Viewer, verb: Verb, scope: Option<Scope>) -> ApiResult<()> {
    match viewer {
        Viewer::Anonymous => Err(ApiError::Unauthenticated),
        _ if allows(viewer, verb, scope) => Ok(()),
        _ => Err(ApiError::Forbidden(format!("you may not {}", verb.describe()))),
    }
}

/// Refuses, before anything is looked up, a viewer no grant of whom could
/// ever allow `verb`: so a caller who may not act learns nothing about
/// what exists.
pub fn authorize_somewhere(viewer: &Viewer, verb: Verb) -> ApiResult<()> {
    // Editing commentary depends on the row's kind, unknown yet: any kind counts.
    let candidates: Vec<Verb> = match verb {
        Verb::EditCommentary { .. } => [
            CommentaryKind::Service,
            CommentaryKind::Scrutiny,
            CommentaryKind::Partner,
        ]
        .into_iter()
        .map(|kind| Verb::EditCommentary { kind, own: true })
        .collect(),
        a => vec![a],
    };
    let could = viewer.grants().iter().filter(|g| g.is_well_formed()).any(|g| {
        // Assume the most favourable target: own authority, own partner.
        is_platform(g) || candidates.iter().any(|a| role_allows(g, *a, g.partner_id))
    });
    match viewer {
        Viewer::Anonymous => Err(ApiError::Unauthenticated),
        _ if could => Ok(()),
        _ => Err(ApiError::Forbidden(format!("you may not {}", verb.describe()))),
    }
}
