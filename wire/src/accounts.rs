//! Accounts and their members.
use crate::roles::AccountRole;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountSummary {
    pub id: Uuid,
    pub name: String,
    pub plan: String,
    /// The viewer's own role in this account.
    pub role: AccountRole,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub user_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: AccountRole,
    pub joined_at: DateTime<Utc>,
}

/// One page of an account's members, in address order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MemberList {
    pub members: Vec<Member>,
    /// Where the next page starts, when there is one: pass it back as `cursor`.
    pub next: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MembersPage {
    pub account: AccountSummary,
    pub members: Vec<Member>,
    /// With SCIM on, people are removed in the identity provider, not here (OF-7).
    pub scim_enabled: bool,
    /// The viewer's own id, to leave themselves out of "remove".
    pub me: Uuid,
    /// Pending invitations, for those who may invite (AM-1); empty for others.
    #[serde(default)]
    pub invitations: Vec<AccountInvite>,
}

/// A pending invitation to an account (AM-1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountInvite {
    pub id: Uuid,
    pub email: String,
    pub role: AccountRole,
    pub invited_by: Option<String>,
    pub invited_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// True once its 14 days are over: resend it to renew.
    pub expired: bool,
}

/// What an account invitation's link shows before it is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountInviteLanding {
    pub account_id: Uuid,
    pub account: String,
    pub role: AccountRole,
    pub inviter: Option<String>,
    /// The address it was sent to: only that address, verified, may accept it.
    pub email: String,
    pub already_member: bool,
}
