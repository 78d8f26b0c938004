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

/// An account of Olga's with Sam (super admin), Ada (admin), Mia and Max (members).
async fn team_of_five(
    app: &TestApp,
) -> (
    Uuid,
    std::collections::HashMap<&'static str, app::server::actor::Actor>,
) {
    let olga = person(&app.pool, "Olga Owner", "olga@example.com").await;
    let account = app::accounts::service::create_account(&app.state, &olga, "Acme")
        .await
        .unwrap();
    let mut people = std::collections::HashMap::new();
    for (key, name, role) in [
        ("sam", "Sam Super", "super_admin"),
        ("ada", "Ada Admin", "admin"),
        ("mia", "Mia Member", "member"),
        ("max", "Max Member", "member"),
    ] {
        let p = person(&app.pool, name, &format!("{key}@example.com")).await;
        sqlx::query("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(p.id)
            .bind(role)
            .execute(&app.pool)
            .await
            .unwrap();
        people.insert(key, p);
    }
    people.insert("olga", olga);
    (account, people)
}

async fn role_in(app: &TestApp, account: Uuid, user: Uuid) -> Option<String> {
    sqlx::query_as::<_, (String,)>(
        "SELECT role FROM account_members WHERE account_id = $1 AND user_id = $2",
    )
    .bind(account)
    .bind(user)
    .fetch_optional(&app.pool)
    .await
    .unwrap()
    .map(|(r,)| r)
}

// covers: AM-2, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn roles_change_within_the_ceiling_and_a_demotion_bites_at_once(pool: PgPool) {
    use app::accounts::service::change_role;
    use app::error::AppError;
    let app = TestApp::start(pool).await;
    let st = &app.state;
    let (account, p) = team_of_five(&app).await;
    let (olga, sam, ada, mia, max) = (&p["olga"], &p["sam"], &p["ada"], &p["mia"], &p["max"]);

    // Refusals change nothing.
    let eve = person(&app.pool, "Eve", "eve@example.com").await;
    let before = app.snapshot().await;
    for (who, target, to, why) in [
        (
            ada,
            mia.id,
            "super_admin",
            "an admin cannot grant above their own role",
        ),
        (
            sam,
            mia.id,
            "super_admin",
            "only the owner grants super admin",
        ),
        (
            ada,
            sam.id,
            "member",
            "an admin cannot change a super admin",
        ),
        (mia, max.id, "admin", "a member changes no role"),
        (sam, olga.id, "member", "nobody changes the owner's role"),
        (ada, ada.id, "member", "nobody changes their own role"),
    ] {
        assert!(
            matches!(
                change_role(st, who, account, target, to, "").await,
                Err(AppError::Forbidden)
            ),
            "{why}"
        );
    }
    for bad in ["owner", "root", ""] {
        assert!(
            matches!(
                change_role(st, olga, account, mia.id, bad, "").await,
                Err(AppError::Validation { .. })
            ),
            "{bad}"
        );
    }
    // A wrong account or a stranger looks missing.
    assert!(matches!(
        change_role(st, &eve, account, mia.id, "admin", "").await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        change_role(st, olga, Uuid::new_v4(), mia.id, "admin", "").await,
        Err(AppError::NotFound)
    ));
    assert!(matches!(
        change_role(st, olga, account, eve.id, "admin", "").await,
        Err(AppError::NotFound)
    ));
    assert_eq!(app.snapshot().await, before);

    // Within the ceiling: an admin makes a member an admin; the owner makes someone super admin.
    change_role(st, ada, account, mia.id, "admin", "runs billing")
        .await
        .unwrap();
    assert_eq!(
        role_in(&app, account, mia.id).await.as_deref(),
        Some("admin")
    );
    change_role(st, olga, account, max.id, "super_admin", "")
        .await
        .unwrap();
    assert_eq!(
        role_in(&app, account, max.id).await.as_deref(),
        Some("super_admin")
    );
    let (action, before, after, reason): (String, serde_json::Value, serde_json::Value, Option<String>) = sqlx::query_as(
        "SELECT action, before, after, reason FROM history WHERE account_id = $1 AND action = 'member.role_changed' ORDER BY seq LIMIT 1",
    )
    .bind(account)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (action.as_str(), reason.as_deref()),
        ("member.role_changed", Some("runs billing"))
    );
    assert_eq!(
        (before["role"].as_str(), after["role"].as_str()),
        (Some("member"), Some("admin"))
    );
    let (mails,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox WHERE to_addr = 'mia@example.com' AND subject LIKE 'Your role in Acme%'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(mails, 1);

    // Demoted, Ada loses what admins may do on her very next request.
    change_role(st, sam, account, ada.id, "member", "")
        .await
        .unwrap();
    let how = app::members::service::Handover {
        new_owner: None,
        private_connections: "30_days".into(),
        reason: None,
    };
    assert!(matches!(
        app::members::service::remove(st, ada, account, mia.id, &how, true).await,
        Err(AppError::Forbidden)
    ));

    // With SCIM on, the identity provider manages roles.
    sqlx::query("UPDATE accounts SET scim_enabled = true WHERE id = $1")
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap();
    let refused = change_role(st, olga, account, mia.id, "member", "")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("identity provider"),
        "{refused}"
    );
    assert_eq!(
        role_in(&app, account, mia.id).await.as_deref(),
        Some("admin")
    );
}

// covers: AM-2, AM-3
#[sqlx::test(migrations = "../migrations")]
async fn the_owner_hands_the_account_over_and_there_is_always_exactly_one_owner(pool: PgPool) {
    use app::accounts::service::hand_over;
    use app::error::AppError;
    let app = TestApp::start(pool).await;
    let st = &app.state;
    let (account, p) = team_of_five(&app).await;
    let (olga, sam, mia) = (&p["olga"], &p["sam"], &p["mia"]);
    let owners = || async {
        sqlx::query_as::<_, (Uuid,)>(
            "SELECT user_id FROM account_members WHERE account_id = $1 AND role = 'owner'",
        )
        .bind(account)
        .fetch_all(&app.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|(u,)| u)
        .collect::<Vec<_>>()
    };
    let eve = person(&app.pool, "Eve", "eve@example.com").await;
    let before = app.snapshot().await;
    assert!(
        matches!(
            hand_over(st, sam, account, mia.id, "").await,
            Err(AppError::Forbidden)
        ),
        "only the owner"
    );
    assert!(
        matches!(
            hand_over(st, olga, account, olga.id, "").await,
            Err(AppError::Validation { .. })
        ),
        "to oneself"
    );
    assert!(
        matches!(
            hand_over(st, olga, account, eve.id, "").await,
            Err(AppError::Validation { .. })
        ),
        "to a non-member"
    );
    assert!(
        matches!(
            hand_over(st, &eve, account, mia.id, "").await,
            Err(AppError::NotFound)
        ),
        "a stranger"
    );
    assert_eq!(app.snapshot().await, before);

    hand_over(st, olga, account, mia.id, "Olga retires")
        .await
        .unwrap();
    assert_eq!(owners().await, [mia.id]);
    assert_eq!(
        role_in(&app, account, olga.id).await.as_deref(),
        Some("super_admin")
    );
    for (to, subject) in [
        ("mia@example.com", "You now own Acme"),
        ("olga@example.com", "You handed Acme over to Mia Member"),
    ] {
        let (n,): (i64,) =
            sqlx::query_as("SELECT count(*) FROM outbox WHERE to_addr = $1 AND subject = $2")
                .bind(to)
                .bind(subject)
                .fetch_one(&app.pool)
                .await
                .unwrap();
        assert_eq!(n, 1, "{to}");
    }
    let (reason,): (Option<String>,) = sqlx::query_as(
        "SELECT reason FROM history WHERE account_id = $1 AND action = 'account.ownership_handed_over'",
    )
    .bind(account)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some("Olga retires"));
    // The old owner is a super admin now: no second hand-over from her.
    assert!(matches!(
        hand_over(st, olga, account, sam.id, "").await,
        Err(AppError::Forbidden)
    ));
}

// A hand-over raced by a removal of the same person: one of them wins, and the account
// still has exactly one owner.
// covers: AM-3, OF-1
#[sqlx::test(migrations = "../migrations")]
async fn a_hand_over_raced_by_a_removal_leaves_exactly_one_owner(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let st = &app.state;
    for round in 0..6 {
        let (account, p) = team_of_five(&app).await;
        let (olga, sam, max) = (&p["olga"], &p["sam"], &p["max"]);
        let how = app::members::service::Handover {
            new_owner: None,
            private_connections: "30_days".into(),
            reason: None,
        };
        let (handed, removed) = tokio::join!(
            app::accounts::service::hand_over(st, olga, account, max.id, ""),
            app::members::service::remove(st, sam, account, max.id, &how, false)
        );
        assert!(
            handed.is_ok() != removed.is_ok(),
            "round {round}: exactly one wins: {handed:?} / {:?}",
            removed.as_ref().err()
        );
        let (owners,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM account_members WHERE account_id = $1 AND role = 'owner'",
        )
        .bind(account)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(owners, 1, "round {round}");
        // Fresh people for the next round.
        sqlx::query("UPDATE users SET email = email || '.' || $1 WHERE email LIKE '%@example.com'")
            .bind(round.to_string())
            .execute(&app.pool)
            .await
            .unwrap();
    }
}

// The life of an invitation to an account: sent, resent (the old link ends), accepted
// once by the invited address only; cancelled and expired ones refuse; ceilings hold.
// covers: AM-1, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn an_account_invitation_is_sent_renewed_and_accepted_once_by_its_address(pool: PgPool) {
    use app::accounts::invites;
    use app::error::{AppError, Refusal};
    let app = TestApp::start(pool).await;
    let st = &app.state;
    let (account, p) = team_of_five(&app).await;
    let (olga, sam, ada, mia) = (&p["olga"], &p["sam"], &p["ada"], &p["mia"]);

    // Ceilings and refusals change nothing.
    let eve = person(&app.pool, "Eve", "eve@example.com").await;
    let before = app.snapshot().await;
    for (who, role, why) in [
        (ada, "super_admin", "an admin invites no super admin"),
        (sam, "super_admin", "only the owner invites super admins"),
        (mia, "member", "members do not invite"),
    ] {
        assert!(
            matches!(
                invites::invite(st, who, account, "new@example.com", role).await,
                Err(AppError::Forbidden)
            ),
            "{why}"
        );
    }
    for (email, role) in [
        ("new@example.com", "owner"),
        ("new@example.com", "root"),
        ("not an address", "member"),
    ] {
        assert!(
            matches!(
                invites::invite(st, olga, account, email, role).await,
                Err(AppError::Validation { .. })
            ),
            "{email} {role}"
        );
    }
    assert!(
        matches!(
            invites::invite(st, olga, account, "mia@example.com", "admin").await,
            Err(AppError::Validation { .. })
        ),
        "a member already"
    );
    assert!(matches!(
        invites::invite(st, &eve, account, "new@example.com", "member").await,
        Err(AppError::NotFound)
    ));
    assert_eq!(app.snapshot().await, before);

    // Sent, then sent again: the first link stops working.
    let id = invites::invite(st, ada, account, "Nina@Example.com", "admin")
        .await
        .unwrap();
    let first = app
        .mailed_token("nina@example.com", "/account-invite/")
        .await;
    invites::resend(st, olga, account, id).await.unwrap();
    let second = app
        .mailed_token("nina@example.com", "/account-invite/")
        .await;
    assert_ne!(first, second);
    let (stored,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM account_invites WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
    )
    .bind(&second)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(stored, 1, "only the hash is kept");
    let listed = invites::list(st, ada, account).await.unwrap();
    assert_eq!(
        (listed.len(), listed[0].email.as_str(), listed[0].expired),
        (1, "nina@example.com", false)
    );
    assert!(matches!(
        invites::list(st, mia, account).await,
        Err(AppError::Forbidden)
    ));

    let nina = person(&app.pool, "Nina New", "nina@example.com").await;
    assert!(matches!(
        invites::accept(st, &nina, &first).await,
        Err(AppError::Refused(Refusal::InvitationInvalid))
    ));
    // Someone else, even signed in and verified, cannot use Nina's link.
    let landing = invites::landing(st, &eve, &second).await.unwrap();
    assert_eq!(
        (landing.email.as_str(), landing.account.as_str()),
        ("nina@example.com", "Acme")
    );
    assert!(matches!(
        invites::accept(st, &eve, &second).await,
        Err(AppError::Refused(Refusal::WrongAddress { .. }))
    ));
    // Nina accepts, once, with the role she was invited with.
    assert_eq!(invites::accept(st, &nina, &second).await.unwrap(), account);
    assert_eq!(
        role_in(&app, account, nina.id).await.as_deref(),
        Some("admin")
    );
    assert!(matches!(
        invites::accept(st, &nina, &second).await,
        Err(AppError::Refused(Refusal::InvitationInvalid))
    ));
    assert!(invites::list(st, olga, account).await.unwrap().is_empty());

    // Cancelled: the link ends. Expired: refused as expired.
    let gone = invites::invite(st, olga, account, "otto@example.com", "member")
        .await
        .unwrap();
    let otto_link = app
        .mailed_token("otto@example.com", "/account-invite/")
        .await;
    invites::cancel(st, ada, account, gone).await.unwrap();
    let otto = person(&app.pool, "Otto", "otto@example.com").await;
    assert!(matches!(
        invites::accept(st, &otto, &otto_link).await,
        Err(AppError::Refused(Refusal::InvitationInvalid))
    ));
    assert!(
        matches!(
            invites::cancel(st, ada, account, gone).await,
            Err(AppError::NotFound)
        ),
        "once"
    );
    invites::invite(st, olga, account, "otto@example.com", "member")
        .await
        .unwrap();
    let late = app
        .mailed_token("otto@example.com", "/account-invite/")
        .await;
    sqlx::query("UPDATE account_invites SET expires_at = now() - interval '1 second' WHERE email = 'otto@example.com' AND status = 'pending'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(matches!(
        invites::accept(st, &otto, &late).await,
        Err(AppError::Refused(Refusal::InvitationExpired))
    ));
    assert!(role_in(&app, account, otto.id).await.is_none());

    // With SCIM on, the identity provider adds people (AM-4).
    sqlx::query("UPDATE accounts SET scim_enabled = true WHERE id = $1")
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(matches!(
        invites::invite(st, olga, account, "pia@example.com", "member").await,
        Err(AppError::Refused(Refusal::ScimOn))
    ));
}

// An invitation is only as good as its sender's rights at acceptance; invitations are
// budgeted per sender; the hand-over, too, waits while SCIM is on.
// covers: AM-1, AM-3, AM-4
#[sqlx::test(migrations = "../migrations")]
async fn invitations_follow_their_sender_and_are_budgeted(pool: PgPool) {
    use app::accounts::invites;
    use app::error::{AppError, Refusal};
    let app = TestApp::start(pool).await;
    let st = &app.state;
    let (account, p) = team_of_five(&app).await;
    let (olga, ada, mia) = (&p["olga"], &p["ada"], &p["mia"]);
    invites::invite(st, ada, account, "alt@example.com", "admin")
        .await
        .unwrap();
    let link = app
        .mailed_token("alt@example.com", "/account-invite/")
        .await;
    // Ada is demoted before the invitation is used: it admits nobody.
    app::accounts::service::change_role(st, olga, account, ada.id, "member", "")
        .await
        .unwrap();
    let alt = person(&app.pool, "Alt", "alt@example.com").await;
    assert!(matches!(
        invites::accept(st, &alt, &link).await,
        Err(AppError::Refused(Refusal::InvitationInvalid))
    ));
    assert!(role_in(&app, account, alt.id).await.is_none());

    // 50 invitation mails an hour per sender, resends included.
    for i in 0..invites::INVITES_PER_HOUR {
        invites::invite(st, olga, account, &format!("p{i}@example.com"), "member")
            .await
            .unwrap();
    }
    let before = app.count("outbox").await;
    assert!(matches!(
        invites::invite(st, olga, account, "one-more@example.com", "member").await,
        Err(AppError::TooManyRequests(_))
    ));
    assert_eq!(app.count("outbox").await, before);

    // While SCIM is on, the owner cannot hand the account over either.
    sqlx::query("UPDATE accounts SET scim_enabled = true WHERE id = $1")
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(matches!(
        app::accounts::service::hand_over(st, olga, account, mia.id, "").await,
        Err(AppError::Refused(Refusal::ScimOn))
    ));
}

/// The read epoch (migration 0019).
async fn read_epoch(pool: &PgPool) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT n FROM read_epoch")
        .fetch_one(pool)
        .await
        .unwrap();
    n
}

// covers: AM-1, AM-2, OF-1
#[sqlx::test(migrations = "../migrations")]
async fn the_members_screen_is_read_again_as_soon_as_anything_it_shows_changes(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let kept = &app.state.kept.members;
    let olga = app.signed_in("Olga", "olga@example.com").await;
    let (s, id) = app
        .call(&olga, "accounts/create_account", &[("name", "Acme")])
        .await;
    assert!(s.is_success(), "{id}");
    let id = id.as_str().unwrap().to_string();
    let account: Uuid = id.parse().unwrap();
    let ada = app.signed_in("Ada", "ada@example.com").await;
    let ada_id: (Uuid,) = sqlx::query_as("SELECT id FROM users WHERE email = 'ada@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'admin')")
        .bind(account)
        .bind(ada_id.0)
        .execute(&app.pool)
        .await
        .unwrap();
    let list = |c: &reqwest::Client| {
        let c = c.clone();
        let app = &app;
        let id = id.clone();
        async move {
            app.call(&c, "accounts/list_members", &[("account_id", &id)])
                .await
        }
    };

    // Read once, then answered again from what this server kept, with the same answer.
    let (s, first) = list(&olga).await;
    assert!(s.is_success(), "{first}");
    assert_eq!(first["members"].as_array().unwrap().len(), 2);
    assert_eq!(kept.reused(), 0);
    let (_, again) = list(&olga).await;
    assert_eq!(again, first);
    assert_eq!(kept.reused(), 1);

    // A column no screen shows, and a change rolled back, leave the epoch where it was.
    let epoch = read_epoch(&app.pool).await;
    sqlx::query("UPDATE users SET password_hash = password_hash || '' WHERE id = $1")
        .bind(ada_id.0)
        .execute(&app.pool)
        .await
        .unwrap();
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("UPDATE users SET name = 'Not Ada' WHERE id = $1")
        .bind(ada_id.0)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(read_epoch(&app.pool).await, epoch);
    let (_, again) = list(&olga).await;
    assert_eq!(again, first);
    assert_eq!(kept.reused(), 2);

    // A renamed person is shown renamed on the very next request.
    sqlx::query("UPDATE users SET name = 'Ada Lovelace' WHERE id = $1")
        .bind(ada_id.0)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(read_epoch(&app.pool).await, epoch + 1);
    let (_, renamed) = list(&olga).await;
    assert!(
        renamed["members"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "Ada Lovelace"),
        "{renamed}"
    );
    assert_eq!(kept.reused(), 2);

    // A new invitation shows at once (AM-1); it is marked expired once its date passes,
    // with nothing written in between.
    let (s, b) = app
        .call(
            &olga,
            "accounts/invite",
            &[
                ("account_id", &id),
                ("email", "ivy@example.com"),
                ("role", "member"),
            ],
        )
        .await;
    assert!(s.is_success() || s.is_redirection(), "{b}");
    sqlx::query("UPDATE account_invites SET expires_at = now() + interval '2 seconds' WHERE email = 'ivy@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, invited) = list(&olga).await;
    assert_eq!(invited["invitations"][0]["email"], "ivy@example.com");
    assert_eq!(invited["invitations"][0]["expired"], false);
    let (_, again) = list(&olga).await;
    assert_eq!(again, invited);
    let reused = kept.reused();
    let epoch = read_epoch(&app.pool).await;
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (_, expired) = list(&olga).await;
    assert_eq!(expired["invitations"][0]["expired"], true, "{expired}");
    assert_eq!(kept.reused(), reused);
    assert_eq!(read_epoch(&app.pool).await, epoch);

    // Ada, an admin, reads the screen; demoted, her next read says so (AM-2); removed,
    // her next read finds nothing, exactly as for a stranger (OF-1).
    let (_, as_admin) = list(&ada).await;
    assert_eq!(as_admin["account"]["role"], "admin");
    list(&ada).await;
    let (s, b) = app
        .call(
            &olga,
            "accounts/change_role",
            &[
                ("account_id", &id),
                ("user_id", &ada_id.0.to_string()),
                ("role", "member"),
            ],
        )
        .await;
    assert!(s.is_success() || s.is_redirection(), "{b}");
    let (_, as_member) = list(&ada).await;
    assert_eq!(as_member["account"]["role"], "member");
    assert_eq!(as_member["invitations"], serde_json::json!([]));
    sqlx::query("DELETE FROM account_members WHERE account_id = $1 AND user_id = $2")
        .bind(account)
        .bind(ada_id.0)
        .execute(&app.pool)
        .await
        .unwrap();
    let (s, gone) = list(&ada).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{gone}");

    // A second server keeps its own reads and agrees.
    let other = TestApp::start(app.pool.clone()).await;
    let (s, theirs) = other
        .call(&olga, "accounts/list_members", &[("account_id", &id)])
        .await;
    let (_, ours) = list(&olga).await;
    assert!(s.is_success());
    assert_eq!(theirs, ours);
    assert_eq!(ours["members"].as_array().unwrap().len(), 1);

    // Signed out, the kept read is not handed out.
    sqlx::query("DELETE FROM sessions")
        .execute(&app.pool)
        .await
        .unwrap();
    let (s, _) = list(&olga).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

// covers: AM-2, OF-1
#[sqlx::test(migrations = "../migrations")]
async fn every_table_a_kept_read_takes_moves_the_read_epoch_at_commit(pool: PgPool) {
    for table in app::server::kept::READ_EPOCH_TABLES {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = $1::regclass \
             AND tgname IN ('read_epoch', 'read_epoch_truncate')",
        )
        .bind(table)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(n, 2, "{table} has both read epoch triggers");
    }
    let before = read_epoch(&pool).await;
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO users (email, name, password_hash) \
         SELECT 'p' || g || '@example.com', 'P' || g, 'x' FROM generate_series(1, 300) g",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    let (inside,): (i64,) = sqlx::query_as("SELECT n FROM read_epoch")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(inside, before, "not before commit");
    tx.commit().await.unwrap();
    assert_eq!(read_epoch(&pool).await, before + 1, "once per transaction");
}

/// A page's body with its script nonce (from its CSP) replaced, and that nonce.
async fn page_of(res: reqwest::Response) -> (StatusCode, String, String) {
    let status = res.status();
    let csp = res
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|r| r.split('\'').next())
        .unwrap_or_default()
        .to_string();
    let body = res.text().await.unwrap();
    if !nonce.is_empty() {
        assert!(
            body.contains(&format!("nonce=\"{nonce}\"")),
            "the page's scripts carry its CSP's nonce"
        );
    }
    // Without the hydration markers between text nodes, so the page reads as shown.
    let body = body.replace("<!>", "");
    let body = if nonce.is_empty() {
        body
    } else {
        body.replace(&nonce, "NONCE")
    };
    (status, body, nonce)
}

// covers: AM-1, AM-2, OF-1
#[sqlx::test(migrations = "../migrations")]
async fn the_members_page_is_sent_again_as_rendered_until_anything_on_it_changes(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let pages = &app.state.kept.pages;
    let olga = app.signed_in("Olga", "olga@example.com").await;
    let (s, id) = app
        .call(&olga, "accounts/create_account", &[("name", "Acme")])
        .await;
    assert!(s.is_success(), "{id}");
    let id = id.as_str().unwrap().to_string();
    let account: Uuid = id.parse().unwrap();
    let ada = app.signed_in("Ada", "ada@example.com").await;
    let (ada_id,): (Uuid,) = sqlx::query_as("SELECT id FROM users WHERE email = 'ada@example.com'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'admin')")
        .bind(account)
        .bind(ada_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let path = format!("/accounts/{id}/members");
    let page = |c: &reqwest::Client, path: String| {
        let c = c.clone();
        let app = &app;
        async move { page_of(app.get(&c, &path).await).await }
    };

    // Rendered from a fresh read, then from the kept read (and kept), then sent again
    // as rendered, each time with a nonce of its own.
    let (s, first, n1) = page(&olga, path.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert!(first.contains("Members of Acme") && first.contains("ada@example.com"));
    let (_, second, _) = page(&olga, path.clone()).await;
    assert_eq!(second, first);
    assert_eq!(pages.reused(), 0);
    let (s, again, n2) = page(&olga, path.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(again, first);
    assert_ne!(n1, n2);
    assert_eq!(pages.reused(), 1);

    // A renamed person is shown renamed on the very next request.
    sqlx::query("UPDATE users SET name = 'Ada Lovelace' WHERE id = $1")
        .bind(ada_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, renamed, _) = page(&olga, path.clone()).await;
    assert!(renamed.contains("Ada Lovelace"), "renamed");
    assert_eq!(pages.reused(), 1);
    page(&olga, path.clone()).await;
    assert_eq!(pages.reused(), 1);
    // Asked eight times at once, it is the same page every time.
    let all = futures_util::future::join_all((0..8).map(|_| page(&olga, path.clone()))).await;
    assert!(all
        .iter()
        .all(|(s, p, _)| *s == StatusCode::OK && *p == renamed));
    assert_eq!(pages.reused(), 9);

    // Another address (a notice in its query string) is a page of its own.
    let (_, noticed, _) = page(&olga, format!("{path}?invited=1")).await;
    assert!(noticed.contains("Invitation sent."));
    // A parameter the page does not read: rendered every time, never kept.
    for _ in 0..3 {
        let (s, odd, _) = page(&olga, format!("{path}?utm=1")).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(odd, renamed);
    }
    assert_eq!(pages.reused(), 9);
    let (_, plain, _) = page(&olga, path.clone()).await;
    assert!(!plain.contains("Invitation sent."));
    assert_eq!(plain, renamed);
    assert_eq!(pages.reused(), 10);

    // Whether the caller's address is verified is shown by the page, and moves the epoch
    // (the caller's kept session holds it: migration 0021).
    let epoch = read_epoch(&app.pool).await;
    sqlx::query("UPDATE users SET email_verified_at = NULL WHERE email = 'olga@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(read_epoch(&app.pool).await, epoch + 1);
    let (_, unverified, _) = page(&olga, path.clone()).await;
    assert!(unverified.contains("Your email address is not verified yet."));
    assert_eq!(pages.reused(), 10);
    sqlx::query("UPDATE users SET email_verified_at = now() WHERE email = 'olga@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    // Rendered anew, then kept once its read is (see above), then sent again.
    for _ in 0..3 {
        let (_, verified, _) = page(&olga, path.clone()).await;
        assert_eq!(verified, renamed);
    }
    assert_eq!(pages.reused(), 11);

    // The top bar's accounts: a new account shows on the next page.
    let (s, b) = app
        .call(&olga, "accounts/create_account", &[("name", "Beta Works")])
        .await;
    assert!(s.is_success(), "{b}");
    let (_, with_beta, _) = page(&olga, path.clone()).await;
    assert!(with_beta.contains("Beta Works"));

    // An invitation shows at once (AM-1), and is shown expired once its date passes,
    // with nothing written in between.
    let (s, b) = app
        .call(
            &olga,
            "accounts/invite",
            &[
                ("account_id", &id),
                ("email", "ivy@example.com"),
                ("role", "member"),
            ],
        )
        .await;
    assert!(s.is_success() || s.is_redirection(), "{b}");
    sqlx::query("UPDATE account_invites SET expires_at = now() + interval '2 seconds' WHERE email = 'ivy@example.com'")
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, invited, _) = page(&olga, path.clone()).await;
    assert!(invited.contains("ivy@example.com") && !invited.contains(">expired<"));
    let reused = pages.reused();
    let (_, again, _) = page(&olga, path.clone()).await;
    assert_eq!(again, invited);
    assert_eq!(pages.reused(), reused);
    let (_, again, _) = page(&olga, path.clone()).await;
    assert_eq!(again, invited);
    assert_eq!(pages.reused(), reused + 1);
    tokio::time::sleep(std::time::Duration::from_millis(2200)).await;
    let (_, expired, _) = page(&olga, path.clone()).await;
    assert!(expired.contains(">expired<"), "shown expired");
    assert_eq!(pages.reused(), reused + 1);

    // Any other cookie (a secret shown once) is never answered from a kept page; the
    // session cookie alone is.
    let (token, hash) = app::server::token::new_token();
    sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) SELECT $1, id, now() + interval '1 hour' FROM users WHERE email = 'olga@example.com'")
        .bind(hash)
        .execute(&app.pool)
        .await
        .unwrap();
    let bare = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .unwrap();
    let with_cookie = |cookie: String| {
        let bare = bare.clone();
        let url = format!("{}{path}", app.base);
        async move { page_of(bare.get(url).header("cookie", cookie).send().await.unwrap()).await }
    };
    let session = format!("{}={token}", app::server::auth::COOKIE_NAME);
    let (s, other, _) = with_cookie(format!("{session}; new_token=one-time")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(other, expired);
    assert_eq!(pages.reused(), reused + 1);
    // (The page kept before the expiry is past its date, and the expired one was made
    // from a read made anew: one more render keeps it.)
    let (s, alone, _) = with_cookie(session.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(alone, expired);
    assert_eq!(pages.reused(), reused + 1);
    let (_, alone, _) = with_cookie(session).await;
    assert_eq!(alone, expired);
    assert_eq!(pages.reused(), reused + 2);

    // Ada, an admin, sees the invitations; demoted, her next page does not (AM-2);
    // removed, her next page is not found, as for a stranger (OF-1).
    page(&ada, path.clone()).await;
    let (_, as_admin, _) = page(&ada, path.clone()).await;
    assert!(as_admin.contains("Pending invitations"));
    let (s, b) = app
        .call(
            &olga,
            "accounts/change_role",
            &[
                ("account_id", &id),
                ("user_id", &ada_id.to_string()),
                ("role", "member"),
            ],
        )
        .await;
    assert!(s.is_success() || s.is_redirection(), "{b}");
    let (_, as_member, _) = page(&ada, path.clone()).await;
    assert!(!as_member.contains("Pending invitations"));
    assert!(!as_member.contains("ivy@example.com"));
    sqlx::query("DELETE FROM account_members WHERE account_id = $1 AND user_id = $2")
        .bind(account)
        .bind(ada_id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (s, gone, _) = page(&ada, path.clone()).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(!gone.contains("olga@example.com"));
    let stranger = app.signed_in("Sam", "sam@example.com").await;
    let (s2, theirs, _) = page(&stranger, path.clone()).await;
    assert_eq!(s2, s);
    assert!(!theirs.contains("olga@example.com"));

    // A render in which a read failed is not kept, even where the page still says 200
    // (a browser asks for HTML, and the top bar is then drawn without its data).
    let as_browser = |query: &'static str| {
        let c = olga.clone();
        let url = format!("{}{path}?{query}", app.base);
        async move {
            page_of(
                c.get(url)
                    .header("accept", "text/html")
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (_, whole, _) = as_browser("joined=1").await;
    assert!(whole.contains("Signed in as") && whole.contains("Welcome: you are a member"));
    page(&olga, path.clone()).await;
    rename(&app.pool, "ALTER TABLE accounts RENAME TO accounts_away").await;
    let (s, broken, _) = as_browser("invited=1").await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !broken.contains("Signed in as"),
        "the top bar's read failed"
    );
    rename(&app.pool, "ALTER TABLE accounts_away RENAME TO accounts").await;
    let (_, mended, _) = as_browser("invited=1").await;
    assert!(mended.contains("Signed in as") && mended.contains("Invitation sent."));

    // Signed out, no kept page is handed out.
    page(&olga, path.clone()).await;
    page(&olga, path.clone()).await;
    let reused = pages.reused();
    page(&olga, path.clone()).await;
    assert_eq!(pages.reused(), reused + 1);
    sqlx::query("DELETE FROM sessions")
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, out, _) = page(&olga, path.clone()).await;
    assert!(!out.contains("ada@example.com") && !out.contains("Members of Acme"));
    assert_eq!(pages.reused(), reused + 1);
}

/// Renames a table, waiting at most 20 s for its lock: a connection left holding one
/// (a transaction never ended) fails the test, naming what holds it, instead of hanging it.
async fn rename(pool: &PgPool, statement: &str) {
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SET LOCAL lock_timeout = '20s'")
        .execute(&mut *tx)
        .await
        .unwrap();
    if let Err(e) = sqlx::query(statement).execute(&mut *tx).await {
        drop(tx);
        let holders: Vec<(String, String)> = sqlx::query_as(
            "SELECT coalesce(state, ''), coalesce(query, '') FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_all(pool)
        .await
        .unwrap_or_default();
        panic!("{statement}: {e}; other sessions: {holders:?}");
    }
    tx.commit().await.unwrap();
}
