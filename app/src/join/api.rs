//! Join and embed server functions, under /api/join/.
use super::{EmbedPage, JoinOutcome};
use crate::error::AppError;
use crate::integrations::IntegrationSummary;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "join/embed")]
pub async fn get_embed(id: Uuid) -> Result<EmbedPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::embed_page(&st, &me, id).await
        }
        .await,
    )
}

/// `enabled` is a checkbox: present means on.
#[server(endpoint = "join/settings")]
pub async fn set_join_settings(
    id: Uuid,
    #[server(default)] enabled: Option<String>,
    #[server(default)] domains: String,
) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::set_join(&st, &me, id, enabled.is_some(), &domains).await
        }
        .await,
    )
}

#[server(endpoint = "join/add_origin")]
pub async fn add_embed_origin(id: Uuid, origin: String) -> Result<String, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::add_origin(&st, &me, id, &origin).await
        }
        .await,
    )
}

#[server(endpoint = "join/remove_origin")]
pub async fn remove_embed_origin(id: Uuid, origin: String) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::remove_origin(&st, &me, id, &origin).await
        }
        .await,
    )
}

#[server(endpoint = "join/search")]
pub async fn search_joinable(
    #[server(default)] q: String,
) -> Result<Vec<IntegrationSummary>, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::joinable(&st, &me, &q).await
        }
        .await,
    )
}

#[server(endpoint = "join/request")]
pub async fn request_join(integration_id: Uuid) -> Result<JoinOutcome, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::request_as_user(&st, &me, integration_id).await
        }
        .await,
    )
}
