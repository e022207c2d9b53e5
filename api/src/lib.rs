//! The Attain server: configuration, authentication, the GraphQL schema and the HTTP
//! routes around it. `main.rs` is only the command line.

pub mod auth;
pub mod cli;
pub mod config;
pub mod export;
pub mod graphql;
pub mod limits;
pub mod metrics;
pub mod routes;
pub mod startup;
pub mod telemetry;

/// The allocator of every program built on the server: a request's parsing and a batch's
/// rows make many small allocations across threads, which glibc's allocator serves
/// slowly (see the README's benchmark).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
