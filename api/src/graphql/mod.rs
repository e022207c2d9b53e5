//! The GraphQL schema: thin resolvers per domain, merged into one query and one mutation
//! root. Resolvers parse input, call a `core` service (which checks access) and convert
//! its answer; see [`error`] for how core errors become GraphQL errors.

pub mod error;
mod figures;
mod insights;
mod kpi_types;
mod paging;
mod scalars;
mod session;
mod types;

use std::sync::Arc;

use async_graphql::{EmptySubscription, MergedObject, Schema};
use sea_orm::DatabaseConnection;

use crate::auth::Tokens;

/// The schema served at `/graphql`.
pub type AttainSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

/// Every query.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    session::SessionQuery,
    figures::FiguresQuery,
    insights::InsightsQuery,
);

/// Every mutation.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(session::SessionMutation);

/// What resolvers share: the database and the token service.
#[derive(Clone)]
pub struct Services {
    pub db: DatabaseConnection,
    pub tokens: Arc<Tokens>,
}

/// Builds the schema around the shared services.
pub fn build_schema(services: Services) -> AttainSchema {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
    .data(services)
    .finish()
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
