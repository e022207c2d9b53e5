//! Logging in and finding out who one is.

use async_graphql::{Context, ID, Object, SimpleObject};
use attain_core::access;
use attain_core::identity;
use attain_core::organization::Settings;
use uuid::Uuid;

use super::error::{GqlResult, principal};
use super::scalars::DateTime;
use super::types::{Organization, Role, User};
use super::{Services, reads};

#[derive(Default)]
pub struct SessionQuery;

/// The caller: a user, or a partner client (which has no user record).
#[derive(SimpleObject)]
pub struct Viewer {
    /// The user's or partner client's id.
    pub id: ID,
    /// The role the database holds now.
    pub role: Role,
    pub organization: Organization,
    /// The user record; null for partner clients.
    pub user: Option<User>,
}

#[Object]
impl SessionQuery {
    /// Who the bearer token belongs to.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Viewer> {
        let principal = principal(ctx)?;
        let user = identity::current_user(reads(ctx), principal).await.gql()?;
        let settings = Settings::load(reads(ctx), principal.organization_id)
            .await
            .gql()?;
        Ok(Viewer {
            id: ID(principal.id.to_string()),
            role: principal.role.into(),
            organization: settings.into(),
            user: user.map(User::from),
        })
    }
}

#[derive(Default)]
pub struct SessionMutation;

/// A bearer token and whom it is for.
#[derive(SimpleObject)]
pub struct Session {
    /// Send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime,
    pub user: User,
}

#[Object]
impl SessionMutation {
    /// Logs in with an email and password. `organization` (an organization id) is needed
    /// only when the email exists in several organizations. Any failure is
    /// `UNAUTHENTICATED`.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
        organization: Option<ID>,
    ) -> async_graphql::Result<Session> {
        let services = ctx.data_unchecked::<Services>();
        let organization =
            match organization {
                Some(id) => Some(Uuid::parse_str(&id).map_err(|_| {
                    super::error::to_graphql(attain_core::CoreError::Unauthenticated)
                })?),
                None => None,
            };
        let user = identity::login(&services.db, &email, &password, organization)
            .await
            .gql()?;
        let issued = services
            .tokens
            .issue(user.organization_id, user.id, access::Role::from(user.role))
            .gql()?;
        Ok(Session {
            token: issued.token,
            expires_at: DateTime(issued.expires_at),
            user: user.into(),
        })
    }
}
