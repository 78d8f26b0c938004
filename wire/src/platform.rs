//! The platform's door (PL-1, PL-2, PL-3): questions the platform asks, the Zaps and
//! connections members manage, and the webhook endpoints events are sent to.
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The most questions in one check.
pub const MAX_QUESTIONS: usize = 100;

/// What the platform asks about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CheckAction {
    /// May `user` use version `version` of integration `object` in a Zap?
    UseVersion,
    /// May `user` run app instance `object`?
    RunInstance,
    /// May `user` change (edit, switch, move, delete) Zap `object`?
    ChangeZap,
    /// May `user` put app connection `object` into a Zap?
    UseConnection,
}

/// One question: may this person do this to that?
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub user: Uuid,
    pub action: CheckAction,
    /// The integration, instance, Zap or connection.
    pub object: Uuid,
    /// The version (e.g. `1.2.0`), for `use_version` only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// A batch of 1 to 100 questions, answered in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    pub questions: Vec<Question>,
}

/// The answer to one question, with the reason: when allowed, the road that allows it
/// (`public`, `invitation`, `link`, `public_grant`, `owner`, `write_share`,
/// `shared_connection`); when denied, the rule that refuses (`no_access`,
/// `access_ended`, `not_yet`, `read_only_share`, `not_owner`, `not_a_member`,
/// `connection_expired`, `unknown_user`, `not_found`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answer {
    pub allowed: bool,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CheckAnswers {
    pub answers: Vec<Answer>,
}

/// Register a webhook endpoint: every event from now on is sent there, signed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// `https://…` (or `http://` for a receiver on the same host).
    pub url: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub description: String,
    pub created_at: DateTime<Utc>,
    pub active: bool,
}

/// A new endpoint and its signing secret, shown here and never again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WebhookCreated {
    pub webhook: Webhook,
    /// `whsec_…`: the key of the HMAC-SHA256 in `Gatehouse-Signature`.
    pub secret: String,
}

/// One delivery of an event to an endpoint, for operators.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub event_id: Uuid,
    pub kind: String,
    pub endpoint_id: Uuid,
    pub url: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i32,
    /// `pending`, `delivered` or `failed` (gave up after the last attempt).
    pub state: String,
    pub delivered_at: Option<DateTime<Utc>>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
}

/// A new app connection of one's own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    /// The app, e.g. `Slack`.
    pub app: String,
    pub name: String,
    /// Private (only its owner's Zaps use it) unless said otherwise.
    #[serde(default = "yes")]
    pub private: bool,
}

fn yes() -> bool {
    true
}

/// A new folder of one's own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewFolder {
    pub name: String,
    /// A shared folder holds shared Zaps of everyone in the account.
    #[serde(default)]
    pub shared: bool,
}

/// How a Zap starts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    #[default]
    None,
    /// A webhook URL, shown to the owner, that starts the Zap.
    CatchHook,
    CatchRawHook,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::CatchHook => "catch_hook",
            Self::CatchRawHook => "catch_raw_hook",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" | "" => Some(Self::None),
            "catch_hook" => Some(Self::CatchHook),
            "catch_raw_hook" => Some(Self::CatchRawHook),
            _ => None,
        }
    }
}

/// A new Zap of one's own: the versions must be ones its owner may use; the connections
/// their own or shared ones of the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewZap {
    pub name: String,
    #[serde(default)]
    pub folder_id: Option<Uuid>,
    /// Integration version ids (at most 20).
    #[serde(default)]
    pub versions: Vec<Uuid>,
    /// App connection ids (at most 20).
    #[serde(default)]
    pub connections: Vec<Uuid>,
    #[serde(default)]
    pub trigger: Trigger,
    #[serde(default = "yes")]
    pub private: bool,
}

/// Change a Zap of one's own; what is absent stays.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ZapChange {
    #[serde(default)]
    pub name: Option<String>,
    /// A new trigger; a catch hook gets a new webhook URL.
    #[serde(default)]
    pub trigger: Option<Trigger>,
    /// Switch on (refused with the reason when access to a version is gone) or off.
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Move a Zap to one of one's folders (or a shared one), or out of every folder.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ZapMove {
    pub folder_id: Option<Uuid>,
}

/// What deleting a connection does: the Zaps that use it, which pause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionDeletion {
    pub connection: String,
    pub owner_name: String,
    /// The Zaps that use it (on or off), by name.
    pub zaps: Vec<String>,
    /// Those of them that were on and pause.
    pub zaps_paused: Vec<String>,
    pub deleted: bool,
}

/// Say what a deletion would do, without doing it.
#[derive(Debug, Default, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct DryRun {
    #[serde(default)]
    pub dry_run: bool,
}
