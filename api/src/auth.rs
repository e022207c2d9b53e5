//! Bearer tokens: issuing them after a login, and turning a request's token into the
//! caller's [`Principal`]. The algorithm is pinned by configuration; a token signed any
//! other way, expired, not yet valid, or for another issuer or audience is refused.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;
use attain_core::access::Role;
use attain_core::identity::SubjectKind;
use attain_core::{CoreError, CoreResult};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::config::{Config, JwtAlgorithm};

/// The claims of an Attain token.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Claims {
    /// The user's or partner client's id.
    pub sub: String,
    /// The organization's id.
    pub org: String,
    /// The role at issue time; informative only: the database decides.
    pub role: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
    pub jti: String,
}

/// Signs and verifies tokens.
pub struct Tokens {
    algorithm: Algorithm,
    encoding: Option<EncodingKey>,
    /// The id (`kid`) of the current key, which signs the tokens issued here.
    key_id: String,
    /// Verification keys by id: the current one and those kept while their tokens live.
    decoding: HashMap<String, DecodingKey>,
    validation: Validation,
    issuer: String,
    audience: String,
    user_ttl: i64,
    partner_ttl: i64,
}

/// A freshly issued token.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
}

impl Tokens {
    /// Keys from the configuration; for HS256 without a configured secret, the secret
    /// kept in the data folder (made on first use, readable by its owner only).
    pub fn from_config(config: &Config) -> anyhow::Result<Tokens> {
        let (algorithm, encoding, decoding) = match config.jwt_algorithm {
            JwtAlgorithm::Hs256 => {
                let secret = match &config.jwt_secret {
                    Some(secret) => secret.clone(),
                    None => stored_secret(&config.data_dir.join("jwt-secret"))?,
                };
                let bytes = secret.expose_secret().as_bytes();
                (
                    Algorithm::HS256,
                    Some(EncodingKey::from_secret(bytes)),
                    DecodingKey::from_secret(bytes),
                )
            }
            JwtAlgorithm::Rs256 | JwtAlgorithm::Es256 => {
                let public = config
                    .jwt_public_key
                    .as_deref()
                    .unwrap_or_default()
                    .as_bytes();
                let private = config
                    .jwt_private_key
                    .as_ref()
                    .map(|key| key.expose_secret().as_bytes().to_vec());
                if config.jwt_algorithm == JwtAlgorithm::Rs256 {
                    let encoding = private
                        .map(|pem| EncodingKey::from_rsa_pem(&pem))
                        .transpose()?;
                    (
                        Algorithm::RS256,
                        encoding,
                        DecodingKey::from_rsa_pem(public)?,
                    )
                } else {
                    let encoding = private
                        .map(|pem| EncodingKey::from_ec_pem(&pem))
                        .transpose()?;
                    (
                        Algorithm::ES256,
                        encoding,
                        DecodingKey::from_ec_pem(public)?,
                    )
                }
            }
        };
        let mut keys = HashMap::from([(config.jwt_key_id.clone(), decoding)]);
        for (kid, key) in &config.jwt_previous_keys {
            let bytes = key.expose_secret().as_bytes();
            let key = match algorithm {
                Algorithm::RS256 => DecodingKey::from_rsa_pem(bytes)?,
                Algorithm::ES256 => DecodingKey::from_ec_pem(bytes)?,
                _ => DecodingKey::from_secret(bytes),
            };
            keys.insert(kid.clone(), key);
        }
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = 30;
        Ok(Tokens {
            algorithm,
            encoding,
            key_id: config.jwt_key_id.clone(),
            decoding: keys,
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            user_ttl: config.token_ttl_seconds as i64,
            partner_ttl: config.partner_token_ttl_seconds as i64,
        })
    }

    /// Issues a token for a user or partner client of an organization.
    pub fn issue(
        &self,
        organization_id: Uuid,
        subject: Uuid,
        role: Role,
    ) -> CoreResult<IssuedToken> {
        let encoding = self.encoding.as_ref().ok_or(CoreError::Forbidden)?;
        let now = Utc::now();
        let ttl = if role == Role::Partner {
            self.partner_ttl
        } else {
            self.user_ttl
        };
        let claims = Claims {
            sub: subject.to_string(),
            org: organization_id.to_string(),
            role: role.as_str().to_owned(),
            iat: now.timestamp(),
            nbf: now.timestamp(),
            exp: now.timestamp() + ttl,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            jti: Uuid::now_v7().to_string(),
        };
        let header = Header {
            kid: Some(self.key_id.clone()),
            ..Header::new(self.algorithm)
        };
        let token = jsonwebtoken::encode(&header, &claims, encoding).context("signing a token")?;
        Ok(IssuedToken {
            token,
            expires_at: now + chrono::Duration::seconds(ttl),
        })
    }

    /// Verifies a token's signature and claims.
    pub fn verify(&self, token: &str) -> CoreResult<Claims> {
        // The key is chosen by `kid` (the current one when absent); an unknown id is refused.
        let header = jsonwebtoken::decode_header(token).map_err(|_| CoreError::Unauthenticated)?;
        let kid = header.kid.unwrap_or_else(|| self.key_id.clone());
        let key = self.decoding.get(&kid).ok_or(CoreError::Unauthenticated)?;
        jsonwebtoken::decode::<Claims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| CoreError::Unauthenticated)
    }

    /// The subject a request's `Authorization` header value names: `Ok(None)` without a
    /// header, `UNAUTHENTICATED` for a bad token. Whether the subject still exists and is
    /// active is the database's to say ([`attain_core::identity::principal`]).
    pub fn subject(&self, authorization: Option<&str>) -> CoreResult<Option<Subject>> {
        let Some(value) = authorization else {
            return Ok(None);
        };
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(CoreError::Unauthenticated)?;
        let claims = self.verify(token.trim())?;
        let organization_id =
            Uuid::parse_str(&claims.org).map_err(|_| CoreError::Unauthenticated)?;
        let id = Uuid::parse_str(&claims.sub).map_err(|_| CoreError::Unauthenticated)?;
        let kind = if claims.role == Role::Partner.as_str() {
            SubjectKind::Partner
        } else {
            SubjectKind::User
        };
        Ok(Some(Subject {
            organization_id,
            id,
            kind,
        }))
    }
}

/// Whom a verified token names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Subject {
    pub organization_id: Uuid,
    pub id: Uuid,
    pub kind: SubjectKind,
}

/// Reads the secret kept at `path`, making a random one the first time.
fn stored_secret(path: &Path) -> anyhow::Result<SecretString> {
    if let Ok(secret) = fs::read_to_string(path) {
        return Ok(SecretString::from(secret.trim().to_owned()));
    }
    if let Some(folder) = path.parent() {
        fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    }
    let mut bytes = [0u8; 48];
    rand::thread_rng().fill_bytes(&mut bytes);
    let secret: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(SecretString::from(secret))
}
