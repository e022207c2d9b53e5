//! Turning the records of a data set into rows: every rule a record must keep is checked
//! here, and a broken one names its path (`deals[17].closed_at`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::str::FromStr;

use attain_entity::enums::{DealStage, Role, SubjectKind};
use attain_entity::{
    activity, customer, deal, expense, invoice, lead, market_size, payment, rating, scheme_item,
    scorecard_scheme, survey_response, target, team, team_manager, team_membership, user,
};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ActiveValue, ConnectionTrait, IntoActiveModel};
use uuid::Uuid;

use super::dataset::*;
use super::{Importer, insert_rows};
use crate::error::{CoreError, CoreResult};
use crate::identity::normalize_email;
use crate::kpi::KpiKey;
use crate::money::Currency;
use crate::rules::{self, NAME_LIMIT, NOTES_LIMIT, long_text};
use crate::time::to_micros;

/// Checks the organization's settings; answers its time zone and currency.
pub fn organization(record: &OrganizationRecord) -> CoreResult<(Tz, Currency)> {
    let field = |name: &str| format!("organization.{name}");
    rules::text(&record.name, NAME_LIMIT, &field("name"))?;
    let timezone = Tz::from_str(&record.timezone)
        .map_err(|_| CoreError::bad_input(field("timezone"), "not an IANA time zone"))?;
    let currency = Currency::parse(&record.currency)
        .ok_or_else(|| CoreError::bad_input(field("currency"), "not an ISO 4217 code"))?;
    if !(1..=12).contains(&record.fiscal_year_start_month) {
        return Err(CoreError::bad_input(
            field("fiscal_year_start_month"),
            "must be 1 to 12",
        ));
    }
    if !(1..=3650).contains(&record.active_customer_window_days) {
        return Err(CoreError::bad_input(
            field("active_customer_window_days"),
            "must be 1 to 3650",
        ));
    }
    rules::score(
        record.satisfaction_pass_score,
        &field("satisfaction_pass_score"),
    )?;
    for (stage, probability) in record.stage_probabilities.iter().flatten() {
        let at = field(&format!("stage_probabilities.{}", stage.as_str()));
        if matches!(stage, DealStage::Won | DealStage::Lost) {
            return Err(CoreError::bad_input(
                at,
                "only open stages have a probability",
            ));
        }
        if *probability < Decimal::ZERO || *probability > Decimal::ONE {
            return Err(CoreError::bad_input(at, "must be between 0 and 1"));
        }
    }
    Ok((timezone, currency))
}

/// The rows one chunk becomes, in the order foreign keys need.
#[derive(Default)]
pub struct Rows {
    users: Vec<user::ActiveModel>,
    teams: Vec<team::ActiveModel>,
    team_managers: Vec<team_manager::ActiveModel>,
    memberships: Vec<team_membership::ActiveModel>,
    customers: Vec<customer::ActiveModel>,
    leads: Vec<lead::ActiveModel>,
    deals: Vec<deal::ActiveModel>,
    activities: Vec<activity::ActiveModel>,
    invoices: Vec<invoice::ActiveModel>,
    payments: Vec<payment::ActiveModel>,
    survey_responses: Vec<survey_response::ActiveModel>,
    expenses: Vec<expense::ActiveModel>,
    market_sizes: Vec<market_size::ActiveModel>,
    ratings: Vec<rating::ActiveModel>,
    schemes: Vec<scorecard_scheme::ActiveModel>,
    scheme_items: Vec<scheme_item::ActiveModel>,
    targets: Vec<target::ActiveModel>,
}

fn row<M: IntoActiveModel<A>, A: ActiveModelTrait>(model: M) -> A {
    model.into_active_model().reset_all()
}

/// Resolves references and checks values against the importer's organization.
struct Check<'a> {
    importer: &'a Importer,
    array: &'static str,
    index: usize,
}

impl Check<'_> {
    fn field(&self, name: &str) -> String {
        format!("{}[{}].{}", self.array, self.index, name)
    }

    fn fail<T>(&self, name: &str, message: impl std::fmt::Display) -> CoreResult<T> {
        Err(CoreError::bad_input(self.field(name), message))
    }

    fn own_id(&self, file_id: &str) -> Uuid {
        self.importer
            .stored_id(self.array, file_id)
            .unwrap_or_default()
    }

    fn reference(&self, name: &str, array: &'static str, file_id: &str) -> CoreResult<Uuid> {
        match self.importer.stored_id(array, file_id) {
            Some(id) => Ok(id),
            None => self.fail(name, format!("no record {file_id:?} in {array}")),
        }
    }

    fn optional(
        &self,
        name: &str,
        array: &'static str,
        file_id: Option<&str>,
    ) -> CoreResult<Option<Uuid>> {
        file_id
            .map(|id| self.reference(name, array, id))
            .transpose()
    }

    fn money(&self, name: &str, amount: Decimal) -> CoreResult<i64> {
        self.importer.currency.to_minor(amount, &self.field(name))
    }

    /// An event instant: refused when more than a day in the future.
    fn instant(&self, name: &str, instant: DateTime<Utc>) -> CoreResult<i64> {
        rules::event_instant(instant, self.importer.now, &self.field(name))
    }

    fn text(&self, name: &str, value: &str, limit: usize) -> CoreResult<String> {
        rules::text(value, limit, &self.field(name))
    }

    fn score(&self, name: &str, value: i32) -> CoreResult<i32> {
        rules::score(value, &self.field(name))?;
        Ok(value)
    }
}

impl Rows {
    /// Checks every record of the chunk and builds its rows.
    pub fn build(importer: &Importer, chunk: &Dataset) -> CoreResult<Rows> {
        let mut rows = Rows::default();
        let org = importer.organization_id;
        let now = to_micros(importer.now);
        let check = |array, index| Check {
            importer,
            array,
            index,
        };

        let mut emails = HashSet::new();
        for (index, record) in chunk.users.iter().enumerate() {
            let c = check("users", index);
            let email = normalize_email(&record.email);
            if !email.contains('@') || email.len() > 254 {
                return c.fail("email", "not an email address");
            }
            if !emails.insert(email.clone()) {
                return c.fail("email", "duplicate email");
            }
            if let Some(external_id) = &record.external_id {
                long_text(external_id, NAME_LIMIT, &c.field("external_id"))?;
            }
            rows.users.push(row(user::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                email,
                display_name: c.text("name", &record.name, NAME_LIMIT)?,
                role: record.role,
                active: record.active,
                password_hash: None,
                external_id: record.external_id.clone(),
                created_at: now,
                updated_at: now,
            }));
        }

        for index in team_order(chunk)? {
            let record = &chunk.teams[index];
            let c = check("teams", index);
            let id = c.own_id(&record.id);
            rows.teams.push(row(team::Model {
                organization_id: org,
                id,
                name: c.text("name", &record.name, NAME_LIMIT)?,
                parent_id: c.optional("parent_id", "teams", record.parent_id.as_deref())?,
                created_at: now,
            }));
            let mut managers = HashSet::new();
            for manager in &record.manager_ids {
                let user_id = c.reference("manager_ids", "users", manager)?;
                if managers.insert(user_id) {
                    rows.team_managers.push(row(team_manager::Model {
                        organization_id: org,
                        team_id: id,
                        user_id,
                    }));
                }
            }
        }

        let mut spans: HashMap<Uuid, Vec<(i64, Option<i64>, usize)>> = HashMap::new();
        for (index, record) in chunk.memberships.iter().enumerate() {
            let c = check("memberships", index);
            let user_id = c.reference("user_id", "users", &record.user_id)?;
            let valid_from = to_micros(record.valid_from);
            let valid_to = record.valid_to.map(to_micros);
            if valid_to.is_some_and(|to| to <= valid_from) {
                return c.fail("valid_to", "must be after valid_from");
            }
            spans
                .entry(user_id)
                .or_default()
                .push((valid_from, valid_to, index));
            rows.memberships.push(row(team_membership::Model {
                organization_id: org,
                id: Uuid::now_v7(),
                user_id,
                team_id: c.reference("team_id", "teams", &record.team_id)?,
                valid_from,
                valid_to,
            }));
        }
        for spans in spans.values_mut() {
            spans.sort();
            for pair in spans.windows(2) {
                let (_, earlier_end, _) = pair[0];
                let (later_start, _, later_index) = pair[1];
                if earlier_end.is_none_or(|end| end > later_start) {
                    return check("memberships", later_index)
                        .fail("valid_from", "overlaps another membership of the same user");
                }
            }
        }

        for (index, record) in chunk.customers.iter().enumerate() {
            let c = check("customers", index);
            rows.customers.push(row(customer::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                name: c.text("name", &record.name, NAME_LIMIT)?,
                segment: record.segment,
                owner_id: c.reference("owner_id", "users", &record.owner_id)?,
                created_at: c.instant("created_at", record.created_at)?,
                updated_at: now,
                source_id: Some(importer.source_id),
                external_id: Some(record.id.clone()),
                source_updated_at: None,
            }));
        }

        for (index, record) in chunk.leads.iter().enumerate() {
            let c = check("leads", index);
            let created_at = c.instant("created_at", record.created_at)?;
            let converted_at = record
                .converted_at
                .map(|at| c.instant("converted_at", at))
                .transpose()?;
            if converted_at.is_some_and(|at| at < created_at) {
                return c.fail("converted_at", "must not be before created_at");
            }
            rows.leads.push(row(lead::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                owner_id: c.reference("owner_id", "users", &record.owner_id)?,
                lead_source: record.source,
                status: record.status,
                created_at,
                converted_at,
                customer_id: c.optional(
                    "customer_id",
                    "customers",
                    record.customer_id.as_deref(),
                )?,
                updated_at: now,
                source_id: Some(importer.source_id),
                external_id: Some(record.id.clone()),
                source_updated_at: None,
            }));
        }

        for (index, record) in chunk.deals.iter().enumerate() {
            let c = check("deals", index);
            let created_at = c.instant("created_at", record.created_at)?;
            let closed_at = record
                .closed_at
                .map(|at| c.instant("closed_at", at))
                .transpose()?;
            rules::deal_closing(record.stage, record.status, created_at, closed_at, |name| {
                c.field(name)
            })?;
            let proposal_sent_at = record
                .proposal_sent_at
                .map(|at| c.instant("proposal_sent_at", at))
                .transpose()?;
            rows.deals.push(row(deal::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                owner_id: c.reference("owner_id", "users", &record.owner_id)?,
                customer_id: c.reference("customer_id", "customers", &record.customer_id)?,
                lead_id: c.optional("lead_id", "leads", record.lead_id.as_deref())?,
                name: c.text("name", &record.name, NAME_LIMIT)?,
                amount_minor: c.money("amount", record.amount)?,
                cost_minor: record.cost.map(|cost| c.money("cost", cost)).transpose()?,
                stage: record.stage,
                status: record.status,
                created_at,
                expected_close_on: record.expected_close_on,
                proposal_sent_at,
                proposal_co_created: record.proposal_co_created,
                closed_at,
                next_won_at: None,
                updated_at: now,
                source_id: Some(importer.source_id),
                external_id: Some(record.id.clone()),
                source_updated_at: None,
            }));
        }

        let mut client_refs = HashSet::new();
        for (index, record) in chunk.activities.iter().enumerate() {
            let c = check("activities", index);
            let rep_id = c.reference("rep_id", "users", &record.rep_id)?;
            if !client_refs.insert((rep_id, record.client_ref)) {
                return c.fail("client_ref", "duplicate client_ref for this rep");
            }
            if record.duration_minutes < 0 {
                return c.fail("duration_minutes", "must not be negative");
            }
            long_text(&record.notes, NOTES_LIMIT, &c.field("notes"))?;
            rows.activities.push(row(activity::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                rep_id,
                kind: record.kind,
                occurred_at: c.instant("occurred_at", record.occurred_at)?,
                customer_id: c.optional(
                    "customer_id",
                    "customers",
                    record.customer_id.as_deref(),
                )?,
                deal_id: c.optional("deal_id", "deals", record.deal_id.as_deref())?,
                quality: record.quality,
                duration_minutes: record.duration_minutes,
                notes: record.notes.clone(),
                client_ref: record.client_ref,
                original_digest: None,
                created_at: now,
                updated_at: now,
                deleted_at: None,
            }));
        }

        for (index, record) in chunk.invoices.iter().enumerate() {
            let c = check("invoices", index);
            rows.invoices.push(row(invoice::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                deal_id: c.optional("deal_id", "deals", record.deal_id.as_deref())?,
                customer_id: c.reference("customer_id", "customers", &record.customer_id)?,
                owner_id: c.reference("owner_id", "users", &record.owner_id)?,
                amount_minor: c.money("amount", record.amount)?,
                due_on: record.due_on,
                updated_at: now,
                source_id: Some(importer.source_id),
                external_id: Some(record.id.clone()),
                source_updated_at: None,
            }));
        }

        for (index, record) in chunk.payments.iter().enumerate() {
            let c = check("payments", index);
            rows.payments.push(row(payment::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                invoice_id: c.reference("invoice_id", "invoices", &record.invoice_id)?,
                amount_minor: c.money("amount", record.amount)?,
                received_on: record.received_on,
                updated_at: now,
                source_id: Some(importer.source_id),
                external_id: Some(record.id.clone()),
                source_updated_at: None,
            }));
        }

        for (index, record) in chunk.survey_responses.iter().enumerate() {
            let c = check("survey_responses", index);
            rows.survey_responses.push(row(survey_response::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                customer_id: c.reference("customer_id", "customers", &record.customer_id)?,
                rep_id: c.reference("rep_id", "users", &record.rep_id)?,
                score: c.score("score", record.score)?,
                responded_at: c.instant("responded_at", record.responded_at)?,
            }));
        }

        for (index, record) in chunk.expenses.iter().enumerate() {
            let c = check("expenses", index);
            if record.rep_id.is_some() && record.team_id.is_some() {
                return c.fail(
                    "team_id",
                    "an expense is attributed to a rep or a team, not both",
                );
            }
            rows.expenses.push(row(expense::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                amount_minor: c.money("amount", record.amount)?,
                incurred_on: record.incurred_on,
                category: record.category,
                rep_id: c.optional("rep_id", "users", record.rep_id.as_deref())?,
                team_id: c.optional("team_id", "teams", record.team_id.as_deref())?,
            }));
        }

        let mut market_keys = HashSet::new();
        for (index, record) in chunk.market_sizes.iter().enumerate() {
            let c = check("market_sizes", index);
            if record.to < record.from {
                return c.fail("to", "must not be before from");
            }
            let team_id = c.optional("team_id", "teams", record.team_id.as_deref())?;
            if !market_keys.insert((team_id, record.from, record.to)) {
                return c.fail(
                    "from",
                    "a market size for this scope and range exists already",
                );
            }
            rows.market_sizes.push(row(market_size::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                team_id,
                starts_on: record.from,
                ends_on: record.to,
                amount_minor: c.money("amount", record.amount)?,
            }));
        }

        for (index, record) in chunk.ratings.iter().enumerate() {
            let c = check("ratings", index);
            rows.ratings.push(row(rating::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                rep_id: c.reference("rep_id", "users", &record.rep_id)?,
                rater_id: c.reference("rater_id", "users", &record.rater_id)?,
                category: record.category,
                score: c.score("score", record.score)?,
                rated_on: record.rated_on,
            }));
        }

        let mut versions = HashSet::new();
        for (index, record) in chunk.schemes.iter().enumerate() {
            let c = check("schemes", index);
            if !versions.insert((record.applies_to, record.effective_from)) {
                return c.fail(
                    "effective_from",
                    "a scheme of this kind takes effect on this date already",
                );
            }
            check_scheme(&c, record)?;
            let id = c.own_id(&record.id);
            rows.schemes.push(row(scorecard_scheme::Model {
                organization_id: org,
                id,
                name: c.text("name", &record.name, NAME_LIMIT)?,
                applies_to: record.applies_to,
                effective_from: record.effective_from,
                cap: record.cap.to_string(),
                bonus_tiers: bonus_tiers_json(&record.bonus_tiers),
                created_at: now,
            }));
            for (position, item) in record.items.iter().enumerate() {
                rows.scheme_items.push(row(scheme_item::Model {
                    organization_id: org,
                    scheme_id: id,
                    position: position as i32,
                    kpi: item.kpi.as_str().to_owned(),
                    weight: item.weight,
                }));
            }
        }

        let mut target_keys = HashSet::new();
        for (index, record) in chunk.targets.iter().enumerate() {
            let c = check("targets", index);
            let subject_id = match (record.subject_kind, record.subject_id.as_deref()) {
                (SubjectKind::Org, None) => org,
                (SubjectKind::Org, Some(_)) => {
                    return c.fail("subject_id", "must be empty for ORG");
                }
                (_, None) => return c.fail("subject_id", "required for REP and TEAM"),
                (SubjectKind::Rep, Some(id)) => c.reference("subject_id", "users", id)?,
                (SubjectKind::Team, Some(id)) => c.reference("subject_id", "teams", id)?,
            };
            if record.period.end <= record.period.start {
                return c.fail("period.end", "must be after period.start");
            }
            check_target_order(&c, record)?;
            let key = (
                record.subject_kind,
                subject_id,
                record.kpi,
                record.period.kind,
                record.period.start,
                record.period.end,
            );
            if !target_keys.insert(key) {
                return c.fail(
                    "period",
                    "a target for this subject, KPI and period exists already",
                );
            }
            rows.targets.push(row(target::Model {
                organization_id: org,
                id: c.own_id(&record.id),
                subject_kind: record.subject_kind,
                subject_id,
                kpi: record.kpi.as_str().to_owned(),
                period_kind: record.period.kind,
                period_start: record.period.start,
                period_end: record.period.end,
                target: record.target.to_string(),
                baseline: record.baseline.map(|d| d.to_string()),
                floor: record.floor.map(|d| d.to_string()),
                created_at: now,
                updated_at: now,
            }));
        }
        check_roles(chunk)?;
        Ok(rows)
    }

    /// The customers the chunk's deals belong to, each once.
    pub fn deal_customers(&self) -> Vec<Uuid> {
        let customers: BTreeSet<Uuid> = self
            .deals
            .iter()
            .filter_map(|deal| match &deal.customer_id {
                ActiveValue::Set(customer) | ActiveValue::Unchanged(customer) => Some(*customer),
                ActiveValue::NotSet => None,
            })
            .collect();
        customers.into_iter().collect()
    }

    /// Stores the rows, parents before children.
    pub async fn insert<C: ConnectionTrait>(self, conn: &C) -> CoreResult<()> {
        insert_rows(conn, self.users).await?;
        insert_rows(conn, self.teams).await?;
        insert_rows(conn, self.team_managers).await?;
        insert_rows(conn, self.memberships).await?;
        insert_rows(conn, self.customers).await?;
        insert_rows(conn, self.leads).await?;
        insert_rows(conn, self.deals).await?;
        insert_rows(conn, self.activities).await?;
        insert_rows(conn, self.invoices).await?;
        insert_rows(conn, self.payments).await?;
        insert_rows(conn, self.survey_responses).await?;
        insert_rows(conn, self.expenses).await?;
        insert_rows(conn, self.market_sizes).await?;
        insert_rows(conn, self.ratings).await?;
        insert_rows(conn, self.schemes).await?;
        insert_rows(conn, self.scheme_items).await?;
        insert_rows(conn, self.targets).await
    }
}

fn check_scheme(c: &Check, record: &SchemeRecord) -> CoreResult<()> {
    let items: Vec<(KpiKey, i32)> = record
        .items
        .iter()
        .map(|item| (item.kpi, item.weight))
        .collect();
    let multipliers: Vec<Decimal> = record.bonus_tiers.iter().map(|t| t.multiplier).collect();
    match rules::scheme(record.cap, &items, &multipliers, "bonus_tiers") {
        Ok(()) => Ok(()),
        Err((field, message)) => c.fail(&field, message),
    }
}

/// floor ≤ baseline ≤ target for ↑ KPIs, the reverse for ↓ KPIs.
fn check_target_order(c: &Check, record: &TargetRecord) -> CoreResult<()> {
    match rules::target_order(record.kpi, record.target, record.baseline, record.floor) {
        Ok(()) => Ok(()),
        Err((field, message)) => c.fail(field, message),
    }
}

/// A team's managers must be managers or admins.
fn check_roles(chunk: &Dataset) -> CoreResult<()> {
    let roles: HashMap<&str, Role> = chunk
        .users
        .iter()
        .map(|u| (u.id.as_str(), u.role))
        .collect();
    for (index, record) in chunk.teams.iter().enumerate() {
        for manager in &record.manager_ids {
            if roles
                .get(manager.as_str())
                .is_some_and(|role| !matches!(role, Role::Manager | Role::Admin))
            {
                return Err(CoreError::bad_input(
                    format!("teams[{index}].manager_ids"),
                    format!("{manager:?} is neither a manager nor an admin"),
                ));
            }
        }
    }
    Ok(())
}

/// The teams in an order where every parent comes before its children; a cycle or an
/// unknown parent is refused.
fn team_order(chunk: &Dataset) -> CoreResult<Vec<usize>> {
    let position: HashMap<&str, usize> = chunk
        .teams
        .iter()
        .enumerate()
        .map(|(i, t)| (t.id.as_str(), i))
        .collect();
    let mut order = Vec::with_capacity(chunk.teams.len());
    let mut state = vec![0u8; chunk.teams.len()]; // 0 new, 1 visiting, 2 done
    for start in 0..chunk.teams.len() {
        let mut path = vec![start];
        while let Some(&current) = path.last() {
            if state[current] == 2 {
                path.pop();
                continue;
            }
            state[current] = 1;
            let parent = chunk.teams[current]
                .parent_id
                .as_deref()
                .and_then(|id| position.get(id).copied());
            match parent {
                Some(parent) if state[parent] == 1 => {
                    return Err(CoreError::bad_input(
                        format!("teams[{current}].parent_id"),
                        "the team tree has a cycle",
                    ));
                }
                Some(parent) if state[parent] == 0 => path.push(parent),
                _ => {
                    state[current] = 2;
                    order.push(current);
                    path.pop();
                }
            }
        }
    }
    Ok(order)
}

/// Bonus tiers as stored: a JSON array of `{min_score, multiplier}` decimal strings.
pub fn bonus_tiers_json(tiers: &[BonusTierRecord]) -> String {
    serde_json::to_string(tiers).unwrap_or_else(|_| "[]".to_owned())
}
