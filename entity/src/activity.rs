//! Visits, calls and the rest; `client_ref` dedupes offline replays, deletions leave tombstones.
use sea_orm::entity::prelude::*;

use crate::enums::ActivityKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub rep_id: Uuid,
    pub kind: ActivityKind,
    pub occurred_at: i64,
    pub customer_id: Option<Uuid>,
    pub deal_id: Option<Uuid>,
    pub quality: bool,
    pub duration_minutes: i32,
    pub notes: String,
    pub client_ref: Uuid,
    pub original_digest: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
    pub deleted_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
