//! The SCIM 2.0 door (`/scim/v2`, OF-7, AM-4): a per-account SCIM token names the caller
//! (cookies are ignored), `app::scim::service` does the work with the same services as the
//! Members screen, and every error is a SCIM error document (RFC 7644 §3.12).
use app::scim::protocol::{self, ScimError};
use app::scim::service;
use app::scim::tokens::{self, Provisioner};
use app::server::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use serde_json::Value;

const SCIM_JSON: &str = "application/scim+json";

/// A SCIM answer: a status and a document.
pub struct Scim(StatusCode, Value);

impl IntoResponse for Scim {
    fn into_response(self) -> Response {
        (
            self.0,
            [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
            self.1.to_string(),
        )
            .into_response()
    }
}

/// A SCIM error as a response.
pub struct Failure(ScimError);

impl From<ScimError> for Failure {
    fn from(e: ScimError) -> Self {
        Self(e)
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::BAD_REQUEST);
        if status.is_server_error() {
            tracing::warn!(status = self.0.status, "a SCIM request failed");
        }
        let mut res = Scim(status, self.0.body()).into_response();
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"scim\""),
            );
        }
        res
    }
}

type Answer = Result<Scim, Failure>;

/// The caller: the identity provider behind a live SCIM token of one account.
pub struct Idp(Provisioner);

impl FromRequestParts<AppState> for Idp {
    type Rejection = Failure;
    async fn from_request_parts(parts: &mut Parts, st: &AppState) -> Result<Self, Failure> {
        let unauthorized = || {
            Failure(ScimError::new(
                401,
                None,
                "A valid SCIM token is required: Authorization: Bearer gsc_…",
            ))
        };
        let text = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let (scheme, rest) = v.trim().split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .ok_or_else(unauthorized)?;
        match tokens::resolve(st, text).await {
            Ok(Some(p)) => Ok(Idp(p)),
            Ok(None) => Err(unauthorized()),
            Err(e) => Err(Failure(e.into())),
        }
    }
}

/// A resource id from the path: one that cannot even be read (say, not UTF-8) is simply
/// not found, as a wrong id is.
pub struct Id(String);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Failure;
    async fn from_request_parts(parts: &mut Parts, st: &S) -> Result<Self, Failure> {
        Path::<String>::from_request_parts(parts, st)
            .await
            .map(|Path(id)| Id(id))
            .map_err(|_| Failure(ScimError::not_found()))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListQuery {
    filter: Option<String>,
    start_index: Option<i64>,
    count: Option<i64>,
}

/// The query of a list; an unreadable one is a SCIM 400.
fn list_query(
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<ListQuery, Failure> {
    q.map(|Query(q)| q).map_err(|_| {
        Failure(ScimError::bad(
            "invalidValue",
            "startIndex and count must be whole numbers.",
        ))
    })
}

/// A JSON body (`application/scim+json` or `application/json`); anything else is a 400.
fn document(body: &Bytes) -> Result<Value, Failure> {
    serde_json::from_slice(body).map_err(|_| {
        Failure(ScimError::bad(
            "invalidSyntax",
            "The body must be a JSON document.",
        ))
    })
}

fn ok(v: Value) -> Answer {
    Ok(Scim(StatusCode::OK, v))
}

async fn service_provider_config(State(st): State<AppState>, _: Idp) -> Answer {
    ok(protocol::service_provider_config(&st.config.link("/#scim")))
}

async fn resource_types(State(st): State<AppState>, _: Idp) -> Answer {
    ok(protocol::resource_types(&tokens::base_url(&st)))
}

async fn resource_type(State(st): State<AppState>, _: Idp, Id(id): Id) -> Answer {
    let all = protocol::resource_types(&tokens::base_url(&st));
    one_of(&all, &id)
}

async fn schemas(_: Idp) -> Answer {
    ok(protocol::schemas())
}

async fn schema(_: Idp, Id(id): Id) -> Answer {
    one_of(&protocol::schemas(), &id)
}

fn one_of(list: &Value, id: &str) -> Answer {
    list["Resources"]
        .as_array()
        .and_then(|r| r.iter().find(|x| x["id"] == Value::String(id.to_string())))
        .cloned()
        .map(|v| Scim(StatusCode::OK, v))
        .ok_or_else(|| Failure(ScimError::not_found()))
}

async fn list_users(
    State(st): State<AppState>,
    Idp(p): Idp,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let q = list_query(q)?;
    ok(service::list_users(&st, &p, q.filter.as_deref(), q.start_index, q.count).await?)
}

async fn create_user(State(st): State<AppState>, Idp(p): Idp, body: Bytes) -> Answer {
    let body = document(&body)?;
    let doc = service::create_user(&st, &p, &body).await?;
    Ok(Scim(StatusCode::CREATED, doc))
}

async fn get_user(State(st): State<AppState>, Idp(p): Idp, Id(id): Id) -> Answer {
    ok(service::get_user(&st, &p, &id).await?)
}

async fn replace_user(State(st): State<AppState>, Idp(p): Idp, Id(id): Id, body: Bytes) -> Answer {
    let body = document(&body)?;
    ok(service::replace_user(&st, &p, &id, &body).await?)
}

async fn patch_user(State(st): State<AppState>, Idp(p): Idp, Id(id): Id, body: Bytes) -> Answer {
    let body = document(&body)?;
    ok(service::patch_user(&st, &p, &id, &body).await?)
}

async fn delete_user(
    State(st): State<AppState>,
    Idp(p): Idp,
    Id(id): Id,
) -> Result<StatusCode, Failure> {
    service::delete_user(&st, &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn list_groups(
    State(st): State<AppState>,
    Idp(p): Idp,
    q: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Answer {
    let q = list_query(q)?;
    ok(service::list_groups(&st, &p, q.filter.as_deref(), q.start_index, q.count).await?)
}

async fn get_group(State(st): State<AppState>, Idp(p): Idp, Id(id): Id) -> Answer {
    ok(service::get_group(&st, &p, &id).await?)
}

async fn patch_group(
    State(st): State<AppState>,
    Idp(p): Idp,
    Id(id): Id,
    body: Bytes,
) -> Result<StatusCode, Failure> {
    let body = document(&body)?;
    service::patch_group(&st, &p, &id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Groups are the account's fixed roles: none is made, replaced wholesale or deleted.
async fn fixed_groups(_: Idp) -> Failure {
    Failure(ScimError::new(
        403,
        Some("mutability"),
        "Groups are the account's roles (super_admin, admin, member; owner read-only): they cannot be created, replaced or deleted. PATCH a group's members instead.",
    ))
}

async fn no_such_resource() -> Failure {
    Failure(ScimError::not_found())
}

/// Whatever answers an error under `/scim/v2` without a SCIM document (a method the route
/// does not take, a body type it cannot read) gets one, with the same status: identity
/// providers read every error the same way.
async fn scim_errors(res: Response) -> Response {
    let status = res.status();
    let scim = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(SCIM_JSON.as_bytes()));
    if !(status.is_client_error() || status.is_server_error()) || scim {
        return res;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => "This method is not supported on this resource.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send the body as application/scim+json.",
        _ => status
            .canonical_reason()
            .unwrap_or("The request could not be served."),
    };
    let mut out = Failure(ScimError::new(status.as_u16(), None, detail)).into_response();
    if let Some(allow) = res.headers().get(header::ALLOW) {
        out.headers_mut().insert(header::ALLOW, allow.clone());
    }
    out
}

/// The `/scim/v2` routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/scim/v2/ServiceProviderConfig",
            get(service_provider_config),
        )
        .route("/scim/v2/ResourceTypes", get(resource_types))
        .route("/scim/v2/ResourceTypes/{id}", get(resource_type))
        .route("/scim/v2/Schemas", get(schemas))
        .route("/scim/v2/Schemas/{id}", get(schema))
        .route("/scim/v2/Users", get(list_users).post(create_user))
        .route(
            "/scim/v2/Users/{id}",
            get(get_user)
                .put(replace_user)
                .patch(patch_user)
                .delete(delete_user),
        )
        .route("/scim/v2/Groups", get(list_groups).post(fixed_groups))
        .route(
            "/scim/v2/Groups/{id}",
            get(get_group)
                .patch(patch_group)
                .put(fixed_groups)
                .delete(fixed_groups),
        )
        .route("/scim/v2/{*rest}", axum::routing::any(no_such_resource))
        .layer(axum::middleware::map_response(scim_errors))
}
