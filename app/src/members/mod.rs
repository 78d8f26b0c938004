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
#[cfg(feature = "ssr")]
pub mod undo;
pub mod view;
pub mod work;

use crate::accounts::Member;
use serde::{Deserialize, Serialize};
pub use wire::members::{ConnectionExpiry, Removed, Rename, TransferReport};

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

/// One item an undo leaves with its new owner, and why (HI-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeftAlone {
    /// `Zap`, `Connection` or `Folder`.
    pub kind: String,
    pub name: String,
    pub why: String,
}

/// What undoing a removal gives back, and what it leaves alone (HI-4): the same report
/// for the preview (run and rolled back) and the undo itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UndoReport {
    pub transfer_id: uuid::Uuid,
    pub account_name: String,
    pub removed_name: String,
    pub removed_email: String,
    pub new_owner_name: String,
    pub removed_at: chrono::DateTime<chrono::Utc>,
    /// The last moment the removal can be undone.
    pub undo_until: chrono::DateTime<chrono::Utc>,
    /// The role the member comes back with.
    pub role: crate::domain::roles::AccountRole,
    /// False when they are a member again already (their current role is kept).
    pub membership_restored: bool,
    pub zaps: i64,
    pub connections: i64,
    pub folders: i64,
    /// The first items left with their new owner, with the reason.
    pub left_alone: Vec<LeftAlone>,
    pub left_alone_total: i64,
}
