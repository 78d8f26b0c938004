//! The roles a person can hold: in an account, on an integration team, on an app instance.
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountRole {
    Owner,
    SuperAdmin,
    Admin,
    Member,
}

impl AccountRole {
    pub const ALL: [AccountRole; 4] = [Self::Owner, Self::SuperAdmin, Self::Admin, Self::Member];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::SuperAdmin => "super_admin",
            Self::Admin => "admin",
            Self::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::SuperAdmin => "Super admin",
            Self::Admin => "Admin",
            Self::Member => "Member",
        }
    }

    /// Higher outranks lower; used where one person acts on another.
    pub fn rank(self) -> u8 {
        match self {
            Self::Owner => 3,
            Self::SuperAdmin => 2,
            Self::Admin => 1,
            Self::Member => 0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TeamRole {
    Admin,
    Collaborator,
}

impl TeamRole {
    pub const ALL: [TeamRole; 2] = [Self::Admin, Self::Collaborator];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Collaborator => "collaborator",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What a person holds on an app instance: the owner, or a share (IN-2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InstanceAccess {
    Owner,
    Write,
    Read,
}

impl InstanceAccess {
    pub const ALL: [InstanceAccess; 3] = [Self::Owner, Self::Write, Self::Read];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Write => "write",
            Self::Read => "read",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in AccountRole::ALL {
            assert_eq!(AccountRole::parse(r.as_str()), Some(r));
        }
        for r in TeamRole::ALL {
            assert_eq!(TeamRole::parse(r.as_str()), Some(r));
        }
        for r in InstanceAccess::ALL {
            assert_eq!(InstanceAccess::parse(r.as_str()), Some(r));
        }
        assert_eq!(AccountRole::parse("root"), None);
    }
}
