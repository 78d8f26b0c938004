//! The JSON API door (`/api/v1`, X-4, SH-8): a bearer personal access token names the
//! caller (cookies are ignored, so there is no cross-site surface), the same services as
//! the screens decide, and errors are RFC 9457 problem documents with a stable `code`.
use app::accounts::MembersPage;
use app::auth::CurrentUser;
use app::domain::policy::{self, TokenScope};
use app::error::AppError;
use app::integrations::{InviteReport, InviteView, MAX_BATCH_LINES};
use app::server::actor::{Actor, Door};
use app::server::AppState;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

/// One field's problem, in a 422 answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable and machine-readable: scripts branch on this, never on `detail`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// Why an API request failed.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    /// The token's scope does not allow this (a `read` token on a write).
    Scope,
    /// The request itself is malformed (a body that is not the JSON asked for, a bad id).
    Malformed(String),
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        Self::App(e)
    }
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, String, Vec<FieldError>) {
        match self {
            Self::Scope => (
                StatusCode::FORBIDDEN,
                "insufficient_scope",
                "This token may only read. Make a read-and-write token to change things.".into(),
                Vec::new(),
            ),
            Self::Malformed(why) => (
                StatusCode::BAD_REQUEST,
                "malformed_request",
                why.clone(),
                Vec::new(),
            ),
            Self::App(e) => {
                let code = match e {
                    AppError::Unauthenticated => "unauthenticated",
                    AppError::Forbidden => "forbidden",
                    AppError::NotFound => "not_found",
                    AppError::Conflict(_) => "conflict",
                    AppError::Refused(r) => r.code(),
                    AppError::Validation { .. } => "invalid_input",
                    AppError::TooManyRequests(_) => "rate_limited",
                    AppError::Unavailable => "unavailable",
                    AppError::Internal { .. } | AppError::Transport(_) => "internal",
                };
                let errors = match e {
                    AppError::Validation { field, message } => vec![FieldError {
                        field: field.clone(),
                        message: message.clone(),
                    }],
                    _ => Vec::new(),
                };
                let detail = match e {
                    AppError::Unauthenticated => {
                        "Send a live personal access token: Authorization: Bearer gat_…".into()
                    }
                    other => other.to_string(),
                };
                (e.status(), code, detail, errors)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, detail, errors) = self.parts();
        let problem = Problem {
            kind: format!("https://gatehouse.dev/problems/{code}"),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            detail,
            code: code.to_string(),
            errors,
        };
        let mut res = (status, Json(problem)).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if status == StatusCode::UNAUTHORIZED {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

/// The caller, from `Authorization: Bearer gat_…` only; a `read` token is refused on
/// anything but GET before any work is done.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, ApiError> {
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .ok_or(ApiError::App(AppError::Unauthenticated))?;
        let client = app::server::door::client_of(parts);
        let actor = app::tokens::service::resolve(st, bearer, client)
            .await?
            .ok_or(ApiError::App(AppError::Unauthenticated))?;
        let writes = !matches!(parts.method, Method::GET | Method::HEAD);
        let scope = match actor.door {
            Door::Token { scope, .. } => scope,
            Door::Browser => TokenScope::Read,
        };
        policy::token(scope, writes).map_err(|_| ApiError::Scope)?;
        Ok(Self(actor))
    }
}

fn id_of<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(v)| v)
        .map_err(|e| ApiError::Malformed(format!("The path is not valid: {}", e.body_text())))
}

fn body_of<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|e| match e {
        JsonRejection::JsonDataError(e) => ApiError::App(AppError::validation(
            "body",
            format!("The body does not fit: {}", e.body_text()),
        )),
        other => ApiError::Malformed(format!("The body is not JSON: {}", other.body_text())),
    })
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses((status = 200, body = CurrentUser), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn me(ApiActor(me): ApiActor) -> Json<CurrentUser> {
    Json(me.user)
}

/// Every email invitation of an integration (SH-5): any team member.
#[utoipa::path(get, path = "/api/v1/integrations/{id}/invitations", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration")),
    responses((status = 200, body = [InviteView]), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn list_invitations(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<Vec<InviteView>>, ApiError> {
    let id = id_of(id)?;
    Ok(Json(
        app::integrations::service::invitations(&st, &me, id).await?,
    ))
}

/// Addresses to invite to one version, or to all versions when `version_id` is absent.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewInvitations {
    pub emails: Vec<String>,
    #[serde(default)]
    pub version_id: Option<Uuid>,
}

/// Invite a batch by email (SH-3, SH-4): any bad address, or passing the cap of 200,
/// refuses the whole batch. Team admins.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/invitations", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration")),
    request_body = NewInvitations,
    responses((status = 201, body = InviteReport), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
async fn create_invitations(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<Json<NewInvitations>, JsonRejection>,
) -> Result<(StatusCode, Json<InviteReport>), ApiError> {
    let id = id_of(id)?;
    let body = body_of(body)?;
    if body.emails.len() > MAX_BATCH_LINES {
        return Err(AppError::validation(
            "emails",
            format!("Send at most {MAX_BATCH_LINES} addresses at once."),
        )
        .into());
    }
    if body.emails.iter().any(|e| e.contains(['\n', ',', ';'])) {
        return Err(AppError::validation("emails", "One address per item.").into());
    }
    let report =
        app::integrations::service::invite(&st, &me, id, &body.emails.join("\n"), body.version_id)
            .await?;
    Ok((StatusCode::CREATED, Json(report)))
}

/// Cancel a pending invitation. Team admins.
#[utoipa::path(delete, path = "/api/v1/integrations/{id}/invitations/{invitation}", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration"), ("invitation" = Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn cancel_invitation(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (id, invitation) = id_of(ids)?;
    app::integrations::service::cancel(&st, &me, id, invitation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Send a pending (or expired) invitation again, with a new link. Team admins.
#[utoipa::path(post, path = "/api/v1/integrations/{id}/invitations/{invitation}/resend", tag = "sharing",
    params(("id" = Uuid, Path, description = "The integration"), ("invitation" = Uuid, Path)),
    responses((status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
              (status = 404, body = Problem), (status = 409, body = Problem)),
    security(("token" = [])))]
async fn resend_invitation(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    ids: Result<Path<(Uuid, Uuid)>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let (id, invitation) = id_of(ids)?;
    app::integrations::service::resend(&st, &me, id, invitation).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account's members: any member of the account.
#[utoipa::path(get, path = "/api/v1/accounts/{id}/members", tag = "members",
    params(("id" = Uuid, Path, description = "The account")),
    responses((status = 200, body = MembersPage), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
async fn list_members(
    State(st): State<AppState>,
    ApiActor(me): ApiActor,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Json<MembersPage>, ApiError> {
    let id = id_of(id)?;
    Ok(Json(
        app::accounts::service::members_page(&st, &me, id).await?,
    ))
}

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Gatehouse API", version = "1",
         description = "Sharing, team and member actions, with a personal access token (Settings → API tokens)."),
    modifiers(&BearerToken),
    components(schemas(Problem, FieldError, TokenScope))
)]
struct ApiDoc;

/// The `/api/v1` routes and their OpenAPI document.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(me))
        .routes(routes!(list_invitations, create_invitations))
        .routes(routes!(cancel_invitation))
        .routes(routes!(resend_invitation))
        .routes(routes!(list_members))
        .split_for_parts()
}

/// `/api/v1` with `/api/v1/openapi.json` and a readable reference at `/api/v1/docs`
/// (no scripts, so it works offline and under the strict CSP).
pub fn router() -> Router<AppState> {
    let (router, api) = routes();
    let json = api.to_pretty_json().unwrap_or_else(|_| "{}".into());
    let docs = reference_page(&api);
    router
        .route(
            "/api/v1/openapi.json",
            axum::routing::get(move || {
                let json = json.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], json) }
            }),
        )
        .route(
            "/api/v1/docs",
            axum::routing::get(move || {
                let docs = docs.clone();
                async move { axum::response::Html(docs) }
            }),
        )
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A plain HTML page listing every operation of the document.
fn reference_page(api: &utoipa::openapi::OpenApi) -> String {
    let mut rows = String::new();
    for (path, item) in &api.paths.paths {
        let ops = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PUT", &item.put),
            ("PATCH", &item.patch),
            ("DELETE", &item.delete),
        ];
        for (method, op) in ops {
            if let Some(op) = op {
                let summary = op
                    .summary
                    .clone()
                    .or_else(|| op.description.clone())
                    .unwrap_or_default();
                rows.push_str(&format!(
                    "<tr><td><code>{method}</code></td><td><code>{}</code></td><td>{}</td></tr>",
                    esc(path),
                    esc(&summary)
                ));
            }
        }
    }
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Gatehouse API</title></head><body>\
         <main><h1>Gatehouse API v1</h1>\
         <p>Send a personal access token (Settings → API tokens) as <code>Authorization: Bearer gat_…</code>. \
         Errors are <code>application/problem+json</code> with a stable <code>code</code>. \
         The machine-readable document: <a href=\"/api/v1/openapi.json\">openapi.json</a>.</p>\
         <table><thead><tr><th scope=\"col\">Method</th><th scope=\"col\">Path</th><th scope=\"col\">What it does</th></tr></thead>\
         <tbody>{rows}</tbody></table></main></body></html>"
    )
}
