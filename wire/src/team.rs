//! The integration team.
use crate::roles::TeamRole;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberView {
    /// The team row (pending invitations have no user yet).
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub name: Option<String>,
    pub email: String,
    pub role: TeamRole,
    /// accepted / pending / expired
    pub status: String,
    /// invite / join
    pub source: String,
    pub invited_by: Option<String>,
    pub invited_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub is_me: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamPage {
    pub id: Uuid,
    pub name: String,
    pub visibility: String,
    pub my_role: TeamRole,
    pub members: Vec<MemberView>,
    /// Pending and accepted, against the cap (TM-1).
    pub counted: i64,
    pub cap: i64,
    pub marketing_contact: Option<Uuid>,
    pub technical_contact: Option<Uuid>,
    /// The caller's own partner-marketing subscription (TM-8).
    pub my_marketing: bool,
    /// Self-serve joining (SJ-1): shown to everyone on the team, edited by admins.
    pub join_enabled: bool,
    pub join_domains: Vec<String>,
}

/// What a team invitation shows before it is accepted (TM-3, TM-4, TM-9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TeamInviteLanding {
    pub integration: String,
    pub description: String,
    pub role: TeamRole,
    pub note: String,
    pub inviter: Option<String>,
    pub email: String,
    pub marketing_contact: Option<(String, String)>,
    pub already_member: bool,
}
