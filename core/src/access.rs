//! Who may do what: the access matrix of `domain.md` in one place.
//!
//! Every service asks [`Principal::authorize`] before it touches a single object and
//! [`Principal::scope`] before it lists, so the rules live here and nowhere else. A denied
//! read of a single object answers as if the object did not exist.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::CoreError;

/// The caller's role. Users hold one of the first four; `Partner` is an integrating
/// system authenticated as a partner client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Admin,
    Manager,
    Rep,
    Analyst,
    Partner,
}

impl Role {
    /// The SCREAMING_CASE name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "ADMIN",
            Role::Manager => "MANAGER",
            Role::Rep => "REP",
            Role::Analyst => "ANALYST",
            Role::Partner => "PARTNER",
        }
    }
}

impl From<attain_entity::enums::Role> for Role {
    fn from(role: attain_entity::enums::Role) -> Self {
        use attain_entity::enums::Role as Stored;
        match role {
            Stored::Admin => Role::Admin,
            Stored::Manager => Role::Manager,
            Stored::Rep => Role::Rep,
            Stored::Analyst => Role::Analyst,
        }
    }
}

/// An authenticated caller, as the database says it is now (not as a token claims).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub organization_id: Uuid,
    /// The user's id, or the partner client's.
    pub id: Uuid,
    pub role: Role,
    /// For managers: the teams they manage and every team below them.
    pub subtree: Vec<Uuid>,
}

/// The operations of the access matrix, one per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operation {
    /// A rep's scorecard, KPIs, trend and contributors.
    ReadRepFigures,
    /// A team's or the organization's scorecard.
    ReadTeamFigures,
    /// Leaderboards and peer comparison.
    ReadLeaderboard,
    /// Customers, deals, leads, activities, invoices, payments, survey responses.
    ReadRecords,
    /// Log, edit or delete activities.
    WriteActivities,
    /// Create or update deals, customers, leads, invoices, payments.
    WriteRecords,
    ReadTargets,
    /// Targets and evaluations.
    WriteTargets,
    ReadRatings,
    WriteRatings,
    /// Survey responses, expenses, market sizes.
    ReadBusinessInputs,
    WriteBusinessInputs,
    /// Scorecard schemes and organization settings.
    ReadSettings,
    WriteSettings,
    /// Users, teams, memberships, partner clients.
    ReadPeople,
    WritePeople,
    ReadAuditLog,
}

/// How the object of an operation relates to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The caller's own: their records, their figures, themselves.
    Own,
    /// A rep or team in the manager's subtree (now or at the record's event time).
    Subtree,
    /// The team a rep is in now (aggregates only).
    OwnTeam,
    /// What a partner client created or last updated.
    Pushed,
    /// Anything else in the caller's organization.
    Other,
}

/// What the matrix answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Allowed with personal data (names, emails, notes) blanked out.
    Redacted,
    Deny,
}

/// The access matrix: `domain.md`'s table, cell by cell.
pub fn decide(role: Role, operation: Operation, relation: Relation) -> Decision {
    use Decision::*;
    use Operation::*;
    use Relation::*;
    use Role::*;
    match (role, operation) {
        (Admin, _) if relation != Pushed => Allow,
        (Admin, _) => Deny,
        (Manager, ReadRepFigures | ReadTeamFigures | ReadLeaderboard | ReadRecords)
        | (Manager, WriteRecords | ReadTargets | WriteTargets | ReadBusinessInputs | ReadPeople) => {
            allow_if(matches!(relation, Own | Subtree))
        }
        (Manager, WriteActivities) => allow_if(matches!(relation, Own | Subtree)),
        (Manager, ReadRatings) => allow_if(matches!(relation, Own | Subtree)),
        // Cross-department ratings: any manager may rate any rep of the organization.
        (Manager, WriteRatings) => allow_if(relation != Pushed),
        (Manager | Rep | Analyst, ReadSettings) => allow_if(relation != Pushed),
        (Rep, ReadRepFigures | ReadRecords | WriteActivities | WriteRecords) => {
            allow_if(relation == Own)
        }
        (Rep, ReadTargets | ReadRatings | ReadBusinessInputs | ReadPeople) => {
            allow_if(relation == Own)
        }
        (Rep, ReadTeamFigures) => allow_if(relation == OwnTeam),
        // How far a rep sees peers depends on the organization's leaderboard visibility,
        // which the leaderboard service applies to the values it shows.
        (Rep, ReadLeaderboard) => allow_if(matches!(relation, Own | OwnTeam)),
        (Analyst, ReadRepFigures | ReadRecords | ReadPeople) => redacted_if(relation != Pushed),
        (
            Analyst,
            ReadTeamFigures | ReadLeaderboard | ReadTargets | ReadRatings | ReadBusinessInputs,
        ) => allow_if(relation != Pushed),
        (Partner, ReadRecords | WriteRecords) => allow_if(relation == Pushed),
        _ => Deny,
    }
}

fn allow_if(condition: bool) -> Decision {
    if condition {
        Decision::Allow
    } else {
        Decision::Deny
    }
}

fn redacted_if(condition: bool) -> Decision {
    if condition {
        Decision::Redacted
    } else {
        Decision::Deny
    }
}

/// The part of the organization a caller may list for an operation, to be turned into a
/// query condition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The whole organization.
    All { redacted: bool },
    /// The manager's subtree and the manager's own records.
    Subtree { user_id: Uuid, teams: Vec<Uuid> },
    /// The caller's own records.
    Own { user_id: Uuid },
    /// The team the caller is in now (a rep's team figures).
    OwnTeam { user_id: Uuid },
    /// What the partner client pushed.
    Pushed { source_id: Uuid },
    /// Nothing at all.
    Nothing,
}

impl Principal {
    /// Checks a single object: `NOT_FOUND` when a read is denied (so ids cannot be
    /// probed), `FORBIDDEN` when a write is. `what` names the object for the error.
    pub fn authorize(
        &self,
        operation: Operation,
        relation: Relation,
        what: &'static str,
    ) -> Result<Decision, CoreError> {
        match decide(self.role, operation, relation) {
            Decision::Deny if is_read(operation) => Err(CoreError::NotFound(what)),
            Decision::Deny => Err(CoreError::Forbidden),
            allowed => Ok(allowed),
        }
    }

    /// Checks an operation that has no object (creating, listing settings): `FORBIDDEN`
    /// unless some relation allows it.
    pub fn require(&self, operation: Operation) -> Result<(), CoreError> {
        match self.scope(operation) {
            Scope::Nothing => Err(CoreError::Forbidden),
            _ => Ok(()),
        }
    }

    /// The widest scope the matrix allows for a list.
    pub fn scope(&self, operation: Operation) -> Scope {
        let decision = |relation| decide(self.role, operation, relation);
        match decision(Relation::Other) {
            Decision::Allow => return Scope::All { redacted: false },
            Decision::Redacted => return Scope::All { redacted: true },
            Decision::Deny => {}
        }
        if decision(Relation::Subtree) != Decision::Deny {
            Scope::Subtree {
                user_id: self.id,
                teams: self.subtree.clone(),
            }
        } else if decision(Relation::Own) != Decision::Deny {
            Scope::Own { user_id: self.id }
        } else if decision(Relation::OwnTeam) != Decision::Deny {
            Scope::OwnTeam { user_id: self.id }
        } else if decision(Relation::Pushed) != Decision::Deny {
            Scope::Pushed { source_id: self.id }
        } else {
            Scope::Nothing
        }
    }
}

fn is_read(operation: Operation) -> bool {
    use Operation::*;
    matches!(
        operation,
        ReadRepFigures
            | ReadTeamFigures
            | ReadLeaderboard
            | ReadRecords
            | ReadTargets
            | ReadRatings
            | ReadBusinessInputs
            | ReadSettings
            | ReadPeople
            | ReadAuditLog
    )
}

#[cfg(test)]
mod tests {
    use super::Decision::*;
    use super::Operation::*;
    use super::Relation::*;
    use super::Role::*;
    use super::*;

    /// role, operation, relation → decision, straight from `domain.md`.
    const MATRIX: &[(Role, Operation, Relation, Decision)] = &[
        (Admin, ReadRepFigures, Other, Allow),
        (Admin, WritePeople, Other, Allow),
        (Admin, ReadAuditLog, Other, Allow),
        (Manager, ReadRepFigures, Subtree, Allow),
        (Manager, ReadRepFigures, Other, Deny),
        (Manager, ReadTeamFigures, Subtree, Allow),
        (Manager, ReadTeamFigures, Other, Deny),
        (Manager, WriteActivities, Own, Allow),
        (Manager, WriteActivities, Subtree, Allow),
        (Manager, WriteRecords, Subtree, Allow),
        (Manager, WriteRecords, Other, Deny),
        (Manager, WriteTargets, Subtree, Allow),
        (Manager, WriteTargets, Other, Deny),
        (Manager, WriteRatings, Other, Allow),
        (Manager, WriteBusinessInputs, Subtree, Deny),
        (Manager, ReadBusinessInputs, Subtree, Allow),
        (Manager, WriteSettings, Own, Deny),
        (Manager, ReadSettings, Other, Allow),
        (Manager, WritePeople, Subtree, Deny),
        (Manager, ReadPeople, Subtree, Allow),
        (Manager, ReadAuditLog, Other, Deny),
        (Rep, ReadRepFigures, Own, Allow),
        (Rep, ReadRepFigures, Other, Deny),
        (Rep, ReadTeamFigures, OwnTeam, Allow),
        (Rep, ReadTeamFigures, Other, Deny),
        (Rep, ReadRecords, Own, Allow),
        (Rep, ReadRecords, Other, Deny),
        (Rep, WriteActivities, Own, Allow),
        (Rep, WriteActivities, Other, Deny),
        (Rep, WriteTargets, Own, Deny),
        (Rep, ReadTargets, Own, Allow),
        (Rep, WriteRatings, Own, Deny),
        (Rep, ReadPeople, Own, Allow),
        (Rep, ReadPeople, Other, Deny),
        (Rep, ReadAuditLog, Own, Deny),
        (Analyst, ReadRepFigures, Other, Redacted),
        (Analyst, ReadRecords, Other, Redacted),
        (Analyst, ReadPeople, Other, Redacted),
        (Analyst, ReadTeamFigures, Other, Allow),
        (Analyst, ReadLeaderboard, Other, Allow),
        (Analyst, WriteActivities, Other, Deny),
        (Analyst, WriteRecords, Other, Deny),
        (Analyst, WriteTargets, Other, Deny),
        (Analyst, ReadAuditLog, Other, Deny),
        (Partner, ReadRecords, Pushed, Allow),
        (Partner, ReadRecords, Other, Deny),
        (Partner, WriteRecords, Pushed, Allow),
        (Partner, ReadRepFigures, Pushed, Deny),
        (Partner, ReadTeamFigures, Other, Deny),
        (Partner, ReadSettings, Other, Deny),
        (Partner, WriteActivities, Pushed, Deny),
    ];

    #[test]
    fn the_matrix_answers_every_listed_cell() {
        for &(role, operation, relation, expected) in MATRIX {
            assert_eq!(
                decide(role, operation, relation),
                expected,
                "{role:?} {operation:?} {relation:?}"
            );
        }
    }

    fn principal(role: Role) -> Principal {
        Principal {
            organization_id: Uuid::nil(),
            id: Uuid::from_u128(7),
            role,
            subtree: vec![Uuid::from_u128(9)],
        }
    }

    #[test]
    fn each_role_lists_its_own_part_of_the_organization() {
        assert_eq!(
            principal(Admin).scope(ReadRecords),
            Scope::All { redacted: false }
        );
        assert_eq!(
            principal(Analyst).scope(ReadRecords),
            Scope::All { redacted: true }
        );
        assert_eq!(
            principal(Manager).scope(ReadRecords),
            Scope::Subtree {
                user_id: Uuid::from_u128(7),
                teams: vec![Uuid::from_u128(9)]
            }
        );
        assert_eq!(
            principal(Rep).scope(ReadRecords),
            Scope::Own {
                user_id: Uuid::from_u128(7)
            }
        );
        assert_eq!(
            principal(Partner).scope(ReadRecords),
            Scope::Pushed {
                source_id: Uuid::from_u128(7)
            }
        );
        assert_eq!(principal(Partner).scope(ReadRepFigures), Scope::Nothing);
        assert_eq!(
            principal(Rep).scope(ReadTeamFigures),
            Scope::OwnTeam {
                user_id: Uuid::from_u128(7)
            }
        );
    }

    #[test]
    fn a_hidden_object_reads_as_missing_and_a_denied_write_as_forbidden() {
        let rep = principal(Rep);
        assert!(matches!(
            rep.authorize(ReadRepFigures, Other, "rep"),
            Err(CoreError::NotFound("rep"))
        ));
        assert!(matches!(
            rep.authorize(WriteTargets, Own, "target"),
            Err(CoreError::Forbidden)
        ));
        assert!(matches!(
            rep.require(WriteSettings),
            Err(CoreError::Forbidden)
        ));
        assert!(rep.require(ReadSettings).is_ok());
    }
}
