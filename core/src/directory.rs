//! The organization's directory, as admins keep it: inviting users, changing their role,
//! deactivating and reactivating them, creating teams and moving people between teams.
//! A move closes one membership and opens the next, so figures keep counting each record
//! for the team its rep was in at the record's event time.

use attain_entity::enums::{AuditAction, Role as StoredRole};
use attain_entity::{team, team_membership, user};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, EntityTrait, IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait,
};
use uuid::Uuid;

use crate::access::{Operation, Principal, Relation, Scope};
use crate::audit::{self, Writer};
use crate::error::{CoreError, CoreResult};
use crate::identity::{hash_password, normalize_email};
use crate::people::relation;
use crate::records::subtree_members;
use crate::rules::{self, NAME_LIMIT};
use crate::time::now_micros;

/// The shortest password an admin may set.
pub const PASSWORD_MIN: usize = 12;

/// A user to invite.
#[derive(Clone, Debug)]
pub struct Invitation {
    pub email: String,
    pub display_name: String,
    pub role: StoredRole,
    /// An initial password for the built-in login; none for users of an external
    /// identity provider (or who get tokens from `attain token`).
    pub password: Option<String>,
    pub external_id: Option<String>,
}

/// Adds an active user to the caller's organization (admins only).
pub async fn invite(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    invitation: Invitation,
) -> CoreResult<user::Model> {
    let principal = writer.principal;
    principal.authorize(Operation::WritePeople, Relation::Other, "user")?;
    let email = normalize_email(&invitation.email);
    if email.len() > 254 || !email.contains('@') || email.starts_with('@') || email.ends_with('@') {
        return Err(CoreError::bad_input("email", "not an email address"));
    }
    let display_name = rules::text(&invitation.display_name, NAME_LIMIT, "displayName")?;
    let external_id = invitation
        .external_id
        .map(|external_id| rules::text(&external_id, NAME_LIMIT, "externalId"))
        .transpose()?;
    let password_hash = match invitation.password {
        Some(password) if password.chars().count() < PASSWORD_MIN => {
            return Err(CoreError::bad_input(
                "password",
                format!("must have at least {PASSWORD_MIN} characters"),
            ));
        }
        Some(password) => Some(hash_password(&password)?),
        None => None,
    };
    let now = now_micros();
    let model = user::Model {
        organization_id: principal.organization_id,
        id: Uuid::now_v7(),
        email,
        display_name,
        role: invitation.role,
        active: true,
        password_hash,
        external_id,
        created_at: now,
        updated_at: now,
    };
    let transaction = crate::db::begin_write(db).await?;
    let taken = user::Entity::find()
        .filter(user::Column::OrganizationId.eq(principal.organization_id))
        .filter(user::Column::Email.eq(model.email.clone()))
        .one(&transaction)
        .await?
        .is_some();
    if taken {
        return Err(CoreError::Conflict(
            "a user with this email exists in the organization".into(),
        ));
    }
    let created = model.into_active_model().insert(&transaction).await?;
    let mut fields = vec!["email", "displayName", "role"];
    if created.password_hash.is_some() {
        fields.push("password");
    }
    if created.external_id.is_some() {
        fields.push("externalId");
    }
    audit::record(
        &transaction,
        writer,
        AuditAction::Create,
        "user",
        created.id,
        &fields,
    )
    .await?;
    transaction.commit().await?;
    Ok(created)
}

/// Finds a user the caller may read (`NOT_FOUND` otherwise) and checks that the caller
/// may change people (`FORBIDDEN` otherwise).
async fn writable_user<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    user_id: Uuid,
) -> CoreResult<user::Model> {
    let found = user::Entity::find_by_id((principal.organization_id, user_id))
        .one(conn)
        .await?
        .ok_or(CoreError::NotFound("user"))?;
    principal.authorize(
        Operation::ReadPeople,
        relation(conn, principal, user_id).await?,
        "user",
    )?;
    principal.authorize(Operation::WritePeople, Relation::Other, "user")?;
    Ok(found)
}

/// Changes a user's role (admins only, never their own: an organization keeps its admin).
pub async fn change_role(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    user_id: Uuid,
    role: StoredRole,
) -> CoreResult<user::Model> {
    update_user(db, writer, user_id, "role", |found| {
        if found.id == writer.principal.id && found.role != role {
            return Err(CoreError::bad_input(
                "role",
                "admins cannot change their own role",
            ));
        }
        Ok((found.role != role).then_some(user::ActiveModel {
            role: Set(role),
            ..Default::default()
        }))
    })
    .await
}

/// Deactivates or reactivates a user (admins only, never themselves). A deactivated
/// user's tokens stop working at once and their login fails; their records and figures
/// stay.
pub async fn set_active(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    user_id: Uuid,
    active: bool,
) -> CoreResult<user::Model> {
    update_user(db, writer, user_id, "active", |found| {
        if found.id == writer.principal.id && !active {
            return Err(CoreError::bad_input(
                "active",
                "admins cannot deactivate themselves",
            ));
        }
        Ok((found.active != active).then_some(user::ActiveModel {
            active: Set(active),
            ..Default::default()
        }))
    })
    .await
}

/// Applies `edit` to a user in one write transaction with its audit entry; an edit that
/// changes nothing writes nothing.
async fn update_user(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    user_id: Uuid,
    field: &str,
    edit: impl FnOnce(&user::Model) -> CoreResult<Option<user::ActiveModel>>,
) -> CoreResult<user::Model> {
    let transaction = crate::db::begin_write(db).await?;
    let found = writable_user(&transaction, writer.principal, user_id).await?;
    let Some(mut change) = edit(&found)? else {
        return Ok(found);
    };
    change.organization_id = Set(found.organization_id);
    change.id = Set(found.id);
    change.updated_at = Set(now_micros());
    let updated = change.update(&transaction).await?;
    audit::record(
        &transaction,
        writer,
        AuditAction::Update,
        "user",
        user_id,
        &[field],
    )
    .await?;
    transaction.commit().await?;
    Ok(updated)
}

/// Creates a team, under `parent_id` when given (admins only).
pub async fn create_team(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    name: &str,
    parent_id: Option<Uuid>,
) -> CoreResult<team::Model> {
    let principal = writer.principal;
    principal.authorize(Operation::WritePeople, Relation::Other, "team")?;
    let name = rules::text(name, NAME_LIMIT, "name")?;
    let transaction = crate::db::begin_write(db).await?;
    if let Some(parent) = parent_id {
        team::Entity::find_by_id((principal.organization_id, parent))
            .one(&transaction)
            .await?
            .ok_or_else(|| CoreError::bad_input("parentId", "no such team"))?;
    }
    let created = team::Model {
        organization_id: principal.organization_id,
        id: Uuid::now_v7(),
        name,
        parent_id,
        created_at: now_micros(),
    }
    .into_active_model()
    .insert(&transaction)
    .await?;
    audit::record(
        &transaction,
        writer,
        AuditAction::Create,
        "team",
        created.id,
        &["name", "parentId"],
    )
    .await?;
    transaction.commit().await?;
    Ok(created)
}

/// Moves a user into `team_id` (or out of every team when none) from instant `at`: the
/// open membership ends at `at` and the next one starts there. Moving a user into the
/// team they are in changes nothing. `at` may not be more than a day ahead, nor before
/// the start of the membership it closes.
pub async fn move_member(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    user_id: Uuid,
    team_id: Option<Uuid>,
    at: DateTime<Utc>,
) -> CoreResult<Option<team_membership::Model>> {
    let principal = writer.principal;
    let transaction = crate::db::begin_write(db).await?;
    writable_user(&transaction, principal, user_id).await?;
    let at = rules::event_instant(at, Utc::now(), "at")?;
    if let Some(team) = team_id {
        team::Entity::find_by_id((principal.organization_id, team))
            .one(&transaction)
            .await?
            .ok_or_else(|| CoreError::bad_input("teamId", "no such team"))?;
    }
    let memberships = team_membership::Entity::find()
        .filter(team_membership::Column::OrganizationId.eq(principal.organization_id))
        .filter(team_membership::Column::UserId.eq(user_id))
        .order_by_desc(team_membership::Column::ValidFrom)
        .all(&transaction)
        .await?;
    let open = memberships.iter().find(|m| m.valid_to.is_none()).cloned();
    if open.as_ref().map(|m| m.team_id) == team_id {
        return Ok(open);
    }
    if let Some(latest) = memberships.first() {
        let last_change = latest.valid_to.unwrap_or(latest.valid_from);
        if at <= last_change {
            return Err(CoreError::bad_input(
                "at",
                "must be after the start of the current membership (and after the last move)",
            ));
        }
    }
    let mut changed = Vec::new();
    if let Some(open) = open {
        let mut model = open.into_active_model();
        model.valid_to = Set(Some(at));
        changed.push(model.update(&transaction).await?.id);
    }
    let opened = match team_id {
        Some(team) => {
            let membership = team_membership::Model {
                organization_id: principal.organization_id,
                id: Uuid::now_v7(),
                user_id,
                team_id: team,
                valid_from: at,
                valid_to: None,
            }
            .into_active_model()
            .insert(&transaction)
            .await?;
            changed.push(membership.id);
            Some(membership)
        }
        None => None,
    };
    audit::record_many(
        &transaction,
        writer,
        AuditAction::Update,
        "teamMembership",
        &changed,
        &["teamId", "validFrom", "validTo"],
    )
    .await?;
    transaction.commit().await?;
    Ok(opened)
}

/// A page of the users the caller may see.
pub struct Listed {
    pub total: u64,
    pub users: Vec<user::Model>,
    pub redacted: bool,
}

/// The users the caller may see, by display name: admins and analysts every one
/// (analysts without emails: `redacted`), managers the people ever in their subtree and
/// themselves, reps themselves; partner clients none.
pub async fn users(
    db: &DatabaseConnection,
    principal: &Principal,
    offset: u64,
    limit: u64,
) -> CoreResult<Listed> {
    let mut query =
        user::Entity::find().filter(user::Column::OrganizationId.eq(principal.organization_id));
    let mut redacted = false;
    query = match principal.scope(Operation::ReadPeople) {
        Scope::All { redacted: hidden } => {
            redacted = hidden;
            query
        }
        Scope::Subtree { user_id, teams } => {
            let members = subtree_members(principal.organization_id, teams);
            query.filter(
                Condition::any()
                    .add(user::Column::Id.eq(user_id))
                    .add(user::Column::Id.in_subquery(members)),
            )
        }
        Scope::Own { user_id } => query.filter(user::Column::Id.eq(user_id)),
        Scope::OwnTeam { .. } | Scope::Pushed { .. } | Scope::Nothing => {
            return Ok(Listed {
                total: 0,
                users: Vec::new(),
                redacted: true,
            });
        }
    };
    let total = query.clone().count(db).await?;
    let users = query
        .order_by_asc(user::Column::DisplayName)
        .order_by_asc(user::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok(Listed {
        total,
        users,
        redacted,
    })
}

/// The teams the caller may see, by name: admins and analysts every one, managers their
/// subtree, reps the team they are in now; partner clients none.
pub async fn teams(db: &DatabaseConnection, principal: &Principal) -> CoreResult<Vec<team::Model>> {
    let mut query =
        team::Entity::find().filter(team::Column::OrganizationId.eq(principal.organization_id));
    query = match principal.scope(Operation::ReadPeople) {
        Scope::All { .. } => query,
        Scope::Subtree { teams, .. } => query.filter(team::Column::Id.is_in(teams)),
        Scope::Own { user_id } => {
            let current = team_membership::Entity::find()
                .select_only()
                .column(team_membership::Column::TeamId)
                .filter(team_membership::Column::OrganizationId.eq(principal.organization_id))
                .filter(team_membership::Column::UserId.eq(user_id))
                .filter(team_membership::Column::ValidTo.is_null())
                .into_query();
            query.filter(team::Column::Id.in_subquery(current))
        }
        Scope::OwnTeam { .. } | Scope::Pushed { .. } | Scope::Nothing => return Ok(Vec::new()),
    };
    Ok(query
        .order_by_asc(team::Column::Name)
        .order_by_asc(team::Column::Id)
        .all(db)
        .await?)
}

/// The people in each of `teams` now (open memberships), in one statement; whom the
/// caller may see of them is the people rule's to say.
pub async fn current_members(
    db: &DatabaseConnection,
    organization_id: Uuid,
    teams: &[Uuid],
) -> CoreResult<Vec<(Uuid, Uuid)>> {
    Ok(team_membership::Entity::find()
        .select_only()
        .column(team_membership::Column::TeamId)
        .column(team_membership::Column::UserId)
        .filter(team_membership::Column::OrganizationId.eq(organization_id))
        .filter(team_membership::Column::TeamId.is_in(teams.iter().copied()))
        .filter(team_membership::Column::ValidTo.is_null())
        .into_tuple()
        .all(db)
        .await?)
}
