//! Removing an account member and moving their work to a new owner (OF-1 … OF-6, OF-8);
//! the account's Zaps, folders and connections as members see them.
pub mod api;
#[cfg(feature = "ssr")]
pub mod csv_export;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod transfer;
pub mod view;
pub mod work;

use crate::accounts::Member;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long a removed user's private connections keep working (OF-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionExpiry {
    ThirtyDays,
    UntilExpiry,
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

/// A shared connection's new name; private connections are counted, never named.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Rename {
    pub from: String,
    pub to: String,
}

/// What a removal does, or did. The preview and the removal both come from
/// `transfer::run`, so they cannot disagree (OF-8). Lists are capped at
/// [`LIST_CAP`] entries; the counts are always whole.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TransferReport {
    pub removed_name: String,
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

pub const LIST_CAP: usize = 50;

/// What the remove dialog needs to offer its choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RemovalOptions {
    pub account_name: String,
    pub member: Member,
    pub account_owner: Member,
    /// False for admins: the new owner is the account owner, whatever is sent (OF-2).
    pub can_choose_owner: bool,
    /// Members matching the search, who could receive the work.
    pub candidates: Vec<Member>,
}

/// The outcome of a removal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Removed {
    pub transfer_id: Uuid,
    pub report: TransferReport,
}
