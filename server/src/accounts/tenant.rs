//! The tenant boundary. An [`OrgScope`] can only be made by code that has checked the
//! caller's right to act in the organization (a membership, or a key belonging to it);
//! every data-layer function over tenant data takes one and filters by it.

use super::roles::Role;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgScope {
    org_id: String,
    role: Role,
}

impl OrgScope {
    /// Only for authentication code that has verified membership or key ownership.
    pub(crate) fn verified(org_id: String, role: Role) -> Self {
        OrgScope { org_id, role }
    }

    pub fn org_id(&self) -> &str {
        &self.org_id
    }

    /// The caller's role in the organization (management keys act as admins).
    pub fn role(&self) -> Role {
        self.role
    }
}
