//! Accounts and their members (OF-*): list, removal and its preview, the CSV, owner
//! changes of shared work, the SCIM switch.
use super::{body_of, id_of, next_link, query_of, ApiActor, ApiResult, Body, Id, Ids, Problem, Q};
use app::accounts::{AccountSummary, MemberList, MEMBERS_PAGE_MAX};
use app::members::work::WorkPage;
use app::members::{Removed, TransferReport};
use app::server::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use wire::api::{Handover, NewOwner, Page, Scim};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(list_accounts))
        .routes(routes!(list_members))
        .routes(routes!(removal_preview))
        .routes(routes!(remove_member))
        .routes(routes!(member_csv))
        .routes(routes!(account_work))
        .routes(routes!(change_zap_owner))
        .routes(routes!(change_connection_owner))
        .routes(routes!(set_scim))
}

/// The accounts the caller is a member of, with their role in each.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "accounts",
    responses((status = 200, body = [AccountSummary]), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn list_accounts(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
) -> ApiResult<Json<Vec<AccountSummary>>> {
    Ok(Json(app::accounts::service::my_accounts(&st, &me).await?))
}

/// An account's members in address order, a page at a time (`next`, and a `Link`
/// header, lead to the next page): any member of the account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/members", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), Page),
    responses((status = 200, body = MemberList), (status = 401, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn list_members(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    page: Q<Page>,
) -> ApiResult<(HeaderMap, Json<MemberList>)> {
    let id = id_of(id)?;
    let page = query_of(page)?;
    let limit = page.limit.unwrap_or(50);
    let list =
        app::accounts::service::member_list(&st, &me, id, page.cursor.as_deref(), limit).await?;
    let link = next_link(
        &format!("/api/v1/accounts/{id}/members"),
        list.next.as_deref(),
        limit.min(MEMBERS_PAGE_MAX),
    );
    Ok((link, Json(list)))
}

/// What removing this member would move, without moving anything (OF-8).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/members/{user}/removal-preview", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("user" = Uuid, Path, description = "The member"), Handover),
    responses((status = 200, body = TransferReport), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn removal_preview(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    how: Q<Handover>,
) -> ApiResult<Json<TransferReport>> {
    let (id, user) = id_of(ids)?;
    let how = query_of(how)?;
    Ok(Json(
        app::members::service::preview(
            &st,
            &me,
            id,
            user,
            how.new_owner,
            &how.private_connections,
            None,
        )
        .await?,
    ))
}

/// Remove a member and hand all their work over in one transaction (OF-1 to OF-5):
/// admins, super admins and the owner; refused while SCIM is on (OF-7).
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/members/{user}", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("user" = Uuid, Path, description = "The member"), Handover),
    responses((status = 200, body = Removed), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn remove_member(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    how: Q<Handover>,
) -> ApiResult<Json<Removed>> {
    let (id, user) = id_of(ids)?;
    let how = query_of(how)?;
    Ok(Json(
        app::members::service::remove(&st, &me, id, user, &how, false).await?,
    ))
}

/// The CSV of a member's Zaps and connections (OF-4): super admins and the owner.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/members/{user}/export.csv", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("user" = Uuid, Path, description = "The member")),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn member_csv(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<impl IntoResponse> {
    let (id, user) = id_of(ids)?;
    let csv = app::members::service::member_csv(&st, &me, id, user).await?;
    Ok(app::members::routes::csv_response(Ok(csv)))
}

/// The account's Zaps, folders and connections as the caller sees them: their own,
/// and the shared ones.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/work", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account")),
    responses((status = 200, body = WorkPage), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn account_work(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<Json<WorkPage>> {
    let id = id_of(id)?;
    Ok(Json(app::members::service::work(&st, &me, id).await?))
}

/// Give a shared Zap to another member (OF-6); a catch-hook Zap gets a new webhook
/// URL. Super admins and the owner.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/zaps/{item}/owner", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("item" = Uuid, Path, description = "The Zap")),
    request_body = NewOwner,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn change_zap_owner(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<NewOwner>,
) -> ApiResult<StatusCode> {
    change_owner(st, me, ids, body, "zap").await
}

/// Give a shared app connection to another member (OF-6). Super admins and the owner.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/connections/{item}/owner", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("item" = Uuid, Path, description = "The connection")),
    request_body = NewOwner,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn change_connection_owner(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<NewOwner>,
) -> ApiResult<StatusCode> {
    change_owner(st, me, ids, body, "connection").await
}

async fn change_owner(
    st: AppState,
    me: app::server::actor::Actor,
    ids: Ids,
    body: Body<NewOwner>,
    kind: &str,
) -> ApiResult<StatusCode> {
    let (id, item) = id_of(ids)?;
    let body = body_of(body)?;
    app::members::service::change_owner(&st, &me, id, kind, item, body.owner_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Switch SCIM provisioning on or off (OF-7): the account owner and super admins.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/scim", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account")),
    request_body = Scim,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn set_scim(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<Scim>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    app::members::service::set_scim(&st, &me, id, body.enabled).await?;
    Ok(StatusCode::NO_CONTENT)
}
