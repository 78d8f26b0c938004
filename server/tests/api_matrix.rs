//! Every `/api/v1` endpoint through the same matrix (X-4, X-6, X-7, SH-8, AC-3, X-5):
//! an outsider is answered exactly like a missing id; a role that may see but not act
//! gets 403; a `read` token on a write gets 403; a revoked or expired token gets 401;
//! malformed input gets a 400/422 problem and changes nothing (a content hash of every
//! table proves it); then each endpoint succeeds for someone allowed. The table must
//! name every operation of the OpenAPI document, or the test fails.
mod common;
use common::*;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

struct Answer {
    status: StatusCode,
    kind: String,
    body: Value,
    headers: reqwest::header::HeaderMap,
}

async fn api(
    app: &TestApp,
    token: &str,
    method: &Method,
    path: &str,
    body: Option<&Value>,
) -> Answer {
    let mut req = Client::new()
        .request(method.clone(), format!("{}{path}", app.base))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(b);
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let kind = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    let text = res.text().await.unwrap();
    Answer {
        status,
        kind,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        headers,
    }
}

/// A fingerprint of every table's content, except the token bookkeeping every API request
/// writes (last use, the rate window).
async fn fingerprint(pool: &PgPool) -> Vec<(String, Option<String>)> {
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' \
         AND table_type = 'BASE TABLE' AND table_name NOT IN ('api_tokens', 'api_token_windows', '_sqlx_migrations') \
         ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(tables.len() > 20, "the schema's tables: {tables:?}");
    let mut out = Vec::new();
    for (t,) in tables {
        let (h,): (Option<String>,) = sqlx::query_as(&format!(
            "SELECT md5(string_agg(x::text, '|' ORDER BY x::text)) FROM {t} x"
        ))
        .fetch_one(pool)
        .await
        .unwrap();
        out.push((t, h));
    }
    out
}

/// One operation of the API and how the matrix treats it.
struct Op {
    method: Method,
    /// The documented path, e.g. `/api/v1/integrations/{id}/team/{member}`.
    doc: &'static str,
    /// The path with this test's ids in it (`{I}` and so on, filled from `ids`).
    path: &'static str,
    body: Option<Value>,
    /// The answer for the collaborator / member / read sharee: someone who may see the
    /// thing but not do this. None: not asked (they may, or the thing is theirs).
    seer: Option<u16>,
    /// The answer for someone allowed.
    ok: u16,
    /// Who is allowed: "ann" (admin, owner) or "cal" (the collaborator), "out" (outsider).
    by: &'static str,
}

fn fill(path: &str, ids: &HashMap<&'static str, String>) -> String {
    let mut p = path.to_string();
    for (k, v) in ids {
        p = p.replace(&format!("{{{k}}}"), v);
    }
    assert!(!p.contains('{'), "unfilled: {p}");
    p
}

fn op(
    method: Method,
    doc: &'static str,
    path: &'static str,
    body: Option<Value>,
    seer: Option<u16>,
    ok: u16,
    by: &'static str,
) -> Op {
    Op {
        method,
        doc,
        path,
        body,
        seer,
        ok,
        by,
    }
}

// covers: AX-1, AX-2, AM-1, AM-2, AM-3, HI-2, HI-3, HI-4, X-4, X-6, X-7, X-5, AC-3, SH-2, SH-3, SH-5, SH-6, SH-7, SH-8, TM-2, TM-3, TM-5, TM-7, TM-8, SJ-1, SJ-2, SJ-3, OF-2, PL-2, OF-4, OF-6, OF-7, OF-8, IN-2, IN-3, IN-4
#[sqlx::test(migrations = "../migrations")]
async fn every_endpoint_keeps_the_rules_of_the_screens(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let cal = app.signed_in("Cal Collaborator", "cal@example.com").await;
    let out = app
        .signed_in("Oscar Outsider", "oscar@partner.example")
        .await;
    let user_id = |email: &'static str| {
        let pool = app.pool.clone();
        async move {
            let (id,): (Uuid,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&pool)
                .await
                .unwrap();
            id
        }
    };
    let ann_id = user_id("ann@example.com").await;
    let cal_id = user_id("cal@example.com").await;

    // Ann's integration, with a version; Cal is an accepted collaborator on its team.
    let (s, i) = app
        .call(
            &ann,
            "integrations/create_integration",
            &[("name", "Acme CRM")],
        )
        .await;
    assert!(s.is_success(), "{i}");
    let integration = i.as_str().unwrap().to_string();
    let (s, v) = app
        .call(
            &ann,
            "integrations/add_version",
            &[("id", &integration), ("version", "1.0.0")],
        )
        .await;
    assert!(s.is_success(), "{v}");
    let (cal_member,): (Uuid,) = sqlx::query_as(
        "INSERT INTO team_members (integration_id, user_id, email, role, status, accepted_at) \
         VALUES ($1::uuid, $2, 'cal@example.com', 'collaborator', 'accepted', now()) RETURNING id",
    )
    .bind(&integration)
    .bind(cal_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Ann's account; Cal is a plain member. A shared Zap and connection of Ann's.
    let (_, a) = app
        .call(&ann, "accounts/create_account", &[("name", "Acme")])
        .await;
    let account = a.as_str().expect("an account id").to_string();
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1::uuid, $2, 'member')",
    )
    .bind(&account)
    .bind(cal_id)
    .execute(&app.pool)
    .await
    .unwrap();
    // An open invitation to the account, for resending and cancelling.
    let (account_invite,): (Uuid,) = sqlx::query_as(
        "INSERT INTO account_invites (account_id, email, role, expires_at) VALUES ($1::uuid, 'ivo@example.com', 'member', now() + interval '14 days') RETURNING id",
    )
    .bind(&account)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Hal: a second plain member, whose role is changed and who receives the account.
    let hal = person(&app.pool, "Hal Heir", "hal@example.com").await.id;
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1::uuid, $2, 'member')",
    )
    .bind(&account)
    .bind(hal)
    .execute(&app.pool)
    .await
    .unwrap();
    let (zap,): (Uuid,) = sqlx::query_as(
        "INSERT INTO zaps (account_id, owner_id, name, private) VALUES ($1::uuid, $2, 'Sync', false) RETURNING id",
    )
    .bind(&account)
    .bind(ann_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (conn,): (Uuid,) = sqlx::query_as(
        "INSERT INTO app_connections (account_id, owner_id, app, name, private) VALUES ($1::uuid, $2, 'Jira', 'Jira', false) RETURNING id",
    )
    .bind(&account)
    .bind(ann_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // A second shared Zap of Ann's, to delete; a private connection of Cal's, which Ann
    // (the owner) may delete (OF-2).
    let (zap2,): (Uuid,) = sqlx::query_as(
        "INSERT INTO zaps (account_id, owner_id, name, private) VALUES ($1::uuid, $2, 'Old sync', false) RETURNING id",
    )
    .bind(&account)
    .bind(ann_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (conn2,): (Uuid,) = sqlx::query_as(
        "INSERT INTO app_connections (account_id, owner_id, app, name, private) VALUES ($1::uuid, $2, 'Slack', 'Cal Slack', true) RETURNING id",
    )
    .bind(&account)
    .bind(cal_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Ann's instance, shared with Cal for reading.
    let instance = app
        .install(&ann, "Jira prod", "bot", "s3cret-value-1")
        .await;
    app.share(&ann, &instance, "cal@example.com", "read").await;

    let ann_rw = app.api_token(&ann, "read_write").await;
    let ann_read = app.api_token(&ann, "read").await;
    let cal_rw = app.api_token(&cal, "read_write").await;
    let out_rw = app.api_token(&out, "read_write").await;
    let revoked = app.api_token(&ann, "read_write").await;
    let expired = app.api_token(&ann, "read_write").await;
    sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE token_hash = sha256(convert_to($1, 'UTF8'))")
        .bind(&revoked)
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = sha256(convert_to($1, 'UTF8'))")
        .bind(&expired)
        .execute(&app.pool)
        .await
        .unwrap();
    for (t, want) in [(&revoked, 401), (&expired, 401), (&ann_rw, 200)] {
        assert_eq!(
            api(&app, t, &Method::GET, "/api/v1/me", None).await.status,
            want
        );
    }

    // Ids found through the API itself.
    let links = api(
        &app,
        &ann_rw,
        &Method::GET,
        &format!("/api/v1/integrations/{integration}/links"),
        None,
    )
    .await;
    assert_eq!(links.status, 200, "{}", links.body);
    let link = links.body[0]["id"].as_str().expect("a link").to_string();
    // Cal came in through that link (access to revoke later).
    let (cal_grant,): (Uuid,) = sqlx::query_as("INSERT INTO access_grants (integration_id, user_id, version_id, via, source_id) VALUES ($1::uuid, $2, NULL, 'link', $3::uuid) RETURNING id")
        .bind(&integration)
        .bind(cal_id)
        .bind(&link)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let detail = api(
        &app,
        &ann_rw,
        &Method::GET,
        &format!("/api/v1/instances/{instance}"),
        None,
    )
    .await;
    assert_eq!(detail.status, 200);
    let login = detail.body["logins"][0]["id"].as_str().unwrap().to_string();
    assert!(
        !detail.body.to_string().contains("s3cret-value-1"),
        "no secret in answers (IN-3)"
    );
    // A pending email invitation and a pending team invitation, made on the screens.
    let (s, b) = app
        .call(
            &ann,
            "integrations/invite_by_email",
            &[("id", &integration), ("emails", "pending@example.com")],
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (invitation,): (Uuid,) =
        sqlx::query_as("SELECT id FROM email_invites WHERE email = 'pending@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let (s, b) = app
        .call(
            &ann,
            "team/invite_member",
            &[
                ("id", &integration),
                ("email", "new@example.com"),
                ("role", "collaborator"),
                ("note", ""),
            ],
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (pending_member,): (Uuid,) =
        sqlx::query_as("SELECT id FROM team_members WHERE email = 'new@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();

    // A member removed on the screens, whose removal the API may undo (HI-4).
    app.signed_in("Rex Removed", "rex@example.com").await;
    let rex_id = user_id("rex@example.com").await;
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1::uuid, $2, 'member')",
    )
    .bind(&account)
    .bind(rex_id)
    .execute(&app.pool)
    .await
    .unwrap();
    let (s, b) = app
        .call(
            &ann,
            "members/remove_member",
            &[
                ("account_id", account.as_str()),
                ("user_id", &rex_id.to_string()),
                ("expiry", "30_days"),
                ("reason", "contract ended"),
            ],
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (removal,): (Uuid,) = sqlx::query_as("SELECT id FROM transfers WHERE removed_user_id = $1")
        .bind(rex_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();

    let ids: HashMap<&'static str, String> = [
        ("I", integration.clone()),
        ("A", account.clone()),
        ("N", instance.clone()),
        ("U", cal_id.to_string()),
        ("ANN", ann_id.to_string()),
        ("M", cal_member.to_string()),
        ("P", pending_member.to_string()),
        ("L", link.clone()),
        ("INV", invitation.to_string()),
        ("LOGIN", login.clone()),
        ("ZAP", zap.to_string()),
        ("CONN", conn.to_string()),
        ("ZAP2", zap2.to_string()),
        ("CONN2", conn2.to_string()),
        ("R", removal.to_string()),
        ("H", hal.to_string()),
        ("AI", account_invite.to_string()),
        ("G", cal_grant.to_string()),
    ]
    .into_iter()
    .collect();

    use Method as M;
    let ops = vec![
        op(M::GET, "/api/v1/me", "/api/v1/me", None, None, 200, "ann"),
        // Access, explained and dated (AX-1, AX-2): the writes here are a dry run and
        // dates far ahead, so every later operation still finds what it needs.
        op(
            M::GET,
            "/api/v1/integrations/{id}/access",
            "/api/v1/integrations/{I}/access?q=cal",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/instances/{id}/access",
            "/api/v1/instances/{N}/access",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/access",
            "/api/v1/accounts/{A}/access",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/access",
            "/api/v1/access?email=cal%40example.com",
            None,
            None,
            200,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/access/{road}/revoke",
            "/api/v1/integrations/{I}/access/{G}/revoke",
            Some(json!({"dry_run": true})),
            Some(403),
            200,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/integrations/{id}/access/{road}/dates",
            "/api/v1/integrations/{I}/access/{M}/dates",
            Some(json!({"ends_at": "2099-01-01T00:00:00Z"})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/instances/{id}/access/{road}/revoke",
            "/api/v1/instances/{N}/access/{U}/revoke",
            Some(json!({"dry_run": true})),
            Some(403),
            200,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/instances/{id}/access/{road}/dates",
            "/api/v1/instances/{N}/access/{U}/dates",
            Some(json!({"ends_at": "2099-01-01T00:00:00Z"})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts",
            "/api/v1/accounts",
            None,
            None,
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/members",
            "/api/v1/accounts/{A}/members",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/members/{user}/removal-preview",
            "/api/v1/accounts/{A}/members/{U}/removal-preview?private_connections=30_days",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/members/{user}/export.csv",
            "/api/v1/accounts/{A}/members/{U}/export.csv",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/work",
            "/api/v1/accounts/{A}/work",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/zaps",
            "/api/v1/accounts/{A}/zaps?limit=10",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::POST,
            "/api/v1/accounts/{id}/zaps",
            "/api/v1/accounts/{A}/zaps",
            Some(json!({"name": "Cal's Zap"})),
            None,
            201,
            "cal",
        ),
        op(
            M::PATCH,
            "/api/v1/accounts/{id}/zaps/{item}",
            "/api/v1/accounts/{A}/zaps/{ZAP}",
            Some(json!({"name": "Sync"})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/accounts/{id}/zaps/{item}/folder",
            "/api/v1/accounts/{A}/zaps/{ZAP}/folder",
            Some(json!({"folder_id": null})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/accounts/{id}/zaps/{item}",
            "/api/v1/accounts/{A}/zaps/{ZAP2}",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/accounts/{id}/connections",
            "/api/v1/accounts/{A}/connections",
            Some(json!({"app": "Slack", "name": "Cal's Slack"})),
            None,
            201,
            "cal",
        ),
        op(
            M::DELETE,
            "/api/v1/accounts/{id}/connections/{item}",
            "/api/v1/accounts/{A}/connections/{CONN2}",
            None,
            None,
            200,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/accounts/{id}/folders",
            "/api/v1/accounts/{A}/folders",
            Some(json!({"name": "Cal's folder"})),
            None,
            201,
            "cal",
        ),
        op(
            M::PUT,
            "/api/v1/accounts/{id}/zaps/{item}/owner",
            "/api/v1/accounts/{A}/zaps/{ZAP}/owner",
            Some(json!({"owner_id": cal_id})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/accounts/{id}/connections/{item}/owner",
            "/api/v1/accounts/{A}/connections/{CONN}/owner",
            Some(json!({"owner_id": cal_id})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/accounts/{id}/scim",
            "/api/v1/accounts/{A}/scim",
            Some(json!({"enabled": false})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/integrations",
            "/api/v1/integrations",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::POST,
            "/api/v1/integrations",
            "/api/v1/integrations",
            Some(json!({"name": "Second", "description": "Another"})),
            None,
            201,
            "cal",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}",
            "/api/v1/integrations/{I}",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::PATCH,
            "/api/v1/integrations/{id}",
            "/api/v1/integrations/{I}",
            Some(json!({"name": "Acme CRM 2", "description": "Better"})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/versions",
            "/api/v1/integrations/{I}/versions",
            Some(json!({"version": "1.1.0"})),
            Some(403),
            201,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/integrations/{id}/visibility",
            "/api/v1/integrations/{I}/visibility",
            Some(json!({"visibility": "public"})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}/history",
            "/api/v1/integrations/{I}/history?limit=5",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}/links",
            "/api/v1/integrations/{I}/links",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/links/{link}/rotate",
            "/api/v1/integrations/{I}/links/{L}/rotate",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}/invitations",
            "/api/v1/integrations/{I}/invitations",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/invitations",
            "/api/v1/integrations/{I}/invitations",
            Some(json!({"emails": ["guest@example.com"]})),
            Some(403),
            201,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/invitations/{invitation}/resend",
            "/api/v1/integrations/{I}/invitations/{INV}/resend",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/integrations/{id}/invitations/{invitation}",
            "/api/v1/integrations/{I}/invitations/{INV}",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}/users",
            "/api/v1/integrations/{I}/users",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}/users/{user}/revocation-preview",
            "/api/v1/integrations/{I}/users/{U}/revocation-preview",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/integrations/{id}/users/{user}",
            "/api/v1/integrations/{I}/users/{U}",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}/team",
            "/api/v1/integrations/{I}/team",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/team/invitations",
            "/api/v1/integrations/{I}/team/invitations",
            Some(json!({"email": "second@example.com", "role": "admin", "note": ""})),
            Some(403),
            201,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/team/{member}/resend",
            "/api/v1/integrations/{I}/team/{P}/resend",
            None,
            None,
            204,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/integrations/{id}/team/{member}",
            "/api/v1/integrations/{I}/team/{P}",
            None,
            None,
            204,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/integrations/{id}/contacts/{kind}",
            "/api/v1/integrations/{I}/contacts/marketing",
            Some(json!({"user_id": ann_id})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/integrations/{id}/subscription",
            "/api/v1/integrations/{I}/subscription",
            Some(json!({"marketing": false})),
            None,
            204,
            "cal",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/updates",
            "/api/v1/integrations/{I}/updates",
            Some(json!({"kind": "programme", "subject": "News", "body": "Hello team"})),
            Some(403),
            201,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}/join",
            "/api/v1/integrations/{I}/join",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::PUT,
            "/api/v1/integrations/{id}/join",
            "/api/v1/integrations/{I}/join",
            Some(json!({"enabled": true, "domains": ["partner.example"]})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/embed-origins",
            "/api/v1/integrations/{I}/embed-origins",
            Some(json!({"origin": "https://partner.example"})),
            Some(403),
            201,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/integrations/{id}/embed-origins",
            "/api/v1/integrations/{I}/embed-origins?origin=https%3A%2F%2Fpartner.example",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/joinable",
            "/api/v1/joinable?q=acme",
            None,
            None,
            200,
            "out",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/join-requests",
            "/api/v1/integrations/{I}/join-requests",
            None,
            None,
            201,
            "out",
        ),
        op(
            M::PATCH,
            "/api/v1/integrations/{id}/team/{member}",
            "/api/v1/integrations/{I}/team/{M}",
            Some(json!({"role": "admin"})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/integrations/{id}/team/leave",
            "/api/v1/integrations/{I}/team/leave",
            None,
            None,
            204,
            "cal",
        ),
        op(
            M::GET,
            "/api/v1/instances",
            "/api/v1/instances",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::POST,
            "/api/v1/instances",
            "/api/v1/instances",
            Some(
                json!({"name": "Jira test", "app": "jira", "config": [{"key": "url", "value": "https://j.example"}], "username": "bot", "secret": "s3cret-value-2"}),
            ),
            None,
            201,
            "cal",
        ),
        op(
            M::GET,
            "/api/v1/instances/{id}",
            "/api/v1/instances/{N}",
            None,
            None,
            200,
            "cal",
        ),
        op(
            M::PATCH,
            "/api/v1/instances/{id}",
            "/api/v1/instances/{N}",
            Some(json!({"name": "Jira production", "config": []})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/instances/{id}/run",
            "/api/v1/instances/{N}/run",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/instances/{id}/stop",
            "/api/v1/instances/{N}/stop",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/instances/{id}/clone",
            "/api/v1/instances/{N}/clone",
            None,
            None,
            201,
            "cal",
        ),
        op(
            M::PUT,
            "/api/v1/instances/{id}/shares",
            "/api/v1/instances/{N}/shares",
            Some(json!({"email": "stranger@example.com", "access": "write"})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/instances/{id}/invitations",
            "/api/v1/instances/{N}/invitations?email=stranger%40example.com",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/instances/{id}/logins",
            "/api/v1/instances/{N}/logins",
            Some(json!({"username": "second", "secret": "s3cret-value-3"})),
            Some(403),
            201,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/instances/{id}/logins/{login}/secret",
            "/api/v1/instances/{N}/logins/{LOGIN}/secret",
            Some(json!({"secret": "s3cret-value-4"})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/instances/{id}/logins/{login}",
            "/api/v1/instances/{N}/logins/{LOGIN}",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/instances/{id}/shares/{user}",
            "/api/v1/instances/{N}/shares/{U}",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/instances/{id}",
            "/api/v1/instances/{N}",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}/history/export",
            "/api/v1/integrations/{I}/history/export?format=jsonl",
            None,
            None,
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/integrations/{id}/history/verify",
            "/api/v1/integrations/{I}/history/verify",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/history",
            "/api/v1/accounts/{A}/history?person=rex",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/history/export",
            "/api/v1/accounts/{A}/history/export?format=csv",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/history/verify",
            "/api/v1/accounts/{A}/history/verify",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/removals/{removal}/undo",
            "/api/v1/accounts/{A}/removals/{R}/undo",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/accounts/{id}/removals/{removal}/undo",
            "/api/v1/accounts/{A}/removals/{R}/undo",
            Some(json!({"reason": "removed by mistake"})),
            Some(403),
            200,
            "ann",
        ),
        op(
            M::GET,
            "/api/v1/accounts/{id}/invitations",
            "/api/v1/accounts/{A}/invitations",
            None,
            Some(403),
            200,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/accounts/{id}/invitations",
            "/api/v1/accounts/{A}/invitations",
            Some(json!({"email": "nina@example.com", "role": "admin"})),
            Some(403),
            201,
            "ann",
        ),
        op(
            M::POST,
            "/api/v1/accounts/{id}/invitations/{invitation}/resend",
            "/api/v1/accounts/{A}/invitations/{AI}/resend",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/accounts/{id}/invitations/{invitation}",
            "/api/v1/accounts/{A}/invitations/{AI}",
            None,
            Some(403),
            204,
            "ann",
        ),
        op(
            M::PUT,
            "/api/v1/accounts/{id}/members/{user}/role",
            "/api/v1/accounts/{A}/members/{H}/role",
            Some(json!({"role": "admin", "reason": "runs the billing team"})),
            Some(403),
            204,
            "ann",
        ),
        // Ann hands the account to Hal; as a super admin she still removes Cal below.
        op(
            M::PUT,
            "/api/v1/accounts/{id}/owner",
            "/api/v1/accounts/{A}/owner",
            Some(json!({"user_id": hal})),
            Some(403),
            204,
            "ann",
        ),
        op(
            M::DELETE,
            "/api/v1/accounts/{id}/members/{user}",
            "/api/v1/accounts/{A}/members/{U}?private_connections=30_days",
            None,
            Some(403),
            200,
            "ann",
        ),
    ];

    // The table names every operation of the document, and nothing else.
    let doc = api(&app, &ann_rw, &Method::GET, "/api/v1/openapi.json", None).await;
    let documented: BTreeSet<(String, String)> = doc.body["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.to_uppercase(), p.clone()))
        })
        .collect();
    // The platform's own operations take a platform token, not a person's: they have
    // their own tests (platform_door.rs).
    let platform_ops = [
        ("POST", "/api/v1/check"),
        ("GET", "/api/v1/platform/webhooks"),
        ("POST", "/api/v1/platform/webhooks"),
        ("DELETE", "/api/v1/platform/webhooks/{id}"),
    ];
    let tested: BTreeSet<(String, String)> = ops
        .iter()
        .map(|o| (o.method.to_string(), o.doc.to_string()))
        .chain(
            platform_ops
                .iter()
                .map(|(m, p)| (m.to_string(), p.to_string())),
        )
        .collect();
    assert_eq!(
        documented, tested,
        "every documented operation is in this test's table"
    );
    assert_eq!(
        ops.len() + platform_ops.len(),
        tested.len(),
        "no operation twice"
    );

    let before = fingerprint(&app.pool).await;
    for o in &ops {
        let path = fill(o.path, &ids);
        let writes = o.method != Method::GET;
        let label = format!("{} {}", o.method, o.doc);
        // Revoked and expired tokens: 401 with WWW-Authenticate, before anything else.
        for t in [&revoked, &expired] {
            let a = api(&app, t, &o.method, &path, o.body.as_ref()).await;
            assert_eq!(a.status, 401, "{label}: {}", a.body);
            assert_eq!(a.headers["www-authenticate"], "Bearer");
            assert_eq!(a.kind, "application/problem+json", "{label}");
        }
        // A read token never writes.
        if writes {
            let a = api(&app, &ann_read, &o.method, &path, o.body.as_ref()).await;
            assert_eq!(a.status, 403, "{label}: {}", a.body);
            assert_eq!(a.body["code"], "insufficient_scope", "{label}");
        }
        // An outsider is answered exactly like a missing id.
        if o.path.contains('{') && o.by != "out" {
            let first = ["{I}", "{A}", "{N}"]
                .into_iter()
                .find(|k| o.path.contains(k))
                .unwrap();
            let missing = fill(&o.path.replace(first, &Uuid::new_v4().to_string()), &ids);
            let theirs = api(&app, &out_rw, &o.method, &path, o.body.as_ref()).await;
            let nobodys = api(&app, &out_rw, &o.method, &missing, o.body.as_ref()).await;
            assert_eq!(theirs.status, 404, "{label}: {}", theirs.body);
            assert_eq!(
                (theirs.status, &theirs.body),
                (nobodys.status, &nobodys.body),
                "{label}"
            );
            assert_eq!(theirs.kind, "application/problem+json", "{label}");
        }
        // Someone who may see it but not do this.
        if let Some(want) = o.seer {
            let a = api(&app, &cal_rw, &o.method, &path, o.body.as_ref()).await;
            assert_eq!(a.status, want, "{label}: {}", a.body);
            assert_eq!(a.body["status"], want, "{label}");
        }
        // A malformed id, a body that is not JSON, a body of the wrong shape.
        if o.path.contains('{') {
            let first = ["{I}", "{A}", "{N}"]
                .into_iter()
                .find(|k| o.path.contains(k))
                .unwrap();
            let bad = fill(&o.path.replace(first, "not-a-uuid"), &ids);
            let a = api(&app, &ann_rw, &o.method, &bad, o.body.as_ref()).await;
            assert_eq!(a.status, 400, "{label}: {}", a.body);
            assert_eq!(a.body["code"], "malformed_request", "{label}");
        }
        if o.body.is_some() {
            let res = Client::new()
                .request(o.method.clone(), format!("{}{path}", app.base))
                .bearer_auth(&ann_rw)
                .header("content-type", "application/json")
                .body("{not json")
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 400, "{label}");
            let a = api(
                &app,
                &ann_rw,
                &o.method,
                &path,
                Some(&json!({"unexpected": [1, 2, 3]})),
            )
            .await;
            assert_eq!(a.status, 422, "{label}: {}", a.body);
            assert_eq!(a.kind, "application/problem+json", "{label}");
            assert_eq!(a.body["errors"][0]["field"], "body", "{label}");
        }
    }
    assert_eq!(
        before,
        fingerprint(&app.pool).await,
        "no refusal changed anything"
    );

    // Each endpoint, for someone allowed (in an order where each leaves what the next needs).
    for o in &ops {
        let path = fill(o.path, &ids);
        let t = match o.by {
            "ann" => &ann_rw,
            "cal" => &cal_rw,
            _ => &out_rw,
        };
        let a = api(&app, t, &o.method, &path, o.body.as_ref()).await;
        assert_eq!(
            a.status.as_u16(),
            o.ok,
            "{} {}: {}",
            o.method,
            o.doc,
            a.body
        );
        assert!(
            a.headers.contains_key("ratelimit"),
            "{} {}: RateLimit header",
            o.method,
            o.doc
        );
        assert!(
            !a.body.to_string().contains("s3cret-value"),
            "{} {}: no secret in any answer (IN-3)",
            o.method,
            o.doc
        );
    }
    // The writes did what they say, through the same services as the screens.
    let (name, public): (String, bool) =
        sqlx::query_as("SELECT name, visibility = 'public' FROM integrations WHERE id = $1::uuid")
            .bind(&integration)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((name.as_str(), public), ("Acme CRM 2", true));
    let (left,): (i64,) = sqlx::query_as("SELECT count(*) FROM team_members WHERE id = $1")
        .bind(cal_member)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "Cal left the team");
    let (owner,): (Uuid,) = sqlx::query_as("SELECT owner_id FROM zaps WHERE id = $1")
        .bind(zap)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        owner, hal,
        "Cal's removal handed the Zap to the account's owner, Hal since the hand-over (OF-3, AM-3)"
    );
    let roles: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT user_id, role FROM account_members WHERE account_id = $1::uuid AND user_id IN ($2, $3) ORDER BY role",
    )
    .bind(&account)
    .bind(ann_id)
    .bind(hal)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        roles,
        [
            (hal, "owner".to_string()),
            (ann_id, "super_admin".to_string())
        ]
    );
    let (member,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM account_members WHERE account_id = $1::uuid AND user_id = $2",
    )
    .bind(&account)
    .bind(cal_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(member, 0);
    let (gone,): (i64,) = sqlx::query_as("SELECT count(*) FROM app_instances WHERE id = $1::uuid")
        .bind(&instance)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(gone, 0);
    // The API's own writes are in the history with their actor, like the screens'.
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM history WHERE integration_id = $1::uuid AND action LIKE 'team.%'",
    )
    .bind(&integration)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(n >= 3, "team changes recorded: {n}");
}
