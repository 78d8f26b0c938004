//! Core rules called directly on the services, with no door in between: the same
//! functions the screens and the JSON API call, given an `Actor` built here.
mod common;
use app::error::{AppError, Refusal};
use app::server::actor::{Actor, Door};
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

/// The removal's choices the screens start with: everything to the owner, 30 days.
fn handover() -> app::members::service::Handover {
    app::members::service::Handover {
        new_owner: None,
        private_connections: "30_days".into(),
        reason: None,
    }
}

// covers: TM-6, TM-5, X-7
#[sqlx::test(migrations = "../migrations")]
async fn the_last_admin_stays_whoever_calls(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let id = app::integrations::service::create(st, &ann, "Acme CRM", "")
        .await
        .unwrap();
    let page = app::team::service::page(st, &ann, id).await.unwrap();
    assert_eq!(page.members.len(), 1, "the creator is the first admin");
    let mine = page.members[0].id;
    let e = app::team::service::change_role(st, &ann, id, mine, "collaborator", "")
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Refused(Refusal::LastAdmin { .. })),
        "{e:?}"
    );
    let e = app::team::service::leave(st, &ann, id).await.unwrap_err();
    assert!(
        matches!(e, AppError::Refused(Refusal::LastAdmin { .. })),
        "{e:?}"
    );
    // The same refusal through the API door's actor: the door changes nothing.
    let ann_api = Actor {
        door: Door::Token {
            id: Uuid::new_v4(),
            scope: app::domain::policy::TokenScope::ReadWrite,
        },
        ..ann.clone()
    };
    let e = app::team::service::remove(st, &ann_api, id, mine)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Refused(Refusal::LastAdmin { .. })),
        "{e:?}"
    );
    // Someone with no role gets what a missing integration gets.
    let eve = person(&pool, "Eve", "eve@example.com").await;
    let theirs = app::team::service::page(st, &eve, id).await.unwrap_err();
    let nobodys = app::team::service::page(st, &eve, Uuid::new_v4())
        .await
        .unwrap_err();
    assert!(matches!(theirs, AppError::NotFound), "{theirs:?}");
    assert_eq!(theirs.to_string(), nobodys.to_string());
}

// covers: X-2, TM-2
#[sqlx::test(migrations = "../migrations")]
async fn history_pages_neither_repeat_nor_skip(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let id = app::integrations::service::create(st, &ann, "Acme CRM", "")
        .await
        .unwrap();
    for v in ["1.0.0", "1.1.0", "1.2.0", "2.0.0"] {
        app::integrations::service::add_version(st, &ann, id, v)
            .await
            .unwrap();
    }
    let scope = app::history::Scope::Integration(id);
    let none = app::history::HistoryFilter::default();
    let all = app::history::service::page(st, &ann, scope, &none, None, 200)
        .await
        .unwrap();
    assert!(
        all.entries.len() >= 5,
        "created and four versions: {:?}",
        all.entries
    );
    assert!(all.next.is_none() && !all.more);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = app::history::service::page(st, &ann, scope, &none, cursor.as_deref(), 2)
            .await
            .unwrap();
        assert!(page.entries.len() <= 2);
        seen.extend(page.entries);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(
        seen, all.entries,
        "the pages put together are the whole history, in order"
    );
    for bad in ["", "x", "12.", ".3", "99999999999999999999.1"] {
        let e = app::history::service::page(st, &ann, scope, &none, Some(bad), 2)
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Validation { ref field, .. } if field == "cursor"),
            "{bad:?}: {e:?}"
        );
    }
    for limit in [0, 201, -1] {
        let e = app::history::service::page(st, &ann, scope, &none, None, limit)
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Validation { ref field, .. } if field == "limit"),
            "{limit}: {e:?}"
        );
    }
}

// covers: AC-3, OF-1, X-4
#[sqlx::test(migrations = "../migrations")]
async fn member_pages_cover_everyone_once(pool: PgPool) {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let olga = person(&pool, "Olga", "olga@example.com").await;
    let account = app::accounts::service::create_account(st, &olga, "Acme")
        .await
        .unwrap();
    for i in 0..6 {
        let p = person(&pool, &format!("P{i}"), &format!("p{i}@example.com")).await;
        sqlx::query(
            "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'member')",
        )
        .bind(account)
        .bind(p.id)
        .execute(&pool)
        .await
        .unwrap();
    }
    let mut emails = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let page = app::accounts::service::member_list(st, &olga, account, cursor.as_deref(), 3)
            .await
            .unwrap();
        pages += 1;
        emails.extend(page.members.into_iter().map(|m| m.email.to_lowercase()));
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 3, "7 members, 3 a page");
    let mut sorted = emails.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(emails, sorted, "in address order, each once");
    assert_eq!(emails.len(), 7);
    // Each membership keeps its member's address for paging; a changed address moves
    // the member to its new place in the order.
    let moved =
        sqlx::query("UPDATE users SET email = 'zz@example.com' WHERE email = 'p0@example.com'")
            .execute(&pool)
            .await
            .unwrap();
    assert_eq!(moved.rows_affected(), 1);
    let last = app::accounts::service::member_list(
        st,
        &olga,
        account,
        Some(&URL_SAFE_NO_PAD.encode("p5@example.com")),
        3,
    )
    .await
    .unwrap();
    let after: Vec<_> = last.members.iter().map(|m| m.email.as_str()).collect();
    assert_eq!(after, ["zz@example.com"], "the moved member pages last");
    assert_eq!(last.next, None);
    let eve = person(&pool, "Eve", "eve@example.com").await;
    let e = app::accounts::service::member_list(st, &eve, account, None, 3)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    let e = app::accounts::service::member_list(st, &olga, account, Some("%%%"), 3)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Validation { ref field, .. } if field == "cursor"),
        "{e:?}"
    );
}

// covers: TM-3, X-5
#[sqlx::test(migrations = "../migrations")]
async fn inviting_someone_already_on_the_team_is_a_clear_refusal(pool: PgPool) {
    // Found by Schemathesis: an accepted row with no expiry (as the demo data has) made
    // the check of an existing row fail to decode, and answer 500.
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let id = app::integrations::service::create(st, &ann, "Acme CRM", "")
        .await
        .unwrap();
    let bob = person(&pool, "Bob", "bob@example.com").await;
    sqlx::query("INSERT INTO team_members (integration_id, user_id, email, role, status, accepted_at) VALUES ($1, $2, 'bob@example.com', 'collaborator', 'accepted', now())")
        .bind(id)
        .bind(bob.id)
        .execute(&pool)
        .await
        .unwrap();
    for email in ["bob@example.com", "ann@example.com"] {
        let e = app::team::service::invite(st, &ann, id, email, "admin", "")
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Validation { ref field, ref message } if field == "email" && message.contains("already on the team")),
            "{email}: {e:?}"
        );
    }
}

// Found by an attack: an owner change racing the removal of the new owner left a Zap
// with someone no longer in the account. The membership is now held while the change
// commits, so the removal either sees the Zap and moves it, or the change finds them gone.
// covers: OF-3, OF-6
#[sqlx::test(migrations = "../migrations")]
async fn no_work_is_left_with_someone_who_left(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let olga = person(&pool, "Olga", "olga@example.com").await;
    let account = app::accounts::service::create_account(st, &olga, "Acme")
        .await
        .unwrap();
    for round in 0..8 {
        let ada = person(&pool, "Ada", &format!("ada{round}@example.com")).await;
        sqlx::query(
            "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'member')",
        )
        .bind(account)
        .bind(ada.id)
        .execute(&pool)
        .await
        .unwrap();
        let (zap,): (Uuid,) = sqlx::query_as(
            "INSERT INTO zaps (account_id, owner_id, name, private) VALUES ($1, $2, 'Shared', false) RETURNING id",
        )
        .bind(account)
        .bind(olga.id)
        .fetch_one(&pool)
        .await
        .unwrap();
        let give = app::members::service::change_owner(st, &olga, account, "zap", zap, ada.id);
        let how = handover();
        let remove = app::members::service::remove(st, &olga, account, ada.id, &how, false);
        let (given, removed) = tokio::join!(give, remove);
        assert!(removed.is_ok(), "{removed:?}");
        let (orphans,): (i64,) = sqlx::query_as(
            "SELECT count(*) FROM zaps z WHERE NOT EXISTS (SELECT 1 FROM account_members m WHERE m.account_id = z.account_id AND m.user_id = z.owner_id)",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!(orphans, 0, "round {round}: given {given:?}");
    }
}
