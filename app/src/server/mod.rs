//! Server-only plumbing: configuration, state, sessions, the mail outbox, history, secrets.
pub mod actor;
pub mod auth;
pub mod client_files;
pub mod config;
pub mod crypto;
pub mod demo;
pub mod door;
pub mod fresh;
pub mod history;
pub mod kept;
pub mod kept_page;
pub mod mail;
pub mod state;
pub mod team_access;
pub mod token;

use crate::error::AppError;
pub use actor::Actor;
use leptos::prelude::*;
pub use state::AppState;

/// The shared state, as provided to every server function and page render.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| AppError::internal("AppState missing from context"))
}

/// Hold transaction-scoped advisory locks on `keys`, one after the other: a count and an
/// insert made under them cannot be raced by a parallel request (limits, budgets). Every
/// caller takes its keys in the same order (the wider one first), so none can deadlock.
pub async fn hold_locks(conn: &mut sqlx::PgConnection, keys: &[String]) -> Result<(), AppError> {
    for key in keys {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(key)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A page cursor as sent: the text the page's order resumes from, opaque (base64url).
pub fn cursor_encode(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

/// The text inside a cursor from `cursor_encode`; anything else is refused.
pub fn cursor_decode(cursor: &str) -> Result<String, AppError> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(|| {
            AppError::validation("cursor", "This cursor is not one this server gave out.")
        })
}

/// Rows fetched one past `limit`: cut to `limit`, and the cursor (`cursor_of` the last
/// row kept) when there were more.
pub fn next_page<T>(
    rows: &mut Vec<T>,
    limit: i64,
    cursor_of: impl Fn(&T) -> String,
) -> Option<String> {
    if rows.len() as i64 <= limit {
        return None;
    }
    rows.truncate(limit.max(0) as usize);
    rows.last().map(cursor_of)
}

/// The state and the signed-in caller of this server function (the browser door).
pub async fn caller() -> Result<(AppState, Actor), AppError> {
    let st = state()?;
    let me = door::browser(&st).await?;
    Ok((st, me))
}

/// Give an error its HTTP status for fetch callers (and keep no page it was part of). Plain form posts are
/// redirected back to the form with the error in the URL, so they keep the redirect.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(e) = &result {
        if let Some(parts) = use_context::<http::request::Parts>() {
            kept_page::Unkept::mark(&parts);
        }
        if !plain_form() {
            if let Some(opts) = use_context::<leptos_axum::ResponseOptions>() {
                opts.set_status(e.status());
            }
        }
    }
    result
}

/// Whether this server function was called by a plain HTML form (JavaScript off), whose
/// answer is a redirect rather than data.
pub fn plain_form() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|p| p.headers.get(http::header::ACCEPT).cloned())
        .and_then(|v| v.to_str().ok().map(|s| s.contains("text/html")))
        .unwrap_or(false)
}

/// Send the browser to `path` after a successful call, with or without JavaScript.
/// `leptos_axum::redirect` panics on a value a header cannot carry; such a path (which
/// only a forged `next` could produce) sends the browser home instead.
pub fn redirect(path: &str) {
    let safe = http::HeaderValue::from_str(path).is_ok()
        && crate::domain::validate::local_path(path).is_some();
    leptos_axum::redirect(if safe { path } else { "/" });
}

/// The schema, applied at every start (`migrations/` at the workspace root).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");
