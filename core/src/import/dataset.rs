//! The bulk-import format (`attain-dataset/2`, described in
//! `shared/fixtures/conformance/README.md`): one organization's records, each array
//! referencing the others by the file's own ids.

use std::collections::BTreeMap;

use attain_entity::enums::{
    ActivityKind, AppliesTo, DealStage, DealStatus, ExpenseCategory, LeadSource, LeadStatus,
    LeaderboardVisibility, PeriodKind, RatingCategory, Role, Segment, SubjectKind,
};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{CoreError, CoreResult};
use crate::kpi::KpiKey;

/// The format this module reads and writes.
pub const FORMAT: &str = "attain-dataset/2";

/// A whole data set. Arrays left out are empty.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Dataset {
    pub format: String,
    #[serde(default)]
    pub as_of: Option<DateTime<Utc>>,
    pub organization: OrganizationRecord,
    #[serde(default)]
    pub teams: Vec<TeamRecord>,
    #[serde(default)]
    pub users: Vec<UserRecord>,
    #[serde(default)]
    pub memberships: Vec<MembershipRecord>,
    #[serde(default)]
    pub customers: Vec<CustomerRecord>,
    #[serde(default)]
    pub leads: Vec<LeadRecord>,
    #[serde(default)]
    pub deals: Vec<DealRecord>,
    #[serde(default)]
    pub activities: Vec<ActivityRecord>,
    #[serde(default)]
    pub invoices: Vec<InvoiceRecord>,
    #[serde(default)]
    pub payments: Vec<PaymentRecord>,
    #[serde(default)]
    pub survey_responses: Vec<SurveyResponseRecord>,
    #[serde(default)]
    pub expenses: Vec<ExpenseRecord>,
    #[serde(default)]
    pub market_sizes: Vec<MarketSizeRecord>,
    #[serde(default)]
    pub ratings: Vec<RatingRecord>,
    #[serde(default)]
    pub schemes: Vec<SchemeRecord>,
    #[serde(default)]
    pub targets: Vec<TargetRecord>,
}

impl Dataset {
    /// Parses JSON text; a malformed record fails with its path (`deals[17].stage`).
    pub fn from_json(text: &str) -> CoreResult<Dataset> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).map_err(|error| {
            let path = error.path().to_string();
            let field = if path == "." {
                "dataset".to_owned()
            } else {
                path
            };
            CoreError::bad_input(field, error.into_inner())
        })
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OrganizationRecord {
    pub id: String,
    pub name: String,
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default = "default_currency")]
    pub currency: String,
    #[serde(default = "default_fiscal_year_start_month")]
    pub fiscal_year_start_month: i32,
    #[serde(default = "default_active_customer_window_days")]
    pub active_customer_window_days: i32,
    #[serde(default = "default_satisfaction_pass_score")]
    pub satisfaction_pass_score: i32,
    #[serde(default)]
    pub stage_probabilities: Option<BTreeMap<DealStage, Decimal>>,
    #[serde(default = "default_leaderboard_visibility")]
    pub leaderboard_visibility: LeaderboardVisibility,
}

impl Default for OrganizationRecord {
    fn default() -> Self {
        OrganizationRecord {
            id: String::new(),
            name: String::new(),
            timezone: default_timezone(),
            currency: default_currency(),
            fiscal_year_start_month: default_fiscal_year_start_month(),
            active_customer_window_days: default_active_customer_window_days(),
            satisfaction_pass_score: default_satisfaction_pass_score(),
            stage_probabilities: None,
            leaderboard_visibility: default_leaderboard_visibility(),
        }
    }
}

fn default_timezone() -> String {
    "UTC".to_owned()
}
fn default_currency() -> String {
    "CNY".to_owned()
}
fn default_fiscal_year_start_month() -> i32 {
    1
}
fn default_active_customer_window_days() -> i32 {
    365
}
fn default_satisfaction_pass_score() -> i32 {
    4
}
fn default_leaderboard_visibility() -> LeaderboardVisibility {
    LeaderboardVisibility::RankOnly
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TeamRecord {
    pub id: String,
    pub name: String,
    pub parent_id: Option<String>,
    #[serde(default)]
    pub manager_ids: Vec<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserRecord {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(default)]
    pub external_id: Option<String>,
    pub active: bool,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipRecord {
    pub user_id: String,
    pub team_id: String,
    pub valid_from: DateTime<Utc>,
    #[serde(default)]
    pub valid_to: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerRecord {
    pub id: String,
    pub name: String,
    pub segment: Segment,
    pub owner_id: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LeadRecord {
    pub id: String,
    pub owner_id: String,
    pub source: LeadSource,
    pub created_at: DateTime<Utc>,
    pub status: LeadStatus,
    #[serde(default)]
    pub converted_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub customer_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DealRecord {
    pub id: String,
    pub owner_id: String,
    pub customer_id: String,
    #[serde(default)]
    pub lead_id: Option<String>,
    pub name: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub cost: Option<Decimal>,
    pub stage: DealStage,
    pub status: DealStatus,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub expected_close_on: Option<NaiveDate>,
    #[serde(default)]
    pub proposal_sent_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub proposal_co_created: bool,
    #[serde(default)]
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityRecord {
    pub id: String,
    pub rep_id: String,
    pub kind: ActivityKind,
    pub occurred_at: DateTime<Utc>,
    #[serde(default)]
    pub customer_id: Option<String>,
    #[serde(default)]
    pub deal_id: Option<String>,
    #[serde(default)]
    pub quality: bool,
    #[serde(default)]
    pub duration_minutes: i32,
    #[serde(default)]
    pub notes: String,
    pub client_ref: Uuid,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRecord {
    pub id: String,
    #[serde(default)]
    pub deal_id: Option<String>,
    pub customer_id: String,
    pub owner_id: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub due_on: NaiveDate,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRecord {
    pub id: String,
    pub invoice_id: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub received_on: NaiveDate,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyResponseRecord {
    pub id: String,
    pub customer_id: String,
    pub rep_id: String,
    pub score: i32,
    pub responded_at: DateTime<Utc>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpenseRecord {
    pub id: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub incurred_on: NaiveDate,
    pub category: ExpenseCategory,
    #[serde(default)]
    pub rep_id: Option<String>,
    #[serde(default)]
    pub team_id: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MarketSizeRecord {
    pub id: String,
    #[serde(default)]
    pub team_id: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RatingRecord {
    pub id: String,
    pub rep_id: String,
    pub category: RatingCategory,
    pub score: i32,
    pub rated_on: NaiveDate,
    pub rater_id: String,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeRecord {
    pub id: String,
    pub name: String,
    pub applies_to: AppliesTo,
    pub effective_from: NaiveDate,
    #[serde(with = "rust_decimal::serde::str")]
    pub cap: Decimal,
    pub bonus_tiers: Vec<BonusTierRecord>,
    pub items: Vec<SchemeItemRecord>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BonusTierRecord {
    #[serde(with = "rust_decimal::serde::str")]
    pub min_score: Decimal,
    #[serde(with = "rust_decimal::serde::str")]
    pub multiplier: Decimal,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeItemRecord {
    pub kpi: KpiKey,
    pub weight: i32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TargetRecord {
    pub id: String,
    pub subject_kind: SubjectKind,
    #[serde(default)]
    pub subject_id: Option<String>,
    pub kpi: KpiKey,
    pub period: PeriodRecord,
    #[serde(with = "rust_decimal::serde::str")]
    pub target: Decimal,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub baseline: Option<Decimal>,
    #[serde(default, with = "rust_decimal::serde::str_option")]
    pub floor: Option<Decimal>,
}

/// A period as the file names it: its kind, label and local start and (exclusive) end.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodRecord {
    pub kind: PeriodKind,
    #[serde(default)]
    pub label: Option<String>,
    pub start: NaiveDate,
    pub end: NaiveDate,
}
