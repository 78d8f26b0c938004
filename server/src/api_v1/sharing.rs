//! Sharing an integration (SH-*, SH-8): invite links and who joined through them, email
//! invitations, the people with access, and revoking them with their Zaps paused.
use super::{body_of, id_of, query_of, ApiActor, ApiResult, Body, Id, Ids, Problem, Q};
use app::error::AppError;
use app::integrations::{
    AccessView, InviteReport, InviteView, LinkView, RevokePreview, MAX_BATCH_LINES,
};
use app::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use wire::api::{NewInvitations, Revocation, Revoked, Scope};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_links))
        .routes(routes!(rotate_link))
        .routes(routes!(list_invitations, create_invitations))
        .routes(routes!(cancel_invitation))
        .routes(routes!(resend_invitation))
        .routes(routes!(list_users))
        .routes(routes!(revoke_user))
        .routes(routes!(revocation_preview))
}

/// The integration's invite links (all versions, and each version) with who joined
/// through each: any team member; only admins see the link itself (SH-2).
#[utoipa::path(get, path = "/api/v1/integrations/{id}/links", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration")),
    responses((status = 200, body = [LinkView]), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn list_links(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<Json<Vec<LinkView>>> {
    let id = id_of(id)?;
    Ok(Json(
        app::integrations::service::sharing(&st, &me, id)
            .await?
            .links,
    ))
}

/// Rotate a link: the old one stops admitting new people; those already in keep
/// access (SH-2). Team admins.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/links/{link}/rotate", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration"), ("link" = Uuid, Path, description = "The link")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn rotate_link(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, link) = id_of(ids)?;
    app::integrations::service::rotate_link(&st, &me, id, link).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Every email invitation of an integration (SH-5): any team member.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/invitations", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration")),
    responses((status = 200, body = [InviteView]), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn list_invitations(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<Json<Vec<InviteView>>> {
    let id = id_of(id)?;
    Ok(Json(
        app::integrations::service::invitations(&st, &me, id).await?,
    ))
}

/// Invite a batch by email (SH-3, SH-4): any bad address, or passing the cap of 200,
/// refuses the whole batch. Team admins.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/invitations", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = NewInvitations,
    responses((status = 201, body = InviteReport), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn create_invitations(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<NewInvitations>,
) -> ApiResult<(StatusCode, Json<InviteReport>)> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    if body.emails.len() > MAX_BATCH_LINES {
        return Err(AppError::validation(
            "emails",
            format!("Send at most {MAX_BATCH_LINES} addresses at once."),
        )
        .into());
    }
    if body
        .emails
        .iter()
        .any(|e| e.contains(['\n', '\r', ',', ';']))
    {
        return Err(AppError::validation("emails", "One address per item.").into());
    }
    let report = app::integrations::service::invite_dated(
        &st,
        &me,
        id,
        &body.emails.join("\n"),
        body.version_id,
        &app::access::RoadDates {
            starts_at: body.starts_at,
            ends_at: body.ends_at,
            then_collaborator: false,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// Cancel a pending invitation. Team admins.
#[utoipa::path(delete, path = "/api/v1/integrations/{id}/invitations/{invitation}", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration"), ("invitation" = Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("token" = [])))]
async fn cancel_invitation(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, invitation) = id_of(ids)?;
    app::integrations::service::cancel(&st, &me, id, invitation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a pending (or expired) invitation again, with a new link. Team admins.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/invitations/{invitation}/resend", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration"), ("invitation" = Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("token" = [])))]
async fn resend_invitation(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, invitation) = id_of(ids)?;
    app::integrations::service::resend(&st, &me, id, invitation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Everyone with access to the integration, per version, and how they got it: any
/// team member.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/users", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration")),
    responses((status = 200, body = [AccessView]), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn list_users(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<Json<Vec<AccessView>>> {
    let id = id_of(id)?;
    Ok(Json(
        app::integrations::service::sharing(&st, &me, id)
            .await?
            .access,
    ))
}

/// Revoke a user's access to one version (SH-6), or to all versions at once (SH-7):
/// every one of their Zaps that uses it is paused at once. Team admins.
#[utoipa::path(delete, path = "/api/v1/integrations/{id}/users/{user}", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration"), ("user" = Uuid, Path, description = "The user"), Revocation),
    responses((status = 200, body = Revoked), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn revoke_user(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    how: Q<Revocation>,
) -> ApiResult<Json<Revoked>> {
    let (id, user) = id_of(ids)?;
    let how = query_of(how)?;
    let reason = how.reason.unwrap_or_default();
    let zaps_paused =
        app::integrations::service::revoke(&st, &me, id, user, how.version_id, &reason).await?;
    Ok(Json(Revoked { zaps_paused }))
}

/// What revoking would do, without doing it: whom, which versions, how many Zaps
/// would pause. Team admins.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/users/{user}/revocation-preview", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration"), ("user" = Uuid, Path, description = "The user"), Scope),
    responses((status = 200, body = RevokePreview), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn revocation_preview(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    scope: Q<Scope>,
) -> ApiResult<Json<RevokePreview>> {
    let (id, user) = id_of(ids)?;
    let scope = query_of(scope)?;
    Ok(Json(
        app::integrations::service::revoke_preview(&st, &me, id, user, scope.version_id).await?,
    ))
}
