//! Plain HTTP routes of this feature: CSV downloads (OF-4, OF-5) and the catch-hook endpoint.
use crate::error::AppError;
use crate::server::{door, Actor, AppState};
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use uuid::Uuid;

/// `attachment` with the name in ASCII (`filename`), and in full as UTF-8
/// (`filename*`, RFC 6266), without the direction controls that could disguise it.
pub fn attachment(name: &str) -> String {
    let visible: String = name
        .chars()
        .filter(|c| !matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
        .filter(|c| !c.is_control())
        .collect();
    let ascii: String = visible
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " -_.'".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in visible.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// A CSV download: its name, no caching.
pub fn csv_response(result: Result<(String, Vec<u8>), AppError>) -> Response {
    download(result.map(|(name, body)| (name, "text/csv; charset=utf-8", body)))
}

/// A file download: (name, content type, body), no caching; an error as plain text.
pub fn download(result: Result<(String, &'static str, Vec<u8>), AppError>) -> Response {
    match result {
        Ok((name, kind, body)) => {
            let mut res = body.into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            if let Ok(v) = HeaderValue::from_str(&attachment(&name)) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res
        }
        Err(e) => (e.status(), e.to_string()).into_response(),
    }
}

/// The plain-route door: the session cookie of the download request.
pub(crate) async fn caller(
    st: &AppState,
    headers: &HeaderMap,
    client: SocketAddr,
) -> Result<Actor, AppError> {
    door::from_headers(st, headers, client.ip().to_string())
        .await?
        .ok_or(AppError::Unauthenticated)
}

pub async fn member_csv(
    State(st): State<AppState>,
    Path((account, user)): Path<(Uuid, Uuid)>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    csv_response(
        async {
            let me = caller(&st, &headers, client).await?;
            super::service::member_csv(&st, &me, account, user).await
        }
        .await,
    )
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

pub async fn transfer_csv(
    State(st): State<AppState>,
    Path(transfer): Path<Uuid>,
    Query(q): Query<TokenQuery>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    csv_response(
        async {
            let me = caller(&st, &headers, client).await?;
            super::service::transfer_csv(&st, &me, transfer, &q.token).await
        }
        .await,
    )
}

/// A catch hook: a POST to a Zap's URL is recorded as a run of that Zap.
pub async fn catch_hook(
    State(st): State<AppState>,
    Path(token): Path<String>,
    body: Bytes,
) -> Response {
    let payload = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).into_owned();
    let run: Result<Option<(i64,)>, sqlx::Error> = sqlx::query_as(
        "INSERT INTO zap_runs (zap_id, payload) SELECT id, $2 FROM zaps WHERE webhook_token = $1 RETURNING id",
    )
    .bind(&token)
    .bind(payload)
    .fetch_optional(&st.pool)
    .await;
    match run {
        Ok(Some(_)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            "{\"status\":\"success\"}",
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "No Zap listens at this URL.").into_response(),
        Err(e) => {
            let e = AppError::from(e);
            (e.status(), e.to_string()).into_response()
        }
    }
}
