//! KPI tables for BI: one row per rep or team the caller may see, with the chosen KPIs
//! and the composite, computed with the same grouped statements as the scorecards — a
//! constant number whatever the number of rows.

use attain_entity::enums::{AppliesTo, SubjectKind};
use attain_entity::{team, user};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, QueryTrait,
};
use uuid::Uuid;

use crate::access::{Operation, Principal, Scope};
use crate::error::{CoreError, CoreResult};
use crate::figures::current_team;
use crate::kpi::{self, KpiKey};
use crate::organization::Settings;
use crate::peers::{members_at_end, rep_figures, rep_scheme};
use crate::period::{Period, Window};
use crate::scorecard::{self, Scorecard};

/// Whose rows a table has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableKind {
    Rep,
    Team,
}

/// One rep's or team's figures.
#[derive(Clone, Debug)]
pub struct TableRow {
    pub subject_id: Uuid,
    pub name: String,
    /// A rep's team at the end of the period, or a team's parent.
    pub team_id: Option<Uuid>,
    /// Exact values, in the order asked.
    pub values: Vec<(KpiKey, Option<Decimal>)>,
    /// Under the scheme in force for reps or for teams; none without one.
    pub scorecard: Option<Scorecard>,
}

/// The table of every rep or team the caller may see, by name.
pub async fn kpi_table(
    db: &DatabaseConnection,
    principal: &Principal,
    kind: TableKind,
    period: &str,
    keys: &[KpiKey],
    as_of: DateTime<Utc>,
) -> CoreResult<(Window, Vec<TableRow>)> {
    let settings = Settings::load(db, principal.organization_id).await?;
    let period = &Period::parse(period, settings.fiscal_year_start_month)?;
    let window = kpi::windows(period, &settings, as_of).current;
    let mut rows = match kind {
        TableKind::Rep => rep_rows(db, principal, &settings, period, &window, keys, as_of).await?,
        TableKind::Team => team_rows(db, principal, &settings, period, keys, as_of).await?,
    };
    rows.sort_by(|a, b| (&a.name, a.subject_id).cmp(&(&b.name, b.subject_id)));
    Ok((window, rows))
}

async fn rep_rows(
    db: &DatabaseConnection,
    principal: &Principal,
    settings: &Settings,
    period: &Period,
    window: &Window,
    keys: &[KpiKey],
    as_of: DateTime<Utc>,
) -> CoreResult<Vec<TableRow>> {
    let mut query = user::Entity::find()
        .select_only()
        .columns([user::Column::Id, user::Column::DisplayName])
        .filter(user::Column::OrganizationId.eq(principal.organization_id))
        .filter(user::Column::Role.eq(attain_entity::enums::Role::Rep));
    query = match principal.scope(Operation::ReadRepFigures) {
        Scope::All { .. } => query,
        // A manager's rows: the reps ever in a team of the subtree, as for one rep.
        Scope::Subtree { teams, .. } => {
            let members = attain_entity::team_membership::Entity::find()
                .select_only()
                .column(attain_entity::team_membership::Column::UserId)
                .filter(
                    attain_entity::team_membership::Column::OrganizationId
                        .eq(principal.organization_id),
                )
                .filter(attain_entity::team_membership::Column::TeamId.is_in(teams))
                .into_query();
            query.filter(Condition::all().add(user::Column::Id.in_subquery(members)))
        }
        Scope::Own { user_id } => query.filter(user::Column::Id.eq(user_id)),
        Scope::OwnTeam { .. } | Scope::Pushed { .. } | Scope::Nothing => {
            return Err(CoreError::Forbidden);
        }
    };
    let people: Vec<(Uuid, String)> = query.into_tuple().all(db).await?;
    let reps: Vec<Uuid> = people.iter().map(|(id, _)| *id).collect();
    let team_of = members_at_end(db, settings, window, None).await?;
    let scheme = rep_scheme(db, settings, period).await?;
    let mut figures =
        rep_figures(db, settings, &reps, period, as_of, keys, scheme.as_ref()).await?;
    Ok(people
        .into_iter()
        .map(|(id, name)| {
            let figures = figures.remove(&id).unwrap_or_default();
            TableRow {
                subject_id: id,
                name,
                team_id: team_of.get(&id).copied(),
                values: keys
                    .iter()
                    .map(|key| (*key, figures.facts.value(*key, settings.currency)))
                    .collect(),
                scorecard: figures.scorecard,
            }
        })
        .collect())
}

async fn team_rows(
    db: &DatabaseConnection,
    principal: &Principal,
    settings: &Settings,
    period: &Period,
    keys: &[KpiKey],
    as_of: DateTime<Utc>,
) -> CoreResult<Vec<TableRow>> {
    let all: Vec<team::Model> = team::Entity::find()
        .filter(team::Column::OrganizationId.eq(principal.organization_id))
        .all(db)
        .await?;
    let visible: Vec<team::Model> = match principal.scope(Operation::ReadTeamFigures) {
        Scope::All { .. } => all,
        Scope::Subtree { teams, .. } => all
            .into_iter()
            .filter(|team| teams.contains(&team.id))
            .collect(),
        Scope::OwnTeam { user_id } => {
            let own = current_team(db, principal.organization_id, user_id).await?;
            all.into_iter()
                .filter(|team| Some(team.id) == own)
                .collect()
        }
        Scope::Own { .. } | Scope::Pushed { .. } | Scope::Nothing => {
            return Err(CoreError::Forbidden);
        }
    };
    let ids: Vec<Uuid> = visible.iter().map(|team| team.id).collect();
    let scheme = scorecard::scheme_in_force(db, settings.id, AppliesTo::Team, period.start).await?;
    let mut wanted: Vec<KpiKey> = keys.to_vec();
    for (kpi, _) in scheme.iter().flat_map(|scheme| scheme.items.iter()) {
        if !wanted.contains(kpi) {
            wanted.push(*kpi);
        }
    }
    let scope = kpi::team_scope(db, settings, &ids).await?;
    let mut facts = kpi::evaluate(db, settings, &scope, period, as_of, &wanted).await?;
    let targets = match scheme {
        Some(_) => scorecard::targets(db, settings.id, SubjectKind::Team, &ids, period).await?,
        None => Default::default(),
    };
    Ok(visible
        .into_iter()
        .map(|team| {
            let facts = facts.remove(&team.id).unwrap_or_default();
            let scorecard = scheme.as_ref().map(|scheme| {
                scorecard::score(
                    scheme,
                    |kpi| facts.value(kpi, settings.currency),
                    |kpi| targets.get(&(team.id, kpi)).cloned(),
                )
            });
            TableRow {
                subject_id: team.id,
                name: team.name,
                team_id: team.parent_id,
                values: keys
                    .iter()
                    .map(|key| (*key, facts.value(*key, settings.currency)))
                    .collect(),
                scorecard,
            }
        })
        .collect())
}
