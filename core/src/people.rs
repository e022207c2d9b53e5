//! Users as other objects show them (a record's owner, an activity's rep), under the rule
//! for reading people: the email (personal data) only where the caller may see it in
//! full, nothing at all where the caller may not see the person.

use std::collections::{HashMap, HashSet};

use attain_entity::{team_membership, user};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect,
};
use uuid::Uuid;

use crate::access::{Decision, Operation, Principal, Relation, Role, decide};
use crate::error::CoreResult;

/// A user as the caller may see them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub id: Uuid,
    pub display_name: String,
    /// None where the caller may not see personal data (analysts).
    pub email: Option<String>,
}

/// The users of `ids` the caller may see, in two statements whatever their number.
/// Managers see the people ever in a team of their subtree; reps themselves; admins
/// everyone; analysts everyone without emails; partner clients no one.
pub async fn people(
    db: &DatabaseConnection,
    principal: &Principal,
    ids: &[Uuid],
) -> CoreResult<HashMap<Uuid, Person>> {
    if ids.is_empty() || principal.role == Role::Partner {
        return Ok(HashMap::new());
    }
    let users = user::Entity::find()
        .filter(user::Column::OrganizationId.eq(principal.organization_id))
        .filter(user::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let in_subtree: HashSet<Uuid> = if principal.subtree.is_empty() {
        HashSet::new()
    } else {
        team_membership::Entity::find()
            .select_only()
            .column(team_membership::Column::UserId)
            .filter(team_membership::Column::OrganizationId.eq(principal.organization_id))
            .filter(team_membership::Column::TeamId.is_in(principal.subtree.iter().copied()))
            .filter(team_membership::Column::UserId.is_in(ids.iter().copied()))
            .into_tuple::<Uuid>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    Ok(users
        .into_iter()
        .filter_map(|user| {
            let relation = if user.id == principal.id {
                Relation::Own
            } else if in_subtree.contains(&user.id) {
                Relation::Subtree
            } else {
                Relation::Other
            };
            let email = match decide(principal.role, Operation::ReadPeople, relation) {
                Decision::Allow => Some(user.email),
                Decision::Redacted => None,
                Decision::Deny => return None,
            };
            Some((
                user.id,
                Person {
                    id: user.id,
                    display_name: user.display_name,
                    email,
                },
            ))
        })
        .collect())
}

/// How a user relates to the caller: themselves, someone ever in a team of the manager's
/// subtree, or anyone else.
pub(crate) async fn relation<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    user_id: Uuid,
) -> CoreResult<Relation> {
    if user_id == principal.id {
        return Ok(Relation::Own);
    }
    if principal.subtree.is_empty() {
        return Ok(Relation::Other);
    }
    let in_subtree = team_membership::Entity::find()
        .filter(team_membership::Column::OrganizationId.eq(principal.organization_id))
        .filter(team_membership::Column::UserId.eq(user_id))
        .filter(team_membership::Column::TeamId.is_in(principal.subtree.iter().copied()))
        .one(conn)
        .await?
        .is_some();
    Ok(if in_subtree {
        Relation::Subtree
    } else {
        Relation::Other
    })
}
