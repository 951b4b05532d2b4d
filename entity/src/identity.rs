//! Which roles a sign-in may bring: an identity provider vouches only for
//! the authorities it was registered for (a council's tenant: that council;
//! a partner body's tenant: its partner's PARTNER role at the councils that
//! accept it), and only the platform's own issuer for platform roles. A
//! role from anywhere else, however it was asserted, is refused.

use std::collections::BTreeSet;

use crate::enums::{Role, RoleSource};

/// One role a person holds, where, and why.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HeldRole {
    pub role: Role,
    /// Absent only for `PLATFORM_ADMIN`.
    pub authority_id: Option<i64>,
    /// Set for `PARTNER`, and only for it.
    pub partner_id: Option<i64>,
    pub source: RoleSource,
    /// The claim value it was mapped from, for `CLAIM_MAPPING`.
    pub claim: Option<String>,
}

impl HeldRole {
    /// The shape roles take: an authority for every role but
    /// PLATFORM_ADMIN, a partner for PARTNER and no other.
    pub fn is_well_formed(&self) -> bool {
        (self.role == Role::PlatformAdmin) == self.authority_id.is_none()
            && (self.role == Role::Partner) == self.partner_id.is_some()
    }
}

/// What a provider may vouch for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Vouches {
    /// The platform's own issuer (configured by environment): anything.
    Everything,
    /// A registered provider.
    For {
        authorities: BTreeSet<i64>,
        /// A partner body's tenant: only PARTNER roles of these partner
        /// rows (its partner at each authority it works with).
        partners: Option<BTreeSet<i64>>,
    },
}

impl Vouches {
    pub fn admits(&self, r: &HeldRole) -> bool {
        if !r.is_well_formed() {
            return false;
        }
        match self {
            Vouches::Everything => true,
            Vouches::For {
                authorities,
                partners,
            } => {
                let at_its_authority = r.authority_id.is_some_and(|a| authorities.contains(&a));
                let as_its_partner = match partners {
                    None => true,
                    Some(ps) => r.role == Role::Partner && r.partner_id.is_some_and(|p| ps.contains(&p)),
                };
                at_its_authority && as_its_partner
            }
        }
    }

    /// The roles it admits, and those it refuses.
    pub fn sort(&self, roles: Vec<HeldRole>) -> (Vec<HeldRole>, Vec<HeldRole>) {
        roles.into_iter().partition(|r| self.admits(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role(role: Role, authority: Option<i64>, partner: Option<i64>) -> HeldRole {
        HeldRole {
            role,
            authority_id: authority,
            partner_id: partner,
            source: RoleSource::Service,
            claim: None,
        }
    }

    fn council(ids: &[i64]) -> Vouches {
        Vouches::For {
            authorities: ids.iter().copied().collect(),
            partners: None,
        }
    }

    #[test]
    fn a_councils_tenant_vouches_for_any_role_at_its_council_only() {
        let kent = council(&[1]);
        for r in [Role::Admin, Role::Officer, Role::Member, Role::Viewer] {
            assert!(kent.admits(&role(r, Some(1), None)), "{r:?}");
            assert!(!kent.admits(&role(r, Some(2), None)), "{r:?} at another council");
        }
        assert!(kent.admits(&role(Role::Partner, Some(1), Some(7))));
        assert!(!kent.admits(&role(Role::PlatformAdmin, None, None)));
    }

    #[test]
    fn a_partner_bodys_tenant_vouches_only_for_its_partner_role_where_accepted() {
        let met = Vouches::For {
            authorities: [1, 2].into(),
            partners: Some([7, 8].into()),
        };
        assert!(met.admits(&role(Role::Partner, Some(1), Some(7))));
        assert!(met.admits(&role(Role::Partner, Some(2), Some(8))));
        assert!(
            !met.admits(&role(Role::Partner, Some(1), Some(9))),
            "another partner"
        );
        assert!(
            !met.admits(&role(Role::Partner, Some(3), Some(7))),
            "a council that did not accept it"
        );
        assert!(
            !met.admits(&role(Role::Officer, Some(1), None)),
            "a council's own role"
        );
        assert!(!met.admits(&role(Role::PlatformAdmin, None, None)));
    }

    #[test]
    fn only_the_platforms_issuer_vouches_for_platform_roles() {
        assert!(Vouches::Everything.admits(&role(Role::PlatformAdmin, None, None)));
        assert!(Vouches::Everything.admits(&role(Role::Officer, Some(5), None)));
    }

    #[test]
    fn an_ill_formed_role_is_refused_even_by_the_platform() {
        for r in [
            role(Role::PlatformAdmin, Some(1), None),
            role(Role::Officer, None, None),
            role(Role::Partner, Some(1), None),
            role(Role::Officer, Some(1), Some(7)),
        ] {
            assert!(!Vouches::Everything.admits(&r), "{r:?}");
            assert!(!council(&[1]).admits(&r), "{r:?}");
        }
    }

    #[test]
    fn sorting_keeps_order_and_loses_nothing() {
        let roles = vec![
            role(Role::Officer, Some(1), None),
            role(Role::Officer, Some(2), None),
            role(Role::Viewer, Some(1), None),
        ];
        let (admitted, refused) = council(&[1]).sort(roles);
        assert_eq!(admitted.len(), 2);
        assert_eq!(refused, vec![role(Role::Officer, Some(2), None)]);
    }
}
