//! What reps and teams are measured against: targets (with an optional baseline and
//! floor), set by admins anywhere and by managers in their subtree, and scorecard schemes
//! (weights summing to exactly 100), set by admins.

use attain_entity::enums::{AppliesTo, AuditAction, SubjectKind};
use attain_entity::{scheme_item, scorecard_scheme, target};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait,
    IntoActiveModel, QueryFilter,
};
use uuid::Uuid;

use crate::access::{Operation, Relation};
use crate::audit::{self, Writer};
use crate::error::{CoreError, CoreResult};
use crate::figures::subject_relation;
use crate::import::bonus_tiers_json;
use crate::import::dataset::BonusTierRecord;
use crate::kpi::{KpiKey, Subject};
use crate::organization::Settings;
use crate::period::Period;
use crate::rules::{self, NAME_LIMIT};
use crate::time::now_micros;

/// The largest target, baseline or floor.
const VALUE_LIMIT: i64 = 1_000_000_000_000;

/// A target to set for a subject, a KPI and a period.
#[derive(Clone, Debug)]
pub struct TargetInput {
    pub subject: Subject,
    pub kpi: KpiKey,
    /// A period label (`FY2026-Q3`, `2026-07`, …); future periods are fine.
    pub period: String,
    pub target: Decimal,
    pub baseline: Option<Decimal>,
    pub floor: Option<Decimal>,
}

fn value(value: Decimal, field: &str) -> CoreResult<Decimal> {
    if value < Decimal::ZERO || value > Decimal::from(VALUE_LIMIT) {
        return Err(CoreError::bad_input(field, "must be 0 to 10^12"));
    }
    Ok(value.normalize())
}

/// Sets the target of a subject, KPI and period, replacing the one there was. Answers
/// the stored target and whether it changed anything.
pub async fn set_target(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    input: TargetInput,
) -> CoreResult<(target::Model, bool)> {
    let principal = writer.principal;
    let relation = subject_relation(db, principal, input.subject).await?;
    principal.authorize(Operation::ReadTargets, relation, "subject")?;
    principal.authorize(Operation::WriteTargets, relation, "target")?;
    let settings = Settings::load(db, principal.organization_id).await?;
    let period = Period::parse(&input.period, settings.fiscal_year_start_month)
        .map_err(|_| CoreError::bad_input("period", "not a period label"))?;
    let target_value = value(input.target, "target")?;
    let baseline = input.baseline.map(|v| value(v, "baseline")).transpose()?;
    let floor = input.floor.map(|v| value(v, "floor")).transpose()?;
    rules::target_order(input.kpi, target_value, baseline, floor)
        .map_err(|(field, message)| CoreError::bad_input(field, message))?;
    let (kind, subject_id) = match input.subject {
        Subject::Rep(id) => (SubjectKind::Rep, id),
        Subject::Team(id) => (SubjectKind::Team, id),
        Subject::Org => (SubjectKind::Org, principal.organization_id),
    };
    let text = |value: Decimal| value.to_string();
    let transaction = crate::db::begin_write(db).await?;
    let existing = target::Entity::find()
        .filter(target::Column::OrganizationId.eq(principal.organization_id))
        .filter(target::Column::SubjectKind.eq(kind))
        .filter(target::Column::SubjectId.eq(subject_id))
        .filter(target::Column::Kpi.eq(input.kpi.as_str()))
        .filter(target::Column::PeriodKind.eq(period.kind))
        .filter(target::Column::PeriodStart.eq(period.start))
        .filter(target::Column::PeriodEnd.eq(period.end))
        .one(&transaction)
        .await?;
    let now = now_micros();
    let (stored, action) = match existing {
        Some(found)
            if found.target == text(target_value)
                && found.baseline == baseline.map(text)
                && found.floor == floor.map(text) =>
        {
            return Ok((found, false));
        }
        Some(found) => {
            let mut model = found.into_active_model();
            model.target = Set(text(target_value));
            model.baseline = Set(baseline.map(text));
            model.floor = Set(floor.map(text));
            model.updated_at = Set(now);
            (model.update(&transaction).await?, AuditAction::Update)
        }
        None => {
            let created = target::Model {
                organization_id: principal.organization_id,
                id: Uuid::now_v7(),
                subject_kind: kind,
                subject_id,
                kpi: input.kpi.as_str().to_owned(),
                period_kind: period.kind,
                period_start: period.start,
                period_end: period.end,
                target: text(target_value),
                baseline: baseline.map(text),
                floor: floor.map(text),
                created_at: now,
                updated_at: now,
            };
            (
                created.into_active_model().insert(&transaction).await?,
                AuditAction::Create,
            )
        }
    };
    audit::record(
        &transaction,
        writer,
        action,
        "target",
        stored.id,
        &["target", "baseline", "floor"],
    )
    .await?;
    transaction.commit().await?;
    Ok((stored, true))
}

/// A scorecard scheme to add: it is in force for reps or teams from `effective_from`
/// until the next one.
#[derive(Clone, Debug)]
pub struct SchemeInput {
    pub name: String,
    pub applies_to: AppliesTo,
    pub effective_from: NaiveDate,
    /// The most an item's attainment counts for (1.2 = 120%).
    pub cap: Decimal,
    /// (lowest composite, bonus multiplier) pairs.
    pub bonus_tiers: Vec<(Decimal, Decimal)>,
    pub items: Vec<(KpiKey, i32)>,
}

/// Adds a scorecard scheme (admins only). Weights must sum to exactly 100; a scheme for
/// the same subjects and start exists already is `CONFLICT`.
pub async fn create_scheme(
    db: &DatabaseConnection,
    writer: &Writer<'_>,
    input: SchemeInput,
) -> CoreResult<scorecard_scheme::Model> {
    let principal = writer.principal;
    principal.authorize(Operation::WriteSettings, Relation::Other, "scheme")?;
    let name = rules::text(&input.name, NAME_LIMIT, "name")?;
    let multipliers: Vec<Decimal> = input.bonus_tiers.iter().map(|(_, m)| *m).collect();
    rules::scheme(input.cap, &input.items, &multipliers, "bonusTiers")
        .map_err(|(field, message)| CoreError::bad_input(field, message))?;
    let tiers: Vec<BonusTierRecord> = input
        .bonus_tiers
        .iter()
        .map(|(min_score, multiplier)| BonusTierRecord {
            min_score: *min_score,
            multiplier: *multiplier,
        })
        .collect();
    let transaction = crate::db::begin_write(db).await?;
    let taken = scorecard_scheme::Entity::find()
        .filter(scorecard_scheme::Column::OrganizationId.eq(principal.organization_id))
        .filter(scorecard_scheme::Column::AppliesTo.eq(input.applies_to))
        .filter(scorecard_scheme::Column::EffectiveFrom.eq(input.effective_from))
        .one(&transaction)
        .await?
        .is_some();
    if taken {
        return Err(CoreError::Conflict(
            "a scheme for these subjects starts on that date already".into(),
        ));
    }
    let scheme = scorecard_scheme::Model {
        organization_id: principal.organization_id,
        id: Uuid::now_v7(),
        name,
        applies_to: input.applies_to,
        effective_from: input.effective_from,
        cap: input.cap.normalize().to_string(),
        bonus_tiers: bonus_tiers_json(&tiers),
        created_at: now_micros(),
    }
    .into_active_model()
    .insert(&transaction)
    .await?;
    for (position, (kpi, weight)) in input.items.iter().enumerate() {
        scheme_item::Model {
            organization_id: principal.organization_id,
            scheme_id: scheme.id,
            position: i32::try_from(position).unwrap_or(i32::MAX),
            kpi: kpi.as_str().to_owned(),
            weight: *weight,
        }
        .into_active_model()
        .insert(&transaction)
        .await?;
    }
    audit::record(
        &transaction,
        writer,
        AuditAction::Create,
        "scorecardScheme",
        scheme.id,
        &[
            "name",
            "appliesTo",
            "effectiveFrom",
            "cap",
            "bonusTiers",
            "items",
        ],
    )
    .await?;
    transaction.commit().await?;
    Ok(scheme)
}
