//! GraphQL object types, converted from core and entity values (the database types never
//! derive GraphQL themselves).

use async_graphql::{Enum, ID, SimpleObject};
use attain_core::access;
use attain_core::organization::Settings;
use attain_entity::enums::LeaderboardVisibility as StoredVisibility;
use attain_entity::user;

/// A caller's role.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Admin,
    Manager,
    Rep,
    Analyst,
    Partner,
}

impl From<access::Role> for Role {
    fn from(role: access::Role) -> Self {
        match role {
            access::Role::Admin => Role::Admin,
            access::Role::Manager => Role::Manager,
            access::Role::Rep => Role::Rep,
            access::Role::Analyst => Role::Analyst,
            access::Role::Partner => Role::Partner,
        }
    }
}

/// How much of the leaderboard reps see.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeaderboardVisibility {
    /// Only their own figures.
    None,
    /// Their rank, percentile and n, and the leaderboard's names and ranks without values.
    RankOnly,
    /// Everything, peers' values included.
    Full,
}

impl From<StoredVisibility> for LeaderboardVisibility {
    fn from(visibility: StoredVisibility) -> Self {
        match visibility {
            StoredVisibility::None => LeaderboardVisibility::None,
            StoredVisibility::RankOnly => LeaderboardVisibility::RankOnly,
            StoredVisibility::Full => LeaderboardVisibility::Full,
        }
    }
}

/// A person of the organization.
#[derive(SimpleObject)]
pub struct User {
    pub id: ID,
    /// Null where the caller may not see personal data (analysts listing users).
    pub email: Option<String>,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
    /// The HR system's employee id, if known.
    pub external_id: Option<String>,
}

impl From<user::Model> for User {
    fn from(user: user::Model) -> Self {
        User {
            id: ID(user.id.to_string()),
            email: Some(user.email),
            display_name: user.display_name,
            role: access::Role::from(user.role).into(),
            active: user.active,
            external_id: user.external_id,
        }
    }
}

/// The tenant and the settings its figures depend on.
#[derive(SimpleObject)]
pub struct Organization {
    pub id: ID,
    pub name: String,
    /// IANA time zone in which periods are cut.
    pub timezone: String,
    /// ISO 4217 currency of every amount.
    pub currency: String,
    pub fiscal_year_start_month: u32,
    pub active_customer_window_days: u32,
    pub satisfaction_pass_score: i32,
    pub leaderboard_visibility: LeaderboardVisibility,
}

impl From<Settings> for Organization {
    fn from(settings: Settings) -> Self {
        Organization {
            id: ID(settings.id.to_string()),
            name: settings.name,
            timezone: settings.timezone.name().to_owned(),
            currency: settings.currency.code().to_owned(),
            fiscal_year_start_month: settings.fiscal_year_start_month,
            active_customer_window_days: settings.active_customer_window_days,
            satisfaction_pass_score: settings.satisfaction_pass_score,
            leaderboard_visibility: settings.leaderboard_visibility.into(),
        }
    }
}
