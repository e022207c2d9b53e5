//! The `attain` command line: serve (the default), migrate, seed-demo, import, token,
//! check-config and schema.

use std::path::{Path, PathBuf};

use anyhow::Context;
use attain_core::access::Role;
use attain_core::demo::{self, DemoOptions, DemoReport};
use attain_core::identity;
use attain_core::import::{self, Dataset};
use attain_core::tenancy;
use attain_entity::organization;
use chrono::Utc;
use clap::{Args, Parser, Subcommand};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use crate::auth::Tokens;
use crate::config::Config;
use crate::graphql::sdl;
use crate::startup::{self, Application};
use crate::telemetry;

/// Attain: exact, explainable sales-performance KPIs over GraphQL.
#[derive(Parser, Debug)]
#[command(name = "attain", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Generate a demo organization of any size.
    SeedDemo(SeedDemoArgs),
    /// Load a data set in the bulk-import format into a new organization.
    Import(ImportArgs),
    /// Mint a token for a user, for scripts.
    Token(TokenArgs),
    /// Print the effective configuration, secrets masked.
    CheckConfig,
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Args, Debug)]
pub struct SeedDemoArgs {
    /// Number of reps (teams of ten, regions of ten teams).
    #[arg(long, default_value_t = 12)]
    pub reps: usize,
    /// Weeks of history, ending now.
    #[arg(long, default_value_t = 52)]
    pub weeks: u32,
    /// Seed of the generator: the same seed gives the same records.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Average activities per rep and week.
    #[arg(long, default_value_t = 12)]
    pub activities_per_week: u32,
    /// Average new deals per rep and week.
    #[arg(long, default_value_t = 2)]
    pub deals_per_week: u32,
    /// The organization's name.
    #[arg(long, default_value = "Attain Demo Trading")]
    pub name: String,
    /// The password of every demo user.
    #[arg(long, default_value = demo::DEFAULT_PASSWORD)]
    pub password: String,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The data set (JSON, format attain-dataset/2).
    pub file: PathBuf,
    /// Where to write the map from the file's ids to the stored ids
    /// (default: FILE's name with `.ids.json`, in the current folder).
    #[arg(long)]
    pub id_map: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct TokenArgs {
    /// The user's email.
    #[arg(long)]
    pub email: String,
    /// The organization id, when the email exists in several.
    #[arg(long)]
    pub organization: Option<Uuid>,
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Schema = command {
        print!("{}", sdl());
        return Ok(());
    }
    let config = Config::from_env()?;
    telemetry::init(config.log_format_json);
    // The command line is the operator's: it sees every organization. The server's
    // requests run in their callers' organizations.
    tenancy::as_system(dispatch(&config, command)).await
}

async fn dispatch(config: &Config, command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            startup::connect(config).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::SeedDemo(args) => seed_demo(config, args).await,
        Command::Import(args) => import_file(config, args).await,
        Command::Token(args) => token(config, args).await,
        Command::CheckConfig => {
            for (name, value) in config.describe() {
                println!("{name} = {value}");
            }
            Ok(())
        }
        Command::Schema => unreachable!("handled above"),
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let db = startup::connect(config).await?;
    if let Some(report) = startup::seed_demo_on_first_start(config, &db).await? {
        tracing::info!(organization = %report.organization_id, "demo organization created");
    }
    let read = startup::connect_read(config)
        .await?
        .unwrap_or_else(|| db.clone());
    let application = Application::build_with_read(config, db.clone(), read)?;
    let address = format!("http://{}:{}", config.host, application.port());
    println!("Attain listens on {address}/graphql (GraphiQL in a browser)");
    if config.is_embedded() {
        print_demo_logins(config, &db, &address).await?;
    }
    application.run_until_stopped().await?;
    Ok(())
}

/// Prints the demo logins and a header to paste into GraphiQL, when the demo exists.
async fn print_demo_logins(
    config: &Config,
    db: &DatabaseConnection,
    address: &str,
) -> anyhow::Result<()> {
    let Some(demo) = organization::Entity::find()
        .filter(organization::Column::ExternalId.eq(demo::ORGANIZATION_EXTERNAL_ID))
        .one(db)
        .await?
    else {
        return Ok(());
    };
    let logins = demo::logins();
    let admin = identity::find_by_email(db, &logins[0].0, Some(demo.id)).await?;
    let tokens = Tokens::from_config(config)?;
    let issued = tokens.issue(demo.id, admin.id, Role::Admin)?;
    println!();
    println!(
        "Demo organization \"{}\" — every demo user's password is {}:",
        demo.name,
        demo::DEFAULT_PASSWORD
    );
    for (email, role) in &logins {
        println!("  {:<8} {email}", role.as_str());
    }
    println!();
    println!("Paste into GraphiQL's Headers tab ({address}/graphql), valid for an hour:");
    println!("  {{\"Authorization\": \"Bearer {}\"}}", issued.token);
    println!("Then run: {{ me {{ role user {{ displayName email }} organization {{ name }} }} }}");
    Ok(())
}

async fn seed_demo(config: &Config, args: SeedDemoArgs) -> anyhow::Result<()> {
    let db = startup::connect(config).await?;
    let options = DemoOptions {
        name: args.name,
        reps: args.reps,
        weeks: args.weeks,
        seed: args.seed,
        activities_per_week: args.activities_per_week,
        deals_per_week: args.deals_per_week,
        password: args.password,
        now: Utc::now(),
    };
    let started = std::time::Instant::now();
    let report: DemoReport = demo::seed(&db, &options, |done, all| {
        eprintln!("  {done}/{all} reps ({:.0?})", started.elapsed());
    })
    .await?;
    println!("organization {}", report.organization_id);
    for (name, count) in &report.counts {
        println!("  {name:<17} {count}");
    }
    println!("logins (password {}):", options.password);
    for (email, role) in &report.logins {
        println!("  {:<8} {email}", role.as_str());
    }
    println!("took {:.1?}", started.elapsed());
    Ok(())
}

async fn import_file(config: &Config, args: ImportArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))?;
    let dataset = Dataset::from_json(&text)?;
    let db = startup::connect(config).await?;
    let name = format!("import of {}", file_name(&args.file));
    let report = import::import(&db, &dataset, &name).await?;
    let id_map = args.id_map.unwrap_or_else(|| default_id_map(&args.file));
    std::fs::write(&id_map, serde_json::to_string_pretty(&report.ids)?)
        .with_context(|| format!("writing {}", id_map.display()))?;
    println!("organization {}", report.organization_id);
    println!("id map written to {}", id_map.display());
    println!(
        "users (no passwords; mint a token with `attain token --email EMAIL --organization {}`):",
        report.organization_id
    );
    for (email, role) in &report.logins {
        println!("  {role:<8} {email}");
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn default_id_map(file: &Path) -> PathBuf {
    let stem = file
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    PathBuf::from(format!("{stem}.ids.json"))
}

async fn token(config: &Config, args: TokenArgs) -> anyhow::Result<()> {
    let db = startup::connect(config).await?;
    let user = identity::find_by_email(&db, &args.email, args.organization).await?;
    let tokens = Tokens::from_config(config)?;
    let issued = tokens.issue(user.organization_id, user.id, user.role.into())?;
    println!("{}", issued.token);
    Ok(())
}
