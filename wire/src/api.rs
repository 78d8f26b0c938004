//! The JSON API's own requests and answers (`/api/v1`), shared by the server, which
//! documents them, and the command-line client, which sends and reads them: a field
//! renamed on one side breaks the build of the other.
use crate::instances::ConfigEntry;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One field's problem, in a 422 answer.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable and machine-readable: scripts branch on this, never on `detail`.
    pub code: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// The id of what a request made.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Created {
    pub id: Uuid,
}

/// A page of the list, and where it starts.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Page {
    /// The `next` of the previous page; absent for the first page.
    pub cursor: Option<String>,
    /// How many to return (1 to 200, 50 unless given).
    pub limit: Option<i64>,
}

/// How a removal hands over the member's work (OF-1).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams, utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Handover {
    /// Who receives their Zaps and connections; the account owner when absent, and
    /// always the owner when an admin removes (OF-2).
    pub new_owner: Option<Uuid>,
    /// How long their private connections keep working: `30_days` or `until_expiry`.
    pub private_connections: String,
    /// Why, for the history (optional, at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// The new owner of a shared Zap or connection.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewOwner {
    pub owner_id: Uuid,
}

/// A member's new role in an account (AM-2).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountRoleInput {
    /// `super_admin`, `admin` or `member`.
    pub role: String,
    /// Why, for the history (optional, at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Someone to invite to an account, and their role (AM-1).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccountInviteInput {
    pub email: String,
    /// `super_admin` (the owner only), `admin` or `member`.
    pub role: String,
}

/// Who receives the account (AM-3).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct HandOverInput {
    /// A member of the account, who becomes its owner.
    pub user_id: Uuid,
    /// Why, for the history (optional, at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Whether the identity provider manages the members (OF-7).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Scim {
    pub enabled: bool,
}

/// A new integration's name and description.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntegrationInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// A new version, as a semver string (e.g. `1.4.0`).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    pub version: String,
}

/// `private` or `public`.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisibilityInput {
    pub visibility: String,
}

/// Which history entries, and where the page starts.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct HistoryQuery {
    /// Only this action (e.g. `team.invited`).
    #[serde(default)]
    pub action: String,
    /// Only entries mentioning this text (a name, an address, a value, a reason).
    #[serde(default)]
    pub q: String,
    /// Only entries made by or concerning this person (part of a name or an address).
    #[serde(default)]
    pub person: String,
    /// From this day on (UTC, `YYYY-MM-DD`), inclusive.
    pub from: Option<chrono::NaiveDate>,
    /// Up to this day (UTC, `YYYY-MM-DD`), inclusive.
    pub to: Option<chrono::NaiveDate>,
    /// The `next` of the previous page; absent for the newest entries.
    pub cursor: Option<String>,
    /// How many to return (1 to 200, 50 unless given).
    pub limit: Option<i64>,
}

/// Which history entries to export, and how.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct HistoryExport {
    /// `csv` or `jsonl` (JSON lines).
    pub format: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub person: String,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
}

/// A checkpoint kept outside Gatehouse, to verify against (`seq:hash`).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct VerifyQuery {
    /// The entry number and its SHA-256 in hex, e.g. `12:9f86d0…`.
    pub checkpoint: Option<String>,
}

/// Why (optional, at most 500 characters), for the history.
#[derive(Debug, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    #[serde(default)]
    pub reason: Option<String>,
}

/// Addresses to invite to one version, or to all versions when `version_id` is absent.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInvitations {
    pub emails: Vec<String>,
    #[serde(default)]
    pub version_id: Option<Uuid>,
    /// When the access starts (RFC 3339; absent: at once) (AX-2).
    #[serde(default)]
    pub starts_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the access ends (RFC 3339; absent: no end) (AX-2).
    #[serde(default)]
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// One version, or every version when absent.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Scope {
    pub version_id: Option<Uuid>,
}

/// Which access to revoke (one version, or all when `version_id` is absent), and why.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Revocation {
    pub version_id: Option<Uuid>,
    /// Why, for the history (optional, at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// What a revocation did: how many of their Zaps were paused.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Revoked {
    pub zaps_paused: i64,
}

/// Whom to invite, as what, and the note the mail carries (empty: the default text).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct TeamInvitation {
    pub email: String,
    /// `admin` or `collaborator`.
    pub role: String,
    #[serde(default)]
    pub note: String,
    /// When the access starts (RFC 3339; absent: at once) (AX-2).
    #[serde(default)]
    pub starts_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the access ends (RFC 3339; absent: no end) (AX-2).
    #[serde(default)]
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
    /// For an admin with an end: stay on as collaborator afterwards (AX-4).
    #[serde(default)]
    pub then_collaborator: bool,
}

/// Who was invited.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Invited {
    pub email: String,
}

/// A member's new role.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoleInput {
    /// `admin` or `collaborator`.
    pub role: String,
    /// Why, for the history (optional, at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Who holds the contact; `null` revokes it.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ContactInput {
    pub user_id: Option<Uuid>,
}

/// The caller's own partner-marketing mail switch (TM-8).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    pub marketing: bool,
}

/// An update to mail to the team.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateInput {
    /// `marketing` (only to those who left it on) or `programme` (to every accepted member).
    pub kind: String,
    pub subject: String,
    pub body: String,
}

/// How many received it.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Sent {
    pub recipients: i64,
}

/// Whether people may join as collaborators, and from which email domains.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct JoinSettings {
    pub enabled: bool,
    /// Domains such as `partner.example`, one per item.
    #[serde(default)]
    pub domains: Vec<String>,
}

/// An origin allowed to embed the join widget, e.g. `https://partner.example`.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Origin {
    pub origin: String,
}

/// An origin as stored.
#[derive(Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OriginOut {
    pub origin: String,
}

/// Words to look for.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Search {
    #[serde(default)]
    pub q: String,
}

/// A new instance: its name, the app, its configuration and a first login.
/// (No `Debug`: it carries a secret.)
#[derive(Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewInstance {
    pub name: String,
    /// The app, e.g. `jira`.
    pub app: String,
    #[serde(default)]
    pub config: Vec<ConfigEntry>,
    pub username: String,
    /// Write-only: encrypted at rest, never shown again.
    pub secret: String,
}

/// An instance's new name and configuration.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct InstanceEdit {
    pub name: String,
    #[serde(default)]
    pub config: Vec<ConfigEntry>,
}

/// Whom to share with, and how.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareInput {
    pub email: String,
    /// `read` (view and clone) or `write` (also edit, delete, stop and run).
    pub access: String,
    /// When the access starts (RFC 3339; absent: at once) (AX-2).
    #[serde(default)]
    pub starts_at: Option<chrono::DateTime<chrono::Utc>>,
    /// When the access ends (RFC 3339; absent: no end) (AX-2).
    #[serde(default)]
    pub ends_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The invited address.
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct Invitee {
    pub email: String,
}

/// A login: a username and its secret (write-only). (No `Debug`: it carries a secret.)
#[derive(Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub username: String,
    pub secret: String,
}

/// A login's new secret. (No `Debug`: it carries a secret.)
#[derive(Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SecretInput {
    pub secret: String,
}

/// A place in each list of the work page: the cursors its answer gave (`next`,
/// `next_connections`); none is the first page.
#[derive(Debug, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct WorkQuery {
    /// The Zaps after this cursor.
    #[serde(default)]
    pub after: Option<String>,
    /// The connections after this cursor.
    #[serde(default)]
    pub connections_after: Option<String>,
}

/// A search of the Access tab by name or address (AX-1).
#[derive(Debug, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct AccessQuery {
    /// Part of a name or an address; empty lists everyone.
    #[serde(default)]
    pub q: Option<String>,
}

/// The person whose reach to show (AX-1, the reverse view).
#[derive(Debug, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ReachQuery {
    pub email: String,
}

/// Revoke one road (AX-1); with `dry_run`, only say what it would do.
#[derive(Debug, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoadRevocation {
    /// Why, for the history (optional, at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
    #[serde(default)]
    pub dry_run: bool,
}
