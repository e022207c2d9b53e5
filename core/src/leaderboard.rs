//! Leaderboards: the reps of a team or of the organization at the end of a period, ranked
//! by the composite or by one KPI, with the peer sets and visibility rules of peer
//! comparison. One evaluation answers every rep, whatever their number.

use attain_entity::enums::LeaderboardVisibility;
use attain_entity::team;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sea_orm::{DatabaseConnection, EntityTrait};
use uuid::Uuid;

use crate::access::{Operation, Principal, Relation, Role};
use crate::error::{CoreError, CoreResult};
use crate::figures::current_team;
use crate::kpi::{self, Direction, KpiKey, TeamTree};
use crate::organization::Settings;
use crate::peers::{display_names, members_at_end, rep_figures, rep_scheme};
use crate::period::{Period, Window};
use crate::scorecard::{Placing, rank_all};

/// Whose reps are ranked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Board {
    /// The reps whose team at the end of the period is this team or one below it.
    Team(Uuid),
    /// The reps in any team at the end of the period.
    Org,
}

/// What the reps are ranked by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ranking {
    /// The composite of the rep scheme in force.
    Composite,
    Kpi(KpiKey),
}

impl Ranking {
    fn direction(self) -> Direction {
        match self {
            Ranking::Composite => Direction::Up,
            Ranking::Kpi(key) => key.kpi().direction,
        }
    }
}

/// One ranked rep.
#[derive(Clone, Debug)]
pub struct Entry {
    pub rep_id: Uuid,
    pub display_name: String,
    pub team_id: Uuid,
    /// Exact and unrounded; `None` when null or hidden from the caller.
    pub value: Option<Decimal>,
    pub placing: Placing,
}

/// A ranked list of reps, best first, null values last.
#[derive(Clone, Debug)]
pub struct Leaderboard {
    pub window: Window,
    pub ranking: Ranking,
    /// Reps with a value.
    pub n: i64,
    /// Whether peers' values are hidden from the caller (`RANK_ONLY`).
    pub values_hidden: bool,
    pub entries: Vec<Entry>,
}

/// Ranks a board's reps for a period as of an instant.
pub async fn leaderboard(
    db: &DatabaseConnection,
    principal: &Principal,
    board: Board,
    period: &str,
    ranking: Ranking,
    as_of: DateTime<Utc>,
) -> CoreResult<Leaderboard> {
    let settings = Settings::load(db, principal.organization_id).await?;
    let values_hidden = authorize(db, principal, &settings, board).await?;
    let period = &Period::parse(period, settings.fiscal_year_start_month)?;
    let window = kpi::windows(period, &settings, as_of).current;
    let teams = match board {
        Board::Team(team) => Some(TeamTree::load(db, settings.id).await?.subtree(team)?),
        Board::Org => None,
    };
    let team_of = members_at_end(db, &settings, &window, teams.as_deref()).await?;
    let reps: Vec<Uuid> = team_of.keys().copied().collect();
    let (keys, scheme) = match ranking {
        Ranking::Composite => (Vec::new(), rep_scheme(db, &settings, period).await?),
        Ranking::Kpi(key) => (vec![key], None),
    };
    let figures = rep_figures(db, &settings, &reps, period, as_of, &keys, scheme.as_ref()).await?;
    let mut names = display_names(db, settings.id, &reps).await?;
    let mut values: Vec<((Uuid, String), Option<Decimal>)> = reps
        .iter()
        .map(|rep| {
            let figures = &figures[rep];
            let value = match ranking {
                Ranking::Composite => figures.scorecard.as_ref().and_then(|card| card.composite),
                Ranking::Kpi(key) => figures.facts.value(key, settings.currency),
            };
            ((*rep, names.remove(rep).unwrap_or_default()), value)
        })
        .collect();
    values.sort_by(|((a_id, a_name), _), ((b_id, b_name), _)| (a_name, a_id).cmp(&(b_name, b_id)));
    let ranked = rank_all(values, ranking.direction());
    let n = ranked
        .iter()
        .filter(|(_, value, _)| value.is_some())
        .count() as i64;
    let entries = ranked
        .into_iter()
        .map(|((rep_id, display_name), value, placing)| {
            let own = rep_id == principal.id;
            Entry {
                team_id: team_of[&rep_id],
                value: value.filter(|_| own || !values_hidden),
                placing: if own || !values_hidden {
                    placing
                } else {
                    Placing {
                        rank: placing.rank,
                        percentile: None,
                    }
                },
                rep_id,
                display_name,
            }
        })
        .collect();
    Ok(Leaderboard {
        window,
        ranking,
        n,
        values_hidden,
        entries,
    })
}

/// Checks the caller may see the board, and answers whether peers' values are hidden.
/// A team the caller may not see is `NOT_FOUND`; the organization's board for a caller
/// limited to a subtree or a team is `FORBIDDEN`, as is any board for a rep when the
/// organization's visibility is `NONE`.
async fn authorize(
    db: &DatabaseConnection,
    principal: &Principal,
    settings: &Settings,
    board: Board,
) -> CoreResult<bool> {
    match board {
        Board::Org => {
            principal
                .authorize(Operation::ReadLeaderboard, Relation::Other, "organization")
                .map_err(|_| CoreError::Forbidden)?;
        }
        Board::Team(id) => {
            team::Entity::find_by_id((principal.organization_id, id))
                .one(db)
                .await?
                .ok_or(CoreError::NotFound("team"))?;
            let relation = if principal.subtree.contains(&id) {
                Relation::Subtree
            } else if principal.role == Role::Rep
                && current_team(db, principal.organization_id, principal.id).await? == Some(id)
            {
                Relation::OwnTeam
            } else {
                Relation::Other
            };
            principal.authorize(Operation::ReadLeaderboard, relation, "team")?;
        }
    }
    if principal.role != Role::Rep {
        return Ok(false);
    }
    match settings.leaderboard_visibility {
        LeaderboardVisibility::None => Err(CoreError::Forbidden),
        LeaderboardVisibility::RankOnly => Ok(true),
        LeaderboardVisibility::Full => Ok(false),
    }
}
