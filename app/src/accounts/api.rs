//! The account server functions, under /api/accounts/.
use super::{AccountInviteLanding, AccountSummary, MembersPage};
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

/// Change a member's role (AM-2); back to the Members screen with a notice.
#[server(endpoint = "accounts/change_role")]
pub async fn change_member_role(
    account_id: Uuid,
    user_id: Uuid,
    role: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::change_role(&st, &me, account_id, user_id, &role, &reason).await?;
            redirect(&format!("/accounts/{account_id}/members?role_changed=1"));
            Ok(())
        }
        .await,
    )
}

/// Hand the account over to another member (AM-3), after the screen's confirmation.
#[server(endpoint = "accounts/hand_over")]
pub async fn hand_over(
    account_id: Uuid,
    user_id: Uuid,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::hand_over(&st, &me, account_id, user_id, &reason).await?;
            redirect(&format!("/accounts/{account_id}/members?handed_over=1"));
            Ok(())
        }
        .await,
    )
}

/// Invite someone to the account by email with a role (AM-1).
#[server(endpoint = "accounts/invite")]
pub async fn invite_to_account(
    account_id: Uuid,
    email: String,
    role: String,
) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::invites::invite(&st, &me, account_id, &email, &role).await?;
            redirect(&format!("/accounts/{account_id}/members?invited=1"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "accounts/resend_invite")]
pub async fn resend_account_invite(account_id: Uuid, invite_id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::invites::resend(&st, &me, account_id, invite_id).await?;
            redirect(&format!("/accounts/{account_id}/members?resent=1"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "accounts/cancel_invite")]
pub async fn cancel_account_invite(account_id: Uuid, invite_id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::invites::cancel(&st, &me, account_id, invite_id).await?;
            redirect(&format!(
                "/accounts/{account_id}/members?invite_cancelled=1"
            ));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "accounts/invite_landing")]
pub async fn get_account_invite_landing(token: String) -> Result<AccountInviteLanding, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::invites::landing(&st, &me, &token).await
        }
        .await,
    )
}

#[server(endpoint = "accounts/accept_invite")]
pub async fn accept_account_invite(token: String) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let account = super::invites::accept(&st, &me, &token).await?;
            redirect(&format!("/accounts/{account}/members?joined=1"));
            Ok(account)
        }
        .await,
    )
}
