//! Schema migrations, written once for SQLite and PostgreSQL alike.
//!
//! Every tenant-owned table keys its rows by `(organization_id, id)` and every foreign key
//! carries `organization_id`, so a row can never point into another organization and the
//! schema can later be distributed by organization.

pub use sea_orm_migration::prelude::*;

mod columns;
mod m20261123_000001_create_schema;
mod m20261123_000002_covering_indexes;
mod m20261123_000003_won_chain;
mod m20261123_000004_customer_won_index;
mod m20261203_000005_rate_windows;
mod m20261203_000006_activity_days;
mod m20261203_000007_row_level_security;
mod m20261203_000008_rate_windows_unlogged;
mod m20261206_000009_partial_deal_indexes;

pub use m20261203_000006_activity_days::{DAY_MICROS, activity_counts};
pub use m20261203_000007_row_level_security::{APP_ROLE, ORGANIZATION_SETTING, TENANT_TABLES};

/// Runs the migrations in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_schema::Migration),
            Box::new(m20261123_000002_covering_indexes::Migration),
            Box::new(m20261123_000003_won_chain::Migration),
            Box::new(m20261123_000004_customer_won_index::Migration),
            Box::new(m20261203_000005_rate_windows::Migration),
            Box::new(m20261203_000006_activity_days::Migration),
            Box::new(m20261203_000007_row_level_security::Migration),
            Box::new(m20261203_000008_rate_windows_unlogged::Migration),
            Box::new(m20261206_000009_partial_deal_indexes::Migration),
        ]
    }
}
