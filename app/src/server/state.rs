//! What every request can reach: the pool, the configuration, the site options.
use super::config::Config;
use leptos::config::LeptosOptions;
use sqlx::PgPool;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<Config>,
    pub leptos_options: LeptosOptions,
    /// The check's recent decisions (kept per server, each checked against the database's
    /// access epoch before it is reused).
    pub decisions: Arc<crate::platform::check::Decisions>,
    /// The screens' reads kept per server, each checked against the read epoch the
    /// caller's session statement saw before it is used again.
    pub kept: Arc<super::kept::KeptReads>,
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(s: &AppState) -> Self {
        s.leptos_options.clone()
    }
}
