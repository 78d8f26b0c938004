//! The append-only history: one function every feature calls to record a change.
use serde_json::Value;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Default, Clone)]
pub struct Entry<'a> {
    pub actor_id: Option<Uuid>,
    pub action: &'a str,
    pub account_id: Option<Uuid>,
    pub integration_id: Option<Uuid>,
    pub instance_id: Option<Uuid>,
    /// What was acted on, e.g. `user:<id>` or `zap:<id>`.
    pub subject: Option<String>,
    /// Whom it concerns, e.g. the invited address or the new owner.
    pub target: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub reason: Option<String>,
}

/// A reason given for a change (HI-1): optional, trimmed, at most 500 characters.
pub fn reason(text: &str) -> Result<Option<String>, crate::error::AppError> {
    let text = text.trim();
    if text.chars().count() > 500 {
        return Err(crate::error::AppError::validation(
            "reason",
            "Give a reason of at most 500 characters.",
        ));
    }
    Ok((!text.is_empty()).then(|| text.to_string()))
}

pub async fn record(conn: &mut PgConnection, e: Entry<'_>) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO history (actor_id, action, account_id, integration_id, instance_id, \
         subject, target, before, after, reason) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)",
    )
    .bind(e.actor_id)
    .bind(e.action)
    .bind(e.account_id)
    .bind(e.integration_id)
    .bind(e.instance_id)
    .bind(e.subject)
    .bind(e.target)
    .bind(e.before)
    .bind(e.after)
    .bind(e.reason)
    .execute(conn)
    .await?;
    Ok(())
}
