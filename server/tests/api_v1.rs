//! The JSON API (X-4, X-6, SH-8): personal access tokens, problem documents, the same
//! rules as the screens, and the OpenAPI document.
mod common;
use common::*;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;

/// Call the API with a bearer token (and no cookies); returns status, headers' content type, body.
async fn api(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, String, Value) {
    let mut req = Client::new().request(method, format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let kind = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    (
        status,
        kind,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

async fn integration(app: &TestApp, c: &Client) -> String {
    let (s, id) = app
        .call(
            c,
            "integrations/create_integration",
            &[("name", "Acme CRM")],
        )
        .await;
    assert!(s.is_success(), "{id}");
    id.as_str().unwrap().to_string()
}

//
#[sqlx::test(migrations = "../migrations")]
async fn tokens_name_their_user_until_revoked_or_expired_and_cookies_do_nothing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let t = app.api_token(&ann, "read_write").await;
    let (s, _, me) = api(&app, Some(&t), Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "ann@example.com");
    // The token is stored as a fingerprint only, and the list never shows it.
    let (s, list) = app.call(&ann, "tokens/list_tokens", &[]).await;
    assert!(s.is_success());
    assert!(!list.to_string().contains(&t[4..]), "{list}");
    assert!(
        list[0]["last_used_at"].is_string(),
        "use is recorded: {list}"
    );

    // A browser session is no key to the API: cookies are ignored.
    let res = ann
        .get(format!("{}/api/v1/me", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "unauthenticated");
    assert_eq!(problem["status"], 401);
    for bad in ["gat_not-a-real-token", "not even a token", ""] {
        let (s, _, b) = api(&app, Some(bad), Method::GET, "/api/v1/me", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{bad:?}: {b}");
    }

    // Revoked: refused on the very next request.
    let id = list[0]["id"].as_str().unwrap().to_string();
    let (s, b) = app.call(&ann, "tokens/revoke_token", &[("id", &id)]).await;
    assert!(s.is_success() || s.is_redirection(), "{b}");
    let (s, _, b) = api(&app, Some(&t), Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");

    // Expired: refused too.
    let t2 = app.api_token(&ann, "read").await;
    sqlx::query(
        "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let (s, _, _) = api(&app, Some(&t2), Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Bad token requests change nothing and say what is wrong.
    for (scope, days, field) in [
        ("admin", "30", "scope"),
        ("read", "400", "days"),
        ("read", "0", "days"),
    ] {
        let (s, b) = app
            .call(
                &ann,
                "tokens/create_token",
                &[("name", "x"), ("scope", scope), ("days", days)],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(error_field(&b).unwrap().0, field);
    }
    // Another user cannot revoke Ann's token: it looks missing.
    let bob = app.signed_in("Bob", "bob@example.com").await;
    let (s, _) = app.call(&bob, "tokens/revoke_token", &[("id", &id)]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.call(&app.client(), "tokens/list_tokens", &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

// covers: SH-3, SH-4, SH-5, SH-8, X-4, X-6, X-7, AC-3, X-5
#[sqlx::test(migrations = "../migrations")]
async fn invitations_through_the_api_follow_the_same_rules_as_the_screens(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = integration(&app, &ann).await;
    let admin = app.api_token(&ann, "read_write").await;
    let path = format!("/api/v1/integrations/{id}/invitations");

    let (s, _, report) = api(
        &app,
        Some(&admin),
        Method::POST,
        &path,
        Some(json!({ "emails": ["a@example.com", "B@example.com", "a@example.com"] })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{report}");
    assert_eq!(report["invited"], json!(["a@example.com", "b@example.com"]));
    let (s, _, list) = api(&app, Some(&admin), Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let invitation = list[0]["id"].as_str().unwrap().to_string();
    let (s, _, _) = api(
        &app,
        Some(&admin),
        Method::POST,
        &format!("{path}/{invitation}/resend"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);

    // A read token reads, and is refused on a write before anything happens.
    let reader = app.api_token(&ann, "read").await;
    let (s, _, _) = api(&app, Some(&reader), Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::OK);
    let before = app.count("email_invites").await;
    let (s, kind, b) = api(
        &app,
        Some(&reader),
        Method::POST,
        &path,
        Some(json!({ "emails": ["c@example.com"] })),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("insufficient_scope"))
    );
    assert_eq!(kind, "application/problem+json");
    assert_eq!(app.count("email_invites").await, before);

    // A collaborator sees but may not act: 403. An outsider: exactly like a missing id.
    let cleo = app.signed_in("Cleo", "cleo@example.com").await;
    sqlx::query(
        "INSERT INTO team_members (integration_id, user_id, email, role, status, accepted_at) \
         SELECT $1::uuid, id, email, 'collaborator', 'accepted', now() FROM users WHERE email = 'cleo@example.com'",
    )
    .bind(&id)
    .execute(&app.pool)
    .await
    .map(|r| assert_eq!(r.rows_affected(), 1))
    .unwrap();
    let collaborator = app.api_token(&cleo, "read_write").await;
    let (s, _, _) = api(&app, Some(&collaborator), Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _, b) = api(
        &app,
        Some(&collaborator),
        Method::DELETE,
        &format!("{path}/{invitation}"),
        None,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let eve = app.signed_in("Eve", "eve@example.com").await;
    let outsider = app.api_token(&eve, "read_write").await;
    let missing = format!("/api/v1/integrations/{}/invitations", uuid::Uuid::new_v4());
    for method in [Method::GET, Method::POST] {
        let body = (method == Method::POST).then(|| json!({ "emails": ["x@example.com"] }));
        let theirs = api(&app, Some(&outsider), method.clone(), &path, body.clone()).await;
        let nobodys = api(&app, Some(&outsider), method.clone(), &missing, body).await;
        assert_eq!(theirs.0, StatusCode::NOT_FOUND, "{method}");
        assert_eq!(
            theirs, nobodys,
            "{method}: a wrong id answers like a missing one"
        );
    }

    // Malformed input: a problem document, and nothing written.
    let before = app.snapshot().await;
    let invites = app.count("email_invites").await;
    for (body, status) in [
        (
            json!({ "emails": "a@example.com" }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({ "emails": ["not-an-address"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "emails": ["a@example.com, b@example.com"] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({ "emails": vec!["z@example.com"; 1001] }),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (s, kind, b) = api(&app, Some(&admin), Method::POST, &path, Some(body.clone())).await;
        assert_eq!(s, status, "{body}: {b}");
        assert_eq!(kind, "application/problem+json");
        assert!(b["errors"][0]["field"].is_string(), "{b}");
    }
    let res = Client::new()
        .post(format!("{}{path}", app.base))
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    let (s, _, b) = api(
        &app,
        Some(&admin),
        Method::GET,
        "/api/v1/integrations/not-a-uuid/invitations",
        None,
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("malformed_request"))
    );
    assert_eq!(app.count("email_invites").await, invites);
    assert_eq!(app.snapshot().await, before);

    // The cap (SH-4) holds here as on the screen.
    let many: Vec<String> = (0..199).map(|i| format!("p{i}@example.com")).collect();
    let (s, _, b) = api(
        &app,
        Some(&admin),
        Method::POST,
        &path,
        Some(json!({ "emails": many })),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["code"], "sharing_full");

    // Cancel: gone from the list as pending.
    let (s, _, _) = api(
        &app,
        Some(&admin),
        Method::DELETE,
        &format!("{path}/{invitation}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, _, list) = api(&app, Some(&admin), Method::GET, &path, None).await;
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["id"] == invitation.as_str() && i["status"] == "revoked"));
}

// covers: X-4, AC-3, OF-1
#[sqlx::test(migrations = "../migrations")]
async fn members_are_listed_to_members_only(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let olga = app.signed_in("Olga Owner", "olga@example.com").await;
    let (_, account) = app
        .call(&olga, "accounts/create_account", &[("name", "Acme")])
        .await;
    let account = account.as_str().unwrap().to_string();
    let t = app.api_token(&olga, "read").await;
    let path = format!("/api/v1/accounts/{account}/members");
    let (s, _, page) = api(&app, Some(&t), Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["members"][0]["email"], "olga@example.com");
    assert_eq!(page["members"][0]["role"], "owner");
    let eve = app.signed_in("Eve", "eve@example.com").await;
    let outsider = app.api_token(&eve, "read").await;
    let theirs = api(&app, Some(&outsider), Method::GET, &path, None).await;
    let nobodys = api(
        &app,
        Some(&outsider),
        Method::GET,
        &format!("/api/v1/accounts/{}/members", uuid::Uuid::new_v4()),
        None,
    )
    .await;
    assert_eq!(theirs.0, StatusCode::NOT_FOUND);
    assert_eq!(theirs, nobodys);
    // Removed from the account: the token loses access on the next request.
    sqlx::query("DELETE FROM account_members WHERE account_id = $1::uuid")
        .bind(&account)
        .execute(&app.pool)
        .await
        .unwrap();
    let (s, _, _) = api(&app, Some(&t), Method::GET, &path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

//
#[sqlx::test(migrations = "../migrations")]
async fn every_route_is_in_the_openapi_document(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let (s, _, doc) = api(&app, None, Method::GET, "/api/v1/openapi.json", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..2]), Some("3."));
    let mut paths: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            paths.push((method.to_uppercase(), path.clone()));
        }
    }
    paths.sort();
    // Each route the router serves, probed: it exists (not 404/405 for a made-up id)...
    let routes = server::api_v1::routes().1;
    assert_eq!(
        routes.paths.paths.len(),
        doc["paths"].as_object().unwrap().len()
    );
    for (method, path) in &paths {
        // Every path parameter is an id, except the contact's kind.
        let mut concrete = path.replace("{kind}", "marketing");
        while let (Some(i), Some(j)) = (concrete.find('{'), concrete.find('}')) {
            concrete.replace_range(i..=j, &uuid::Uuid::new_v4().to_string());
        }
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let (s, _, b) = api(&app, None, m, &concrete, None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{method} {path}: {b}");
    }
    // A path under /api/v1 that is no route: a problem, not the web app's page.
    let (s, kind, b) = api(&app, None, Method::GET, "/api/v1/nothing/here", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    assert_eq!(kind, "application/problem+json");
    assert!(paths.len() >= 50, "{paths:?}");
    let docs = app
        .get(&app.client(), "/api/v1/docs")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        docs.contains("/api/v1/integrations/{id}/invitations"),
        "{docs}"
    );
    assert!(
        !docs.contains("<script"),
        "the reference page needs no scripts"
    );
}

// The same request twice at once, and from another site: one batch of invitations is
// written once, and a browser page elsewhere cannot use the API (it has no cookie to
// ride on, and its cross-site write is refused before any work).
// covers: X-7, SH-4, X-8
#[sqlx::test(migrations = "../migrations")]
async fn twice_at_once_and_cross_site_change_nothing_twice(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = integration(&app, &ann).await;
    let admin = app.api_token(&ann, "read_write").await;
    let path = format!("/api/v1/integrations/{id}/invitations");
    let mut both = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let url = format!("{}{path}", app.base);
        let t = admin.clone();
        both.spawn(async move {
            let res = Client::new()
                .post(url)
                .bearer_auth(t)
                .json(&json!({ "emails": ["same@example.com"] }))
                .send()
                .await
                .unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        });
    }
    let answers = both.join_all().await;
    assert!(
        answers.iter().all(|(s, _)| *s == StatusCode::CREATED),
        "{answers:?}"
    );
    let invited: usize = answers
        .iter()
        .map(|(_, b)| b["invited"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        invited, 1,
        "one sends, the other is told it is done: {answers:?}"
    );
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM email_invites WHERE email = 'same@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(n, 1);

    let before = app.count("email_invites").await;
    let res = Client::new()
        .post(format!("{}{path}", app.base))
        .bearer_auth(&admin)
        .header("Origin", "https://evil.example")
        .header("Sec-Fetch-Site", "cross-site")
        .json(&json!({ "emails": ["x@example.com"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.count("email_invites").await, before);
}

//
#[sqlx::test(migrations = "../migrations")]
async fn each_token_has_a_limit_that_every_server_shares(pool: PgPool) {
    let config = || {
        app::server::config::Config::from_lookup(|k| match k {
            "DATABASE_URL" => Some("postgres://unused".into()),
            "SECRET_KEYS" => Some(KEYS.into()),
            "MAIL_WORKER" => Some("0".into()),
            "API_PER_TOKEN_PER_MINUTE" => Some("3".into()),
            _ => None,
        })
        .unwrap()
    };
    // Two servers over one database.
    let one = TestApp::start_with(pool.clone(), config()).await;
    let two = TestApp::start_with(pool.clone(), config()).await;
    let ann = one.signed_in("Ann", "ann@example.com").await;
    let t = one.api_token(&ann, "read").await;
    let other = one.api_token(&ann, "read").await;
    // The window is a calendar minute: start early in one, so the test does not straddle two.
    let (second,): (f64,) = sqlx::query_as("SELECT extract(second FROM clock_timestamp())::float8")
        .fetch_one(&pool)
        .await
        .unwrap();
    if second > 45.0 {
        tokio::time::sleep(std::time::Duration::from_secs_f64(61.0 - second)).await;
    }
    let get = |app: &TestApp, t: &str| {
        Client::new()
            .get(format!("{}/api/v1/me", app.base))
            .bearer_auth(t)
            .send()
    };
    for (i, app) in [&one, &two, &one].into_iter().enumerate() {
        let res = get(app, &t).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["ratelimit-policy"], "\"per-token\";q=3;w=60");
        let left = res.headers()["ratelimit"].to_str().unwrap().to_string();
        assert!(
            left.starts_with(&format!("\"per-token\";r={};t=", 2 - i)),
            "{left}"
        );
    }
    // The fourth, on either server: 429 with Retry-After, and nothing done.
    let res = get(&two, &t).await.unwrap();
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: i64 = res.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let problem: Value = res.json().await.unwrap();
    assert_eq!(problem["code"], "rate_limited");
    // Another token of the same person has its own count.
    assert_eq!(get(&one, &other).await.unwrap().status(), StatusCode::OK);
    // A bad token is refused before it counts for anyone.
    assert_eq!(
        get(&one, "gat_nothing-of-the-sort").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

// Found by an attack on the running server: each of these once answered 500, a bare
// text, or read the wrong header. Every answer under /api/v1 is a problem document.
//
#[sqlx::test(migrations = "../migrations")]
async fn odd_requests_get_problems_and_change_nothing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann", "ann@example.com").await;
    let t = app.api_token(&ann, "read_write").await;
    let id = integration(&app, &ann).await;
    let before = app.snapshot().await;
    // NUL characters cannot be stored: a clear 422, not a 500.
    for (method, path, body) in [
        (
            Method::PATCH,
            format!("/api/v1/integrations/{id}"),
            json!({"name": "X", "description": "a\u{0}b"}),
        ),
        (
            Method::POST,
            "/api/v1/integrations".to_string(),
            json!({"name": "Y", "description": "\u{0}"}),
        ),
        (
            Method::POST,
            format!("/api/v1/integrations/{id}/team/invitations"),
            json!({"email": "z@example.com", "role": "collaborator", "note": "hi\u{0}"}),
        ),
    ] {
        let (s, kind, b) = api(&app, Some(&t), method.clone(), &path, Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{method} {path}: {b}");
        assert_eq!(kind, "application/problem+json");
    }
    for q in ["q=a%00b", "action=a%00b"] {
        let (s, _, b) = api(
            &app,
            Some(&t),
            Method::GET,
            &format!("/api/v1/integrations/{id}/history?{q}"),
            None,
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {b}");
    }
    // The scheme is case-insensitive; two Authorization headers are refused.
    for scheme in ["bearer", "BEARER", "Bearer"] {
        let res = Client::new()
            .get(format!("{}/api/v1/me", app.base))
            .header("authorization", format!("{scheme} {t}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{scheme}");
    }
    let bob = app.signed_in("Bob", "bob@example.com").await;
    let theirs = app.api_token(&bob, "read_write").await;
    let res = Client::new()
        .get(format!("{}/api/v1/me", app.base))
        .header("authorization", format!("Bearer {t}"))
        .header("authorization", format!("Bearer {theirs}"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Too large, and a method no route takes: problems too.
    let huge = "x".repeat(2 << 20);
    let res = Client::new()
        .post(format!("{}/api/v1/integrations", app.base))
        .bearer_auth(&t)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(res.headers()["content-type"], "application/problem+json");
    let (s, kind, _) = api(&app, Some(&t), Method::PUT, "/api/v1/me", None).await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(kind, "application/problem+json");
    let after = app.snapshot().await;
    let users = |v: &Vec<(String, i64)>| {
        v.iter()
            .filter(|(t, _)| {
                t != "users"
                    && t != "sessions"
                    && t != "outbox"
                    && t != "user_tokens"
                    && t != "history"
            })
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        users(&before),
        users(&after),
        "nothing but Bob's sign-up changed"
    );
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM integrations")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

//
#[sqlx::test(migrations = "../migrations")]
async fn one_person_has_at_most_fifty_live_tokens(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann", "ann@example.com").await;
    for _ in 0..app::tokens::MAX_LIVE {
        app.api_token(&ann, "read").await;
    }
    let (s, b) = app
        .call(
            &ann,
            "tokens/create_token",
            &[("name", "one more"), ("scope", "read"), ("days", "30")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(message(&b).contains("revoke one first"), "{b}");
    assert_eq!(app.count("api_tokens").await, app::tokens::MAX_LIVE);
}
