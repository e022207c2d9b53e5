//! The GraphQL schema: thin resolvers per domain, merged into one query and one mutation
//! root. Resolvers parse input, call a `core` service (which checks access) and convert
//! its answer; see [`error`] for how core errors become GraphQL errors.

mod activities;
mod breakdown;
mod directory;
pub mod error;
mod figures;
mod goals;
mod inputs;
mod insights;
mod kpi_types;
mod paging;
mod partners;
pub mod people;
mod records;
mod scalars;
mod session;
mod types;

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::auth::Tokens;
use crate::config::Limits;

/// The schema served at `/graphql`.
pub type AttainSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    session::SessionQuery,
    figures::FiguresQuery,
    insights::InsightsQuery,
    breakdown::BreakdownQuery,
    activities::ActivityQuery,
    records::RecordQuery,
    partners::PartnerQuery,
    directory::DirectoryQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    session::SessionMutation,
    activities::ActivityMutation,
    records::RecordMutation,
    partners::PartnerMutation,
    directory::DirectoryMutation,
    goals::GoalsMutation,
    inputs::InputsMutation,
);

/// What resolvers share: the database and the token service.
#[derive(Clone)]
pub struct Services {
    /// The primary: every write, authentication, and reads asked of it.
    pub db: DatabaseConnection,
    /// The read-only replica queries read from (`DATABASE_READ_URL`); the primary when
    /// none is configured.
    pub read: DatabaseConnection,
    pub tokens: Arc<Tokens>,
}

/// The connection a request's queries read from, chosen per request.
#[derive(Clone)]
pub struct Reads(pub DatabaseConnection);

/// The connection a query resolver reads from: the request's choice, else the primary.
fn reads<'a>(ctx: &'a Context<'_>) -> &'a DatabaseConnection {
    match ctx.data_opt::<Reads>() {
        Some(reads) => &reads.0,
        None => &ctx.data_unchecked::<Services>().db,
    }
}

/// Builds the schema around the shared services, with the configured depth and
/// complexity limits; production turns introspection and field suggestions off.
pub fn build_schema(services: Services, limits: &Limits, production: bool) -> AttainSchema {
    let size = |limit: u64| usize::try_from(limit).unwrap_or(usize::MAX);
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .data(services)
    .limit_depth(size(limits.max_depth))
    .limit_complexity(size(limits.max_complexity));
    if production {
        builder
            .disable_introspection()
            .disable_suggestions()
            .finish()
    } else {
        builder.finish()
    }
}

/// The schema's SDL, as committed in `api/schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .finish()
    .sdl()
}
