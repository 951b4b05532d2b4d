//! The one policy function: who may do what to which authority's data.
//! Resolvers ask it; no other module decides access.

use entity::Role;

/// One role a viewer holds, scoped to an authority (absent only for
/// `PLATFORM_ADMIN`) and, for `PARTNER`, to the partner it speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub role: Role,
    pub authority_id: Option<i64>,
    pub partner_id: Option<i64>,
}

/// Who is asking.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Viewer {
    #[default]
    Anonymous,
    User {
        subject: String,
        name: Option<String>,
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

/// What a viewer wants to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// See results of a period its plan has not published yet.
    ReadUnpublished,
}

/// The data acted on: which authority, and for a measure led by a partner,
/// which partner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    pub authority_id: i64,
    pub partner_id: Option<i64>,
}

pub fn allows(viewer: &Viewer, action: Action, scope: Scope) -> bool {
    viewer.grants().iter().any(|g| grant_allows(g, action, scope))
}

fn grant_allows(g: &Grant, action: Action, scope: Scope) -> bool {
    if g.role == Role::PlatformAdmin {
        return true;
    }
    if g.authority_id != Some(scope.authority_id) {
        return false;
    }
    match action {
        Action::ReadUnpublished => match g.role {
            Role::Partner => g.partner_id.is_some() && g.partner_id == scope.partner_id,
            Role::Admin | Role::Officer | Role::Member | Role::Viewer | Role::PlatformAdmin => true,
        },
    }
}
