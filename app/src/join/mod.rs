//! Self-serve "join as collaborator" (SJ-1, SJ-2) and the embeddable join widget (SJ-3):
//! the settings, the allowed embed origins, the in-app join flow, and the widget itself,
//! a small server-rendered page that needs none of the app's WASM.
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;
#[cfg(feature = "ssr")]
pub mod widget;

use crate::domain::roles::TeamRole;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct EmbedPage {
    pub id: Uuid,
    pub name: String,
    pub role: TeamRole,
    pub public: bool,
    pub join_enabled: bool,
    pub origins: Vec<String>,
    /// The HTML a partner pastes into their page.
    pub snippet: String,
    /// The widget page itself, for a preview.
    pub widget_url: String,
}

/// The most origins one integration may list.
pub const ORIGINS_MAX: usize = 20;
/// Join requests allowed per address (or user), per integration and per client, per hour.
pub const PER_PERSON_PER_HOUR: i64 = 5;
pub const PER_INTEGRATION_PER_HOUR: i64 = 100;
pub const PER_CLIENT_PER_HOUR: i64 = 20;
/// A repeated request within this many minutes of the last mail sends nothing new.
pub const RESEND_AFTER_MINUTES: i32 = 10;

/// The one answer to every refused join, whatever the reason (SJ-2): it says nothing
/// about whether the integration exists, is private, or accepts joins at all.
/// What became of a join request that was not refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum JoinOutcome {
    /// An invitation mail is on its way.
    Sent,
    /// One was sent moments ago; nothing new was sent.
    AlreadySent,
    /// They are on the team already.
    AlreadyMember,
}

impl JoinOutcome {
    pub fn message(&self, email: &str) -> String {
        match self {
            Self::Sent => format!("We sent an invitation to {email}. Open the link in it to join the team."),
            Self::AlreadySent => format!("We sent an invitation to {email} a few minutes ago; check your inbox (and spam folder) for it."),
            Self::AlreadyMember => "You are already on this team.".into(),
        }
    }
}
