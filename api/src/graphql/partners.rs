//! Partner clients: admins create, rotate and revoke them; a client exchanges its id and
//! secret for a short-lived token.

use async_graphql::connection::Connection;
use async_graphql::{Context, ID, Object, SimpleObject};
use attain_core::CoreError;
use attain_core::access::Role;
use attain_core::partners::{self, WithSecret};
use attain_entity::source;
use uuid::Uuid;

use super::activities::{instant, writer};
use super::error::{GqlResult, principal, to_graphql};
use super::paging::{Page, TotalCount};
use super::scalars::{DateTime, id};
use super::{Services, reads};

/// An integrating system that pushes records by its own ids.
#[derive(SimpleObject)]
pub struct PartnerClient {
    /// The client id it authenticates with.
    pub id: ID,
    pub name: String,
    pub active: bool,
    pub created_at: DateTime,
    pub revoked_at: Option<DateTime>,
}

impl From<source::Model> for PartnerClient {
    fn from(row: source::Model) -> Self {
        PartnerClient {
            id: id(row.id),
            name: row.name,
            active: row.active,
            created_at: instant(row.created_at),
            revoked_at: row.revoked_at.map(instant),
        }
    }
}

/// A partner client and its new secret, shown this once (only a hash is stored).
#[derive(SimpleObject)]
pub struct PartnerCredentials {
    pub client: PartnerClient,
    pub secret: String,
}

impl From<WithSecret> for PartnerCredentials {
    fn from(issued: WithSecret) -> Self {
        PartnerCredentials {
            client: issued.client.into(),
            secret: issued.secret,
        }
    }
}

/// A partner client's bearer token.
#[derive(SimpleObject)]
pub struct PartnerSession {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime,
}

fn client_id(value: &ID) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(value).map_err(|_| to_graphql(CoreError::NotFound("partner client")))
}

#[derive(Default)]
pub struct PartnerQuery;

#[Object]
impl PartnerQuery {
    /// The organization's partner clients, oldest first (admins and analysts).
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn partner_clients(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, PartnerClient, TotalCount>> {
        let principal = principal(ctx)?;
        let page = Page::parse(first, after.as_deref()).gql()?;
        let (total, rows) =
            partners::list(reads(ctx), principal, page.offset as u64, page.limit as u64)
                .await
                .gql()?;
        Ok(page.connection(
            rows.into_iter().map(PartnerClient::from),
            usize::try_from(total).unwrap_or(usize::MAX),
        ))
    }
}

#[derive(Default)]
pub struct PartnerMutation;

#[Object]
impl PartnerMutation {
    /// Creates a partner client (admins). The answer holds its secret, shown only now.
    async fn create_partner_client(
        &self,
        ctx: &Context<'_>,
        name: String,
    ) -> async_graphql::Result<PartnerCredentials> {
        let services = ctx.data_unchecked::<Services>();
        let issued = partners::create(&services.db, &writer(ctx)?, &name)
            .await
            .gql()?;
        Ok(issued.into())
    }

    /// Gives a partner client a new secret (admins); the old one stops working at once.
    async fn rotate_partner_client_secret(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PartnerCredentials> {
        let services = ctx.data_unchecked::<Services>();
        let writer = writer(ctx)?;
        let issued = partners::rotate(&services.db, &writer, client_id(&id)?)
            .await
            .gql()?;
        Ok(issued.into())
    }

    /// Revokes a partner client (admins): its secret and tokens stop working at once;
    /// what it pushed stays.
    async fn revoke_partner_client(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<PartnerClient> {
        let services = ctx.data_unchecked::<Services>();
        let writer = writer(ctx)?;
        let revoked = partners::revoke(&services.db, &writer, client_id(&id)?)
            .await
            .gql()?;
        Ok(revoked.into())
    }

    /// Exchanges a partner client's id and secret for a short-lived token. Any failure
    /// is `UNAUTHENTICATED`.
    async fn partner_token(
        &self,
        ctx: &Context<'_>,
        client_id: ID,
        secret: String,
    ) -> async_graphql::Result<PartnerSession> {
        let services = ctx.data_unchecked::<Services>();
        let id = Uuid::parse_str(&client_id).map_err(|_| to_graphql(CoreError::Unauthenticated))?;
        let client = partners::authenticate(&services.db, id, &secret)
            .await
            .gql()?;
        let issued = services
            .tokens
            .issue(client.organization_id, client.id, Role::Partner)
            .gql()?;
        Ok(PartnerSession {
            token: issued.token,
            expires_at: DateTime(issued.expires_at),
        })
    }
}
