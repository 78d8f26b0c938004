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
