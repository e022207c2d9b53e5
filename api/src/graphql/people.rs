//! People as records show them (a record's owner, an activity's rep), loaded in one batch
//! per request under the caller's access to people.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ID, SimpleObject};
use attain_core::CoreError;
use attain_core::access::Principal;
use attain_core::people;
use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::error::to_graphql;

/// A person as the caller may see them.
#[derive(SimpleObject, Clone)]
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
    loader
        .load_one(user_id)
        .await
        .map_err(|error| match Arc::try_unwrap(error) {
            Ok(error) => to_graphql(error),
            Err(shared) => to_graphql(CoreError::Internal(anyhow::anyhow!("{shared}"))),
        })
}
