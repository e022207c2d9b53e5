//! The inputs the figures read besides sales records: ratings (managers rate any rep;
//! admins too), survey responses, expenses and market sizes (admins), and evaluations
//! (admins; managers for their subtree). Each is put under an id the client chooses, so a
//! retried write is stored once: the first put creates, the same values again change
//! nothing, other values update.

use attain_entity::enums::{AuditAction, ExpenseCategory, RatingCategory};
use attain_entity::{
    customer, evaluation, expense, market_size, rating, survey_response, team, user,
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IntoActiveModel, PrimaryKeyTrait, QueryFilter,
};
use uuid::Uuid;

use crate::access::{Operation, Principal, Relation};
use crate::audit::{self, Writer};
use crate::error::{CoreError, CoreResult};
use crate::organization::Settings;
use crate::people::relation;
use crate::period::Period;
use crate::rules::{self, NOTES_LIMIT};
use crate::time::now_micros;

/// What a put did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Stores `model` under its id in one write transaction with its audit entry.
async fn put<E>(
    transaction: DatabaseTransaction,
    writer: &Writer<'_>,
    entity: &str,
    fields: &[&str],
    id: Uuid,
    model: E::Model,
) -> CoreResult<Outcome>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel> + PartialEq + Clone,
    E::ActiveModel: ActiveModelTrait<Entity = E> + ActiveModelBehavior + Send,
    <E::PrimaryKey as PrimaryKeyTrait>::ValueType: From<(Uuid, Uuid)>,
{
    let key = (writer.principal.organization_id, id);
    let existing = E::find_by_id(key).one(&transaction).await?;
    let outcome = match existing {
        Some(found) if found == model => return Ok(Outcome::Unchanged),
        Some(_) => {
            model
                .into_active_model()
                .reset_all()
                .update(&transaction)
                .await?;
            Outcome::Updated
        }
        None => {
            model.into_active_model().insert(&transaction).await?;
            Outcome::Created
        }
    };
    let action = match outcome {
        Outcome::Created => AuditAction::Create,
        _ => AuditAction::Update,
    };
    audit::record(&transaction, writer, action, entity, id, fields).await?;
    transaction.commit().await?;
    Ok(outcome)
}

/// A rep of the caller's organization named by an input field; `BAD_USER_INPUT` on the
/// field otherwise (missing or another organization's alike).
async fn known_user<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    id: Uuid,
    field: &str,
) -> CoreResult<()> {
    user::Entity::find_by_id((principal.organization_id, id))
        .one(conn)
        .await?
        .map(|_| ())
        .ok_or_else(|| CoreError::bad_input(field, "no such user"))
}

async fn known_team<C: ConnectionTrait>(
    conn: &C,
    principal: &Principal,
    id: Option<Uuid>,
    field: &str,
) -> CoreResult<()> {
    let Some(id) = id else { return Ok(()) };
    team::Entity::find_by_id((principal.organization_id, id))
        .one(conn)
        .await?
        .map(|_| ())
        .ok_or_else(|| CoreError::bad_input(field, "no such team"))
}

/// An event's date: not more than a day ahead of today (UTC).
fn event_date(date: NaiveDate, field: &str) -> CoreResult<NaiveDate> {
    if date > Utc::now().date_naive() + chrono::Duration::days(1) {
        return Err(CoreError::bad_input(
            field,
            "must not be more than a day in the future",
        ));
    }
    Ok(date)
}

/// A rating of a rep by the caller.
#[derive(Clone, Debug)]
pub struct RatingInput {
    pub id: Uuid,
    pub rep_id: Uuid,
    pub category: RatingCategory,
    pub score: i32,
    pub rated_on: NaiveDate,
}

/// Puts a rating (managers of any team, cross-department; admins).
pub async fn put_rating(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    input: RatingInput,
) -> CoreResult<Outcome> {
    let principal = writer.principal;
    principal.authorize(Operation::WriteRatings, Relation::Other, "rating")?;
    rules::score(input.score, "score")?;
    let rated_on = event_date(input.rated_on, "ratedOn")?;
    let transaction = crate::db::begin_write(db).await?;
    known_user(&transaction, principal, input.rep_id, "repId").await?;
    let model = rating::Model {
        organization_id: principal.organization_id,
        id: input.id,
        rep_id: input.rep_id,
        rater_id: principal.id,
        category: input.category,
        score: input.score,
        rated_on,
    };
    put::<rating::Entity>(
        transaction,
        writer,
        "rating",
        &["repId", "category", "score", "ratedOn"],
        input.id,
        model,
    )
    .await
}

/// A customer's satisfaction survey answer about a rep.
#[derive(Clone, Debug)]
pub struct SurveyInput {
    pub id: Uuid,
    pub customer_id: Uuid,
    pub rep_id: Uuid,
    pub score: i32,
    pub responded_at: DateTime<Utc>,
}

/// Puts a survey response (admins).
pub async fn put_survey_response(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    input: SurveyInput,
) -> CoreResult<Outcome> {
    let principal = writer.principal;
    principal.authorize(
        Operation::WriteBusinessInputs,
        Relation::Other,
        "survey response",
    )?;
    rules::score(input.score, "score")?;
    let responded_at = rules::event_instant(input.responded_at, Utc::now(), "respondedAt")?;
    let transaction = crate::db::begin_write(db).await?;
    customer::Entity::find_by_id((principal.organization_id, input.customer_id))
        .one(&transaction)
        .await?
        .ok_or_else(|| CoreError::bad_input("customerId", "no such customer"))?;
    known_user(&transaction, principal, input.rep_id, "repId").await?;
    let model = survey_response::Model {
        organization_id: principal.organization_id,
        id: input.id,
        customer_id: input.customer_id,
        rep_id: input.rep_id,
        score: input.score,
        responded_at,
    };
    put::<survey_response::Entity>(
        transaction,
        writer,
        "surveyResponse",
        &["customerId", "repId", "score", "respondedAt"],
        input.id,
        model,
    )
    .await
}

/// An expense, attributed to a rep, a team or (neither) the organization.
#[derive(Clone, Debug)]
pub struct ExpenseInput {
    pub id: Uuid,
    pub amount: Decimal,
    pub incurred_on: NaiveDate,
    pub category: ExpenseCategory,
    pub rep_id: Option<Uuid>,
    pub team_id: Option<Uuid>,
}

/// Puts an expense (admins).
pub async fn put_expense(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    input: ExpenseInput,
) -> CoreResult<Outcome> {
    let principal = writer.principal;
    principal.authorize(Operation::WriteBusinessInputs, Relation::Other, "expense")?;
    if input.rep_id.is_some() && input.team_id.is_some() {
        return Err(CoreError::bad_input(
            "teamId",
            "an expense is attributed to a rep or a team, not both",
        ));
    }
    let settings = Settings::load(db, principal.organization_id).await?;
    let amount_minor = settings.currency.to_minor(input.amount, "amount")?;
    let incurred_on = event_date(input.incurred_on, "incurredOn")?;
    let transaction = crate::db::begin_write(db).await?;
    if let Some(rep_id) = input.rep_id {
        known_user(&transaction, principal, rep_id, "repId").await?;
    }
    known_team(&transaction, principal, input.team_id, "teamId").await?;
    let model = expense::Model {
        organization_id: principal.organization_id,
        id: input.id,
        amount_minor,
        incurred_on,
        category: input.category,
        rep_id: input.rep_id,
        team_id: input.team_id,
    };
    put::<expense::Entity>(
        transaction,
        writer,
        "expense",
        &["amount", "incurredOn", "category", "repId", "teamId"],
        input.id,
        model,
    )
    .await
}

/// The size of a market over a date range, for a team or (none) the organization.
#[derive(Clone, Debug)]
pub struct MarketSizeInput {
    pub id: Uuid,
    pub team_id: Option<Uuid>,
    pub from: NaiveDate,
    /// The last date, included.
    pub to: NaiveDate,
    pub amount: Decimal,
}

/// Puts a market size (admins); ranges may lie in the future.
pub async fn put_market_size(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    input: MarketSizeInput,
) -> CoreResult<Outcome> {
    let principal = writer.principal;
    principal.authorize(
        Operation::WriteBusinessInputs,
        Relation::Other,
        "market size",
    )?;
    if input.to < input.from {
        return Err(CoreError::bad_input("to", "must not be before from"));
    }
    let settings = Settings::load(db, principal.organization_id).await?;
    let amount_minor = settings.currency.to_minor(input.amount, "amount")?;
    let transaction = crate::db::begin_write(db).await?;
    known_team(&transaction, principal, input.team_id, "teamId").await?;
    let same_range = market_size::Entity::find()
        .filter(market_size::Column::OrganizationId.eq(principal.organization_id))
        .filter(match input.team_id {
            Some(team) => market_size::Column::TeamId.eq(team),
            None => market_size::Column::TeamId.is_null(),
        })
        .filter(market_size::Column::StartsOn.eq(input.from))
        .filter(market_size::Column::EndsOn.eq(input.to))
        .filter(market_size::Column::Id.ne(input.id))
        .one(&transaction)
        .await?;
    if same_range.is_some() {
        return Err(CoreError::Conflict(
            "a market size for this scope and range exists already".into(),
        ));
    }
    let model = market_size::Model {
        organization_id: principal.organization_id,
        id: input.id,
        team_id: input.team_id,
        starts_on: input.from,
        ends_on: input.to,
        amount_minor,
    };
    put::<market_size::Entity>(
        transaction,
        writer,
        "marketSize",
        &["teamId", "from", "to", "amount"],
        input.id,
        model,
    )
    .await
}

/// A manager's written evaluation of a rep for a period (seed 003's review: strengths,
/// what to improve, why targets were missed, the actions agreed).
#[derive(Clone, Debug)]
pub struct EvaluationInput {
    pub id: Uuid,
    pub rep_id: Uuid,
    pub period: String,
    pub strengths: String,
    pub improvements: String,
    pub miss_reasons: String,
    pub actions: String,
}

/// Puts an evaluation (admins; managers for the reps of their subtree).
pub async fn put_evaluation(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    input: EvaluationInput,
) -> CoreResult<Outcome> {
    let principal = writer.principal;
    known_user(db, principal, input.rep_id, "repId").await?;
    let relation = relation(db, principal, input.rep_id).await?;
    principal.authorize(Operation::WriteTargets, relation, "evaluation")?;
    let settings = Settings::load(db, principal.organization_id).await?;
    let period = Period::parse(&input.period, settings.fiscal_year_start_month)
        .map_err(|_| CoreError::bad_input("period", "not a period label"))?;
    for (text, field) in [
        (&input.strengths, "strengths"),
        (&input.improvements, "improvements"),
        (&input.miss_reasons, "missReasons"),
        (&input.actions, "actions"),
    ] {
        rules::long_text(text, NOTES_LIMIT, field)?;
    }
    let transaction = crate::db::begin_write(db).await?;
    let now = now_micros();
    let existing = evaluation::Entity::find_by_id((principal.organization_id, input.id))
        .one(&transaction)
        .await?;
    let (created_at, updated_at) = existing
        .as_ref()
        .map_or((now, now), |found| (found.created_at, found.updated_at));
    let mut model = evaluation::Model {
        organization_id: principal.organization_id,
        id: input.id,
        rep_id: input.rep_id,
        author_id: principal.id,
        period_kind: period.kind,
        period_start: period.start,
        period_end: period.end,
        strengths: input.strengths,
        improvements: input.improvements,
        miss_reasons: input.miss_reasons,
        actions: input.actions,
        created_at,
        updated_at,
    };
    if existing.is_some_and(|found| found == model) {
        return Ok(Outcome::Unchanged);
    }
    model.updated_at = now;
    put::<evaluation::Entity>(
        transaction,
        writer,
        "evaluation",
        &[
            "repId",
            "period",
            "strengths",
            "improvements",
            "missReasons",
            "actions",
        ],
        input.id,
        model,
    )
    .await
}
