//! Integrations: the directory, invite links and rotation, revocation pausing exactly the right Zaps.
mod common;
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

async fn create(app: &TestApp, c: &Client, name: &str, versions: &[&str]) -> String {
    let (s, id) = app
        .call(
            c,
            "integrations/create_integration",
            &[("name", name), ("description", "Sync things")],
        )
        .await;
    assert!(s.is_success(), "{id}");
    let id = id.as_str().unwrap().to_string();
    for v in versions {
        let (s, b) = app
            .call(
                c,
                "integrations/add_version",
                &[("id", &id), ("version", v)],
            )
            .await;
        assert!(s.is_success(), "{b}");
    }
    id
}

async fn sharing(app: &TestApp, c: &Client, id: &str) -> Value {
    let (s, b) = app.call(c, "integrations/get_sharing", &[("id", id)]).await;
    assert!(s.is_success(), "{b}");
    b
}

fn link_token(page: &Value, version: Option<&str>) -> String {
    let link = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["version"].as_str() == version && l["rotated"] == false)
        .unwrap();
    link["url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string()
}

async fn make_collaborator(app: &TestApp, integration: &str, email: &str) {
    sqlx::query(
        "INSERT INTO team_members (integration_id, user_id, email, role, status, accepted_at) \
         SELECT $1, id, email, 'collaborator', 'accepted', now() FROM users WHERE email = $2",
    )
    .bind(Uuid::parse_str(integration).unwrap())
    .bind(email)
    .execute(&app.pool)
    .await
    .unwrap();
}

// covers: SH-1, AC-3, TM-2, X-1
#[sqlx::test(migrations = "../migrations")]
async fn the_directory_shows_public_only_and_private_is_a_404_to_outsiders(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let admin = app.signed_in("Ann Admin", "ann@example.com").await;
    let public = create(&app, &admin, "Acme CRM", &["1.0.0"]).await;
    let private = create(&app, &admin, "Acme Secret", &["1.0.0"]).await;
    let (s, _) = app
        .call(
            &admin,
            "integrations/set_visibility",
            &[("id", &public), ("visibility", "public")],
        )
        .await;
    assert!(s.is_success());

    let user = app.signed_in("Una User", "una@example.com").await;
    let (_, found) = app
        .call(&user, "integrations/search_directory", &[("q", "acme")])
        .await;
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme CRM"]);
    let (_, exact) = app
        .call(
            &user,
            "integrations/search_directory",
            &[("q", "Acme Secret")],
        )
        .await;
    assert_eq!(
        exact.as_array().unwrap().len(),
        0,
        "private ones never appear, not even by exact name"
    );
    let (s, _) = app
        .call(&app.client(), "integrations/search_directory", &[("q", "")])
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Every route answers an outsider about the private one exactly as about a made-up id.
    let fake = Uuid::new_v4().to_string();
    let (_, page) = app
        .call(&admin, "integrations/get_sharing", &[("id", &private)])
        .await;
    let link = page["links"][0]["id"].as_str().unwrap().to_string();
    let una: (Uuid,) = sqlx::query_as("SELECT id FROM users WHERE email = 'una@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let una = una.0.to_string();
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("integrations/get_integration", vec![]),
        ("integrations/get_sharing", vec![]),
        ("integrations/add_version", vec![("version", "9.9.9")]),
        ("integrations/edit_integration", vec![("name", "Hijacked")]),
        (
            "integrations/set_visibility",
            vec![("visibility", "public")],
        ),
        ("integrations/rotate_link", vec![("link_id", &link)]),
        ("integrations/revoke_preview", vec![("user_id", &una)]),
        ("integrations/revoke_access", vec![("user_id", &una)]),
        (
            "integrations/invite_by_email",
            vec![("emails", "x@example.com")],
        ),
        ("integrations/resend_invite", vec![("invite_id", &link)]),
        ("integrations/cancel_invite", vec![("invite_id", &link)]),
    ];
    let before = app.count("history").await;
    for (endpoint, extra) in &cases {
        let mut real = vec![("id", private.as_str())];
        real.extend(extra.iter().cloned());
        let mut made_up = vec![("id", fake.as_str())];
        made_up.extend(extra.iter().cloned());
        let (s1, b1) = app.call(&user, endpoint, &real).await;
        let (s2, b2) = app.call(&user, endpoint, &made_up).await;
        assert_eq!(s1, StatusCode::NOT_FOUND, "{endpoint}: {b1}");
        assert_eq!((s1, b1), (s2, b2), "{endpoint}");
    }
    assert_eq!(
        app.count("history").await,
        before,
        "outsiders changed nothing"
    );

    // A collaborator reads everything but the links, and every write is refused.
    make_collaborator(&app, &private, "una@example.com").await;
    let page = sharing(&app, &user, &private).await;
    assert!(
        page["links"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l["url"].is_null()),
        "collaborators do not get the links"
    );
    for (endpoint, extra) in &cases[2..] {
        let mut form = vec![("id", private.as_str())];
        form.extend(extra.iter().cloned());
        let (s, b) = app.call(&user, endpoint, &form).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{endpoint}: {b}");
    }
    assert_eq!(app.count("history").await, before);
}

// covers: SH-2, TM-9, X-2
#[sqlx::test(migrations = "../migrations")]
async fn links_admit_people_and_rotation_keeps_those_already_in(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let admin = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = create(&app, &admin, "Acme Billing", &["1.0.0", "1.1.0"]).await;
    sqlx::query("INSERT INTO integration_contacts (integration_id, kind, user_id) SELECT $1, 'marketing', id FROM users WHERE email = 'ann@example.com'")
        .bind(Uuid::parse_str(&id).unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    let page = sharing(&app, &admin, &id).await;
    assert_eq!(
        page["links"].as_array().unwrap().len(),
        3,
        "one for all versions and one per version"
    );
    let v11 = link_token(&page, Some("1.1.0"));
    let stored: Vec<(Vec<u8>, Option<Vec<u8>>)> =
        sqlx::query_as("SELECT token_hash, token_ciphertext FROM invite_links")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(
        stored
            .iter()
            .all(|(h, c)| h != v11.as_bytes() && c.as_deref() != Some(v11.as_bytes())),
        "stored hashed and sealed"
    );

    // Signed out, the landing asks to sign in; signed in, it shows the integration and its marketing contact.
    let (s, _) = app
        .call(
            &app.client(),
            "integrations/link_landing",
            &[("token", &v11)],
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let bo = app.signed_in("Bo", "bo@example.com").await;
    let (_, landing) = app
        .call(&bo, "integrations/link_landing", &[("token", &v11)])
        .await;
    assert_eq!(landing["name"], "Acme Billing");
    assert_eq!(landing["version"], "1.1.0");
    assert_eq!(landing["marketing_contact"][1], "ann@example.com");
    assert_eq!(landing["has_access"], false);
    let (s, _) = app
        .call(&bo, "integrations/accept_link", &[("token", &v11)])
        .await;
    assert!(s.is_success());
    let (_, again) = app
        .call(&bo, "integrations/accept_link", &[("token", &v11)])
        .await;
    assert!(!again.is_null());
    let (grants,): (i64,) = sqlx::query_as("SELECT count(*) FROM access_grants")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(grants, 1, "accepting twice grants once");
    let (_, mine) = app.call(&bo, "integrations/my_integrations", &[]).await;
    assert_eq!(mine["shared"][0]["name"], "Acme Billing");

    // Rotate: the old link stops admitting; Bo keeps access; the screen says who joined where.
    let link_id = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["version"] == "1.1.0")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, _) = app
        .call(
            &admin,
            "integrations/rotate_link",
            &[("id", &id), ("link_id", &link_id)],
        )
        .await;
    assert!(s.is_success());
    let cy = app.signed_in("Cy", "cy@example.com").await;
    let (s, b) = app
        .call(&cy, "integrations/link_landing", &[("token", &v11)])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(message(&b).contains("no longer valid"));
    let (s, _) = app
        .call(&cy, "integrations/accept_link", &[("token", &v11)])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let page = sharing(&app, &admin, &id).await;
    let old = page["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == link_id.as_str())
        .unwrap();
    assert_eq!(old["rotated"], true);
    assert_eq!(old["joined"][0]["email"], "bo@example.com");
    assert_eq!(
        page["access"][0]["email"], "bo@example.com",
        "those already in keep access"
    );
    let fresh = link_token(&page, Some("1.1.0"));
    assert_ne!(fresh, v11);
    let (s, _) = app
        .call(&cy, "integrations/accept_link", &[("token", &fresh)])
        .await;
    assert!(s.is_success());
    let actions: Vec<(String,)> = sqlx::query_as("SELECT action FROM history WHERE integration_id IS NOT NULL AND action LIKE 'link%' OR action LIKE 'access%' ORDER BY id")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let actions: Vec<&str> = actions.iter().map(|(a,)| a.as_str()).collect();
    assert_eq!(
        actions,
        ["access.granted", "link.rotated", "access.granted"]
    );
}

// covers: SH-6, SH-7, SH-1, X-5
#[sqlx::test(migrations = "../migrations")]
async fn revoking_pauses_exactly_the_zaps_using_that_version(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let admin = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = create(&app, &admin, "Acme Billing", &["1.0.0", "1.1.0"]).await;
    let other = create(&app, &admin, "Other Thing", &["1.0.0"]).await;
    let page = sharing(&app, &admin, &id).await;
    let bo = app.signed_in("Bo", "bo@example.com").await;
    for v in ["1.0.0", "1.1.0"] {
        app.call(
            &bo,
            "integrations/accept_link",
            &[("token", &link_token(&page, Some(v)))],
        )
        .await;
    }
    let other_page = sharing(&app, &admin, &other).await;
    app.call(
        &bo,
        "integrations/accept_link",
        &[("token", &link_token(&other_page, None))],
    )
    .await;

    // Bo's Zaps in an account of theirs.
    let (_, account) = app
        .call(&bo, "accounts/create_account", &[("name", "Bo Co")])
        .await;
    let account = Uuid::parse_str(account.as_str().unwrap()).unwrap();
    let version = |int: &str, v: &str| {
        let pool = app.pool.clone();
        let (int, v) = (Uuid::parse_str(int).unwrap(), v.to_string());
        async move {
            let (id,): (Uuid,) = sqlx::query_as(
                "SELECT id FROM integration_versions WHERE integration_id = $1 AND version = $2",
            )
            .bind(int)
            .bind(v)
            .fetch_one(&pool)
            .await
            .unwrap();
            id
        }
    };
    let (v10, v11, o10) = (
        version(&id, "1.0.0").await,
        version(&id, "1.1.0").await,
        version(&other, "1.0.0").await,
    );
    let mut zap = std::collections::HashMap::new();
    for (name, enabled, uses) in [
        ("uses 1.1.0", true, Some(v11)),
        ("uses 1.0.0", true, Some(v10)),
        ("off on 1.1.0", false, Some(v11)),
        ("other integration", true, Some(o10)),
        ("no integration", true, None),
    ] {
        let (z,): (Uuid,) = sqlx::query_as("INSERT INTO zaps (account_id, owner_id, name, enabled) SELECT $1, id, $2, $3 FROM users WHERE email = 'bo@example.com' RETURNING id")
            .bind(account)
            .bind(name)
            .bind(enabled)
            .fetch_one(&app.pool)
            .await
            .unwrap();
        if let Some(v) = uses {
            sqlx::query("INSERT INTO zap_versions (zap_id, version_id) VALUES ($1, $2)")
                .bind(z)
                .bind(v)
                .execute(&app.pool)
                .await
                .unwrap();
        }
        zap.insert(name, z);
    }
    let bo_id: (Uuid,) = sqlx::query_as("SELECT id FROM users WHERE email = 'bo@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let bo_id = bo_id.0.to_string();
    let v11s = v11.to_string();

    let (s, preview) = app
        .call(
            &admin,
            "integrations/revoke_preview",
            &[("id", &id), ("user_id", &bo_id), ("version_id", &v11s)],
        )
        .await;
    assert!(s.is_success(), "{preview}");
    assert_eq!(preview["zaps_to_pause"], 1);
    assert_eq!(preview["scope"], "version 1.1.0");
    let (s, paused) = app
        .call(
            &admin,
            "integrations/revoke_access",
            &[("id", &id), ("user_id", &bo_id), ("version_id", &v11s)],
        )
        .await;
    assert!(s.is_success());
    assert_eq!(paused, 1, "the preview matched");
    let state = |name: &'static str| {
        let pool = app.pool.clone();
        let z = zap[name];
        async move {
            let r: (bool, Option<String>) =
                sqlx::query_as("SELECT enabled, paused_reason FROM zaps WHERE id = $1")
                    .bind(z)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            r
        }
    };
    assert_eq!(
        state("uses 1.1.0").await,
        (false, Some("Access to Acme Billing was revoked".into()))
    );
    for name in ["uses 1.0.0", "other integration", "no integration"] {
        assert_eq!(state(name).await, (true, None), "{name} untouched");
    }
    assert_eq!(
        state("off on 1.1.0").await,
        (false, None),
        "already off: untouched"
    );

    // Revoking a version they no longer have is refused and changes nothing.
    let before = app.count("history").await;
    let (s, _) = app
        .call(
            &admin,
            "integrations/revoke_access",
            &[("id", &id), ("user_id", &bo_id), ("version_id", &v11s)],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert_eq!(app.count("history").await, before);

    // Remove from all versions (SH-7): the 1.0.0 Zap pauses too; the other integration's does not.
    let (s, paused) = app
        .call(
            &admin,
            "integrations/revoke_access",
            &[("id", &id), ("user_id", &bo_id)],
        )
        .await;
    assert!(s.is_success());
    assert_eq!(paused, 1);
    assert!(!state("uses 1.0.0").await.0);
    assert_eq!(state("other integration").await, (true, None));

    // Without access, the owner cannot switch the paused Zap back on.
    let switch_on = |name: &'static str| {
        let (a, z) = (account.to_string(), zap[name].to_string());
        let bo = bo.clone();
        let app = &app;
        async move {
            app.call(
                &bo,
                "work/set_zap_enabled",
                &[("account_id", &a), ("zap_id", &z), ("on", "true")],
            )
            .await
        }
    };
    let (s, b) = switch_on("uses 1.1.0").await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(
        message(&b).contains("no longer have access to Acme Billing 1.1.0"),
        "{b}"
    );
    assert!(!state("uses 1.1.0").await.0);

    // Going public restores the right to use it; paused Zaps stay paused until their owner acts.
    app.call(
        &admin,
        "integrations/set_visibility",
        &[("id", &id), ("visibility", "public")],
    )
    .await;
    let (_, found) = app
        .call(&bo, "integrations/search_directory", &[("q", "Billing")])
        .await;
    assert_eq!(found[0]["name"], "Acme Billing");
    assert!(!state("uses 1.1.0").await.0, "paused Zaps stay paused");
    let (s, b) = switch_on("uses 1.1.0").await;
    assert!(s.is_success(), "{b}");
    assert_eq!(
        state("uses 1.1.0").await,
        (true, None),
        "switched on by its owner, the pause reason is gone"
    );
    let actions: Vec<(String, Value)> = sqlx::query_as(
        "SELECT action, after FROM history WHERE action LIKE 'access.re%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(actions[0].0, "access.revoked");
    assert_eq!(actions[1].0, "access.removed_from_all");
    assert_eq!(actions[1].1["zaps_paused"], 1);
}

//
#[sqlx::test(migrations = "../migrations")]
async fn bad_versions_and_names_are_refused(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let admin = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = create(&app, &admin, "Acme", &["1.0.0"]).await;
    for (v, msg) in [
        ("1.0", "not a version"),
        ("01.0.0", "not a version"),
        ("1.0.0", "exists already"),
    ] {
        let (s, b) = app
            .call(
                &admin,
                "integrations/add_version",
                &[("id", &id), ("version", v)],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(error_field(&b).unwrap().1.contains(msg), "{v}: {b}");
    }
    let (s, b) = app
        .call(&admin, "integrations/create_integration", &[("name", " ")])
        .await;
    assert_eq!(
        (s, error_field(&b).unwrap().0),
        (StatusCode::UNPROCESSABLE_ENTITY, "name")
    );
    let second = create(&app, &admin, "Acme", &[]).await;
    let (_, p) = app
        .call(&admin, "integrations/get_integration", &[("id", &second)])
        .await;
    assert_eq!(p["slug"], "acme-2", "slugs stay unique");
}

// An integration made before every version had its links (or whose links went missing)
// gets them when a server starts; a second start makes none.
// covers: SH-1, SH-2
#[sqlx::test(migrations = "../migrations")]
async fn every_integration_and_version_gets_its_invite_link_at_start(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = person(&app.pool, "Ann Admin", "ann@example.com").await;
    let st = &app.state;
    let id = app::integrations::service::create(st, &ann, "Legacy", "")
        .await
        .unwrap();
    for v in ["1.0.0", "2.0.0"] {
        app::integrations::service::add_version(st, &ann, id, v)
            .await
            .unwrap();
    }
    let active = |pool: PgPool| async move {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM invite_links WHERE integration_id = $1 AND active",
        )
        .bind(id)
        .fetch_one(&pool)
        .await
        .unwrap();
        n
    };
    assert_eq!(
        active(app.pool.clone()).await,
        3,
        "all versions, 1.0.0, 2.0.0"
    );
    // As the data was before links were made for every integration.
    sqlx::query("DELETE FROM invite_links WHERE integration_id = $1 AND version_id IS NOT NULL")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(active(app.pool.clone()).await, 1);
    // And the remaining one as links were before they were kept: no token to show.
    sqlx::query("UPDATE invite_links SET token_key_id = NULL, token_nonce = NULL, token_ciphertext = NULL WHERE integration_id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let keyring = &st.config.keyring;
    // Two servers starting together make each missing link once.
    let (a, b) = tokio::join!(
        app::integrations::service::backfill_links(&app.pool, keyring),
        app::integrations::service::backfill_links(&app.pool, keyring)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 3);
    assert_eq!(active(app.pool.clone()).await, 3);
    assert_eq!(
        app::integrations::service::backfill_links(&app.pool, keyring)
            .await
            .unwrap(),
        0
    );
    // The Sharing screen shows a working URL for each.
    let page = app::integrations::service::sharing(st, &ann, id)
        .await
        .unwrap();
    let live: Vec<_> = page.links.iter().filter(|l| !l.rotated).collect();
    assert_eq!(live.len(), 3);
    assert!(live
        .iter()
        .all(|l| l.url.as_deref().is_some_and(|u| u.contains("/join/"))));
}

// What someone who may use an integration sees of it, and nobody else.
// covers: SH-1, SH-2, SH-3
#[sqlx::test(migrations = "../migrations")]
async fn the_use_page_shows_the_usable_versions_and_the_roads_and_nothing_to_outsiders(
    pool: PgPool,
) {
    let app = TestApp::start(pool).await;
    let st = &app.state;
    let ann = person(&app.pool, "Ann Admin", "ann@example.com").await;
    let ivy = person(&app.pool, "Ivy User", "ivy@example.com").await;
    let eve = person(&app.pool, "Eve Outsider", "eve@example.com").await;
    let id = app::integrations::service::create(st, &ann, "Private CRM", "Sync")
        .await
        .unwrap();
    let v1 = app::integrations::service::add_version(st, &ann, id, "1.0.0")
        .await
        .unwrap();
    app::integrations::service::add_version(st, &ann, id, "2.0.0")
        .await
        .unwrap();
    sqlx::query("INSERT INTO access_grants (integration_id, user_id, version_id, via) VALUES ($1, $2, $3, 'link')")
        .bind(id)
        .bind(ivy.id)
        .bind(v1)
        .execute(&app.pool)
        .await
        .unwrap();

    let seen = app::integrations::service::usable(st, &ivy, id)
        .await
        .unwrap();
    assert_eq!(
        seen.versions,
        ["1.0.0"],
        "only the version her grant covers"
    );
    assert_eq!(seen.roads.len(), 1);
    assert_eq!(
        (seen.roads[0].via.as_str(), seen.roads[0].version.as_deref()),
        ("link", Some("1.0.0"))
    );
    assert!(!seen.on_team);
    // A wrong id and someone without access get the same answer.
    for (who, what) in [(&eve, id), (&ivy, Uuid::new_v4())] {
        assert!(matches!(
            app::integrations::service::usable(st, who, what).await,
            Err(app::error::AppError::NotFound)
        ));
    }
    // The team sees the page (its screens are linked) but the access rule is the same for
    // everyone: no grant, no version to use while private. Once public, everyone may use all.
    let team = app::integrations::service::usable(st, &ann, id)
        .await
        .unwrap();
    assert!(team.on_team);
    assert!(team.versions.is_empty(), "{:?}", team.versions);
    sqlx::query("UPDATE integrations SET visibility = 'public' WHERE id = $1")
        .bind(id)
        .execute(&app.pool)
        .await
        .unwrap();
    let public = app::integrations::service::usable(st, &eve, id)
        .await
        .unwrap();
    assert_eq!(public.versions, ["1.0.0", "2.0.0"]);
    assert!(public.roads.is_empty());
}
