//! Events the platform must act on (PL-3): written to the `events` outbox in the
//! transaction of the change they tell of (a trigger fans each out to every live
//! endpoint), delivered by a worker, signed with HMAC-SHA256 over `"{t}.{body}"` as
//! Stripe and GitHub sign theirs, retried with backoff, carrying the event's id so the
//! receiver can drop a repeat.
//!
//! Several servers each run a worker: a delivery is claimed with `FOR UPDATE SKIP
//! LOCKED` and marked in the transaction that holds its lock, so no two servers send it.
use super::tokens::Platform;
use super::{Delivery, NewWebhook, Webhook, WebhookCreated};
use crate::domain::policy;
use crate::error::AppError;
use crate::server::crypto::{Sealed, Secret};
use crate::server::{Actor, AppState};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// Give up on a delivery after this many failed attempts (about 8 hours of backoff).
pub const MAX_ATTEMPTS: i32 = 12;
/// How long a receiver has to answer.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// The most live endpoints (each event is sent to every one).
pub const MAX_ENDPOINTS: i64 = 20;
/// Events are kept this many days once every delivery of theirs is settled (delivered or
/// given up): long enough for an operator to look back and resend.
pub const KEEP_DAYS: i32 = 30;
/// How often the worker prunes settled events, in rounds (about seconds).
const PRUNE_EVERY: u32 = 600;

/// What happened, as the `type` of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A person may no longer use an integration (or some of its versions); with the
    /// Zaps that paused.
    AccessEnded,
    /// A Zap paused for another reason (its connection was deleted).
    ZapPaused,
    /// A member left an account; their work passed to the new owner (OF-3).
    MemberRemoved,
    /// A Zap's webhook URL changed (the old one stops answering).
    ZapWebhookChanged,
    /// An instance was shared, its share changed or ended.
    InstanceShareChanged,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AccessEnded => "access.ended",
            Self::ZapPaused => "zap.paused",
            Self::MemberRemoved => "member.removed",
            Self::ZapWebhookChanged => "zap.webhook_changed",
            Self::InstanceShareChanged => "instance.share_changed",
        }
    }
}

/// Write one event in the caller's transaction.
pub async fn emit(conn: &mut PgConnection, kind: Kind, payload: Value) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO events (kind, payload) VALUES ($1, $2)")
        .bind(kind.as_str())
        .bind(payload)
        .execute(conn)
        .await?;
    Ok(())
}

/// `Gatehouse-Signature` for `body` sent at unix time `t`: `t=<t>,v1=<hex HMAC-SHA256 of "t.body">`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

/// Check a `Gatehouse-Signature` as a receiver should: the MAC (in constant time) and a
/// timestamp within `tolerance` seconds of `now`.
pub fn verify(secret: &str, header: &str, body: &str, now: i64, tolerance: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = Some(v),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    if (now - t).abs() > tolerance || v1.len() != 64 {
        return false;
    }
    let Some(bytes) = (0..32)
        .map(|i| u8::from_str_radix(v1.get(2 * i..2 * i + 2)?, 16).ok())
        .collect::<Option<Vec<u8>>>()
    else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.verify_slice(&bytes).is_ok()
}

#[derive(sqlx::FromRow)]
struct WebhookRow {
    id: Uuid,
    url: String,
    description: String,
    created_at: DateTime<Utc>,
    active: bool,
}

impl From<WebhookRow> for Webhook {
    fn from(r: WebhookRow) -> Self {
        Webhook {
            id: r.id,
            url: r.url,
            description: r.description,
            created_at: r.created_at,
            active: r.active,
        }
    }
}

fn check_url(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    let bad = || {
        AppError::validation(
            "url",
            "Give the receiver's address: https://… (or http://… on a private network), at most 2,000 characters.",
        )
    };
    if text.len() > 2000 {
        return Err(bad());
    }
    let url = url::Url::parse(text).map_err(|_| bad())?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none() {
        return Err(bad());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::validation(
            "url",
            "Leave credentials out of the address: every event is signed instead.",
        ));
    }
    Ok(url.to_string())
}

/// Register an endpoint; its signing secret is in the answer and, sealed, in the database.
pub async fn register(
    st: &AppState,
    platform: &Platform,
    input: &NewWebhook,
) -> Result<WebhookCreated, AppError> {
    let url = check_url(&input.url)?;
    let description = input.description.trim();
    if description.chars().count() > 200 {
        return Err(AppError::validation(
            "description",
            "A description has at most 200 characters.",
        ));
    }
    let (raw, _) = crate::server::token::new_token();
    let secret = format!("whsec_{raw}");
    let sealed = st.config.keyring.seal(&Secret::new(secret.clone()));
    let mut tx = st.pool.begin().await?;
    crate::server::hold_locks(&mut tx, &["webhook_endpoints".to_string()]).await?;
    let (live,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM webhook_endpoints WHERE disabled_at IS NULL")
            .fetch_one(&mut *tx)
            .await?;
    if live >= MAX_ENDPOINTS {
        return Err(AppError::validation(
            "url",
            format!("There are {MAX_ENDPOINTS} live endpoints, the most there may be: remove one first."),
        ));
    }
    let row: WebhookRow = sqlx::query_as(
        "INSERT INTO webhook_endpoints (url, description, secret_key_id, secret_nonce, secret_ciphertext, created_by) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, url, description, created_at, true AS active",
    )
    .bind(&url)
    .bind(description)
    .bind(&sealed.key_id)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .bind(platform.token_id)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(WebhookCreated {
        webhook: row.into(),
        secret,
    })
}

pub async fn list(st: &AppState, _platform: &Platform) -> Result<Vec<Webhook>, AppError> {
    let rows: Vec<WebhookRow> = sqlx::query_as(
        "SELECT id, url, description, created_at, disabled_at IS NULL AS active FROM webhook_endpoints \
         ORDER BY created_at DESC, id LIMIT 100",
    )
    .fetch_all(&st.pool)
    .await?;
    Ok(rows.into_iter().map(Webhook::from).collect())
}

/// Stop sending to an endpoint; its pending deliveries are dropped.
pub async fn remove(st: &AppState, _platform: &Platform, id: Uuid) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE webhook_endpoints SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    sqlx::query(
        "UPDATE event_deliveries SET failed_at = now(), last_error = 'The endpoint was removed.' \
         WHERE endpoint_id = $1 AND delivered_at IS NULL AND failed_at IS NULL",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct Due {
    event_id: Uuid,
    endpoint_id: Uuid,
    kind: String,
    attempts: i32,
    body: String,
    url: String,
    secret_key_id: String,
    secret_nonce: Vec<u8>,
    secret_ciphertext: Vec<u8>,
}

fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(SEND_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("Gatehouse-Webhooks/1")
            .build()
            .unwrap_or_default()
    })
}

/// Send one due delivery; (HTTP status, error) on failure.
async fn send(st: &AppState, d: &Due) -> Result<i32, (Option<i32>, String)> {
    let secret = st
        .config
        .keyring
        .open(&Sealed {
            key_id: d.secret_key_id.clone(),
            nonce: d.secret_nonce.clone(),
            ciphertext: d.secret_ciphertext.clone(),
        })
        .map_err(|e| (None, format!("the endpoint's secret cannot be opened: {e}")))?;
    let t = Utc::now().timestamp();
    let res = client()
        .post(&d.url)
        .header("content-type", "application/json")
        .header("gatehouse-event-id", d.event_id.to_string())
        .header("gatehouse-event-type", &d.kind)
        .header(
            "gatehouse-signature",
            signature(secret.expose(), t, &d.body),
        )
        .body(d.body.clone())
        .send()
        .await
        .map_err(|e| {
            let why = if e.is_timeout() {
                "the receiver did not answer in time".to_string()
            } else if e.is_connect() {
                "the receiver could not be reached".to_string()
            } else {
                "the request failed".to_string()
            };
            (None, why)
        })?;
    let status = i32::from(res.status().as_u16());
    if res.status().is_success() {
        Ok(status)
    } else {
        Err((Some(status), format!("the receiver answered {status}")))
    }
}

/// Deliver up to `limit` due deliveries; how many were attempted.
pub async fn deliver_due(st: &AppState, limit: i64) -> Result<usize, AppError> {
    let mut tx = st.pool.begin().await?;
    let due: Vec<Due> = sqlx::query_as(
        "SELECT d.event_id, d.endpoint_id, e.kind, d.attempts, \
                json_build_object('id', e.id, 'type', e.kind, 'created_at', e.created_at, 'data', e.payload)::text AS body, \
                w.url, w.secret_key_id, w.secret_nonce, w.secret_ciphertext \
         FROM event_deliveries d JOIN events e ON e.id = d.event_id JOIN webhook_endpoints w ON w.id = d.endpoint_id \
         WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= now() AND w.disabled_at IS NULL \
         ORDER BY d.next_attempt_at, e.created_at LIMIT $1 FOR UPDATE OF d SKIP LOCKED",
    )
    .bind(limit)
    .fetch_all(&mut *tx)
    .await?;
    for d in &due {
        match send(st, d).await {
            Ok(status) => {
                sqlx::query(
                    "UPDATE event_deliveries SET delivered_at = now(), attempts = attempts + 1, last_status = $3, last_error = NULL \
                     WHERE event_id = $1 AND endpoint_id = $2",
                )
                .bind(d.event_id)
                .bind(d.endpoint_id)
                .bind(status)
                .execute(&mut *tx)
                .await?;
            }
            Err((status, why)) => {
                let attempts = d.attempts + 1;
                tracing::warn!(event = %d.event_id, endpoint = %d.endpoint_id, attempts, error = %why, "event delivery failed");
                sqlx::query(
                    "UPDATE event_deliveries SET attempts = $3, last_status = $4, last_error = $5, \
                       next_attempt_at = now() + make_interval(secs => $6), \
                       failed_at = CASE WHEN $3 >= $7 THEN now() END \
                     WHERE event_id = $1 AND endpoint_id = $2",
                )
                .bind(d.event_id)
                .bind(d.endpoint_id)
                .bind(attempts)
                .bind(status)
                .bind(&why)
                .bind(crate::server::mail::backoff_secs(d.attempts) as f64)
                .bind(MAX_ATTEMPTS)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    tx.commit().await?;
    Ok(due.len())
}

/// Delete up to `limit` events older than `days` whose every delivery is settled
/// (delivered, or given up on), with their deliveries; how many. An event still being
/// retried is kept however old.
pub async fn prune(st: &AppState, days: i32, limit: i64) -> Result<u64, AppError> {
    let done = sqlx::query(
        "DELETE FROM events WHERE id IN ( \
           SELECT e.id FROM events e WHERE e.created_at < now() - make_interval(days => $1) \
             AND NOT EXISTS (SELECT 1 FROM event_deliveries d WHERE d.event_id = e.id \
                             AND d.delivered_at IS NULL AND d.failed_at IS NULL) \
           ORDER BY e.created_at LIMIT $2)",
    )
    .bind(days)
    .bind(limit)
    .execute(&st.pool)
    .await?;
    Ok(done.rows_affected())
}

/// The delivery worker: a round every second (at once again after a full one), until
/// `shutdown` completes; a round once begun is finished. Every `PRUNE_EVERY` rounds it
/// deletes settled events older than `KEEP_DAYS`.
pub async fn run(st: AppState, shutdown: impl std::future::Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut round: u32 = 0;
    loop {
        round = round.wrapping_add(1);
        if round % PRUNE_EVERY == 1 {
            if let Err(e) = prune(&st, KEEP_DAYS, 1000).await {
                tracing::error!(error = %e, "the event worker could not prune old events");
            }
        }
        let pause = match deliver_due(&st, 20).await {
            Ok(20) => Duration::ZERO,
            Ok(_) => Duration::from_secs(1),
            Err(e) => {
                tracing::error!(error = %e, "the event worker failed a round");
                Duration::from_secs(5)
            }
        };
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
}

async fn operator(st: &AppState, me: &Actor) -> Result<(), AppError> {
    let (is_operator,): (bool,) = sqlx::query_as("SELECT is_operator FROM users WHERE id = $1")
        .bind(me.id)
        .fetch_optional(&st.pool)
        .await?
        .unwrap_or((false,));
    policy::operator(is_operator)?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    event_id: Uuid,
    kind: String,
    endpoint_id: Uuid,
    url: String,
    created_at: DateTime<Utc>,
    attempts: i32,
    delivered_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
    next_attempt_at: DateTime<Utc>,
    last_status: Option<i32>,
    last_error: Option<String>,
}

/// The latest 100 deliveries, newest first, for an operator (one statement after the check).
pub async fn deliveries(st: &AppState, me: &Actor) -> Result<Vec<Delivery>, AppError> {
    operator(st, me).await?;
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT e.id AS event_id, e.kind, w.id AS endpoint_id, w.url, e.created_at, d.attempts, d.delivered_at, \
                d.failed_at, d.next_attempt_at, d.last_status, d.last_error \
         FROM events e JOIN event_deliveries d ON d.event_id = e.id JOIN webhook_endpoints w ON w.id = d.endpoint_id \
         ORDER BY e.created_at DESC, e.id, w.id LIMIT 100",
    )
    .fetch_all(&st.pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let state = if r.delivered_at.is_some() {
                "delivered"
            } else if r.failed_at.is_some() {
                "failed"
            } else {
                "pending"
            };
            Delivery {
                event_id: r.event_id,
                kind: r.kind,
                endpoint_id: r.endpoint_id,
                url: r.url,
                created_at: r.created_at,
                attempts: r.attempts,
                state: state.into(),
                delivered_at: r.delivered_at,
                next_attempt_at: (state == "pending").then_some(r.next_attempt_at),
                last_status: r.last_status,
                last_error: r.last_error,
            }
        })
        .collect())
}

/// Send one delivery again, now, with the same event id (the receiver de-duplicates).
pub async fn resend(
    st: &AppState,
    me: &Actor,
    event: Uuid,
    endpoint: Uuid,
) -> Result<(), AppError> {
    operator(st, me).await?;
    let mut tx = st.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE event_deliveries d SET delivered_at = NULL, failed_at = NULL, next_attempt_at = now() \
         FROM webhook_endpoints w WHERE w.id = d.endpoint_id AND w.disabled_at IS NULL \
           AND d.event_id = $1 AND d.endpoint_id = $2",
    )
    .bind(event)
    .bind(endpoint)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    crate::server::history::record(
        &mut tx,
        crate::server::history::Entry {
            actor_id: Some(me.id),
            action: "event.resent",
            subject: Some(format!("event:{event}")),
            target: Some(format!("webhook:{endpoint}")),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // covers: PL-3
    #[test]
    fn signatures_verify_and_refuse_a_change() {
        let body = r#"{"id":"1","type":"access.ended"}"#;
        let sig = signature("whsec_k", 1_700_000_000, body);
        assert!(sig.starts_with("t=1700000000,v1="));
        assert!(verify("whsec_k", &sig, body, 1_700_000_100, 300));
        assert!(
            !verify("whsec_k", &sig, "{}", 1_700_000_100, 300),
            "another body"
        );
        assert!(
            !verify("whsec_x", &sig, body, 1_700_000_100, 300),
            "another key"
        );
        assert!(
            !verify("whsec_k", &sig, body, 1_700_001_000, 300),
            "too old"
        );
        assert!(!verify("whsec_k", "t=1,v1=zz", body, 1, 300));
        assert!(!verify("whsec_k", "", body, 1, 300));
    }
}
