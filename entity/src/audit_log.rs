//! Who changed what, when, through which client.
use sea_orm::entity::prelude::*;

use crate::enums::{ActorKind, AuditAction};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub actor_kind: ActorKind,
    pub actor_id: Option<Uuid>,
    pub action: AuditAction,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    #[sea_orm(column_type = "Text")]
    pub changes: String,
    pub request_id: Option<String>,
    pub at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
