//! What the whole team reads (TM-2): performance figures, the integration's history,
//! and feedback (feature requests and bug reports) from the people who use it.
pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

use crate::domain::roles::TeamRole;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use crate::history::{HistoryEntry, HistoryPage};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VersionStats {
    pub version: String,
    /// People with an active grant that covers this version.
    pub users: i64,
    /// People who own a Zap that uses this version.
    pub zap_owners: i64,
    pub zaps_on: i64,
    pub zaps_off: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Performance {
    pub name: String,
    pub public: bool,
    pub versions: Vec<VersionStats>,
    /// Invitations (links and email) accepted per week, oldest first, the last 12 weeks.
    pub accepted_by_week: Vec<(NaiveDate, i64)>,
    pub people_with_access: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CommentView {
    pub author: Option<String>,
    pub body: String,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackItem {
    pub id: Uuid,
    /// feature / bug
    pub kind: String,
    pub title: String,
    pub body: String,
    /// open / planned / done / declined
    pub status: String,
    pub author: Option<String>,
    pub created_at: DateTime<Utc>,
    pub comments: Vec<CommentView>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct FeedbackPage {
    pub name: String,
    pub role: TeamRole,
    pub items: Vec<FeedbackItem>,
}

pub const FEEDBACK_STATUSES: [&str; 4] = ["open", "planned", "done", "declined"];
