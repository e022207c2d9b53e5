//! The core of Attain: the KPI logic, the role-scoped access rules and the services the
//! API calls. It knows nothing of GraphQL or HTTP.
//!
//! Start at [`access`] for who may do what, [`kpi`] for the catalog, and [`import`] for
//! how records get in.

pub mod access;
pub mod activities;
pub mod audit;
pub mod breakdown;
mod bulk;
pub mod contributors;
pub mod db;
pub mod demo;
pub mod directory;
pub mod error;
pub mod figures;
pub mod goals;
pub mod identity;
pub mod import;
pub mod inputs;
pub mod insights;
pub mod kpi;
pub mod leaderboard;
pub mod money;
pub mod organization;
pub mod partners;
pub mod peers;
pub mod people;
pub mod period;
pub mod rate;
pub mod records;
pub mod rules;
pub mod scorecard;
pub mod table;
pub mod tenancy;
pub mod time;
pub mod upserts;
pub mod won_chain;

pub use error::{CoreError, CoreResult};
