//! Cross-cutting guarantees: cross-site refusal, CSP, health, append-only history, start-up errors.
mod common;
use common::*;
use reqwest::StatusCode;
use sqlx::PgPool;

//
#[sqlx::test(migrations = "../migrations")]
async fn cross_site_writes_are_refused_and_write_nothing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.client();
    let before = app.snapshot().await;
    for (header, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Origin", "null"),
    ] {
        let res = c
            .post(format!("{}/api/auth/sign_up", app.base))
            .header(header, value)
            .form(&[
                ("name", "Mal"),
                ("email", "mal@example.com"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{header}: {value}");
    }
    assert_eq!(app.snapshot().await, before);
    // The same request from our own origin goes through.
    let res = c
        .post(format!("{}/api/auth/sign_up", app.base))
        .header("Origin", &app.base)
        .header("Sec-Fetch-Site", "same-origin")
        .header("Accept", "application/json")
        .form(&[
            ("name", "Mal"),
            ("email", "mal@example.com"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
}

#[sqlx::test(migrations = "../migrations")]
async fn every_response_carries_a_csp_that_forbids_framing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.client();
    for path in ["/", "/signin", "/no-such-page", "/healthz", "/favicon.svg"] {
        let res = app.get(&c, path).await;
        let csp = res
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_string());
        let csp = csp.unwrap_or_else(|| panic!("{path} has no CSP"));
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(
            res.headers().get("x-content-type-options").unwrap(),
            "nosniff"
        );
    }
    let res = app.get(&c, "/signin").await;
    let csp = res
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let html = res.text().await.unwrap();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .unwrap()
        .split('\'')
        .next()
        .unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "hydration scripts carry the CSP nonce"
    );
    assert_eq!(
        app.get(&c, "/no-such-page").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get(&c, "/healthz").await.status(), StatusCode::OK);
}

//
#[sqlx::test(migrations = "../migrations")]
async fn history_is_append_only(pool: PgPool) {
    let app = TestApp::start(pool).await;
    app.signed_in("Hal", "hal@example.com").await;
    let n = app.count("history").await;
    assert!(n >= 2, "sign-up and verification are recorded");
    let upd = sqlx::query("UPDATE history SET action = 'forged'")
        .execute(&app.pool)
        .await;
    assert!(upd.unwrap_err().to_string().contains("append-only"));
    let del = sqlx::query("DELETE FROM history").execute(&app.pool).await;
    assert!(del.is_err());
    let trunc = sqlx::query("TRUNCATE history").execute(&app.pool).await;
    assert!(trunc.is_err());
    assert_eq!(app.count("history").await, n);
    let actions: Vec<(String,)> = sqlx::query_as("SELECT action FROM history ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(actions[0].0, "user.signed_up");
    assert_eq!(actions[1].0, "user.email_verified");
}

#[tokio::test]
async fn an_unreachable_database_is_one_clear_line() {
    let mut config = test_config();
    config.database_url = "postgres://postgres@127.0.0.1:1/nothing".into();
    let err = server::connect(&config).await.unwrap_err().to_string();
    assert!(err.starts_with("cannot reach the database"), "{err}");
    assert!(!err.contains('\n'), "{err}");
}

//
#[sqlx::test(migrations = "../migrations")]
async fn the_mail_viewer_shows_outbox_mail_only_in_development_mode(pool: PgPool) {
    let mut dev = test_config();
    dev.dev_mode = true;
    let app = TestApp::start_with(pool.clone(), dev).await;
    let c = app.client();
    app.call(
        &c,
        "auth/sign_up",
        &[
            ("name", "Mo"),
            ("email", "mo@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let (s, list) = app
        .call(&c, "dev/list_mail", &[("to", "mo@example.com")])
        .await;
    assert!(s.is_success());
    assert_eq!(list[0]["subject"], "Confirm your email address");
    let page = app.get(&c, "/dev/mail").await.text().await.unwrap();
    assert!(page.contains("Confirm your email address"));

    // Not in development mode, with SMTP or without: no viewer.
    for smtp in [None, Some("smtp://127.0.0.1:2525")] {
        let mut config = test_config();
        config.smtp_url = smtp.map(String::from);
        let prod = TestApp::start_with(pool.clone(), config).await;
        let (s, _) = prod.call(&prod.client(), "dev/list_mail", &[]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{smtp:?}");
    }
}
