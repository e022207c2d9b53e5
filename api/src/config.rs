//! Configuration from `ATTAIN_*` environment variables and `DATABASE_URL`, with secrets
//! wrapped so that they never print.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::{Context, bail};
use secrecy::{ExposeSecret, SecretString};

/// Development serves GraphiQL and the demo; production refuses to start without a
/// configured signing secret or key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

/// What one request may ask for; every limit is configurable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest request body (bytes).
    pub max_body_bytes: u64,
    /// The deepest selection.
    pub max_depth: u64,
    /// The largest complexity: a field costs 1, a list or page its size times its items.
    pub max_complexity: u64,
    /// The most aliased fields in one document.
    pub max_aliases: u64,
    /// The most root fields in the operation run.
    pub max_root_fields: u64,
    /// How long a request may run.
    pub request_timeout_ms: u64,
    /// Requests per minute per token (per client address without one).
    pub requests_per_minute: u64,
    /// Whether PostgreSQL also counts the requests, so the limit holds across instances.
    pub shared_rate_limit: bool,
}

/// How tokens are signed and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JwtAlgorithm {
    Hs256,
    Rs256,
    Es256,
}

/// The effective configuration.
#[derive(Clone, Debug)]
pub struct Config {
    pub environment: Environment,
    pub host: String,
    pub port: u16,
    /// Where the embedded default keeps its database and generated secret.
    pub data_dir: PathBuf,
    pub database_url: SecretString,
    /// Whether `DATABASE_URL` was given (otherwise the embedded SQLite file is used).
    pub database_configured: bool,
    /// A read-only replica of the database (`DATABASE_READ_URL`) that serves the queries.
    pub database_read_url: Option<SecretString>,
    pub database_max_connections: u32,
    pub jwt_algorithm: JwtAlgorithm,
    /// The HS256 secret; generated and kept in `data_dir` when absent in development.
    pub jwt_secret: Option<SecretString>,
    /// PEM of the public key that verifies RS256/ES256 tokens.
    pub jwt_public_key: Option<String>,
    /// PEM of the private key that signs RS256/ES256 tokens issued here (optional: without
    /// it, tokens come only from the external identity provider).
    pub jwt_private_key: Option<SecretString>,
    /// The id (`kid`) of the signing key, written in the tokens issued here.
    pub jwt_key_id: String,
    /// Keys that still verify tokens after a rotation, by id: HS256 secrets, or public key
    /// PEMs for RS256/ES256.
    pub jwt_previous_keys: Vec<(String, SecretString)>,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    pub token_ttl_seconds: u64,
    pub partner_token_ttl_seconds: u64,
    /// Whether the embedded default fills a demo organization on first start.
    pub demo: bool,
    /// What one request may ask for.
    pub limits: Limits,
    /// Browser origins allowed to call the API (CORS); none by default.
    pub cors_origins: Vec<String>,
    pub log_format_json: bool,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> anyhow::Result<Config> {
        Config::from_vars(std::env::vars().collect())
    }

    /// Reads a set of variables (the environment, or a test's own).
    pub fn from_vars(vars: BTreeMap<String, String>) -> anyhow::Result<Config> {
        let get = |name: &str| vars.get(name).filter(|value| !value.is_empty()).cloned();
        let parse = |name: &str, default: &str| get(name).unwrap_or_else(|| default.to_owned());
        let environment = match parse("ATTAIN_ENV", "development").as_str() {
            "development" => Environment::Development,
            "production" => Environment::Production,
            other => bail!("ATTAIN_ENV must be development or production, not {other:?}"),
        };
        let data_dir = PathBuf::from(parse("ATTAIN_DATA_DIR", "data"));
        let database_configured = get("DATABASE_URL").is_some();
        let database_url = get("DATABASE_URL").unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", data_dir.join("attain.db").display())
        });
        let jwt_algorithm = match parse("ATTAIN_JWT_ALGORITHM", "HS256").as_str() {
            "HS256" => JwtAlgorithm::Hs256,
            "RS256" => JwtAlgorithm::Rs256,
            "ES256" => JwtAlgorithm::Es256,
            other => bail!("ATTAIN_JWT_ALGORITHM must be HS256, RS256 or ES256, not {other:?}"),
        };
        let read_key = |name: &str| -> anyhow::Result<Option<String>> {
            match get(name) {
                Some(value) if value.contains("-----BEGIN") => Ok(Some(value)),
                Some(path) => std::fs::read_to_string(&path)
                    .map(Some)
                    .with_context(|| format!("reading {name} from {path}")),
                None => Ok(None),
            }
        };
        let number = |name: &str, default: &str| -> anyhow::Result<u64> {
            parse(name, default)
                .parse()
                .with_context(|| format!("{name} must be a whole number"))
        };
        let config = Config {
            environment,
            host: parse("ATTAIN_HOST", "127.0.0.1"),
            port: parse("ATTAIN_PORT", "8080")
                .parse()
                .context("ATTAIN_PORT")?,
            data_dir,
            database_url: database_url.into(),
            database_configured,
            database_read_url: get("DATABASE_READ_URL").map(Into::into),
            database_max_connections: parse("ATTAIN_DB_MAX_CONNECTIONS", "10")
                .parse()
                .context("ATTAIN_DB_MAX_CONNECTIONS")?,
            jwt_algorithm,
            jwt_secret: get("ATTAIN_JWT_SECRET").map(SecretString::from),
            jwt_public_key: read_key("ATTAIN_JWT_PUBLIC_KEY")?,
            jwt_private_key: read_key("ATTAIN_JWT_PRIVATE_KEY")?.map(SecretString::from),
            jwt_key_id: parse("ATTAIN_JWT_KEY_ID", "k1"),
            jwt_previous_keys: match get("ATTAIN_JWT_PREVIOUS_KEYS") {
                None => Vec::new(),
                Some(list) => list
                    .split(';')
                    .map(str::trim)
                    .filter(|entry| !entry.is_empty())
                    .map(|entry| {
                        let (kid, key) = entry.split_once('=').context(
                            "ATTAIN_JWT_PREVIOUS_KEYS entries are kid=secret (or kid=PEM file)",
                        )?;
                        let key =
                            if jwt_algorithm == JwtAlgorithm::Hs256 || key.contains("-----BEGIN") {
                                key.to_owned()
                            } else {
                                std::fs::read_to_string(key)
                                    .with_context(|| format!("reading the key {kid} from {key}"))?
                            };
                        Ok((kid.trim().to_owned(), SecretString::from(key)))
                    })
                    .collect::<anyhow::Result<_>>()?,
            },
            jwt_issuer: parse("ATTAIN_JWT_ISSUER", "attain"),
            jwt_audience: parse("ATTAIN_JWT_AUDIENCE", "attain-api"),
            token_ttl_seconds: parse("ATTAIN_TOKEN_TTL_SECONDS", "3600")
                .parse()
                .context("ATTAIN_TOKEN_TTL_SECONDS")?,
            partner_token_ttl_seconds: parse("ATTAIN_PARTNER_TOKEN_TTL_SECONDS", "900")
                .parse()
                .context("ATTAIN_PARTNER_TOKEN_TTL_SECONDS")?,
            demo: parse("ATTAIN_DEMO", "true") == "true",
            limits: Limits {
                max_body_bytes: number("ATTAIN_MAX_BODY_BYTES", "1048576")?,
                max_depth: number("ATTAIN_MAX_DEPTH", "12")?,
                max_complexity: number("ATTAIN_MAX_COMPLEXITY", "20000")?,
                max_aliases: number("ATTAIN_MAX_ALIASES", "30")?,
                max_root_fields: number("ATTAIN_MAX_ROOT_FIELDS", "20")?,
                request_timeout_ms: number("ATTAIN_REQUEST_TIMEOUT_MS", "30000")?,
                requests_per_minute: number("ATTAIN_RATE_LIMIT_PER_MINUTE", "600")?,
                shared_rate_limit: match parse("ATTAIN_RATE_LIMIT_SHARED", "true").as_str() {
                    "true" => true,
                    "false" => false,
                    other => bail!("ATTAIN_RATE_LIMIT_SHARED must be true or false, not {other:?}"),
                },
            },
            cors_origins: get("ATTAIN_CORS_ORIGINS")
                .map(|origins| {
                    origins
                        .split(',')
                        .map(|origin| origin.trim().to_owned())
                        .filter(|origin| !origin.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            log_format_json: parse("ATTAIN_LOG_FORMAT", "text") == "json",
        };
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> anyhow::Result<()> {
        match self.jwt_algorithm {
            JwtAlgorithm::Hs256 => {
                if self.environment == Environment::Production && self.jwt_secret.is_none() {
                    bail!("production needs ATTAIN_JWT_SECRET (or an RS256/ES256 public key)");
                }
                if self
                    .jwt_secret
                    .as_ref()
                    .is_some_and(|s| s.expose_secret().len() < 32)
                {
                    bail!("ATTAIN_JWT_SECRET must be at least 32 characters");
                }
            }
            JwtAlgorithm::Rs256 | JwtAlgorithm::Es256 => {
                if self.jwt_public_key.is_none() {
                    bail!("RS256 and ES256 need ATTAIN_JWT_PUBLIC_KEY (PEM text or a file path)");
                }
            }
        }
        Ok(())
    }

    /// Whether this is the embedded default: a SQLite file under the data folder.
    pub fn is_embedded(&self) -> bool {
        !self.database_configured
    }

    /// The effective configuration as `name = value` lines, secrets masked.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let masked = |present: bool| if present { "****" } else { "(not set)" }.to_owned();
        vec![
            (
                "ATTAIN_ENV",
                format!("{:?}", self.environment).to_lowercase(),
            ),
            ("ATTAIN_HOST", self.host.clone()),
            ("ATTAIN_PORT", self.port.to_string()),
            ("ATTAIN_DATA_DIR", self.data_dir.display().to_string()),
            ("DATABASE_URL", mask_url(self.database_url.expose_secret())),
            (
                "DATABASE_READ_URL",
                self.database_read_url.as_ref().map_or_else(
                    || "(the primary)".to_owned(),
                    |url| mask_url(url.expose_secret()),
                ),
            ),
            (
                "ATTAIN_DB_MAX_CONNECTIONS",
                self.database_max_connections.to_string(),
            ),
            (
                "ATTAIN_JWT_ALGORITHM",
                format!("{:?}", self.jwt_algorithm).to_uppercase(),
            ),
            (
                "ATTAIN_JWT_SECRET",
                match (&self.jwt_secret, self.jwt_algorithm) {
                    (Some(_), _) => masked(true),
                    (None, JwtAlgorithm::Hs256) => {
                        "(generated, kept in the data folder)".to_owned()
                    }
                    (None, _) => masked(false),
                },
            ),
            (
                "ATTAIN_JWT_PUBLIC_KEY",
                masked(self.jwt_public_key.is_some()),
            ),
            (
                "ATTAIN_JWT_PRIVATE_KEY",
                masked(self.jwt_private_key.is_some()),
            ),
            ("ATTAIN_JWT_KEY_ID", self.jwt_key_id.clone()),
            (
                "ATTAIN_JWT_PREVIOUS_KEYS",
                self.jwt_previous_keys
                    .iter()
                    .map(|(kid, _)| format!("{kid}=****"))
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            ("ATTAIN_JWT_ISSUER", self.jwt_issuer.clone()),
            ("ATTAIN_JWT_AUDIENCE", self.jwt_audience.clone()),
            (
                "ATTAIN_TOKEN_TTL_SECONDS",
                self.token_ttl_seconds.to_string(),
            ),
            (
                "ATTAIN_PARTNER_TOKEN_TTL_SECONDS",
                self.partner_token_ttl_seconds.to_string(),
            ),
            ("ATTAIN_DEMO", self.demo.to_string()),
            (
                "ATTAIN_LOG_FORMAT",
                if self.log_format_json { "json" } else { "text" }.to_owned(),
            ),
            (
                "ATTAIN_MAX_BODY_BYTES",
                self.limits.max_body_bytes.to_string(),
            ),
            ("ATTAIN_MAX_DEPTH", self.limits.max_depth.to_string()),
            (
                "ATTAIN_MAX_COMPLEXITY",
                self.limits.max_complexity.to_string(),
            ),
            ("ATTAIN_MAX_ALIASES", self.limits.max_aliases.to_string()),
            (
                "ATTAIN_MAX_ROOT_FIELDS",
                self.limits.max_root_fields.to_string(),
            ),
            (
                "ATTAIN_REQUEST_TIMEOUT_MS",
                self.limits.request_timeout_ms.to_string(),
            ),
            (
                "ATTAIN_RATE_LIMIT_PER_MINUTE",
                self.limits.requests_per_minute.to_string(),
            ),
            (
                "ATTAIN_RATE_LIMIT_SHARED",
                self.limits.shared_rate_limit.to_string(),
            ),
            ("ATTAIN_CORS_ORIGINS", self.cors_origins.join(",")),
        ]
    }
}

/// A database URL with its password replaced by `****`.
fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:****@{host}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn with_nothing_set_it_serves_sqlite_on_localhost() {
        let config = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(config.host, "127.0.0.1");
        assert_eq!(config.port, 8080);
        assert!(config.is_embedded());
        assert_eq!(
            config.database_url.expose_secret(),
            "sqlite://data/attain.db?mode=rwc"
        );
    }

    #[test]
    fn production_refuses_to_start_without_a_secret() {
        assert!(Config::from_vars(vars(&[("ATTAIN_ENV", "production")])).is_err());
        let secret = "0123456789abcdef0123456789abcdef";
        let config = Config::from_vars(vars(&[
            ("ATTAIN_ENV", "production"),
            ("ATTAIN_JWT_SECRET", secret),
        ]))
        .unwrap();
        assert_eq!(config.environment, Environment::Production);
    }

    #[test]
    fn secrets_never_show_in_the_description() {
        let secret = "0123456789abcdef0123456789abcdef";
        let config = Config::from_vars(vars(&[
            ("ATTAIN_JWT_SECRET", secret),
            ("DATABASE_URL", "postgres://attain:hunter2@db:5432/attain"),
        ]))
        .unwrap();
        let text = format!("{:?} {:?}", config.describe(), config);
        assert!(!text.contains(secret));
        assert!(!text.contains("hunter2"));
        assert!(text.contains("postgres://attain:****@db:5432/attain"));
    }
}
