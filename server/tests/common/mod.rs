//! Boot the real router on 127.0.0.1:0 over a fresh test database, and call it like a browser would.
#![allow(dead_code)]
use app::server::config::Config;
use app::server::AppState;
use reqwest::{redirect::Policy, Client, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use std::sync::Arc;

pub const KEYS: &str = "t1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
pub const PASSWORD: &str = "a-good-password";

pub struct TestApp {
    pub base: String,
    pub pool: PgPool,
    pub state: AppState,
}

pub fn test_config() -> Config {
    Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some("postgres://unused".into()),
        "SECRET_KEYS" => Some(KEYS.into()),
        "MAIL_WORKER" => Some("0".into()),
        _ => None,
    })
    .expect("test config")
}

impl TestApp {
    pub async fn start(pool: PgPool) -> Self {
        Self::start_with(pool, test_config()).await
    }

    pub async fn start_with(pool: PgPool, config: Config) -> Self {
        let never = std::future::pending();
        Self::serve_until(pool, config, server::Limits::default(), never)
            .await
            .0
    }

    /// A browser-like client: keeps cookies, does not follow redirects.
    pub fn client(&self) -> Client {
        Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            // A request the server never answers fails the test instead of hanging it.
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap()
    }

    /// POST a server function with form fields; returns the status and the JSON body.
    pub async fn call(
        &self,
        client: &Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let res = client
            .post(format!("{}/api/{endpoint}", self.base))
            .header("Accept", "application/json")
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (status, body)
    }

    pub async fn get(&self, client: &Client, path: &str) -> reqwest::Response {
        client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    /// Sign up, verify through the mailed link, and sign in; returns the signed-in client.
    pub async fn signed_in(&self, name: &str, email: &str) -> Client {
        let c = self.client();
        let (s, b) = self
            .call(
                &c,
                "auth/sign_up",
                &[("name", name), ("email", email), ("password", PASSWORD)],
            )
            .await;
        assert!(s.is_success() || s.is_redirection(), "sign up {s}: {b}");
        let token = self.mailed_token(email, "/verify?token=").await;
        let (s, b) = self
            .call(
                &c,
                "auth/verify_email",
                &[("token", &token), ("password", PASSWORD)],
            )
            .await;
        assert!(s.is_success() || s.is_redirection(), "verify {s}: {b}");
        self.sign_in(&c, email).await;
        c
    }

    /// Signed up and signed in with `password`, the address never verified (as someone
    /// using an address that is not theirs would be).
    pub async fn unverified(&self, name: &str, email: &str, password: &str) -> Client {
        let c = self.client();
        let (s, b) = self
            .call(
                &c,
                "auth/sign_up",
                &[("name", name), ("email", email), ("password", password)],
            )
            .await;
        assert!(s.is_success() || s.is_redirection(), "sign up {s}: {b}");
        let (s, b) = self
            .call(
                &c,
                "auth/sign_in",
                &[("email", email), ("password", password)],
            )
            .await;
        assert!(s.is_success() || s.is_redirection(), "sign in {s}: {b}");
        c
    }

    pub async fn sign_in(&self, c: &Client, email: &str) {
        let (s, b) = self
            .call(
                c,
                "auth/sign_in",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert!(s.is_success() || s.is_redirection(), "sign in {s}: {b}");
    }

    /// The token of the newest mailed link to `email` that contains `marker`.
    pub async fn mailed_token(&self, email: &str, marker: &str) -> String {
        let (body,): (String,) = sqlx::query_as(
            "SELECT body_text FROM outbox WHERE to_addr = $1 AND body_text LIKE '%' || $2 || '%' ORDER BY id DESC LIMIT 1",
        )
        .bind(email)
        .bind(marker)
        .fetch_one(&self.pool)
        .await
        .expect("a mail with that link");
        let start = body.find(marker).unwrap() + marker.len();
        body[start..].split_whitespace().next().unwrap().to_string()
    }

    /// A personal access token made on the screen's server function, as `c` (signed in).
    pub async fn api_token(&self, c: &Client, scope: &str) -> String {
        let (s, b) = self
            .call(
                c,
                "tokens/create_token",
                &[("name", "script"), ("scope", scope), ("days", "30")],
            )
            .await;
        assert!(s.is_success(), "{b}");
        let t = b["token"].as_str().unwrap().to_string();
        assert!(t.starts_with("gat_"), "{t}");
        t
    }

    pub async fn count(&self, table: &str) -> i64 {
        let (n,): (i64,) = sqlx::query_as(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&self.pool)
            .await
            .unwrap();
        n
    }

    /// Row counts of every table a sign-in flow could touch, to prove a refusal wrote nothing.
    pub async fn snapshot(&self) -> Vec<(String, i64)> {
        let mut out = Vec::new();
        for t in [
            "users",
            "sessions",
            "user_tokens",
            "accounts",
            "account_members",
            "outbox",
            "history",
            "scim_users",
        ] {
            out.push((t.to_string(), self.count(t).await));
        }
        out
    }
}

/// What the screen shows for an error answer: the message of the `AppError` it carries
/// (named refusals travel as data and are worded on both sides by one function).
pub fn message(body: &Value) -> String {
    serde_json::from_value::<app::error::AppError>(body.clone())
        .map(|e| e.to_string())
        .unwrap_or_else(|_| body.to_string())
}

pub fn error_field(body: &Value) -> Option<(&str, &str)> {
    let v = body.get("Validation")?;
    Some((v.get("field")?.as_str()?, v.get("message")?.as_str()?))
}

impl TestApp {
    /// Install an instance as `c` with one login; returns its id.
    pub async fn install(&self, c: &Client, name: &str, username: &str, secret: &str) -> String {
        let (s, id) = self
            .call(
                c,
                "instances/install_instance",
                &[
                    ("name", name),
                    ("app", "jira"),
                    ("config[0][key]", "base_url"),
                    ("config[0][value]", "https://jira.example.com"),
                    ("config[1][key]", "project"),
                    ("config[1][value]", "OPS"),
                    ("username", username),
                    ("secret", secret),
                ],
            )
            .await;
        assert!(s.is_success(), "install: {s} {id}");
        id.as_str().unwrap().to_string()
    }

    pub async fn share(&self, owner: &Client, id: &str, email: &str, access: &str) {
        let (s, b) = self
            .call(
                owner,
                "instances/share_instance",
                &[("id", id), ("email", email), ("access", access)],
            )
            .await;
        assert!(s.is_success(), "share: {s} {b}");
    }
}

impl TestApp {
    /// Like [`TestApp::start_with`], but served by `server::serve` with these limits until
    /// `shutdown` completes; the handle ends when the server has stopped.
    pub async fn serve_until(
        pool: PgPool,
        mut config: Config,
        limits: server::Limits,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> (Self, tokio::task::JoinHandle<std::io::Result<()>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        config.addr = addr;
        config.public_url = format!("http://{addr}");
        let state = AppState {
            pool: pool.clone(),
            leptos_options: server::leptos_options(&config),
            config: Arc::new(config),
            decisions: Default::default(),
            kept: Default::default(),
        };
        let router = server::router_with(state.clone(), limits);
        let handle = tokio::spawn(server::serve(listener, router, shutdown));
        let app = Self {
            base: format!("http://{addr}"),
            pool,
            state,
        };
        (app, handle)
    }

    /// The address the server listens on (`host:port`).
    pub fn addr(&self) -> std::net::SocketAddr {
        self.state.config.addr
    }
}

/// A verified person, as an actor of the browser door (for calling services directly).
pub async fn person(pool: &PgPool, name: &str, email: &str) -> app::server::actor::Actor {
    sqlx::query(
        "INSERT INTO users (email, name, password_hash, email_verified_at) VALUES ($1, $2, 'x', now())",
    )
    .bind(email)
    .bind(name)
    .execute(pool)
    .await
    .unwrap();
    actor_of(pool, email).await
}

/// The browser-door actor of someone who exists already (e.g. made by `signed_in`).
pub async fn actor_of(pool: &PgPool, email: &str) -> app::server::actor::Actor {
    let (id, name, verified): (uuid::Uuid, String, bool) = sqlx::query_as(
        "SELECT id, name, email_verified_at IS NOT NULL FROM users WHERE email = $1",
    )
    .bind(email)
    .fetch_one(pool)
    .await
    .unwrap();
    app::server::actor::Actor {
        user: app::auth::CurrentUser {
            id,
            email: email.into(),
            name,
            email_verified: verified,
        },
        door: app::server::actor::Door::Browser,
        client: "test".into(),
        seen: None,
    }
}
