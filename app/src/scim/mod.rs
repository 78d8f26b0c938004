//! SCIM 2.0 provisioning (OF-7, AM-4): the account's identity provider (Okta, Entra ID)
//! adds, changes and removes members at `/scim/v2` with a SCIM token made on the account's
//! SCIM settings. Deprovisioning runs the very same removal as the Members screen (OF-3).
pub mod api;
#[cfg(feature = "ssr")]
pub mod protocol;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod tokens;
pub mod view;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every SCIM token starts with this, so secret scanners can recognise a leaked one.
pub const PREFIX: &str = "gsc_";
/// The longest a SCIM token may live.
pub const MAX_DAYS: i32 = 365;
/// The most live SCIM tokens one account may have.
pub const MAX_LIVE: i64 = 10;

/// A SCIM token as the account's admins see it later: never the token itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimTokenView {
    pub id: Uuid,
    pub name: String,
    /// `gsc_…` and the last four characters.
    pub hint: String,
    pub created_by: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// Usable now: neither revoked nor expired.
    pub active: bool,
}

/// A SCIM token just made: the only time its text is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewScimToken {
    pub token: String,
    pub view: ScimTokenView,
}

/// One provisioning event of the account's history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ScimEvent {
    pub at: DateTime<Utc>,
    pub action: String,
    pub target: Option<String>,
    pub by: Option<String>,
}

/// The account's SCIM settings page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScimSettings {
    pub account_id: Uuid,
    pub account_name: String,
    /// What the identity provider is given as the SCIM base URL.
    pub base_url: String,
    pub scim_enabled: bool,
    pub tokens: Vec<ScimTokenView>,
    /// The latest provisioning events, newest first.
    pub events: Vec<ScimEvent>,
}
