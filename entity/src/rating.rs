//! Ratings (1–5) of a rep's collaboration or capability by a rater.
use sea_orm::entity::prelude::*;

use crate::enums::RatingCategory;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ratings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub rep_id: Uuid,
    pub rater_id: Uuid,
    pub category: RatingCategory,
    pub score: i32,
    pub rated_on: Date,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
