//! Self-serve joining (SJ-1, SJ-2) and the embeddable widget (SJ-3).
mod common;
use common::*;
use reqwest::{Client, StatusCode};
use sqlx::PgPool;

async fn public_integration(app: &TestApp, c: &Client, name: &str) -> String {
    let (_, id) = app
        .call(c, "integrations/create_integration", &[("name", name)])
        .await;
    let id = id.as_str().unwrap().to_string();
    let (s, _) = app
        .call(
            c,
            "integrations/set_visibility",
            &[("id", &id), ("visibility", "public")],
        )
        .await;
    assert!(s.is_success());
    id
}

async fn domains(app: &TestApp, id: &str) -> (bool, Vec<String>) {
    sqlx::query_as(
        "SELECT i.join_enabled, coalesce((SELECT array_agg(domain ORDER BY domain) FROM join_domains WHERE integration_id = i.id), '{}') \
         FROM integrations i WHERE i.id = $1::uuid",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Signed up and signed in, but the address never verified.
async fn unverified(app: &TestApp, email: &str) -> Client {
    app.unverified("Una Verified", email, PASSWORD).await
}

// covers: SJ-1
#[sqlx::test(migrations = "../migrations")]
async fn joining_is_offered_on_public_integrations_only_with_checked_domains(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let (_, id) = app
        .call(
            &ann,
            "integrations/create_integration",
            &[("name", "Private One")],
        )
        .await;
    let id = id.as_str().unwrap().to_string();
    // Private: refused, nothing stored.
    let (s, b) = app
        .call(
            &ann,
            "join/settings",
            &[
                ("id", &id),
                ("enabled", "on"),
                ("domains", "partner.example"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_field(&b).unwrap().0, "enabled");
    assert_eq!(domains(&app, &id).await, (false, vec![]));
    // The database refuses it too.
    let direct = sqlx::query("UPDATE integrations SET join_enabled = true WHERE id = $1::uuid")
        .bind(&id)
        .execute(&app.pool)
        .await;
    assert!(direct.is_err());

    app.call(
        &ann,
        "integrations/set_visibility",
        &[("id", &id), ("visibility", "public")],
    )
    .await;
    // Bad and repeated domains refuse the whole list.
    for (list, why) in [
        ("partner.example\nPARTNER.example", "listed twice"),
        ("partner.example\nhttps://x.example", "not a domain"),
        ("*.partner.example", "not a domain"),
        ("localhost", "not a valid domain"),
    ] {
        let (s, b) = app
            .call(
                &ann,
                "join/settings",
                &[("id", &id), ("enabled", "on"), ("domains", list)],
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{list}");
        assert!(error_field(&b).unwrap().1.contains(why), "{list}: {b}");
        assert_eq!(domains(&app, &id).await, (false, vec![]));
    }
    let (s, b) = app
        .call(
            &ann,
            "join/settings",
            &[("id", &id), ("enabled", "on"), ("domains", "")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app
        .call(
            &ann,
            "join/settings",
            &[
                ("id", &id),
                ("enabled", "on"),
                ("domains", " @Partner.Example \n bücher.de "),
            ],
        )
        .await;
    assert!(s.is_success(), "{b}");
    assert_eq!(
        domains(&app, &id).await,
        (
            true,
            vec!["partner.example".into(), "xn--bcher-kva.de".into()]
        )
    );
    // Going private switches joining off (the domains stay for later).
    app.call(
        &ann,
        "integrations/set_visibility",
        &[("id", &id), ("visibility", "private")],
    )
    .await;
    assert!(!domains(&app, &id).await.0);
    // Collaborators and strangers cannot change it.
    let sam = app.signed_in("Sam", "sam@example.com").await;
    let (s, _) = app
        .call(
            &sam,
            "join/settings",
            &[("id", &id), ("domains", "x.example")],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

// covers: SJ-2, TM-4, AC-2, AC-3
#[sqlx::test(migrations = "../migrations")]
async fn only_verified_addresses_on_a_listed_domain_join_and_admins_hear_of_it(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@partner.example").await;
    let id = public_integration(&app, &ann, "Acme CRM").await;
    app.call(
        &ann,
        "join/settings",
        &[
            ("id", &id),
            ("enabled", "on"),
            ("domains", "partner.example"),
        ],
    )
    .await;
    // A second admin, to check every admin is told.
    app.call(
        &ann,
        "team/invite_member",
        &[("id", &id), ("email", "bo@example.com"), ("role", "admin")],
    )
    .await;
    let t = app.mailed_token("bo@example.com", "/team-invite/").await;
    let bo = app.signed_in("Bo", "bo@example.com").await;
    app.call(&bo, "team/accept_invitation", &[("token", &t)])
        .await;
    // Other integrations: one with joining off, one private (with the same domain listed before).
    let off = public_integration(&app, &ann, "Acme Off").await;
    let private = public_integration(&app, &ann, "Acme Secret").await;
    app.call(
        &ann,
        "join/settings",
        &[
            ("id", &private),
            ("enabled", "on"),
            ("domains", "partner.example"),
        ],
    )
    .await;
    app.call(
        &ann,
        "integrations/set_visibility",
        &[("id", &private), ("visibility", "private")],
    )
    .await;

    // The search lists only public integrations that take joins.
    let pia = app.signed_in("Pia Partner", "pia@partner.example").await;
    let (_, found) = app.call(&pia, "join/search", &[("q", "Acme")]).await;
    let names: Vec<&str> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Acme CRM"]);

    // Refusals all read alike and write nothing but the rate-limit record.
    let una = unverified(&app, "una@partner.example").await;
    let sub = app.signed_in("Sub", "sub@eu.partner.example").await;
    let other = app.signed_in("Oz", "oz@elsewhere.example").await;
    let before = (app.count("team_members").await, app.count("outbox").await);
    let mut bodies = Vec::new();
    for (who, target) in [
        (&una, &id),
        (&sub, &id),
        (&other, &id),
        (&pia, &off),
        (&pia, &private),
        (&pia, &"00000000-0000-0000-0000-000000000001".to_string()),
    ] {
        let (s, b) = app
            .call(who, "join/request", &[("integration_id", target)])
            .await;
        assert_eq!(s, StatusCode::CONFLICT, "{b}");
        bodies.push(b);
    }
    assert!(bodies.windows(2).all(|w| w[0] == w[1]), "{bodies:?}");
    assert_eq!(
        (app.count("team_members").await, app.count("outbox").await),
        before
    );

    // Pia is eligible: an invitation mail; asking again at once sends nothing new.
    let (s, b) = app
        .call(&pia, "join/request", &[("integration_id", &id)])
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b, "Sent");
    let mails = app.count("outbox").await;
    let (_, b) = app
        .call(&pia, "join/request", &[("integration_id", &id)])
        .await;
    assert_eq!(b, "AlreadySent");
    assert_eq!(app.count("outbox").await, mails);

    let token = app
        .mailed_token("pia@partner.example", "/team-invite/")
        .await;
    let (s, b) = app
        .call(&pia, "team/accept_invitation", &[("token", &token)])
        .await;
    assert!(s.is_success() || s.is_redirection(), "{b}");
    let (_, team) = app.call(&pia, "team/get_team", &[("id", &id)]).await;
    assert_eq!(team["my_role"], "collaborator");
    let told: Vec<(String,)> = sqlx::query_as("SELECT to_addr FROM outbox WHERE subject = 'Pia Partner joined the Acme CRM team' ORDER BY to_addr")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        told,
        [
            ("ann@partner.example".to_string(),),
            ("bo@example.com".to_string(),)
        ]
    );
    let (_, b) = app
        .call(&pia, "join/request", &[("integration_id", &id)])
        .await;
    assert_eq!(b, "AlreadyMember");

    // Through the widget anyone may type an address, but only its verified owner joins:
    // Una (signed up, never verified) holds the mailed link and still cannot accept.
    let res = app
        .client()
        .post(format!("{}/widget/join/{id}", app.base))
        .form(&[("email", "una@partner.example"), ("host", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let token = app
        .mailed_token("una@partner.example", "/team-invite/")
        .await;
    let (s, b) = app
        .call(&una, "team/accept_invitation", &[("token", &token)])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(message(&b).contains("Verify your email"), "{b}");
    let (status,): (String,) =
        sqlx::query_as("SELECT status FROM team_members WHERE email = 'una@partner.example'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(status, "pending");
}

// covers: SJ-2, TM-1
#[sqlx::test(migrations = "../migrations")]
async fn the_cap_and_the_rate_limits_hold_for_joiners(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = public_integration(&app, &ann, "Acme CRM").await;
    app.call(
        &ann,
        "join/settings",
        &[
            ("id", &id),
            ("enabled", "on"),
            ("domains", "partner.example"),
        ],
    )
    .await;
    sqlx::query(
        "INSERT INTO team_members (integration_id, email, role, status, expires_at) \
         SELECT $1::uuid, 'p' || g || '@example.com', 'collaborator', 'pending', now() + interval '1 day' FROM generate_series(1, 199) g",
    )
    .bind(&id)
    .execute(&app.pool)
    .await
    .unwrap();
    let pia = app.signed_in("Pia", "pia@partner.example").await;
    let before = app.count("team_members").await;
    let (s, b) = app
        .call(&pia, "join/request", &[("integration_id", &id)])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(message(&b).contains("at most 200"), "{b}");
    assert_eq!(app.count("team_members").await, before);
    // Five requests an hour per person, counted whether they succeed or not.
    for _ in 0..3 {
        app.call(&pia, "join/request", &[("integration_id", &id)])
            .await;
    }
    sqlx::query("DELETE FROM team_members WHERE email = 'p1@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (s, b) = app
        .call(&pia, "join/request", &[("integration_id", &id)])
        .await;
    assert_eq!(s, StatusCode::OK, "the fifth: {b}");
    let (s, _) = app
        .call(&pia, "join/request", &[("integration_id", &id)])
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

// covers: SJ-3
#[sqlx::test(migrations = "../migrations")]
async fn the_widget_is_framed_by_listed_origins_only_and_sends_the_join_mail(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = public_integration(&app, &ann, "Acme CRM").await;
    app.call(
        &ann,
        "join/settings",
        &[
            ("id", &id),
            ("enabled", "on"),
            ("domains", "partner.example"),
        ],
    )
    .await;
    // Origins are checked and normalised.
    let (s, b) = app
        .call(
            &ann,
            "join/add_origin",
            &[("id", &id), ("origin", "https://partner.example/page")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, b) = app
        .call(
            &ann,
            "join/add_origin",
            &[("id", &id), ("origin", "HTTPS://Partner.Example/")],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(b, "https://partner.example");
    app.call(
        &ann,
        "join/add_origin",
        &[("id", &id), ("origin", "http://localhost:4000")],
    )
    .await;
    let (s, _) = app
        .call(
            &ann,
            "join/add_origin",
            &[("id", &id), ("origin", "https://partner.example")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "duplicates refused");

    let anon = app.client();
    let fetch = |path: String, dest: Option<&'static str>| {
        let anon = anon.clone();
        let base = app.base.clone();
        async move {
            let mut req = anon.get(format!("{base}{path}"));
            if let Some(d) = dest {
                req = req.header("Sec-Fetch-Dest", d);
            }
            let res = req.send().await.unwrap();
            let status = res.status();
            let csp = res
                .headers()
                .get("content-security-policy")
                .unwrap()
                .to_str()
                .unwrap()
                .to_string();
            (status, csp, res.text().await.unwrap())
        }
    };
    let (s, csp, html) = fetch(
        format!("/widget/join/{id}?host=https%3A%2F%2Fpartner.example"),
        Some("iframe"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        csp.ends_with("frame-ancestors http://localhost:4000 https://partner.example"),
        "{csp}"
    );
    assert!(html.contains("Join the Acme CRM team") && html.contains("type=\"email\""));
    // Light and independent of the app: no WASM, no hydration script, only its own script and style.
    assert!(!html.contains("/pkg/"), "{html}");
    let (_, _, js) = fetch("/embed.js".into(), None).await;
    let (_, _, wjs) = fetch("/widget.js".into(), None).await;
    let (_, _, css) = fetch("/widget.css".into(), None).await;
    let total = html.len() + js.len() + wjs.len() + css.len();
    assert!(total < 30 * 1024, "first load is {total} bytes");
    // Framed for an unlisted origin, or framed without saying for whom: refused, and not frameable.
    for path in [
        format!("/widget/join/{id}?host=https%3A%2F%2Fevil.example"),
        format!("/widget/join/{id}"),
    ] {
        let (s, csp, html) = fetch(path, Some("iframe")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(!html.contains("type=\"email\""));
    }
    // A private integration has no widget at all.
    app.call(
        &ann,
        "integrations/set_visibility",
        &[("id", &id), ("visibility", "private")],
    )
    .await;
    let (s, _, _) = fetch(
        format!("/widget/join/{id}?host=https%3A%2F%2Fpartner.example"),
        Some("iframe"),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    app.call(
        &ann,
        "integrations/set_visibility",
        &[("id", &id), ("visibility", "public")],
    )
    .await;
    app.call(
        &ann,
        "join/settings",
        &[
            ("id", &id),
            ("enabled", "on"),
            ("domains", "partner.example"),
        ],
    )
    .await;

    // The form: an eligible address gets the mail, an ineligible one the refusal, nothing else is written.
    let post = |email: &'static str, site: &'static str| {
        let anon = anon.clone();
        let base = app.base.clone();
        let id = id.clone();
        async move {
            let res = anon
                .post(format!("{base}/widget/join/{id}"))
                .header("Sec-Fetch-Site", site)
                .form(&[("email", email), ("host", "https://partner.example")])
                .send()
                .await
                .unwrap();
            (res.status(), res.text().await.unwrap())
        }
    };
    let mails = app.count("outbox").await;
    let (s, html) = post("visitor@elsewhere.example", "same-origin").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(html.contains("cannot join this team"), "{html}");
    assert_eq!(app.count("outbox").await, mails);
    let (s, _) = post("visitor@partner.example", "cross-site").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "cross-site posts are refused");
    let (s, html) = post("visitor@partner.example", "same-origin").await;
    assert_eq!(s, StatusCode::OK, "{html}");
    assert!(
        html.contains("We sent an invitation to visitor@partner.example"),
        "{html}"
    );
    let token = app
        .mailed_token("visitor@partner.example", "/team-invite/")
        .await;
    // The link finishes in Gatehouse: sign up with that address, verify, accept.
    let visitor = app
        .signed_in("Vic Visitor", "visitor@partner.example")
        .await;
    let (s, _) = app
        .call(&visitor, "team/accept_invitation", &[("token", &token)])
        .await;
    assert!(s.is_success() || s.is_redirection());
    let (_, team) = app.call(&ann, "team/get_team", &[("id", &id)]).await;
    let row = team["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == "visitor@partner.example")
        .unwrap()
        .clone();
    assert_eq!(
        (
            row["role"].as_str(),
            row["status"].as_str(),
            row["source"].as_str()
        ),
        (Some("collaborator"), Some("accepted"), Some("join"))
    );
}
