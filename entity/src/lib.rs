//! SeaORM entities, one module per table. Ids are prefixed random strings
//! (`usr_…`, `org_…`) so they are portable between SQLite and PostgreSQL and
//! never guessable; timestamps are UTC.

pub mod alert_event;
pub mod alert_setting;
pub mod alert_state;
pub mod api_key;
pub mod audit_log;
pub mod auto_topup;
pub mod byok_key;
pub mod catalog_override;
pub mod credit_lease;
pub mod generation;
pub mod generation_content;
pub mod invite;
pub mod json_text;
pub mod ledger_entry;
pub mod membership;
pub mod org_budget;
pub mod org_credit;
pub mod org_routing_default;
pub mod organization;
pub mod rate_limit_policy;
pub mod session;
pub mod stripe_checkout;
pub mod stripe_topup_charge;
pub mod user;

pub mod prelude {
    pub use super::alert_event::Entity as AlertEvent;
    pub use super::alert_setting::Entity as AlertSetting;
    pub use super::alert_state::Entity as AlertState;
    pub use super::api_key::Entity as ApiKey;
    pub use super::audit_log::Entity as AuditLog;
    pub use super::auto_topup::Entity as AutoTopup;
    pub use super::byok_key::Entity as ByokKey;
    pub use super::catalog_override::Entity as CatalogOverride;
    pub use super::credit_lease::Entity as CreditLease;
    pub use super::generation::Entity as Generation;
    pub use super::generation_content::Entity as GenerationContent;
    pub use super::invite::Entity as Invite;
    pub use super::ledger_entry::Entity as LedgerEntry;
    pub use super::membership::Entity as Membership;
    pub use super::org_budget::Entity as OrgBudget;
    pub use super::org_credit::Entity as OrgCredit;
    pub use super::org_routing_default::Entity as OrgRoutingDefault;
    pub use super::organization::Entity as Organization;
    pub use super::rate_limit_policy::Entity as RateLimitPolicy;
    pub use super::session::Entity as Session;
    pub use super::stripe_checkout::Entity as StripeCheckout;
    pub use super::stripe_topup_charge::Entity as StripeTopupCharge;
    pub use super::user::Entity as User;
}
