//! Ratings, survey responses, expenses, market sizes and evaluations, each put under an
//! id the client chooses so that a retry is stored once.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject};
use attain_core::CoreError;
use attain_core::inputs::{
    self, EvaluationInput as CoreEvaluation, ExpenseInput as CoreExpense,
    MarketSizeInput as CoreMarketSize, Outcome, RatingInput as CoreRating,
    SurveyInput as CoreSurvey,
};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::Services;
use super::activities::writer;
use super::error::{GqlResult, to_graphql};
use super::scalars::{Date, DateTime};

/// What a put did: the first put of an id creates, the same values again change nothing,
/// other values update.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PutStatus {
    Created,
    Updated,
    Unchanged,
}

/// The answer to a put.
#[derive(SimpleObject)]
pub struct PutResult {
    pub id: ID,
    pub status: PutStatus,
}

fn answer(id: Uuid, outcome: Outcome) -> PutResult {
    PutResult {
        id: ID(id.to_string()),
        status: match outcome {
            Outcome::Created => PutStatus::Created,
            Outcome::Updated => PutStatus::Updated,
            Outcome::Unchanged => PutStatus::Unchanged,
        },
    }
}

/// A UUID given in `field`; `BAD_USER_INPUT` on the field otherwise.
fn uuid(value: &ID, field: &str) -> async_graphql::Result<Uuid> {
    Uuid::parse_str(value).map_err(|_| to_graphql(CoreError::bad_input(field, "not an id")))
}

fn optional(value: Option<&ID>, field: &str) -> async_graphql::Result<Option<Uuid>> {
    value.map(|value| uuid(value, field)).transpose()
}

/// 协作 (teamwork) or 能力 (capability).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::RatingCategory")]
pub enum RatingCategory {
    Collaboration,
    Capability,
}

/// What an expense was for.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "attain_entity::enums::ExpenseCategory")]
pub enum ExpenseCategory {
    Marketing,
    Sales,
    Other,
}

/// A rating of a rep by the caller (a score of 1 to 5).
#[derive(InputObject)]
pub struct RatingInput {
    /// A UUID the client chooses; putting it again is a retry or an edit.
    pub id: ID,
    pub rep_id: ID,
    pub category: RatingCategory,
    pub score: i32,
    pub rated_on: Date,
}

/// A customer's satisfaction answer about a rep (a score of 1 to 5).
#[derive(InputObject)]
pub struct SurveyResponseInput {
    pub id: ID,
    pub customer_id: ID,
    pub rep_id: ID,
    pub score: i32,
    pub responded_at: DateTime,
}

/// An expense, for a rep, a team, or (neither) the organization.
#[derive(InputObject)]
pub struct ExpenseInput {
    pub id: ID,
    pub amount: Decimal,
    pub incurred_on: Date,
    pub category: ExpenseCategory,
    pub rep_id: Option<ID>,
    pub team_id: Option<ID>,
}

/// A market's size over a date range, for a team or (none) the organization.
#[derive(InputObject)]
pub struct MarketSizeInput {
    pub id: ID,
    pub team_id: Option<ID>,
    pub from: Date,
    /// The last date, included.
    pub to: Date,
    pub amount: Decimal,
}

/// A written evaluation of a rep for a period.
#[derive(InputObject)]
pub struct EvaluationInput {
    pub id: ID,
    pub rep_id: ID,
    pub period: String,
    #[graphql(default)]
    pub strengths: String,
    #[graphql(default)]
    pub improvements: String,
    /// Why targets were missed.
    #[graphql(default)]
    pub miss_reasons: String,
    /// The actions agreed.
    #[graphql(default)]
    pub actions: String,
}

#[derive(Default)]
pub struct InputsMutation;

#[Object]
impl InputsMutation {
    /// Puts a rating (any manager may rate any rep — cross-department ratings; admins).
    async fn put_rating(
        &self,
        ctx: &Context<'_>,
        input: RatingInput,
    ) -> async_graphql::Result<PutResult> {
        let services = ctx.data_unchecked::<Services>();
        let id = uuid(&input.id, "id")?;
        let rating = CoreRating {
            id,
            rep_id: uuid(&input.rep_id, "repId")?,
            category: input.category.into(),
            score: input.score,
            rated_on: input.rated_on.0,
        };
        let outcome = inputs::put_rating(&services.db, &writer(ctx)?, rating)
            .await
            .gql()?;
        Ok(answer(id, outcome))
    }

    /// Puts a survey response (admins).
    async fn put_survey_response(
        &self,
        ctx: &Context<'_>,
        input: SurveyResponseInput,
    ) -> async_graphql::Result<PutResult> {
        let services = ctx.data_unchecked::<Services>();
        let id = uuid(&input.id, "id")?;
        let survey = CoreSurvey {
            id,
            customer_id: uuid(&input.customer_id, "customerId")?,
            rep_id: uuid(&input.rep_id, "repId")?,
            score: input.score,
            responded_at: input.responded_at.0,
        };
        let outcome = inputs::put_survey_response(&services.db, &writer(ctx)?, survey)
            .await
            .gql()?;
        Ok(answer(id, outcome))
    }

    /// Puts an expense (admins).
    async fn put_expense(
        &self,
        ctx: &Context<'_>,
        input: ExpenseInput,
    ) -> async_graphql::Result<PutResult> {
        let services = ctx.data_unchecked::<Services>();
        let id = uuid(&input.id, "id")?;
        let expense = CoreExpense {
            id,
            amount: input.amount,
            incurred_on: input.incurred_on.0,
            category: input.category.into(),
            rep_id: optional(input.rep_id.as_ref(), "repId")?,
            team_id: optional(input.team_id.as_ref(), "teamId")?,
        };
        let outcome = inputs::put_expense(&services.db, &writer(ctx)?, expense)
            .await
            .gql()?;
        Ok(answer(id, outcome))
    }

    /// Puts a market size (admins); ranges may lie in the future.
    async fn put_market_size(
        &self,
        ctx: &Context<'_>,
        input: MarketSizeInput,
    ) -> async_graphql::Result<PutResult> {
        let services = ctx.data_unchecked::<Services>();
        let id = uuid(&input.id, "id")?;
        let size = CoreMarketSize {
            id,
            team_id: optional(input.team_id.as_ref(), "teamId")?,
            from: input.from.0,
            to: input.to.0,
            amount: input.amount,
        };
        let outcome = inputs::put_market_size(&services.db, &writer(ctx)?, size)
            .await
            .gql()?;
        Ok(answer(id, outcome))
    }

    /// Puts an evaluation (admins; managers for the reps of their subtree).
    async fn put_evaluation(
        &self,
        ctx: &Context<'_>,
        input: EvaluationInput,
    ) -> async_graphql::Result<PutResult> {
        let services = ctx.data_unchecked::<Services>();
        let id = uuid(&input.id, "id")?;
        let evaluation = CoreEvaluation {
            id,
            rep_id: uuid(&input.rep_id, "repId")?,
            period: input.period,
            strengths: input.strengths,
            improvements: input.improvements,
            miss_reasons: input.miss_reasons,
            actions: input.actions,
        };
        let outcome = inputs::put_evaluation(&services.db, &writer(ctx)?, evaluation)
            .await
            .gql()?;
        Ok(answer(id, outcome))
    }
}
