//! Integration and invite-link server functions, under /api/integrations/.
use super::{
    IntegrationPage, IntegrationSummary, Landing, MyIntegrations, RevokePreview, SharingPage,
};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "integrations/create_integration")]
pub async fn create_integration(
    name: String,
    #[server(default)] description: String,
) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let id = super::service::create(&st, &me, &name, &description).await?;
            redirect(&format!("/integrations/{id}"));
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "integrations/my_integrations")]
pub async fn list_my_integrations() -> Result<MyIntegrations, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::mine(&st, &me).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/search_directory")]
pub async fn search_directory(
    #[server(default)] q: String,
) -> Result<Vec<IntegrationSummary>, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::directory(&st, &me, &q).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/get_integration")]
pub async fn get_integration(id: Uuid) -> Result<IntegrationPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::page(&st, &me, id).await
        }
        .await,
    )
}

/// What the caller may use of an integration, and how they got access.
#[server(endpoint = "integrations/usable")]
pub async fn get_usable(id: Uuid) -> Result<super::UsableIntegration, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::usable(&st, &me, id).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/add_version")]
pub async fn add_version(id: Uuid, version: String) -> Result<Uuid, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::add_version(&st, &me, id, &version).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/edit_integration")]
pub async fn edit_integration(
    id: Uuid,
    name: String,
    #[server(default)] description: String,
) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::edit(&st, &me, id, &name, &description).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/set_visibility")]
pub async fn set_visibility(id: Uuid, visibility: String) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::set_visibility(&st, &me, id, &visibility).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/get_sharing")]
pub async fn get_sharing(id: Uuid) -> Result<SharingPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::sharing(&st, &me, id).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/rotate_link")]
pub async fn rotate_link(id: Uuid, link_id: Uuid) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::rotate_link(&st, &me, id, link_id).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/link_landing")]
pub async fn link_landing(token: String) -> Result<Landing, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::landing(&st, &me, &token).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/accept_link")]
pub async fn accept_link(token: String) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let id = super::service::accept_link(&st, &me, &token).await?;
            redirect("/integrations?joined=1");
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "integrations/revoke_preview")]
pub async fn preview_revoke(
    id: Uuid,
    user_id: Uuid,
    #[server(default)] version_id: Option<Uuid>,
) -> Result<RevokePreview, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::revoke_preview(&st, &me, id, user_id, version_id).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/revoke_access")]
pub async fn revoke_access(
    id: Uuid,
    user_id: Uuid,
    #[server(default)] version_id: Option<Uuid>,
    #[server(default)] reason: String,
) -> Result<i64, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let paused = super::service::revoke(&st, &me, id, user_id, version_id, &reason).await?;
            redirect(&format!("/integrations/{id}/sharing?revoked={paused}"));
            Ok(paused)
        }
        .await,
    )
}

#[server(endpoint = "integrations/invite_by_email")]
pub async fn invite_by_email(
    id: Uuid,
    emails: String,
    #[server(default)] version_id: String,
    #[server(default)] starts_at: String,
    #[server(default)] ends_at: String,
) -> Result<super::InviteReport, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let version = match version_id.trim() {
                "" | "all" => None,
                v => Some(Uuid::parse_str(v).map_err(|_| {
                    AppError::validation("version", "Choose a version of this integration.")
                })?),
            };
            let dates = crate::access::service::dates_from_form(&starts_at, &ends_at, None)?;
            super::service::invite_dated(&st, &me, id, &emails, version, &dates).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/resend_invite")]
pub async fn resend_invite(id: Uuid, invite_id: Uuid) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::resend(&st, &me, id, invite_id).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/cancel_invite")]
pub async fn cancel_invite(id: Uuid, invite_id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::cancel(&st, &me, id, invite_id).await?;
            redirect(&format!("/integrations/{id}/sharing?cancelled=1"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "integrations/invite_landing")]
pub async fn get_invite_landing(token: String) -> Result<Landing, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::invite_landing(&st, &me, &token).await
        }
        .await,
    )
}

#[server(endpoint = "integrations/accept_invite")]
pub async fn accept_invite(token: String) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let id = super::service::accept_invite(&st, &me, &token).await?;
            redirect("/integrations?joined=1");
            Ok(id)
        }
        .await,
    )
}
