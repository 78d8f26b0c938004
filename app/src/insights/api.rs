//! Performance, history and feedback server functions, under /api/insights/.
use super::{FeedbackPage, Performance};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "insights/performance")]
pub async fn get_performance(id: Uuid) -> Result<Performance, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::performance(&st, &me, id).await
        }
        .await,
    )
}

#[server(endpoint = "insights/feedback")]
pub async fn get_feedback(
    id: Uuid,
    #[server(default)] kind: String,
    #[server(default)] status: String,
) -> Result<FeedbackPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::feedback(&st, &me, id, &kind, &status).await
        }
        .await,
    )
}

#[server(endpoint = "insights/comment")]
pub async fn add_comment(id: Uuid, feedback_id: Uuid, body: String) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::comment(&st, &me, id, feedback_id, &body).await
        }
        .await,
    )
}

#[server(endpoint = "insights/set_status")]
pub async fn set_feedback_status(
    id: Uuid,
    feedback_id: Uuid,
    status: String,
) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::set_status(&st, &me, id, feedback_id, &status).await
        }
        .await,
    )
}

#[server(endpoint = "insights/feedback_target")]
pub async fn get_feedback_target(id: Uuid) -> Result<String, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::feedback_target(&st, &me, id).await
        }
        .await,
    )
}

#[server(endpoint = "insights/submit_feedback")]
pub async fn submit_feedback(
    id: Uuid,
    kind: String,
    title: String,
    #[server(default)] body: String,
) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let fid = super::service::submit(&st, &me, id, &kind, &title, &body).await?;
            redirect(&format!("/integrations/{id}/feedback/new?sent=1"));
            Ok(fid)
        }
        .await,
    )
}
