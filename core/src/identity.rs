//! Who a caller is: password login, and the [`Principal`] a verified token stands for,
//! read from the database on every request so that a role change or deactivation takes
//! effect at once.

use anyhow::anyhow;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use attain_entity::enums::{Role as StoredRole, SourceKind};
use attain_entity::{source, user};
use sea_orm::{
    ActiveEnum, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Statement, Value,
};
use uuid::Uuid;

use crate::access::{Principal, Role};
use crate::error::{CoreError, CoreResult};
use crate::rate::{self, Counts};
use crate::tenancy::{self, Rows};

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> CoreResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| CoreError::Internal(anyhow!("hashing a password: {error}")))
}

/// Whether `password` matches a stored argon2 hash.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash that matches no password, verified when the email is unknown so that a failed
/// login takes as long whether or not the account exists.
pub(crate) const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$N8c7mRkLpGJ3D6G7HrfpAeRm6I4xkDrZxwqv9kYWeH0";

/// Checks an email and password. `organization` picks the organization when the email
/// exists in several. Any failure is `UNAUTHENTICATED`, without saying which part was
/// wrong.
pub async fn login(
    db: &DatabaseConnection,
    email: &str,
    password: &str,
    organization: Option<Uuid>,
) -> CoreResult<user::Model> {
    let candidates = users_with_email(db, email, organization).await?;
    let found = match candidates.as_slice() {
        [only] => Some(only),
        _ => None,
    };
    let hash = found
        .and_then(|user| user.password_hash.as_deref())
        .unwrap_or(DECOY_HASH);
    let verified = verify_password(password, hash);
    match found {
        Some(user) if verified && user.active && user.password_hash.is_some() => Ok(user.clone()),
        _ => Err(CoreError::Unauthenticated),
    }
}

/// The one active user with this email (in `organization`, when given), for minting a
/// token from the command line.
pub async fn find_by_email(
    db: &DatabaseConnection,
    email: &str,
    organization: Option<Uuid>,
) -> CoreResult<user::Model> {
    match users_with_email(db, email, organization).await?.as_slice() {
        [only] if only.active => Ok(only.clone()),
        [_] => Err(CoreError::bad_input("email", "the user is deactivated")),
        [] => Err(CoreError::NotFound("user")),
        _ => Err(CoreError::bad_input(
            "organization",
            "the email exists in several organizations",
        )),
    }
}

/// The users with this email, in one organization or in all: without one, a lookup
/// across organizations, before the caller's is known.
async fn users_with_email(
    db: &DatabaseConnection,
    email: &str,
    organization: Option<Uuid>,
) -> CoreResult<Vec<user::Model>> {
    let query = user::Entity::find().filter(user::Column::Email.eq(normalize_email(email)));
    let found = match organization {
        Some(organization) => {
            let query = query.filter(user::Column::OrganizationId.eq(organization));
            tenancy::within(Rows::Organization(organization), query.all(db)).await
        }
        None => tenancy::as_system(query.all(db)).await,
    };
    Ok(found?)
}

/// Emails compare without case and surrounding space.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The kind of subject a token names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubjectKind {
    User,
    Partner,
}

/// The principal of a verified token's subject, as the database has it now: the user
/// (or partner client) must exist in `organization_id` and be active, and the role is
/// the stored one.
pub async fn principal(
    db: &DatabaseConnection,
    organization_id: Uuid,
    subject: Uuid,
    kind: SubjectKind,
) -> CoreResult<Principal> {
    tenancy::within(
        Rows::Organization(organization_id),
        stored_principal(db, organization_id, subject, kind),
    )
    .await
}

/// The stored role of a verified token's subject (none when it is gone or deactivated)
/// together with the count of the request of `caller` in `minute` ([`rate::count`]), in
/// one statement: the two lookups every authenticated request makes cost one round trip.
/// [`principal_with_role`] then makes the principal, once the counts allow the request.
pub async fn role_counting(
    db: &DatabaseConnection,
    organization_id: Uuid,
    subject: Uuid,
    kind: SubjectKind,
    caller: &str,
    minute: i64,
) -> CoreResult<(Counts, Option<Role>)> {
    let lookup = match kind {
        SubjectKind::User => {
            "(SELECT u.role FROM users u WHERE u.organization_id = $3 AND u.id = $4 \
             AND u.active)"
        }
        SubjectKind::Partner => {
            "(SELECT s.kind FROM sources s WHERE s.organization_id = $3 AND s.id = $4 \
             AND s.active AND s.kind = 'PARTNER')"
        }
    };
    tenancy::within(Rows::Organization(organization_id), async {
        let statement = rate::counting(
            db,
            caller,
            minute,
            &format!(", {lookup} AS role"),
            vec![Value::from(organization_id), Value::from(subject)],
        );
        let row = db.query_one_raw(statement).await?;
        let counts = rate::counted(db, minute, row.as_ref()).await?;
        let stored: Option<String> = match &row {
            Some(row) => row.try_get("", "role")?,
            None => None,
        };
        let role = match (kind, stored) {
            (SubjectKind::Partner, Some(_)) => Some(Role::Partner),
            (SubjectKind::User, Some(role)) => {
                StoredRole::try_from_value(&role).ok().map(Role::from)
            }
            (_, None) => None,
        };
        Ok((counts, role))
    })
    .await
}

/// The principal of an active subject whose stored role [`role_counting`] read.
pub async fn principal_with_role(
    db: &DatabaseConnection,
    organization_id: Uuid,
    id: Uuid,
    role: Role,
) -> CoreResult<Principal> {
    tenancy::within(
        Rows::Organization(organization_id),
        with_role(db, organization_id, id, role),
    )
    .await
}

async fn stored_principal(
    db: &DatabaseConnection,
    organization_id: Uuid,
    subject: Uuid,
    kind: SubjectKind,
) -> CoreResult<Principal> {
    let role = match kind {
        SubjectKind::User => user::Entity::find_by_id((organization_id, subject))
            .one(db)
            .await?
            .filter(|user| user.active)
            .map(|user| Role::from(user.role)),
        SubjectKind::Partner => source::Entity::find_by_id((organization_id, subject))
            .one(db)
            .await?
            .filter(|source| source.active && source.kind == SourceKind::Partner)
            .map(|_| Role::Partner),
    };
    match role {
        Some(role) => with_role(db, organization_id, subject, role).await,
        None => Err(CoreError::Unauthenticated),
    }
}

/// The principal of an active subject with its stored role: a manager's with the teams
/// they manage.
async fn with_role(
    db: &DatabaseConnection,
    organization_id: Uuid,
    id: Uuid,
    role: Role,
) -> CoreResult<Principal> {
    let subtree = if role == Role::Manager {
        managed_subtree(db, organization_id, id).await?
    } else {
        Vec::new()
    };
    Ok(Principal {
        organization_id,
        id,
        role,
        subtree,
    })
}

/// The user record of the caller; partner clients have none.
pub async fn current_user(
    db: &DatabaseConnection,
    principal: &Principal,
) -> CoreResult<Option<user::Model>> {
    if principal.role == Role::Partner {
        return Ok(None);
    }
    let user = user::Entity::find_by_id((principal.organization_id, principal.id))
        .one(db)
        .await?
        .ok_or(CoreError::NotFound("user"))?;
    Ok(Some(user))
}

/// The teams a manager manages and every team below them.
pub async fn managed_subtree(
    db: &DatabaseConnection,
    organization_id: Uuid,
    manager_id: Uuid,
) -> CoreResult<Vec<Uuid>> {
    let sql = "WITH RECURSIVE subtree(id) AS ( \
                 SELECT team_id FROM team_managers WHERE organization_id = $1 AND user_id = $2 \
                 UNION \
                 SELECT teams.id FROM teams JOIN subtree ON teams.parent_id = subtree.id \
                 WHERE teams.organization_id = $1 \
               ) SELECT id FROM subtree";
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [Value::from(organization_id), Value::from(manager_id)],
    );
    let rows = db.query_all_raw(statement).await?;
    rows.iter()
        .map(|row| row.try_get::<Uuid>("", "id").map_err(CoreError::from))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("correct horse").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("wrong horse", &hash));
        assert!(!verify_password("correct horse", DECOY_HASH));
        assert!(!verify_password("x", "not a hash"));
    }
}
