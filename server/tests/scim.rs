//! SCIM 2.0 at /scim/v2 (OF-7, AM-4): the request shapes Okta and Entra ID send, each
//! error case, deprovisioning as the Members screen's removal, reactivation, and what a
//! token of another account, a revoked token or a browser cookie gets.
mod common;
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::HashMap;
use uuid::Uuid;

struct Idp {
    account: Uuid,
    token: String,
    olive: app::server::actor::Actor,
    dana: app::server::actor::Actor,
}

/// Olive owns Acme; Dana is a member with some work; a SCIM token exists and SCIM is on.
async fn acme(app: &TestApp) -> Idp {
    let olive = person(&app.pool, "Olive Owner", "olive@acme.test").await;
    let account = app::accounts::service::create_account(&app.state, &olive, "Acme")
        .await
        .unwrap();
    let dana = person(&app.pool, "Dana Member", "dana@acme.test").await;
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'member')",
    )
    .bind(account)
    .bind(dana.id)
    .execute(&app.pool)
    .await
    .unwrap();
    // Switching on without a token is refused: the identity provider could not connect.
    let refused = app::members::service::set_scim(&app.state, &olive, account, true).await;
    assert!(
        matches!(refused, Err(app::error::AppError::Validation { ref field, .. }) if field == "on"),
        "{refused:?}"
    );
    let made = app::scim::tokens::create(&app.state, &olive, account, "Okta", 365)
        .await
        .unwrap();
    assert!(made.token.starts_with("gsc_"));
    app::members::service::set_scim(&app.state, &olive, account, true)
        .await
        .unwrap();
    Idp {
        account,
        token: made.token,
        olive,
        dana,
    }
}

/// Dana's work: a shared folder with a shared Zap, a private Zap, a private connection.
async fn give_dana_work(app: &TestApp, idp: &Idp) {
    let (folder,): (Uuid,) = sqlx::query_as(
        "INSERT INTO folders (account_id, owner_id, kind, name) VALUES ($1, $2, 'shared', 'Sales') RETURNING id",
    )
    .bind(idp.account)
    .bind(idp.dana.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    for (name, private, folder) in [("Leads", false, Some(folder)), ("Mine", true, None)] {
        sqlx::query(
            "INSERT INTO zaps (account_id, owner_id, name, enabled, private, folder_id) VALUES ($1, $2, $3, true, $4, $5)",
        )
        .bind(idp.account)
        .bind(idp.dana.id)
        .bind(name)
        .bind(private)
        .bind(folder)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    sqlx::query(
        "INSERT INTO app_connections (account_id, owner_id, app, name, private) VALUES ($1, $2, 'Gmail', 'Inbox', true)",
    )
    .bind(idp.account)
    .bind(idp.dana.id)
    .execute(&app.pool)
    .await
    .unwrap();
}

async fn scim(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (StatusCode, Value) {
    let c = reqwest::Client::new();
    let url = format!("{}/scim/v2{path}", app.base);
    let mut req = c.request(method.parse().unwrap(), url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req
            .header("content-type", "application/scim+json")
            .body(b.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    if status != StatusCode::NO_CONTENT {
        assert_eq!(
            res.headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap()),
            Some("application/scim+json"),
            "{method} {path}"
        );
    }
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// `actual` has everything `expected` has: objects by key, arrays element by element
/// with the same length, scalars equal.
fn subset(expected: &Value, actual: &Value, at: &str) -> Result<(), String> {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e.iter().try_for_each(|(k, v)| {
            subset(v, a.get(k).unwrap_or(&Value::Null), &format!("{at}.{k}"))
        }),
        (Value::Array(e), Value::Array(a)) if e.len() == a.len() => e
            .iter()
            .zip(a)
            .enumerate()
            .try_for_each(|(i, (e, a))| subset(e, a, &format!("{at}[{i}]"))),
        (e, a) if e == a => Ok(()),
        (e, a) => Err(format!("at {at}: expected {e}, got {a}")),
    }
}

/// Replay a recorded conversation of an identity provider, step by step.
async fn replay(app: &TestApp, token: &str, file: &str) {
    let text = std::fs::read_to_string(format!(
        "{}/tests/fixtures/scim/{file}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let mut vars: HashMap<String, String> = HashMap::new();
    vars.insert("dana_email".into(), "dana@acme.test".into());
    let fill = |s: &str, vars: &HashMap<String, String>| {
        vars.iter().fold(s.to_string(), |s, (k, v)| {
            s.replace(&format!("{{{{{k}}}}}"), v)
        })
    };
    let steps = doc["steps"].as_array().unwrap();
    assert!(steps.len() >= 12, "{file} tells a whole story");
    for step in steps {
        let name = step["name"].as_str().unwrap_or("?");
        let path = fill(step["path"].as_str().unwrap(), &vars);
        let body = (!step["body"].is_null()).then(|| {
            serde_json::from_str::<Value>(&fill(&step["body"].to_string(), &vars)).unwrap()
        });
        let method = step["method"].as_str().unwrap();
        let (status, got) = scim(app, Some(token), method, &path, body.as_ref()).await;
        assert_eq!(
            status.as_u16() as u64,
            step["status"].as_u64().unwrap(),
            "{file}: {name}: {method} {path}: {got}"
        );
        if !step["expect"].is_null() {
            if let Err(e) = subset(&step["expect"], &got, "") {
                panic!("{file}: {name}: {e}\n{got:#}");
            }
        }
        if let Some(save) = step["save"].as_object() {
            for (var, field) in save {
                let mut v = &got;
                for part in field.as_str().unwrap().split('.') {
                    v = match part.parse::<usize>() {
                        Ok(i) => &v[i],
                        Err(_) => &v[part],
                    };
                }
                vars.insert(var.clone(), v.as_str().unwrap().to_string());
            }
        }
    }
}

async fn role_of(app: &TestApp, account: Uuid, user: Uuid) -> Option<String> {
    sqlx::query_scalar("SELECT role FROM account_members WHERE account_id = $1 AND user_id = $2")
        .bind(account)
        .bind(user)
        .fetch_optional(&app.pool)
        .await
        .unwrap()
}

// covers: OF-7, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn okta_conversation_replays(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    replay(&app, &idp.token, "okta.json").await;
    // Ann was made a Gatehouse user with a verified address and mailed a link to choose a password.
    let (verified,): (bool,) = sqlx::query_as(
        "SELECT email_verified_at IS NOT NULL FROM users WHERE email = 'ann@acme.test'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(verified);
    assert!(!app
        .mailed_token("ann@acme.test", "/reset?token=")
        .await
        .is_empty());
}

// covers: OF-7, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn entra_conversation_replays(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    replay(&app, &idp.token, "entra.json").await;
    // Dana was linked, not made again, and keeps her login.
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM users WHERE email = 'dana@acme.test'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(
        role_of(&app, idp.account, idp.dana.id).await.as_deref(),
        Some("member")
    );
}

// covers: OF-7, OF-3, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn deprovisioning_moves_what_the_screens_removal_would_and_reactivation_restores_the_role(
    pool: PgPool,
) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    give_dana_work(&app, &idp).await;
    sqlx::query("UPDATE account_members SET role = 'admin' WHERE account_id = $1 AND user_id = $2")
        .bind(idp.account)
        .bind(idp.dana.id)
        .execute(&app.pool)
        .await
        .unwrap();
    // What the Members screen's removal would do (SCIM off for the preview, then on again).
    sqlx::query("UPDATE accounts SET scim_enabled = false WHERE id = $1")
        .bind(idp.account)
        .execute(&app.pool)
        .await
        .unwrap();
    let preview = app::members::service::preview(
        &app.state,
        &idp.olive,
        idp.account,
        idp.dana.id,
        None,
        "30_days",
        None,
    )
    .await
    .unwrap();
    assert_eq!(preview.private_zaps + preview.shared_zaps, 2);
    sqlx::query("UPDATE accounts SET scim_enabled = true WHERE id = $1")
        .bind(idp.account)
        .execute(&app.pool)
        .await
        .unwrap();

    let (s, dana) = scim(
        &app,
        Some(&idp.token),
        "POST",
        "/Users",
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "dana@acme.test", "externalId": "00u-dana", "active": true,
            "name": {"givenName": "Dana", "familyName": "Member"},
            "emails": [{"value": "dana@acme.test", "type": "work", "primary": true}]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{dana}");
    assert_eq!(
        dana["groups"][0]["value"], "admin",
        "linked with the role she has"
    );
    let id = dana["id"].as_str().unwrap().to_string();

    // Entra's deactivation: a capitalised op and a string boolean.
    let (s, after) = scim(
        &app,
        Some(&idp.token),
        "PATCH",
        &format!("/Users/{id}"),
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{after}");
    assert_eq!(after["active"], false);
    assert_eq!(role_of(&app, idp.account, idp.dana.id).await, None);
    let (transfer, counts, actor): (Uuid, Value, Option<Uuid>) = sqlx::query_as(
        "SELECT id, counts, actor_id FROM transfers WHERE account_id = $1 AND removed_user_id = $2",
    )
    .bind(idp.account)
    .bind(idp.dana.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(actor, None);
    // With SCIM on, the screen cannot undo it: only the identity provider gives membership back.
    let undone =
        app::members::undo::undo(&app.state, &idp.olive, idp.account, transfer, "", false).await;
    assert!(
        matches!(
            undone,
            Err(app::error::AppError::Refused(app::error::Refusal::ScimOn))
        ),
        "{undone:?}"
    );
    for (k, v) in [
        ("private_zaps", preview.private_zaps),
        ("shared_zaps", preview.shared_zaps),
        ("shared_folders", preview.shared_folders),
        ("connections", preview.connections),
        ("private_connections", preview.private_connections),
    ] {
        assert_eq!(counts[k], json!(v), "{k}");
    }
    let (owned,): (i64,) = sqlx::query_as("SELECT count(*) FROM zaps WHERE owner_id = $1")
        .bind(idp.olive.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(owned, 2, "everything moved to the owner");
    // History names the SCIM token; both mails went out.
    let (by,): (Option<String>,) = sqlx::query_as(
        "SELECT after->>'by' FROM history WHERE action = 'member.removed' AND account_id = $1",
    )
    .bind(idp.account)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(by.as_deref(), Some("SCIM token “Okta”"));
    let (mails,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM outbox WHERE to_addr = 'olive@acme.test' AND subject LIKE '%Dana Member%'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        mails, 2,
        "the new owner's and the remover's mail (both Olive)"
    );
    // The identity is kept: a GET answers active false.
    let (s, got) = scim(&app, Some(&idp.token), "GET", &format!("/Users/{id}"), None).await;
    assert_eq!((s, &got["active"]), (StatusCode::OK, &json!(false)));
    assert_eq!(got["groups"], json!([]));
    // Deactivating again changes nothing more.
    let (s, _) = scim(
        &app,
        Some(&idp.token),
        "PATCH",
        &format!("/Users/{id}"),
        Some(&json!({
            "Operations": [{"op": "replace", "value": {"active": false}}]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(app.count("transfers").await, 1);

    // Reactivation gives the membership and role back, not the work.
    let (s, got) = scim(
        &app,
        Some(&idp.token),
        "PATCH",
        &format!("/Users/{id}"),
        Some(&json!({
            "Operations": [{"op": "replace", "value": {"active": true}}]
        })),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{got}");
    assert_eq!(got["active"], true);
    assert_eq!(
        role_of(&app, idp.account, idp.dana.id).await.as_deref(),
        Some("admin")
    );
    let (back,): (i64,) = sqlx::query_as("SELECT count(*) FROM zaps WHERE owner_id = $1")
        .bind(idp.dana.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(back, 0);

    // DELETE: removed again, then forgotten; a POST with the same externalId asks her back.
    let (s, _) = scim(
        &app,
        Some(&idp.token),
        "DELETE",
        &format!("/Users/{id}"),
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(role_of(&app, idp.account, idp.dana.id).await, None);
    let (s, _) = scim(&app, Some(&idp.token), "GET", &format!("/Users/{id}"), None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, again) = scim(
        &app,
        Some(&idp.token),
        "POST",
        "/Users",
        Some(&json!({
            "userName": "dana@acme.test", "externalId": "00u-dana"
        })),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{again}");
    assert_ne!(again["id"], json!(id));
    // A deleted identity is forgotten, its role too; Dana, a Gatehouse user who is no member
    // now, is asked like anyone else (only a reactivation gives a membership back).
    assert_eq!(role_of(&app, idp.account, idp.dana.id).await, None);
    let (asked,): (String,) = sqlx::query_as(
        "SELECT role FROM account_invites WHERE email = 'dana@acme.test' AND status = 'pending' AND scim_user_id = $1",
    )
    .bind(Uuid::parse_str(again["id"].as_str().unwrap()).unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(asked, "member");
}

// covers: OF-7, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn every_error_is_a_scim_error_and_changes_nothing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    let t = Some(idp.token.as_str());
    let (s, ann) = scim(
        &app,
        t,
        "POST",
        "/Users",
        Some(&json!({"userName": "ann@acme.test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let ann_id = ann["id"].as_str().unwrap().to_string();
    let browser = app.signed_in("Bea", "bea@acme.test").await;
    let api = app.api_token(&browser, "read_write").await;
    let before = app.snapshot().await;

    let error = |status: &str, scim_type: Option<&str>, got: &Value| {
        assert_eq!(
            got["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "{got}"
        );
        assert_eq!(got["status"], json!(status), "{got}");
        if let Some(st) = scim_type {
            assert_eq!(got["scimType"], json!(st), "{got}");
        }
        assert!(!got["detail"].as_str().unwrap_or_default().is_empty());
    };
    // No token, a wrong one, a personal API token, a browser's cookie: 401.
    let (s, got) = scim(&app, None, "GET", "/Users", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    error("401", None, &got);
    let (s, _) = scim(&app, Some("gsc_not-a-token"), "GET", "/Users", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let res = browser
        .get(format!("{}/scim/v2/Users", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "cookies are ignored"
    );
    let (s, _) = scim(&app, Some(&api), "GET", "/Users", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Duplicates (any letter case), unknown ids, bad bodies, bad filters.
    let (s, got) = scim(
        &app,
        t,
        "POST",
        "/Users",
        Some(&json!({"userName": "ANN@acme.test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    error("409", Some("uniqueness"), &got);
    for path in [
        format!("/Users/{}", Uuid::new_v4()),
        "/Users/010101001010101011001010101011".into(),
    ] {
        let (s, got) = scim(&app, t, "GET", &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        error("404", None, &got);
        let (s, _) = scim(
            &app,
            t,
            "PATCH",
            &path,
            Some(&json!({"Operations": [{"op": "replace", "path": "active", "value": false}]})),
        )
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = scim(&app, t, "DELETE", &path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }
    let c = reqwest::Client::new();
    let res = c
        .post(format!("{}/scim/v2/Users", app.base))
        .bearer_auth(&idp.token)
        .header("content-type", "application/scim+json")
        .body("{\"userName\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    error("400", Some("invalidSyntax"), &res.json().await.unwrap());
    for (body, scim_type) in [
        (json!({"name": {"givenName": "No"}}), "invalidValue"),
        (json!({"userName": "not-an-address"}), "invalidValue"),
        (
            json!({"userName": "x@acme.test", "active": "perhaps"}),
            "invalidValue",
        ),
        (json!(["a list"]), "invalidSyntax"),
    ] {
        let (s, got) = scim(&app, t, "POST", "/Users", Some(&body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{body}");
        error("400", Some(scim_type), &got);
    }
    let (s, got) = scim(
        &app,
        t,
        "GET",
        "/Users?filter=userName%20sw%20%22a%22",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    error("400", Some("invalidFilter"), &got);
    let (s, _) = scim(&app, t, "GET", "/Users?startIndex=one", None).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, got) = scim(
        &app,
        t,
        "PATCH",
        &format!("/Users/{ann_id}"),
        Some(&json!({"Operations": [{"op": "frobnicate", "path": "active"}]})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    error("400", Some("invalidSyntax"), &got);
    // Groups are fixed; the owner's is read-only; the owner cannot be deprovisioned.
    let (s, _) = scim(
        &app,
        t,
        "POST",
        "/Groups",
        Some(&json!({"displayName": "ops"})),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = scim(&app, t, "DELETE", "/Groups/admin", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, got) = scim(&app, t, "PATCH", "/Groups/owner", Some(&json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": ann_id}]}]}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    error("400", Some("mutability"), &got);
    let (s, _) = scim(&app, t, "GET", "/Groups/nobody", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = scim(&app, t, "GET", "/Nothing", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.snapshot().await, before, "no refusal changed anything");

    let (s, olive) = scim(
        &app,
        t,
        "POST",
        "/Users",
        Some(&json!({"userName": "olive@acme.test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    assert_eq!(olive["groups"][0]["value"], "owner");
    let (s, got) = scim(
        &app,
        t,
        "PATCH",
        &format!("/Users/{}", olive["id"].as_str().unwrap()),
        Some(&json!({"Operations": [{"op": "replace", "value": {"active": false}}]})),
    )
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST, "{got}");
    assert!(got["detail"]
        .as_str()
        .unwrap()
        .contains("hand the account over"));
    assert_eq!(
        role_of(&app, idp.account, idp.olive.id).await.as_deref(),
        Some("owner")
    );

    // Discovery is honest about what is supported.
    let (s, spc) = scim(&app, t, "GET", "/ServiceProviderConfig", None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        (
            &spc["patch"]["supported"],
            &spc["bulk"]["supported"],
            &spc["filter"]["supported"],
            &spc["sort"]["supported"],
            &spc["etag"]["supported"],
            &spc["changePassword"]["supported"]
        ),
        (
            &json!(true),
            &json!(false),
            &json!(true),
            &json!(false),
            &json!(false),
            &json!(false)
        )
    );
    assert_eq!(spc["filter"]["maxResults"], 100);
    let (s, rt) = scim(&app, t, "GET", "/ResourceTypes", None).await;
    assert_eq!((s, rt["totalResults"].as_i64()), (StatusCode::OK, Some(2)));
    let (s, sc) = scim(&app, t, "GET", "/Schemas", None).await;
    assert_eq!((s, sc["totalResults"].as_i64()), (StatusCode::OK, Some(2)));
    let (s, _) = scim(
        &app,
        t,
        "GET",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
}

// covers: OF-7, AM-4, X-2
#[sqlx::test(migrations = "../migrations")]
async fn another_accounts_token_a_revoked_token_and_scim_off(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    let (s, ann) = scim(
        &app,
        Some(&idp.token),
        "POST",
        "/Users",
        Some(&json!({"userName": "ann@acme.test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let ann_path = format!("/Users/{}", ann["id"].as_str().unwrap());

    // A second account with its own token sees none of the first account's users.
    let zed = person(&app.pool, "Zed", "zed@other.test").await;
    let other = app::accounts::service::create_account(&app.state, &zed, "Other")
        .await
        .unwrap();
    let theirs = app::scim::tokens::create(&app.state, &zed, other, "Entra", 30)
        .await
        .unwrap()
        .token;
    app::members::service::set_scim(&app.state, &zed, other, true)
        .await
        .unwrap();
    let (s, list) = scim(
        &app,
        Some(&theirs),
        "GET",
        "/Users?filter=userName%20eq%20%22ann%40acme.test%22",
        None,
    )
    .await;
    assert_eq!(
        (s, list["totalResults"].as_i64()),
        (StatusCode::OK, Some(0))
    );
    for m in ["GET", "DELETE"] {
        let (s, _) = scim(&app, Some(&theirs), m, &ann_path, None).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{m}");
    }
    let (s, _) = scim(
        &app,
        Some(&theirs),
        "PATCH",
        &ann_path,
        Some(&json!({"Operations": [{"op": "replace", "value": {"active": false}}]})),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = scim(&app, Some(&theirs), "PATCH", "/Groups/admin", Some(&json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": ann["id"]}]}]}))).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(
        role_of(&app, idp.account, ann_user(&app).await)
            .await
            .as_deref(),
        Some("member")
    );

    // SCIM off: reads still answer (an identity provider's connection test), writes are refused.
    app::members::service::set_scim(&app.state, &idp.olive, idp.account, false)
        .await
        .unwrap();
    let (s, _) = scim(&app, Some(&idp.token), "GET", &ann_path, None).await;
    assert_eq!(s, StatusCode::OK);
    let (s, got) = scim(&app, Some(&idp.token), "DELETE", &ann_path, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{got}");
    assert_eq!(
        role_of(&app, idp.account, ann_user(&app).await)
            .await
            .as_deref(),
        Some("member")
    );

    // Only the owner and super admins manage tokens; a revoked token is refused at once.
    let listed = app::scim::tokens::settings(&app.state, &idp.olive, idp.account)
        .await
        .unwrap();
    assert_eq!(listed.tokens.len(), 1);
    assert!(listed.tokens[0].last_used_at.is_some());
    assert!(
        app::scim::tokens::settings(&app.state, &idp.dana, idp.account)
            .await
            .is_err()
    );
    assert!(
        app::scim::tokens::create(&app.state, &idp.dana, idp.account, "Mine", 30)
            .await
            .is_err()
    );
    assert!(
        app::scim::tokens::revoke(&app.state, &zed, idp.account, listed.tokens[0].id)
            .await
            .is_err()
    );
    app::scim::tokens::revoke(&app.state, &idp.olive, idp.account, listed.tokens[0].id)
        .await
        .unwrap();
    let (s, _) = scim(&app, Some(&idp.token), "GET", &ann_path, None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // The token's text is nowhere in the database.
    let (hits,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM history WHERE after::text LIKE '%' || $1 || '%'")
            .bind(&idp.token[4..])
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(hits, 0);
}

async fn ann_user(app: &TestApp) -> Uuid {
    sqlx::query_scalar("SELECT id FROM users WHERE email = 'ann@acme.test'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

// covers: OF-7, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn provisioning_an_address_someone_registered_unverified_ends_their_hold_on_it(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    // Mallory signs up with Ann's address, never confirming it.
    let mallory = app
        .unverified("Ann?", "ann@acme.test", "mallorys-password")
        .await;
    let (s, _) = scim(
        &app,
        Some(&idp.token),
        "POST",
        "/Users",
        Some(&json!({"userName": "ann@acme.test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    // Mallory's session ended and her password no longer signs in; Ann gets a link.
    let (s, _) = app.call(&mallory, "accounts/my_accounts", &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = app
        .call(
            &app.client(),
            "auth/sign_in",
            &[
                ("email", "ann@acme.test"),
                ("password", "mallorys-password"),
            ],
        )
        .await;
    assert!(!s.is_success() && !s.is_redirection());
    let token = app.mailed_token("ann@acme.test", "/reset?token=").await;
    let c = app.client();
    let (s, b) = app
        .call(
            &c,
            "auth/reset_password",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert!(s.is_success() || s.is_redirection(), "{b}");
    app.sign_in(&c, "ann@acme.test").await;
    let (_, mine) = app.call(&c, "accounts/my_accounts", &[]).await;
    assert_eq!(mine.as_array().map(Vec::len), Some(1), "{mine}");
}

// covers: OF-7, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn two_deactivations_at_once_remove_once(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    give_dana_work(&app, &idp).await;
    let (s, dana) = scim(
        &app,
        Some(&idp.token),
        "POST",
        "/Users",
        Some(&json!({"userName": "dana@acme.test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let path = format!("/Users/{}", dana["id"].as_str().unwrap());
    let off = json!({"Operations": [{"op": "replace", "value": {"active": false}}]});
    let (a, b) = tokio::join!(
        scim(&app, Some(&idp.token), "PATCH", &path, Some(&off)),
        scim(&app, Some(&idp.token), "DELETE", &path, None),
    );
    assert!(a.0.is_success() || a.0 == StatusCode::NOT_FOUND, "{a:?}");
    assert!(b.0.is_success(), "{b:?}");
    assert_eq!(app.count("transfers").await, 1);
    assert_eq!(role_of(&app, idp.account, idp.dana.id).await, None);
}

/// The raw text of every answer to `path`, for proving what it does not contain.
async fn raw(app: &TestApp, token: &str, path: &str) -> String {
    reqwest::Client::new()
        .get(format!("{}/scim/v2{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

// covers: OF-7, AM-1, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn an_existing_gatehouse_user_is_asked_before_joining_and_their_name_stays_theirs(
    pool: PgPool,
) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    let vera = app
        .signed_in("Vera Privately-Named", "vera@else.test")
        .await;
    let vera_id = actor_of(&app.pool, "vera@else.test").await.id;
    let (hash_before,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(vera_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (s, doc) = scim(
        &app,
        Some(&idp.token),
        "POST",
        "/Users",
        Some(&json!({"userName": "vera@else.test", "externalId": "00u-vera"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{doc}");
    // Provisioned, active, but no member and no group until she accepts.
    assert_eq!(doc["active"], json!(true));
    assert_eq!(doc["groups"], json!([]));
    assert_eq!(role_of(&app, idp.account, vera_id).await, None);
    let id = doc["id"].as_str().unwrap().to_string();
    for path in [
        format!("/Users/{id}"),
        "/Users".to_string(),
        "/Users?filter=displayName%20eq%20%22Vera%20Privately-Named%22".to_string(),
    ] {
        let text = raw(&app, &idp.token, &path).await;
        assert!(!text.contains("Privately"), "{path}: {text}");
    }
    let (_, found) = scim(
        &app,
        Some(&idp.token),
        "GET",
        "/Users?filter=displayName%20eq%20%22Vera%20Privately-Named%22",
        None,
    )
    .await;
    assert_eq!(found["totalResults"], json!(0), "{found}");
    // Her login is untouched: same password, her session still works.
    let (hash_after,): (String,) = sqlx::query_as("SELECT password_hash FROM users WHERE id = $1")
        .bind(vera_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(hash_before, hash_after);
    let (s, mine) = app.call(&vera, "accounts/my_accounts", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(mine.as_array().map(Vec::len), Some(0), "{mine}");
    // The identity provider gives her a group meanwhile: recorded for when she accepts.
    let (s, b) = scim(
        &app,
        Some(&idp.token),
        "PATCH",
        "/Groups/admin",
        Some(&json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]})),
    )
    .await;
    assert!(s.is_success(), "{b}");
    assert_eq!(role_of(&app, idp.account, vera_id).await, None);
    // The mail asks; accepting makes her an admin.
    let token = app.mailed_token("vera@else.test", "/account-invite/").await;
    let (s, landing) = app
        .call(&vera, "accounts/invite_landing", &[("token", &token)])
        .await;
    assert_eq!(s, StatusCode::OK, "{landing}");
    assert_eq!(landing["inviter"], json!("The identity provider of Acme"));
    let (s, b) = app
        .call(&vera, "accounts/accept_invite", &[("token", &token)])
        .await;
    assert!(s.is_success() || s.is_redirection(), "{b}");
    assert_eq!(
        role_of(&app, idp.account, vera_id).await.as_deref(),
        Some("admin")
    );
    let (_, doc) = scim(&app, Some(&idp.token), "GET", &format!("/Users/{id}"), None).await;
    assert_eq!(doc["groups"][0]["value"], json!("admin"), "{doc}");

    // Walt is asked too, but deactivated before he answers: his link admits nobody.
    let walt = app.signed_in("Walt", "walt@else.test").await;
    let walt_id = actor_of(&app.pool, "walt@else.test").await.id;
    let (s, doc) = scim(
        &app,
        Some(&idp.token),
        "POST",
        "/Users",
        Some(&json!({"userName": "walt@else.test"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let token = app.mailed_token("walt@else.test", "/account-invite/").await;
    let (s, _) = scim(
        &app,
        Some(&idp.token),
        "PATCH",
        &format!("/Users/{}", doc["id"].as_str().unwrap()),
        Some(&json!({"Operations": [{"op": "replace", "value": {"active": false}}]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .call(&walt, "accounts/accept_invite", &[("token", &token)])
        .await;
    assert!(!s.is_success() && !s.is_redirection());
    assert_eq!(role_of(&app, idp.account, walt_id).await, None);
}

// covers: OF-7, AC-1
#[sqlx::test(migrations = "../migrations")]
async fn a_sign_in_checked_before_provisioning_took_the_address_over_gets_no_session(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    let _mallory = app
        .unverified("Ann?", "ann@acme.test", "mallorys-password")
        .await;
    let ann = ann_user(&app).await;
    // Hold Ann's row as a takeover in progress would, then let Mallory sign in again.
    let mut takeover = app.pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR UPDATE")
        .bind(ann)
        .execute(&mut *takeover)
        .await
        .unwrap();
    let c = app.client();
    let signing_in = {
        let base = app.base.clone();
        tokio::spawn(async move {
            c.post(format!("{base}/api/auth/sign_in"))
                .header("Accept", "application/json")
                .form(&[
                    ("email", "ann@acme.test"),
                    ("password", "mallorys-password"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        })
    };
    // Her password has been checked; she now waits for the row.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (waiting,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%FOR UPDATE%'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(
            !signing_in.is_finished(),
            "the sign-in finished without waiting for the user's row"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "the sign-in never waited"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The takeover: what provisioning does to a never-confirmed sign-up.
    sqlx::query("UPDATE users SET password_hash = $2, email_verified_at = now() WHERE id = $1")
        .bind(ann)
        .bind(app::server::auth::unusable_password_hash())
        .execute(&mut *takeover)
        .await
        .unwrap();
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(ann)
        .execute(&mut *takeover)
        .await
        .unwrap();
    takeover.commit().await.unwrap();
    let status = signing_in.await.unwrap();
    assert!(!status.is_success() && !status.is_redirection(), "{status}");
    let (sessions,): (i64,) = sqlx::query_as("SELECT count(*) FROM sessions WHERE user_id = $1")
        .bind(ann)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    let _ = idp;
}

// covers: OF-7
#[sqlx::test(migrations = "../migrations")]
async fn names_too_long_to_keep_are_refused_and_two_accounts_may_provision_one_new_address_at_once(
    pool: PgPool,
) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    let before = app.count("scim_users").await;
    for body in [
        json!({"userName": "long@acme.test", "displayName": "x".repeat(150)}),
        json!({"userName": "long@acme.test", "name": {"givenName": "x".repeat(101)}}),
    ] {
        let (s, e) = scim(&app, Some(&idp.token), "POST", "/Users", Some(&body)).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{e}");
        assert_eq!(e["scimType"], json!("invalidValue"));
    }
    assert_eq!(app.count("scim_users").await, before);
    // A second account with its own identity provider.
    let bea = person(&app.pool, "Bea", "bea@beta.test").await;
    let beta = app::accounts::service::create_account(&app.state, &bea, "Beta")
        .await
        .unwrap();
    let made = app::scim::tokens::create(&app.state, &bea, beta, "Entra", 30)
        .await
        .unwrap();
    app::members::service::set_scim(&app.state, &bea, beta, true)
        .await
        .unwrap();
    let body = json!({"userName": "new@both.test"});
    let (a, b) = tokio::join!(
        scim(&app, Some(&idp.token), "POST", "/Users", Some(&body)),
        scim(&app, Some(&made.token), "POST", "/Users", Some(&body)),
    );
    assert_eq!(
        (a.0, b.0),
        (StatusCode::CREATED, StatusCode::CREATED),
        "{a:?} {b:?}"
    );
    let (users,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM users WHERE email = 'new@both.test'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(users, 1);
    // One account made the login and added them; the other asked them.
    let (members,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM account_members m JOIN users u ON u.id = m.user_id WHERE u.email = 'new@both.test'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(members, 1);
    let (asked,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM account_invites WHERE email = 'new@both.test' AND status = 'pending' AND scim_user_id IS NOT NULL",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(asked, 1);
}

// covers: OF-7
#[sqlx::test(migrations = "../migrations")]
async fn refusals_made_before_the_scim_routes_are_scim_errors_too(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let idp = acme(&app).await;
    // A method the route does not take (Entra's POST /Users/.search).
    let (s, e) = scim(
        &app,
        Some(&idp.token),
        "POST",
        "/Users/.search",
        Some(&json!({})),
    )
    .await;
    assert_eq!(s, StatusCode::METHOD_NOT_ALLOWED, "{e}");
    assert_eq!(e["status"], json!("405"));
    // An id that is not even UTF-8 is simply not found.
    let (s, e) = scim(&app, Some(&idp.token), "GET", "/Users/%FF%FE", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    let (s, e) = scim(&app, Some(&idp.token), "GET", "/Groups/%C3%28", None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{e}");
    // A body larger than any server takes, refused before it reaches the route.
    let big = json!({"userName": "big@acme.test", "displayName": "x".repeat(3 << 20)});
    let before = app.count("scim_users").await;
    let (s, e) = scim(&app, Some(&idp.token), "POST", "/Users", Some(&big)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE, "{e}");
    assert_eq!(
        e["schemas"][0],
        json!("urn:ietf:params:scim:api:messages:2.0:Error")
    );
    assert_eq!(app.count("scim_users").await, before);
}
