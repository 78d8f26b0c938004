//! Token rules over Postgres: made, listed and revoked by their user in the browser;
//! resolved by the JSON API's door on every request.
use super::{ApiTokenView, NewApiToken, MAX_DAYS, MAX_LIVE, PREFIX};
use crate::auth::CurrentUser;
use crate::domain::policy::{self, TokenScope};
use crate::domain::validate;
use crate::error::AppError;
use crate::server::actor::Door;
use crate::server::history::{self, Entry};
use crate::server::{token, Actor, AppState};
use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
struct TokenRow {
    id: Uuid,
    name: String,
    scope: String,
    hint: String,
    created_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
    revoked_at: Option<DateTime<Utc>>,
    active: bool,
}

impl TokenRow {
    fn view(self) -> Result<ApiTokenView, AppError> {
        Ok(ApiTokenView {
            id: self.id,
            name: self.name,
            scope: TokenScope::parse(&self.scope)
                .ok_or_else(|| AppError::internal("unknown token scope"))?,
            hint: format!("{PREFIX}…{}", self.hint),
            created_at: self.created_at,
            expires_at: self.expires_at,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
            active: self.active,
        })
    }
}

/// Tokens are managed in the browser only (the policy decides).
fn browser_only(me: &Actor) -> Result<(), AppError> {
    policy::manage_tokens(matches!(me.door, Door::Token { .. }))?;
    Ok(())
}

pub async fn list(st: &AppState, me: &Actor) -> Result<Vec<ApiTokenView>, AppError> {
    browser_only(me)?;
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, name, scope, hint, created_at, expires_at, last_used_at, revoked_at, \
                revoked_at IS NULL AND expires_at > now() AS active \
         FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id",
    )
    .bind(me.id)
    .fetch_all(&st.pool)
    .await?;
    rows.into_iter().map(TokenRow::view).collect()
}

/// Make a token; its text is in the answer and nowhere else, ever.
pub async fn create(
    st: &AppState,
    me: &Actor,
    name: &str,
    scope: &str,
    days: i32,
    reveal_later: bool,
) -> Result<NewApiToken, AppError> {
    browser_only(me)?;
    // A token outlives sessions: only someone who proved the address may make one.
    if !me.email_verified {
        return Err(AppError::validation(
            "name",
            "Verify your email address before you make an API token.",
        ));
    }
    let name = validate::name(name, "token name").map_err(|m| AppError::validation("name", m))?;
    let scope = TokenScope::parse(scope.trim())
        .ok_or_else(|| AppError::validation("scope", "Choose read, or read and write."))?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::validation(
            "days",
            format!("A token lives 1 to {MAX_DAYS} days."),
        ));
    }
    let mut tx = st.pool.begin().await?;
    // Each token has its own request limit: a cap on live tokens keeps one person's
    // total bounded too. Counted under a lock, so two at once cannot pass it.
    crate::server::hold_locks(&mut tx, &[format!("api_tokens:{}", me.id)]).await?;
    let (live,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > now()",
    )
    .bind(me.id)
    .fetch_one(&mut *tx)
    .await?;
    if live >= MAX_LIVE {
        return Err(AppError::validation(
            "name",
            format!("You have {MAX_LIVE} live tokens, the most one may have: revoke one first."),
        ));
    }
    let made = insert(
        &mut tx,
        me.id,
        Some(me.id),
        &name,
        scope,
        days,
        reveal_later,
    )
    .await?;
    tx.commit().await?;
    Ok(made)
}

/// Write a new token of `user` and its history entry; its text is in the answer only.
async fn insert(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    user: Uuid,
    actor: Option<Uuid>,
    name: &str,
    scope: TokenScope,
    days: i32,
    reveal_later: bool,
) -> Result<NewApiToken, AppError> {
    let (secret, _) = token::new_token();
    let text = format!("{PREFIX}{secret}");
    // The token is ASCII (base64url), so its last four bytes are its last four characters.
    let hint = text[text.len() - 4..].to_string();
    let row: TokenRow = sqlx::query_as(
        "INSERT INTO api_tokens (user_id, name, scope, token_hash, hint, expires_at, reveal_pending) \
         VALUES ($1, $2, $3, $4, $5, now() + make_interval(days => $6), $7) \
         RETURNING id, name, scope, hint, created_at, expires_at, last_used_at, revoked_at, true AS active",
    )
    .bind(user)
    .bind(name)
    .bind(scope.as_str())
    .bind(token::hash(&text))
    .bind(&hint)
    .bind(days)
    .bind(reveal_later)
    .fetch_one(&mut **tx)
    .await?;
    history::record(
        tx,
        Entry {
            actor_id: actor,
            action: "api_token.created",
            subject: Some(format!("api_token:{}", row.id)),
            target: Some(format!("user:{user}")),
            after: Some(json!({ "name": name, "scope": scope.as_str(), "days": days })),
            ..Default::default()
        },
    )
    .await?;
    Ok(NewApiToken {
        token: text,
        view: row.view()?,
    })
}

/// The operator's way in (`gatehouse issue-token`, run with the database's credentials):
/// a token for the person with this verified address, e.g. to bootstrap scripts and the CLI.
pub async fn issue(
    pool: &sqlx::PgPool,
    email: &str,
    name: &str,
    scope: &str,
    days: i32,
) -> Result<NewApiToken, AppError> {
    let name = validate::name(name, "token name").map_err(|m| AppError::validation("name", m))?;
    let scope = TokenScope::parse(scope.trim())
        .ok_or_else(|| AppError::validation("scope", "Choose read, or read_write."))?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::validation(
            "days",
            format!("A token lives 1 to {MAX_DAYS} days."),
        ));
    }
    let mut tx = pool.begin().await?;
    let user: Option<(Uuid,)> = sqlx::query_as(
        "SELECT id FROM users WHERE lower(email) = lower($1) AND email_verified_at IS NOT NULL",
    )
    .bind(email.trim())
    .fetch_optional(&mut *tx)
    .await?;
    let (user,) = user.ok_or_else(|| {
        AppError::validation(
            "email",
            "No one with this verified address is signed up here.",
        )
    })?;
    let made = insert(&mut tx, user, None, &name, scope, days, false).await?;
    tx.commit().await?;
    Ok(made)
}

/// How long a token made without JavaScript waits to be shown.
pub const REVEAL_MINUTES: i32 = 10;

/// Show a token made by a plain form, once: the first call with its text (from the
/// cookie the form's answer set) answers it; every later call answers nothing.
pub async fn reveal(
    st: &AppState,
    me: &Actor,
    text: &str,
) -> Result<Option<NewApiToken>, AppError> {
    browser_only(me)?;
    let text = text.trim();
    if !text.starts_with(PREFIX) || text.len() > 100 {
        return Ok(None);
    }
    let row: Option<TokenRow> = sqlx::query_as(
        "UPDATE api_tokens SET reveal_pending = false \
         WHERE token_hash = $1 AND user_id = $2 AND reveal_pending AND revoked_at IS NULL \
           AND created_at > now() - make_interval(mins => $3) \
         RETURNING id, name, scope, hint, created_at, expires_at, last_used_at, revoked_at, \
                   expires_at > now() AS active",
    )
    .bind(token::hash(text))
    .bind(me.id)
    .bind(REVEAL_MINUTES)
    .fetch_optional(&st.pool)
    .await?;
    row.map(|r| {
        Ok(NewApiToken {
            token: text.to_string(),
            view: r.view()?,
        })
    })
    .transpose()
}

/// End a token at once: its next request is refused.
pub async fn revoke(st: &AppState, me: &Actor, id: Uuid) -> Result<(), AppError> {
    browser_only(me)?;
    let mut tx = st.pool.begin().await?;
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(me.id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "api_token.revoked",
            subject: Some(format!("api_token:{id}")),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ResolvedRow {
    token_id: Uuid,
    scope: String,
    id: Uuid,
    email: String,
    name: String,
    email_verified: bool,
    hits: i64,
    reset: i64,
}

/// A token's use of its request budget over the sliding minute before this request
/// (this calendar minute's count, plus the last one's weighted by how much of it the
/// sliding minute still covers: no burst at a minute's turn gets twice the limit).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Requests allowed per window.
    pub limit: i64,
    /// Requests made in the sliding minute, this one included.
    pub used: i64,
    /// Seconds until the window ends.
    pub reset: i64,
}

impl Usage {
    pub fn remaining(&self) -> i64 {
        (self.limit - self.used).max(0)
    }
    pub fn exceeded(&self) -> bool {
        self.used > self.limit
    }
}

/// The JSON API's door: the caller a bearer token names, if it is live, in one statement
/// that also counts the request against the token's limit (kept in Postgres, so every
/// server shares it) and records its use (at most once a minute).
pub async fn resolve(
    st: &AppState,
    text: &str,
    client: String,
) -> Result<Option<(Actor, Usage)>, AppError> {
    let text = text.trim();
    if !text.starts_with(PREFIX) || text.len() > 100 {
        return Ok(None);
    }
    let row: Option<ResolvedRow> = sqlx::query_as(
        "WITH t AS (SELECT id, user_id, scope FROM api_tokens \
                    WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()), \
              used AS (UPDATE api_tokens SET last_used_at = now() WHERE id = (SELECT id FROM t) \
                       AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')), \
              hit AS (INSERT INTO api_token_windows AS w (token_id, window_start, hits) \
                      SELECT id, date_trunc('minute', now()), 1 FROM t \
                      ON CONFLICT (token_id) DO UPDATE SET \
                        prev_hits = CASE WHEN w.window_start = excluded.window_start THEN w.prev_hits \
                                         WHEN w.window_start = excluded.window_start - interval '1 minute' THEN w.hits \
                                         ELSE 0 END, \
                        hits = CASE WHEN w.window_start = excluded.window_start THEN w.hits + 1 ELSE 1 END, \
                        window_start = excluded.window_start \
                      RETURNING hits, prev_hits, window_start) \
         SELECT t.id AS token_id, t.scope, u.id, u.email, u.name, u.email_verified_at IS NOT NULL AS email_verified, \
                (hit.hits + floor(hit.prev_hits * (1 - extract(epoch FROM now() - hit.window_start) / 60)))::int8 AS hits, \
                ceil(extract(epoch FROM hit.window_start + interval '1 minute' - now()))::int8 AS reset \
         FROM t JOIN users u ON u.id = t.user_id CROSS JOIN hit",
    )
    .bind(token::hash(text))
    .fetch_optional(&st.pool)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let scope =
        TokenScope::parse(&r.scope).ok_or_else(|| AppError::internal("unknown token scope"))?;
    let usage = Usage {
        limit: st.config.limits.per_token_per_minute,
        used: r.hits,
        reset: r.reset.clamp(0, 60),
    };
    let actor = Actor {
        user: CurrentUser {
            id: r.id,
            email: r.email,
            name: r.name,
            email_verified: r.email_verified,
        },
        door: Door::Token {
            id: r.token_id,
            scope,
        },
        client,
        seen: None,
    };
    Ok(Some((actor, usage)))
}
