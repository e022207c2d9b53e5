//! The directory: listing users, and the admin's writes to users, teams and memberships.

use async_graphql::connection::Connection;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, Object, SimpleObject};
use attain_core::CoreError;
use attain_core::directory::{self, Invitation};
use attain_entity::{team, team_membership};
use uuid::Uuid;

use super::activities::{instant, writer};
use super::error::{GqlResult, principal, to_graphql};
use super::paging::{Page, TotalCount};
use super::people::{Person, members};
use super::scalars::{DateTime, id};
use super::types::User;
use super::{Services, reads};

/// A user's role (partner clients are not users).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::Role")]
pub enum UserRole {
    Admin,
    Manager,
    Rep,
    Analyst,
}

/// A user to add to the organization.
#[derive(InputObject)]
pub struct UserInvitation {
    pub email: String,
    pub display_name: String,
    pub role: UserRole,
    /// An initial password for the built-in login (at least 12 characters); leave it out
    /// for users of an external identity provider.
    pub password: Option<String>,
    /// The HR system's employee id.
    pub external_id: Option<String>,
}

/// A team of the tree.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Team {
    pub id: ID,
    pub name: String,
    pub parent_id: Option<ID>,
    pub created_at: DateTime,
}

impl From<team::Model> for Team {
    fn from(row: team::Model) -> Self {
        Team {
            id: id(row.id),
            name: row.name,
            parent_id: row.parent_id.map(id),
            created_at: instant(row.created_at),
        }
    }
}

#[ComplexObject]
impl Team {
    /// The people in the team now whom the caller may see (the people rule: managers
    /// their subtree, reps themselves, analysts without emails).
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Person>> {
        members(ctx, &self.id).await
    }
}

/// A span of a user's membership of a team: `[validFrom, validTo)`.
#[derive(SimpleObject)]
pub struct Membership {
    pub id: ID,
    pub user_id: ID,
    pub team_id: ID,
    pub valid_from: DateTime,
    /// Null while the membership is open.
    pub valid_to: Option<DateTime>,
}

impl From<team_membership::Model> for Membership {
    fn from(row: team_membership::Model) -> Self {
        Membership {
            id: id(row.id),
            user_id: id(row.user_id),
            team_id: id(row.team_id),
            valid_from: instant(row.valid_from),
            valid_to: row.valid_to.map(instant),
        }
    }
}

fn uuid_of(value: &ID, what: &'static str) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(value).map_err(|_| to_graphql(CoreError::NotFound(what)))
}

fn reference(value: Option<&ID>, field: &str) -> async_graphql::Result<Option<Uuid>> {
    value
        .map(|value| {
            Uuid::parse_str(value)
                .map_err(|_| to_graphql(CoreError::bad_input(field, "no such team")))
        })
        .transpose()
}

#[derive(Default)]
pub struct DirectoryQuery;

#[Object]
impl DirectoryQuery {
    /// The teams the caller may see, by name: admins and analysts all, managers their
    /// subtree, reps their current team.
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn teams(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Team, TotalCount>> {
        let principal = principal(ctx)?;
        let page = Page::parse(first, after.as_deref()).gql()?;
        let teams = directory::teams(reads(ctx), principal).await.gql()?;
        let total = teams.len();
        Ok(page.connection(
            teams
                .into_iter()
                .skip(page.offset)
                .take(page.limit)
                .map(Team::from),
            total,
        ))
    }

    /// The users the caller may see, by name: admins and analysts all (analysts without
    /// emails), managers the people ever in their subtree, reps themselves.
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, User, TotalCount>> {
        let principal = principal(ctx)?;
        let page = Page::parse(first, after.as_deref()).gql()?;
        let listed = directory::users(reads(ctx), principal, page.offset as u64, page.limit as u64)
            .await
            .gql()?;
        let redacted = listed.redacted;
        Ok(page.connection(
            listed.users.into_iter().map(|row| {
                let mut user = User::from(row);
                if redacted {
                    user.email = None;
                }
                user
            }),
            usize::try_from(listed.total).unwrap_or(usize::MAX),
        ))
    }
}

#[derive(Default)]
pub struct DirectoryMutation;

#[Object]
impl DirectoryMutation {
    /// Adds an active user (admins). An email already in the organization is `CONFLICT`.
    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        input: UserInvitation,
    ) -> async_graphql::Result<User> {
        let services = ctx.data_unchecked::<Services>();
        let invitation = Invitation {
            email: input.email,
            display_name: input.display_name,
            role: input.role.into(),
            password: input.password,
            external_id: input.external_id,
        };
        let user = directory::invite(&services.db, &writer(ctx)?, invitation)
            .await
            .gql()?;
        Ok(user.into())
    }

    /// Changes a user's role (admins; not their own).
    async fn change_user_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role: UserRole,
    ) -> async_graphql::Result<User> {
        let services = ctx.data_unchecked::<Services>();
        let user = uuid_of(&user_id, "user")?;
        let user = directory::change_role(&services.db, &writer(ctx)?, user, role.into())
            .await
            .gql()?;
        Ok(user.into())
    }

    /// Deactivates (their tokens stop at once) or reactivates a user (admins; not
    /// themselves).
    async fn set_user_active(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        active: bool,
    ) -> async_graphql::Result<User> {
        let services = ctx.data_unchecked::<Services>();
        let user = uuid_of(&user_id, "user")?;
        let user = directory::set_active(&services.db, &writer(ctx)?, user, active)
            .await
            .gql()?;
        Ok(user.into())
    }

    /// Creates a team, under `parentId` when given (admins).
    async fn create_team(
        &self,
        ctx: &Context<'_>,
        name: String,
        parent_id: Option<ID>,
    ) -> async_graphql::Result<Team> {
        let services = ctx.data_unchecked::<Services>();
        let parent = reference(parent_id.as_ref(), "parentId")?;
        let team = directory::create_team(&services.db, &writer(ctx)?, &name, parent)
            .await
            .gql()?;
        Ok(team.into())
    }

    /// Moves a user into a team (or out of every team when `teamId` is null) from `at`
    /// (default now): the open membership ends there and the next begins. Records keep
    /// counting for the team their rep was in at their event time. Answers the new
    /// membership (null when moved out).
    async fn move_team_member(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        team_id: Option<ID>,
        at: Option<DateTime>,
    ) -> async_graphql::Result<Option<Membership>> {
        let services = ctx.data_unchecked::<Services>();
        let user = uuid_of(&user_id, "user")?;
        let team = reference(team_id.as_ref(), "teamId")?;
        let at = at.map_or_else(chrono::Utc::now, |at| at.0);
        let membership = directory::move_member(&services.db, &writer(ctx)?, user, team, at)
            .await
            .gql()?;
        Ok(membership.map(Into::into))
    }
}
