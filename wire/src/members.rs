//! Removing a member and what moves with them.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a removed user's private connections keep working (OF-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionExpiry {
    ThirtyDays,
    UntilExpiry,
}

/// A shared connection's new name; private connections are counted, never named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rename {
    pub from: String,
    pub to: String,
}

/// What a removal does, or did. The preview and the removal both come from
/// `transfer::run`, so they cannot disagree (OF-8). Lists are capped at
/// `LIST_CAP` (50) entries; the counts are always whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransferReport {
    pub removed_name: String,
    /// Who receives the work.
    #[serde(default)]
    pub new_owner_id: Uuid,
    pub new_owner_name: String,
    pub private_zaps: i64,
    pub shared_zaps: i64,
    pub zaps_on: i64,
    /// "X's Zaps", when anything goes into it.
    pub new_folder: Option<String>,
    pub zaps_into_new_folder: i64,
    pub shared_folders: i64,
    pub shared_folder_names: Vec<String>,
    pub personal_folders_abandoned: i64,
    /// Zaps whose webhook URL changes; the new owner sees the new URLs after the move.
    pub webhooks: i64,
    pub connections: i64,
    pub private_connections: i64,
    pub renames: Vec<Rename>,
    /// When private connections stop at the latest; None: on their own schedule.
    pub private_expire_by: Option<DateTime<Utc>>,
    pub expiry: Option<ConnectionExpiry>,
}

/// The outcome of a removal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Removed {
    pub transfer_id: Uuid,
    pub report: TransferReport,
}

impl TransferReport {
    /// True when the removed member had nothing to move: no Zaps, folders or connections.
    pub fn moves_nothing(&self) -> bool {
        self.private_zaps
            + self.shared_zaps
            + self.shared_folders
            + self.personal_folders_abandoned
            + self.connections
            == 0
    }
}

impl ConnectionExpiry {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "30_days" => Some(Self::ThirtyDays),
            "until_expiry" => Some(Self::UntilExpiry),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ThirtyDays => "30_days",
            Self::UntilExpiry => "until_expiry",
        }
    }
}
