//! Accounts and their members (OF-*): list, removal and its preview, the CSV, owner
//! changes of shared work, the SCIM switch.
use super::{
    body_of, created, id_of, next_link, query_of, ApiActor, ApiResult, Body, Created, Id, Ids,
    Problem, Q,
};
use app::accounts::{AccountInvite, AccountSummary, MemberList, MEMBERS_PAGE_MAX};
use app::members::work::WorkPage;
use app::members::{Removed, TransferReport};
use app::server::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use wire::api::{
    AccountInviteInput, AccountRoleInput, HandOverInput, Handover, NewOwner, Page, Scim,
};

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
        .routes(routes!(change_member_role))
        .routes(routes!(hand_over))
        .routes(routes!(list_invitations, invite))
        .routes(routes!(resend_invitation))
        .routes(routes!(cancel_invitation))
}

/// The account's pending invitations (AM-1): the owner, super admins and admins.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/invitations", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account")),
    responses((status = 200, body = [AccountInvite]), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("token" = [])))]
async fn list_invitations(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
) -> ApiResult<Json<Vec<AccountInvite>>> {
    let id = id_of(id)?;
    Ok(Json(app::accounts::invites::list(&st, &me, id).await?))
}

/// Invite someone by email with a role (AM-1): a link valid 14 days, for that address
/// only. Nobody invites above their own role; only the owner invites super admins.
/// Inviting an address again renews its invitation. Refused while SCIM is on (AM-4).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/invitations", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account")),
    request_body = AccountInviteInput,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn invite(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<AccountInviteInput>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    let invitation = app::accounts::invites::invite(&st, &me, id, &body.email, &body.role).await?;
    Ok(created(invitation))
}

/// Send an invitation again: a new link and 14 more days; the old link stops working.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/invitations/{invitation}/resend", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("invitation" = Uuid, Path, description = "The invitation")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn resend_invitation(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, invitation) = id_of(ids)?;
    app::accounts::invites::resend(&st, &me, id, invitation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Cancel an invitation: its link stops working at once.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/invitations/{invitation}", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("invitation" = Uuid, Path, description = "The invitation")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem)),
    security(("token" = [])))]
async fn cancel_invitation(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, invitation) = id_of(ids)?;
    app::accounts::invites::cancel(&st, &me, id, invitation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Change a member's role (AM-2): within the caller's own ceiling, never one's own or the
/// owner's; super admin only from the owner; refused while SCIM is on (AM-4).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/members/{user}/role", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("user" = Uuid, Path, description = "The member")),
    request_body = AccountRoleInput,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn change_member_role(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<AccountRoleInput>,
) -> ApiResult<StatusCode> {
    let (id, user) = id_of(ids)?;
    let body = body_of(body)?;
    app::accounts::service::change_role(
        &st,
        &me,
        id,
        user,
        &body.role,
        body.reason.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Hand the account over to another member (AM-3): the owner only. The old owner becomes a
/// super admin; both are mailed.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/owner", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account")),
    request_body = HandOverInput,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn hand_over(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    body: Body<HandOverInput>,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    app::accounts::service::hand_over(
        &st,
        &me,
        id,
        body.user_id,
        body.reason.as_deref().unwrap_or_default(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
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
/// and the shared ones; 50 Zaps and 50 connections a page, each list after its cursor.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/work", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), wire::api::WorkQuery),
    responses((status = 200, body = WorkPage), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("token" = [])))]
async fn account_work(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    q: Q<wire::api::WorkQuery>,
) -> ApiResult<Json<WorkPage>> {
    let id = id_of(id)?;
    let q = query_of(q)?;
    let page = app::members::service::work(
        &st,
        &me,
        id,
        q.after.as_deref(),
        q.connections_after.as_deref(),
    )
    .await?;
    Ok(Json(page))
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
