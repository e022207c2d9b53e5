//! Building the application: the database, the token service, the schema and the HTTP
//! server that serves them.

use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{App, HttpServer, web};
use anyhow::Context;
use attain_core::db;
use attain_core::demo::{self, DemoOptions, DemoReport};
use attain_core::tenancy;
use attain_entity::organization;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use secrecy::ExposeSecret;

use crate::auth::Tokens;
use crate::config::{Config, Environment};
use crate::graphql::{Services, build_schema};
use crate::limits::RequestRate;
use crate::metrics::Metrics;
use crate::{export, routes};

/// A bound, not yet running server.
pub struct Application {
    port: u16,
    server: Server,
    services: Services,
}

impl Application {
    /// Connects to and migrates the database (and connects to the read-only replica when
    /// configured), then binds the server.
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        let db = connect(config).await?;
        let read = connect_read(config).await?.unwrap_or_else(|| db.clone());
        Application::build_with_read(config, db, read)
    }

    /// Binds the server over an open, migrated database that also serves the reads.
    pub fn build_with(config: &Config, db: DatabaseConnection) -> anyhow::Result<Application> {
        Application::build_with_read(config, db.clone(), db)
    }

    /// Binds the server over an open, migrated primary and a connection for the reads.
    pub fn build_with_read(
        config: &Config,
        db: DatabaseConnection,
        read: DatabaseConnection,
    ) -> anyhow::Result<Application> {
        let tokens = Arc::new(Tokens::from_config(config)?);
        let services = Services { db, read, tokens };
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .with_context(|| format!("binding {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
        let development = config.environment == Environment::Development;
        let schema = web::Data::new(build_schema(services.clone(), &config.limits, !development));
        let shared = web::Data::new(services.clone());
        let guard = web::Data::new(routes::Guard {
            limits: config.limits,
            rate: RequestRate::new(
                config.limits.requests_per_minute,
                (config.limits.shared_rate_limit && db::is_postgres(&services.db))
                    .then(|| services.db.clone()),
            ),
            metrics: Metrics::new(),
        });
        let body_limit = usize::try_from(config.limits.max_body_bytes).unwrap_or(usize::MAX);
        let origins = config.cors_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(cors(&origins))
                .wrap_fn(routes::with_request_id)
                .app_data(web::PayloadConfig::new(body_limit))
                .app_data(schema.clone())
                .app_data(shared.clone())
                .app_data(guard.clone())
                .app_data(web::Data::new(routes::DevelopmentTools(development)))
                .configure(routes::configure)
                .configure(export::configure)
        })
        .listen(listener)?
        .run();
        Ok(Application {
            port,
            server,
            services,
        })
    }

    /// The port the server listens on (useful when configured as 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The services the server shares with its resolvers.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// Serves until SIGINT or SIGTERM, then finishes the requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Cross-origin access for the configured browser origins only (none by default: browsers
/// then refuse cross-origin calls).
fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::HeaderName::from_static("x-request-id"),
            header::HeaderName::from_static(routes::READ_FROM),
        ])
        .expose_headers([header::HeaderName::from_static("x-request-id")])
        .max_age(3600)
}

/// Opens and migrates the configured database.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let db = db::connect(
        config.database_url.expose_secret(),
        config.database_max_connections,
    )
    .await?;
    db::migrate(&db).await?;
    Ok(db)
}

/// Connects to the read-only replica of `DATABASE_READ_URL`, if configured (never
/// migrated: it follows the primary).
pub async fn connect_read(config: &Config) -> anyhow::Result<Option<DatabaseConnection>> {
    let Some(url) = config.database_read_url.as_ref() else {
        return Ok(None);
    };
    let db = db::connect(url.expose_secret(), config.database_max_connections)
        .await
        .context("connecting to DATABASE_READ_URL")?;
    Ok(Some(db))
}

/// On the embedded default's first start (no organization yet), fills the demo.
pub async fn seed_demo_on_first_start(
    config: &Config,
    db: &DatabaseConnection,
) -> anyhow::Result<Option<DemoReport>> {
    if !config.is_embedded() || !config.demo || config.environment == Environment::Production {
        return Ok(None);
    }
    if tenancy::as_system(organization::Entity::find().count(db)).await? > 0 {
        return Ok(None);
    }
    let report = demo::seed(db, &DemoOptions::default(), |_, _| {}).await?;
    Ok(Some(report))
}
