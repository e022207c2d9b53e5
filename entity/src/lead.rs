//! Leads (线索), until they convert into customers or are disqualified.
use sea_orm::entity::prelude::*;

use crate::enums::{LeadSource, LeadStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub lead_source: LeadSource,
    pub status: LeadStatus,
    pub created_at: i64,
    pub converted_at: Option<i64>,
    pub customer_id: Option<Uuid>,
    pub updated_at: i64,
    pub source_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub source_updated_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
