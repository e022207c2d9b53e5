//! End-to-end tests: each starts the real server on `127.0.0.1:0` over its own database,
//! SQLite by default and PostgreSQL when `TEST_DATABASE_URL` is set.

mod helpers;

mod access_matrix;
mod activities;
mod activity_days;
mod authentication;
mod breakdown;
mod cluster;
mod conformance;
mod directory;
mod export;
mod faults;
mod figures;
mod goals;
mod hardening;
mod import;
mod inputs;
mod insights;
mod instances;
mod jwt;
mod logs;
mod partners;
mod replica;
mod scoring_rules;
mod server;
mod storage;
mod table;
mod tenancy;
mod won_chain;
