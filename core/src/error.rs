//! The one error type of the core, each variant with a stable code that the API shows
//! as `extensions.code`.

use std::fmt;

/// What went wrong, split into the caller's fault and ours.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// No valid credentials.
    #[error("authentication required")]
    Unauthenticated,
    /// The caller is known but may not do this.
    #[error("not allowed")]
    Forbidden,
    /// The object does not exist, or the caller may not see it (indistinguishable).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// Input that breaks a rule; `field` is the path of the offending input.
    #[error("{field}: {message}")]
    BadUserInput { field: String, message: String },
    /// The write clashes with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// Too many requests for this token.
    #[error("rate limit exceeded")]
    RateLimited,
    /// The database cannot serve the request now: it cannot be reached, or it aborted the
    /// request's transaction to break a deadlock. The request changed nothing and may be
    /// retried.
    #[error("the database is unavailable; retry later")]
    Unavailable,
    /// The request is deeper, larger or slower than the server's limits allow.
    #[error("{0}")]
    TooComplex(String),
    /// Anything else: logged, never shown.
    #[error(transparent)]
    Internal(anyhow::Error),
}

impl CoreError {
    /// The stable code clients switch on.
    pub fn code(&self) -> &'static str {
        match self {
            CoreError::Unauthenticated => "UNAUTHENTICATED",
            CoreError::Forbidden => "FORBIDDEN",
            CoreError::NotFound(_) => "NOT_FOUND",
            CoreError::BadUserInput { .. } => "BAD_USER_INPUT",
            CoreError::Conflict(_) => "CONFLICT",
            CoreError::RateLimited => "RATE_LIMITED",
            CoreError::Unavailable => "UNAVAILABLE",
            CoreError::TooComplex(_) => "QUERY_TOO_COMPLEX",
            CoreError::Internal(_) => "INTERNAL",
        }
    }

    /// A field-level input error.
    pub fn bad_input(field: impl Into<String>, message: impl fmt::Display) -> Self {
        CoreError::BadUserInput {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

impl From<sea_orm::DbErr> for CoreError {
    fn from(error: sea_orm::DbErr) -> Self {
        CoreError::from(anyhow::Error::new(error))
    }
}

/// A database error, also one given context on its way, is [`CoreError::Unavailable`]
/// when retrying may succeed; anything else is internal.
impl From<anyhow::Error> for CoreError {
    fn from(error: anyhow::Error) -> Self {
        match error.downcast_ref::<sea_orm::DbErr>().and_then(retryable) {
            Some(reason) => {
                tracing::warn!(error = %error, "{reason}");
                CoreError::Unavailable
            }
            None => CoreError::Internal(error),
        }
    }
}

/// Why the request may succeed when retried, if it may: the database could not be reached
/// (rather than a statement failing in it), or PostgreSQL aborted the transaction to let a
/// concurrent one finish (a deadlock it broke, a serialization failure).
fn retryable(error: &sea_orm::DbErr) -> Option<&'static str> {
    use sea_orm::sqlx::Error as Sqlx;
    use sea_orm::{DbErr, RuntimeErr};
    const UNREACHABLE: &str = "database unreachable";
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => Some(UNREACHABLE),
        DbErr::Exec(RuntimeErr::SqlxError(inner)) | DbErr::Query(RuntimeErr::SqlxError(inner)) => {
            match inner.as_ref() {
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed => {
                    Some(UNREACHABLE)
                }
                Sqlx::Database(database) => match database.code().as_deref() {
                    // PostgreSQL shutting down or starting up, or a connection lost.
                    Some(code) if code.starts_with("57P") || code.starts_with("08") => {
                        Some(UNREACHABLE)
                    }
                    Some("40P01" | "40001") => Some("transaction aborted by the database"),
                    _ => None,
                },
                _ => None,
            }
        }
        _ => None,
    }
}

/// Results of core services.
pub type CoreResult<T> = Result<T, CoreError>;
