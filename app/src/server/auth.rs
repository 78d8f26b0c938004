//! Who is asking: password hashing, server-side sessions and the session cookie (AC-1).
use super::actor::Seen;
use super::{token, AppState};
use crate::auth::CurrentUser;
use crate::error::AppError;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use chrono::{DateTime, Utc};
use http::header::{COOKIE, SET_COOKIE};
use http::HeaderValue;
use leptos::prelude::*;
use sqlx::PgConnection;
use uuid::Uuid;

pub const COOKIE_NAME: &str = "gatehouse_session";
pub const SESSION_DAYS: i64 = 14;

/// Argon2 spends ~0.17 s of CPU per call: at most this many run at once, so a burst of
/// sign-ups or sign-ins cannot take every core.
const HASHING_AT_ONCE: usize = 2;
static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(HASHING_AT_ONCE);
/// How long a request waits for its turn to hash before it is told to try again.
const HASHING_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

async fn hashing_turn() -> Result<tokio::sync::SemaphorePermit<'static>, AppError> {
    match tokio::time::timeout(HASHING_WAIT, HASHING.acquire()).await {
        Ok(Ok(permit)) => Ok(permit),
        _ => Err(AppError::Unavailable),
    }
}

/// Argon2id with the crate's default (OWASP) parameters, off the async executor.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    let _turn = hashing_turn().await?;
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
    .map_err(AppError::internal)?
}

/// Checks a password; with no stored hash it still spends the same work, so
/// an unknown email and a wrong password take as long as each other.
pub async fn verify_password(stored: Option<String>, password: String) -> Result<bool, AppError> {
    let _turn = hashing_turn().await?;
    Ok(tokio::task::spawn_blocking(move || {
        // No user, or one with no usable password: verify against a hash nobody's
        // password matches, so the answer takes as long as a real check.
        let (stored, usable) = match stored {
            Some(s) if PasswordHash::new(&s).is_ok() => (s, true),
            _ => (dummy_hash().to_string(), false),
        };
        let Ok(parsed) = PasswordHash::new(&stored) else {
            return false;
        };
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            && usable
    })
    .await
    .unwrap_or(false))
}

/// A stored password hash no password matches (a person provisioned over SCIM before they
/// choose one): not a PHC string, so no password verifies against it (verifying costs what
/// any verification costs), and different for every person, so a sign-in can tell that
/// it changed while the password was being checked.
pub fn unusable_password_hash() -> String {
    let (nobody_knows, _) = token::new_token();
    format!("!unset:{nobody_knows}")
}

/// An Argon2id hash of a random string nobody knows, made once per process.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let (nobody_knows, _) = token::new_token();
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(nobody_knows.as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// The client's address, as the listener saw it (no proxy headers are trusted).
pub fn client_addr() -> String {
    use_context::<http::request::Parts>()
        .map(|p| super::door::client_of(&p))
        .unwrap_or_else(|| "unknown".into())
}

/// The session token from a request's cookies.
pub fn session_token(headers: &http::HeaderMap) -> Option<String> {
    cookie(headers, COOKIE_NAME)
}

/// A cookie's value from a request's headers.
pub fn cookie(headers: &http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn session_token_from_request() -> Option<String> {
    session_token(&use_context::<http::request::Parts>()?.headers)
}

/// The user a session token belongs to, if the session is live.
pub async fn user_for_token(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<CurrentUser>, AppError> {
    Ok(session_for_token(conn, token).await?.map(|(user, _)| user))
}

/// As [`user_for_token`], with what the same snapshot says beside the session: the read
/// epoch and the clock, so reads this server keeps can be answered without another
/// statement (`server::kept`).
pub async fn session_for_token(
    conn: &mut PgConnection,
    token: &str,
) -> Result<Option<(CurrentUser, Seen)>, AppError> {
    Ok(session_row(conn, &token::hash(token))
        .await?
        .map(|(user, seen, _)| (user, seen)))
}

/// The session statement (a kept session rests on every table it reads).
pub(crate) const SESSION_SQL: &str =
    "SELECT u.id, u.email, u.name, u.email_verified_at IS NOT NULL, \
            (SELECT n FROM read_epoch), now(), s.expires_at \
     FROM sessions s JOIN users u ON u.id = s.user_id \
     WHERE s.token_hash = $1 AND s.expires_at > now()";

/// The session statement: the session's person, the read epoch and the clock of one
/// snapshot, and when the session expires.
async fn session_row(
    conn: &mut PgConnection,
    token_hash: &[u8],
) -> Result<Option<(CurrentUser, Seen, DateTime<Utc>)>, AppError> {
    type Row = (
        Uuid,
        String,
        String,
        bool,
        i64,
        DateTime<Utc>,
        DateTime<Utc>,
    );
    let row: Option<Row> = sqlx::query_as(SESSION_SQL)
        .bind(token_hash)
        .fetch_optional(conn)
        .await?;
    Ok(row.map(
        |(id, email, name, email_verified, read_epoch, now, expires_at)| {
            (
                CurrentUser {
                    id,
                    email,
                    name,
                    email_verified,
                },
                Seen { read_epoch, now },
                expires_at,
            )
        },
    ))
}

/// The caller of a request by its session token, as [`session_for_token`] answers, in
/// one statement. A session this server read before is kept (`KeptReads::sessions`, until
/// it expires): while the read epoch is the one it was read at, nothing it rests on has
/// changed (an ended session, a renamed person or a verified address moves it: migrations
/// 0019 and 0021), so the request reads only that number and the clock, from a statement
/// sent after it arrived and shared with the requests that arrived meanwhile
/// (`server::fresh`). Otherwise, or with kept reads switched off, the session statement.
pub async fn session_of(
    st: &AppState,
    token: &str,
) -> Result<Option<(CurrentUser, Seen)>, AppError> {
    let hash = token::hash(token);
    let kept = &st.kept.sessions;
    let keep = st.config.keep_reads;
    if keep && kept.holds(&hash) {
        let e = st.kept.fresh.read(&st.pool).await?;
        let seen = Seen {
            read_epoch: e.n,
            now: e.now,
        };
        if let Some(user) = kept.get_or_drop(&hash, &seen) {
            return Ok(Some(((*user).clone(), seen)));
        }
    }
    let mut conn = st.pool.acquire().await?;
    Ok(session_row(&mut conn, &hash)
        .await?
        .map(|(user, seen, expires_at)| {
            if keep {
                let kept_user = std::sync::Arc::new(user.clone());
                kept.keep(hash, seen.read_epoch, Some(expires_at), 1, kept_user);
            }
            (user, seen)
        }))
}

/// The signed-in user of this request, read on the request's own connection.
pub async fn current_user(conn: &mut PgConnection) -> Result<Option<CurrentUser>, AppError> {
    match session_token_from_request() {
        Some(token) => user_for_token(conn, &token).await,
        None => Ok(None),
    }
}

/// Like [`current_user`], but a request without a session is refused.
pub async fn require_user(conn: &mut PgConnection) -> Result<CurrentUser, AppError> {
    current_user(conn).await?.ok_or(AppError::Unauthenticated)
}

/// Start a session for `user_id` and hand its cookie to the browser.
pub async fn start_session(
    conn: &mut PgConnection,
    user_id: Uuid,
    secure: bool,
) -> Result<(), AppError> {
    let (text, hash) = token::new_token();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, expires_at) \
         VALUES ($1, $2, now() + make_interval(days => $3))",
    )
    .bind(hash)
    .bind(user_id)
    .bind(SESSION_DAYS as i32)
    .execute(conn)
    .await?;
    set_cookie(&format!(
        "{COOKIE_NAME}={text}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        SESSION_DAYS * 86400,
        if secure { "; Secure" } else { "" }
    ));
    Ok(())
}

/// End this request's session, if any, and clear the cookie.
pub async fn end_session(conn: &mut PgConnection, secure: bool) -> Result<(), AppError> {
    if let Some(token) = session_token_from_request() {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token::hash(&token))
            .execute(conn)
            .await?;
    }
    set_cookie(&format!(
        "{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    ));
    Ok(())
}

/// Add a `Set-Cookie` to this server function's or page's answer.
pub fn set_cookie(value: &str) {
    if let (Some(opts), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        HeaderValue::from_str(value),
    ) {
        opts.append_header(SET_COOKIE, v);
    }
}

/// Carry a secret just made by a plain form (no JavaScript) to the page its redirect
/// opens, in a short-lived, HttpOnly, same-site cookie: the page shows it once (`take_secret`).
pub fn stash_secret(name: &str, text: &str, minutes: i32, secure: bool) {
    set_cookie(&format!(
        "{name}={text}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        minutes * 60,
        if secure { "; Secure" } else { "" }
    ));
}

/// The secret `stash_secret` carried, once: the cookie is cleared as it is read.
pub fn take_secret(name: &str, secure: bool) -> Option<String> {
    let text = use_context::<http::request::Parts>().and_then(|p| cookie(&p.headers, name))?;
    set_cookie(&format!(
        "{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    ));
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    // covers: AC-1
    #[tokio::test]
    async fn argon2id_round_trip_and_dummy() {
        let h = hash_password("correct horse battery".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(
            verify_password(Some(h.clone()), "correct horse battery".into())
                .await
                .unwrap()
        );
        assert!(!verify_password(Some(h), "wrong horse battery".into())
            .await
            .unwrap());
        assert!(!verify_password(None, "anything at all".into())
            .await
            .unwrap());
    }
}
