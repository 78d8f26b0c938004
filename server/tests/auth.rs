//! Sign-up, verification, sign-in, sessions and password reset, over HTTP against a real database.
mod common;
use common::*;
use reqwest::StatusCode;
use sqlx::PgPool;

// covers: AC-1, AC-2
#[sqlx::test(migrations = "../migrations")]
async fn sign_up_verify_sign_in_sign_out(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.client();
    let (s, _) = app
        .call(
            &c,
            "auth/sign_up",
            &[
                ("name", "Ada"),
                ("email", "Ada@Example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(s.is_success(), "{s}");
    let (email, verified): (String, Option<chrono::DateTime<chrono::Utc>>) =
        sqlx::query_as("SELECT email, email_verified_at FROM users")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(email, "ada@example.com", "addresses are stored lower-cased");
    assert!(verified.is_none());
    let (hash,): (String,) = sqlx::query_as("SELECT password_hash FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PASSWORD));

    // Not signed in yet: whoami says nobody.
    let (_, me) = app.call(&c, "auth/whoami", &[]).await;
    assert!(me.is_null());

    let token = app.mailed_token("ada@example.com", "/verify?token=").await;
    let stored: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT token_hash FROM user_tokens")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert!(
        stored.iter().all(|(h,)| h != token.as_bytes()),
        "tokens are stored hashed"
    );
    let (s, _) = app
        .call(
            &c,
            "auth/verify_email",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert!(s.is_success(), "{s}");

    let res = c
        .post(format!("{}/api/auth/sign_in", app.base))
        .header("Accept", "application/json")
        .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = res
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
            && !cookie.contains("Secure"),
        "{cookie}"
    );
    let (_, me) = app.call(&c, "auth/whoami", &[]).await;
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["email_verified"], true);
    assert_eq!(app.count("sessions").await, 1);

    app.call(&c, "auth/sign_out", &[]).await;
    assert_eq!(
        app.count("sessions").await,
        0,
        "sign out ends the server-side session"
    );
    let (_, me) = app.call(&c, "auth/whoami", &[]).await;
    assert!(me.is_null());
}

// covers: AC-2, X-5
#[sqlx::test(migrations = "../migrations")]
async fn verification_links_are_single_use_and_expire(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.client();
    app.call(
        &c,
        "auth/sign_up",
        &[
            ("name", "Bo"),
            ("email", "bo@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let token = app.mailed_token("bo@example.com", "/verify?token=").await;

    let (s, body) = app
        .call(
            &c,
            "auth/verify_email",
            &[("token", "not-a-real-token"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&body).unwrap().0, "token");

    // Expired: refused, and the user stays unverified.
    sqlx::query("UPDATE user_tokens SET expires_at = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    let before = app.snapshot().await;
    let (s, body) = app
        .call(
            &c,
            "auth/verify_email",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_field(&body).unwrap().1.contains("expired"), "{body}");
    assert_eq!(
        app.snapshot().await,
        before,
        "a refused link writes nothing"
    );
    let (v,): (bool,) = sqlx::query_as("SELECT email_verified_at IS NOT NULL FROM users")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!v);

    // Fresh link works once; the second use is refused.
    sqlx::query("UPDATE user_tokens SET expires_at = now() + interval '1 hour'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (s, _) = app
        .call(
            &c,
            "auth/verify_email",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert!(s.is_success());
    let before = app.snapshot().await;
    let (s, body) = app
        .call(
            &c,
            "auth/verify_email",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_field(&body).unwrap().1.contains("already used"),
        "{body}"
    );
    assert_eq!(app.snapshot().await, before);
}

// covers: X-5, AC-1
#[sqlx::test(migrations = "../migrations")]
async fn bad_sign_up_input_is_refused_field_by_field_and_writes_nothing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.client();
    app.call(
        &c,
        "auth/sign_up",
        &[
            ("name", "Taken"),
            ("email", "taken@example.com"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let before = app.snapshot().await;
    // A taken address is not an input error: see hardening.rs (no account enumeration).
    let cases: [(&str, &str, &str, &str, &str); 4] = [
        (
            "Eve",
            "not-an-email",
            PASSWORD,
            "email",
            "An email address needs an @",
        ),
        (
            "Eve",
            "eve@nowhere",
            PASSWORD,
            "email",
            "That is not a valid email address.",
        ),
        (
            "Eve",
            "eve@example.com",
            "short",
            "password",
            "Use at least 10 characters.",
        ),
        ("   ", "eve@example.com", PASSWORD, "name", "Enter a name."),
    ];
    for (name, email, password, field, message) in cases {
        let (s, body) = app
            .call(
                &c,
                "auth/sign_up",
                &[("name", name), ("email", email), ("password", password)],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{email}");
        let (f, m) = error_field(&body).unwrap_or_else(|| panic!("{body}"));
        assert_eq!(f, field, "{email}");
        assert!(m.starts_with(message), "{m}");
        assert_eq!(app.snapshot().await, before, "{email}: nothing written");
    }
}

// covers: AC-1
#[sqlx::test(migrations = "../migrations")]
async fn one_message_for_unknown_email_and_wrong_password_and_attempts_are_limited(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.signed_in("Cy", "cy@example.com").await;
    let other = app.client();
    let (s1, unknown) = app
        .call(
            &other,
            "auth/sign_in",
            &[("email", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    let (s2, wrong) = app
        .call(
            &other,
            "auth/sign_in",
            &[("email", "cy@example.com"), ("password", "wrong-password")],
        )
        .await;
    assert_eq!(s1, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(s1, s2);
    assert_eq!(unknown, wrong, "the same answer for both");
    assert_eq!(
        error_field(&wrong).unwrap(),
        ("password", "Incorrect email or password.")
    );

    // Four more failures for this address: then even the right password is refused.
    for _ in 0..4 {
        app.call(
            &other,
            "auth/sign_in",
            &[("email", "cy@example.com"), ("password", "wrong-password")],
        )
        .await;
    }
    let sessions = app.count("sessions").await;
    let (s, body) = app
        .call(
            &other,
            "auth/sign_in",
            &[("email", "cy@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(app.count("sessions").await, sessions);
    // The existing session is untouched.
    let (_, me) = app.call(&c, "auth/whoami", &[]).await;
    assert_eq!(me["email"], "cy@example.com");
}

// covers: AC-1
#[sqlx::test(migrations = "../migrations")]
async fn password_reset_by_mail_ends_every_session(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.signed_in("Di", "di@example.com").await;
    let anon = app.client();
    let (s, _) = app
        .call(
            &anon,
            "auth/request_password_reset",
            &[("email", "di@example.com")],
        )
        .await;
    assert!(s.is_success());
    // An unknown address gets the same answer and no mail.
    let mails = app.count("outbox").await;
    let (s2, _) = app
        .call(
            &anon,
            "auth/request_password_reset",
            &[("email", "nobody@example.com")],
        )
        .await;
    assert_eq!(s, s2);
    assert_eq!(app.count("outbox").await, mails);

    let token = app.mailed_token("di@example.com", "/reset?token=").await;
    let (s, body) = app
        .call(
            &anon,
            "auth/reset_password",
            &[("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&body).unwrap().0, "password");
    let (s, _) = app
        .call(
            &anon,
            "auth/reset_password",
            &[("token", &token), ("password", "another-good-password")],
        )
        .await;
    assert!(s.is_success());
    let (_, me) = app.call(&c, "auth/whoami", &[]).await;
    assert!(me.is_null(), "the old session ended");
    let (s, _) = app
        .call(
            &anon,
            "auth/reset_password",
            &[("token", &token), ("password", "third-good-password")],
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the link is single-use"
    );
    let (s, _) = app
        .call(
            &anon,
            "auth/sign_in",
            &[
                ("email", "di@example.com"),
                ("password", "another-good-password"),
            ],
        )
        .await;
    assert!(s.is_success());
}

// covers: AC-1, AM-2
#[sqlx::test(migrations = "../migrations")]
async fn a_kept_session_holds_only_while_nothing_it_rests_on_changed(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let sessions = &app.state.kept.sessions;
    let c = app.signed_in("Olga", "olga@example.com").await;
    let whoami = |c: &reqwest::Client| {
        let c = c.clone();
        let app = &app;
        async move {
            let (s, me) = app.call(&c, "auth/whoami", &[]).await;
            assert!(s.is_success(), "whoami {s}: {me}");
            me
        }
    };
    let sql = |q: &'static str| {
        let pool = app.pool.clone();
        async move {
            let done = sqlx::query(q).execute(&pool).await.unwrap();
            assert!(done.rows_affected() > 0, "{q} changed a row");
        }
    };

    // The first request reads the session statement and keeps the session; the next is
    // answered from it.
    assert_eq!(whoami(&c).await["name"], "Olga");
    let reused = sessions.reused();
    assert_eq!(whoami(&c).await["name"], "Olga");
    assert_eq!(sessions.reused(), reused + 1);

    // Signing in elsewhere ends nothing: the kept session is still used. (That second
    // session's cookie is taken by hand, to be sent again after it ends.)
    let res = app
        .client()
        .post(format!("{}/api/auth/sign_in", app.base))
        .header("Accept", "application/json")
        .form(&[("email", "olga@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "sign in {}", res.status());
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .filter(|kv| kv.starts_with("gatehouse_session="))
        })
        .expect("a session cookie")
        .to_string();
    let other = || {
        let cookie = cookie.clone();
        let app = &app;
        async move {
            let res = app
                .client()
                .post(format!("{}/api/auth/whoami", app.base))
                .header("Accept", "application/json")
                .header("Cookie", cookie)
                .send()
                .await
                .unwrap();
            assert!(res.status().is_success());
            res.json::<serde_json::Value>().await.unwrap()
        }
    };
    assert_eq!(other().await["name"], "Olga");
    assert_eq!(other().await["name"], "Olga");
    assert_eq!(whoami(&c).await["email"], "olga@example.com");
    assert_eq!(sessions.reused(), reused + 3);

    // A new name and an address no longer verified are seen on the very next request.
    sql("UPDATE users SET name = 'Olga Ray' WHERE email = 'olga@example.com'").await;
    assert_eq!(whoami(&c).await["name"], "Olga Ray");
    sql("UPDATE users SET email_verified_at = NULL WHERE email = 'olga@example.com'").await;
    assert_eq!(whoami(&c).await["email_verified"], false);

    // The other session signs out: its cookie, sent again, is a stranger's at once; this
    // one still answers.
    let res = app
        .client()
        .post(format!("{}/api/auth/sign_out", app.base))
        .header("Accept", "application/json")
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "sign out {}", res.status());
    assert_eq!(other().await, serde_json::Value::Null);
    assert_eq!(whoami(&c).await["name"], "Olga Ray");
    let reused = sessions.reused();
    assert_eq!(whoami(&c).await["name"], "Olga Ray");
    assert_eq!(sessions.reused(), reused + 1, "kept again");

    // Its own session ended elsewhere (as a password reset or SCIM ends them): the very
    // next request, through a read or a screen, is a stranger's.
    sql("DELETE FROM sessions").await;
    assert_eq!(whoami(&c).await, serde_json::Value::Null);
    let (s, _) = app.call(&c, "instances/list_instances", &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // A session that expires while nothing changes is refused from its expiry on.
    app.sign_in(&c, "olga@example.com").await;
    sql("UPDATE sessions SET expires_at = now() + interval '5 seconds'").await;
    assert_eq!(whoami(&c).await["name"], "Olga Ray");
    let reused = sessions.reused();
    assert_eq!(whoami(&c).await["name"], "Olga Ray");
    assert_eq!(sessions.reused(), reused + 1);
    tokio::time::sleep(std::time::Duration::from_millis(5100)).await;
    assert_eq!(whoami(&c).await, serde_json::Value::Null);
    assert_eq!(sessions.reused(), reused + 1);
}

// covers: AC-1, IN-4
#[sqlx::test(migrations = "../migrations")]
async fn a_change_is_seen_by_the_next_request_while_others_share_the_epoch_statement(pool: PgPool) {
    let app = std::sync::Arc::new(TestApp::start(pool).await);
    let c = app.signed_in("Vera", "vera@example.com").await;
    let name = |c: reqwest::Client, app: std::sync::Arc<TestApp>| async move {
        let (s, me) = app.call(&c, "auth/whoami", &[]).await;
        assert!(s.is_success(), "whoami {s}: {me}");
        me["name"].as_str().unwrap_or_default().to_string()
    };
    assert_eq!(name(c.clone(), app.clone()).await, "Vera");
    let fresh = &app.state.kept.fresh;
    let asked = fresh.asked();
    assert_eq!(name(c.clone(), app.clone()).await, "Vera");
    assert_eq!(fresh.asked(), asked + 1, "a kept session reads the epoch");

    // Six more ask back to back on the same session all along, so the epoch statements
    // are shared and one is nearly always in flight when the next request arrives.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy: Vec<_> = (0..6)
        .map(|_| {
            let (c, app, stop) = (c.clone(), app.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    assert!(name(c.clone(), app.clone()).await.starts_with("Vera"));
                    n += 1;
                }
                n
            })
        })
        .collect();
    // Every rename committed before a request is seen by that request, never an answer
    // read before it.
    for i in 0..30 {
        let new = format!("Vera {i}");
        let done = sqlx::query("UPDATE users SET name = $1 WHERE email = 'vera@example.com'")
            .bind(&new)
            .execute(&app.pool)
            .await
            .unwrap();
        assert_eq!(done.rows_affected(), 1);
        assert_eq!(name(c.clone(), app.clone()).await, new);
        assert_eq!(name(c.clone(), app.clone()).await, new);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for b in busy {
        assert!(b.await.unwrap() > 0, "each busy caller was answered");
    }
}
