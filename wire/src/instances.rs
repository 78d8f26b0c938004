//! App instances, their logins (never their secrets) and shares.
use crate::roles::InstanceAccess;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceSummary {
    pub id: Uuid,
    pub name: String,
    pub app: String,
    pub status: String,
    pub owner_name: String,
    pub access: InstanceAccess,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstancesPage {
    pub mine: Vec<InstanceSummary>,
    pub shared: Vec<InstanceSummary>,
}

/// One configuration field. Blank rows of a form are dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigEntry {
    pub key: String,
    pub value: String,
}

/// A login as anyone may see it: the username, and whether a secret is set. Never the secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LoginView {
    pub id: Uuid,
    pub username: String,
    pub secret_set: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ShareView {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub access: InstanceAccess,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    pub at: DateTime<Utc>,
    pub by: String,
}

/// An invitation to an address that has no verified account yet; it becomes a share
/// when someone verifies that address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceInviteView {
    pub email: String,
    pub access: InstanceAccess,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InstanceDetail {
    pub id: Uuid,
    pub name: String,
    pub app: String,
    pub status: String,
    pub owner_name: String,
    pub owner_email: String,
    /// The viewer's own access: what the page offers follows from it.
    pub access: InstanceAccess,
    pub config: Vec<ConfigEntry>,
    pub logins: Vec<LoginView>,
    /// Only the owner sees who else has access.
    pub shares: Vec<ShareView>,
    /// Only the owner: addresses invited that have not signed up yet.
    pub invites: Vec<InstanceInviteView>,
    pub runs: Vec<RunView>,
}
