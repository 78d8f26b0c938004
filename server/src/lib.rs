//! The Gatehouse HTTP server: routes, security headers, limits, request logging, start-up
//! (database, demo data, mail) and a graceful shutdown.
pub mod api_v1;
pub mod scim;

use app::server::config::Config;
use app::server::AppState;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::pool::PoolOptions;
use sqlx::postgres::{PgPoolOptions, Postgres};
use sqlx::PgPool;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tower::ServiceBuilder;
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use tracing::Span;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot reach the database ({0}); is Postgres running and DATABASE_URL right?")]
    Database(String),
    #[error("cannot apply the database migrations: {0}")]
    Migrate(String),
    #[error("cannot load the demo data: {0}")]
    Demo(String),
}

/// What the log shows when `RUST_LOG` says nothing.
pub const DEFAULT_LOG_FILTER: &str = "info,sqlx=warn,tower_http=warn";

/// A request waits at most this long for a database connection, then fails (it does
/// not queue behind a stuck or restarting database).
pub const POOL_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(2);

/// Database connections per server process.
pub const POOL_MAX_CONNECTIONS: u32 = 20;

/// After a shutdown signal, requests in flight get this long to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// The request header that carries a request's id (kept from a proxy, else made here).
pub const REQUEST_ID: &str = "x-request-id";

/// Limits that keep one server answering under load and abuse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Requests handled at once; one more is answered 503 at once instead of queueing.
    pub max_in_flight: usize,
    /// Largest request body; a larger one is answered 413 (declared or streamed).
    pub max_body_bytes: usize,
    /// A request body must have arrived within this time, or it is answered 408 (a client
    /// trickling a body in must not hold a place for ever).
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_in_flight: 256,
            max_body_bytes: 1024 * 1024,
            body_timeout: Duration::from_secs(10),
        }
    }
}

impl Limits {
    /// `MAX_IN_FLIGHT` and `MAX_BODY_BYTES`, read through `get` (the environment in `main`).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let d = Self::default();
        let num = |name: &str, default: usize| -> Result<usize, String> {
            match get(name).filter(|v| !v.trim().is_empty()) {
                None => Ok(default),
                Some(v) => match v.trim().parse::<usize>() {
                    Ok(n) if n > 0 => Ok(n),
                    _ => Err(format!("{name} is invalid: {v:?} is not a positive number")),
                },
            }
        };
        Ok(Self {
            max_in_flight: num("MAX_IN_FLIGHT", d.max_in_flight)?,
            max_body_bytes: num("MAX_BODY_BYTES", d.max_body_bytes)?,
            body_timeout: d.body_timeout,
        })
    }
}

/// A connection idle longer than this is pinged before it is handed out.
pub const POOL_CHECK_IDLE_AFTER: Duration = Duration::from_secs(1);

/// The pool every server uses: a short acquire timeout (a request fails fast instead of
/// queueing when the database is slow or away), and a connection that sat idle checked
/// before use, so connections broken by a database restart are replaced, not handed out.
/// A connection in steady use is not pinged again on the way in (sqlx already pings each
/// one as it goes back to the pool): under load a request waits for its own statements only.
pub fn pool_options() -> PoolOptions<Postgres> {
    PgPoolOptions::new()
        .max_connections(POOL_MAX_CONNECTIONS)
        .acquire_timeout(POOL_ACQUIRE_TIMEOUT)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > POOL_CHECK_IDLE_AFTER {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
        .idle_timeout(Duration::from_secs(300))
        .max_lifetime(Duration::from_secs(1800))
        // No JIT: its compile time (about 100 ms) is paid by any statement whose estimated
        // cost passes `jit_above_cost`, which the check and the Access tab do on a large
        // database, and these statements run in a fraction of a millisecond without it.
        // A SET, not a startup option, so a pooler in front (PgBouncer) accepts it.
        .after_connect(|conn, _| {
            Box::pin(async move {
                sqlx::Executor::execute(conn, "SET jit = off").await?;
                Ok(())
            })
        })
}

/// Connect to Postgres and bring the schema up to date.
pub async fn connect(config: &Config) -> Result<PgPool, StartError> {
    let pool = pool_options()
        .connect(&config.database_url)
        .await
        .map_err(|e| StartError::Database(first_line(&e.to_string())))?;
    app::server::MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StartError::Migrate(e.to_string()))?;
    app::integrations::service::backfill_links(&pool, &config.keyring)
        .await
        .map_err(|e| StartError::Migrate(format!("invite links: {e}")))?;
    Ok(pool)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

/// Where the pages find the client. A release build made by `xtask site` names its files
/// by their content and lists those names in `hash.txt` beside the binary; without that
/// file (tests, a plain `cargo build`) the names are the plain ones.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    let hashed = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").is_file()))
        .unwrap_or(false);
    LeptosOptions::builder()
        .output_name("gatehouse")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .hash_files(hashed)
        .build()
}

/// Connect, migrate, load demo data if asked, and build the router.
pub async fn build_app(config: Config, limits: Limits) -> Result<(Router, AppState), StartError> {
    let pool = connect(&config).await?;
    if config.demo_data {
        app::server::demo::load(&pool, &config.keyring)
            .await
            .map_err(|e| StartError::Demo(e.to_string()))?;
    }
    let state = AppState {
        pool,
        leptos_options: leptos_options(&config),
        config: Arc::new(config),
        decisions: Default::default(),
        kept: Default::default(),
    };
    Ok((router_with(state.clone(), limits), state))
}

/// What the start-up says about mail, given the configuration (`None`: nothing to say).
pub fn mail_notice(config: &Config) -> Option<String> {
    if !config.run_mail_worker || config.smtp_url.is_some() {
        return None;
    }
    Some(if config.dev_mode {
        format!(
            "SMTP_URL is not set: mail stays in the outbox; development mode shows it in the \
             mail viewer at {}/dev/mail",
            config.public_url
        )
    } else {
        "SMTP_URL is not set: mail is NOT delivered. It stays in the outbox table and is not \
         readable anywhere (there is no mail viewer outside development mode, GATEHOUSE_DEV=1). \
         Set SMTP_URL to deliver it."
            .to_string()
    })
}

/// The warning a development-mode start prints before anything else (`None` in production).
pub fn dev_mode_warning(config: &Config) -> Option<String> {
    config.dev_mode.then(|| {
        let rule = "!".repeat(78);
        format!(
            "{rule}\n\
             !! DEVELOPMENT MODE (GATEHOUSE_DEV=1): the mail viewer at {}/dev/mail\n\
             !! shows every mail, sign-in and password-reset links included, to ANYONE\n\
             !! who can reach this server, without signing in.\n\
             !! Never let a development-mode server face the internet.\n\
             !! Unset GATEHOUSE_DEV for any real use.\n\
             {rule}",
            config.public_url
        )
    })
}

/// Serve `router` on `listener` until `shutdown` completes, then stop accepting
/// connections (new ones are refused), let requests in flight finish (at most
/// [`SHUTDOWN_GRACE`]) and return.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with_grace(listener, router, shutdown, SHUTDOWN_GRACE).await
}

/// [`serve`] with another grace period for requests in flight.
pub async fn serve_with_grace(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> std::io::Result<()> {
    let signalled = CancellationToken::new();
    let signal = {
        let signalled = signalled.clone();
        async move {
            shutdown.await;
            tracing::info!("shutting down: no new connections; finishing requests in flight");
            signalled.cancel();
        }
    };
    let server = axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(signal);
    tokio::select! {
        done = server => done,
        () = async { signalled.cancelled().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "requests still in flight after the grace period; stopping anyway");
            Ok(())
        }
    }
}

/// The router over an existing state with the default [`Limits`] (tests build the state
/// from their own database).
pub fn router(state: AppState) -> Router {
    router_with(state, Limits::default())
}

/// The router over an existing state, with these limits.
pub fn router_with(state: AppState, limits: Limits) -> Router {
    let routes = generate_route_list(app::App);
    let ctx = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            provide_context(app::server::door::RequestActor::default());
            leptos::nonce::provide_nonce();
        }
    };
    let shell = {
        let opts = state.leptos_options.clone();
        move || app::shell(opts.clone())
    };
    let in_flight = Arc::new(Semaphore::new(limits.max_in_flight));
    let request_id = HeaderName::from_static(REQUEST_ID);
    // Applied with `Router::layer`, these run after routing (so the matched route is known
    // when the log span is made), for every route and the fallback; first listed, outermost.
    let layers = ServiceBuilder::new()
        .layer(middleware::map_request(drop_odd_request_id))
        .layer(SetRequestIdLayer::new(request_id.clone(), MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_request(())
                .on_response(log_response)
                .on_failure(()),
        )
        .layer(PropagateRequestIdLayer::new(request_id))
        // Cheap refusals first; a body still arriving holds no place among those in
        // flight (a client trickling bodies in must not make the server refuse everyone).
        .layer(middleware::from_fn_with_state(state.clone(), security))
        .layer(middleware::from_fn_with_state(limits, limit_body))
        .layer(middleware::from_fn_with_state(in_flight, shed_load))
        .layer(DefaultBodyLimit::max(limits.max_body_bytes))
        // Innermost: the Members screen sent again as rendered while nothing on it changed.
        .layer(middleware::from_fn_with_state(
            state.clone(),
            app::server::kept_page::members_page,
        ));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/hooks/{token}", post(app::members::routes::catch_hook))
        .route(
            "/widget/join/{id}",
            get(app::join::widget::show).post(app::join::widget::submit),
        )
        .route("/embed.js", get(app::join::widget::embed_js))
        .route("/widget.js", get(app::join::widget::widget_js))
        .route("/widget.css", get(app::join::widget::widget_css))
        .route(
            "/accounts/{account}/members/{user}/export.csv",
            get(app::members::routes::member_csv),
        )
        .route(
            "/transfers/{transfer}/items.csv",
            get(app::members::routes::transfer_csv),
        )
        .route(
            "/accounts/{id}/history/export.csv",
            get(app::history::routes::account_csv),
        )
        .route(
            "/accounts/{id}/history/export.jsonl",
            get(app::history::routes::account_jsonl),
        )
        .route(
            "/integrations/{id}/history/export.csv",
            get(app::history::routes::integration_csv),
        )
        .route(
            "/integrations/{id}/history/export.jsonl",
            get(app::history::routes::integration_jsonl),
        )
        .merge(api_v1::router(state.clone()))
        .merge(scim::router())
        .leptos_routes_with_context(&state, routes, ctx.clone(), shell)
        // The client (WASM, JS, CSS): the brotli or gzip copy `xtask site` wrote beside
        // each, when the client accepts it.
        .nest_service(
            "/pkg",
            ServeDir::new(std::path::Path::new(&*state.leptos_options.site_root).join("pkg"))
                .precompressed_br()
                .precompressed_gzip(),
        )
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(ctx, app::shell))
        .layer(layers)
        // Outermost: pages, JSON and the client's files leave compressed (brotli or gzip,
        // as the client accepts); files written compressed at build time go as they are.
        .layer(
            CompressionLayer::new()
                .br(true)
                .gzip(true)
                .quality(CompressionLevel::Fastest),
        )
        .with_state(state)
}

async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(&st.pool).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

/// A request id from a proxy is kept when it is a plain short token; anything else is
/// dropped (a fresh id is made) so nobody writes what they like into the log.
async fn drop_odd_request_id(mut req: Request) -> Request {
    let odd = req.headers().get(REQUEST_ID).is_some_and(|v| {
        let b = v.as_bytes();
        b.is_empty()
            || b.len() > 64
            || !b
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
    });
    if odd {
        req.headers_mut().remove(REQUEST_ID);
    }
    req
}

/// The log span of a request: its method, its path without the query string (links carry
/// tokens there) and with route parameters that are tokens masked, and its id.
fn request_span(req: &Request) -> Span {
    let id = req
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    let route = req.extensions().get::<MatchedPath>().map(|m| m.as_str());
    tracing::info_span!(
        "request",
        method = %req.method(),
        path = %loggable_path(req.uri().path(), route),
        request_id = %id,
        status = tracing::field::Empty,
        latency_ms = tracing::field::Empty,
    )
}

fn log_response(res: &Response, latency: Duration, span: &Span) {
    let status = res.status().as_u16();
    span.record("status", status);
    span.record("latency_ms", latency.as_millis() as u64);
    if res.status().is_server_error() {
        tracing::warn!("answered");
    } else {
        tracing::info!("answered");
    }
}

/// The path as it may be logged: a segment the route names a token (`/hooks/{token}`,
/// `/invite/{token}`) is replaced by the parameter's name. No query string ever.
pub fn loggable_path(path: &str, route: Option<&str>) -> String {
    redact_token_like(&by_route(path, route))
}

/// Whatever the route (none, a trailing slash, an extra segment), a segment holding
/// something that looks like one of our tokens (a run of 20 or more URL-safe characters
/// that is not a UUID), even percent-encoded or amid other characters, is hidden.
fn redact_token_like(path: &str) -> String {
    path.split('/')
        .map(|seg| {
            if holds_token(&percent_decoded(seg)) {
                "{redacted}"
            } else {
                seg
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn holds_token(text: &str) -> bool {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .any(|run| run.len() >= 20 && uuid::Uuid::parse_str(run).is_err())
}

fn percent_decoded(seg: &str) -> String {
    let bytes = seg.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn by_route(path: &str, route: Option<&str>) -> String {
    let Some(route) = route else {
        return path.to_string();
    };
    let is_secret = |seg: &str| {
        seg.strip_prefix('{')
            .and_then(|s| s.strip_suffix('}'))
            .is_some_and(|name| {
                let name = name.trim_start_matches('*').to_ascii_lowercase();
                name.contains("token") || name.contains("secret")
            })
    };
    let route_segs: Vec<&str> = route.split('/').collect();
    let path_segs: Vec<&str> = path.split('/').collect();
    if route_segs.len() != path_segs.len() || route_segs.iter().any(|s| s.starts_with("{*")) {
        // A wildcard or an odd match: the route template itself is always safe to log.
        return if route_segs.iter().any(|s| is_secret(s)) {
            route.to_string()
        } else {
            path.to_string()
        };
    }
    route_segs
        .iter()
        .zip(&path_segs)
        .map(|(r, p)| if is_secret(r) { *r } else { *p })
        .collect::<Vec<_>>()
        .join("/")
}

/// At most `max_in_flight` requests at once; one more is answered 503 straight away
/// (with `Retry-After`) instead of waiting in an unbounded queue.
async fn shed_load(State(in_flight): State<Arc<Semaphore>>, req: Request, next: Next) -> Response {
    let Ok(_permit) = in_flight.try_acquire() else {
        tracing::warn!("too many requests in flight; answered 503");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::RETRY_AFTER, "1")],
            "The server is busy. Please try again in a moment.",
        )
            .into_response();
    };
    next.run(req).await
}

/// Read the whole body up to `max` bytes before any handler sees it: a larger body,
/// whether its `Content-Length` says so or it streams past the limit in chunks, is
/// answered 413 and never reaches a handler (server functions would answer 500); a body
/// that does not arrive within the time allowed is answered 408.
async fn limit_body(State(limits): State<Limits>, req: Request, next: Next) -> Response {
    let max = limits.max_body_bytes;
    // Under /api/v1 a refusal is a problem document, under /scim/v2 a SCIM error, as
    // every other answer there.
    let api = Door::of(req.uri().path());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) || req.body().size_hint().lower() > max as u64 {
        return too_large(max, api);
    }
    if req.body().size_hint().exact() == Some(0) {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let read = tokio::time::timeout(limits.body_timeout, Limited::new(body, max).collect());
    let bytes: Bytes = match read.await {
        Ok(Ok(collected)) => collected.to_bytes(),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => return too_large(max, api),
        Err(_) => {
            tracing::info!("the request body did not arrive in time; answered 408");
            let mut res = refusal(
                api,
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "The request body did not arrive in time.".into(),
            );
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return res;
        }
        Ok(Err(e)) => {
            let e = e.to_string();
            tracing::info!(error = %first_line(&e), "the request body could not be read");
            return refusal(
                api,
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "The request body could not be read.".into(),
            );
        }
    };
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Which door a request came to, for the shape of a refusal made before any route.
#[derive(Clone, Copy)]
enum Door {
    Plain,
    Api,
    Scim,
}

impl Door {
    fn of(path: &str) -> Self {
        if path.starts_with("/api/v1/") {
            Door::Api
        } else if path.starts_with("/scim/v2/") || path == "/scim/v2" {
            Door::Scim
        } else {
            Door::Plain
        }
    }
}

/// A refusal made before any route: plain text, under `/api/v1` an RFC 9457 problem, under
/// `/scim/v2` a SCIM error (RFC 7644 §3.12).
fn refusal(door: Door, status: StatusCode, code: &str, detail: String) -> Response {
    match door {
        Door::Plain => return (status, detail).into_response(),
        Door::Scim => {
            let body = app::scim::protocol::ScimError::new(status.as_u16(), None, detail).body();
            return (
                status,
                [(header::CONTENT_TYPE, "application/scim+json")],
                body.to_string(),
            )
                .into_response();
        }
        Door::Api => {}
    }
    let body = serde_json::json!({
        "type": format!("https://gatehouse.dev/problems/{code}"),
        "title": status.canonical_reason().unwrap_or("Error"),
        "status": status.as_u16(),
        "detail": detail,
        "code": code,
    });
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn too_large(max: usize, api: Door) -> Response {
    tracing::info!(max, "request body too large; answered 413");
    let mut res = refusal(
        api,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        format!("The request is too large (at most {} KiB).", max / 1024),
    );
    res.headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Refuse cross-site writes; give every response a CSP and the usual hardening headers.
async fn security(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Webhooks are called by other services by design and carry no session.
    let webhook = req.uri().path().starts_with("/hooks/");
    if !safe && !webhook && !same_origin(&req, &st.config.public_url) {
        tracing::warn!("refused a cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    let server_fn =
        req.uri().path().starts_with("/api/") && !req.uri().path().starts_with("/api/v1/");
    let pkg = req.uri().path().strip_prefix("/pkg/").map(str::to_owned);
    let mut res = next.run(req).await;
    if server_fn && res.status() == StatusCode::INTERNAL_SERVER_ERROR {
        res = malformed_is_400(res).await;
    }
    let h = res.headers_mut();
    // No answer sends the browser to another site (leptos sends a failed plain form back
    // to its Referer, which a request could name freely).
    if let Some(to) = h.get(header::LOCATION).and_then(|v| v.to_str().ok()) {
        if !stays_on_site(to, &st.config.public_url) {
            tracing::warn!("replaced a redirect to another site");
            h.insert(header::LOCATION, HeaderValue::from_static("/"));
        }
    }
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if let Some(file) = pkg {
        // The client's files: a content-hashed name (`gatehouse.<hash>.wasm`) never
        // changes what it names, so any cache may keep it for good; anything else there is
        // checked again before use. Pages and answers get no caching header.
        if res.status() == StatusCode::OK || res.status() == StatusCode::NOT_MODIFIED {
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static(if is_hashed_name(&file) {
                    "public, max-age=31536000, immutable"
                } else {
                    "public, no-cache"
                }),
            );
        }
    }
    res
}

/// `gatehouse.<16 hex digits>.<ext>`: a name `xtask site` gave from the file's content.
fn is_hashed_name(file: &str) -> bool {
    let mut parts = file.split('.');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("gatehouse"), Some(hash), Some("js" | "wasm" | "css"), None)
            | (Some("__wasm_split"), Some(hash), Some("js"), None)
            if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
    )
}

/// A server function whose arguments cannot be decoded (a missing field, a bad id) answers
/// with a `Validation` body but status 500 (leptos decides that status before our code
/// runs): it is the request that is wrong, so it is a 400.
async fn malformed_is_400(res: Response) -> Response {
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = Limited::new(body, 64 * 1024)
        .collect()
        .await
        .map(|c| c.to_bytes())
    else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong on our side.",
        )
            .into_response();
    };
    if bytes.starts_with(br#"{"Validation""#) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Whether a `Location` keeps the browser on this site: a local path, or a URL of
/// `public_url`'s origin.
fn stays_on_site(to: &str, public_url: &str) -> bool {
    if to.starts_with('/') {
        return app::domain::validate::local_path(to).is_some();
    }
    match (url::Url::parse(to), url::Url::parse(public_url)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// A browser tells where a request comes from (`Sec-Fetch-Site`, `Origin`); a
/// request that says it comes from another site is refused. Clients that say
/// nothing (the CLI, tests) carry no ambient cookies of a victim's browser.
pub fn same_origin(req: &Request<Body>, public_url: &str) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            origin == public_url
                || origin == format!("http://{host}")
                || origin == format!("https://{host}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_clients_content_hashed_files_are_cached_for_good() {
        for name in [
            "gatehouse.0123456789abcdef.wasm",
            "gatehouse.0123456789abcdef.js",
            "gatehouse.0123456789abcdef.css",
            "__wasm_split.0123456789abcdef.js",
        ] {
            assert!(is_hashed_name(name), "{name}");
        }
        for name in [
            "gatehouse.js",
            "gatehouse_bg.wasm",
            "gatehouse.0123456789abcde.wasm",
            "gatehouse.0123456789abcdeg.wasm",
            "gatehouse.0123456789abcdef.wasm.br",
            "__wasm_split.________________.js",
            "__wasm_split.0123456789abcdef.wasm",
            "__wasm_split_manifest.0123456789abcdef.json",
            "snippets/x.js",
        ] {
            assert!(!is_hashed_name(name), "{name}");
        }
    }

    #[test]
    fn logged_paths_mask_tokens_and_keep_ids() {
        assert_eq!(
            loggable_path("/hooks/abc123secret", Some("/hooks/{token}")),
            "/hooks/{token}"
        );
        assert_eq!(
            loggable_path("/invite/Zm9vYmFy", Some("/invite/{token}")),
            "/invite/{token}"
        );
        assert_eq!(
            loggable_path("/accounts/42/members", Some("/accounts/{id}/members")),
            "/accounts/42/members"
        );
        assert_eq!(loggable_path("/reset", Some("/reset")), "/reset");
        assert_eq!(loggable_path("/no/route", None), "/no/route");
        // Mangled so that no route matches, the token is still hidden (found by an attack).
        let t = "gat_AbCdEfGhIjKlMnOpQrStUv";
        for mangled in [
            format!("/api/v1/gat%5F{}", &t[4..]),
            format!("/api/v1/{t}.json"),
            format!("/api/v1/x;{t}"),
            format!("/api/v1/instances/%67at_{}", &t[4..]),
            format!("/accounts/{t},x"),
            format!("/api/v1/%20{t}"),
        ] {
            let logged = loggable_path(&mangled, None);
            assert!(!logged.contains(&t[4..]), "{mangled} -> {logged}");
        }
        let id = "/api/v1/instances/7f0c3e1a-95a2-4c1e-8a57-2f8ef7b54b1d";
        assert_eq!(loggable_path(id, None), id, "ids stay readable");
        // Unmatched paths (a trailing slash, an extra segment) hide token-like segments too.
        let token = "Zm9vYmFyYmF6cXV4cXV1eA";
        for path in [
            format!("/join/{token}/"),
            format!("/hooks/{token}/x"),
            format!("/invite/{token}"),
        ] {
            let logged = loggable_path(&path, None);
            assert!(!logged.contains(token), "{logged}");
        }
        let hook = "0123456789abcdef0123456789abcdef0123456789abcdef";
        assert!(!loggable_path(&format!("/hooks/{hook}/"), None).contains(hook));
        // Ids are not secrets and stay readable.
        let id = "0b0a6e3e-52a8-4f55-9e0c-6f6f0d0d2b1a";
        assert_eq!(
            loggable_path(&format!("/instances/{id}"), None),
            format!("/instances/{id}")
        );
        assert_eq!(
            loggable_path("/files/a/b", Some("/files/{*secret_path}")),
            "/files/{*secret_path}"
        );
    }

    #[test]
    fn limits_come_from_the_environment_or_defaults() {
        assert_eq!(Limits::from_lookup(|_| None).unwrap(), Limits::default());
        let l = Limits::from_lookup(|k| match k {
            "MAX_IN_FLIGHT" => Some("8".into()),
            "MAX_BODY_BYTES" => Some("4096".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            l,
            Limits {
                max_in_flight: 8,
                max_body_bytes: 4096,
                ..Limits::default()
            }
        );
        let e = Limits::from_lookup(|k| (k == "MAX_IN_FLIGHT").then(|| "0".into())).unwrap_err();
        assert!(e.starts_with("MAX_IN_FLIGHT is invalid"), "{e}");
    }

    fn config(pairs: &[(&str, &str)]) -> Config {
        Config::from_lookup(|k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
                .or_else(|| match k {
                    "DATABASE_URL" => Some("postgres://x/y".into()),
                    "SECRET_KEYS" => Some("t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
                    _ => None,
                })
        })
        .unwrap()
    }

    // covers: X-9
    #[test]
    fn start_up_says_where_mail_goes_and_warns_about_development_mode() {
        let prod = config(&[]);
        let note = mail_notice(&prod).unwrap();
        assert!(note.contains("NOT delivered"), "{note}");
        assert!(note.contains("not readable anywhere"), "{note}");
        assert!(!note.contains("/dev/mail"), "{note}");
        assert!(dev_mode_warning(&prod).is_none());

        let dev = config(&[("GATEHOUSE_DEV", "1")]);
        assert!(mail_notice(&dev).unwrap().contains("/dev/mail"));
        let w = dev_mode_warning(&dev).unwrap();
        assert!(w.contains("DEVELOPMENT MODE"), "{w}");
        assert!(w.contains("/dev/mail") && w.contains("ANYONE"), "{w}");
        assert!(w.contains("Never let a development-mode server face the internet"));

        let smtp = config(&[("SMTP_URL", "smtp://127.0.0.1:25")]);
        assert!(mail_notice(&smtp).is_none());
    }
}
