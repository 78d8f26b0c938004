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
}
