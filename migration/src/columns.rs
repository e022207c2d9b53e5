//! Column and key shapes shared by the migrations, so that each table reads as a list of
//! what it holds.
//!
//! Storage conventions: instants are `BIGINT` microseconds since the Unix epoch (UTC),
//! sortable and subtractable the same way on both backends; local dates are `DATE`
//! (`YYYY-MM-DD` text on SQLite, which sorts the same); money is `BIGINT` minor units of
//! the organization's currency, so SQL sums stay exact; decimals that are never summed
//! (targets, caps, multipliers) are canonical decimal text.

use sea_orm_migration::prelude::*;

pub fn uuid(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().not_null().to_owned()
}

pub fn uuid_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).uuid().null().to_owned()
}

pub fn text(name: &'static str, max: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(max).not_null().to_owned()
}

pub fn text_null(name: &'static str, max: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(max).null().to_owned()
}

/// An enumeration stored as its SCREAMING_CASE name.
pub fn variant(name: &'static str) -> ColumnDef {
    text(name, 32)
}

pub fn instant(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

pub fn instant_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).big_integer().null().to_owned()
}

pub fn date(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().not_null().to_owned()
}

pub fn date_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).date().null().to_owned()
}

pub fn integer(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).integer().not_null().to_owned()
}

pub fn boolean(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).boolean().not_null().to_owned()
}

/// Minor units of the organization's currency, never negative.
pub fn money(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .check(Expr::col(name).gte(0))
        .to_owned()
}

pub fn money_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .null()
        .check(Expr::col(name).gte(0))
        .to_owned()
}

/// A 1–5 score.
pub fn score(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .integer()
        .not_null()
        .check(Expr::col(name).between(1, 5))
        .to_owned()
}

/// A decimal kept exactly as canonical text.
pub fn decimal_text(name: &'static str) -> ColumnDef {
    text(name, 40)
}

pub fn decimal_text_null(name: &'static str) -> ColumnDef {
    text_null(name, 40)
}

/// A table keyed by `(organization_id, id)`, referencing its organization.
pub fn tenant_table(name: &'static str) -> TableCreateStatement {
    Table::create()
        .table(name)
        .col(uuid("organization_id"))
        .col(uuid("id"))
        .primary_key(Index::create().col("organization_id").col("id"))
        .foreign_key(
            ForeignKey::create()
                .from(name, "organization_id")
                .to("organizations", "id")
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}

/// A tenant-scoped foreign key: `(organization_id, column)` → `(organization_id, id)`.
pub fn references(
    from: &'static str,
    column: &'static str,
    to: &'static str,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, ("organization_id", column))
        .to(to, ("organization_id", "id"))
        .to_owned()
}

/// The columns every record a partner can push carries: where it came from, its id
/// there, and when the source last changed it.
pub fn sourced(table: &mut TableCreateStatement, name: &'static str) {
    table
        .col(uuid_null("source_id"))
        .col(text_null("external_id", 200))
        .col(instant_null("source_updated_at"))
        .foreign_key(&mut references(name, "source_id", "sources"));
}

/// The key a source's upserts go by: one row per (source, external id).
pub fn source_key(name: &'static str) -> IndexCreateStatement {
    unique(
        name,
        "source_external",
        &["organization_id", "source_id", "external_id"],
    )
}

pub fn index(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut index = Index::create();
    index.name(format!("ix_{table}_{name}")).table(table);
    for column in columns {
        index.col(*column);
    }
    index
}

pub fn unique(table: &'static str, name: &str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut statement = index(table, name, columns);
    statement.name(format!("ux_{table}_{name}")).unique();
    statement
}
