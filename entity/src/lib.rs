//! SeaORM entities of the Attain schema; one module per table. Instants are i64 microseconds
//! since the Unix epoch (UTC), dates are local dates, money is i64 minor units of the
//! organization's currency.

/// Visits, calls and other activities of reps.
pub mod activity;
/// The audit log.
pub mod audit_log;
/// Customers, each owned by a rep.
pub mod customer;
/// Deals (opportunities).
pub mod deal;
/// The enumerations stored in `variant` columns.
pub mod enums;
/// Managers' written reviews of reps' scorecards.
pub mod evaluation;
/// Acquisition spend.
pub mod expense;
/// The external ids of imported records.
pub mod import_id;
/// Invoices.
pub mod invoice;
/// Leads.
pub mod lead;
/// Market sizes of the organization or a team.
pub mod market_size;
/// Organizations (tenants) and their settings.
pub mod organization;
/// Payments received against invoices.
pub mod payment;
/// Ratings of reps' collaboration and capability.
pub mod rating;
/// The weighted KPIs of a scorecard scheme.
pub mod scheme_item;
/// Scorecard schemes, versioned by effective date.
pub mod scorecard_scheme;
/// Partner clients and bulk imports that records come from.
pub mod source;
/// Customer satisfaction survey responses.
pub mod survey_response;
/// Targets per subject, KPI and period.
pub mod target;
/// Teams, nested through their parent.
pub mod team;
/// Who manages which team.
pub mod team_manager;
/// Who was in which team when.
pub mod team_membership;
/// Users: admins, managers, reps and analysts.
pub mod user;

/// Every table's `Entity`, named after the table's row.
pub mod prelude {
    pub use crate::activity::Entity as Activity;
    pub use crate::audit_log::Entity as AuditLog;
    pub use crate::customer::Entity as Customer;
    pub use crate::deal::Entity as Deal;
    pub use crate::evaluation::Entity as Evaluation;
    pub use crate::expense::Entity as Expense;
    pub use crate::import_id::Entity as ImportId;
    pub use crate::invoice::Entity as Invoice;
    pub use crate::lead::Entity as Lead;
    pub use crate::market_size::Entity as MarketSize;
    pub use crate::organization::Entity as Organization;
    pub use crate::payment::Entity as Payment;
    pub use crate::rating::Entity as Rating;
    pub use crate::scheme_item::Entity as SchemeItem;
    pub use crate::scorecard_scheme::Entity as ScorecardScheme;
    pub use crate::source::Entity as Source;
    pub use crate::survey_response::Entity as SurveyResponse;
    pub use crate::target::Entity as Target;
    pub use crate::team::Entity as Team;
    pub use crate::team_manager::Entity as TeamManager;
    pub use crate::team_membership::Entity as TeamMembership;
    pub use crate::user::Entity as User;
}
