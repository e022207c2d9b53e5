//! Enumerations stored in `variant` columns (and serialized) as SCREAMING_SNAKE_CASE names.
use sea_orm::entity::prelude::*;

/// Declares a string-backed active enum whose stored and serialized form is the given
/// SCREAMING_SNAKE_CASE name, together with `as_str` returning that same name.
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $($variant:ident = $value:tt,)+
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            EnumIter,
            DeriveActiveEnum,
            serde::Serialize,
            serde::Deserialize,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
        #[serde(rename_all = "SCREAMING_SNAKE_CASE")]
        pub enum $name {
            $(
                #[sea_orm(string_value = $value)]
                $variant,
            )+
        }

        impl $name {
            /// The name this value is stored and serialized as.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $value,)+
                }
            }
        }
    };
}

string_enum! {
    /// What a user may see and do (`users.role`).
    Role {
        Admin = "ADMIN",
        Manager = "MANAGER",
        Rep = "REP",
        Analyst = "ANALYST",
    }
}

string_enum! {
    /// How much of the leaderboard reps see (`organizations.leaderboard_visibility`).
    LeaderboardVisibility {
        None = "NONE",
        RankOnly = "RANK_ONLY",
        Full = "FULL",
    }
}

string_enum! {
    /// Whether a source is a partner client, a bulk import, or the organization's app,
    /// where its people create records (`sources.kind`).
    SourceKind {
        Partner = "PARTNER",
        Import = "IMPORT",
        App = "APP",
    }
}

string_enum! {
    /// A customer's segment (`customers.segment`).
    Segment {
        KeyAccount = "KEY_ACCOUNT",
        MidMarket = "MID_MARKET",
        Smb = "SMB",
        Other = "OTHER",
    }
}

string_enum! {
    /// Where a lead came from (`leads.lead_source`).
    LeadSource {
        Website = "WEBSITE",
        Referral = "REFERRAL",
        Event = "EVENT",
        Partner = "PARTNER",
        Outbound = "OUTBOUND",
        Other = "OTHER",
    }
}

string_enum! {
    /// Where a lead stands (`leads.status`).
    LeadStatus {
        Open = "OPEN",
        Qualified = "QUALIFIED",
        Converted = "CONVERTED",
        Disqualified = "DISQUALIFIED",
    }
}

string_enum! {
    /// A deal's pipeline stage (`deals.stage`).
    DealStage {
        Prospecting = "PROSPECTING",
        Qualification = "QUALIFICATION",
        Proposal = "PROPOSAL",
        Negotiation = "NEGOTIATION",
        Won = "WON",
        Lost = "LOST",
    }
}

string_enum! {
    /// Whether a deal is open, won or lost (`deals.status`).
    DealStatus {
        Open = "OPEN",
        Won = "WON",
        Lost = "LOST",
    }
}

string_enum! {
    /// What kind of activity a rep logged (`activities.kind`).
    ActivityKind {
        Visit = "VISIT",
        Call = "CALL",
        Email = "EMAIL",
        Message = "MESSAGE",
        Meeting = "MEETING",
        Demo = "DEMO",
        FollowUp = "FOLLOW_UP",
        Other = "OTHER",
    }
}

string_enum! {
    /// What acquisition spend went on (`expenses.category`).
    ExpenseCategory {
        Marketing = "MARKETING",
        Sales = "SALES",
        Other = "OTHER",
    }
}

string_enum! {
    /// What a rating scores (`ratings.category`).
    RatingCategory {
        Collaboration = "COLLABORATION",
        Capability = "CAPABILITY",
    }
}

string_enum! {
    /// Whether a scorecard scheme scores reps or teams (`scorecard_schemes.applies_to`).
    AppliesTo {
        Rep = "REP",
        Team = "TEAM",
    }
}

string_enum! {
    /// Whom a target is set for (`targets.subject_kind`).
    SubjectKind {
        Rep = "REP",
        Team = "TEAM",
        Org = "ORG",
    }
}

string_enum! {
    /// The kind of period covered (`targets.period_kind`, `evaluations.period_kind`).
    PeriodKind {
        Week = "WEEK",
        Month = "MONTH",
        Quarter = "QUARTER",
        Year = "YEAR",
        Custom = "CUSTOM",
    }
}

string_enum! {
    /// Who made an audited change (`audit_log.actor_kind`).
    ActorKind {
        User = "USER",
        Partner = "PARTNER",
        System = "SYSTEM",
    }
}

string_enum! {
    /// What an audited change did (`audit_log.action`).
    AuditAction {
        Create = "CREATE",
        Update = "UPDATE",
        Delete = "DELETE",
    }
}
