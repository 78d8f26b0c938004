//! The embeddable join widget (SJ-3): `GET /widget/join/{id}` renders a small form inside
//! a partner's page, `POST` sends the join mail. Plain server-rendered HTML, no WASM, no
//! cookies; `frame-ancestors` lists exactly the integration's allowed origins.
use super::service::{self, Requester};
use super::JoinOutcome;
use crate::domain::email::EmailAddress;
use crate::error::{AppError, Refusal};
use crate::server::AppState;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use sqlx::pool::PoolConnection;
use sqlx::{PgConnection, Postgres};
use std::net::SocketAddr;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct WidgetQuery {
    #[serde(default)]
    pub host: String,
}

#[derive(Debug, Deserialize)]
pub struct WidgetForm {
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub host: String,
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The widget's policy: its own script and style only, framed by the listed origins only.
pub fn csp(origins: &[String]) -> String {
    let ancestors = if origins.is_empty() {
        "'none'".to_string()
    } else {
        origins.join(" ")
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; \
         base-uri 'none'; frame-ancestors {ancestors}"
    )
}

/// What the widget knows of an integration: its name, whether it takes joins, its origins.
struct Target {
    name: String,
    joinable: bool,
    origins: Vec<String>,
}

/// Only public integrations have a widget; anything else answers like a missing one.
async fn target(conn: &mut PgConnection, id: &str) -> Result<Option<Target>, AppError> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    let row: Option<(String, bool, Vec<String>)> = sqlx::query_as(
        "SELECT i.name, i.join_enabled, \
           coalesce((SELECT array_agg(origin ORDER BY origin) FROM embed_origins WHERE integration_id = i.id), '{}') \
         FROM integrations i WHERE i.id = $1 AND i.visibility = 'public'",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(name, joinable, origins)| Target {
        name,
        joinable,
        origins,
    }))
}

fn page(status: StatusCode, origins: &[String], title: &str, body: &str, host: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/widget.css\"></head>\
         <body data-host=\"{}\"><main class=\"gw\">{body}<p class=\"gw-by\">Secured by Gatehouse</p></main>\
         <script src=\"/widget.js\" defer></script></body></html>",
        esc(title),
        esc(host)
    );
    let mut res = (status, html).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&csp(origins)) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    res
}

fn unavailable(status: StatusCode) -> Response {
    page(
        status,
        &[],
        "Not available",
        "<h1>Not available</h1><p>This join form is not available here.</p>",
        "",
    )
}

/// The host page's origin must be one of the listed ones; inside a frame it must be given.
fn host_allowed(t: &Target, host: &str, headers: &HeaderMap) -> bool {
    let framed = headers
        .get("sec-fetch-dest")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|d| d == "iframe");
    if host.is_empty() {
        return !framed;
    }
    t.origins.iter().any(|o| o == host)
}

fn form(id: &str, t: &Target, host: &str, email: &str, message: Option<(bool, String)>) -> String {
    let intro = format!(
        "<h1>Join the {} team</h1><p>Collaborators see the integration's performance, feedback and history. \
         Enter your work email: we mail you a link to finish in Gatehouse.</p>",
        esc(&t.name)
    );
    let msg = match &message {
        Some((true, m)) => format!(
            "<p id=\"gw-msg\" class=\"gw-ok\" role=\"status\">{}</p>",
            esc(m)
        ),
        Some((false, m)) => format!(
            "<p id=\"gw-msg\" class=\"gw-err\" role=\"alert\">{}</p>",
            esc(m)
        ),
        None => String::new(),
    };
    if matches!(message, Some((true, _))) {
        return format!("{intro}{msg}");
    }
    format!(
        "{intro}{msg}<form method=\"post\" action=\"/widget/join/{}\">\
         <input type=\"hidden\" name=\"host\" value=\"{}\">\
         <label for=\"gw-email\">Work email</label>\
         <input id=\"gw-email\" name=\"email\" type=\"email\" autocomplete=\"email\" required value=\"{}\"{}>\
         <button type=\"submit\">Send me a link</button></form>",
        esc(id),
        esc(host),
        esc(email),
        if message.is_some() { " aria-invalid=\"true\" aria-describedby=\"gw-msg\"" } else { "" }
    )
}

/// The request's one connection and the integration, if the widget may render for `host`;
/// otherwise the refusal page.
async fn open(
    st: &AppState,
    id: &str,
    host: &str,
    headers: &HeaderMap,
) -> Result<(PoolConnection<Postgres>, Target), Response> {
    let Ok(mut conn) = st.pool.acquire().await else {
        return Err(unavailable(StatusCode::SERVICE_UNAVAILABLE));
    };
    match target(&mut conn, id).await {
        Ok(Some(t)) if host_allowed(&t, host, headers) => Ok((conn, t)),
        Ok(Some(_)) => Err(unavailable(StatusCode::FORBIDDEN)),
        Ok(None) => Err(unavailable(StatusCode::NOT_FOUND)),
        Err(_) => Err(unavailable(StatusCode::INTERNAL_SERVER_ERROR)),
    }
}

pub async fn show(
    State(st): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<WidgetQuery>,
    headers: HeaderMap,
) -> Response {
    let (_, t) = match open(&st, &id, &q.host, &headers).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let title = format!("Join the {} team", t.name);
    if !t.joinable {
        let body = format!("<h1>{}</h1><p>This team is not taking new collaborators through this form right now.</p>", esc(&title));
        return page(StatusCode::OK, &t.origins, &title, &body, &q.host);
    }
    page(
        StatusCode::OK,
        &t.origins,
        &title,
        &form(&id, &t, &q.host, "", None),
        &q.host,
    )
}

pub async fn submit(
    State(st): State<AppState>,
    Path(id): Path<String>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<WidgetForm>,
) -> Response {
    let (mut conn, t) = match open(&st, &id, &f.host, &headers).await {
        Ok(found) => found,
        Err(refused) => return refused,
    };
    let title = format!("Join the {} team", t.name);
    let answer = |status: StatusCode, ok: bool, m: String, email: &str| {
        page(
            status,
            &t.origins,
            &title,
            &form(&id, &t, &f.host, email, Some((ok, m))),
            &f.host,
        )
    };
    let email = match EmailAddress::parse(&f.email) {
        Ok(e) => e,
        Err(m) => {
            return answer(
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
                m.to_string(),
                &f.email,
            )
        }
    };
    let Ok(uuid) = Uuid::parse_str(&id) else {
        return unavailable(StatusCode::NOT_FOUND);
    };
    let who = Requester {
        user: None,
        email: email.clone(),
        verified: true,
        client: addr.ip().to_string(),
    };
    match service::request(&st, &mut conn, uuid, &who).await {
        // Someone already on the team is told by mail, so the page reveals nothing about them.
        Ok(JoinOutcome::AlreadyMember) | Ok(JoinOutcome::Sent) => {
            answer(StatusCode::OK, true, JoinOutcome::Sent.message(email.as_str()), email.as_str())
        }
        Ok(o) => answer(StatusCode::OK, true, o.message(email.as_str()), email.as_str()),
        Err(AppError::Refused(Refusal::JoinRefused)) => answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            false,
            "This address cannot join this team: joining needs an address on one of the team's eligible domains.".into(),
            email.as_str(),
        ),
        Err(e @ (AppError::Conflict(_) | AppError::Refused(_) | AppError::TooManyRequests(_))) => {
            answer(e.status(), false, e.to_string(), email.as_str())
        }
        Err(e) => answer(e.status(), false, "Something went wrong; please try again later.".into(), email.as_str()),
    }
}

/// The snippet's script (SJ-3). Served from here so its origin is Gatehouse's.
pub async fn embed_js() -> Response {
    static_js(include_str!("embed.js"))
}

/// The widget page's own script: height reports and a busy button.
pub async fn widget_js() -> Response {
    static_js(include_str!("widget.js"))
}

pub async fn widget_css() -> Response {
    let mut res = include_str!("widget.css").into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}

fn static_js(src: &'static str) -> Response {
    let mut res = src.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    // Partner pages load the script cross-origin.
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    res
}
