//! App instances (IN-*): install, read, edit, run and stop, clone, share and revoke,
//! logins. Secrets go in and never come out: no answer carries one (IN-3).
use super::{
    body_of, created, id_of, query_of, ApiActor, ApiResult, Body, Created, Id, Ids, Problem, Q,
};
use app::instances::{InstanceDetail, InstancesPage};
use app::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use wire::api::{InstanceEdit, Invitee, LoginInput, NewInstance, SecretInput, ShareInput};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_instances, install))
        .routes(routes!(get_instance, edit_instance, delete_instance))
        .routes(routes!(run))
        .routes(routes!(stop))
        .routes(routes!(clone_instance))
        .routes(routes!(share))
        .routes(routes!(revoke_share))
        .routes(routes!(cancel_invitation))
        .routes(routes!(add_login))
        .routes(routes!(replace_secret))
        .routes(routes!(delete_login))
}

/// The caller's own instances, and those shared with them.
#[utoipa::path(get, path = "/api/v1/instances", tag = "instances",
    responses((status = 200, body = InstancesPage), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn list_instances(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
) -> ApiResult<Json<InstancesPage>> {
    Ok(Json(app::instances::service::list(&st, &me).await?))
}

/// Install an app instance (IN-1); the caller owns it.
#[utoipa::path(post, path = "/api/v1/instances", tag = "instances",
    request_body = NewInstance,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn install(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    body: Body<NewInstance>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let b = body_of(body)?;
    let id = app::instances::service::install(
        &st,
        &me,
        &b.name,
        &b.app,
        b.config,
        &b.username,
        b.secret,
    )
    .await?;
    Ok(created(id))
}

/// An instance as the caller may see it: logins show their username only (IN-3);
/// shares and pending invitations to the owner only.
#[utoipa::path(get, path = "/api/v1/instances/{id}", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance")),
    responses((status = 200, body = InstanceDetail), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn get_instance(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<Json<InstanceDetail>> {
    let id = id_of(id)?;
    Ok(Json(app::instances::service::detail(&st, &me, id).await?))
}

/// Rename and reconfigure an instance: the owner and `write` shares (IN-2).
#[utoipa::path(patch, path = "/api/v1/instances/{id}", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance")),
    request_body = InstanceEdit,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn edit_instance(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<InstanceEdit>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let b = body_of(body)?;
    app::instances::service::edit(&st, &me, id, &b.name, b.config).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete an instance: the owner and `write` shares (IN-2).
#[utoipa::path(delete, path = "/api/v1/instances/{id}", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn delete_instance(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    app::instances::service::delete(&st, &me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Run an instance: the owner and `write` shares (IN-2).
#[utoipa::path(post, path = "/api/v1/instances/{id}/run", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn run(State(st): State<AppState>, ApiActor(me): ApiActor, id: Id) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    app::instances::service::set_running(&st, &me, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Stop an instance: the owner and `write` shares (IN-2).
#[utoipa::path(post, path = "/api/v1/instances/{id}/stop", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn stop(State(st): State<AppState>, ApiActor(me): ApiActor, id: Id) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    app::instances::service::set_running(&st, &me, id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Clone an instance: its configuration, never its logins (IN-3). Anyone with access.
#[utoipa::path(post, path = "/api/v1/instances/{id}/clone", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance")),
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn clone_instance(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = id_of(id)?;
    Ok(created(app::instances::service::clone(&st, &me, id).await?))
}

/// Share an instance, or change a share (IN-2, IN-4): the owner. An address not yet
/// signed up gets an invitation that becomes the share when they verify it.
#[utoipa::path(put, path = "/api/v1/instances/{id}/shares", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance")),
    request_body = ShareInput,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem),
              (status = 429, body = Problem)),
    security(("token" = [])))]
async fn share(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<ShareInput>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let b = body_of(body)?;
    app::instances::service::share_dated(
        &st,
        &me,
        id,
        &b.email,
        &b.access,
        &app::access::RoadDates {
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            then_collaborator: false,
        },
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Revoke a share (IN-4): it bites on the sharee's next request. The owner.
#[utoipa::path(delete, path = "/api/v1/instances/{id}/shares/{user}", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance"), ("user" = Uuid, Path, description = "The sharee")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn revoke_share(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, user) = id_of(ids)?;
    app::instances::service::revoke(&st, &me, id, user).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Withdraw a share invitation to an address not yet signed up. The owner.
#[utoipa::path(delete, path = "/api/v1/instances/{id}/invitations", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance"), Invitee),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn cancel_invitation(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    who: Q<Invitee>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let who = query_of(who)?;
    app::instances::service::cancel_invite(&st, &me, id, &who.email).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a login (IN-3): the owner only.
#[utoipa::path(post, path = "/api/v1/instances/{id}/logins", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance")),
    request_body = LoginInput,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn add_login(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<LoginInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = id_of(id)?;
    let b = body_of(body)?;
    Ok(created(
        app::instances::service::add_login(&st, &me, id, &b.username, b.secret).await?,
    ))
}

/// Replace a login's secret (IN-3): the owner only.
#[utoipa::path(put, path = "/api/v1/instances/{id}/logins/{login}/secret", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance"), ("login" = Uuid, Path, description = "The login")),
    request_body = SecretInput,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn replace_secret(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<SecretInput>,
) -> ApiResult<StatusCode> {
    let (id, login) = id_of(ids)?;
    let b = body_of(body)?;
    app::instances::service::replace_secret(&st, &me, id, login, b.secret).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a login (IN-3): the owner only.
#[utoipa::path(delete, path = "/api/v1/instances/{id}/logins/{login}", tag = "instances",
    params(("id" = Uuid, Path, description = "The instance"), ("login" = Uuid, Path, description = "The login")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn delete_login(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, login) = id_of(ids)?;
    app::instances::service::delete_login(&st, &me, id, login).await?;
    Ok(StatusCode::NO_CONTENT)
}
