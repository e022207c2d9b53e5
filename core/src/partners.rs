//! Partner clients: the integrating systems (an ERP, a shop, another CRM) that push
//! records by their own ids. An admin creates one and sees its secret once; only the
//! argon2id hash is stored. The client exchanges its id and secret for a short-lived
//! token; rotating the secret or revoking the client stops the old secret at once.

use attain_entity::enums::{AuditAction, SourceKind};
use attain_entity::source;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use rand::rngs::OsRng;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::access::{Operation, Principal, Relation, Scope};
use crate::audit::{self, Writer};
use crate::error::{CoreError, CoreResult};
use crate::identity::{hash_password, verify_password};
use crate::rules::{self, NAME_LIMIT};
use crate::tenancy;
use crate::time::now_micros;

/// A partner client with a secret made just now: the only time the secret is shown.
#[derive(Clone, Debug)]
pub struct WithSecret {
    pub client: source::Model,
    pub secret: String,
}

/// A random secret: 32 bytes, URL-safe base64.
fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Creates a partner client (admins only).
pub async fn create(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    name: &str,
) -> CoreResult<WithSecret> {
    let principal = writer.principal;
    principal.authorize(Operation::WritePeople, Relation::Other, "partner client")?;
    let name = rules::text(name, NAME_LIMIT, "name")?;
    let secret = new_secret();
    let client = source::Model {
        organization_id: principal.organization_id,
        id: Uuid::now_v7(),
        kind: SourceKind::Partner,
        name,
        secret_hash: Some(hash_password(&secret)?),
        active: true,
        created_at: now_micros(),
        revoked_at: None,
    };
    let transaction = crate::db::begin_write(db).await?;
    let client = client.into_active_model().insert(&transaction).await?;
    audit::record(
        &transaction,
        writer,
        AuditAction::Create,
        "partnerClient",
        client.id,
        &["name", "secret"],
    )
    .await?;
    transaction.commit().await?;
    Ok(WithSecret { client, secret })
}

/// Changes an active partner client of the caller's organization, in one transaction
/// with its audit entry: `edit` sets the `fields` it names.
async fn change(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    id: Uuid,
    fields: &[&str],
    edit: impl FnOnce(&mut source::ActiveModel),
) -> CoreResult<source::Model> {
    let principal = writer.principal;
    principal.authorize(Operation::ReadPeople, Relation::Other, "partner client")?;
    let transaction = crate::db::begin_write(db).await?;
    let client = source::Entity::find_by_id((principal.organization_id, id))
        .one(&transaction)
        .await?
        .filter(|client| client.kind == SourceKind::Partner)
        .ok_or(CoreError::NotFound("partner client"))?;
    principal.authorize(Operation::WritePeople, Relation::Other, "partner client")?;
    if !client.active {
        return Err(CoreError::Conflict("the partner client is revoked".into()));
    }
    let mut model = client.into_active_model();
    edit(&mut model);
    let client = model.update(&transaction).await?;
    audit::record(
        &transaction,
        writer,
        AuditAction::Update,
        "partnerClient",
        id,
        fields,
    )
    .await?;
    transaction.commit().await?;
    Ok(client)
}

/// Replaces a partner client's secret; the old one stops working at once (tokens
/// already issued live out their short lifetime).
pub async fn rotate(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    id: Uuid,
) -> CoreResult<WithSecret> {
    let secret = new_secret();
    let hash = hash_password(&secret)?;
    let client = change(db, writer, id, &["secret"], |model| {
        model.secret_hash = Set(Some(hash));
    })
    .await?;
    Ok(WithSecret { client, secret })
}

/// Revokes a partner client: its secret and its tokens stop working at once; what it
/// pushed stays.
pub async fn revoke(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    id: Uuid,
) -> CoreResult<source::Model> {
    change(db, writer, id, &["active", "revokedAt"], |model| {
        model.active = Set(false);
        model.revoked_at = Set(Some(now_micros()));
        model.secret_hash = Set(None);
    })
    .await
}

/// The organization's partner clients, oldest first (admins and analysts; nobody else
/// sees any).
pub async fn list(
    db: &DatabaseConnection,
    principal: &Principal,
    offset: u64,
    limit: u64,
) -> CoreResult<(u64, Vec<source::Model>)> {
    if !matches!(principal.scope(Operation::ReadPeople), Scope::All { .. }) {
        return Ok((0, Vec::new()));
    }
    let query = source::Entity::find()
        .filter(source::Column::OrganizationId.eq(principal.organization_id))
        .filter(source::Column::Kind.eq(SourceKind::Partner));
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_asc(source::Column::CreatedAt)
        .order_by_asc(source::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((total, rows))
}

/// Checks a partner client's id and secret. Any failure is `UNAUTHENTICATED`, without
/// saying which part was wrong.
pub async fn authenticate(
    db: &DatabaseConnection,
    client_id: Uuid,
    secret: &str,
) -> CoreResult<source::Model> {
    // Across organizations: the client's id names its organization.
    let client = source::Entity::find()
        .filter(source::Column::Id.eq(client_id))
        .filter(source::Column::Kind.eq(SourceKind::Partner));
    let client = tenancy::as_system(client.one(db)).await?;
    let hash = client
        .as_ref()
        .and_then(|client| client.secret_hash.as_deref())
        .unwrap_or(crate::identity::DECOY_HASH);
    let verified = verify_password(secret, hash);
    match client {
        Some(client) if verified && client.active && client.secret_hash.is_some() => Ok(client),
        _ => Err(CoreError::Unauthenticated),
    }
}
