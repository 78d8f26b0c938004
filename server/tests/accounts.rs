//! Accounts: creation, the owner role, the members list and what outsiders see.
mod common;
use common::*;
use reqwest::StatusCode;
use sqlx::PgPool;
use uuid::Uuid;

// covers: AC-3, X-2
#[sqlx::test(migrations = "../migrations")]
async fn creator_owns_the_account_and_outsiders_see_nothing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let owner = app.signed_in("Olga", "olga@example.com").await;
    let (s, id) = app
        .call(
            &owner,
            "accounts/create_account",
            &[("name", "  Olga Ltd ")],
        )
        .await;
    assert!(s.is_success(), "{id}");
    let id = id.as_str().unwrap().to_string();

    let (s, page) = app
        .call(&owner, "accounts/list_members", &[("account_id", &id)])
        .await;
    assert!(s.is_success(), "{page}");
    assert_eq!(page["account"]["name"], "Olga Ltd");
    assert_eq!(page["account"]["role"], "owner");
    assert_eq!(page["members"].as_array().unwrap().len(), 1);
    assert_eq!(page["members"][0]["email"], "olga@example.com");

    let (_, mine) = app.call(&owner, "accounts/my_accounts", &[]).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);

    // An outsider asking for this account and for a made-up one gets the same answer.
    let outsider = app.signed_in("Otto", "otto@example.com").await;
    let (s1, b1) = app
        .call(&outsider, "accounts/list_members", &[("account_id", &id)])
        .await;
    let (s2, b2) = app
        .call(
            &outsider,
            "accounts/list_members",
            &[("account_id", &Uuid::new_v4().to_string())],
        )
        .await;
    assert_eq!(s1, StatusCode::NOT_FOUND);
    assert_eq!((s1, &b1), (s2, &b2));
    let (_, theirs) = app.call(&outsider, "accounts/my_accounts", &[]).await;
    assert_eq!(theirs.as_array().unwrap().len(), 0);

    // Anonymous callers are asked to sign in.
    let (s, _) = app
        .call(
            &app.client(),
            "accounts/list_members",
            &[("account_id", &id)],
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let (action, target): (String, String) =
        sqlx::query_as("SELECT action, target FROM history WHERE action = 'account.created'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(action, "account.created");
    assert!(target.starts_with("user:"));
}

// covers: X-5, AC-2
#[sqlx::test(migrations = "../migrations")]
async fn account_creation_needs_a_verified_address_and_a_name(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.client();
    app.call(
        &c,
        "auth/sign_up",
        &[
            ("name", "Uma"),
            ("email", "uma@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    app.sign_in(&c, "uma@example.com").await;
    let before = app.snapshot().await;
    let (s, body) = app
        .call(&c, "accounts/create_account", &[("name", "Uma Co")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_field(&body).unwrap().1.contains("Verify your email"),
        "{body}"
    );
    assert_eq!(app.snapshot().await, before);

    let v = app.signed_in("Vic", "vic@example.com").await;
    let before = app.snapshot().await;
    let (s, body) = app
        .call(&v, "accounts/create_account", &[("name", " ")])
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&body).unwrap().0, "name");
    assert_eq!(app.snapshot().await, before);
}

// covers: OF-2
#[sqlx::test(migrations = "../migrations")]
async fn an_account_has_exactly_one_owner(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.signed_in("Pia", "pia@example.com").await;
    let (_, id) = app
        .call(&c, "accounts/create_account", &[("name", "Pia Co")])
        .await;
    let id = Uuid::parse_str(id.as_str().unwrap()).unwrap();
    let (other,): (Uuid,) = sqlx::query_as(
        "INSERT INTO users (email, name, password_hash) VALUES ('x@example.com', 'X', 'x') RETURNING id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let second_owner = sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'owner')",
    )
    .bind(id)
    .bind(other)
    .execute(&app.pool)
    .await;
    assert!(second_owner.is_err(), "the database refuses a second owner");
}

// covers: AC-3
#[sqlx::test(migrations = "../migrations")]
async fn demo_data_loads_once_and_the_owner_sees_the_demo_account(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let keys = &app.state.config.keyring;
    assert!(app::server::demo::load(&app.pool, keys).await.unwrap());
    let before: Vec<(String, i64)> = {
        let mut v = app.snapshot().await;
        for t in [
            "integrations",
            "zaps",
            "folders",
            "app_connections",
            "app_instances",
            "instance_logins",
        ] {
            v.push((t.into(), app.count(t).await));
        }
        v
    };
    assert!(
        !app::server::demo::load(&app.pool, keys).await.unwrap(),
        "second load is a no-op"
    );
    let mut after = app.snapshot().await;
    for t in [
        "integrations",
        "zaps",
        "folders",
        "app_connections",
        "app_instances",
        "instance_logins",
    ] {
        after.push((t.into(), app.count(t).await));
    }
    assert_eq!(before, after);
    let (hooks, private, shared_conns): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM zaps WHERE webhook_token IS NOT NULL), \
                (SELECT count(*) FROM zaps WHERE private), \
                (SELECT count(*) FROM app_connections WHERE NOT private)",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(hooks >= 2 && private >= 2 && shared_conns >= 1);

    let c = app.client();
    let (s, _) = app
        .call(
            &c,
            "auth/sign_in",
            &[
                ("email", "owner@acme.test"),
                ("password", app::server::demo::PASSWORD),
            ],
        )
        .await;
    assert!(s.is_success());
    let (_, mine) = app.call(&c, "accounts/my_accounts", &[]).await;
    assert_eq!(mine[0]["name"], "Acme Corp");
    assert_eq!(mine[0]["role"], "owner");
}
