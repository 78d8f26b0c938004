//! One error type for every server function, on both targets. No database text reaches a user.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    TooManyRequests(String),
    /// The server is at capacity (busy hashing, or no database connection free): try again.
    #[error("Gatehouse is busy right now. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. If it persists, quote reference {ref_id}.")]
    Internal { ref_id: String },
    #[error("Could not reach Gatehouse: {0}")]
    Transport(String),
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The message to show beside `field`, if this error is about it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation { field: f, message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// The message to show above a form: everything that is not about one field.
    pub fn form_message(&self) -> Option<String> {
        match self {
            Self::Validation { .. } => None,
            other => Some(other.to_string()),
        }
    }

    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } | Self::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Log the detail under a fresh reference and answer with the reference only.
    #[cfg(feature = "ssr")]
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let ref_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        tracing::error!(ref_id, error = %detail, "internal error");
        Self::Internal { ref_id }
    }
}

impl From<crate::domain::policy::Denied> for AppError {
    fn from(d: crate::domain::policy::Denied) -> Self {
        match d {
            crate::domain::policy::Denied::NotVisible => Self::NotFound,
            crate::domain::policy::Denied::Forbidden => Self::Forbidden,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => Self::Transport(m),
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                Self::validation("form", format!("The form was incomplete: {m}"))
            }
            #[cfg(feature = "ssr")]
            other => Self::internal(other),
            #[cfg(not(feature = "ssr"))]
            other => Self::Transport(other.to_string()),
        }
    }
}

/// Constraint names that mean something to a user; everything else is internal.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.constraint() {
                Some("users_email_key") => {
                    return Self::validation("email", "An account with this email already exists.")
                }
                Some("account_members_one_owner") => {
                    return Self::Conflict("An account has exactly one owner.".into())
                }
                _ => {}
            }
        }
        // No connection free in time, or the database is down: a clean 503, not a 500.
        if matches!(
            e,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
        ) {
            tracing::warn!(error = %e, "database unavailable");
            return Self::Unavailable;
        }
        Self::internal(e)
    }
}
