//! Team server functions, under /api/team/.
use super::{TeamInviteLanding, TeamPage};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "team/get_team")]
pub async fn get_team(id: Uuid) -> Result<TeamPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::page(&st, &me, id).await
        }
        .await,
    )
}

#[server(endpoint = "team/invite_member")]
pub async fn invite_member(
    id: Uuid,
    email: String,
    role: String,
    #[server(default)] note: String,
    #[server(default)] starts_at: String,
    #[server(default)] ends_at: String,
    #[server(default)] then_collaborator: Option<String>,
) -> Result<String, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let dates = crate::access::service::dates_from_form(
                &starts_at,
                &ends_at,
                then_collaborator.as_deref(),
            )?;
            super::service::invite_dated(&st, &me, id, &email, &role, &note, &dates).await
        }
        .await,
    )
}

#[server(endpoint = "team/change_role")]
pub async fn change_role(
    id: Uuid,
    member_id: Uuid,
    role: String,
    #[server(default)] reason: String,
) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::change_role(&st, &me, id, member_id, &role, &reason).await
        }
        .await,
    )
}

#[server(endpoint = "team/remove_member")]
pub async fn remove_member(id: Uuid, member_id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            if super::service::remove(&st, &me, id, member_id).await? {
                redirect("/integrations?left=1");
            }
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "team/leave_team")]
pub async fn leave_team(id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::leave(&st, &me, id).await?;
            redirect("/integrations?left=1");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "team/resend_invitation")]
pub async fn resend_invitation(id: Uuid, member_id: Uuid) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::resend(&st, &me, id, member_id).await
        }
        .await,
    )
}

/// `user_id` empty revokes the contact.
#[server(endpoint = "team/set_contact")]
pub async fn set_contact(
    id: Uuid,
    kind: String,
    #[server(default)] user_id: String,
) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let user = match user_id.trim() {
                "" => None,
                u => Some(Uuid::parse_str(u).map_err(|_| {
                    AppError::validation("user_id", "Choose a member of the team.")
                })?),
            };
            super::service::set_contact(&st, &me, id, &kind, user).await
        }
        .await,
    )
}

/// A checkbox: present (any value) means on.
#[server(endpoint = "team/set_subscription")]
pub async fn set_subscription(
    id: Uuid,
    #[server(default)] marketing: Option<String>,
) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::set_subscription(&st, &me, id, marketing.is_some()).await
        }
        .await,
    )
}

#[server(endpoint = "team/send_update")]
pub async fn send_update(
    id: Uuid,
    kind: String,
    subject: String,
    body: String,
) -> Result<i64, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::send_update(&st, &me, id, &kind, &subject, &body).await
        }
        .await,
    )
}

#[server(endpoint = "team/invitation")]
pub async fn get_team_invitation(token: String) -> Result<TeamInviteLanding, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::invite_landing(&st, &me, &token).await
        }
        .await,
    )
}

#[server(endpoint = "team/accept_invitation")]
pub async fn accept_team_invitation(token: String) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let id = super::service::accept(&st, &me, &token).await?;
            redirect(&format!("/integrations/{id}/team?welcome=1"));
            Ok(id)
        }
        .await,
    )
}
