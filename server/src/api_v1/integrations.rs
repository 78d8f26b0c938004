//! Integrations: the caller's own and shared ones, create, read, edit, versions,
//! visibility (SH-1), and the integration's history.
use super::{
    body_of, created, id_of, next_link, query_of, ApiActor, ApiResult, Body, Created, Id, Problem,
    Q,
};
use app::insights::HistoryPage;
use app::integrations::{IntegrationPage, MyIntegrations};
use app::server::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_integrations, create_integration))
        .routes(routes!(get_integration, edit_integration))
        .routes(routes!(add_version))
        .routes(routes!(set_visibility))
        .routes(routes!(history))
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

/// A new integration's name and description.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
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

/// A new version, as a semver string (e.g. `1.4.0`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionInput {
    pub version: String,
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

/// `private` or `public`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisibilityInput {
    pub visibility: String,
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

/// Which history entries, and where the page starts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Only this action (e.g. `team.invited`).
    #[serde(default)]
    pub action: String,
    /// Only entries mentioning this text (a name, an address, a value).
    #[serde(default)]
    pub q: String,
    /// The `next` of the previous page; absent for the newest entries.
    pub cursor: Option<String>,
    /// How many to return (1 to 200, 50 unless given).
    pub limit: Option<i64>,
}

/// The integration's history, newest first, a page at a time (`next`, and a `Link`
/// header, lead to older entries): team members (TM-2, X-2).
#[utoipa::path(get, path = "/api/v1/integrations/{id}/history", tag = "integrations",
    params(("id" = Uuid, Path, description = "The integration"), HistoryQuery),
    responses((status = 200, body = HistoryPage), (status = 401, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn history(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    query: Q<HistoryQuery>,
) -> ApiResult<(HeaderMap, Json<HistoryPage>)> {
    let id = id_of(id)?;
    let query = query_of(query)?;
    let limit = query.limit.unwrap_or(50);
    let page = app::insights::service::history_page(
        &st,
        &me,
        id,
        &query.action,
        &query.q,
        query.cursor.as_deref(),
        limit,
    )
    .await?;
    // Filters ride along in the body's `next`; the Link keeps them too.
    let mut path = format!("/api/v1/integrations/{id}/history");
    if !query.action.is_empty() || !query.q.is_empty() {
        path = format!(
            "{path}?action={}&q={}",
            url::form_urlencoded::byte_serialize(query.action.as_bytes()).collect::<String>(),
            url::form_urlencoded::byte_serialize(query.q.as_bytes()).collect::<String>()
        );
    }
    Ok((next_link(&path, page.next.as_deref(), limit), Json(page)))
}
