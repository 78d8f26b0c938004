//! Access, explained and dated (AX-1, AX-2): who can reach an integration, an instance
//! or an account and by which road; what of the caller's one person can reach; revoking
//! one road (or saying what that would do); a road's start and end.
use super::{body_of, id_of, query_of, ApiActor, ApiResult, Body, Id, Ids, Problem, Q};
use app::access::service::{self, Object};
use app::access::{AccessPage, PersonReach, RoadDates, RoadRevokePreview};
use app::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use wire::api::{AccessQuery, ReachQuery, RoadRevocation};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(integration_access))
        .routes(routes!(instance_access))
        .routes(routes!(account_access))
        .routes(routes!(reach))
        .routes(routes!(revoke_integration_road))
        .routes(routes!(revoke_instance_road))
        .routes(routes!(date_integration_road))
        .routes(routes!(date_instance_road))
}

async fn tab(
    st: &AppState,
    me: &app::server::Actor,
    o: Object,
    q: Q<AccessQuery>,
) -> ApiResult<Json<AccessPage>> {
    let q = query_of(q)?;
    Ok(Json(
        service::page(st, me, o, q.q.as_deref().unwrap_or("")).await?,
    ))
}

/// Everyone who can reach an integration, with every road (team role, invitation, link,
/// use while public), who gave it, when and until when. Team admins.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/access", tag = "access",
    params(("id" = Uuid, Path, description = "The integration"), AccessQuery),
    responses((status = 200, body = AccessPage), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn integration_access(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    q: Q<AccessQuery>,
) -> ApiResult<Json<AccessPage>> {
    let id = id_of(id)?;
    tab(&st, &me, Object::Integration(id), q).await
}

/// Everyone who can reach an app instance: its owner and its shares. The owner.
#[utoipa::path(get, path = "/api/v1/instances/{id}/access", tag = "access",
    params(("id" = Uuid, Path, description = "The instance"), AccessQuery),
    responses((status = 200, body = AccessPage), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn instance_access(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    q: Q<AccessQuery>,
) -> ApiResult<Json<AccessPage>> {
    let id = id_of(id)?;
    tab(&st, &me, Object::Instance(id), q).await
}

/// Everyone in an account, by role. The owner and super admins.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/access", tag = "access",
    params(("id" = Uuid, Path, description = "The account"), AccessQuery),
    responses((status = 200, body = AccessPage), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn account_access(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    q: Q<AccessQuery>,
) -> ApiResult<Json<AccessPage>> {
    let id = id_of(id)?;
    tab(&st, &me, Object::Account(id), q).await
}

/// Everything of the caller's (integrations they administer, instances they own,
/// accounts they own or super-administer) that one person can reach, and how.
#[utoipa::path(get, path = "/api/v1/access", tag = "access",
    params(ReachQuery),
    responses((status = 200, body = PersonReach), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn reach(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    q: Q<ReachQuery>,
) -> ApiResult<Json<PersonReach>> {
    let q = query_of(q)?;
    Ok(Json(service::reach(&st, &me, &q.email).await?))
}

async fn revoke_road(
    st: &AppState,
    me: &app::server::Actor,
    o: Object,
    road: uuid::Uuid,
    body: Body<RoadRevocation>,
) -> ApiResult<Json<RoadRevokePreview>> {
    let body = body_of(body)?;
    let reason = body.reason.unwrap_or_default();
    Ok(Json(
        service::revoke(st, me, o, road, &reason, body.dry_run).await?,
    ))
}

/// Revoke one road to an integration (a team role, an invitation, a link's or a public
/// use's grant); the answer says which roads remain and which Zaps paused. With
/// `dry_run` nothing changes. Team admins.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/access/{road}/revoke", tag = "access",
    params(("id" = Uuid, Path, description = "The integration"), ("road" = Uuid, Path, description = "The road's id")),
    request_body = RoadRevocation,
    responses((status = 200, body = RoadRevokePreview), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn revoke_integration_road(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<RoadRevocation>,
) -> ApiResult<Json<RoadRevokePreview>> {
    let (id, road) = id_of(ids)?;
    revoke_road(&st, &me, Object::Integration(id), road, body).await
}

/// Revoke one share of an instance (`road` is the person's user id). The owner.
#[utoipa::path(post, path = "/api/v1/instances/{id}/access/{road}/revoke", tag = "access",
    params(("id" = Uuid, Path, description = "The instance"), ("road" = Uuid, Path, description = "The person's user id")),
    request_body = RoadRevocation,
    responses((status = 200, body = RoadRevokePreview), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn revoke_instance_road(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<RoadRevocation>,
) -> ApiResult<Json<RoadRevokePreview>> {
    let (id, road) = id_of(ids)?;
    revoke_road(&st, &me, Object::Instance(id), road, body).await
}

/// Set or clear the start and end of a team role or an invitation's grant (AX-2); a team
/// admin's end may leave them collaborator (AX-4). No date may leave the team without
/// an accepted admin. Team admins.
#[utoipa::path(put, path = "/api/v1/integrations/{id}/access/{road}/dates", tag = "access",
    params(("id" = Uuid, Path, description = "The integration"), ("road" = Uuid, Path, description = "The road's id")),
    request_body = RoadDates,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn date_integration_road(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<RoadDates>,
) -> ApiResult<StatusCode> {
    let (id, road) = id_of(ids)?;
    let body = body_of(body)?;
    service::set_dates(&st, &me, Object::Integration(id), road, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set or clear the start and end of an instance share (AX-2). The owner.
#[utoipa::path(put, path = "/api/v1/instances/{id}/access/{road}/dates", tag = "access",
    params(("id" = Uuid, Path, description = "The instance"), ("road" = Uuid, Path, description = "The person's user id")),
    request_body = RoadDates,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn date_instance_road(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<RoadDates>,
) -> ApiResult<StatusCode> {
    let (id, road) = id_of(ids)?;
    let body = body_of(body)?;
    service::set_dates(&st, &me, Object::Instance(id), road, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}
