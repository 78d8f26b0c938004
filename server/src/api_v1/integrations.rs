//! Integrations: the caller's own and shared ones, create, read, edit, versions,
//! visibility (SH-1), and the integration's history.
use super::{body_of, created, id_of, ApiActor, ApiResult, Body, Created, Id, Problem};
use app::integrations::{IntegrationPage, MyIntegrations};
use app::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use wire::api::{IntegrationInput, VersionInput, VisibilityInput};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_integrations, create_integration))
        .routes(routes!(get_integration, edit_integration))
        .routes(routes!(add_version))
        .routes(routes!(set_visibility))
}

/// The integrations whose team the caller is on, and those shared with them.
#[utoipa::path(get, path = "/api/v1/integrations", tag = "integrations",
    responses((status = 200, body = MyIntegrations), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn list_integrations(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
) -> ApiResult<Json<MyIntegrations>> {
    Ok(Json(app::integrations::service::mine(&st, &me).await?))
}

/// Create an integration; the caller becomes its first admin (TM-1).
#[utoipa::path(post, path = "/api/v1/integrations", tag = "integrations",
    request_body = IntegrationInput,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn create_integration(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    body: Body<IntegrationInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let body = body_of(body)?;
    let id = app::integrations::service::create(&st, &me, &body.name, &body.description).await?;
    Ok(created(id))
}

/// An integration with its versions: its team members.
#[utoipa::path(get, path = "/api/v1/integrations/{id}", tag = "integrations",
    params(("id" = Uuid, Path, description = "The integration")),
    responses((status = 200, body = IntegrationPage), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn get_integration(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<Json<IntegrationPage>> {
    let id = id_of(id)?;
    Ok(Json(app::integrations::service::page(&st, &me, id).await?))
}

/// Rename or describe an integration: team admins (TM-2).
#[utoipa::path(patch, path = "/api/v1/integrations/{id}", tag = "integrations",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = IntegrationInput,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn edit_integration(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<IntegrationInput>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    app::integrations::service::edit(&st, &me, id, &body.name, &body.description).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add a version: team admins. Links to all versions admit people to it at once (SH-2).
#[utoipa::path(post, path = "/api/v1/integrations/{id}/versions", tag = "integrations",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = VersionInput,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn add_version(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<VersionInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    let version = app::integrations::service::add_version(&st, &me, id, &body.version).await?;
    Ok(created(version))
}

/// Make an integration public (every signed-in user may use it, SH-1) or private: team admins.
#[utoipa::path(put, path = "/api/v1/integrations/{id}/visibility", tag = "integrations",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = VisibilityInput,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn set_visibility(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<VisibilityInput>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    app::integrations::service::set_visibility(&st, &me, id, &body.visibility).await?;
    Ok(StatusCode::NO_CONTENT)
}
