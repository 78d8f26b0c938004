//! Personal access tokens for the JSON API: Settings → API tokens.
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

use crate::domain::policy::TokenScope;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every token starts with this, so secret scanners can recognise a leaked one.
pub const PREFIX: &str = "gat_";
/// The longest a token may live.
pub const MAX_DAYS: i32 = 365;
/// The most live (unrevoked, unexpired) tokens one person may have.
pub const MAX_LIVE: i64 = 50;

/// A token as its owner sees it later: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ApiTokenView {
    pub id: Uuid,
    pub name: String,
    pub scope: TokenScope,
    /// `gat_…` and the last four characters.
    pub hint: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Usable now: neither revoked nor expired (decided by the server's clock).
    pub active: bool,
}

/// A token just made: the only time its text is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiToken {
    pub token: String,
    pub view: ApiTokenView,
}
