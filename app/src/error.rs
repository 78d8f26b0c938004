//! One error type for every server function, on both targets. No database text reaches a user.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please sign in to continue.")]
    Unauthenticated,
    #[error("You do not have permission to do that.")]
    Forbidden,
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    /// A named rule refused the request (see [`Refusal`]).
    #[error("{}", .0.message())]
    Refused(Refusal),
    #[error("{message}")]
    Validation { field: String, message: String },
    #[error("{0}")]
    TooManyRequests(String),
    /// The server is at capacity (busy hashing, or no database connection free): try again.
    #[error("Gatehouse is busy right now. Try again in a moment.")]
    Unavailable,
    #[error("Something went wrong on our side. If it persists, quote reference {ref_id}.")]
    Internal { ref_id: String },
    #[error("Could not reach Gatehouse: {0}")]
    Transport(String),
}

/// A rule that refuses an otherwise well-formed request. Each has a stable machine code
/// (for the JSON API and the CLI), an HTTP status and a message, all decided here, in one
/// place; no code compares message texts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// TM-6: the team would be left without an accepted admin; `what` is the action.
    LastAdmin {
        what: String,
    },
    /// TM-1: at most 200 team members, pending invitations included.
    TeamFull {
        counted: i64,
    },
    /// SH-4: at most 200 people invited by email.
    SharingFull {
        counted: i64,
        more: i64,
    },
    /// OF-7: membership is managed by the identity provider.
    ScimOn,
    /// An invitation sent to another address than the signed-in one.
    WrongAddress {
        signed_in_as: String,
    },
    /// An address must be verified first (AC-2).
    Unverified,
    /// SJ-2: joining is refused (the same answer whatever the reason).
    JoinRefused,
    /// SH-2: the link was rotated or never existed.
    LinkRotated,
    /// SH-6: revoked users come back only through a new email invitation.
    LinkBlocked,
    InvitationExpired,
    InvitationCancelled,
    /// Used already, replaced by a newer one, or never valid.
    InvitationInvalid,
    AlreadyOnTeam,
    /// A pending invitation's role cannot be changed in place.
    NotAcceptedYet {
        email: String,
    },
    AlreadyVerified,
    /// OF-5: the mailed CSV link works for 7 days.
    CsvLinkExpired,
    /// PL-2: a Zap uses a version its owner may no longer use.
    VersionAccessGone {
        integration: String,
        version: String,
    },
    /// PL-2: a new Zap may only use versions its owner may use.
    VersionNotUsable {
        integration: String,
        version: String,
    },
    /// HI-4: a removal is undone at most once.
    AlreadyUndone,
    /// HI-4: a removal can be undone for 14 days.
    UndoExpired,
}

impl Refusal {
    /// The stable code, e.g. `last_admin`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::LastAdmin { .. } => "last_admin",
            Self::TeamFull { .. } => "team_full",
            Self::SharingFull { .. } => "sharing_full",
            Self::ScimOn => "scim_on",
            Self::WrongAddress { .. } => "wrong_address",
            Self::Unverified => "unverified_address",
            Self::JoinRefused => "join_refused",
            Self::LinkRotated => "link_rotated",
            Self::LinkBlocked => "link_blocked",
            Self::InvitationExpired => "invitation_expired",
            Self::InvitationCancelled => "invitation_cancelled",
            Self::InvitationInvalid => "invitation_invalid",
            Self::AlreadyOnTeam => "already_on_team",
            Self::NotAcceptedYet { .. } => "not_accepted_yet",
            Self::AlreadyVerified => "already_verified",
            Self::CsvLinkExpired => "csv_link_expired",
            Self::VersionAccessGone { .. } => "version_access_gone",
            Self::VersionNotUsable { .. } => "version_not_usable",
            Self::AlreadyUndone => "already_undone",
            Self::UndoExpired => "undo_expired",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Self::LastAdmin { what } => format!(
                "{what} would leave the team without an admin. Make another member an admin first: a team always keeps at least one."
            ),
            Self::TeamFull { counted } => format!(
                "A team can have at most {} members, pending invitations included. It has {counted}: \
                 remove someone or cancel an invitation first.",
                crate::domain::team::TEAM_CAP
            ),
            Self::SharingFull { counted, more } => format!(
                "An integration can have at most {} people invited by email (pending and accepted). It has {counted}; \
                 inviting {more} more would pass the limit. Nothing was sent.",
                crate::integrations::INVITE_CAP
            ),
            Self::ScimOn => {
                "SCIM provisioning is on for this account: people are added, removed and given roles in your identity provider.".into()
            }
            Self::WrongAddress { signed_in_as } => format!(
                "This invitation was sent to another address. You are signed in as {signed_in_as}: sign in with the invited address to accept it."
            ),
            Self::Unverified => {
                "Verify your email address first (see the mail we sent you), then accept.".into()
            }
            Self::JoinRefused => "We cannot send you an invitation to join this team. Joining needs a verified email address on one of the team's eligible domains.".into(),
            Self::LinkRotated => "This link is no longer valid. Ask the integration's team for a new one.".into(),
            Self::LinkBlocked => "Your access to this integration was revoked, so its invite links no longer admit you. \
                                  Ask its team to invite you again by email.".into(),
            Self::InvitationExpired => "This invitation has expired. Ask the team for a new one.".into(),
            Self::InvitationCancelled => "This invitation was cancelled.".into(),
            Self::InvitationInvalid => "This invitation is not valid: it may have been used already, cancelled, or replaced by a newer one.".into(),
            Self::AlreadyOnTeam => "You are already on this team.".into(),
            Self::NotAcceptedYet { email } => format!(
                "{email} has not accepted yet. Cancel the invitation and invite them again with the other role."
            ),
            Self::AlreadyVerified => "Your email address is already verified.".into(),
            Self::CsvLinkExpired => "This link has expired (links work for 7 days). Ask an admin to export the CSV from the Members page.".into(),
            Self::VersionAccessGone { integration, version } => format!(
                "You no longer have access to {integration} {version}, which this Zap uses. Ask its team to invite you again."
            ),
            Self::VersionNotUsable { integration, version } => format!(
                "You may not use {integration} {version}: ask its team for an invitation."
            ),
            Self::AlreadyUndone => "This removal was undone already; an undo cannot be repeated.".into(),
            Self::UndoExpired => "A removal can be undone for 14 days; this one is older. Invite the person again and move their work by hand.".into(),
        }
    }
}

impl From<Refusal> for AppError {
    fn from(r: Refusal) -> Self {
        Self::Refused(r)
    }
}

impl AppError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        Self::Validation {
            field: field.to_string(),
            message: message.into(),
        }
    }

    /// The message to show beside `field`, if this error is about it.
    pub fn field_message(&self, field: &str) -> Option<String> {
        match self {
            Self::Validation { field: f, message } if f == field => Some(message.clone()),
            _ => None,
        }
    }

    /// The message to show above a form: everything that is not about one field.
    pub fn form_message(&self) -> Option<String> {
        match self {
            Self::Validation { .. } => None,
            other => Some(other.to_string()),
        }
    }

    #[cfg(feature = "ssr")]
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode;
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict(_) | Self::Refused(_) => StatusCode::CONFLICT,
            Self::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal { .. } | Self::Transport(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Log the detail under a fresh reference and answer with the reference only.
    #[cfg(feature = "ssr")]
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        let ref_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        tracing::error!(ref_id, error = %detail, "internal error");
        Self::Internal { ref_id }
    }
}

impl From<crate::domain::policy::Denied> for AppError {
    fn from(d: crate::domain::policy::Denied) -> Self {
        match d {
            crate::domain::policy::Denied::NotVisible => Self::NotFound,
            crate::domain::policy::Denied::Forbidden => Self::Forbidden,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => Self::Transport(m),
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::Deserialization(m) => {
                Self::validation("form", format!("The form was incomplete: {m}"))
            }
            #[cfg(feature = "ssr")]
            other => Self::internal(other),
            #[cfg(not(feature = "ssr"))]
            other => Self::Transport(other.to_string()),
        }
    }
}

/// Constraint names that mean something to a user; everything else is internal.
#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &e {
            match db.constraint() {
                Some("users_email_key") => {
                    return Self::validation("email", "An account with this email already exists.")
                }
                Some("account_members_one_owner") => {
                    return Self::Conflict("An account has exactly one owner.".into())
                }
                _ => {}
            }
            // Text Postgres cannot store or compare: a NUL character (22021), or `\u0000`
            // in JSON (22P05). Bad input, whatever field it came in.
            if matches!(db.code().as_deref(), Some("22021") | Some("22P05")) {
                return Self::validation("input", "Text may not contain NUL (\\0) characters.");
            }
            // The server is shutting down or restarting (57P01..57P03: a connection taken
            // from the pool meets the notice Postgres left on it), or the connection failed
            // (08000, 08003, 08006): the database is unavailable, not the request at fault.
            // A protocol violation (08P01, e.g. a statement bound wrongly) is a bug: a 500.
            if matches!(
                db.code().as_deref(),
                Some("57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006")
            ) {
                tracing::warn!(error = %e, "database unavailable");
                return Self::Unavailable;
            }
            // Two changes crossed (a deadlock one of them lost, or a serialization failure).
            if matches!(db.code().as_deref(), Some("40P01") | Some("40001")) {
                return Self::Conflict(
                    "This changed at the same moment as another change; try again.".into(),
                );
            }
        }
        // No connection free in time, or the database is down: a clean 503, not a 500.
        if matches!(
            e,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
        ) {
            tracing::warn!(error = %e, "database unavailable");
            return Self::Unavailable;
        }
        Self::internal(e)
    }
}
