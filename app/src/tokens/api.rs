//! Token server functions (the browser door): list, create, revoke.
use super::{ApiTokenView, NewApiToken};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "tokens/list_tokens")]
pub async fn list_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::list(&st, &me).await
        }
        .await,
    )
}

#[server(endpoint = "tokens/create_token")]
pub async fn create_token(name: String, scope: String, days: i32) -> Result<NewApiToken, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::create(&st, &me, &name, &scope, days).await
        }
        .await,
    )
}

#[server(endpoint = "tokens/revoke_token")]
pub async fn revoke_token(id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::revoke(&st, &me, id).await?;
            redirect("/settings/tokens?revoked=1");
            Ok(())
        }
        .await,
    )
}
