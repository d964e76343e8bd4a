//! The tenant's pages under `/app`: a layout (session, organization switcher, navigation)
//! around the overview, keys, credits, activity and playground.

pub mod activity;
pub mod byok;
pub mod credits;
pub mod keys;
pub mod layout;
pub mod overview;
pub mod playground;
pub mod settings;
