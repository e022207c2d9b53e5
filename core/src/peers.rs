//! Many reps at once: who is in which team at the end of a period, and every rep's facts
//! and scorecard computed with a constant number of statements whatever their number.

use std::collections::HashMap;

use attain_entity::enums::{AppliesTo, SubjectKind};
use attain_entity::user;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Statement};
use uuid::Uuid;

use crate::error::CoreResult;
use crate::kpi::scope::{Scope, Sql};
use crate::kpi::{self, Facts, KpiKey};
use crate::organization::Settings;
use crate::period::{Period, Window};
use crate::scorecard::{self, Scheme, Scorecard};

/// The reps (role `REP`) in a team at the end of the window, with that team.
pub async fn teams_at_end<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    window: &Window,
) -> CoreResult<HashMap<Uuid, Uuid>> {
    members_at_end(db, settings, window, None).await
}

/// The reps in a team at the end of the window, with that team, limited to some teams
/// when `teams` is given.
pub async fn members_at_end<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    window: &Window,
    teams: Option<&[Uuid]>,
) -> CoreResult<HashMap<Uuid, Uuid>> {
    let mut sql = Sql::default();
    let mut text = format!(
        "SELECT m.user_id, m.team_id FROM team_memberships m JOIN users u \
         ON u.organization_id = m.organization_id AND u.id = m.user_id \
         WHERE m.organization_id = {} AND u.role = 'REP' AND m.valid_from < {end} \
         AND (m.valid_to IS NULL OR m.valid_to >= {end})",
        sql.param(settings.id),
        end = sql.param(window.end_micros()),
    );
    if let Some(teams) = teams {
        if teams.is_empty() {
            return Ok(HashMap::new());
        }
        let list: Vec<String> = teams.iter().map(|team| sql.param(*team)).collect();
        text = format!("{text} AND m.team_id IN ({})", list.join(", "));
    }
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            text,
            sql.values,
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<Uuid>("", "user_id")?,
                row.try_get::<Uuid>("", "team_id")?,
            ))
        })
        .collect()
}

/// The display names of some users.
pub async fn display_names<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
    users: &[Uuid],
) -> CoreResult<HashMap<Uuid, String>> {
    let mut names = HashMap::new();
    for chunk in users.chunks(5_000) {
        let rows: Vec<(Uuid, String)> = user::Entity::find()
            .select_only()
            .columns([user::Column::Id, user::Column::DisplayName])
            .filter(user::Column::OrganizationId.eq(organization_id))
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        names.extend(rows);
    }
    Ok(names)
}

/// One rep's figures: what the database counted, and the scorecard when a scheme is in
/// force.
#[derive(Clone, Debug, Default)]
pub struct RepFigures {
    pub facts: Facts,
    pub scorecard: Option<Scorecard>,
}

/// The rep scheme in force for a period.
pub async fn rep_scheme<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    period: &Period,
) -> CoreResult<Option<Scheme>> {
    scorecard::scheme_in_force(db, settings.id, AppliesTo::Rep, period.start).await
}

/// The figures of every rep in `reps`: the KPIs `keys` and those of the scheme, and each
/// rep's scorecard under it.
pub async fn rep_figures<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    reps: &[Uuid],
    period: &Period,
    as_of: DateTime<Utc>,
    keys: &[KpiKey],
    scheme: Option<&Scheme>,
) -> CoreResult<HashMap<Uuid, RepFigures>> {
    let mut wanted: Vec<KpiKey> = keys.to_vec();
    for (kpi, _) in scheme.iter().flat_map(|scheme| scheme.items.iter()) {
        if !wanted.contains(kpi) {
            wanted.push(*kpi);
        }
    }
    let mut facts = kpi::evaluate(
        db,
        settings,
        &Scope::Reps(reps.to_vec()),
        period,
        as_of,
        &wanted,
    )
    .await?;
    let targets = match scheme {
        Some(_) => scorecard::targets(db, settings.id, SubjectKind::Rep, reps, period).await?,
        None => HashMap::new(),
    };
    Ok(reps
        .iter()
        .map(|rep| {
            let facts = facts.remove(rep).unwrap_or_default();
            let scorecard = scheme.map(|scheme| {
                scorecard::score(
                    scheme,
                    |kpi| facts.value(kpi, settings.currency),
                    |kpi| targets.get(&(*rep, kpi)).cloned(),
                )
            });
            (*rep, RepFigures { facts, scorecard })
        })
        .collect())
}
