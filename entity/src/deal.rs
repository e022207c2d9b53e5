//! Deals (opportunities, 商机).
use sea_orm::entity::prelude::*;

use crate::enums::{DealStage, DealStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "deals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub owner_id: Uuid,
    pub customer_id: Uuid,
    pub lead_id: Option<Uuid>,
    pub name: String,
    pub amount_minor: i64,
    pub cost_minor: Option<i64>,
    pub stage: DealStage,
    pub status: DealStatus,
    pub created_at: i64,
    pub expected_close_on: Option<Date>,
    pub proposal_sent_at: Option<i64>,
    pub proposal_co_created: bool,
    pub closed_at: Option<i64>,
    /// For a won deal: when the customer's next won deal closed (see `won_chain`).
    pub next_won_at: Option<i64>,
    pub updated_at: i64,
    pub source_id: Option<Uuid>,
    pub external_id: Option<String>,
    pub source_updated_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
