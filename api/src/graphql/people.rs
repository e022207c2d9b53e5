//! People as records show them (a record's owner, an activity's rep), loaded in one batch
//! per request under the caller's access to people.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{ComplexObject, Context, ID, SimpleObject};
use attain_core::CoreError;
use attain_core::access::Principal;
use attain_core::activities::ActivityFilter;
use attain_core::{directory, people};
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::activities::{Activity, feed_page};
use super::error::to_graphql;
use super::paging::TotalCount;

/// A person as the caller may see them.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Person {
    pub id: ID,
    pub display_name: String,
    /// Null where the caller may not see personal data (analysts).
    pub email: Option<String>,
}

/// Loads the people a request's objects point at, for one caller.
pub struct PeopleLoader {
    pub db: DatabaseConnection,
    pub principal: Principal,
}

impl Loader<Uuid> for PeopleLoader {
    type Value = Person;
    type Error = Arc<CoreError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Person>, Self::Error> {
        let found = people::people(&self.db, &self.principal, keys)
            .await
            .map_err(Arc::new)?;
        Ok(found
            .into_iter()
            .map(|(key, person)| {
                (
                    key,
                    Person {
                        id: ID(person.id.to_string()),
                        display_name: person.display_name,
                        email: person.email,
                    },
                )
            })
            .collect())
    }
}

/// A request's loader of people.
pub type People = DataLoader<PeopleLoader>;

/// The person of `user_id` (an id the object holds) as the caller may see them; null
/// where the caller may not see the person.
pub(super) async fn person(
    ctx: &Context<'_>,
    user_id: &ID,
) -> async_graphql::Result<Option<Person>> {
    let Ok(user_id) = Uuid::parse_str(user_id) else {
        return Ok(None);
    };
    let Some(loader) = ctx.data_opt::<People>() else {
        return Ok(None);
    };
    loader.load_one(user_id).await.map_err(unshare)
}

#[ComplexObject]
impl Person {
    /// Their activities, newest first, as the caller may see them (the activity feed's
    /// rule: reps their own, managers their subtree's, analysts without notes).
    #[graphql(complexity = "super::insights::page_cost(first, child_complexity)")]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Activity, TotalCount>> {
        let rep =
            Uuid::parse_str(&self.id).map_err(|_| to_graphql(CoreError::NotFound("person")))?;
        let filter = ActivityFilter {
            rep_id: Some(rep),
            ..ActivityFilter::default()
        };
        feed_page(ctx, &filter, first, after).await
    }
}

/// Loads the people in teams now, for one organization.
pub struct MembersLoader {
    pub db: DatabaseConnection,
    pub organization_id: Uuid,
}

impl Loader<Uuid> for MembersLoader {
    type Value = Vec<Uuid>;
    type Error = Arc<CoreError>;

    async fn load(&self, keys: &[Uuid]) -> Result<HashMap<Uuid, Vec<Uuid>>, Self::Error> {
        let pairs = directory::current_members(&self.db, self.organization_id, keys)
            .await
            .map_err(Arc::new)?;
        let mut members: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
        for (team, user) in pairs {
            members.entry(team).or_default().push(user);
        }
        Ok(members)
    }
}

/// A request's loader of team members.
pub type Members = DataLoader<MembersLoader>;

/// The people in a team now whom the caller may see, by name.
pub(super) async fn members(ctx: &Context<'_>, team: &ID) -> async_graphql::Result<Vec<Person>> {
    let (Ok(team), Some(loader), Some(people)) = (
        Uuid::parse_str(team),
        ctx.data_opt::<Members>(),
        ctx.data_opt::<People>(),
    ) else {
        return Ok(Vec::new());
    };
    let ids = loader
        .load_one(team)
        .await
        .map_err(unshare)?
        .unwrap_or_default();
    let mut found: Vec<Person> = people
        .load_many(ids)
        .await
        .map_err(unshare)?
        .into_values()
        .collect();
    found.sort_by(|a, b| (&a.display_name, &a.id.0).cmp(&(&b.display_name, &b.id.0)));
    Ok(found)
}

/// A loader's shared error as a GraphQL error.
fn unshare(error: Arc<CoreError>) -> async_graphql::Error {
    match Arc::try_unwrap(error) {
        Ok(error) => to_graphql(error),
        Err(shared) => to_graphql(CoreError::Internal(anyhow::anyhow!("{shared}"))),
    }
}
