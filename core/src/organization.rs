//! An organization's settings, parsed once from its row into the types the formulas use.

use std::collections::BTreeMap;
use std::str::FromStr;

use anyhow::{Context, anyhow};
use attain_entity::enums::{DealStage, LeaderboardVisibility};
use attain_entity::organization;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::error::{CoreError, CoreResult};
use crate::money::Currency;

/// Default win probability of each open stage.
pub const DEFAULT_STAGE_PROBABILITIES: [(DealStage, &str); 4] = [
    (DealStage::Prospecting, "0.10"),
    (DealStage::Qualification, "0.20"),
    (DealStage::Proposal, "0.50"),
    (DealStage::Negotiation, "0.75"),
];

/// The settings every KPI and scorecard of an organization depends on.
#[derive(Clone, Debug)]
pub struct Settings {
    pub id: Uuid,
    pub name: String,
    pub timezone: Tz,
    pub currency: Currency,
    pub fiscal_year_start_month: u32,
    pub active_customer_window_days: u32,
    pub satisfaction_pass_score: i32,
    pub stage_probabilities: BTreeMap<String, Decimal>,
    pub leaderboard_visibility: LeaderboardVisibility,
}

impl Settings {
    /// Parses a stored row; a row that does not parse is a bug, not the caller's fault.
    pub fn from_model(model: organization::Model) -> CoreResult<Settings> {
        let timezone = Tz::from_str(&model.timezone).map_err(|_| {
            anyhow!(
                "organization {} has time zone {:?}",
                model.id,
                model.timezone
            )
        })?;
        let currency = Currency::parse(&model.currency).ok_or_else(|| {
            anyhow!(
                "organization {} has currency {:?}",
                model.id,
                model.currency
            )
        })?;
        let probabilities: BTreeMap<String, String> =
            serde_json::from_str(&model.stage_probabilities).context("stage probabilities")?;
        let stage_probabilities = probabilities
            .into_iter()
            .map(|(stage, p)| Ok((stage, Decimal::from_str(&p)?)))
            .collect::<Result<_, rust_decimal::Error>>()
            .context("stage probabilities")?;
        Ok(Settings {
            id: model.id,
            name: model.name,
            timezone,
            currency,
            fiscal_year_start_month: u32::try_from(model.fiscal_year_start_month)
                .context("fiscal start")?,
            active_customer_window_days: u32::try_from(model.active_customer_window_days)
                .context("window")?,
            satisfaction_pass_score: model.satisfaction_pass_score,
            stage_probabilities,
            leaderboard_visibility: model.leaderboard_visibility,
        })
    }

    /// Loads the settings of an organization.
    pub async fn load(db: &DatabaseConnection, id: Uuid) -> CoreResult<Settings> {
        let model = organization::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or(CoreError::NotFound("organization"))?;
        Settings::from_model(model)
    }
}

/// Stage probabilities as stored: a JSON object of decimal strings.
pub fn stage_probabilities_json(probabilities: &BTreeMap<String, Decimal>) -> String {
    let strings: BTreeMap<&str, String> = probabilities
        .iter()
        .map(|(stage, p)| (stage.as_str(), p.to_string()))
        .collect();
    serde_json::to_string(&strings).unwrap_or_else(|_| "{}".to_owned())
}

/// The default stage probabilities.
pub fn default_stage_probabilities() -> BTreeMap<String, Decimal> {
    DEFAULT_STAGE_PROBABILITIES
        .iter()
        .map(|(stage, p)| {
            (
                stage.as_str().to_owned(),
                Decimal::from_str(p).unwrap_or_default(),
            )
        })
        .collect()
}
