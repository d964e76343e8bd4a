//! The platform admins' pages under `/admin`: organizations (search, grant credit, suspend,
//! reactivate), an organization's page (members, keys, ledger, budgets), users, platform
//! analytics, the catalog editor and the audit log.

pub mod analytics;
pub mod audit;
pub mod catalog;
pub mod layout;
mod org_actions;
pub mod organization;
pub mod organizations;
pub mod users;
