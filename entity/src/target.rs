//! Targets for a subject (rep, team or organization), a KPI and a period.
use sea_orm::entity::prelude::*;

use crate::enums::{PeriodKind, SubjectKind};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "targets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub kpi: String,
    pub period_kind: PeriodKind,
    pub period_start: Date,
    pub period_end: Date,
    pub target: String,
    pub baseline: Option<String>,
    pub floor: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
