//! Company accounts: create one, list and switch between one's accounts, see the members.
pub mod api;
#[cfg(feature = "ssr")]
pub mod invites;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

pub use wire::accounts::{
    AccountInvite, AccountInviteLanding, AccountSummary, Member, MemberList, MembersPage,
};

/// How long an invitation to an account stays valid (AM-1).
pub const INVITE_DAYS: i32 = 14;

/// The most members one page of the API gives.
pub const MEMBERS_PAGE_MAX: i64 = 200;
