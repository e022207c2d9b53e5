//! Subjects (a rep, a team, the organization) and the evaluation of KPIs for a scope of
//! them over a period as of an instant.

use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, Statement, Value};
use uuid::Uuid;

use super::catalog::KpiKey;
use super::facts::Facts;
use super::queries::{self, Inputs, Windows};
use super::scope::{Scope, Span};
use crate::error::{CoreError, CoreResult};
use crate::organization::Settings;
use crate::period::Period;

/// Whose figures: a rep's own records, a team's (its whole subtree, by membership at
/// event time), or the organization's (every record).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Rep(Uuid),
    Team(Uuid),
    Org,
}

impl Subject {
    /// The key its facts come back under.
    pub fn key(&self, organization_id: Uuid) -> Uuid {
        match self {
            Subject::Rep(id) | Subject::Team(id) => *id,
            Subject::Org => organization_id,
        }
    }
}

/// The windows of a period evaluated as of an instant.
pub fn windows(period: &Period, settings: &Settings, as_of: DateTime<Utc>) -> Windows {
    let tz = settings.timezone;
    Windows {
        current: period.window(tz, as_of),
        previous: period.comparison_window(&period.previous(), tz, as_of),
        year_ago: period.comparison_window(&period.year_ago(), tz, as_of),
    }
}

/// The facts of every subject of `scope` for `period` as of `as_of`, computing only what
/// `keys` need. Subjects with no records at all get empty facts.
pub async fn evaluate<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    scope: &Scope,
    period: &Period,
    as_of: DateTime<Utc>,
    keys: &[KpiKey],
) -> CoreResult<HashMap<Uuid, Facts>> {
    let windows = windows(period, settings, as_of);
    let context = Inputs {
        organization_id: settings.id,
        windows: &windows,
        active_customer_window_days: settings.active_customer_window_days,
        satisfaction_pass_score: settings.satisfaction_pass_score,
    };
    let mut facts = queries::facts(db, scope, &context, &queries::families(keys)).await?;
    let subjects: Vec<Uuid> = match scope {
        Scope::Reps(reps) => reps.clone(),
        Scope::Teams { subtrees, .. } => subtrees.iter().map(|(subject, _)| *subject).collect(),
        Scope::Org(organization) => vec![*organization],
    };
    // A large scope's statements answer every rep of the organization: keep the asked.
    let asked: HashSet<Uuid> = subjects.iter().copied().collect();
    facts.retain(|subject, _| asked.contains(subject));
    for subject in subjects {
        facts.entry(subject).or_insert_with(|| Facts {
            days: windows.current.days(),
            ..Facts::default()
        });
    }
    Ok(facts)
}

/// The scope of one subject.
pub async fn scope_of<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    subject: Subject,
) -> CoreResult<Scope> {
    match subject {
        Subject::Rep(rep) => Ok(Scope::Reps(vec![rep])),
        Subject::Team(team) => team_scope(db, settings, &[team]).await,
        Subject::Org => Ok(Scope::Org(settings.id)),
    }
}

/// The organization's team tree.
pub struct TeamTree {
    children: HashMap<Uuid, Vec<Uuid>>,
    known: BTreeSet<Uuid>,
}

impl TeamTree {
    /// Loads every team of the organization.
    pub async fn load<C: ConnectionTrait>(db: &C, organization_id: Uuid) -> CoreResult<TeamTree> {
        let rows = db
            .query_all_raw(Statement::from_sql_and_values(
                db.get_database_backend(),
                "SELECT id, parent_id FROM teams WHERE organization_id = $1",
                [Value::from(organization_id)],
            ))
            .await?;
        let mut tree = TeamTree {
            children: HashMap::new(),
            known: BTreeSet::new(),
        };
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            tree.known.insert(id);
            if let Some(parent) = row.try_get::<Option<Uuid>>("", "parent_id")? {
                tree.children.entry(parent).or_default().push(id);
            }
        }
        Ok(tree)
    }

    /// The team and every team below it, the team first; `NOT_FOUND` for an unknown team.
    pub fn subtree(&self, team: Uuid) -> CoreResult<Vec<Uuid>> {
        if !self.known.contains(&team) {
            return Err(CoreError::NotFound("team"));
        }
        let mut teams = Vec::new();
        let mut stack = vec![team];
        while let Some(current) = stack.pop() {
            teams.push(current);
            stack.extend(self.children.get(&current).into_iter().flatten().copied());
        }
        Ok(teams)
    }
}

/// The scope of a set of teams: each team's subtree, and every membership of a rep in it.
pub async fn team_scope<C: ConnectionTrait>(
    db: &C,
    settings: &Settings,
    teams: &[Uuid],
) -> CoreResult<Scope> {
    let backend = db.get_database_backend();
    let tree = TeamTree::load(db, settings.id).await?;
    let mut subtrees = Vec::new();
    for team in teams {
        for member in tree.subtree(*team)? {
            subtrees.push((*team, member));
        }
    }
    let teams_in_scope: BTreeSet<Uuid> = subtrees.iter().map(|(_, team)| *team).collect();
    let mut values = vec![Value::from(settings.id)];
    let placeholders: Vec<String> = teams_in_scope
        .iter()
        .map(|team| {
            values.push(Value::from(*team));
            format!("${}", values.len())
        })
        .collect();
    let sql = format!(
        "SELECT user_id, team_id, valid_from, valid_to FROM team_memberships \
         WHERE organization_id = $1 AND team_id IN ({})",
        placeholders.join(", ")
    );
    let members = db
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut by_team: HashMap<Uuid, Vec<(Uuid, i64, Option<i64>)>> = HashMap::new();
    for row in members {
        let team: Uuid = row.try_get("", "team_id")?;
        by_team.entry(team).or_default().push((
            row.try_get("", "user_id")?,
            row.try_get("", "valid_from")?,
            row.try_get("", "valid_to")?,
        ));
    }
    let spans = subtrees
        .iter()
        .flat_map(|(subject, team)| {
            by_team
                .get(team)
                .into_iter()
                .flatten()
                .map(|(user, from, to)| Span::new(*subject, *user, *from, *to, settings.timezone))
        })
        .collect();
    Ok(Scope::Teams { spans, subtrees })
}
