//! A manager's written review of a rep's scorecard for a period.
use sea_orm::entity::prelude::*;

use crate::enums::PeriodKind;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "evaluations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub rep_id: Uuid,
    pub author_id: Uuid,
    pub period_kind: PeriodKind,
    pub period_start: Date,
    pub period_end: Date,
    pub strengths: String,
    pub improvements: String,
    pub miss_reasons: String,
    pub actions: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
