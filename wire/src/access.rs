//! Who can reach an integration, an instance or an account, and why (AX-1); the dates a
//! grant is in force (AX-2, AX-4).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a road is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoadKind {
    /// A role on the integration's team (`role`: admin or collaborator).
    Team,
    /// An email invitation, accepted (`version`: one version, or none for all).
    Invitation,
    /// An invite link (`detail` says whether the link was since rotated).
    Link,
    /// A grant recorded when the integration was used while public.
    Public,
    /// The instance's owner.
    Owner,
    /// An instance share (`role`: read or write).
    Share,
    /// A role in the account (`role`: owner, super_admin, admin, member).
    AccountRole,
}

impl RoadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Invitation => "invitation",
            Self::Link => "link",
            Self::Public => "public",
            Self::Owner => "owner",
            Self::Share => "share",
            Self::AccountRole => "account_role",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "team" => Self::Team,
            "invitation" => Self::Invitation,
            "link" => Self::Link,
            "public" => Self::Public,
            "owner" => Self::Owner,
            "share" => Self::Share,
            "account_role" => Self::AccountRole,
            _ => return None,
        })
    }

    /// Whether the road can carry start and end dates (AX-2).
    pub fn datable(self) -> bool {
        matches!(self, Self::Team | Self::Invitation | Self::Share)
    }
}

/// Where a road stands at this moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoadState {
    /// It gives access now.
    Active,
    /// Its start date is still ahead: it gives nothing yet.
    Scheduled,
    /// Its end date has passed: it gives nothing (or, for a team admin who ends "then
    /// collaborator", collaborator).
    Ended,
}

/// One road by which a person reaches something: the row that gives it, who gave it,
/// when, and until when.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Road {
    /// The grant itself (a team row, an access grant, a share): what revoking and
    /// dating address. For a share or an account role, the person's user id.
    pub id: Uuid,
    pub kind: RoadKind,
    /// Team role, share access or account role, where the road has one.
    pub role: Option<String>,
    /// For a road to use an integration: the version it covers; none means all versions.
    pub version: Option<String>,
    /// Anything else worth knowing (e.g. "a link since rotated").
    pub detail: Option<String>,
    /// Who gave it, as "Name <address>", when known.
    pub granted_by: Option<String>,
    pub granted_at: DateTime<Utc>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// For a team admin: the role kept after the end ("collaborator"), if any.
    pub then: Option<String>,
    pub state: RoadState,
}

/// A person and every road they have to one thing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonAccess {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub roads: Vec<Road>,
}

/// The Access tab of an integration, an instance or an account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccessPage {
    pub id: Uuid,
    pub name: String,
    /// An integration that is public: every signed-in user may use every version (SH-1),
    /// a road nobody needs to be listed for.
    pub public: bool,
    pub people: Vec<PersonAccess>,
    /// The list stopped at its limit: search by name or address to narrow it.
    pub more: bool,
}

/// One thing of the caller's that a person can reach, and how (the reverse view).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReachItem {
    /// `integration`, `instance` or `account`.
    pub object: String,
    pub id: Uuid,
    pub name: String,
    pub roads: Vec<Road>,
}

/// Everything of the caller's that one person can reach.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PersonReach {
    pub email: String,
    pub items: Vec<ReachItem>,
}

/// What revoking one road does, for the confirmation (AX-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoadRevokePreview {
    pub name: String,
    pub email: String,
    /// The road, in words.
    pub road: String,
    /// The roads that stay in force, in words: access remains through these.
    pub remaining: Vec<String>,
    /// The person's Zaps that will pause (their names).
    pub zaps_to_pause: Vec<String>,
}

/// Start and end of a road (AX-2); `then_collaborator` only for a team admin (AX-4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoadDates {
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub then_collaborator: bool,
}
