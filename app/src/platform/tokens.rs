//! Platform tokens: made by an operator (`gatehouse issue-platform-token`), stored as
//! SHA-256, expiring, revocable; they name the platform, never a person.
use crate::auth::CurrentUser;
use crate::domain::validate;
use crate::error::AppError;
use crate::server::{token, AppState};
use uuid::Uuid;

/// Every platform token starts with this, so it cannot be mistaken for a personal one.
pub const PREFIX: &str = "gpt_";
pub const MAX_DAYS: i32 = 366;

/// The platform, as its token names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Platform {
    pub token_id: Uuid,
}

/// Make a platform token; its text is printed once and stored nowhere.
pub async fn issue(pool: &sqlx::PgPool, name: &str, days: i32) -> Result<String, AppError> {
    let name = validate::name(name, "token name").map_err(|m| AppError::validation("name", m))?;
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(AppError::validation(
            "days",
            format!("A platform token lives 1 to {MAX_DAYS} days."),
        ));
    }
    let (secret, _) = token::new_token();
    let text = format!("{PREFIX}{secret}");
    let hint = text[text.len() - 4..].to_string();
    sqlx::query(
        "INSERT INTO platform_tokens (name, token_hash, hint, expires_at) \
         VALUES ($1, $2, $3, now() + make_interval(days => $4))",
    )
    .bind(&name)
    .bind(token::hash(&text))
    .bind(&hint)
    .bind(days)
    .execute(pool)
    .await?;
    Ok(text)
}

/// The platform behind a bearer token, when it is a live platform token, and the user it
/// acts for (`act_as`) when that user exists. Its last use is written at most once a
/// minute, in the same statement.
pub async fn resolve(
    st: &AppState,
    bearer: &str,
    act_as: Option<Uuid>,
) -> Result<Option<(Platform, Option<CurrentUser>)>, AppError> {
    if !bearer.starts_with(PREFIX) || bearer.len() > 100 {
        return Ok(None);
    }
    type Row = (
        Uuid,
        Option<Uuid>,
        Option<String>,
        Option<String>,
        Option<bool>,
    );
    let row: Option<Row> = sqlx::query_as(
        "WITH t AS (SELECT id, last_used_at FROM platform_tokens \
                    WHERE token_hash = $1 AND revoked_at IS NULL AND expires_at > now()), \
              touch AS (UPDATE platform_tokens p SET last_used_at = now() FROM t \
                        WHERE p.id = t.id AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')) \
         SELECT t.id, u.id, u.email, u.name, u.email_verified_at IS NOT NULL FROM t LEFT JOIN users u ON u.id = $2",
    )
    .bind(token::hash(bearer))
    .bind(act_as)
    .fetch_optional(&st.pool)
    .await?;
    Ok(row.map(|(token_id, id, email, name, verified)| {
        let user = match (id, email, name) {
            (Some(id), Some(email), Some(name)) => Some(CurrentUser {
                id,
                email,
                name,
                email_verified: verified.unwrap_or(false),
            }),
            _ => None,
        };
        (Platform { token_id }, user)
    }))
}
