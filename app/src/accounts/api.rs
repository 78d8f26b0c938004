//! The account server functions, under /api/accounts/.
use super::{AccountSummary, MembersPage};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "accounts/my_accounts")]
pub async fn my_accounts() -> Result<Vec<AccountSummary>, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::my_accounts(&st, &me).await
        }
        .await,
    )
}

#[server(endpoint = "accounts/create_account")]
pub async fn create_account(name: String) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let id = super::service::create_account(&st, &me, &name).await?;
            redirect(&format!("/accounts/{id}/members"));
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "accounts/list_members")]
pub async fn list_members(account_id: Uuid) -> Result<MembersPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::members_page(&st, &me, account_id).await
        }
        .await,
    )
}
