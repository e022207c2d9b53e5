//! The whole domain of `shared/spec/domain.md`: tenants, people and teams, sales records,
//! performance management, partner sources and the audit log.

use crate::columns::*;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, indexes) in schema() {
            manager.create_table(table).await?;
            for index in indexes {
                manager.create_index(index).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, _) in schema().into_iter().rev() {
            let name = table
                .get_table_name()
                .cloned()
                .expect("every table is named");
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}

type Definition = (TableCreateStatement, Vec<IndexCreateStatement>);

fn schema() -> Vec<Definition> {
    vec![
        organizations(),
        users(),
        sources(),
        teams(),
        team_managers(),
        team_memberships(),
        customers(),
        leads(),
        deals(),
        activities(),
        invoices(),
        payments(),
        survey_responses(),
        expenses(),
        market_sizes(),
        ratings(),
        scorecard_schemes(),
        scheme_items(),
        targets(),
        evaluations(),
        audit_log(),
        import_ids(),
    ]
}

fn organizations() -> Definition {
    let table = Table::create()
        .table("organizations")
        .col(uuid("id").primary_key())
        .col(text("name", 200))
        .col(text_null("external_id", 200))
        .col(text("timezone", 64))
        .col(text("currency", 3))
        .col(
            integer("fiscal_year_start_month")
                .check(Expr::col("fiscal_year_start_month").between(1, 12)),
        )
        .col(
            integer("active_customer_window_days")
                .check(Expr::col("active_customer_window_days").gt(0)),
        )
        .col(score("satisfaction_pass_score"))
        .col(text("stage_probabilities", 400))
        .col(variant("leaderboard_visibility"))
        .col(instant("created_at"))
        .to_owned();
    (table, vec![])
}

fn users() -> Definition {
    let table = tenant_table("users")
        .col(text("email", 254))
        .col(text("display_name", 200))
        .col(variant("role"))
        .col(boolean("active"))
        .col(text_null("password_hash", 200))
        .col(text_null("external_id", 200))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .to_owned();
    let indexes = vec![
        unique("users", "email", &["organization_id", "email"]),
        unique("users", "external_id", &["organization_id", "external_id"]),
    ];
    (table, indexes)
}

/// Where records come from: a partner client (an integrating system with a secret) or a
/// bulk import.
fn sources() -> Definition {
    let table = tenant_table("sources")
        .col(variant("kind"))
        .col(text("name", 200))
        .col(text_null("secret_hash", 200))
        .col(boolean("active"))
        .col(instant("created_at"))
        .col(instant_null("revoked_at"))
        .to_owned();
    (table, vec![])
}

fn teams() -> Definition {
    let table = tenant_table("teams")
        .col(text("name", 200))
        .col(uuid_null("parent_id"))
        .col(instant("created_at"))
        .foreign_key(&mut references("teams", "parent_id", "teams"))
        .to_owned();
    (
        table,
        vec![index("teams", "parent", &["organization_id", "parent_id"])],
    )
}

fn team_managers() -> Definition {
    let table = Table::create()
        .table("team_managers")
        .col(uuid("organization_id"))
        .col(uuid("team_id"))
        .col(uuid("user_id"))
        .primary_key(
            Index::create()
                .col("organization_id")
                .col("team_id")
                .col("user_id"),
        )
        .foreign_key(
            &mut references("team_managers", "team_id", "teams")
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned(),
        )
        .foreign_key(&mut references("team_managers", "user_id", "users"))
        .to_owned();
    (
        table,
        vec![index(
            "team_managers",
            "user",
            &["organization_id", "user_id"],
        )],
    )
}

/// Who was in which team when: half-open `[valid_from, valid_to)`.
fn team_memberships() -> Definition {
    let table = tenant_table("team_memberships")
        .col(uuid("user_id"))
        .col(uuid("team_id"))
        .col(instant("valid_from"))
        .col(instant_null("valid_to"))
        .check(
            Expr::col("valid_to")
                .is_null()
                .or(Expr::col("valid_to").gt(Expr::col("valid_from"))),
        )
        .foreign_key(&mut references("team_memberships", "user_id", "users"))
        .foreign_key(&mut references("team_memberships", "team_id", "teams"))
        .to_owned();
    let indexes = vec![
        index(
            "team_memberships",
            "user",
            &["organization_id", "user_id", "valid_from"],
        ),
        index(
            "team_memberships",
            "team",
            &["organization_id", "team_id", "valid_from"],
        ),
    ];
    (table, indexes)
}

fn customers() -> Definition {
    let mut table = tenant_table("customers")
        .col(text("name", 200))
        .col(variant("segment"))
        .col(uuid("owner_id"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .foreign_key(&mut references("customers", "owner_id", "users"))
        .to_owned();
    sourced(&mut table, "customers");
    let indexes = vec![
        source_key("customers"),
        index("customers", "owner", &["organization_id", "owner_id"]),
    ];
    (table, indexes)
}

fn leads() -> Definition {
    let mut table = tenant_table("leads")
        .col(uuid("owner_id"))
        .col(variant("lead_source"))
        .col(variant("status"))
        .col(instant("created_at"))
        .col(instant_null("converted_at"))
        .col(uuid_null("customer_id"))
        .col(instant("updated_at"))
        .foreign_key(&mut references("leads", "owner_id", "users"))
        .foreign_key(&mut references("leads", "customer_id", "customers"))
        .to_owned();
    sourced(&mut table, "leads");
    let indexes = vec![
        source_key("leads"),
        index(
            "leads",
            "owner_created",
            &["organization_id", "owner_id", "created_at"],
        ),
        index("leads", "created", &["organization_id", "created_at"]),
    ];
    (table, indexes)
}

fn deals() -> Definition {
    let mut table = tenant_table("deals")
        .col(uuid("owner_id"))
        .col(uuid("customer_id"))
        .col(uuid_null("lead_id"))
        .col(text("name", 200))
        .col(money("amount_minor"))
        .col(money_null("cost_minor"))
        .col(variant("stage"))
        .col(variant("status"))
        .col(instant("created_at"))
        .col(date_null("expected_close_on"))
        .col(instant_null("proposal_sent_at"))
        .col(boolean("proposal_co_created"))
        .col(instant_null("closed_at"))
        .col(instant("updated_at"))
        // Open deals have no close instant; won and lost ones always have one.
        .check(
            Expr::col("status")
                .eq("OPEN")
                .and(Expr::col("closed_at").is_null())
                .or(Expr::col("status")
                    .ne("OPEN")
                    .and(Expr::col("closed_at").is_not_null())),
        )
        .foreign_key(&mut references("deals", "owner_id", "users"))
        .foreign_key(&mut references("deals", "customer_id", "customers"))
        .foreign_key(&mut references("deals", "lead_id", "leads"))
        .to_owned();
    sourced(&mut table, "deals");
    let indexes = vec![
        source_key("deals"),
        index(
            "deals",
            "owner_closed",
            &["organization_id", "owner_id", "closed_at"],
        ),
        index(
            "deals",
            "owner_proposal",
            &["organization_id", "owner_id", "proposal_sent_at"],
        ),
        index(
            "deals",
            "owner_created",
            &["organization_id", "owner_id", "created_at"],
        ),
        index(
            "deals",
            "customer_closed",
            &["organization_id", "customer_id", "closed_at"],
        ),
        index("deals", "closed", &["organization_id", "closed_at"]),
    ];
    (table, indexes)
}

/// Visits, calls and the rest; `client_ref` makes a replayed offline log a no-op, and a
/// deleted activity keeps its row as a tombstone so a replay cannot bring it back.
fn activities() -> Definition {
    let table = tenant_table("activities")
        .col(uuid("rep_id"))
        .col(variant("kind"))
        .col(instant("occurred_at"))
        .col(uuid_null("customer_id"))
        .col(uuid_null("deal_id"))
        .col(boolean("quality"))
        .col(integer("duration_minutes").check(Expr::col("duration_minutes").gte(0)))
        .col(text("notes", 5000))
        .col(uuid("client_ref"))
        .col(text_null("original_digest", 64))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .col(instant_null("deleted_at"))
        .foreign_key(&mut references("activities", "rep_id", "users"))
        .foreign_key(&mut references("activities", "customer_id", "customers"))
        .foreign_key(&mut references("activities", "deal_id", "deals"))
        .to_owned();
    let indexes = vec![
        unique(
            "activities",
            "client_ref",
            &["organization_id", "rep_id", "client_ref"],
        ),
        index(
            "activities",
            "rep_occurred",
            &["organization_id", "rep_id", "occurred_at"],
        ),
        index(
            "activities",
            "occurred",
            &["organization_id", "occurred_at"],
        ),
    ];
    (table, indexes)
}

fn invoices() -> Definition {
    let mut table = tenant_table("invoices")
        .col(uuid_null("deal_id"))
        .col(uuid("customer_id"))
        .col(uuid("owner_id"))
        .col(money("amount_minor"))
        .col(date("due_on"))
        .col(instant("updated_at"))
        .foreign_key(&mut references("invoices", "deal_id", "deals"))
        .foreign_key(&mut references("invoices", "customer_id", "customers"))
        .foreign_key(&mut references("invoices", "owner_id", "users"))
        .to_owned();
    sourced(&mut table, "invoices");
    let indexes = vec![
        source_key("invoices"),
        index(
            "invoices",
            "owner_due",
            &["organization_id", "owner_id", "due_on"],
        ),
        index("invoices", "due", &["organization_id", "due_on"]),
    ];
    (table, indexes)
}

fn payments() -> Definition {
    let mut table = tenant_table("payments")
        .col(uuid("invoice_id"))
        .col(money("amount_minor"))
        .col(date("received_on"))
        .col(instant("updated_at"))
        .foreign_key(&mut references("payments", "invoice_id", "invoices"))
        .to_owned();
    sourced(&mut table, "payments");
    let indexes = vec![
        source_key("payments"),
        index(
            "payments",
            "invoice_received",
            &["organization_id", "invoice_id", "received_on"],
        ),
    ];
    (table, indexes)
}

fn survey_responses() -> Definition {
    let table = tenant_table("survey_responses")
        .col(uuid("customer_id"))
        .col(uuid("rep_id"))
        .col(score("score"))
        .col(instant("responded_at"))
        .foreign_key(&mut references(
            "survey_responses",
            "customer_id",
            "customers",
        ))
        .foreign_key(&mut references("survey_responses", "rep_id", "users"))
        .to_owned();
    let indexes = vec![
        index(
            "survey_responses",
            "rep_responded",
            &["organization_id", "rep_id", "responded_at"],
        ),
        index(
            "survey_responses",
            "responded",
            &["organization_id", "responded_at"],
        ),
    ];
    (table, indexes)
}

/// Acquisition spend, attributed to a rep, a team, or (neither) the organization.
fn expenses() -> Definition {
    let table = tenant_table("expenses")
        .col(money("amount_minor"))
        .col(date("incurred_on"))
        .col(variant("category"))
        .col(uuid_null("rep_id"))
        .col(uuid_null("team_id"))
        .check(
            Expr::col("rep_id")
                .is_null()
                .or(Expr::col("team_id").is_null()),
        )
        .foreign_key(&mut references("expenses", "rep_id", "users"))
        .foreign_key(&mut references("expenses", "team_id", "teams"))
        .to_owned();
    (
        table,
        vec![index(
            "expenses",
            "incurred",
            &["organization_id", "incurred_on"],
        )],
    )
}

/// The total market of the organization (no team) or of a team over an inclusive range.
fn market_sizes() -> Definition {
    let table = tenant_table("market_sizes")
        .col(uuid_null("team_id"))
        .col(date("starts_on"))
        .col(date("ends_on"))
        .col(money("amount_minor"))
        .check(Expr::col("ends_on").gte(Expr::col("starts_on")))
        .foreign_key(&mut references("market_sizes", "team_id", "teams"))
        .to_owned();
    (
        table,
        vec![index(
            "market_sizes",
            "range",
            &["organization_id", "starts_on", "ends_on"],
        )],
    )
}

fn ratings() -> Definition {
    let table = tenant_table("ratings")
        .col(uuid("rep_id"))
        .col(uuid("rater_id"))
        .col(variant("category"))
        .col(score("score"))
        .col(date("rated_on"))
        .foreign_key(&mut references("ratings", "rep_id", "users"))
        .foreign_key(&mut references("ratings", "rater_id", "users"))
        .to_owned();
    let indexes = vec![
        index(
            "ratings",
            "rep_rated",
            &["organization_id", "rep_id", "rated_on"],
        ),
        index("ratings", "rated", &["organization_id", "rated_on"]),
    ];
    (table, indexes)
}

/// Scorecard schemes, versioned by the date they take effect.
fn scorecard_schemes() -> Definition {
    let table = tenant_table("scorecard_schemes")
        .col(text("name", 200))
        .col(variant("applies_to"))
        .col(date("effective_from"))
        .col(decimal_text("cap"))
        .col(text("bonus_tiers", 2000))
        .col(instant("created_at"))
        .to_owned();
    let indexes = vec![unique(
        "scorecard_schemes",
        "version",
        &["organization_id", "applies_to", "effective_from"],
    )];
    (table, indexes)
}

fn scheme_items() -> Definition {
    let table = Table::create()
        .table("scheme_items")
        .col(uuid("organization_id"))
        .col(uuid("scheme_id"))
        .col(integer("position"))
        .col(text("kpi", 64))
        .col(integer("weight").check(Expr::col("weight").between(1, 100)))
        .primary_key(
            Index::create()
                .col("organization_id")
                .col("scheme_id")
                .col("position"),
        )
        .foreign_key(
            &mut references("scheme_items", "scheme_id", "scorecard_schemes")
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned(),
        )
        .to_owned();
    (
        table,
        vec![unique(
            "scheme_items",
            "kpi",
            &["organization_id", "scheme_id", "kpi"],
        )],
    )
}

/// A target for a subject, a KPI and a period. `subject_id` is the rep's or the team's
/// id, or the organization's own id for organization targets, so one unique key covers
/// all three kinds.
fn targets() -> Definition {
    let table = tenant_table("targets")
        .col(variant("subject_kind"))
        .col(uuid("subject_id"))
        .col(text("kpi", 64))
        .col(variant("period_kind"))
        .col(date("period_start"))
        .col(date("period_end"))
        .col(decimal_text("target"))
        .col(decimal_text_null("baseline"))
        .col(decimal_text_null("floor"))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .check(Expr::col("period_end").gt(Expr::col("period_start")))
        .to_owned();
    let indexes = vec![unique(
        "targets",
        "match",
        &[
            "organization_id",
            "subject_kind",
            "subject_id",
            "kpi",
            "period_kind",
            "period_start",
            "period_end",
        ],
    )];
    (table, indexes)
}

/// A manager's written review of a rep's scorecard for a period.
fn evaluations() -> Definition {
    let table = tenant_table("evaluations")
        .col(uuid("rep_id"))
        .col(uuid("author_id"))
        .col(variant("period_kind"))
        .col(date("period_start"))
        .col(date("period_end"))
        .col(text("strengths", 5000))
        .col(text("improvements", 5000))
        .col(text("miss_reasons", 5000))
        .col(text("actions", 5000))
        .col(instant("created_at"))
        .col(instant("updated_at"))
        .foreign_key(&mut references("evaluations", "rep_id", "users"))
        .foreign_key(&mut references("evaluations", "author_id", "users"))
        .to_owned();
    (
        table,
        vec![index(
            "evaluations",
            "rep_period",
            &["organization_id", "rep_id", "period_start"],
        )],
    )
}

/// Who changed what, when, through which client.
fn audit_log() -> Definition {
    let table = tenant_table("audit_log")
        .col(variant("actor_kind"))
        .col(uuid_null("actor_id"))
        .col(variant("action"))
        .col(text("entity", 64))
        .col(uuid_null("entity_id"))
        .col(ColumnDef::new("changes").text().not_null())
        .col(text_null("request_id", 64))
        .col(instant("at"))
        .to_owned();
    (
        table,
        vec![index("audit_log", "at", &["organization_id", "at"])],
    )
}

/// The ids an import's file gave its records, so they can be found again.
fn import_ids() -> Definition {
    let table = Table::create()
        .table("import_ids")
        .col(uuid("organization_id"))
        .col(uuid("source_id"))
        .col(text("entity", 64))
        .col(text("external_id", 200))
        .col(uuid("record_id"))
        .primary_key(
            Index::create()
                .col("organization_id")
                .col("source_id")
                .col("entity")
                .col("external_id"),
        )
        .foreign_key(
            &mut references("import_ids", "source_id", "sources")
                .on_delete(ForeignKeyAction::Cascade)
                .to_owned(),
        )
        .to_owned();
    (table, vec![])
}
