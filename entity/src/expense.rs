//! Acquisition spend, attributed to a rep, a team, or (neither) the organization.
use sea_orm::entity::prelude::*;

use crate::enums::ExpenseCategory;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "expenses")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub amount_minor: i64,
    pub incurred_on: Date,
    pub category: ExpenseCategory,
    pub rep_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
