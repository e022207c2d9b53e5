//! Bulk import: a data set in the `attain-dataset/2` format becomes a new organization.
//!
//! [`import`] loads a whole file in one transaction: every record is checked first, and a
//! bad one aborts the import with its path and reason, leaving nothing behind. The
//! [`Importer`] underneath also serves the demo generator, which feeds it one chunk at a
//! time so that a tenant of millions of records streams in bounded memory.

pub mod dataset;
mod records;

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use attain_entity::enums::SourceKind;
use attain_entity::{import_id, organization, source};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseConnection, EntityTrait, IntoActiveModel,
    TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

pub use dataset::Dataset;
pub use records::bonus_tiers_json;

use crate::error::{CoreError, CoreResult};
use crate::money::Currency;
use crate::organization::{default_stage_probabilities, stage_probabilities_json};
use crate::tenancy;
use crate::time::to_micros;

/// Rows per INSERT statement: well under SQLite's and PostgreSQL's parameter limits.
const ROWS_PER_STATEMENT: usize = 500;

/// What an import created.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    pub organization_id: Uuid,
    /// The source the imported records name as theirs.
    pub source_id: Uuid,
    /// For each array of the file (and `organization`), the file's ids → stored ids.
    pub ids: BTreeMap<&'static str, BTreeMap<String, Uuid>>,
    /// The users' emails and roles, to log in with.
    pub logins: Vec<(String, String)>,
}

impl ImportReport {
    /// The stored id of a file id in one array.
    pub fn id(&self, array: &str, file_id: &str) -> Option<Uuid> {
        self.ids.get(array)?.get(file_id).copied()
    }
}

/// Imports a whole data set into a new organization, in one transaction, in the system
/// scope (it makes the organization), reusing plans as every write does.
pub async fn import(
    db: &DatabaseConnection,
    dataset: &Dataset,
    name: &str,
) -> CoreResult<ImportReport> {
    tenancy::as_system(tenancy::reusing_plans(import_new(db, dataset, name))).await
}

async fn import_new(
    db: &DatabaseConnection,
    dataset: &Dataset,
    name: &str,
) -> CoreResult<ImportReport> {
    if dataset.format != dataset::FORMAT {
        return Err(CoreError::bad_input(
            "format",
            format!("expected {:?}, found {:?}", dataset::FORMAT, dataset.format),
        ));
    }
    let transaction = db.begin().await?;
    let mut importer =
        Importer::create_organization(&transaction, dataset, name, Utc::now()).await?;
    importer.keep_ids = true;
    importer.load(&transaction, dataset).await?;
    importer.store_ids(&transaction).await?;
    let report = importer.report(dataset);
    transaction.commit().await?;
    crate::db::analyze(db).await?;
    Ok(report)
}

/// Checks and stores records into one organization, resolving the file's ids to stored
/// ids across chunks.
pub struct Importer {
    pub organization_id: Uuid,
    pub source_id: Uuid,
    pub timezone: Tz,
    pub currency: Currency,
    /// Instants later than a day after this are refused.
    pub now: DateTime<Utc>,
    /// Whether to remember every record's file id in `import_ids` (a demo does not).
    pub keep_ids: bool,
    ids: HashMap<(&'static str, String), Uuid>,
}

impl Importer {
    /// Creates the organization of `dataset` and the source its records will name.
    pub async fn create_organization<C: ConnectionTrait>(
        conn: &C,
        dataset: &Dataset,
        source_name: &str,
        now: DateTime<Utc>,
    ) -> CoreResult<Importer> {
        let settings = records::organization(&dataset.organization)?;
        let organization_id = Uuid::now_v7();
        let source_id = Uuid::now_v7();
        let record = &dataset.organization;
        let probabilities = match &record.stage_probabilities {
            Some(given) => given
                .iter()
                .map(|(stage, p)| (stage.as_str().to_owned(), *p))
                .collect(),
            None => default_stage_probabilities(),
        };
        organization::Model {
            id: organization_id,
            name: record.name.trim().to_owned(),
            external_id: Some(record.id.clone()),
            timezone: record.timezone.clone(),
            currency: record.currency.clone(),
            fiscal_year_start_month: record.fiscal_year_start_month,
            active_customer_window_days: record.active_customer_window_days,
            satisfaction_pass_score: record.satisfaction_pass_score,
            stage_probabilities: stage_probabilities_json(&probabilities),
            leaderboard_visibility: record.leaderboard_visibility,
            created_at: to_micros(now),
        }
        .into_active_model()
        .reset_all()
        .insert(conn)
        .await?;
        source::Model {
            organization_id,
            id: source_id,
            kind: SourceKind::Import,
            name: source_name.chars().take(200).collect(),
            secret_hash: None,
            active: true,
            created_at: to_micros(now),
            revoked_at: None,
        }
        .into_active_model()
        .reset_all()
        .insert(conn)
        .await?;
        let mut ids = HashMap::new();
        ids.insert(("organization", record.id.clone()), organization_id);
        Ok(Importer {
            organization_id,
            source_id,
            timezone: settings.0,
            currency: settings.1,
            now,
            keep_ids: false,
            ids,
        })
    }

    /// Checks every record of `chunk` and stores them. Records may refer to records of
    /// this chunk or of earlier ones.
    pub async fn load<C: ConnectionTrait>(&mut self, conn: &C, chunk: &Dataset) -> CoreResult<()> {
        self.assign_ids(chunk)?;
        let rows = records::Rows::build(self, chunk)?;
        let customers = rows.deal_customers();
        rows.insert(conn).await?;
        crate::won_chain::relink_customers(conn, self.organization_id, &customers).await
    }

    /// Drops the remembered ids of a chunk's records other than teams and users, once
    /// no later chunk will refer to them, so that memory stays bounded while streaming.
    pub fn forget_records(&mut self) {
        self.ids
            .retain(|(array, _), _| matches!(*array, "organization" | "teams" | "users"));
    }

    /// The stored id of a file id, if the file has it.
    pub fn stored_id(&self, array: &'static str, file_id: &str) -> Option<Uuid> {
        self.ids.get(&(array, file_id.to_owned())).copied()
    }

    fn assign_ids(&mut self, chunk: &Dataset) -> CoreResult<()> {
        let arrays: [(&'static str, Vec<&str>); 14] = [
            ("teams", chunk.teams.iter().map(|r| r.id.as_str()).collect()),
            ("users", chunk.users.iter().map(|r| r.id.as_str()).collect()),
            (
                "customers",
                chunk.customers.iter().map(|r| r.id.as_str()).collect(),
            ),
            ("leads", chunk.leads.iter().map(|r| r.id.as_str()).collect()),
            ("deals", chunk.deals.iter().map(|r| r.id.as_str()).collect()),
            (
                "activities",
                chunk.activities.iter().map(|r| r.id.as_str()).collect(),
            ),
            (
                "invoices",
                chunk.invoices.iter().map(|r| r.id.as_str()).collect(),
            ),
            (
                "payments",
                chunk.payments.iter().map(|r| r.id.as_str()).collect(),
            ),
            (
                "survey_responses",
                chunk
                    .survey_responses
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect(),
            ),
            (
                "expenses",
                chunk.expenses.iter().map(|r| r.id.as_str()).collect(),
            ),
            (
                "market_sizes",
                chunk.market_sizes.iter().map(|r| r.id.as_str()).collect(),
            ),
            (
                "ratings",
                chunk.ratings.iter().map(|r| r.id.as_str()).collect(),
            ),
            (
                "schemes",
                chunk.schemes.iter().map(|r| r.id.as_str()).collect(),
            ),
            (
                "targets",
                chunk.targets.iter().map(|r| r.id.as_str()).collect(),
            ),
        ];
        for (array, file_ids) in arrays {
            for (index, file_id) in file_ids.into_iter().enumerate() {
                let field = format!("{array}[{index}].id");
                if file_id.is_empty() || file_id.len() > 200 {
                    return Err(CoreError::bad_input(field, "must be 1 to 200 characters"));
                }
                if self
                    .ids
                    .insert((array, file_id.to_owned()), Uuid::now_v7())
                    .is_some()
                {
                    return Err(CoreError::bad_input(
                        field,
                        format!("duplicate id {file_id:?}"),
                    ));
                }
            }
        }
        Ok(())
    }

    async fn store_ids<C: ConnectionTrait>(&self, conn: &C) -> CoreResult<()> {
        let rows: Vec<import_id::ActiveModel> = self
            .ids
            .iter()
            .filter(|((array, _), _)| *array != "organization")
            .map(|((array, file_id), record_id)| {
                import_id::Model {
                    organization_id: self.organization_id,
                    source_id: self.source_id,
                    entity: (*array).to_owned(),
                    external_id: file_id.clone(),
                    record_id: *record_id,
                }
                .into_active_model()
                .reset_all()
            })
            .collect();
        insert_rows(conn, rows).await
    }

    fn report(&self, dataset: &Dataset) -> ImportReport {
        let mut ids: BTreeMap<&'static str, BTreeMap<String, Uuid>> = BTreeMap::new();
        for ((array, file_id), stored) in &self.ids {
            ids.entry(array)
                .or_default()
                .insert(file_id.clone(), *stored);
        }
        let logins = dataset
            .users
            .iter()
            .map(|user| {
                (
                    user.email.trim().to_lowercase(),
                    user.role.as_str().to_owned(),
                )
            })
            .collect();
        ImportReport {
            organization_id: self.organization_id,
            source_id: self.source_id,
            ids,
            logins,
        }
    }
}

/// Inserts rows in statements of [`ROWS_PER_STATEMENT`].
pub(crate) async fn insert_rows<C, A>(conn: &C, rows: Vec<A>) -> CoreResult<()>
where
    C: ConnectionTrait,
    A: ActiveModelTrait + Send,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<A> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        A::Entity::insert_many(batch)
            .exec_without_returning(conn)
            .await
            .context("storing imported records")?;
    }
    Ok(())
}
