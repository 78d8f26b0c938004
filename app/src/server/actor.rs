//! Who is asking, resolved once per request by the door it came through (DOMAIN: doors →
//! actor → one service). Services take an `&Actor` and never look at the request.
use crate::auth::CurrentUser;
use crate::domain::policy::TokenScope;
use uuid::Uuid;

/// How the caller came in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Door {
    /// A server function or page, with a session cookie.
    Browser,
    /// `/api/v1`, with a personal access token of this scope.
    Token { id: Uuid, scope: TokenScope },
    /// `/api/v1` with a platform token acting for this user (`Gatehouse-Act-As`): only the
    /// member endpoints for Zaps, folders and connections take it.
    Platform { token: Uuid },
}

/// The caller of one request: who, and through which door.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user: CurrentUser,
    pub door: Door,
    /// The client's address as the listener saw it (for per-client limits).
    pub client: String,
    /// The read epoch and the clock as this request found them, for reads this server
    /// keeps (`server::kept`); None where the caller was resolved another way.
    pub seen: Option<Seen>,
}

/// The read epoch and the database's clock (migration 0019) of one snapshot taken after
/// the request arrived: the session statement's, or for a kept session the epoch
/// statement's (`auth::session_of`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    pub read_epoch: i64,
    pub now: chrono::DateTime<chrono::Utc>,
}

impl std::ops::Deref for Actor {
    type Target = CurrentUser;
    fn deref(&self) -> &CurrentUser {
        &self.user
    }
}
