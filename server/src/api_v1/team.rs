//! The integration team (TM-*): members, invitations with a role and a note, roles,
//! removal and leaving, contacts, one's own subscription, updates to the team.
use super::{body_of, id_of, ApiActor, ApiResult, Body, Id, Ids, Problem};
use app::server::AppState;
use app::team::TeamPage;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wire::api::{
    ContactInput, Invited, RoleInput, Sent, SubscriptionInput, TeamInvitation, UpdateInput,
};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(get_team))
        .routes(routes!(invite_member))
        .routes(routes!(change_role, remove_member))
        .routes(routes!(resend_invitation))
        .routes(routes!(leave))
        .routes(routes!(set_contact))
        .routes(routes!(set_subscription))
        .routes(routes!(send_update))
}

/// The team: members accepted and pending, the cap, contacts, the caller's own
/// subscription and the join settings. Any team member (TM-5).
#[utoipa::path(get, path = "/api/v1/integrations/{id}/team", tag = "team",
    params(("id" = Uuid, Path, description = "The integration")),
    responses((status = 200, body = TeamPage), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn get_team(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<Json<TeamPage>> {
    let id = id_of(id)?;
    Ok(Json(app::team::service::page(&st, &me, id).await?))
}

/// Invite someone to the team (TM-3): admins invite admins and collaborators,
/// collaborators invite collaborators only. At most 200 members, pending counted (TM-1).
#[utoipa::path(post, path = "/api/v1/integrations/{id}/team/invitations", tag = "team",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = TeamInvitation,
    responses((status = 201, body = Invited), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem)),
    security(("token" = [])))]
async fn invite_member(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<TeamInvitation>,
) -> ApiResult<(StatusCode, Json<Invited>)> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    let email = app::team::service::invite_dated(
        &st,
        &me,
        id,
        &body.email,
        &body.role,
        &body.note,
        &app::access::RoadDates {
            starts_at: body.starts_at,
            ends_at: body.ends_at,
            then_collaborator: body.then_collaborator,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Invited { email })))
}

/// Change a member's role: admins; the last accepted admin cannot be demoted (TM-6).
#[utoipa::path(patch, path = "/api/v1/integrations/{id}/team/{member}", tag = "team",
    params(("id" = Uuid, Path, description = "The integration"), ("member" = Uuid, Path, description = "The team membership")),
    request_body = RoleInput,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn change_role(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<RoleInput>,
) -> ApiResult<StatusCode> {
    let (id, member) = id_of(ids)?;
    let body = body_of(body)?;
    let reason = body.reason.unwrap_or_default();
    app::team::service::change_role(&st, &me, id, member, &body.role, &reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a member or a pending invitation (TM-5): admins remove anyone, collaborators
/// collaborators only; the last accepted admin stays (TM-6).
#[utoipa::path(delete, path = "/api/v1/integrations/{id}/team/{member}", tag = "team",
    params(("id" = Uuid, Path, description = "The integration"), ("member" = Uuid, Path, description = "The team membership")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("token" = [])))]
async fn remove_member(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, member) = id_of(ids)?;
    app::team::service::remove(&st, &me, id, member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a pending team invitation again, with a new link.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/team/{member}/resend", tag = "team",
    params(("id" = Uuid, Path, description = "The integration"), ("member" = Uuid, Path, description = "The pending membership")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 429, body = Problem)),
    security(("token" = [])))]
async fn resend_invitation(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, member) = id_of(ids)?;
    app::team::service::resend(&st, &me, id, member).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Leave the team (TM-5); the last accepted admin cannot (TM-6).
#[utoipa::path(post, path = "/api/v1/integrations/{id}/team/leave", tag = "team",
    params(("id" = Uuid, Path, description = "The integration")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("token" = [])))]
async fn leave(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    app::team::service::leave(&st, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Assign or revoke the `marketing` or `technical` contact (TM-7): admins; only an
/// accepted member can hold it; nobody is mailed.
#[utoipa::path(put, path = "/api/v1/integrations/{id}/contacts/{kind}", tag = "team",
    params(("id" = Uuid, Path, description = "The integration"),
           ("kind" = String, Path, description = "`marketing` or `technical`")),
    request_body = ContactInput,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn set_contact(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    path: Result<Path<(Uuid, String)>, PathRejection>,
    body: Body<ContactInput>,
) -> ApiResult<StatusCode> {
    let (id, kind) = id_of(path)?;
    let body = body_of(body)?;
    app::team::service::set_contact(&st, &me, id, &kind, body.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switch one's own partner-marketing updates on or off (TM-8); platform and
/// partner-programme updates stay on while one is on the team.
#[utoipa::path(put, path = "/api/v1/integrations/{id}/subscription", tag = "team",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = SubscriptionInput,
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn set_subscription(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<SubscriptionInput>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    app::team::service::set_subscription(&st, &me, id, body.marketing).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mail an update to the team (TM-8): admins.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/updates", tag = "team",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = UpdateInput,
    responses((status = 201, body = Sent), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn send_update(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<UpdateInput>,
) -> ApiResult<(StatusCode, Json<Sent>)> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    let recipients =
        app::team::service::send_update(&st, &me, id, &body.kind, &body.subject, &body.body)
            .await?;
    Ok((StatusCode::CREATED, Json(Sent { recipients })))
}
