//! Mail viewer server functions; they answer 404 unless the viewer is enabled (no SMTP_URL).
use super::{MailMessage, MailSummary};
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "dev/list_mail")]
pub async fn list_mail(#[server(default)] to: String) -> Result<Vec<MailSummary>, AppError> {
    use crate::server::{respond, state};
    respond(
        async {
            let st = state()?;
            if !st.config.mail_viewer_enabled() {
                return Err(AppError::NotFound);
            }
            let rows: Vec<(i64, String, String, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
                "SELECT id, to_addr, subject, created_at FROM outbox \
             WHERE $1 = '' OR to_addr = lower($1) ORDER BY id DESC LIMIT 200",
            )
            .bind(to.trim())
            .fetch_all(&st.pool)
            .await?;
            Ok(rows
                .into_iter()
                .map(|(id, to, subject, created_at)| MailSummary {
                    id,
                    to,
                    subject,
                    created_at,
                })
                .collect())
        }
        .await,
    )
}

#[server(endpoint = "dev/get_mail")]
pub async fn get_mail(id: i64) -> Result<MailMessage, AppError> {
    use crate::server::{respond, state};
    respond(
        async {
            let st = state()?;
            if !st.config.mail_viewer_enabled() {
                return Err(AppError::NotFound);
            }
            let row: Option<(i64, String, String, String, chrono::DateTime<chrono::Utc>)> =
                sqlx::query_as(
                    "SELECT id, to_addr, subject, body_text, created_at FROM outbox WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&st.pool)
                .await?;
            let (id, to, subject, body, created_at) = row.ok_or(AppError::NotFound)?;
            Ok(MailMessage {
                id,
                to,
                subject,
                body,
                created_at,
            })
        }
        .await,
    )
}
