//! Self-serve "join as collaborator" (SJ-*): its settings and embed origins for admins,
//! the search and the request for people who want to join.
use super::{body_of, id_of, query_of, ApiActor, ApiResult, Body, Id, Problem, Q};
use app::error::AppError;
use app::integrations::IntegrationSummary;
use app::join::{EmbedPage, JoinOutcome};
use app::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use wire::api::{JoinSettings, Origin, OriginOut, Search};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(get_join, set_join))
        .routes(routes!(add_origin, remove_origin))
        .routes(routes!(joinable))
        .routes(routes!(request_to_join))
}

/// The join settings, embed origins and the embed snippet: any team member (TM-2).
#[utoipa::path(get, path = "/api/v1/integrations/{id}/join", tag = "join",
    params(("id" = Uuid, Path, description = "The integration")),
    responses((status = 200, body = EmbedPage), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn get_join(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<Json<EmbedPage>> {
    let id = id_of(id)?;
    Ok(Json(app::join::service::embed_page(&st, &me, id).await?))
}

/// Switch "join as collaborator" on or off and set its domains (SJ-1): admins; only
/// for public integrations.
#[utoipa::path(put, path = "/api/v1/integrations/{id}/join", tag = "join",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = JoinSettings,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn set_join(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<JoinSettings>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    if body.domains.len() > 200 {
        return Err(AppError::validation("domains", "List at most 200 domains.").into());
    }
    if body
        .domains
        .iter()
        .any(|d| d.contains(['\n', '\r', ',', ' ']))
    {
        return Err(AppError::validation("domains", "One domain per item.").into());
    }
    app::join::service::set_join(&st, &me, id, body.enabled, &body.domains.join("\n")).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Allow an origin to embed the widget (SJ-3): admins. Answers the origin as stored.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/embed-origins", tag = "join",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = Origin,
    responses((status = 201, body = OriginOut), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn add_origin(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<Origin>,
) -> ApiResult<(StatusCode, Json<OriginOut>)> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    let origin = app::join::service::add_origin(&st, &me, id, &body.origin).await?;
    Ok((StatusCode::CREATED, Json(OriginOut { origin })))
}

/// Stop an origin from embedding the widget: admins.
#[utoipa::path(delete, path = "/api/v1/integrations/{id}/embed-origins", tag = "join",
    params(("id" = Uuid, Path, description = "The integration"), Origin),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn remove_origin(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    origin: Q<Origin>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let origin = query_of(origin)?;
    app::join::service::remove_origin(&st, &me, id, &origin.origin).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Integrations the caller could join as a collaborator (SJ-2): public, join switched
/// on, and the caller's verified address on one of its domains.
#[utoipa::path(get, path = "/api/v1/joinable", tag = "join",
    params(Search),
    responses((status = 200, body = [IntegrationSummary]), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn joinable(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    q: Q<Search>,
) -> ApiResult<Json<Vec<IntegrationSummary>>> {
    let q = query_of(q)?;
    Ok(Json(app::join::service::joinable(&st, &me, &q.q).await?))
}

/// Ask to join as a collaborator (SJ-2): an invitation is mailed to the caller's
/// verified address. A refusal says nothing about the integration.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/join-requests", tag = "join",
    params(("id" = Uuid, Path, description = "The integration")),
    responses((status = 201, body = JoinOutcome), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 409, body = Problem), (status = 429, body = Problem)),
    security(("token" = [])))]
async fn request_to_join(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<(StatusCode, Json<JoinOutcome>)> {
    let id = id_of(id)?;
    let outcome = app::join::service::request_as_user(&st, &me, id).await?;
    Ok((StatusCode::CREATED, Json(outcome)))
}
