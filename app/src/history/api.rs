//! History server functions, under /api/history/.
// A page's filters are separate form fields, so that a GET form could carry them; the
// macro's generated client function has as many arguments, which clippy would refuse.
#![allow(clippy::too_many_arguments)]
use super::{ChainCheck, HistoryPage};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[cfg(feature = "ssr")]
fn scope_of(kind: &str, id: Uuid) -> Result<super::Scope, AppError> {
    match kind {
        "integration" => Ok(super::Scope::Integration(id)),
        "account" => Ok(super::Scope::Account(id)),
        _ => Err(AppError::NotFound),
    }
}

/// One page of an integration's or an account's history (`kind`), filtered (HI-3).
#[server(endpoint = "history/page")]
pub async fn get_history(
    kind: String,
    id: Uuid,
    #[server(default)] action: String,
    #[server(default)] q: String,
    #[server(default)] person: String,
    #[server(default)] from: String,
    #[server(default)] to: String,
    #[server(default)] cursor: String,
) -> Result<HistoryPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let scope = scope_of(&kind, id)?;
            let filter = super::HistoryFilter {
                action,
                q,
                person,
                from: super::service::parse_day("from", &from)?,
                to: super::service::parse_day("to", &to)?,
            };
            let cursor = Some(cursor.trim()).filter(|c| !c.is_empty());
            super::service::page(&st, &me, scope, &filter, cursor, 50).await
        }
        .await,
    )
}

/// Verify a history's hash chain, against a kept checkpoint (`seq:hash`) when given (HI-2).
#[server(endpoint = "history/verify")]
pub async fn verify_history(
    kind: String,
    id: Uuid,
    #[server(default)] checkpoint: String,
) -> Result<ChainCheck, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let scope = scope_of(&kind, id)?;
            let kept = match checkpoint.trim() {
                "" => None,
                text => Some(super::Checkpoint::parse(text).ok_or_else(|| {
                    AppError::validation(
                        "checkpoint",
                        "A checkpoint is the entry number and its hash: 12:9f86d0…",
                    )
                })?),
            };
            super::service::verify(&st, &me, scope, kept.as_ref()).await
        }
        .await,
    )
}
