//! Customers (accounts), each owned by a rep.
use sea_orm::entity::prelude::*;

use crate::enums::Segment;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "customers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub segment: Segment,
    pub owner_id: Uuid,
    pub created_at: i64,
    pub updated_at: i64,
    pub source_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub source_updated_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
