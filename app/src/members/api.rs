//! Member removal server functions, under /api/members/.
use super::{RemovalOptions, Removed, TransferReport, UndoReport};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "members/removal_options")]
pub async fn get_removal_options(
    account_id: Uuid,
    user_id: Uuid,
    #[server(default)] q: String,
) -> Result<RemovalOptions, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::removal_options(&st, &me, account_id, user_id, &q).await
        }
        .await,
    )
}

/// What removing would do: the removal itself, run and rolled back (OF-8).
#[server(endpoint = "members/preview_removal")]
pub async fn preview_removal(
    account_id: Uuid,
    user_id: Uuid,
    #[server(default)] new_owner: Option<Uuid>,
    expiry: String,
    #[server(default)] q: String,
) -> Result<TransferReport, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::preview(&st, &me, account_id, user_id, new_owner, &expiry, Some(&q))
                .await
        }
        .await,
    )
}

#[server(endpoint = "members/remove_member")]
pub async fn remove_member(
    account_id: Uuid,
    user_id: Uuid,
    #[server(default)] new_owner: Option<Uuid>,
    expiry: String,
    #[server(default)] reason: String,
) -> Result<Removed, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let removed = super::service::remove(
                &st,
                &me,
                account_id,
                user_id,
                &super::service::Handover {
                    new_owner,
                    private_connections: expiry,
                    reason: Some(reason),
                },
                false,
            )
            .await?;
            redirect(&format!("/accounts/{account_id}/members?removed=1"));
            Ok(removed)
        }
        .await,
    )
}

#[server(endpoint = "members/set_scim")]
pub async fn set_scim(account_id: Uuid, on: bool) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::set_scim(&st, &me, account_id, on).await
        }
        .await,
    )
}

/// What undoing a removal would give back and leave alone (HI-4): the undo, rolled back.
#[server(endpoint = "members/preview_undo")]
pub async fn preview_undo(account_id: Uuid, transfer_id: Uuid) -> Result<UndoReport, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::undo::undo(&st, &me, account_id, transfer_id, "", true).await
        }
        .await,
    )
}

/// Undo a removal (HI-4); back to the account's history.
#[server(endpoint = "members/undo_removal")]
pub async fn undo_removal(
    account_id: Uuid,
    transfer_id: Uuid,
    #[server(default)] reason: String,
) -> Result<UndoReport, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let report =
                super::undo::undo(&st, &me, account_id, transfer_id, &reason, false).await?;
            redirect(&format!("/accounts/{account_id}/history?undone=1"));
            Ok(report)
        }
        .await,
    )
}
