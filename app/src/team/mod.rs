//! The team that manages an integration (TM-1 … TM-9): members and their roles,
//! invitations with a note, removal and leaving, the two contacts, and each member's
//! email subscriptions. There is no single owner; the last accepted admin is kept.
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

pub use wire::team::{MemberView, TeamInviteLanding, TeamPage};
