//! The integration team (TM-1 … TM-9): invitations with a note and a role ceiling, removal
//! and the last-admin guard, contacts, the cap, subscriptions, and what collaborators may do.
mod common;
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;

async fn integration(app: &TestApp, c: &Client, name: &str) -> String {
    let (s, id) = app
        .call(c, "integrations/create_integration", &[("name", name)])
        .await;
    assert!(s.is_success() || s.is_redirection(), "{s} {id}");
    id.as_str().unwrap().to_string()
}

/// Invite `email` with `role` as `by`, and have them (signed up and verified) accept it.
async fn member(
    app: &TestApp,
    by: &Client,
    id: &str,
    name: &str,
    email: &str,
    role: &str,
) -> Client {
    let (s, b) = app
        .call(
            by,
            "team/invite_member",
            &[("id", id), ("email", email), ("role", role)],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let token = app.mailed_token(email, "/team-invite/").await;
    let c = app.signed_in(name, email).await;
    let (s, b) = app
        .call(&c, "team/accept_invitation", &[("token", &token)])
        .await;
    assert!(s.is_success() || s.is_redirection(), "accept {s} {b}");
    c
}

async fn team(app: &TestApp, c: &Client, id: &str) -> (StatusCode, Value) {
    app.call(c, "team/get_team", &[("id", id)]).await
}

fn row<'a>(team: &'a Value, email: &str) -> &'a Value {
    team["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["email"] == email)
        .unwrap_or_else(|| panic!("{email} not on the team: {team}"))
}

async fn team_rows(app: &TestApp) -> (i64, i64) {
    sqlx::query_as("SELECT (SELECT count(*) FROM team_members), (SELECT count(*) FROM outbox)")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

// covers: TM-3, TM-4, TM-2, X-2
#[sqlx::test(migrations = "../migrations")]
async fn invitation_carries_the_note_and_collaborators_cannot_invite_admins(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let admin = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = integration(&app, &admin, "Acme CRM").await;

    let (s, b) = app
        .call(
            &admin,
            "team/invite_member",
            &[
                ("id", &id),
                ("email", "Cole@Example.com"),
                ("role", "collaborator"),
                ("note", "Welcome aboard, Cole!"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (body,): (String,) =
        sqlx::query_as("SELECT body_text FROM outbox WHERE to_addr = 'cole@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(body.contains("Welcome aboard, Cole!"), "{body}");
    assert!(body.contains("as a collaborator"), "{body}");
    // Pending until accepted; listed with who invited.
    let (_, t) = team(&app, &admin, &id).await;
    assert_eq!(row(&t, "cole@example.com")["status"], "pending");
    assert_eq!(row(&t, "cole@example.com")["invited_by"], "Ann Admin");

    // A note left empty gets the role's default message.
    app.call(
        &admin,
        "team/invite_member",
        &[("id", &id), ("email", "dee@example.com"), ("role", "admin")],
    )
    .await;
    let dee = app.mailed_token("dee@example.com", "/team-invite/").await;
    assert!(!dee.is_empty());
    let (note,): (String,) =
        sqlx::query_as("SELECT note FROM team_members WHERE email = 'dee@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(note.contains("as an admin"), "{note}");

    let token = app.mailed_token("cole@example.com", "/team-invite/").await;
    let cole = app.signed_in("Cole Collab", "cole@example.com").await;
    let (s, landing) = app
        .call(&cole, "team/invitation", &[("token", &token)])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(landing["note"], "Welcome aboard, Cole!");
    assert_eq!(landing["role"], "collaborator");
    let (s, _) = app
        .call(&cole, "team/accept_invitation", &[("token", &token)])
        .await;
    assert!(s.is_success() || s.is_redirection());
    let (_, t) = team(&app, &cole, &id).await;
    assert_eq!(row(&t, "cole@example.com")["status"], "accepted");
    assert_eq!(t["my_role"], "collaborator");
    // The token is single-use.
    let (s, _) = app
        .call(&cole, "team/accept_invitation", &[("token", &token)])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);

    // A crafted request for the admin role from a collaborator is refused and writes nothing.
    let before = team_rows(&app).await;
    let (s, _) = app
        .call(
            &cole,
            "team/invite_member",
            &[("id", &id), ("email", "eve@example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(team_rows(&app).await, before);
    // Nor may a collaborator turn the pending admin invitation into their own.
    let (s, _) = app
        .call(
            &cole,
            "team/invite_member",
            &[
                ("id", &id),
                ("email", "dee@example.com"),
                ("role", "collaborator"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Collaborators invite collaborators.
    let (s, b) = app
        .call(
            &cole,
            "team/invite_member",
            &[
                ("id", &id),
                ("email", "eve@example.com"),
                ("role", "collaborator"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");

    // Someone else signed in cannot use Cole's invitation (another address), and a stranger sees no team.
    let stranger = app.signed_in("Sam Stranger", "sam@example.com").await;
    let eve_token = app.mailed_token("eve@example.com", "/team-invite/").await;
    let (s, _) = app
        .call(
            &stranger,
            "team/accept_invitation",
            &[("token", &eve_token)],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = team(&app, &stranger, &id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let actions: Vec<(String,)> =
        sqlx::query_as("SELECT action FROM history WHERE integration_id = $1::uuid ORDER BY id")
            .bind(&id)
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let actions: Vec<&str> = actions.iter().map(|(a,)| a.as_str()).collect();
    assert!(
        actions.contains(&"team.invited") && actions.contains(&"team.joined"),
        "{actions:?}"
    );
}

// covers: TM-5, TM-6
#[sqlx::test(migrations = "../migrations")]
async fn who_may_remove_whom_and_the_last_admin_stays(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = integration(&app, &ann, "Acme CRM").await;
    let cole = member(&app, &ann, &id, "Cole", "cole@example.com", "collaborator").await;
    let cara = member(&app, &ann, &id, "Cara", "cara@example.com", "collaborator").await;
    let _bob = member(&app, &ann, &id, "Bob", "bob@example.com", "admin").await;
    app.call(
        &ann,
        "team/invite_member",
        &[("id", &id), ("email", "pat@example.com"), ("role", "admin")],
    )
    .await;
    let (_, t) = team(&app, &ann, &id).await;
    let mid = |email: &str| row(&t, email)["id"].as_str().unwrap().to_string();

    // The last-admin guard: with Bob there, it does not bite yet; test it once Bob is gone.
    // Collaborators remove collaborators only: not an admin, not a pending admin invitation.
    for target in ["bob@example.com", "pat@example.com", "ann@example.com"] {
        let (s, _) = app
            .call(
                &cole,
                "team/remove_member",
                &[("id", &id), ("member_id", &mid(target))],
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{target}");
    }
    let (s, _) = app
        .call(
            &cole,
            "team/change_role",
            &[
                ("id", &id),
                ("member_id", &mid("cara@example.com")),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, b) = app
        .call(
            &cole,
            "team/remove_member",
            &[("id", &id), ("member_id", &mid("cara@example.com"))],
        )
        .await;
    assert!(s.is_success(), "{s} {b}");
    // Cara loses access on her very next request.
    let (s, _) = team(&app, &cara, &id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Admins remove anyone, including a pending invitation, whose link then stops working.
    let pat_token = app.mailed_token("pat@example.com", "/team-invite/").await;
    let (s, _) = app
        .call(
            &ann,
            "team/remove_member",
            &[("id", &id), ("member_id", &mid("pat@example.com"))],
        )
        .await;
    assert!(s.is_success());
    let pat = app.signed_in("Pat", "pat@example.com").await;
    let (s, _) = app
        .call(&pat, "team/accept_invitation", &[("token", &pat_token)])
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .call(
            &ann,
            "team/remove_member",
            &[("id", &id), ("member_id", &mid("bob@example.com"))],
        )
        .await;
    assert!(s.is_success());

    // A removed admin comes back only through an admin's invitation.
    let (s, _) = app
        .call(
            &cole,
            "team/invite_member",
            &[("id", &id), ("email", "bob@example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Ann is now the last accepted admin: she can neither leave, nor step down, nor be removed.
    let before = team_rows(&app).await;
    let (s, b) = app.call(&ann, "team/leave_team", &[("id", &id)]).await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(message(&b).contains("without an admin"), "{b}");
    let (s, _) = app
        .call(
            &ann,
            "team/change_role",
            &[
                ("id", &id),
                ("member_id", &mid("ann@example.com")),
                ("role", "collaborator"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = app
        .call(
            &ann,
            "team/remove_member",
            &[("id", &id), ("member_id", &mid("ann@example.com"))],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(team_rows(&app).await, before);

    // With a second admin, Ann may step down; then the new admin is the one kept.
    let (s, _) = app
        .call(
            &ann,
            "team/change_role",
            &[
                ("id", &id),
                ("member_id", &mid("cole@example.com")),
                ("role", "admin"),
            ],
        )
        .await;
    assert!(s.is_success());
    let (s, b) = app
        .call(
            &ann,
            "team/change_role",
            &[
                ("id", &id),
                ("member_id", &mid("ann@example.com")),
                ("role", "collaborator"),
            ],
        )
        .await;
    assert!(s.is_success(), "{b}");
    // A demoted admin loses admin powers on the next request.
    let (s, _) = app
        .call(
            &ann,
            "team/invite_member",
            &[("id", &id), ("email", "zed@example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Anyone may leave.
    let (s, _) = app.call(&ann, "team/leave_team", &[("id", &id)]).await;
    assert!(s.is_success() || s.is_redirection());
    let (s, _) = team(&app, &ann, &id).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.call(&cole, "team/leave_team", &[("id", &id)]).await;
    assert_eq!(s, StatusCode::CONFLICT, "the last admin stays");
}

// covers: TM-7, TM-9
#[sqlx::test(migrations = "../migrations")]
async fn contacts_move_between_members_and_stay_unique(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = integration(&app, &ann, "Acme CRM").await;
    let cole = member(&app, &ann, &id, "Cole", "cole@example.com", "collaborator").await;
    let _dana = member(&app, &ann, &id, "Dana", "dana@example.com", "collaborator").await;
    app.call(
        &ann,
        "team/invite_member",
        &[
            ("id", &id),
            ("email", "pat@example.com"),
            ("role", "collaborator"),
        ],
    )
    .await;
    let user = |email: &'static str| {
        let pool = app.pool.clone();
        async move {
            let (u,): (Uuid,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
                .bind(email)
                .fetch_one(&pool)
                .await
                .unwrap();
            u.to_string()
        }
    };
    let (cole_id, dana_id) = (
        user("cole@example.com").await,
        user("dana@example.com").await,
    );
    let contacts = || {
        let pool = app.pool.clone();
        let id = id.clone();
        async move {
            let rows: Vec<(String, String)> = sqlx::query_as(
                "SELECT c.kind, u.email FROM integration_contacts c JOIN users u ON u.id = c.user_id WHERE c.integration_id = $1::uuid ORDER BY kind",
            )
            .bind(id)
            .fetch_all(&pool)
            .await
            .unwrap();
            rows
        }
    };
    let mails = app.count("outbox").await;
    for kind in ["marketing", "technical"] {
        let (s, b) = app
            .call(
                &ann,
                "team/set_contact",
                &[("id", &id), ("kind", kind), ("user_id", &cole_id)],
            )
            .await;
        assert!(s.is_success(), "{b}");
    }
    assert_eq!(
        contacts().await,
        [
            ("marketing".into(), "cole@example.com".into()),
            ("technical".into(), "cole@example.com".into())
        ]
    );
    // Moving the marketing contact takes it from Cole; he keeps the technical one.
    app.call(
        &ann,
        "team/set_contact",
        &[("id", &id), ("kind", "marketing"), ("user_id", &dana_id)],
    )
    .await;
    assert_eq!(
        contacts().await,
        [
            ("marketing".into(), "dana@example.com".into()),
            ("technical".into(), "cole@example.com".into())
        ]
    );
    // Nobody is mailed about contacts.
    assert_eq!(app.count("outbox").await, mails);
    // The database holds one of each kind whatever a writer tries.
    let dup = sqlx::query("INSERT INTO integration_contacts (integration_id, kind, user_id) VALUES ($1::uuid, 'marketing', $2::uuid)")
        .bind(&id)
        .bind(&cole_id)
        .execute(&app.pool)
        .await;
    assert!(dup.is_err());
    // Only accepted members: not someone pending, not a stranger; and only admins assign.
    let stranger = app.signed_in("Sam", "sam@example.com").await;
    let sam_id = user("sam@example.com").await;
    let (s, b) = app
        .call(
            &ann,
            "team/set_contact",
            &[("id", &id), ("kind", "technical"), ("user_id", &sam_id)],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(error_field(&b).unwrap().0, "user_id");
    let (s, _) = app
        .call(
            &cole,
            "team/set_contact",
            &[("id", &id), ("kind", "technical"), ("user_id", &dana_id)],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .call(
            &stranger,
            "team/set_contact",
            &[("id", &id), ("kind", "technical"), ("user_id", &sam_id)],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // The marketing contact is on the invitation landing page (TM-9).
    app.call(
        &ann,
        "integrations/invite_by_email",
        &[("id", &id), ("emails", "sam@example.com")],
    )
    .await;
    let token = app.mailed_token("sam@example.com", "/invite/").await;
    let (_, landing) = app
        .call(
            &stranger,
            "integrations/invite_landing",
            &[("token", &token)],
        )
        .await;
    assert_eq!(
        landing["marketing_contact"][1], "dana@example.com",
        "{landing}"
    );

    // Revoking, and leaving the team, end a contact.
    app.call(
        &ann,
        "team/set_contact",
        &[("id", &id), ("kind", "marketing"), ("user_id", "")],
    )
    .await;
    assert_eq!(
        contacts().await,
        [("technical".into(), "cole@example.com".into())]
    );
    app.call(&cole, "team/leave_team", &[("id", &id)]).await;
    assert!(contacts().await.is_empty());
}

// covers: TM-1
#[sqlx::test(migrations = "../migrations")]
async fn at_most_200_members_pending_included(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = integration(&app, &ann, "Acme CRM").await;
    // Ann + 199 open invitations = 200; expired invitations do not count.
    sqlx::query(
        "INSERT INTO team_members (integration_id, email, role, status, expires_at) \
         SELECT $1::uuid, 'p' || g || '@example.com', 'collaborator', 'pending', now() + interval '1 day' FROM generate_series(1, 199) g \
         UNION ALL SELECT $1::uuid, 'x' || g || '@example.com', 'collaborator', 'pending', now() - interval '1 day' FROM generate_series(1, 5) g",
    )
    .bind(&id)
    .execute(&app.pool)
    .await
    .unwrap();
    let (_, t) = team(&app, &ann, &id).await;
    assert_eq!(t["counted"], 200);
    let before = team_rows(&app).await;
    let (s, b) = app
        .call(
            &ann,
            "team/invite_member",
            &[
                ("id", &id),
                ("email", "one-more@example.com"),
                ("role", "collaborator"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(message(&b).contains("at most 200"), "{b}");
    assert_eq!(team_rows(&app).await, before);
    // Re-inviting someone already counted does not need a new place.
    let (s, _) = app
        .call(
            &ann,
            "team/invite_member",
            &[
                ("id", &id),
                ("email", "p1@example.com"),
                ("role", "collaborator"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Cancelling one frees a place.
    let (pid,): (Uuid,) =
        sqlx::query_as("SELECT id FROM team_members WHERE email = 'p2@example.com'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    app.call(
        &ann,
        "team/remove_member",
        &[("id", &id), ("member_id", &pid.to_string())],
    )
    .await;
    let (s, _) = app
        .call(
            &ann,
            "team/invite_member",
            &[
                ("id", &id),
                ("email", "one-more@example.com"),
                ("role", "collaborator"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

// covers: TM-8
#[sqlx::test(migrations = "../migrations")]
async fn updates_reach_exactly_the_subscribed_members(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = integration(&app, &ann, "Acme CRM").await;
    let bea = member(&app, &ann, &id, "Bea", "bea@example.com", "collaborator").await;
    let _cy = member(&app, &ann, &id, "Cy", "cy@example.com", "collaborator").await;
    let leo = member(&app, &ann, &id, "Leo", "leo@example.com", "collaborator").await;
    app.call(
        &ann,
        "team/invite_member",
        &[
            ("id", &id),
            ("email", "pending@example.com"),
            ("role", "collaborator"),
        ],
    )
    .await;
    // Bea switches partner marketing off (the checkbox absent); Leo leaves the team.
    let (s, _) = app
        .call(&bea, "team/set_subscription", &[("id", &id)])
        .await;
    assert!(s.is_success());
    let (_, t) = team(&app, &bea, &id).await;
    assert_eq!(t["my_marketing"], false);
    app.call(&leo, "team/leave_team", &[("id", &id)]).await;
    // Leo can no longer change subscriptions either.
    let (s, _) = app
        .call(
            &leo,
            "team/set_subscription",
            &[("id", &id), ("marketing", "on")],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    let recipients = |subject: &'static str| {
        let pool = app.pool.clone();
        async move {
            let rows: Vec<(String,)> =
                sqlx::query_as("SELECT to_addr FROM outbox WHERE subject = $1 ORDER BY to_addr")
                    .bind(subject)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            rows.into_iter().map(|(t,)| t).collect::<Vec<_>>()
        }
    };
    let (s, n) = app
        .call(
            &ann,
            "team/send_update",
            &[
                ("id", &id),
                ("kind", "marketing"),
                ("subject", "New launch"),
                ("body", "We launched."),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(n, 2);
    assert_eq!(
        recipients("[Acme CRM] New launch").await,
        ["ann@example.com", "cy@example.com"]
    );
    let (_, n) = app
        .call(
            &ann,
            "team/send_update",
            &[
                ("id", &id),
                ("kind", "programme"),
                ("subject", "Programme terms"),
                ("body", "Terms changed."),
            ],
        )
        .await;
    assert_eq!(n, 3);
    assert_eq!(
        recipients("[Acme CRM] Programme terms").await,
        ["ann@example.com", "bea@example.com", "cy@example.com"]
    );
    // Switching marketing back on takes effect on the next update; collaborators cannot send.
    app.call(
        &bea,
        "team/set_subscription",
        &[("id", &id), ("marketing", "on")],
    )
    .await;
    let (s, _) = app
        .call(
            &bea,
            "team/send_update",
            &[
                ("id", &id),
                ("kind", "marketing"),
                ("subject", "Spam"),
                ("body", "x"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.call(
        &ann,
        "team/send_update",
        &[
            ("id", &id),
            ("kind", "marketing"),
            ("subject", "Again"),
            ("body", "y"),
        ],
    )
    .await;
    assert_eq!(
        recipients("[Acme CRM] Again").await,
        ["ann@example.com", "bea@example.com", "cy@example.com"]
    );
    let (s, b) = app
        .call(
            &ann,
            "team/send_update",
            &[
                ("id", &id),
                ("kind", "newsletter"),
                ("subject", "x"),
                ("body", "y"),
            ],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
}

// covers: TM-2, X-2
#[sqlx::test(migrations = "../migrations")]
async fn collaborators_read_everything_and_change_nothing_but_comments(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = integration(&app, &ann, "Acme CRM").await;
    app.call(
        &ann,
        "integrations/add_version",
        &[("id", &id), ("version", "1.0.0")],
    )
    .await;
    let cole = member(&app, &ann, &id, "Cole", "cole@example.com", "collaborator").await;
    let stranger = app.signed_in("Sam", "sam@example.com").await;

    // A user with access sends feedback; a stranger cannot, and sees no integration.
    app.call(
        &ann,
        "integrations/invite_by_email",
        &[("id", &id), ("emails", "uma@example.com")],
    )
    .await;
    let token = app.mailed_token("uma@example.com", "/invite/").await;
    let uma = app.signed_in("Uma User", "uma@example.com").await;
    app.call(&uma, "integrations/accept_invite", &[("token", &token)])
        .await;
    let (s, fid) = app
        .call(
            &uma,
            "insights/submit_feedback",
            &[
                ("id", &id),
                ("kind", "bug"),
                ("title", "Sync stops"),
                ("body", "At night."),
            ],
        )
        .await;
    assert!(s.is_success() || s.is_redirection(), "{fid}");
    let fid = fid.as_str().unwrap().to_string();
    let (s, _) = app
        .call(
            &stranger,
            "insights/submit_feedback",
            &[("id", &id), ("kind", "bug"), ("title", "x")],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Uma builds two Zaps on 1.0.0, one of them switched off.
    sqlx::query(
        "WITH a AS (INSERT INTO accounts (name) VALUES ('Uma Co') RETURNING id), \
              m AS (INSERT INTO account_members (account_id, user_id, role) SELECT a.id, u.id, 'owner' FROM a, users u WHERE u.email = 'uma@example.com' RETURNING account_id, user_id), \
              z AS (INSERT INTO zaps (account_id, owner_id, name, enabled, private) SELECT m.account_id, m.user_id, 'Zap ' || g, g = 1, false FROM m, generate_series(1, 2) g RETURNING id) \
         INSERT INTO zap_versions (zap_id, version_id) SELECT z.id, v.id FROM z, integration_versions v WHERE v.integration_id = $1::uuid",
    )
    .bind(&id)
    .execute(&app.pool)
    .await
    .unwrap();

    // Reads: the collaborator sees performance (real figures), history and feedback, and the embed tools.
    let (s, perf) = app
        .call(&cole, "insights/performance", &[("id", &id)])
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(perf["versions"][0]["users"], 1, "{perf}");
    assert_eq!(perf["versions"][0]["zap_owners"], 1, "{perf}");
    assert_eq!(
        (
            perf["versions"][0]["zaps_on"].as_i64(),
            perf["versions"][0]["zaps_off"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(perf["people_with_access"], 1);
    let weeks = perf["accepted_by_week"].as_array().unwrap();
    assert_eq!(weeks.len(), 12);
    assert_eq!(weeks.last().unwrap()[1], 1, "Uma accepted this week");
    let (s, hist) = app
        .call(
            &cole,
            "history/page",
            &[("kind", "integration"), ("id", &id)],
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let entries = hist["entries"].as_array().unwrap();
    assert_eq!(
        entries[0]["action"], "invite.accepted",
        "newest first: {hist}"
    );
    let (_, only) = app
        .call(
            &cole,
            "history/page",
            &[
                ("kind", "integration"),
                ("id", &id),
                ("action", "team.joined"),
            ],
        )
        .await;
    assert!(only["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] == "team.joined"));
    assert_eq!(only["entries"][0]["target"], "Cole (cole@example.com)");
    let (s, fb) = app.call(&cole, "insights/feedback", &[("id", &id)]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(fb["items"][0]["title"], "Sync stops");
    let (s, _) = app.call(&cole, "join/embed", &[("id", &id)]).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app
        .call(
            &stranger,
            "history/page",
            &[("kind", "integration"), ("id", &id)],
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "history/page");
    for endpoint in [
        "insights/performance",
        "insights/feedback",
        "join/embed",
        "team/get_team",
    ] {
        let (s, _) = app.call(&stranger, endpoint, &[("id", &id)]).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{endpoint}");
    }

    // Writes: comments yes; everything else refused, and nothing changes.
    let (s, b) = app
        .call(
            &cole,
            "insights/comment",
            &[
                ("id", &id),
                ("feedback_id", &fid),
                ("body", "Looking into it"),
            ],
        )
        .await;
    assert!(s.is_success(), "{b}");
    let snapshot = || {
        let pool = app.pool.clone();
        async move {
            let r: (String, String, i64, bool) = sqlx::query_as(
                "SELECT (SELECT status FROM feedback), (SELECT name FROM integrations), (SELECT count(*) FROM embed_origins), \
                 (SELECT join_enabled FROM integrations)",
            )
            .fetch_one(&pool)
            .await
            .unwrap();
            r
        }
    };
    let before = snapshot().await;
    let refused: [(&str, Vec<(&str, &str)>); 6] = [
        (
            "insights/set_status",
            vec![("id", &id), ("feedback_id", &fid), ("status", "done")],
        ),
        (
            "integrations/edit_integration",
            vec![("id", &id), ("name", "Renamed")],
        ),
        (
            "join/add_origin",
            vec![("id", &id), ("origin", "https://evil.example")],
        ),
        (
            "join/settings",
            vec![("id", &id), ("enabled", "on"), ("domains", "example.com")],
        ),
        (
            "team/send_update",
            vec![
                ("id", &id),
                ("kind", "programme"),
                ("subject", "s"),
                ("body", "b"),
            ],
        ),
        (
            "integrations/set_visibility",
            vec![("id", &id), ("visibility", "public")],
        ),
    ];
    for (endpoint, form) in refused {
        let (s, _) = app.call(&cole, endpoint, &form).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{endpoint}");
    }
    assert_eq!(snapshot().await, before);
    let (s, _) = app
        .call(
            &ann,
            "insights/set_status",
            &[("id", &id), ("feedback_id", &fid), ("status", "planned")],
        )
        .await;
    assert!(s.is_success());
    let (_, fb) = app
        .call(
            &cole,
            "insights/feedback",
            &[("id", &id), ("status", "planned")],
        )
        .await;
    assert_eq!(fb["items"][0]["status"], "planned");
    assert_eq!(fb["items"][0]["comments"][0]["body"], "Looking into it");
}

// covers: TM-6
#[sqlx::test(migrations = "../migrations")]
async fn two_admins_removing_each_other_at_once_leave_one_admin(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let id = integration(&app, &ann, "Acme CRM").await;
    let bob = member(&app, &ann, &id, "Bob", "bob@example.com", "admin").await;
    let (_, t) = team(&app, &ann, &id).await;
    let (ann_row, bob_row) = (
        row(&t, "ann@example.com")["id"]
            .as_str()
            .unwrap()
            .to_string(),
        row(&t, "bob@example.com")["id"]
            .as_str()
            .unwrap()
            .to_string(),
    );
    let demote_bob = [
        ("id", id.as_str()),
        ("member_id", bob_row.as_str()),
        ("role", "collaborator"),
    ];
    let demote_ann = [
        ("id", id.as_str()),
        ("member_id", ann_row.as_str()),
        ("role", "collaborator"),
    ];
    let remove_bob = [("id", id.as_str()), ("member_id", bob_row.as_str())];
    let remove_ann = [("id", id.as_str()), ("member_id", ann_row.as_str())];
    for _ in 0..3 {
        // Each demotes or removes the other in the same instant: the integration's lock
        // orders them, and the second sees the team it would leave without an admin.
        let (a, b) = tokio::join!(
            app.call(&ann, "team/change_role", &demote_bob),
            app.call(&bob, "team/change_role", &demote_ann),
        );
        let ok = [a.0, b.0].iter().filter(|s| s.is_success()).count();
        assert_eq!(ok, 1, "{a:?} {b:?}");
        let (admins,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM team_members WHERE integration_id = $1::uuid AND role = 'admin' AND status = 'accepted'",
        )
        .bind(&id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(admins, 1);
        // Put both back as admins for the next round.
        sqlx::query("UPDATE team_members SET role = 'admin' WHERE integration_id = $1::uuid")
            .bind(&id)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let (a, b) = tokio::join!(
        app.call(&ann, "team/remove_member", &remove_bob),
        app.call(&bob, "team/remove_member", &remove_ann),
    );
    assert_eq!(
        [a.0, b.0].iter().filter(|s| s.is_success()).count(),
        1,
        "{a:?} {b:?}"
    );
    assert_eq!(app.count("team_members").await, 1);
}
