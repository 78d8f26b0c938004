//! App instances: install, share read/write, clone without logins, revoke on the next request.
mod common;
use common::*;
use reqwest::StatusCode;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

// covers: IN-1, IN-2, IN-3, X-1, AC-3
#[sqlx::test(migrations = "../migrations")]
async fn owner_write_read_and_outsider_each_get_exactly_their_rights(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let owner = app.signed_in("Owen", "owen@example.com").await;
    let writer = app.signed_in("Wren", "wren@example.com").await;
    let reader = app.signed_in("Rita", "rita@example.com").await;
    let outsider = app.signed_in("Otto", "otto@example.com").await;
    let id = app
        .install(&owner, "Ops Jira", "bot", "s3cret-token-value")
        .await;
    app.share(&owner, &id, "wren@example.com", "write").await;
    app.share(&owner, &id, "rita@example.com", "read").await;
    let login: (Uuid,) = sqlx::query_as("SELECT id FROM instance_logins")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let login = login.0.to_string();

    // What each may see.
    let (_, d) = app
        .call(&reader, "instances/get_instance", &[("id", &id)])
        .await;
    assert_eq!(d["access"], "read");
    assert_eq!(d["logins"][0]["username"], "bot");
    assert_eq!(d["logins"][0]["secret_set"], true);
    assert_eq!(
        d["shares"].as_array().unwrap().len(),
        0,
        "only the owner sees the share list"
    );
    // The owner sees Rita (she opened it) by name; Wren, who has not yet, as an invitation
    // to her address, like an address without a login (issue 14, item 5).
    let (_, d) = app
        .call(&owner, "instances/get_instance", &[("id", &id)])
        .await;
    assert_eq!(d["shares"].as_array().unwrap().len(), 1);
    assert_eq!(d["shares"][0]["email"], "rita@example.com");
    assert_eq!(d["invites"].as_array().unwrap().len(), 1);
    assert_eq!(d["invites"][0]["email"], "wren@example.com");
    app.call(&writer, "instances/get_instance", &[("id", &id)])
        .await;
    let (_, d) = app
        .call(&owner, "instances/get_instance", &[("id", &id)])
        .await;
    assert_eq!(d["shares"].as_array().unwrap().len(), 2);
    assert!(d["invites"].as_array().unwrap().is_empty());
    assert_eq!(d["config"][0]["key"], "base_url");
    let (_, list) = app.call(&reader, "instances/list_instances", &[]).await;
    assert_eq!(list["shared"][0]["name"], "Ops Jira");
    assert_eq!(list["mine"].as_array().unwrap().len(), 0);

    // Every write, by every kind of caller: (endpoint, extra fields, [owner, write, read]) as allowed?
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, [bool; 3]);
    let cases: Vec<Case> = vec![
        ("instances/stop_instance", vec![], [true, true, false]),
        ("instances/run_instance", vec![], [true, true, false]),
        (
            "instances/edit_instance",
            vec![
                ("name", "Ops Jira"),
                ("config[0][key]", "project"),
                ("config[0][value]", "OPS"),
            ],
            [true, true, false],
        ),
        (
            "instances/share_instance",
            vec![("email", "otto@example.com"), ("access", "read")],
            [true, false, false],
        ),
        (
            "instances/add_login",
            vec![("username", "extra"), ("secret", "another-secret")],
            [true, false, false],
        ),
        (
            "instances/replace_secret",
            vec![("login_id", &login), ("secret", "rotated-secret")],
            [true, false, false],
        ),
    ];
    for (endpoint, extra, allowed) in &cases {
        for (who, c, ok) in [
            ("write", &writer, allowed[1]),
            ("read", &reader, allowed[2]),
            ("owner", &owner, allowed[0]),
        ] {
            let mut form = vec![("id", id.as_str())];
            form.extend(extra.iter().cloned());
            let history = app.count("history").await;
            let (s, b) = app.call(c, endpoint, &form).await;
            if ok {
                assert!(s.is_success(), "{who} {endpoint}: {s} {b}");
                assert!(
                    app.count("history").await > history,
                    "{who} {endpoint} is recorded"
                );
            } else {
                assert_eq!(s, StatusCode::FORBIDDEN, "{who} {endpoint}: {b}");
                assert_eq!(
                    app.count("history").await,
                    history,
                    "{who} {endpoint} changed nothing"
                );
            }
        }
        // Nobody signed in: asked to sign in.
        let mut form = vec![("id", id.as_str())];
        form.extend(extra.iter().cloned());
        let (s1, b1) = app.call(&app.client(), endpoint, &form).await;
        assert_eq!(s1, StatusCode::UNAUTHORIZED, "{endpoint}: {b1}");
    }
    // A non-member's view of a real instance equals that of a made-up id.
    let fresh = app.signed_in("Nia", "nia@example.com").await;
    for endpoint in [
        "instances/get_instance",
        "instances/stop_instance",
        "instances/clone_instance",
        "instances/delete_instance",
    ] {
        let (s1, b1) = app.call(&fresh, endpoint, &[("id", &id)]).await;
        let (s2, b2) = app
            .call(&fresh, endpoint, &[("id", &Uuid::new_v4().to_string())])
            .await;
        assert_eq!(s1, StatusCode::NOT_FOUND, "{endpoint}");
        assert_eq!((s1, b1), (s2, b2), "{endpoint}");
    }
    drop(outsider);

    // Write may delete; read may not.
    let (s, _) = app
        .call(&reader, "instances/delete_instance", &[("id", &id)])
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call(&writer, "instances/delete_instance", &[("id", &id)])
        .await;
    assert!(s.is_success());
    assert_eq!(app.count("app_instances").await, 0);
    assert_eq!(app.count("instance_logins").await, 0);
}

// covers: IN-3
#[sqlx::test(migrations = "../migrations")]
async fn a_clone_copies_configuration_and_never_logins(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let owner = app.signed_in("Owen", "owen@example.com").await;
    let reader = app.signed_in("Rita", "rita@example.com").await;
    let id = app
        .install(&owner, "Ops Jira", "bot", "s3cret-token-value")
        .await;
    app.share(&owner, &id, "rita@example.com", "read").await;
    let (s, copy) = app
        .call(&reader, "instances/clone_instance", &[("id", &id)])
        .await;
    assert!(s.is_success(), "{copy}");
    let copy = copy.as_str().unwrap().to_string();
    let (_, d) = app
        .call(&reader, "instances/get_instance", &[("id", &copy)])
        .await;
    assert_eq!(d["name"], "Ops Jira (copy)");
    assert_eq!(d["access"], "owner");
    assert_eq!(d["app"], "jira");
    assert_eq!(d["config"][1]["value"], "OPS");
    assert_eq!(d["logins"].as_array().unwrap().len(), 0);
    assert_eq!(d["status"], "stopped");
    // The cloner adds their own login; the original is untouched.
    let (s, _) = app
        .call(
            &reader,
            "instances/add_login",
            &[
                ("id", &copy),
                ("username", "rita"),
                ("secret", "rita-secret"),
            ],
        )
        .await;
    assert!(s.is_success());
    let (_, orig) = app
        .call(&owner, "instances/get_instance", &[("id", &id)])
        .await;
    assert_eq!(orig["logins"].as_array().unwrap().len(), 1);
    let (action,): (String,) =
        sqlx::query_as("SELECT action FROM history WHERE action = 'instance.cloned'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(action, "instance.cloned");
}

// covers: IN-2, IN-4, X-5, X-2
#[sqlx::test(migrations = "../migrations")]
async fn shares_change_and_end_on_the_next_request(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let owner = app.signed_in("Owen", "owen@example.com").await;
    let b = app.signed_in("Bea", "bea@example.com").await;
    let id = app.install(&owner, "Ops Jira", "bot", "s3cret").await;

    let before = app.count("instance_shares").await;
    let (s, body) = app
        .call(
            &owner,
            "instances/share_instance",
            &[
                ("id", &id),
                ("email", "ghost@example.com"),
                ("access", "read"),
            ],
        )
        .await;
    // An address without an account is invited by mail: no share yet, the same answer.
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(app.count("instance_shares").await, before);
    assert_eq!(app.count("instance_invites").await, 1);
    let (s, body) = app
        .call(
            &owner,
            "instances/share_instance",
            &[
                ("id", &id),
                ("email", "owen@example.com"),
                ("access", "read"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (s, _) = app
        .call(
            &owner,
            "instances/share_instance",
            &[
                ("id", &id),
                ("email", "bea@example.com"),
                ("access", "owner"),
            ],
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "only read or write can be granted"
    );
    assert_eq!(app.count("instance_shares").await, before);

    app.share(&owner, &id, "bea@example.com", "write").await;
    let (s, _) = app
        .call(&b, "instances/stop_instance", &[("id", &id)])
        .await;
    assert!(s.is_success());
    app.share(&owner, &id, "bea@example.com", "read").await;
    let (s, _) = app.call(&b, "instances/run_instance", &[("id", &id)]).await;
    assert_eq!(
        s,
        StatusCode::FORBIDDEN,
        "demotion holds from the next request"
    );
    let (_, a) = app.call(&b, "instances/my_access", &[("id", &id)]).await;
    assert_eq!(a, "read");

    let (bea,): (Uuid,) = sqlx::query_as("SELECT id FROM users WHERE email = 'bea@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (s, _) = app
        .call(
            &owner,
            "instances/revoke_share",
            &[("id", &id), ("user_id", &bea.to_string())],
        )
        .await;
    assert!(s.is_success());
    let (s, _) = app.call(&b, "instances/get_instance", &[("id", &id)]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, a) = app.call(&b, "instances/my_access", &[("id", &id)]).await;
    assert!(a.is_null(), "the open page's poll sees the end of access");

    let actions: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM history WHERE instance_id IS NOT NULL ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let actions: Vec<&str> = actions.iter().map(|(a,)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "instance.installed",
            "instance.invited",
            "instance.shared",
            "instance.stopped",
            "instance.share_changed",
            "instance.share_revoked"
        ]
    );
}

// covers: IN-4
#[sqlx::test(migrations = "../migrations")]
async fn a_revoke_racing_an_in_flight_request_wins(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let owner = app.signed_in("Owen", "owen@example.com").await;
    let b = app.signed_in("Bea", "bea@example.com").await;
    let id = app.install(&owner, "Ops Jira", "bot", "s3cret").await;
    app.share(&owner, &id, "bea@example.com", "write").await;
    let (s, _) = app.call(&b, "instances/run_instance", &[("id", &id)]).await;
    assert!(s.is_success());

    // The revoke is under way: its transaction holds the instance and has deleted the share.
    let iid = Uuid::parse_str(&id).unwrap();
    let mut revoke = app.pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM app_instances WHERE id = $1 FOR UPDATE")
        .bind(iid)
        .execute(&mut *revoke)
        .await
        .unwrap();
    sqlx::query("DELETE FROM instance_shares WHERE instance_id = $1")
        .bind(iid)
        .execute(&mut *revoke)
        .await
        .unwrap();

    // Bea's stop arrives meanwhile; it must wait for the revoke, then see it.
    let base = app.base.clone();
    let bc = b.clone();
    let stop = tokio::spawn(async move {
        bc.post(format!("{base}/api/instances/stop_instance"))
            .header("Accept", "application/json")
            .form(&[("id", id.as_str())])
            .send()
            .await
            .unwrap()
            .status()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !stop.is_finished(),
        "the request waits for the revoke's lock"
    );
    revoke.commit().await.unwrap();
    assert_eq!(stop.await.unwrap(), StatusCode::NOT_FOUND);
    let (status,): (String,) = sqlx::query_as("SELECT status FROM app_instances")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "running", "the refused stop changed nothing");
}

// covers: IN-1, X-5
#[sqlx::test(migrations = "../migrations")]
async fn bad_install_input_is_refused_and_writes_nothing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let c = app.signed_in("Owen", "owen@example.com").await;
    let before = app.count("app_instances").await;
    for (form, field) in [
        (vec![("name", " "), ("app", "jira")], "name"),
        (vec![("name", "X"), ("app", "not an app")], "app"),
        (
            vec![
                ("name", "X"),
                ("app", "jira"),
                ("config[0][key]", "a b"),
                ("config[0][value]", "1"),
            ],
            "config",
        ),
        (
            vec![
                ("name", "X"),
                ("app", "jira"),
                ("config[0][key]", "k"),
                ("config[0][value]", "1"),
                ("config[1][key]", "k"),
                ("config[1][value]", "2"),
            ],
            "config",
        ),
        (
            vec![("name", "X"), ("app", "jira"), ("username", "bot")],
            "secret",
        ),
    ] {
        let (s, body) = app.call(&c, "instances/install_instance", &form).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{form:?}");
        assert_eq!(error_field(&body).unwrap().0, field, "{body}");
    }
    assert_eq!(app.count("app_instances").await, before);
    assert_eq!(app.count("instance_logins").await, 0);
}

// covers: IN-2, IN-4
#[sqlx::test(migrations = "../migrations")]
async fn an_instance_page_is_read_again_as_soon_as_anything_it_shows_changes(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let kept = &app.state.kept.instances;
    let owner = app.signed_in("Owen", "owen@example.com").await;
    let b = app.signed_in("Bea", "bea@example.com").await;
    let id = app.install(&owner, "Ops Jira", "bot", "s3cret").await;
    let get = |c: &reqwest::Client| {
        let (c, app, id) = (c.clone(), &app, id.clone());
        async move { app.call(&c, "instances/get_instance", &[("id", &id)]).await }
    };
    let epoch = || async {
        let (n,): (i64,) = sqlx::query_as("SELECT n FROM read_epoch")
            .fetch_one(&app.pool)
            .await
            .unwrap();
        n
    };

    // Read once, then answered from what this server kept.
    let (s, first) = get(&owner).await;
    assert!(s.is_success(), "{first}");
    let (_, again) = get(&owner).await;
    assert_eq!(again, first);
    assert_eq!(kept.reused(), 1);

    // Shared with Bea: the owner's page lists her as invited until she has seen it, then
    // as a sharee; her first view marks it seen, and the owner sees that next.
    app.share(&owner, &id, "bea@example.com", "write").await;
    let (_, shared) = get(&owner).await;
    assert_eq!(shared["invites"][0]["email"], "bea@example.com", "{shared}");
    assert_eq!(shared["shares"], serde_json::json!([]));
    let (s, hers) = get(&b).await;
    assert!(s.is_success(), "{hers}");
    assert_eq!(hers["access"], "write");
    let (_, seen) = get(&owner).await;
    assert_eq!(seen["shares"][0]["email"], "bea@example.com", "{seen}");
    assert_eq!(seen["invites"], serde_json::json!([]));

    // A run shows on the very next read.
    let (s, _) = app.call(&b, "instances/run_instance", &[("id", &id)]).await;
    assert!(s.is_success());
    let (_, ran) = get(&owner).await;
    assert_eq!(ran["runs"].as_array().unwrap().len(), 1, "{ran}");
    assert_eq!(ran["status"], "running");

    // Demoted to read, then revoked: each holds from Bea's next request (IN-4).
    let (_, kept_hers) = get(&b).await;
    assert_eq!(kept_hers["access"], "write");
    app.share(&owner, &id, "bea@example.com", "read").await;
    let (_, demoted) = get(&b).await;
    assert_eq!(demoted["access"], "read");
    let (bea,): (Uuid,) = sqlx::query_as("SELECT id FROM users WHERE email = 'bea@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    get(&b).await;
    let (s, _) = app
        .call(
            &owner,
            "instances/revoke_share",
            &[("id", &id), ("user_id", &bea.to_string())],
        )
        .await;
    assert!(s.is_success());
    let (s, gone) = get(&b).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{gone}");

    // A share that ends in 2 s: kept while it lasts, refused after its end with nothing
    // written in between.
    app.share(&owner, &id, "bea@example.com", "read").await;
    sqlx::query(
        "UPDATE instance_shares SET ends_at = now() + interval '2 seconds' WHERE user_id = $1",
    )
    .bind(bea)
    .execute(&app.pool)
    .await
    .unwrap();
    // Her first view marks the new share seen (a change: the next view reads again).
    let (s, _) = get(&b).await;
    assert!(s.is_success());
    let reused = kept.reused();
    let (s, _) = get(&b).await;
    assert!(s.is_success());
    assert_eq!(
        kept.reused(),
        reused,
        "the first view's mark moved the epoch"
    );
    let (s, _) = get(&b).await;
    assert!(s.is_success());
    assert_eq!(kept.reused(), reused + 1);
    let at = epoch().await;
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (s, _) = get(&b).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(epoch().await, at);
}
