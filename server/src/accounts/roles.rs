//! Roles inside an organization. Ordering: owner > admin > member. The enum is part of the
//! API (members and organizations carry it), so it lives with the shared API types.

pub use api_types::organizations::Role;
