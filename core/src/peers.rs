//! Many reps at once: who is in which team at the end of a period, and every rep's facts
//! and scorecard computed with a constant number of statements whatever their number.

use std::collections::HashMap;

use attain_entity::enums::{AppliesTo, SubjectKind};
use attain_entity::user;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement, Value};
use uuid::Uuid;

use crate::error::CoreResult;
use crate::kpi::scope::Scope;
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
    let rows = db
        .query_all_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT m.user_id, m.team_id FROM team_memberships m JOIN users u \
             ON u.organization_id = m.organization_id AND u.id = m.user_id \
             WHERE m.organization_id = $1 AND u.role = 'REP' AND m.valid_from < $2 \
             AND (m.valid_to IS NULL OR m.valid_to >= $2)",
            [Value::from(settings.id), Value::from(window.end_micros())],
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
        let rows = user::Entity::find()
            .filter(user::Column::OrganizationId.eq(organization_id))
            .filter(user::Column::Id.is_in(chunk.iter().copied()))
            .all(db)
            .await?;
        names.extend(rows.into_iter().map(|row| (row.id, row.display_name)));
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
