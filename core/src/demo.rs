//! A demo organization of any size: teams and regions, managers, reps, a year (or any
//! number of weeks) of customers, leads, deals, activities, invoices, payments, surveys,
//! ratings and expenses, targets and a 40/25/20/10/5 scheme.
//!
//! Records are generated rep by rep from a seeded generator and streamed through the
//! [`Importer`] in chunks, each in its own transaction, so memory stays bounded however
//! large the tenant.

use std::collections::BTreeMap;

use attain_entity::enums::{
    ActivityKind, AppliesTo, DealStage, DealStatus, ExpenseCategory, LeadSource, LeadStatus,
    LeaderboardVisibility, PeriodKind, RatingCategory, Role, Segment, SubjectKind,
};
use attain_entity::user;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use crate::error::CoreResult;
use crate::identity::hash_password;
use crate::import::Importer;
use crate::import::dataset::*;
use crate::kpi::KpiKey;
use crate::period::Period;
use crate::tenancy;

/// The time zone demo organizations work in.
const TIMEZONE: Tz = chrono_tz::Asia::Shanghai;
/// Reps per team in a large demo.
const TEAM_SIZE: usize = 10;
/// Teams per region in a large demo.
const REGION_SIZE: usize = 10;
/// The external id of every demo organization, by which the server finds it again.
pub const ORGANIZATION_EXTERNAL_ID: &str = "demo";
/// The password demo users get unless told otherwise.
pub const DEFAULT_PASSWORD: &str = "attain-demo";

/// The email of a demo user (`admin`, `rep-1`, …).
pub fn email(local: &str) -> String {
    format!("{local}@demo.attain.example")
}

/// The people to log in as: the admin, the analyst, a region manager, a team manager and
/// a rep; the admin first.
pub fn logins() -> Vec<(String, Role)> {
    [
        ("admin", Role::Admin),
        ("analyst", Role::Analyst),
        ("region-mgr-1", Role::Manager),
        ("mgr-1", Role::Manager),
        ("rep-1", Role::Rep),
    ]
    .iter()
    .map(|(local, role)| (email(local), *role))
    .collect()
}

/// Reps generated per transaction.
const REPS_PER_CHUNK: usize = 20;

/// What to generate.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    pub name: String,
    pub reps: usize,
    pub weeks: u32,
    pub seed: u64,
    pub activities_per_week: u32,
    pub deals_per_week: u32,
    /// The password every demo user logs in with.
    pub password: String,
    /// The end of the generated history.
    pub now: DateTime<Utc>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            name: "Attain Demo Trading".to_owned(),
            reps: 12,
            weeks: 52,
            seed: 7,
            activities_per_week: 12,
            deals_per_week: 2,
            password: DEFAULT_PASSWORD.to_owned(),
            now: Utc::now(),
        }
    }
}

/// What a demo created.
#[derive(Clone, Debug)]
pub struct DemoReport {
    pub organization_id: Uuid,
    /// Email and role of the people to log in as: the admin, the analyst, a manager, a rep.
    pub logins: Vec<(String, Role)>,
    pub counts: BTreeMap<&'static str, usize>,
}

/// Generates and stores a demo organization, in the system scope (it makes the
/// organization), reusing plans as every write does. `progress` hears each finished chunk as (reps done, reps in all).
pub async fn seed(
    db: &DatabaseConnection,
    options: &DemoOptions,
    progress: impl FnMut(usize, usize),
) -> CoreResult<DemoReport> {
    tenancy::as_system(tenancy::reusing_plans(store(db, options, progress))).await
}

async fn store(
    db: &DatabaseConnection,
    options: &DemoOptions,
    mut progress: impl FnMut(usize, usize),
) -> CoreResult<DemoReport> {
    let plan = Plan::new(options);
    let header = plan.header();
    let transaction = db.begin().await?;
    let mut importer =
        Importer::create_organization(&transaction, &header, "demo", options.now).await?;
    importer.load(&transaction, &header).await?;
    let hash = hash_password(&options.password)?;
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .filter(user::Column::OrganizationId.eq(importer.organization_id))
        .exec(&transaction)
        .await?;
    transaction.commit().await?;

    let mut counts = BTreeMap::new();
    count(&mut counts, &header);
    let mut done = 0;
    let mut chunks: u32 = 0;
    while done < options.reps {
        let end = (done + REPS_PER_CHUNK).min(options.reps);
        let chunk = plan.reps_records(done..end);
        let transaction = db.begin().await?;
        importer.load(&transaction, &chunk).await?;
        transaction.commit().await?;
        importer.forget_records();
        count(&mut counts, &chunk);
        done = end;
        chunks += 1;
        // Foreign-key checks are planned once per connection: statistics refreshed as
        // the tables grow (after 1, 2, 4, 8 … chunks) keep them on their indexes.
        if chunks.is_power_of_two() {
            crate::db::analyze(db).await?;
        }
        progress(done, options.reps);
    }
    crate::db::analyze(db).await?;
    Ok(DemoReport {
        organization_id: importer.organization_id,
        logins: logins(),
        counts,
    })
}

fn count(counts: &mut BTreeMap<&'static str, usize>, chunk: &Dataset) {
    let sizes = [
        ("users", chunk.users.len()),
        ("teams", chunk.teams.len()),
        ("customers", chunk.customers.len()),
        ("leads", chunk.leads.len()),
        ("deals", chunk.deals.len()),
        ("activities", chunk.activities.len()),
        ("invoices", chunk.invoices.len()),
        ("payments", chunk.payments.len()),
        ("survey_responses", chunk.survey_responses.len()),
        ("ratings", chunk.ratings.len()),
        ("expenses", chunk.expenses.len()),
        ("targets", chunk.targets.len()),
    ];
    for (name, size) in sizes {
        *counts.entry(name).or_default() += size;
    }
}

/// The shape of the organization, derived from the options.
struct Plan<'a> {
    options: &'a DemoOptions,
    teams: usize,
    regions: usize,
    start: DateTime<Utc>,
}

impl<'a> Plan<'a> {
    fn new(options: &'a DemoOptions) -> Plan<'a> {
        let teams = if options.reps <= 3 * TEAM_SIZE {
            options.reps.clamp(1, 3)
        } else {
            options.reps.div_ceil(TEAM_SIZE)
        };
        Plan {
            options,
            teams,
            regions: teams.div_ceil(REGION_SIZE),
            start: options.now - Duration::weeks(i64::from(options.weeks)),
        }
    }

    fn team_of(&self, rep: usize) -> usize {
        rep % self.teams
    }

    fn local_date(&self, instant: DateTime<Utc>) -> NaiveDate {
        instant.with_timezone(&TIMEZONE).date_naive()
    }

    /// The organization, its people and structure, schemes, targets and expenses.
    fn header(&self) -> Dataset {
        let mut rng = StdRng::seed_from_u64(self.options.seed);
        let mut data = Dataset {
            format: FORMAT.to_owned(),
            organization: OrganizationRecord {
                id: ORGANIZATION_EXTERNAL_ID.to_owned(),
                name: self.options.name.clone(),
                timezone: TIMEZONE.name().to_owned(),
                currency: "CNY".to_owned(),
                leaderboard_visibility: LeaderboardVisibility::RankOnly,
                ..OrganizationRecord::default()
            },
            ..Dataset::default()
        };
        let person = |id: String, email: String, name: String, role: Role| UserRecord {
            id,
            email,
            name,
            role,
            external_id: None,
            active: true,
        };
        data.users.push(person(
            "admin".into(),
            email("admin"),
            "Ada Admin".into(),
            Role::Admin,
        ));
        data.users.push(person(
            "analyst".into(),
            email("analyst"),
            "Bo Analyst".into(),
            Role::Analyst,
        ));
        for region in 1..=self.regions {
            let id = format!("region-mgr-{region}");
            data.users.push(person(
                id.clone(),
                email(&id),
                format!("Region Manager {region}"),
                Role::Manager,
            ));
            data.teams.push(TeamRecord {
                id: format!("region-{region}"),
                name: format!("Region {region}"),
                parent_id: None,
                manager_ids: vec![id],
            });
        }
        for team in 1..=self.teams {
            let id = format!("mgr-{team}");
            data.users.push(person(
                id.clone(),
                email(&id),
                format!("Team Manager {team}"),
                Role::Manager,
            ));
            data.teams.push(TeamRecord {
                id: format!("team-{team}"),
                name: format!("Team {team}"),
                parent_id: Some(format!("region-{}", (team - 1) / REGION_SIZE + 1)),
                manager_ids: vec![id],
            });
        }
        let history_start = self.start - Duration::days(365);
        for rep in 1..=self.options.reps {
            let id = format!("rep-{rep}");
            data.users.push(UserRecord {
                external_id: Some(format!("HR-{:05}", rep)),
                ..person(id.clone(), email(&id), format!("Rep {rep}"), Role::Rep)
            });
            let team = self.team_of(rep - 1) + 1;
            // The third rep moves to the next team halfway through, to show history.
            if rep == 3 && self.teams > 1 {
                let moved = self.start + Duration::weeks(i64::from(self.options.weeks / 2));
                data.memberships
                    .push(membership(&id, team, history_start, Some(moved)));
                data.memberships
                    .push(membership(&id, team % self.teams + 1, moved, None));
            } else {
                data.memberships
                    .push(membership(&id, team, history_start, None));
            }
        }
        data.schemes = schemes(self.local_date(history_start));
        self.targets_and_expenses(&mut data, &mut rng);
        data
    }

    fn targets_and_expenses(&self, data: &mut Dataset, rng: &mut StdRng) {
        let first = self.local_date(self.start);
        let last = self.local_date(self.options.now);
        for kind in [PeriodKind::Month, PeriodKind::Quarter] {
            let mut period = Period::containing(kind, first, 1);
            while period.start <= last {
                self.targets(data, rng, &period);
                period = Period::containing(kind, period.end, 1);
            }
        }
        let mut month = first_of_month(first);
        while month <= last {
            let next = next_month(month);
            for team in 1..=self.teams {
                data.expenses.push(ExpenseRecord {
                    id: format!("exp-team-{team}-{month}"),
                    amount: Decimal::new(rng.gen_range(500_000..3_000_000), 2),
                    incurred_on: month,
                    category: ExpenseCategory::Marketing,
                    rep_id: None,
                    team_id: Some(format!("team-{team}")),
                });
            }
            data.expenses.push(ExpenseRecord {
                id: format!("exp-org-{month}"),
                amount: Decimal::new(rng.gen_range(2_000_000..8_000_000), 2),
                incurred_on: month,
                category: ExpenseCategory::Other,
                rep_id: None,
                team_id: None,
            });
            month = next;
        }
    }

    /// Targets of every rep and team for one month or quarter.
    fn targets(&self, data: &mut Dataset, rng: &mut StdRng, period: &Period) {
        let months = if period.kind == PeriodKind::Quarter {
            3
        } else {
            1
        };
        let weekly_revenue = 60_000 * i64::from(self.options.deals_per_week);
        let label = period.label();
        let period = PeriodRecord {
            kind: period.kind,
            label: Some(label.clone()),
            start: period.start,
            end: period.end,
        };
        for rep in 1..=self.options.reps {
            let revenue = weekly_revenue * 4 * months + rng.gen_range(-20_000..20_000);
            data.targets.push(target(
                format!("t-{rep}-{label}-rev"),
                SubjectKind::Rep,
                Some(format!("rep-{rep}")),
                KpiKey::Revenue,
                &period,
                Decimal::new(revenue * 100, 2),
                Some(Decimal::new(revenue * 80, 2)),
                Some(Decimal::new(revenue * 50, 2)),
            ));
            data.targets.push(target(
                format!("t-{rep}-{label}-conv"),
                SubjectKind::Rep,
                Some(format!("rep-{rep}")),
                KpiKey::LeadConversionRate,
                &period,
                Decimal::new(35, 2),
                Some(Decimal::new(25, 2)),
                Some(Decimal::new(15, 2)),
            ));
            for (kpi, goal) in [
                (KpiKey::CollaborationScore, 4),
                (KpiKey::CapabilityScore, 4),
            ] {
                data.targets.push(target(
                    format!("t-{rep}-{label}-{}", kpi.as_str()),
                    SubjectKind::Rep,
                    Some(format!("rep-{rep}")),
                    kpi,
                    &period,
                    Decimal::from(goal),
                    Some(Decimal::new(35, 1)),
                    Some(Decimal::from(3)),
                ));
            }
            data.targets.push(target(
                format!("t-{rep}-{label}-ret"),
                SubjectKind::Rep,
                Some(format!("rep-{rep}")),
                KpiKey::RetentionRate,
                &period,
                Decimal::new(80, 2),
                Some(Decimal::new(65, 2)),
                Some(Decimal::new(50, 2)),
            ));
        }
        for team in 1..=self.teams {
            let reps = (0..self.options.reps)
                .filter(|rep| self.team_of(*rep) + 1 == team)
                .count();
            let revenue = weekly_revenue * 4 * months * reps as i64;
            data.targets.push(target(
                format!("t-team-{team}-{label}-rev"),
                SubjectKind::Team,
                Some(format!("team-{team}")),
                KpiKey::Revenue,
                &period,
                Decimal::new(revenue * 100, 2),
                Some(Decimal::new(revenue * 80, 2)),
                Some(Decimal::new(revenue * 50, 2)),
            ));
        }
    }

    /// Everything the reps in `reps` (0-based) did, each from their own seeded generator,
    /// so the data does not depend on how it is chunked.
    fn reps_records(&self, reps: std::ops::Range<usize>) -> Dataset {
        let mut data = Dataset {
            format: FORMAT.to_owned(),
            ..Dataset::default()
        };
        for rep in reps {
            let mut rng = StdRng::seed_from_u64(
                self.options
                    .seed
                    .wrapping_mul(1_000_003)
                    .wrapping_add(rep as u64),
            );
            self.rep_records(&mut data, rep + 1, &mut rng);
        }
        data
    }

    fn rep_records(&self, data: &mut Dataset, rep: usize, rng: &mut StdRng) {
        let rep_id = format!("rep-{rep}");
        let now = self.options.now;
        let span = now - self.start;
        let random_instant = |rng: &mut StdRng, from: DateTime<Utc>, to: DateTime<Utc>| {
            let seconds = (to - from).num_seconds().max(1);
            from + Duration::seconds(rng.gen_range(0..seconds))
        };

        let customers = 8 + self.options.weeks as usize / 6;
        for number in 0..customers {
            let created_at =
                random_instant(rng, self.start - Duration::days(365), self.start + span / 2);
            data.customers.push(CustomerRecord {
                id: format!("c-{rep}-{number}"),
                name: format!(
                    "{} {}",
                    COMPANY_WORDS[rng.gen_range(0..COMPANY_WORDS.len())],
                    COMPANY_KINDS[number % COMPANY_KINDS.len()]
                ),
                segment: [
                    Segment::KeyAccount,
                    Segment::MidMarket,
                    Segment::Smb,
                    Segment::Smb,
                ][rng.gen_range(0..4)],
                owner_id: rep_id.clone(),
                created_at,
            });
        }
        let customer_id = |rng: &mut StdRng| data_customer(rep, rng.gen_range(0..customers));

        for week in 0..self.options.weeks {
            let week_start = self.start + Duration::weeks(i64::from(week));
            let week_end = (week_start + Duration::weeks(1)).min(now);

            let lead_id = format!("l-{rep}-{week}");
            let created_at = random_instant(rng, week_start, week_end);
            let converted = rng.gen_bool(0.3) && created_at + Duration::days(10) < now;
            data.leads.push(LeadRecord {
                id: lead_id.clone(),
                owner_id: rep_id.clone(),
                source: LEAD_SOURCES[rng.gen_range(0..LEAD_SOURCES.len())],
                created_at,
                status: if converted {
                    LeadStatus::Converted
                } else {
                    [
                        LeadStatus::Open,
                        LeadStatus::Qualified,
                        LeadStatus::Disqualified,
                    ][rng.gen_range(0..3)]
                },
                converted_at: converted.then(|| created_at + Duration::days(rng.gen_range(1..10))),
                customer_id: converted.then(|| customer_id(rng)),
            });

            let deals = rng.gen_range(0..=2 * self.options.deals_per_week);
            for number in 0..deals {
                let created_at = random_instant(rng, week_start, week_end);
                let cycle = Duration::days(rng.gen_range(5..90))
                    + Duration::seconds(rng.gen_range(0..86_400));
                let closes = created_at + cycle;
                let roll = rng.gen_range(0..100);
                let (status, stage, closed_at) = if closes < now && roll < 45 {
                    (DealStatus::Won, DealStage::Won, Some(closes))
                } else if closes < now && roll < 70 {
                    (DealStatus::Lost, DealStage::Lost, Some(closes))
                } else {
                    (
                        DealStatus::Open,
                        OPEN_STAGES[rng.gen_range(0..OPEN_STAGES.len())],
                        None,
                    )
                };
                let amount = Decimal::new(rng.gen_range(500_000..20_000_000), 2);
                let proposal_sent_at = rng
                    .gen_bool(0.7)
                    .then(|| created_at + cycle / 3)
                    .filter(|at| *at < now);
                let deal_id = format!("d-{rep}-{week}-{number}");
                let customer = customer_id(rng);
                data.deals.push(DealRecord {
                    id: deal_id.clone(),
                    owner_id: rep_id.clone(),
                    customer_id: customer.clone(),
                    lead_id: (number == 0 && converted).then(|| lead_id.clone()),
                    name: format!(
                        "{} - {}",
                        DEAL_KINDS[rng.gen_range(0..DEAL_KINDS.len())],
                        week + 1
                    ),
                    amount,
                    cost: rng
                        .gen_bool(0.8)
                        .then(|| (amount * Decimal::new(rng.gen_range(50..85), 2)).round_dp(2)),
                    stage,
                    status,
                    created_at,
                    expected_close_on: Some(self.local_date(closes)),
                    proposal_sent_at,
                    proposal_co_created: proposal_sent_at.is_some() && rng.gen_bool(0.4),
                    closed_at,
                });
                if let (DealStatus::Won, Some(closed_at)) = (status, closed_at) {
                    let invoice_id = format!("i-{rep}-{week}-{number}");
                    let due_on = self.local_date(closed_at + Duration::days(30));
                    data.invoices.push(InvoiceRecord {
                        id: invoice_id.clone(),
                        deal_id: Some(deal_id),
                        customer_id: customer,
                        owner_id: rep_id.clone(),
                        amount,
                        due_on,
                    });
                    let received = closed_at + Duration::days(rng.gen_range(5..60));
                    if received < now && rng.gen_bool(0.85) {
                        data.payments.push(PaymentRecord {
                            id: format!("p-{rep}-{week}-{number}"),
                            invoice_id,
                            amount,
                            received_on: self.local_date(received),
                        });
                    }
                }
            }

            let activities = rng.gen_range(
                self.options.activities_per_week / 2..=self.options.activities_per_week * 3 / 2,
            );
            for number in 0..activities {
                let kind = ACTIVITY_KINDS[rng.gen_range(0..ACTIVITY_KINDS.len())];
                data.activities.push(ActivityRecord {
                    id: format!("a-{rep}-{week}-{number}"),
                    rep_id: rep_id.clone(),
                    kind,
                    occurred_at: random_instant(rng, week_start, week_end),
                    customer_id: rng.gen_bool(0.8).then(|| customer_id(rng)),
                    deal_id: None,
                    quality: kind == ActivityKind::Visit && rng.gen_bool(0.4),
                    duration_minutes: rng.gen_range(5..120),
                    notes: String::new(),
                    client_ref: Uuid::from_u128(rng.r#gen()),
                });
            }

            if week % 2 == 0 {
                data.survey_responses.push(SurveyResponseRecord {
                    id: format!("s-{rep}-{week}"),
                    customer_id: customer_id(rng),
                    rep_id: rep_id.clone(),
                    score: [2, 3, 4, 4, 5][rng.gen_range(0..5)],
                    responded_at: random_instant(rng, week_start, week_end),
                });
            }
            if week % 4 == 0 {
                let rater = format!("mgr-{}", self.team_of(rep - 1) + 1);
                for category in [RatingCategory::Collaboration, RatingCategory::Capability] {
                    data.ratings.push(RatingRecord {
                        id: format!("r-{rep}-{week}-{}", category.as_str()),
                        rep_id: rep_id.clone(),
                        category,
                        score: rng.gen_range(2..=5),
                        rated_on: self.local_date(random_instant(rng, week_start, week_end)),
                        rater_id: rater.clone(),
                    });
                }
            }
        }
    }
}

fn data_customer(rep: usize, number: usize) -> String {
    format!("c-{rep}-{number}")
}

fn membership(
    rep: &str,
    team: usize,
    from: DateTime<Utc>,
    to: Option<DateTime<Utc>>,
) -> MembershipRecord {
    MembershipRecord {
        user_id: rep.to_owned(),
        team_id: format!("team-{team}"),
        valid_from: from,
        valid_to: to,
    }
}

#[allow(clippy::too_many_arguments)]
fn target(
    id: String,
    subject_kind: SubjectKind,
    subject_id: Option<String>,
    kpi: KpiKey,
    period: &PeriodRecord,
    target: Decimal,
    baseline: Option<Decimal>,
    floor: Option<Decimal>,
) -> TargetRecord {
    TargetRecord {
        id,
        subject_kind,
        subject_id,
        kpi,
        period: period.clone(),
        target,
        baseline,
        floor,
    }
}

/// The rep scheme of seed 003 (40/25/20/10/5) and a team scheme.
fn schemes(effective_from: NaiveDate) -> Vec<SchemeRecord> {
    let tiers = || {
        [("90", "1.2"), ("70", "1.0"), ("0", "0.8")]
            .iter()
            .map(|(min, multiplier)| BonusTierRecord {
                min_score: min.parse().unwrap_or_default(),
                multiplier: multiplier.parse().unwrap_or_default(),
            })
            .collect()
    };
    let items = |weights: &[(KpiKey, i32)]| {
        weights
            .iter()
            .map(|(kpi, weight)| SchemeItemRecord {
                kpi: *kpi,
                weight: *weight,
            })
            .collect()
    };
    vec![
        SchemeRecord {
            id: "scheme-rep".to_owned(),
            name: "Rep scorecard".to_owned(),
            applies_to: AppliesTo::Rep,
            effective_from,
            cap: Decimal::new(12, 1),
            bonus_tiers: tiers(),
            items: items(&[
                (KpiKey::Revenue, 40),
                (KpiKey::RetentionRate, 25),
                (KpiKey::LeadConversionRate, 20),
                (KpiKey::CollaborationScore, 10),
                (KpiKey::CapabilityScore, 5),
            ]),
        },
        SchemeRecord {
            id: "scheme-team".to_owned(),
            name: "Team scorecard".to_owned(),
            applies_to: AppliesTo::Team,
            effective_from,
            cap: Decimal::new(12, 1),
            bonus_tiers: tiers(),
            items: items(&[
                (KpiKey::Revenue, 40),
                (KpiKey::CollectionRate, 20),
                (KpiKey::NewCustomers, 15),
                (KpiKey::WinRate, 15),
                (KpiKey::Cac, 10),
            ]),
        },
    ]
}

fn first_of_month(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn next_month(first: NaiveDate) -> NaiveDate {
    let (year, month) = if first.month() == 12 {
        (first.year() + 1, 1)
    } else {
        (first.year(), first.month() + 1)
    };
    NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(first)
}

const OPEN_STAGES: [DealStage; 4] = [
    DealStage::Prospecting,
    DealStage::Qualification,
    DealStage::Proposal,
    DealStage::Negotiation,
];
const LEAD_SOURCES: [LeadSource; 6] = [
    LeadSource::Website,
    LeadSource::Referral,
    LeadSource::Event,
    LeadSource::Partner,
    LeadSource::Outbound,
    LeadSource::Other,
];
/// Visits and calls most often, as in the field.
const ACTIVITY_KINDS: [ActivityKind; 12] = [
    ActivityKind::Visit,
    ActivityKind::Visit,
    ActivityKind::Visit,
    ActivityKind::Call,
    ActivityKind::Call,
    ActivityKind::Call,
    ActivityKind::Email,
    ActivityKind::Message,
    ActivityKind::Meeting,
    ActivityKind::Demo,
    ActivityKind::FollowUp,
    ActivityKind::Other,
];
const COMPANY_WORDS: [&str; 12] = [
    "Xinsheng", "Mingxing", "Huaxia", "Jinqiao", "Tianrui", "Hongda", "Yuanfang", "Lianhe",
    "Baosheng", "Kaiyuan", "Zhongxin", "Haitian",
];
const COMPANY_KINDS: [&str; 5] = ["Logistics", "Retail", "Foods", "Machinery", "Pharma"];
const DEAL_KINDS: [&str; 4] = ["New order", "Renewal", "Upgrade", "Expansion"];
