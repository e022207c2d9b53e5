//! Organizations (tenants) and their settings.
use sea_orm::entity::prelude::*;

use crate::enums::LeaderboardVisibility;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub external_id: Option<String>,
    pub timezone: String,
    pub currency: String,
    pub fiscal_year_start_month: i32,
    pub active_customer_window_days: i32,
    pub satisfaction_pass_score: i32,
    pub stage_probabilities: String,
    pub leaderboard_visibility: LeaderboardVisibility,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
