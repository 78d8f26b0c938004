//! Access server functions, under /api/access/.
use super::{AccessPage, PersonReach, RoadRevokePreview};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

/// The Access tab of an integration, an instance or an account (`object`).
#[server(endpoint = "access/get_access")]
pub async fn get_access(
    object: String,
    id: Uuid,
    #[server(default)] q: String,
) -> Result<AccessPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let object = super::service::Object::parse(&object, id)?;
            super::service::page(&st, &me, object, &q).await
        }
        .await,
    )
}

/// Everything of the caller's that the person with this address can reach.
#[server(endpoint = "access/get_reach")]
pub async fn get_reach(email: String) -> Result<PersonReach, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::reach(&st, &me, &email).await
        }
        .await,
    )
}

/// What revoking one road would do (nothing is changed).
#[server(endpoint = "access/preview_revoke_road")]
pub async fn preview_revoke_road(
    object: String,
    id: Uuid,
    road: Uuid,
) -> Result<RoadRevokePreview, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let object = super::service::Object::parse(&object, id)?;
            super::service::revoke(&st, &me, object, road, "", true).await
        }
        .await,
    )
}

#[server(endpoint = "access/revoke_road")]
pub async fn revoke_road(
    object: String,
    id: Uuid,
    road: Uuid,
    #[server(default)] reason: String,
) -> Result<RoadRevokePreview, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let o = super::service::Object::parse(&object, id)?;
            let done = super::service::revoke(&st, &me, o, road, &reason, false).await?;
            redirect(&format!("/{object}s/{id}/access?revoked=1"));
            Ok(done)
        }
        .await,
    )
}

/// Set or clear a road's dates; the fields are as a form sends them (UTC).
#[server(endpoint = "access/set_road_dates")]
pub async fn set_road_dates(
    object: String,
    id: Uuid,
    road: Uuid,
    #[server(default)] starts_at: String,
    #[server(default)] ends_at: String,
    #[server(default)] then_collaborator: Option<String>,
) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let o = super::service::Object::parse(&object, id)?;
            let dates = super::service::dates_from_form(
                &starts_at,
                &ends_at,
                then_collaborator.as_deref(),
            )?;
            super::service::set_dates(&st, &me, o, road, &dates).await?;
            redirect(&format!("/{object}s/{id}/access?dated=1"));
            Ok(())
        }
        .await,
    )
}
