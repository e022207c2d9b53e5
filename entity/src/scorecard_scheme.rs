//! Scorecard schemes, versioned by the date they take effect.
use sea_orm::entity::prelude::*;

use crate::enums::AppliesTo;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scorecard_schemes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub applies_to: AppliesTo,
    pub effective_from: Date,
    pub cap: String,
    pub bonus_tiers: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
