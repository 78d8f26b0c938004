//! The Members screen as rendered, kept per server and sent again while nothing it shows
//! has changed: the page's own read (`accounts::service::members_page`) is kept against
//! the read epoch (`server::kept`), and so is the HTML made from it.
//!
//! What the page shows rests on the caller (their email, whether it is verified), the
//! address (its query string: notices, the confirmation asked for), the Members read
//! and the top bar's accounts. Every table behind those moves the read epoch, so the
//! page is kept under (account, caller, verified, query) at the epoch the caller's
//! session statement saw. It is kept only when the render used a Members read kept at
//! that very epoch, still kept after the render (none replaced it meanwhile), and only
//! until that read's own date (an invitation expiring). A hit costs the one session
//! statement, as the kept read does.
//!
//! Never kept: a render in which anything asked for failed (`Unkept`, marked by
//! `server::respond`), an answer other than 200 or one that sets a cookie, a request
//! with any other cookie (a secret shown once) or with a query parameter the page does
//! not read. Each answer still gets a script nonce of its own: the kept page is split
//! where the render's nonce stood, and a fresh one is put in its place and in the
//! page's CSP. `KEEP_READS=0` renders every time.
use super::actor::{Actor, Door};
use super::{auth, door, AppState};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use uuid::Uuid;

/// (account, caller, caller's email verified, query string).
pub type PageKey = (Uuid, Uuid, bool, String);

/// A rendered page, cut where the render's script nonce stood.
pub struct KeptPage {
    /// The answer's headers but its length; values holding the nonce are cut like the body.
    headers: Vec<(header::HeaderName, Vec<Bytes>)>,
    body: Vec<Bytes>,
}

/// A page larger than this is sent but not kept.
const MAX_KEPT_PAGE: usize = 4 << 20;
/// Kept pages are weighed in units of this many bytes (`kept::KEPT_MAX_WEIGHT` of them,
/// about 50 MB, at most).
const WEIGHT_UNIT: usize = 256;

/// The query parameters the Members page reads (its notices, the confirmation asked
/// for); a page asked with any other is rendered and not kept, so nobody can fill the
/// store with addresses of their own making.
const PAGE_QUERY: [&str; 9] = [
    "removed",
    "role_changed",
    "handed_over",
    "invited",
    "resent",
    "invite_cancelled",
    "joined",
    "cancel_invite",
    "hand_over",
];
const MAX_QUERY: usize = 200;

/// The caller, as resolved before the render: the render uses it rather than reading
/// the session again, so its reads start from the same snapshot's epoch.
#[derive(Clone)]
pub struct ResolvedActor(pub Actor);

/// Set by [`crate::server::respond`] when anything the render asked for failed: even
/// where the page still says 200 (a top bar drawn without its data), it is not kept.
#[derive(Clone, Default)]
pub struct Unkept(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl Unkept {
    /// Mark the request whose parts these are, if it is one of ours.
    pub fn mark(parts: &http::request::Parts) {
        if let Some(u) = parts.extensions.get::<Self>() {
            u.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }

    fn marked(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed)
    }
}

/// The query string, when the page may be kept under it.
fn keepable_query(query: Option<&str>) -> Option<String> {
    let q = query.unwrap_or_default();
    let known = q
        .split('&')
        .filter(|kv| !kv.is_empty())
        .all(|kv| PAGE_QUERY.contains(&kv.split_once('=').map_or(kv, |(k, _)| k)));
    (known && q.len() <= MAX_QUERY).then(|| q.to_owned())
}

/// The account of `/accounts/{id}/members`, exactly that path.
fn members_path(path: &str) -> Option<Uuid> {
    let id = path.strip_prefix("/accounts/")?.strip_suffix("/members")?;
    Uuid::parse_str(id).ok().filter(|_| id.len() == 36)
}

/// The session token, when it is the request's only cookie.
fn only_session(headers: &HeaderMap) -> Option<String> {
    let token = auth::session_token(headers)?;
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter(|kv| !kv.trim().is_empty())
        .count();
    (cookies == 1).then_some(token)
}

/// The nonce of a page's CSP (`'nonce-…'`).
fn nonce_of(csp: &str) -> Option<&str> {
    let rest = &csp[csp.find("'nonce-")? + "'nonce-".len()..];
    let nonce = &rest[..rest.find('\'')?];
    (nonce.len() >= 16).then_some(nonce)
}

/// `bytes` cut at every `at`.
fn cut(bytes: &[u8], at: &[u8]) -> Vec<Bytes> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i + at.len() <= bytes.len() {
        if &bytes[i..i + at.len()] == at {
            parts.push(Bytes::copy_from_slice(&bytes[start..i]));
            i += at.len();
            start = i;
        } else {
            i += 1;
        }
    }
    parts.push(Bytes::copy_from_slice(&bytes[start..]));
    parts
}

fn join(parts: &[Bytes], nonce: &[u8]) -> Vec<u8> {
    let len = parts.iter().map(Bytes::len).sum::<usize>() + nonce.len() * parts.len();
    let mut out = Vec::with_capacity(len);
    for (i, p) in parts.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(nonce);
        }
        out.extend_from_slice(p);
    }
    out
}

/// A fresh script nonce: 128 random bits, base64.
fn fresh_nonce() -> String {
    use base64::Engine;
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the OS random source failed");
    base64::engine::general_purpose::STANDARD.encode(b)
}

impl KeptPage {
    fn of(headers: &HeaderMap, body: &[u8]) -> Option<Self> {
        let csp = headers
            .get(header::CONTENT_SECURITY_POLICY)?
            .to_str()
            .ok()?;
        let nonce = nonce_of(csp)?.as_bytes().to_vec();
        let headers = headers
            .iter()
            .filter(|(k, _)| *k != header::CONTENT_LENGTH)
            .map(|(k, v)| (k.clone(), cut(v.as_bytes(), &nonce)))
            .collect();
        Some(Self {
            headers,
            body: cut(body, &nonce),
        })
    }

    /// Its bytes and its key's query string, in [`WEIGHT_UNIT`]s.
    fn weight(&self, query: &str) -> usize {
        1 + (query.len() + self.body.iter().map(Bytes::len).sum::<usize>()) / WEIGHT_UNIT
    }

    fn answer(&self) -> Response {
        let nonce = fresh_nonce();
        let mut res = Response::new(Body::from(join(&self.body, nonce.as_bytes())));
        for (k, v) in &self.headers {
            if let Ok(v) = HeaderValue::from_bytes(&join(v, nonce.as_bytes())) {
                res.headers_mut().append(k.clone(), v);
            }
        }
        res
    }
}

/// Middleware: answer the Members screen from what this server kept, or render it and
/// keep it (see the module's documentation).
pub async fn members_page(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let account = match members_path(req.uri().path()) {
        Some(a) if req.method() == Method::GET && st.config.keep_reads => a,
        _ => return next.run(req).await,
    };
    let (Some(token), Some(query)) = (
        only_session(req.headers()),
        keepable_query(req.uri().query()),
    ) else {
        return next.run(req).await;
    };
    let caller = auth::session_of(&st, &token).await.ok();
    // No session, or the database did not answer: the render says so as it always does.
    let Some(Some((user, seen))) = caller else {
        return next.run(req).await;
    };
    let key: PageKey = (account, user.id, user.email_verified, query);
    if let Some(page) = st.kept.pages.get(&key, &seen) {
        return page.answer();
    }
    // The Members read this render will use, when one is kept: the page is kept only if
    // that very read is still kept after the render (none replaced it meanwhile), and
    // only until its date.
    let read_key = (account, user.id);
    let before = st.kept.members.peek(&read_key, &seen);
    let (parts, body) = req.into_parts();
    let client = door::client_of(&parts);
    let mut req = Request::from_parts(parts, body);
    let unkept = Unkept::default();
    req.extensions_mut().insert(unkept.clone());
    req.extensions_mut().insert(ResolvedActor(Actor {
        user,
        door: Door::Browser,
        client,
        seen: Some(seen),
    }));
    let res = next.run(req).await;
    let after = st.kept.members.peek(&read_key, &seen);
    let until = match (before, after) {
        (Some((read, until)), Some((still, _)))
            if std::sync::Arc::ptr_eq(&read, &still)
                && res.status() == StatusCode::OK
                && !unkept.marked()
                && !res.headers().contains_key(header::SET_COOKIE) =>
        {
            until
        }
        _ => return res,
    };
    let (parts, body) = res.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(b) => b,
        Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    };
    if bytes.len() <= MAX_KEPT_PAGE {
        if let Some(page) = KeptPage::of(&parts.headers, &bytes) {
            let weight = page.weight(&key.3);
            st.kept.pages.keep(
                key,
                seen.read_epoch,
                until,
                weight,
                std::sync::Arc::new(page),
            );
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_members_path_of_an_account_is_kept() {
        let id = "0b6c1f4e-8d2a-4c1e-9f3b-2a7d5e6c8b90";
        assert!(members_path(&format!("/accounts/{id}/members")).is_some());
        for p in [
            format!("/accounts/{id}/members/"),
            format!("/accounts/{id}/members/x/remove"),
            format!("/accounts/{id}/work"),
            "/accounts/not-a-uuid/members".to_string(),
            format!("/accounts/{}/members", id.replace('-', "")),
            format!("/x/accounts/{id}/members"),
        ] {
            assert!(members_path(&p).is_none(), "{p}");
        }
    }

    #[test]
    fn only_the_query_parameters_the_page_reads_are_kept() {
        assert_eq!(keepable_query(None).as_deref(), Some(""));
        assert_eq!(
            keepable_query(Some("invited=1")).as_deref(),
            Some("invited=1")
        );
        assert!(keepable_query(Some("cancel_invite=x&removed=1")).is_some());
        assert!(keepable_query(Some("invited=1&a=2")).is_none());
        assert!(keepable_query(Some("__err=boom")).is_none());
        assert!(keepable_query(Some(&format!("invited={}", "1".repeat(300)))).is_none());
    }

    #[test]
    fn a_kept_page_gets_a_fresh_nonce_in_its_body_and_its_csp() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("script-src 'self' 'nonce-AAAAAAAAAAAAAAAAAAAAAA=='"),
        );
        h.insert(header::CONTENT_LENGTH, HeaderValue::from_static("99"));
        let body = br#"<script nonce="AAAAAAAAAAAAAAAAAAAAAA==">x</script><p>AAAA</p><script nonce="AAAAAAAAAAAAAAAAAAAAAA==">y</script>"#;
        let page = KeptPage::of(&h, body).unwrap();
        assert_eq!(page.body.len(), 3);
        let a = page.answer();
        let b = page.answer();
        let csp = |r: &Response| {
            r.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .to_string()
        };
        let (na, nb) = (
            nonce_of(&csp(&a)).unwrap().to_string(),
            nonce_of(&csp(&b)).unwrap().to_string(),
        );
        assert_ne!(na, nb);
        assert_ne!(na, "AAAAAAAAAAAAAAAAAAAAAA==");
        assert!(!a.headers().contains_key(header::CONTENT_LENGTH));
        assert_eq!(
            join(&page.body, na.as_bytes()),
            format!(r#"<script nonce="{na}">x</script><p>AAAA</p><script nonce="{na}">y</script>"#)
                .into_bytes()
        );
        // A page without a nonce in its CSP is not kept.
        assert!(KeptPage::of(&HeaderMap::new(), body).is_none());
    }

    #[test]
    fn only_a_request_whose_one_cookie_is_the_session_is_kept() {
        let name = auth::COOKIE_NAME;
        let mut ok = HeaderMap::new();
        ok.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{name}=abc")).unwrap(),
        );
        assert_eq!(only_session(&ok).as_deref(), Some("abc"));
        let mut two = HeaderMap::new();
        two.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("{name}=abc; new_token=s3cret")).unwrap(),
        );
        assert!(only_session(&two).is_none());
        assert!(only_session(&HeaderMap::new()).is_none());
    }
}
