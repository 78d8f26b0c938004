//! The browser door: who is asking, from the session cookie of this server function,
//! page render or plain route. Only doors read the request; services get an [`Actor`].
use super::actor::{Actor, Door};
use super::{auth, AppState};
use crate::error::AppError;
use leptos::prelude::use_context;

/// The client's address, as the listener saw it (no proxy headers are trusted).
pub fn client_of(parts: &http::request::Parts) -> String {
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The signed-in caller of this server function or page, or `Unauthenticated`.
pub async fn browser(st: &AppState) -> Result<Actor, AppError> {
    browser_optional(st).await?.ok_or(AppError::Unauthenticated)
}

/// The caller of one request, resolved once: a server-rendered page asks for it from its
/// layout and from each of its resources, and every ask after the first is answered
/// without another statement. It lives exactly as long as the request (the server
/// provides a fresh one per request), so a session that ends is seen by the next request.
#[derive(Clone, Default)]
pub struct RequestActor(std::sync::Arc<tokio::sync::OnceCell<Option<Actor>>>);

/// The signed-in caller of this server function or page, if any.
pub async fn browser_optional(st: &AppState) -> Result<Option<Actor>, AppError> {
    let Some(parts) = use_context::<http::request::Parts>() else {
        return Ok(None);
    };
    // Resolved before the render (the kept Members page): the same caller, same snapshot.
    if let Some(r) = parts.extensions.get::<super::kept_page::ResolvedActor>() {
        return Ok(Some(r.0.clone()));
    }
    match use_context::<RequestActor>() {
        Some(memo) => memo
            .0
            .get_or_try_init(|| from_headers(st, &parts.headers, client_of(&parts)))
            .await
            .cloned(),
        None => from_headers(st, &parts.headers, client_of(&parts)).await,
    }
}

/// The caller of a plain route (CSV downloads), from its cookie header.
pub async fn from_headers(
    st: &AppState,
    headers: &http::HeaderMap,
    client: String,
) -> Result<Option<Actor>, AppError> {
    let Some(token) = auth::session_token(headers) else {
        return Ok(None);
    };
    Ok(auth::session_of(st, &token)
        .await?
        .map(|(user, seen)| Actor {
            user,
            door: Door::Browser,
            client,
            seen: Some(seen),
        }))
}
