//! Integrations, their versions and who may use them.
use crate::roles::TeamRole;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationSummary {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub visibility: String,
    /// The viewer's team role, if any.
    pub role: Option<TeamRole>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MyIntegrations {
    pub team: Vec<IntegrationSummary>,
    /// Private integrations shared with the viewer through a link or an invite.
    pub shared: Vec<IntegrationSummary>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VersionView {
    pub id: Uuid,
    pub version: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntegrationPage {
    pub id: Uuid,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub visibility: String,
    pub role: TeamRole,
    pub versions: Vec<VersionView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Joiner {
    pub name: String,
    pub email: String,
    pub at: DateTime<Utc>,
    /// False once their access was revoked.
    pub active: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkView {
    pub id: Uuid,
    /// None: all versions, present and future.
    pub version: Option<String>,
    /// The link itself, for admins only (collaborators see who joined).
    pub url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub rotated: bool,
    pub joined: Vec<Joiner>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessView {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub version_id: Option<Uuid>,
    pub version: Option<String>,
    pub via: String,
    pub granted_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SharingPage {
    pub id: Uuid,
    pub name: String,
    pub visibility: String,
    pub role: TeamRole,
    /// Active links first, then rotated ones (who joined through them stays listed).
    pub links: Vec<LinkView>,
    pub access: Vec<AccessView>,
    pub invites: Vec<InviteView>,
    pub versions: Vec<VersionView>,
}

/// What someone opening an invite link sees (SH-2, TM-9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Landing {
    pub name: String,
    pub description: String,
    pub version: Option<String>,
    pub marketing_contact: Option<(String, String)>,
    pub has_access: bool,
}

/// What a revocation will do, for the confirmation (SH-6, SH-7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevokePreview {
    pub name: String,
    pub email: String,
    pub scope: String,
    pub zaps_to_pause: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteView {
    pub id: Uuid,
    pub email: String,
    pub version: Option<String>,
    /// pending / accepted / expired / revoked
    pub status: String,
    pub invited_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// The version invited to; none for all versions.
    #[serde(default)]
    pub version_id: Option<Uuid>,
    /// Who accepted, once someone has.
    #[serde(default)]
    pub accepted_user_id: Option<Uuid>,
}

impl InviteView {
    /// The status in words: a revoked invitation nobody accepted was cancelled.
    pub fn status_label(&self) -> &str {
        match (self.status.as_str(), self.accepted_at) {
            ("revoked", None) => "cancelled",
            ("revoked", Some(_)) => "access revoked",
            (s, _) => s,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InviteReport {
    pub invited: Vec<String>,
    /// (address, why it was skipped)
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<String>>))]
    pub skipped: Vec<(String, String)>,
}

/// One road by which a person may use an integration: a grant they hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UseRoad {
    /// `email_invite`, `link` or `public`.
    pub via: String,
    /// The version it covers; none: all versions, present and future.
    pub version: Option<String>,
    pub granted_at: DateTime<Utc>,
}

/// What a person who may use an integration sees of it (not its team's screens).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UsableIntegration {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub visibility: String,
    /// The versions they may use in a Zap, oldest first.
    pub versions: Vec<String>,
    /// How they got access; empty when it is public and they hold no grant.
    pub roads: Vec<UseRoad>,
    /// True when they are also on its team (the team's screens are theirs too).
    pub on_team: bool,
}

impl UseRoad {
    /// "an email invitation", "an invite link", "the integration being public".
    pub fn how(&self) -> &'static str {
        match self.via.as_str() {
            "email_invite" => "an email invitation",
            "link" => "an invite link",
            _ => "the integration being public",
        }
    }
}
