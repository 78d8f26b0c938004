//! The platform's door (PL-1, PL-2, PL-3): `POST /api/v1/check` and the webhook endpoints
//! take a platform token (`gatehouse issue-platform-token`); members' Zaps, folders and
//! connections take the member's own token, or a platform token acting for the member
//! (`Gatehouse-Act-As: <user id>`), with that member's rights and no more.
use super::{body_of, id_of, query_of, ApiError, ApiResult, Body, Id, Ids, Problem, Q};
use app::domain::policy::{self, TokenScope};
use app::error::AppError;
use app::members::work::ZapPage;
use app::platform::tokens::Platform;
use app::server::actor::{Actor, Door};
use app::server::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::Json;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wire::api::{Created, Page};
use wire::platform::{
    CheckAnswers, CheckRequest, ConnectionDeletion, DryRun, NewConnection, NewFolder, NewWebhook,
    NewZap, Webhook, WebhookCreated, ZapChange, ZapMove,
};

pub(super) fn routes(r: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    r.routes(routes!(check))
        .routes(routes!(list_webhooks, register_webhook))
        .routes(routes!(remove_webhook))
        .routes(routes!(list_zaps, create_zap))
        .routes(routes!(change_zap, delete_zap))
        .routes(routes!(move_zap))
        .routes(routes!(create_connection))
        .routes(routes!(delete_connection))
        .routes(routes!(create_folder))
}

/// A platform token as the door found it, not yet checked (see `PlatformCaller`).
#[derive(Clone)]
pub struct PlatformBearer {
    pub token: String,
    pub client: String,
}

impl FromRequestParts<AppState> for PlatformBearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<PlatformBearer>()
            .cloned()
            .ok_or(ApiError::App(AppError::Unauthenticated))
    }
}

/// The platform, named by a live platform token.
pub struct PlatformCaller(pub Platform);

impl FromRequestParts<AppState> for PlatformCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let bearer = PlatformBearer::from_request_parts(parts, st).await?;
        match app::platform::tokens::resolve(st, &bearer.token, None).await? {
            Some((p, _)) => Ok(Self(p)),
            None => Err(ApiError::App(AppError::Unauthenticated)),
        }
    }
}

/// A member, by their own token or by the platform acting for them.
pub struct Member(pub Actor);

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let actor = match parts.extensions.get::<Actor>().cloned() {
            Some(a) => a,
            None => {
                let bearer = PlatformBearer::from_request_parts(parts, st).await?;
                let act_as = act_as(&parts.headers)?;
                match app::platform::tokens::resolve(st, &bearer.token, act_as).await? {
                    Some((p, Some(user))) => Actor {
                        user,
                        door: Door::Platform { token: p.token_id },
                        client: bearer.client,
                        seen: None,
                    },
                    Some((_, None)) if act_as.is_some() => {
                        return Err(ApiError::App(AppError::validation(
                            "gatehouse-act-as",
                            "No one with this id is signed up here.",
                        )))
                    }
                    _ => return Err(ApiError::App(AppError::Unauthenticated)),
                }
            }
        };
        let writes = !matches!(parts.method, Method::GET | Method::HEAD);
        let scope = match actor.door {
            Door::Token { scope, .. } => scope,
            Door::Platform { .. } => TokenScope::ReadWrite,
            Door::Browser => TokenScope::Read,
        };
        policy::token(scope, writes).map_err(|_| ApiError::Scope)?;
        Ok(Self(actor))
    }
}

/// The `Gatehouse-Act-As` header: absent, or a user id.
pub(super) fn act_as(headers: &HeaderMap) -> Result<Option<Uuid>, ApiError> {
    match headers.get("gatehouse-act-as") {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| Uuid::parse_str(s.trim()).ok())
            .map(Some)
            .ok_or_else(|| ApiError::Malformed("Gatehouse-Act-As takes a user id.".into())),
    }
}

/// Ask 1 to 100 questions ("may this user use this version", "run this instance", "change
/// this Zap", "use this connection"), answered in order, each allowed or denied with the
/// reason, from the same rules as every screen, in one statement. A platform token.
#[utoipa::path(post, path = "/api/v1/check", tag = "platform",
    request_body = CheckRequest,
    responses((status = 200, body = CheckAnswers), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn check(
    State(st): State<AppState>,
    bearer: PlatformBearer,
    body: Body<CheckRequest>,
) -> ApiResult<Json<CheckAnswers>> {
    let body = match body_of(body) {
        Ok(b) => b,
        Err(e) => {
            // Who is asking comes first: a malformed body from a stranger is a 401.
            app::platform::tokens::resolve(&st, &bearer.token, None)
                .await?
                .ok_or(ApiError::App(AppError::Unauthenticated))?;
            return Err(e);
        }
    };
    let answers = app::platform::check::check(&st, &bearer.token, &body.questions).await?;
    Ok(Json(CheckAnswers { answers }))
}

/// The webhook endpoints events are sent to. A platform token.
#[utoipa::path(get, path = "/api/v1/platform/webhooks", tag = "platform",
    responses((status = 200, body = Vec<Webhook>), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn list_webhooks(
    State(st): State<AppState>,
    PlatformCaller(p): PlatformCaller,
) -> ApiResult<Json<Vec<Webhook>>> {
    Ok(Json(app::platform::events::list(&st, &p).await?))
}

/// Register an endpoint: every event from now on is sent there, signed with the secret
/// in this answer (`Gatehouse-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">`),
/// with its id in `Gatehouse-Event-Id`. A platform token.
#[utoipa::path(post, path = "/api/v1/platform/webhooks", tag = "platform",
    request_body = NewWebhook,
    responses((status = 201, body = WebhookCreated), (status = 401, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn register_webhook(
    State(st): State<AppState>,
    PlatformCaller(p): PlatformCaller,
    body: Body<NewWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookCreated>)> {
    let body = body_of(body)?;
    let made = app::platform::events::register(&st, &p, &body).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Stop sending to an endpoint. A platform token.
#[utoipa::path(delete, path = "/api/v1/platform/webhooks/{id}", tag = "platform",
    params(("id" = Uuid, Path, description = "The endpoint")),
    responses((status = 204), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn remove_webhook(
    State(st): State<AppState>,
    PlatformCaller(p): PlatformCaller,
    id: Id,
) -> ApiResult<StatusCode> {
    let id = id_of(id)?;
    app::platform::events::remove(&st, &p, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The Zaps the member sees in an account (their own and the shared ones), a page at a
/// time, by name.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/zaps", tag = "zaps",
    params(("id" = Uuid, Path, description = "The account"), Page),
    responses((status = 200, body = ZapPage), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("token" = [])))]
async fn list_zaps(
    State(st): State<AppState>,
    Member(me): Member,
    id: Id,
    q: Q<Page>,
) -> ApiResult<(HeaderMap, Json<ZapPage>)> {
    let id = id_of(id)?;
    let q = query_of(q)?;
    let limit = q.limit.unwrap_or(50);
    let page = app::members::zaps::list_zaps(&st, &me, id, q.cursor.as_deref(), limit).await?;
    let link = super::next_link(
        &format!("/api/v1/accounts/{id}/zaps"),
        page.next.as_deref(),
        limit,
    );
    Ok((link, Json(page)))
}

/// A new Zap of the member's own, switched on: its versions must be ones they may use
/// (`version_not_usable` otherwise), its connections their own or shared ones.
#[utoipa::path(post, path = "/api/v1/accounts/{id}/zaps", tag = "zaps",
    params(("id" = Uuid, Path, description = "The account")),
    request_body = NewZap,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn create_zap(
    State(st): State<AppState>,
    Member(me): Member,
    id: Id,
    body: Body<NewZap>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    let zap = app::members::zaps::create_zap(&st, &me, id, &body).await?;
    Ok(super::created(zap))
}

/// Rename a Zap of one's own, change its trigger (a catch hook gets a new webhook URL), or
/// switch it on (refused with `version_access_gone` while access to a version is gone) or off.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}/zaps/{item}", tag = "zaps",
    params(("id" = Uuid, Path, description = "The account"), ("item" = Uuid, Path, description = "The Zap")),
    request_body = ZapChange,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn change_zap(
    State(st): State<AppState>,
    Member(me): Member,
    ids: Ids,
    body: Body<ZapChange>,
) -> ApiResult<StatusCode> {
    let (id, zap) = id_of(ids)?;
    let body = body_of(body)?;
    app::members::zaps::change_zap(&st, &me, id, zap, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a Zap of one's own.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/zaps/{item}", tag = "zaps",
    params(("id" = Uuid, Path, description = "The account"), ("item" = Uuid, Path, description = "The Zap")),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn delete_zap(
    State(st): State<AppState>,
    Member(me): Member,
    ids: Ids,
) -> ApiResult<StatusCode> {
    let (id, zap) = id_of(ids)?;
    app::members::zaps::delete_zap(&st, &me, id, zap).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Move a Zap of one's own into one of one's folders, a shared folder (shared Zaps), or
/// out of every folder (`null`).
#[utoipa::path(put, path = "/api/v1/accounts/{id}/zaps/{item}/folder", tag = "zaps",
    params(("id" = Uuid, Path, description = "The account"), ("item" = Uuid, Path, description = "The Zap")),
    request_body = ZapMove,
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn move_zap(
    State(st): State<AppState>,
    Member(me): Member,
    ids: Ids,
    body: Body<ZapMove>,
) -> ApiResult<StatusCode> {
    let (id, zap) = id_of(ids)?;
    let body = body_of(body)?;
    app::members::zaps::move_zap(&st, &me, id, zap, body.folder_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new app connection of one's own (private unless `private` is false).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/connections", tag = "zaps",
    params(("id" = Uuid, Path, description = "The account")),
    request_body = NewConnection,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("token" = [])))]
async fn create_connection(
    State(st): State<AppState>,
    Member(me): Member,
    id: Id,
    body: Body<NewConnection>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    let c = app::members::zaps::create_connection(&st, &me, id, &body).await?;
    Ok(super::created(c))
}

/// Delete a connection: one's own, or (admins, super admins, the owner) another member's
/// private one (OF-2). The Zaps that use it and are on pause with the reason; `dry_run`
/// names them without deleting.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/connections/{item}", tag = "zaps",
    params(("id" = Uuid, Path, description = "The account"), ("item" = Uuid, Path, description = "The connection"), DryRun),
    responses((status = 200, body = ConnectionDeletion), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn delete_connection(
    State(st): State<AppState>,
    Member(me): Member,
    ids: Ids,
    q: Q<DryRun>,
) -> ApiResult<Json<ConnectionDeletion>> {
    let (id, c) = id_of(ids)?;
    let q = query_of(q)?;
    Ok(Json(
        app::members::zaps::delete_connection(&st, &me, id, c, q.dry_run).await?,
    ))
}

/// A new folder of one's own (a shared one holds shared Zaps).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/folders", tag = "zaps",
    params(("id" = Uuid, Path, description = "The account")),
    request_body = NewFolder,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 404, body = Problem),
              (status = 422, body = Problem)),
    security(("token" = [])))]
async fn create_folder(
    State(st): State<AppState>,
    Member(me): Member,
    id: Id,
    body: Body<NewFolder>,
) -> ApiResult<(StatusCode, Json<Created>)> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    let f = app::members::zaps::create_folder(&st, &me, id, &body).await?;
    Ok(super::created(f))
}
