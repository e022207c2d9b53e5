//! The figures a caller asks for — KPI values, scorecards, peer comparison — for a rep, a
//! team or the organization over a period as of an instant. Access is checked first,
//! then the database aggregates, then the pure formulas apply.

use attain_entity::enums::{AppliesTo, LeaderboardVisibility, SubjectKind};
use attain_entity::{team, user};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{ConnectionTrait, DatabaseConnection, EntityTrait, Statement, Value};
use uuid::Uuid;

use crate::access::{Decision, Operation, Principal, Relation, Role};
use crate::error::{CoreError, CoreResult};
use crate::kpi::{self, Direction, Facts, KpiKey, Subject, TeamTree};
use crate::organization::Settings;
use crate::peers::{
    RepFigures, display_names, members_at_end, rep_figures, rep_scheme, teams_at_end,
};
use crate::people::relation;
use crate::period::{Period, Window};
use crate::scorecard::{self, Scorecard, Standing};

/// KPI values of one subject for one period.
#[derive(Clone, Debug)]
pub struct KpiReport {
    pub subject: Subject,
    pub window: Window,
    /// Exact, unrounded values in the order asked; `None` is null.
    pub values: Vec<(KpiKey, Option<Decimal>)>,
}

/// A scorecard with, for a rep, the standing among peers.
#[derive(Clone, Debug)]
pub struct ScorecardReport {
    pub subject: Subject,
    pub window: Window,
    pub scorecard: Scorecard,
    pub peers: Option<Peers>,
    /// For a team or the organization: the scorecard of every rep in it at the end of
    /// the period (a rep caller sees only their own row).
    pub breakdown: Option<Vec<RepRow>>,
}

/// One rep's row in a team's breakdown.
#[derive(Clone, Debug)]
pub struct RepRow {
    pub rep_id: Uuid,
    pub display_name: String,
    /// The rep's team at the end of the period.
    pub team_id: Uuid,
    /// None when no rep scheme is in force.
    pub scorecard: Option<Scorecard>,
}

/// What a scorecard request computes beyond the scorecard itself.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extras {
    /// A rep's standing among peers (needs every peer's figures).
    pub peers: bool,
    /// A team's or the organization's per-rep scorecards.
    pub breakdown: bool,
}

/// A rep's standing by the composite and by revenue.
#[derive(Clone, Debug)]
pub struct Peers {
    /// The rep's team at the end of the period, if any.
    pub team_id: Option<Uuid>,
    pub composite: PeerStanding,
    pub revenue: PeerStanding,
}

/// Standing among team peers (none without a team) and organization peers.
#[derive(Clone, Debug)]
pub struct PeerStanding {
    pub team: Option<Standing>,
    pub org: Standing,
}

/// Checks that the caller may read the subject's figures; a hidden or missing rep or team
/// is `NOT_FOUND`.
pub async fn authorize(
    db: &DatabaseConnection,
    principal: &Principal,
    subject: Subject,
) -> CoreResult<Decision> {
    let relation = subject_relation(db, principal, subject).await?;
    match subject {
        Subject::Rep(_) => principal.authorize(Operation::ReadRepFigures, relation, "rep"),
        Subject::Team(_) => principal.authorize(Operation::ReadTeamFigures, relation, "team"),
        Subject::Org => principal.authorize(Operation::ReadTeamFigures, relation, "organization"),
    }
}

/// How a subject relates to the caller: a rep as a person (themselves, ever in the
/// manager's subtree, or not), a team by the manager's subtree or the rep's team now, the
/// organization as anything else. A missing rep or team is `NOT_FOUND`.
pub(crate) async fn subject_relation(
    db: &DatabaseConnection,
    principal: &Principal,
    subject: Subject,
) -> CoreResult<Relation> {
    match subject {
        Subject::Rep(rep) => {
            user::Entity::find_by_id((principal.organization_id, rep))
                .one(db)
                .await?
                .ok_or(CoreError::NotFound("rep"))?;
            relation(db, principal, rep).await
        }
        Subject::Team(team) => {
            team::Entity::find_by_id((principal.organization_id, team))
                .one(db)
                .await?
                .ok_or(CoreError::NotFound("team"))?;
            Ok(if principal.subtree.contains(&team) {
                Relation::Subtree
            } else if principal.role == Role::Rep
                && current_team(db, principal.organization_id, principal.id).await? == Some(team)
            {
                Relation::OwnTeam
            } else {
                Relation::Other
            })
        }
        Subject::Org => Ok(Relation::Other),
    }
}

/// The team a user is in now.
pub(crate) async fn current_team<C: ConnectionTrait>(
    db: &C,
    organization_id: Uuid,
    user_id: Uuid,
) -> CoreResult<Option<Uuid>> {
    let now = crate::time::now_micros();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT team_id FROM team_memberships WHERE organization_id = $1 AND user_id = $2 \
             AND valid_from <= $3 AND (valid_to IS NULL OR valid_to > $3)",
            [
                Value::from(organization_id),
                Value::from(user_id),
                Value::from(now),
            ],
        ))
        .await?;
    Ok(row
        .map(|row| row.try_get::<Uuid>("", "team_id"))
        .transpose()?)
}

/// The KPI values of a subject.
pub async fn kpis(
    db: &DatabaseConnection,
    principal: &Principal,
    subject: Subject,
    period: &str,
    as_of: DateTime<Utc>,
    keys: &[KpiKey],
) -> CoreResult<KpiReport> {
    authorize(db, principal, subject).await?;
    let settings = Settings::load(db, principal.organization_id).await?;
    let period = &Period::parse(period, settings.fiscal_year_start_month)?;
    let facts = subject_facts(db, &settings, subject, period, as_of, keys).await?;
    Ok(KpiReport {
        subject,
        window: kpi::windows(period, &settings, as_of).current,
        values: keys
            .iter()
            .map(|key| (*key, facts.value(*key, settings.currency)))
            .collect(),
    })
}

async fn subject_facts(
    db: &DatabaseConnection,
    settings: &Settings,
    subject: Subject,
    period: &Period,
    as_of: DateTime<Utc>,
    keys: &[KpiKey],
) -> CoreResult<Facts> {
    let scope = kpi::scope_of(db, settings, subject).await?;
    let mut facts = kpi::evaluate(db, settings, &scope, period, as_of, keys).await?;
    Ok(facts.remove(&subject.key(settings.id)).unwrap_or_default())
}

/// The scorecard of a subject, or `None` when no scheme is in force. Peers are computed
/// for reps when `with_peers` is set (it needs every peer's figures).
pub async fn scorecard(
    db: &DatabaseConnection,
    principal: &Principal,
    subject: Subject,
    period: &str,
    as_of: DateTime<Utc>,
    extras: Extras,
) -> CoreResult<Option<ScorecardReport>> {
    authorize(db, principal, subject).await?;
    let settings = Settings::load(db, principal.organization_id).await?;
    let period = &Period::parse(period, settings.fiscal_year_start_month)?;
    let applies_to = if matches!(subject, Subject::Rep(_)) {
        AppliesTo::Rep
    } else {
        AppliesTo::Team
    };
    let Some(scheme) =
        scorecard::scheme_in_force(db, settings.id, applies_to, period.start).await?
    else {
        return Ok(None);
    };
    let keys: Vec<KpiKey> = scheme.items.iter().map(|(kpi, _)| *kpi).collect();
    let facts = subject_facts(db, &settings, subject, period, as_of, &keys).await?;
    let (kind, key) = match subject {
        Subject::Rep(id) => (SubjectKind::Rep, id),
        Subject::Team(id) => (SubjectKind::Team, id),
        Subject::Org => (SubjectKind::Org, settings.id),
    };
    let targets = scorecard::targets(db, settings.id, kind, &[key], period).await?;
    let card = scorecard::score(
        &scheme,
        |kpi| facts.value(kpi, settings.currency),
        |kpi| targets.get(&(key, kpi)).cloned(),
    );
    let window = kpi::windows(period, &settings, as_of).current;
    let peers = match subject {
        Subject::Rep(rep) if extras.peers && visibility_allows_peers(principal, &settings) => {
            let mut peers = peers(db, &settings, &scheme, rep, period, as_of, &window).await?;
            if principal.role == Role::Rep
                && settings.leaderboard_visibility != LeaderboardVisibility::Full
            {
                hide_peer_values(&mut peers);
            }
            Some(peers)
        }
        _ => None,
    };
    let breakdown = match subject {
        Subject::Team(_) | Subject::Org if extras.breakdown => {
            Some(breakdown(db, principal, &settings, subject, period, as_of, &window).await?)
        }
        _ => None,
    };
    Ok(Some(ScorecardReport {
        subject,
        window,
        scorecard: card,
        peers,
        breakdown,
    }))
}

/// The scorecards of the reps in a team's subtree (or in any team) at the end of the
/// period, in a constant number of statements.
async fn breakdown(
    db: &DatabaseConnection,
    principal: &Principal,
    settings: &Settings,
    subject: Subject,
    period: &Period,
    as_of: DateTime<Utc>,
    window: &Window,
) -> CoreResult<Vec<RepRow>> {
    let teams = match subject {
        Subject::Team(team) => Some(TeamTree::load(db, settings.id).await?.subtree(team)?),
        _ => None,
    };
    let mut team_of = members_at_end(db, settings, window, teams.as_deref()).await?;
    if principal.role == Role::Rep {
        team_of.retain(|rep, _| *rep == principal.id);
    }
    let reps: Vec<Uuid> = team_of.keys().copied().collect();
    let scheme = rep_scheme(db, settings, period).await?;
    let mut figures = rep_figures(db, settings, &reps, period, as_of, &[], scheme.as_ref()).await?;
    let mut names = display_names(db, settings.id, &reps).await?;
    let mut rows: Vec<RepRow> = team_of
        .into_iter()
        .map(|(rep_id, team_id)| RepRow {
            rep_id,
            display_name: names.remove(&rep_id).unwrap_or_default(),
            team_id,
            scorecard: figures
                .remove(&rep_id)
                .and_then(|figures| figures.scorecard),
        })
        .collect();
    rows.sort_by(|a, b| (&a.display_name, a.rep_id).cmp(&(&b.display_name, b.rep_id)));
    Ok(rows)
}

/// Whether the caller may see peer comparison at all (`NONE` hides it from reps).
pub(crate) fn visibility_allows_peers(principal: &Principal, settings: &Settings) -> bool {
    principal.role != Role::Rep || settings.leaderboard_visibility != LeaderboardVisibility::None
}

/// `RANK_ONLY`: a rep sees rank, percentile and n, not the peers' median.
fn hide_peer_values(peers: &mut Peers) {
    for standing in [&mut peers.composite, &mut peers.revenue] {
        if let Some(team) = standing.team.as_mut() {
            team.median = None;
            team.delta_to_median = None;
        }
    }
}

async fn peers(
    db: &DatabaseConnection,
    settings: &Settings,
    scheme: &scorecard::Scheme,
    rep: Uuid,
    period: &Period,
    as_of: DateTime<Utc>,
    window: &Window,
) -> CoreResult<Peers> {
    let team_of = teams_at_end(db, settings, window).await?;
    let mut reps: Vec<Uuid> = team_of.keys().copied().collect();
    if !team_of.contains_key(&rep) {
        reps.push(rep);
    }
    let figures = rep_figures(
        db,
        settings,
        &reps,
        period,
        as_of,
        &[KpiKey::Revenue],
        Some(scheme),
    )
    .await?;
    let team_id = team_of.get(&rep).copied();
    let standing = |pick: &dyn Fn(&RepFigures) -> Option<Decimal>| {
        let mine = figures.get(&rep).and_then(pick);
        let values = |team: Option<Uuid>| -> Vec<Decimal> {
            team_of
                .iter()
                .filter(|(_, peer_team)| team.is_none_or(|team| **peer_team == team))
                .filter_map(|(peer, _)| figures.get(peer).and_then(pick))
                .collect()
        };
        let mut org = scorecard::standing(
            &values(None),
            mine.filter(|_| team_id.is_some()),
            Direction::Up,
        );
        org.median = None;
        org.delta_to_median = None;
        let team =
            team_id.map(|team| scorecard::standing(&values(Some(team)), mine, Direction::Up));
        PeerStanding { team, org }
    };
    Ok(Peers {
        team_id,
        composite: standing(&|f| f.scorecard.as_ref().and_then(|card| card.composite)),
        revenue: standing(&|f| f.facts.value(KpiKey::Revenue, settings.currency)),
    })
}
