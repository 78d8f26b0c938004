//! SCIM tokens: made, listed and revoked on the account's SCIM settings by the owner or a
//! super admin (in the browser only); resolved by the SCIM door on every request.
use super::{NewScimToken, ScimEvent, ScimSettings, ScimTokenView, MAX_DAYS, MAX_LIVE, PREFIX};
use crate::accounts::repo as accounts;
use crate::domain::policy::{self, AccountAction};
use crate::domain::validate;
use crate::error::AppError;
use crate::server::actor::Door;
use crate::server::history::{self, Entry};
use crate::server::{token, Actor, AppState};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// The caller of one SCIM request: the account's identity provider, by its token.
#[derive(Clone, Debug)]
pub struct Provisioner {
    pub account: Uuid,
    pub token: Uuid,
    pub name: String,
    /// Whether SCIM provisioning is switched on: writes need it.
    pub enabled: bool,
}

impl Provisioner {
    /// How history and mails name this caller.
    pub fn label(&self) -> String {
        format!("SCIM token “{}”", self.name)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    name: String,
    hint: String,
    created_by: Option<String>,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    active: bool,
}

impl From<Row> for ScimTokenView {
    fn from(r: Row) -> Self {
        Self {
            id: r.id,
            name: r.name,
            hint: format!("{PREFIX}…{}", r.hint),
            created_by: r.created_by,
            created_at: r.created_at,
            expires_at: r.expires_at,
            last_used_at: r.last_used_at,
            revoked_at: r.revoked_at,
            active: r.active,
        }
    }
}

/// The owner or a super admin, in the browser: SCIM tokens are never made with a token.
async fn manager(conn: &mut PgConnection, me: &Actor, account: Uuid) -> Result<(), AppError> {
    let mine = accounts::role_of(conn, account, me.id).await?;
    policy::account(mine, AccountAction::ManageScim)?;
    policy::manage_tokens(matches!(me.door, Door::Token { .. }))?;
    Ok(())
}

pub fn base_url(st: &AppState) -> String {
    st.config.link("/scim/v2")
}

/// The account's SCIM settings: base URL, tokens, switch and the latest provisioning events.
pub async fn settings(st: &AppState, me: &Actor, account: Uuid) -> Result<ScimSettings, AppError> {
    let mut conn = st.pool.acquire().await?;
    manager(&mut conn, me, account).await?;
    let (account_name, _) = accounts::account(&mut conn, account).await?;
    let scim_enabled = accounts::scim_enabled(&mut conn, account).await?;
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT t.id, t.name, t.hint, u.name AS created_by, t.created_at, t.expires_at, t.last_used_at, \
                t.revoked_at, t.revoked_at IS NULL AND t.expires_at > now() AS active \
         FROM scim_tokens t LEFT JOIN users u ON u.id = t.created_by \
         WHERE t.account_id = $1 ORDER BY t.created_at DESC, t.id",
    )
    .bind(account)
    .fetch_all(&mut *conn)
    .await?;
    let events: Vec<ScimEvent> = sqlx::query_as(
        "SELECT h.at, h.action, coalesce(t.name || ' (' || t.email || ')', h.target) AS target, \
                coalesce(a.name, h.after->>'by') AS \"by\" \
         FROM history h LEFT JOIN users t ON t.id::text = substr(h.target, 6) AND h.target LIKE 'user:%' \
         LEFT JOIN users a ON a.id = h.actor_id \
         WHERE h.account_id = $1 AND (h.action LIKE 'scim.%' OR h.after ? 'by' AND h.after->>'by' IS NOT NULL) \
         ORDER BY h.id DESC LIMIT 20",
    )
    .bind(account)
    .fetch_all(&mut *conn)
    .await?;
    Ok(ScimSettings {
        account_id: account,
        account_name,
        base_url: base_url(st),
        scim_enabled,
        tokens: rows.into_iter().map(Into::into).collect(),
        events,
    })
}

/// Make a SCIM token; its text is in the answer and nowhere else, ever.
pub async fn create(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    name: &str,
    days: i32,
) -> Result<NewScimToken, AppError> {
    let name = validate::name(name, "token name").map_err(|m| AppError::validation("name", m))?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::validation(
            "days",
            format!("A SCIM token lives 1 to {MAX_DAYS} days."),
        ));
    }
    let mut tx = st.pool.begin().await?;
    manager(&mut tx, me, account).await?;
    crate::server::hold_locks(&mut tx, &[format!("scim_tokens:{account}")]).await?;
    let (live,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM scim_tokens WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > now()",
    )
    .bind(account)
    .fetch_one(&mut *tx)
    .await?;
    if live >= MAX_LIVE {
        return Err(AppError::validation(
            "name",
            format!("This account has {MAX_LIVE} live SCIM tokens, the most it may have: revoke one first."),
        ));
    }
    let (secret, _) = token::new_token();
    let text = format!("{PREFIX}{secret}");
    let hint = text[text.len() - 4..].to_string();
    let row: Row = sqlx::query_as(
        "INSERT INTO scim_tokens (account_id, name, token_hash, hint, created_by, expires_at) \
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6)) \
         RETURNING id, name, hint, $7::text AS created_by, created_at, expires_at, last_used_at, revoked_at, true AS active",
    )
    .bind(account)
    .bind(&name)
    .bind(token::hash(&text))
    .bind(&hint)
    .bind(me.id)
    .bind(days)
    .bind(&me.name)
    .fetch_one(&mut *tx)
    .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "scim.token_created",
            account_id: Some(account),
            subject: Some(format!("scim_token:{}", row.id)),
            after: Some(json!({ "name": name, "days": days })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(NewScimToken {
        token: text,
        view: row.into(),
    })
}

/// How long a token made by a plain form may still be shown (once) on the next page.
pub const REVEAL_MINUTES: i32 = 10;

/// Show a token a plain form just made, once (its text came back in a cookie that is
/// cleared as it is read): only on its own account's settings, within `REVEAL_MINUTES`.
pub async fn reveal(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    text: &str,
) -> Result<Option<NewScimToken>, AppError> {
    let text = text.trim();
    if !text.starts_with(PREFIX) || text.len() > 100 {
        return Ok(None);
    }
    let mut conn = st.pool.acquire().await?;
    manager(&mut conn, me, account).await?;
    let row: Option<Row> = sqlx::query_as(
        "SELECT t.id, t.name, t.hint, u.name AS created_by, t.created_at, t.expires_at, t.last_used_at, \
                t.revoked_at, true AS active \
         FROM scim_tokens t LEFT JOIN users u ON u.id = t.created_by \
         WHERE t.token_hash = $1 AND t.account_id = $2 AND t.revoked_at IS NULL \
           AND t.created_at > now() - make_interval(mins => $3)",
    )
    .bind(token::hash(text))
    .bind(account)
    .bind(REVEAL_MINUTES)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| NewScimToken {
        token: text.to_string(),
        view: r.into(),
    }))
}

/// Revoke a SCIM token: its next request is refused.
pub async fn revoke(st: &AppState, me: &Actor, account: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    manager(&mut tx, me, account).await?;
    let done: Option<(String,)> = sqlx::query_as(
        "UPDATE scim_tokens SET revoked_at = now() WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL RETURNING name",
    )
    .bind(id)
    .bind(account)
    .fetch_optional(&mut *tx)
    .await?;
    let (name,) = done.ok_or(AppError::NotFound)?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "scim.token_revoked",
            account_id: Some(account),
            subject: Some(format!("scim_token:{id}")),
            after: Some(json!({ "name": name })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether the account has a live SCIM token (switching SCIM on needs one).
pub async fn has_live(conn: &mut PgConnection, account: Uuid) -> Result<bool, AppError> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM scim_tokens WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > now()",
    )
    .bind(account)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// The identity provider behind a bearer token, or None (unknown, revoked, expired). Its
/// last use is written at most once a minute, in the same statement.
pub async fn resolve(st: &AppState, text: &str) -> Result<Option<Provisioner>, AppError> {
    if !text.starts_with(PREFIX) || text.len() > 200 {
        return Ok(None);
    }
    let row: Option<(Uuid, Uuid, String, bool)> = sqlx::query_as(
        "WITH t AS (SELECT t.id, t.account_id, t.name, a.scim_enabled FROM scim_tokens t \
                    JOIN accounts a ON a.id = t.account_id \
                    WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > now()), \
              used AS (UPDATE scim_tokens s SET last_used_at = now() FROM t WHERE s.id = t.id \
                       AND (s.last_used_at IS NULL OR s.last_used_at < now() - interval '1 minute')) \
         SELECT id, account_id, name, scim_enabled FROM t",
    )
    .bind(token::hash(text))
    .fetch_optional(&st.pool)
    .await?;
    Ok(row.map(|(token, account, name, enabled)| Provisioner {
        account,
        token,
        name,
        enabled,
    }))
}
