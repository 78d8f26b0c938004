//! The Gatehouse HTTP server: routes, security headers, and start-up (database, demo data, mail).
use app::server::config::Config;
use app::server::AppState;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot reach the database ({0}); is Postgres running and DATABASE_URL right?")]
    Database(String),
    #[error("cannot apply the database migrations: {0}")]
    Migrate(String),
    #[error("cannot load the demo data: {0}")]
    Demo(String),
}

/// Connect to Postgres and bring the schema up to date.
pub async fn connect(config: &Config) -> Result<PgPool, StartError> {
    let pool = PgPoolOptions::new()
        .max_connections(20)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&config.database_url)
        .await
        .map_err(|e| StartError::Database(first_line(&e.to_string())))?;
    app::server::MIGRATOR
        .run(&pool)
        .await
        .map_err(|e| StartError::Migrate(e.to_string()))?;
    Ok(pool)
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or_default().to_string()
}

pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("gatehouse")
        .site_root(config.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(config.addr)
        .build()
}

/// Connect, migrate, load demo data if asked, and build the router.
pub async fn build_app(config: Config) -> Result<(Router, AppState), StartError> {
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
    };
    Ok((router(state.clone()), state))
}

/// The router over an existing state (tests build the state from their own database).
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(app::App);
    let ctx = {
        let state = state.clone();
        move || {
            provide_context(state.clone());
            leptos::nonce::provide_nonce();
        }
    };
    let shell = {
        let opts = state.leptos_options.clone();
        move || app::shell(opts.clone())
    };
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
        .leptos_routes_with_context(&state, routes, ctx.clone(), shell)
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(ctx, app::shell))
        .layer(middleware::from_fn_with_state(state.clone(), security))
        .with_state(state)
}

async fn healthz(State(st): State<AppState>) -> impl IntoResponse {
    match sqlx::query("SELECT 1").execute(&st.pool).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

const DEFAULT_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Refuse cross-site writes; give every response a CSP and the usual hardening headers.
async fn security(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    // Webhooks are called by other services by design and carry no session.
    let webhook = req.uri().path().starts_with("/hooks/");
    if !safe && !webhook && !same_origin(&req, &st.config.public_url) {
        tracing::warn!(path = %req.uri().path(), "refused a cross-site request");
        return (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response();
    }
    let mut res = next.run(req).await;
    let h = res.headers_mut();
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
    res
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
