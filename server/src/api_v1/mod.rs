//! The JSON API door (`/api/v1`, X-4, SH-8): a bearer personal access token names the
//! caller (cookies are ignored, so there is no cross-site surface), the same services as
//! the screens decide, and errors are RFC 9457 problem documents with a stable `code`.
mod access;
mod accounts;
mod history;
mod instances;
mod integrations;
mod join;
mod platform;
mod sharing;
mod team;

use app::auth::CurrentUser;
use app::domain::policy::{self, TokenScope};
use app::error::AppError;
use app::server::actor::{Actor, Door};
use app::server::AppState;
use app::tokens::service::Usage;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;
use wire::api::{Created, FieldError, Problem};

/// A path with one id, checked by the handler (a bad id is a 400 problem, not a bare 400).
pub(crate) type Id = Result<Path<Uuid>, PathRejection>;
/// A path with two ids.
pub(crate) type Ids = Result<Path<(Uuid, Uuid)>, PathRejection>;
/// A JSON body, checked by the handler.
pub(crate) type Body<T> = Result<Json<T>, JsonRejection>;
/// A query string, checked by the handler.
pub(crate) type Q<T> = Result<Query<T>, QueryRejection>;
pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub(crate) fn created(id: Uuid) -> (StatusCode, Json<Created>) {
    (StatusCode::CREATED, Json(Created { id }))
}

/// Why an API request failed.
#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    /// The token's scope does not allow this (a `read` token on a write).
    Scope,
    /// The request itself is malformed (a body that is not the JSON asked for, a bad id).
    Malformed(String),
    /// The token used up its requests for this minute.
    RateLimited(Usage),
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
            Self::RateLimited(u) => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                format!(
                    "This token may make {} requests a minute; try again in {} s.",
                    u.limit, u.reset
                ),
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
        if let Self::RateLimited(u) = self {
            rate_headers(h, &u);
            h.insert(header::RETRY_AFTER, HeaderValue::from(u.reset.max(1)));
        }
        res
    }
}

/// `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers).
fn rate_headers(h: &mut HeaderMap, u: &Usage) {
    if let Ok(v) = HeaderValue::from_str(&format!("\"per-token\";q={};w=60", u.limit)) {
        h.insert("ratelimit-policy", v);
    }
    if let Ok(v) =
        HeaderValue::from_str(&format!("\"per-token\";r={};t={}", u.remaining(), u.reset))
    {
        h.insert("ratelimit", v);
    }
}

/// The token of `Authorization: Bearer …` (the scheme in any case, RFC 9110); none when
/// the header is missing, malformed, or sent more than once (which one would count?).
fn bearer_of(headers: &HeaderMap) -> Option<String> {
    let mut all = headers.get_all(header::AUTHORIZATION).iter();
    let value = all.next()?.to_str().ok()?;
    if all.next().is_some() {
        return None;
    }
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim_start_matches(' ');
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && !token.contains(' '))
        .then(|| token.to_string())
}

/// An answer the router itself makes under `/api/v1` (405 for a method no route has)
/// becomes a problem document like every other refusal.
async fn problem_for_bare(res: Response) -> Response {
    if res.status() == StatusCode::METHOD_NOT_ALLOWED
        && !res.headers().contains_key(header::CONTENT_TYPE)
    {
        let allow = res.headers().get(header::ALLOW).cloned();
        let mut p =
            ApiError::Malformed("This path does not take that method.".into()).into_response();
        *p.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        if let Some(a) = allow {
            p.headers_mut().insert(header::ALLOW, a);
        }
        return p;
    }
    res
}

/// The API's door, before any handler: the caller from `Authorization: Bearer gat_…`
/// only (cookies are never read), counted against the token's limit.
async fn door(State(st): State<AppState>, mut req: Request, next: Next) -> Response {
    let Some(bearer) = bearer_of(req.headers()) else {
        return ApiError::App(AppError::Unauthenticated).into_response();
    };
    let client = {
        let (parts, body) = req.into_parts();
        let client = app::server::door::client_of(&parts);
        req = Request::from_parts(parts, body);
        client
    };
    if bearer.starts_with(app::platform::tokens::PREFIX) {
        // The platform's token is checked where it is used: in the check's own statement
        // (the hot path), or by the extractor of the operation (see platform.rs).
        req.extensions_mut().insert(platform::PlatformBearer {
            token: bearer,
            client,
        });
        return next.run(req).await;
    }
    let (actor, usage) = match app::tokens::service::resolve(&st, &bearer, client).await {
        Ok(Some(found)) => found,
        Ok(None) => return ApiError::App(AppError::Unauthenticated).into_response(),
        Err(e) => return ApiError::App(e).into_response(),
    };
    if usage.exceeded() {
        return ApiError::RateLimited(usage).into_response();
    }
    req.extensions_mut().insert(actor);
    let mut res = next.run(req).await;
    rate_headers(res.headers_mut(), &usage);
    res
}

/// The caller the door found; a `read` token is refused on anything but GET before any
/// work is done.
pub struct ApiActor(pub Actor);

impl FromRequestParts<AppState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let actor = parts
            .extensions
            .get::<Actor>()
            .cloned()
            .ok_or(ApiError::App(AppError::Unauthenticated))?;
        let writes = !matches!(parts.method, Method::GET | Method::HEAD);
        let scope = match actor.door {
            Door::Token { scope, .. } => scope,
            Door::Browser => TokenScope::Read,
            // A platform token acts for a member on their Zaps and connections only.
            Door::Platform { .. } => {
                return Err(ApiError::App(AppError::Unauthenticated));
            }
        };
        policy::token(scope, writes).map_err(|_| ApiError::Scope)?;
        Ok(Self(actor))
    }
}

pub(crate) fn id_of<T>(path: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    path.map(|Path(v)| v)
        .map_err(|e| ApiError::Malformed(format!("The path is not valid: {}", e.body_text())))
}

pub(crate) fn body_of<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, ApiError> {
    body.map(|Json(v)| v).map_err(|e| match e {
        JsonRejection::JsonDataError(e) => ApiError::App(AppError::validation(
            "body",
            format!("The body does not fit: {}", e.body_text()),
        )),
        other => ApiError::Malformed(format!("The body is not JSON: {}", other.body_text())),
    })
}

pub(crate) fn query_of<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(v)| v).map_err(|e| {
        ApiError::App(AppError::validation(
            "query",
            format!("The query string does not fit: {}", e.body_text()),
        ))
    })
}

/// A `Link: <…>; rel="next"` header for a page with more after it.
pub(crate) fn next_link(path: &str, next: Option<&str>, limit: i64) -> HeaderMap {
    let mut h = HeaderMap::new();
    if let Some(cursor) = next {
        let join = if path.contains('?') { '&' } else { '?' };
        if let Ok(v) = HeaderValue::from_str(&format!(
            "<{path}{join}cursor={cursor}&limit={limit}>; rel=\"next\""
        )) {
            h.insert(header::LINK, v);
        }
    }
    h
}

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "me",
    responses((status = 200, body = CurrentUser), (status = 401, body = Problem)),
    security(("token" = [])))]
async fn me(ApiActor(me): ApiActor) -> Json<CurrentUser> {
    Json(me.user)
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

/// Every problem answer is `application/problem+json`, and every operation behind the
/// door documents the answers the door itself can give: 400 (a malformed id, query or
/// body) and 429 (the token's limit).
struct ProblemAnswers;

impl Modify for ProblemAnswers {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        const PROBLEM: &str = "application/problem+json";
        let problem = |what: &str| {
            ResponseBuilder::new()
                .description(what)
                .content(
                    PROBLEM,
                    Content::new(Some(Ref::from_schema_name("Problem"))),
                )
                .build()
        };
        for item in api.paths.paths.values_mut() {
            let ops = [
                (false, &mut item.get),
                (true, &mut item.put),
                (true, &mut item.post),
                (true, &mut item.patch),
                (true, &mut item.delete),
            ];
            for (writes, op) in ops {
                let Some(op) = op.as_mut() else { continue };
                let has_id =
                    op.parameters.iter().flatten().any(|p| {
                        matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Path)
                    });
                let has_input = op.request_body.is_some()
                    || op.parameters.iter().flatten().any(|p| {
                        matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Query)
                    });
                for answer in op.responses.responses.values_mut() {
                    if let RefOr::T(r) = answer {
                        if let Some(c) = r.content.shift_remove("application/json") {
                            let is_problem = matches!(&c.schema, Some(RefOr::Ref(x)) if x.ref_location.ends_with("/Problem"));
                            r.content.insert(
                                if is_problem {
                                    PROBLEM
                                } else {
                                    "application/json"
                                }
                                .to_string(),
                                c,
                            );
                        }
                    }
                }
                let answers = &mut op.responses.responses;
                let mut add = |status: &str, what: &str| {
                    answers
                        .entry(status.into())
                        .or_insert_with(|| RefOr::T(problem(what)));
                };
                add("400", "A malformed id, query or body.");
                add("401", "No live token: send Authorization: Bearer gat_…");
                add(
                    "429",
                    "This token's requests for the minute are used up; see Retry-After.",
                );
                if writes {
                    add(
                        "403",
                        "Not allowed: a read token on a write, or a role that may not do this.",
                    );
                }
                if has_id {
                    add("404", "No such thing, or nothing the caller may see.");
                }
                if has_input {
                    add("422", "The input does not fit; `errors` names the field.");
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Gatehouse API", version = "1",
         description = "Sharing, team and member actions, with a personal access token (Settings → API tokens)."),
    modifiers(&BearerToken),
    components(schemas(Problem, FieldError, TokenScope, Created))
)]
struct ApiDoc;

/// The `/api/v1` routes and their OpenAPI document.
pub fn routes() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let r = OpenApiRouter::with_openapi(ApiDoc::openapi()).routes(routes!(me));
    let r = accounts::routes(r);
    let r = integrations::routes(r);
    let r = sharing::routes(r);
    let r = team::routes(r);
    let r = join::routes(r);
    let r = instances::routes(r);
    let r = history::routes(r);
    let r = access::routes(r);
    let r = platform::routes(r);
    let (router, mut api) = r.split_for_parts();
    // After the routes are in: a modifier of the `#[openapi]` runs before them.
    ProblemAnswers.modify(&mut api);
    (router, api)
}

/// Anything else under `/api/v1`: a problem, not the web app's page.
async fn no_such_route() -> ApiError {
    ApiError::App(AppError::NotFound)
}

/// `/api/v1` behind its door, with `/api/v1/openapi.json` and a readable reference at
/// `/api/v1/docs` (no scripts, so it works offline and under the strict CSP).
pub fn router(state: AppState) -> Router<AppState> {
    let (router, api) = routes();
    let json = api.to_pretty_json().unwrap_or_else(|_| "{}".into());
    let docs = reference_page(&api);
    router
        .route_layer(middleware::from_fn_with_state(state, door))
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
        .route("/api/v1/{*rest}", axum::routing::any(no_such_route))
        .layer(middleware::map_response(problem_for_bare))
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
