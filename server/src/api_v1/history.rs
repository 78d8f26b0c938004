//! Histories (X-2, HI-1 … HI-3) of integrations and accounts: pages, exports, the chain
//! check; and undoing a member's removal (HI-4).
use super::{body_of, id_of, next_link, query_of, ApiActor, ApiResult, Body, Id, Ids, Problem, Q};
use app::history::{service, ChainCheck, Checkpoint, HistoryFilter, HistoryPage, Scope};
use app::members::UndoReport;
use app::server::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use wire::api::{HistoryExport, HistoryQuery, ReasonInput, VerifyQuery};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(integration_history))
        .routes(routes!(account_history))
        .routes(routes!(integration_export))
        .routes(routes!(account_export))
        .routes(routes!(integration_verify))
        .routes(routes!(account_verify))
        .routes(routes!(undo_preview, undo_removal))
}

async fn page(
    st: &AppState,
    me: &app::server::Actor,
    scope: Scope,
    query: HistoryQuery,
) -> ApiResult<(HeaderMap, Json<HistoryPage>)> {
    let limit = query.limit.unwrap_or(50);
    let filter = HistoryFilter {
        action: query.action,
        q: query.q,
        person: query.person,
        from: query.from,
        to: query.to,
    };
    let page = service::page(st, me, scope, &filter, query.cursor.as_deref(), limit).await?;
    // Filters ride along in the body's `next`; the Link keeps them too.
    let mut path = format!("/api/v1{}", scope.path());
    let kept = filter.query();
    if !kept.is_empty() {
        path = format!("{path}?{kept}");
    }
    Ok((next_link(&path, page.next.as_deref(), limit), Json(page)))
}

/// The integration's history, newest first, a page at a time (`next`, and a `Link`
/// header, lead to older entries): team members (TM-2, X-2, HI-3).
#[utoipa::path(get, path = "/api/v1/integrations/{id}/history", tag = "history",
    params(("id" = Uuid, Path, description = "The integration"), HistoryQuery),
    responses((status = 200, body = HistoryPage), (status = 401, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn integration_history(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    query: Q<HistoryQuery>,
) -> ApiResult<(HeaderMap, Json<HistoryPage>)> {
    let id = id_of(id)?;
    page(&st, &me, Scope::Integration(id), query_of(query)?).await
}

/// The account's history (members, removals and their undo, SCIM), newest first, a page
/// at a time: the owner, super admins and admins (HI-3).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/history", tag = "history",
    params(("id" = Uuid, Path, description = "The account"), HistoryQuery),
    responses((status = 200, body = HistoryPage), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn account_history(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    query: Q<HistoryQuery>,
) -> ApiResult<(HeaderMap, Json<HistoryPage>)> {
    let id = id_of(id)?;
    page(&st, &me, Scope::Account(id), query_of(query)?).await
}

async fn export(
    st: &AppState,
    me: &app::server::Actor,
    scope: Scope,
    q: HistoryExport,
) -> ApiResult<Response> {
    let format = service::Format::parse(&q.format)
        .ok_or_else(|| app::error::AppError::validation("format", "Choose csv or jsonl."))?;
    let filter = HistoryFilter {
        action: q.action,
        q: q.q,
        person: q.person,
        from: q.from,
        to: q.to,
    };
    let file = service::export(st, me, scope, &filter, format).await?;
    Ok(app::members::routes::download(Ok(file)))
}

/// Every matching entry of the integration's history, without a cap, as CSV or JSON lines (HI-3).
#[utoipa::path(get, path = "/api/v1/integrations/{id}/history/export", tag = "history",
    params(("id" = Uuid, Path, description = "The integration"), HistoryExport),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn integration_export(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    query: Q<HistoryExport>,
) -> ApiResult<Response> {
    let id = id_of(id)?;
    export(&st, &me, Scope::Integration(id), query_of(query)?).await
}

/// Every matching entry of the account's history, without a cap, as CSV or JSON lines (HI-3).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/history/export", tag = "history",
    params(("id" = Uuid, Path, description = "The account"), HistoryExport),
    responses((status = 200, content_type = "text/csv", body = String), (status = 401, body = Problem),
              (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn account_export(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    query: Q<HistoryExport>,
) -> ApiResult<Response> {
    let id = id_of(id)?;
    export(&st, &me, Scope::Account(id), query_of(query)?).await
}

fn checkpoint(q: VerifyQuery) -> ApiResult<Option<Checkpoint>> {
    match q
        .checkpoint
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => Ok(None),
        Some(text) => Ok(Some(Checkpoint::parse(text).ok_or_else(|| {
            app::error::AppError::validation(
                "checkpoint",
                "A checkpoint is the entry number and its SHA-256 in hex: 12:9f86d0…",
            )
        })?)),
    }
}

/// Verify the integration's hash chain, against a kept checkpoint when given: team admins (HI-2).
#[utoipa::path(get, path = "/api/v1/integrations/{id}/history/verify", tag = "history",
    params(("id" = Uuid, Path, description = "The integration"), VerifyQuery),
    responses((status = 200, body = ChainCheck), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn integration_verify(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    query: Q<VerifyQuery>,
) -> ApiResult<Json<ChainCheck>> {
    let id = id_of(id)?;
    let kept = checkpoint(query_of(query)?)?;
    Ok(Json(
        service::verify(&st, &me, Scope::Integration(id), kept.as_ref()).await?,
    ))
}

/// Verify the account's hash chain, against a kept checkpoint when given (HI-2).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/history/verify", tag = "history",
    params(("id" = Uuid, Path, description = "The account"), VerifyQuery),
    responses((status = 200, body = ChainCheck), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn account_verify(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Id,
    query: Q<VerifyQuery>,
) -> ApiResult<Json<ChainCheck>> {
    let id = id_of(id)?;
    let kept = checkpoint(query_of(query)?)?;
    Ok(Json(
        service::verify(&st, &me, Scope::Account(id), kept.as_ref()).await?,
    ))
}

/// What undoing this removal would give back and leave alone, without doing it:
/// the owner and super admins, within 14 days (HI-4).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/removals/{removal}/undo", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("removal" = Uuid, Path, description = "The removal (its transfer id)")),
    responses((status = 200, body = UndoReport), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("token" = [])))]
async fn undo_preview(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
) -> ApiResult<Json<UndoReport>> {
    let (id, removal) = id_of(ids)?;
    Ok(Json(
        app::members::undo::undo(&st, &me, id, removal, "", true).await?,
    ))
}

/// Undo a removal in one transaction: unchanged items go back, the membership returns
/// with its role, the rest is listed with the reason; once only (HI-4).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/removals/{removal}/undo", tag = "accounts",
    params(("id" = Uuid, Path, description = "The account"), ("removal" = Uuid, Path, description = "The removal (its transfer id)")),
    request_body = ReasonInput,
    responses((status = 200, body = UndoReport), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn undo_removal(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Ids,
    body: Body<ReasonInput>,
) -> ApiResult<Json<UndoReport>> {
    let (id, removal) = id_of(ids)?;
    let body = body_of(body)?;
    let reason = body.reason.unwrap_or_default();
    Ok(Json(
        app::members::undo::undo(&st, &me, id, removal, &reason, false).await?,
    ))
}
