//! Removing a member: policy, the transfer of every kind of row, preview, atomicity, CSVs, mails.
mod common;
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use sqlx::PgPool;
use std::time::Duration;
use uuid::Uuid;

/// An account with people and every kind of row the removal touches.
struct Fixture {
    account: Uuid,
    other_account: Uuid,
    owner: (Uuid, Client),
    super_admin: (Uuid, Client),
    admin: (Uuid, Client),
    member: (Uuid, Client),
    /// "Xavier Gone", the one removed: also a member of `other_account`.
    x: (Uuid, Client),
    /// A Zap of X's by name.
    zap: std::collections::HashMap<&'static str, Uuid>,
}

async fn uid(app: &TestApp, email: &str) -> Uuid {
    let (id,): (Uuid,) = sqlx::query_as("SELECT id FROM users WHERE email = $1")
        .bind(email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    id
}

async fn fixture(app: &TestApp) -> Fixture {
    let owner = app.signed_in("Olga Owner", "olga@example.com").await;
    let (_, account) = app
        .call(&owner, "accounts/create_account", &[("name", "Acme")])
        .await;
    let account = Uuid::parse_str(account.as_str().unwrap()).unwrap();
    let (_, other) = app
        .call(&owner, "accounts/create_account", &[("name", "Other Co")])
        .await;
    let other_account = Uuid::parse_str(other.as_str().unwrap()).unwrap();
    let mut people = Vec::new();
    for (name, email, role) in [
        ("Sam Super", "sam@example.com", "super_admin"),
        ("Ada Admin", "ada@example.com", "admin"),
        ("Mia Member", "mia@example.com", "member"),
        ("Xavier Gone", "xavier@example.com", "member"),
    ] {
        let c = app.signed_in(name, email).await;
        let id = uid(app, email).await;
        sqlx::query("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(id)
            .bind(role)
            .execute(&app.pool)
            .await
            .unwrap();
        people.push((id, c));
    }
    let x = people[3].0;
    let mia = people[2].0;
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'member')",
    )
    .bind(other_account)
    .bind(x)
    .execute(&app.pool)
    .await
    .unwrap();
    let folder = |kind: &'static str, name: &'static str, owner: Uuid, account: Uuid| {
        let pool = app.pool.clone();
        async move {
            let (id,): (Uuid,) = sqlx::query_as("INSERT INTO folders (account_id, owner_id, kind, name) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(account)
                .bind(owner)
                .bind(kind)
                .bind(name)
                .fetch_one(&pool)
                .await
                .unwrap();
            id
        }
    };
    let shared = folder("shared", "Sales Ops", x, account).await;
    let personal = folder("personal", "Drafts", x, account).await;
    let mia_folder = folder("personal", "Mia's", mia, account).await;
    let other_folder = folder("personal", "Elsewhere", x, other_account).await;
    let mut zap = std::collections::HashMap::new();
    for (name, account_id, owner, enabled, private, folder_id, trigger) in [
        (
            "shared hook",
            account,
            x,
            true,
            false,
            Some(shared),
            "catch_hook",
        ),
        (
            "private raw hook",
            account,
            x,
            false,
            true,
            Some(personal),
            "catch_raw_hook",
        ),
        (
            "shared in personal",
            account,
            x,
            true,
            false,
            Some(personal),
            "none",
        ),
        ("private unfiled", account, x, true, true, None, "none"),
        (
            "mia's own",
            account,
            mia,
            true,
            true,
            Some(mia_folder),
            "catch_hook",
        ),
        (
            "other account",
            other_account,
            x,
            true,
            true,
            Some(other_folder),
            "catch_hook",
        ),
    ] {
        let (id,): (Uuid,) = sqlx::query_as(
            "INSERT INTO zaps (account_id, owner_id, name, enabled, private, folder_id, trigger, webhook_token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $7 = 'none' THEN NULL ELSE md5(random()::text) END) RETURNING id",
        )
        .bind(account_id)
        .bind(owner)
        .bind(name)
        .bind(enabled)
        .bind(private)
        .bind(folder_id)
        .bind(trigger)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        zap.insert(name, id);
    }
    for (name, private, expires) in [
        ("Gmail, \"work\" inbox", true, Some(100)),
        ("Slack #sales", false, None),
    ] {
        sqlx::query(
            "INSERT INTO app_connections (account_id, owner_id, app, name, private, expires_at) \
             VALUES ($1, $2, 'Gmail', $3, $4, now() + make_interval(days => $5))",
        )
        .bind(account)
        .bind(x)
        .bind(name)
        .bind(private)
        .bind(expires)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let mut it = people.into_iter();
    Fixture {
        account,
        other_account,
        owner: (uid(app, "olga@example.com").await, owner),
        super_admin: it.next().unwrap(),
        admin: it.next().unwrap(),
        member: it.next().unwrap(),
        x: it.next().unwrap(),
        zap,
    }
}

impl Fixture {
    async fn remove(
        &self,
        app: &TestApp,
        by: &Client,
        new_owner: Option<Uuid>,
        expiry: &str,
        endpoint: &str,
    ) -> (StatusCode, Value) {
        let (a, u) = (self.account.to_string(), self.x.0.to_string());
        let owner = new_owner.map(|o| o.to_string());
        let mut form = vec![
            ("account_id", a.as_str()),
            ("user_id", u.as_str()),
            ("expiry", expiry),
        ];
        if let Some(o) = &owner {
            form.push(("new_owner", o.as_str()));
        }
        app.call(by, endpoint, &form).await
    }
}

/// Every row of every table the removal may touch, as text: equal snapshots mean nothing changed.
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    for t in [
        "account_members",
        "zaps",
        "folders",
        "app_connections",
        "transfers",
        "transfer_items",
        "outbox",
        "history",
        "sessions",
    ] {
        let (rows,): (Option<String>,) = sqlx::query_as(&format!(
            "SELECT string_agg(t::text, E'\\n' ORDER BY t::text) FROM {t} t"
        ))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        out.push(format!("{t}: {}", rows.unwrap_or_default()));
    }
    out
}

/// owner, enabled, folder, webhook token
type ZapRow = (Uuid, bool, Option<Uuid>, Option<String>);

async fn zap_row(app: &TestApp, id: Uuid) -> ZapRow {
    sqlx::query_as("SELECT owner_id, enabled, folder_id, webhook_token FROM zaps WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

// covers: OF-3, OF-1, OF-5, X-2
#[sqlx::test(migrations = "../migrations")]
async fn removal_moves_every_kind_of_row_as_the_rules_say(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let f = fixture(&app).await;
    let mia = f.member.0;
    let before: std::collections::HashMap<&str, ZapRow> = {
        let mut m = std::collections::HashMap::new();
        for (name, id) in &f.zap {
            m.insert(*name, zap_row(&app, *id).await);
        }
        m
    };
    let (old_hook_status, _) = {
        let t = before["shared hook"].3.clone().unwrap();
        let r = app
            .client()
            .post(format!("{}/hooks/{t}", app.base))
            .body("{}")
            .send()
            .await
            .unwrap();
        (r.status(), ())
    };
    assert_eq!(old_hook_status, StatusCode::OK, "the old URL works before");

    let (s, body) = f
        .remove(
            &app,
            &f.owner.1,
            Some(mia),
            "30_days",
            "members/remove_member",
        )
        .await;
    assert!(s.is_success(), "{s} {body}");
    let report = &body["report"];
    assert_eq!(report["private_zaps"], 2);
    assert_eq!(report["shared_zaps"], 2);
    assert_eq!(report["zaps_on"], 3);
    assert_eq!(report["webhooks"], 2);
    assert_eq!(report["new_folder"], "Xavier Gone's Zaps");
    assert_eq!(report["zaps_into_new_folder"], 3);
    assert_eq!(report["shared_folders"], 1);
    assert_eq!(report["personal_folders_abandoned"], 1);
    assert_eq!(report["connections"], 2);

    // Zaps: all to Mia, on/off kept, catch hooks re-tokened.
    let (new_folder,): (Uuid,) = sqlx::query_as("SELECT id FROM folders WHERE name = 'Xavier Gone''s Zaps' AND kind = 'personal' AND owner_id = $1")
        .bind(mia)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (shared_folder, shared_owner): (Uuid, Uuid) =
        sqlx::query_as("SELECT id, owner_id FROM folders WHERE name = 'Sales Ops'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(shared_owner, mia, "shared folders pass to the new owner");
    for name in [
        "shared hook",
        "private raw hook",
        "shared in personal",
        "private unfiled",
    ] {
        let after = zap_row(&app, f.zap[name]).await;
        assert_eq!(after.0, mia, "{name} owner");
        assert_eq!(after.1, before[name].1, "{name} keeps on/off");
        if before[name].3.is_some() {
            assert!(
                after.3.is_some() && after.3 != before[name].3,
                "{name} gets a new webhook URL"
            );
        }
    }
    assert_eq!(
        zap_row(&app, f.zap["shared hook"]).await.2,
        Some(shared_folder),
        "shared Zaps stay in their folder"
    );
    for name in ["private raw hook", "shared in personal", "private unfiled"] {
        assert_eq!(
            zap_row(&app, f.zap[name]).await.2,
            Some(new_folder),
            "{name} goes to X's Zaps"
        );
    }
    let (abandoned, left): (bool, i64) = sqlx::query_as(
        "SELECT abandoned_at IS NOT NULL, (SELECT count(*) FROM zaps WHERE folder_id = f.id) FROM folders f WHERE name = 'Drafts'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        abandoned && left == 0,
        "personal folders emptied and abandoned"
    );
    // Untouched: Mia's own Zap, and X's work in the other account.
    assert_eq!(zap_row(&app, f.zap["mia's own"]).await, before["mia's own"]);
    assert_eq!(
        zap_row(&app, f.zap["other account"]).await,
        before["other account"]
    );
    let (elsewhere,): (Option<chrono::DateTime<chrono::Utc>>,) =
        sqlx::query_as("SELECT abandoned_at FROM folders WHERE name = 'Elsewhere'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(elsewhere.is_none());

    // Webhooks: the old URL 404s, the new one records a run.
    let old = before["shared hook"].3.clone().unwrap();
    let r = app
        .client()
        .post(format!("{}/hooks/{old}", app.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let new = zap_row(&app, f.zap["shared hook"]).await.3.unwrap();
    let runs = app.count("zap_runs").await;
    let r = app
        .client()
        .post(format!("{}/hooks/{new}", app.base))
        .body("{\"lead\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.count("zap_runs").await, runs + 1);

    // Connections: to Mia, renamed; the private one stops within 30 days, the shared one keeps its schedule.
    let conns: Vec<(String, Uuid, bool, Option<bool>)> = sqlx::query_as(
        "SELECT name, owner_id, private, expires_at < now() + interval '31 days' FROM app_connections ORDER BY name",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        conns[0],
        (
            "Xavier Gone - Gmail, \"work\" inbox".into(),
            mia,
            true,
            Some(true)
        )
    );
    assert_eq!(
        conns[1],
        ("Xavier Gone - Slack #sales".into(), mia, false, None)
    );

    // Membership here ends; elsewhere it stays, and so do X's sessions.
    let (_, mine) = app.call(&f.x.1, "accounts/my_accounts", &[]).await;
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert_eq!(mine[0]["id"], f.other_account.to_string());
    let (s, _) = app
        .call(
            &f.x.1,
            "accounts/list_members",
            &[("account_id", &f.account.to_string())],
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "access ends on the very next request"
    );

    // History and both mails.
    let (counts,): (Value,) =
        sqlx::query_as("SELECT after FROM history WHERE action = 'member.removed'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(counts["connection_expiry"], "30_days");
    assert_eq!(counts["counts"]["webhooks"], 2);
    let mails: Vec<(String, String)> = sqlx::query_as(
        "SELECT to_addr, subject FROM outbox WHERE subject LIKE '%Xavier Gone%' ORDER BY id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(mails.len(), 2);
    assert_eq!(mails[0].0, "mia@example.com");
    assert_eq!(
        mails[1],
        (
            "olga@example.com".into(),
            "Xavier Gone was removed from your account".into()
        )
    );
}

// covers: OF-8, OF-3
#[sqlx::test(migrations = "../migrations")]
async fn the_preview_changes_nothing_and_matches_the_removal(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let f = fixture(&app).await;
    let before = snapshot(&app).await;
    let (s, mut preview) = f
        .remove(
            &app,
            &f.super_admin.1,
            None,
            "until_expiry",
            "members/preview_removal",
        )
        .await;
    assert!(s.is_success(), "{preview}");
    assert_eq!(snapshot(&app).await, before, "a preview writes nothing");
    assert_eq!(
        preview["new_owner_name"], "Olga Owner",
        "defaults to the account owner"
    );
    let (s, mut removed) = f
        .remove(
            &app,
            &f.super_admin.1,
            None,
            "until_expiry",
            "members/remove_member",
        )
        .await;
    assert!(s.is_success());
    // Same path, same answer (the expiry instant is "now" in both, so compare it apart).
    preview.as_object_mut().unwrap().remove("private_expire_by");
    removed["report"]
        .as_object_mut()
        .unwrap()
        .remove("private_expire_by");
    assert_eq!(preview, removed["report"]);
    let (moved,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM transfer_items WHERE kind <> 'Folder'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        moved,
        preview["private_zaps"].as_i64().unwrap()
            + preview["shared_zaps"].as_i64().unwrap()
            + preview["connections"].as_i64().unwrap()
    );
    let (c,): (Option<bool>,) = sqlx::query_as("SELECT bool_and(expires_at > now() + interval '99 days') FROM app_connections WHERE private")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        c,
        Some(true),
        "'until they expire' keeps the private connection's own schedule"
    );
}

// covers: OF-2, OF-1
#[sqlx::test(migrations = "../migrations")]
async fn an_admin_always_transfers_to_the_account_owner(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let f = fixture(&app).await;
    let (s, b) = f
        .remove(
            &app,
            &f.admin.1,
            Some(f.member.0),
            "30_days",
            "members/remove_member",
        )
        .await;
    assert!(s.is_success(), "{b}");
    assert_eq!(b["report"]["new_owner_name"], "Olga Owner");
    let (owners,): (Vec<Uuid>,) = sqlx::query_as("SELECT array_agg(DISTINCT owner_id) FROM zaps WHERE account_id = $1 AND name <> 'mia''s own'")
        .bind(f.account)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(owners, vec![f.owner.0]);
    let (_, opts) = app
        .call(
            &f.admin.1,
            "members/removal_options",
            &[
                ("account_id", &f.account.to_string()),
                ("user_id", &f.member.0.to_string()),
            ],
        )
        .await;
    assert_eq!(opts["can_choose_owner"], false);
}

// covers: OF-1, OF-2, OF-7, AC-3, X-5
#[sqlx::test(migrations = "../migrations")]
async fn who_may_remove_whom_and_refusals_change_nothing(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let f = fixture(&app).await;
    let outsider = app.signed_in("Out Sider", "out@example.com").await;
    let before = snapshot(&app).await;
    let a = f.account.to_string();
    let call = |by: &Client, user: Uuid| {
        let u = user.to_string();
        let a = a.clone();
        let by = by.clone();
        let app = &app;
        async move {
            app.call(
                &by,
                "members/remove_member",
                &[("account_id", &a), ("user_id", &u), ("expiry", "30_days")],
            )
            .await
            .0
        }
    };
    assert_eq!(
        call(&f.member.1, f.x.0).await,
        StatusCode::FORBIDDEN,
        "plain members cannot remove"
    );
    assert_eq!(
        call(&f.super_admin.1, f.owner.0).await,
        StatusCode::FORBIDDEN,
        "nobody removes the owner"
    );
    assert_eq!(
        call(&f.admin.1, f.admin.0).await,
        StatusCode::FORBIDDEN,
        "nobody removes themselves here"
    );
    assert_eq!(
        call(&f.admin.1, f.super_admin.0).await,
        StatusCode::FORBIDDEN,
        "admins cannot remove super admins"
    );
    assert_eq!(call(&outsider, f.x.0).await, StatusCode::NOT_FOUND);
    assert_eq!(
        call(&f.owner.1, Uuid::new_v4()).await,
        StatusCode::NOT_FOUND
    );
    let (s, b) = f
        .remove(
            &app,
            &f.owner.1,
            Some(f.x.0),
            "30_days",
            "members/remove_member",
        )
        .await;
    assert_eq!(
        (s, error_field(&b).map(|e| e.0)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("new_owner"))
    );
    let (s, b) = f
        .remove(&app, &f.owner.1, None, "forever", "members/remove_member")
        .await;
    assert_eq!(
        (s, error_field(&b).map(|e| e.0)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("expiry"))
    );

    // SCIM on: the Members screen cannot remove anyone; only owner and super admins switch it.
    let (s, _) = app
        .call(
            &f.admin.1,
            "members/set_scim",
            &[("account_id", &a), ("on", "true")],
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Switching on needs a SCIM token for the identity provider first.
    let (s, b) = app
        .call(
            &f.owner.1,
            "members/set_scim",
            &[("account_id", &a), ("on", "true")],
        )
        .await;
    assert_eq!(
        (s, error_field(&b).map(|e| e.0)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("on"))
    );
    let (s, b) = app
        .call(
            &f.owner.1,
            "scim/create_token",
            &[("account_id", &a), ("name", "Okta"), ("days", "30")],
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (s, _) = app
        .call(
            &f.owner.1,
            "members/set_scim",
            &[("account_id", &a), ("on", "true")],
        )
        .await;
    assert!(s.is_success());
    let (_, page) = app
        .call(&f.owner.1, "accounts/list_members", &[("account_id", &a)])
        .await;
    assert_eq!(page["scim_enabled"], true);
    let (s, b) = f
        .remove(&app, &f.owner.1, None, "30_days", "members/remove_member")
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert!(message(&b).contains("identity provider"));
    app.call(
        &f.owner.1,
        "members/set_scim",
        &[("account_id", &a), ("on", "false")],
    )
    .await;
    let mut after = snapshot(&app).await;
    // Only the two SCIM switches were written (history); everything else is as before.
    after.retain(|t| !t.starts_with("history"));
    let mut b4 = before;
    b4.retain(|t| !t.starts_with("history"));
    assert_eq!(after, b4);
}

// covers: OF-3
#[sqlx::test(migrations = "../migrations")]
async fn a_failure_mid_transfer_leaves_every_row_as_before(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let f = fixture(&app).await;
    // Inject a failure after Zaps and folders have moved: connections refuse updates.
    sqlx::query("CREATE FUNCTION fail_now() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("CREATE TRIGGER injected BEFORE UPDATE ON app_connections FOR EACH ROW EXECUTE FUNCTION fail_now()")
        .execute(&app.pool)
        .await
        .unwrap();
    let before = snapshot(&app).await;
    let (s, b) = f
        .remove(&app, &f.owner.1, None, "30_days", "members/remove_member")
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{b}");
    assert!(
        b["Internal"]["ref_id"].is_string(),
        "an internal error with a reference, no database text: {b}"
    );
    assert!(!b.to_string().contains("injected"));
    assert_eq!(snapshot(&app).await, before, "all of it or none of it");
    sqlx::query("DROP TRIGGER injected ON app_connections")
        .execute(&app.pool)
        .await
        .unwrap();
    let (s, _) = f
        .remove(&app, &f.owner.1, None, "30_days", "members/remove_member")
        .await;
    assert!(s.is_success());
}

// covers: OF-3
#[sqlx::test(migrations = "../migrations")]
async fn concurrent_edits_are_neither_lost_nor_left_behind(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let f = fixture(&app).await;
    let z = f.zap["shared hook"];
    // Someone is renaming one of X's Zaps as the removal starts.
    let mut edit = app.pool.begin().await.unwrap();
    sqlx::query("UPDATE zaps SET name = 'renamed meanwhile' WHERE id = $1")
        .bind(z)
        .execute(&mut *edit)
        .await
        .unwrap();
    let (a, u) = (f.account.to_string(), f.x.0.to_string());
    let base = app.base.clone();
    let owner = f.owner.1.clone();
    let removal = tokio::spawn(async move {
        owner
            .post(format!("{base}/api/members/remove_member"))
            .header("Accept", "application/json")
            .form(&[
                ("account_id", a.as_str()),
                ("user_id", u.as_str()),
                ("expiry", "30_days"),
            ])
            .send()
            .await
            .unwrap()
            .status()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !removal.is_finished(),
        "the removal waits for the row it moves"
    );
    edit.commit().await.unwrap();
    assert!(removal.await.unwrap().is_success());
    let (name, owner): (String, Uuid) =
        sqlx::query_as("SELECT name, owner_id FROM zaps WHERE id = $1")
            .bind(z)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        (name.as_str(), owner),
        ("renamed meanwhile", f.owner.0),
        "the edit is kept, on the moved row"
    );

    // A Zap created for someone while their removal runs waits for it, then is refused.
    let mia = f.member.0;
    let mut removing = app.pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM account_members WHERE account_id = $1 AND user_id = $2 FOR UPDATE")
        .bind(f.account)
        .bind(mia)
        .execute(&mut *removing)
        .await
        .unwrap();
    sqlx::query("DELETE FROM account_members WHERE account_id = $1 AND user_id = $2")
        .bind(f.account)
        .bind(mia)
        .execute(&mut *removing)
        .await
        .unwrap();
    let pool = app.pool.clone();
    let account = f.account;
    let create = tokio::spawn(async move {
        sqlx::query("INSERT INTO zaps (account_id, owner_id, name) VALUES ($1, $2, 'late')")
            .bind(account)
            .bind(mia)
            .execute(&pool)
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!create.is_finished(), "the creation waits for the removal");
    removing.commit().await.unwrap();
    assert!(
        create.await.unwrap().is_err(),
        "and is refused: nothing is left behind"
    );
}

fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let mut out = vec![header];
    for rec in r.records() {
        out.push(rec.unwrap().iter().map(String::from).collect());
    }
    out
}

// covers: OF-4, OF-5, OF-2
#[sqlx::test(migrations = "../migrations")]
async fn csv_export_and_the_mailed_link(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let f = fixture(&app).await;
    let path = format!("/accounts/{}/members/{}/export.csv", f.account, f.x.0);
    let res = app.get(&f.owner.1, &path).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let rows = parse_csv(&res.text().await.unwrap());
    assert_eq!(rows[0], ["Type", "ID", "Name", "Link", "Private", "App"]);
    assert_eq!(
        rows.len(),
        1 + 2 + 4,
        "two connections and four Zaps in this account"
    );
    let gmail = rows
        .iter()
        .find(|r| r[2] == "Gmail, \"work\" inbox")
        .expect("quoted name round-trips");
    assert_eq!(
        (gmail[0].as_str(), gmail[4].as_str(), gmail[5].as_str()),
        ("Auth", "True", "Gmail")
    );
    let zap = rows.iter().find(|r| r[2] == "shared hook").unwrap();
    assert_eq!(
        (zap[0].as_str(), zap[4].as_str(), zap[5].as_str()),
        ("Zap", "False", "")
    );
    assert!(zap[3].starts_with("http") && zap[3].contains(&zap[1]));
    assert_eq!(
        app.get(&f.super_admin.1, &path).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&f.admin.1, &path).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&f.member.1, &path).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&app.client(), &path).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // After the removal, the new owner's mail links to exactly what moved.
    let (s, b) = f
        .remove(
            &app,
            &f.owner.1,
            Some(f.member.0),
            "30_days",
            "members/remove_member",
        )
        .await;
    assert!(s.is_success(), "{b}");
    let (body,): (String,) = sqlx::query_as("SELECT body_text FROM outbox WHERE to_addr = 'mia@example.com' AND body_text LIKE '%items.csv%'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/items.csv?token="))
        .unwrap();
    let path = &link[link.find("/transfers/").unwrap()..];
    let res = app.get(&f.member.1, path).await;
    assert_eq!(res.status(), StatusCode::OK);
    let rows = parse_csv(&res.text().await.unwrap());
    assert_eq!(rows.len(), 1 + 6);
    assert!(rows.iter().any(|r| r[2] == "Xavier Gone - Slack #sales"));
    assert!(
        !rows
            .iter()
            .any(|r| r[2] == "mia's own" || r[2] == "other account"),
        "exactly the transferred items"
    );
    assert_eq!(
        app.get(&f.owner.1, path).await.status(),
        StatusCode::NOT_FOUND,
        "only for the new owner"
    );
    assert_eq!(
        app.get(&app.client(), path).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let bad = path.replace("token=", "token=x");
    assert_eq!(
        app.get(&f.member.1, &bad).await.status(),
        StatusCode::NOT_FOUND
    );
    sqlx::query("UPDATE transfers SET csv_expires_at = at + interval '7 days', at = now() - interval '7 days 1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE transfers SET csv_expires_at = at + interval '7 days'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app.get(&f.member.1, path).await.status(),
        StatusCode::CONFLICT,
        "expired after 7 days"
    );
}

// covers: OF-6, OF-2
#[sqlx::test(migrations = "../migrations")]
async fn owner_of_a_shared_zap_or_connection_changes_later(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let f = fixture(&app).await;
    let a = f.account.to_string();
    let z = f.zap["shared hook"].to_string();
    let mia = f.member.0.to_string();
    let form = |kind: &'static str, item: String| {
        vec![
            ("account_id", a.clone()),
            ("kind", kind.to_string()),
            ("item_id", item),
            ("new_owner", mia.clone()),
        ]
    };
    let call = |c: Client, form: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let f: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.call(&c, "work/change_owner", &f).await
        }
    };
    let token_before = zap_row(&app, f.zap["shared hook"]).await.3;
    assert_eq!(
        call(f.admin.1.clone(), form("zap", z.clone())).await.0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        call(
            f.super_admin.1.clone(),
            form("zap", f.zap["private unfiled"].to_string())
        )
        .await
        .0,
        StatusCode::NOT_FOUND,
        "private Zaps are not moved this way"
    );
    let (s, b) = call(f.super_admin.1.clone(), form("zap", z.clone())).await;
    assert!(s.is_success(), "{b}");
    let after = zap_row(&app, f.zap["shared hook"]).await;
    assert_eq!(after.0, f.member.0);
    assert_ne!(after.3, token_before, "the webhook URL follows the owner");
    let (conn,): (Uuid,) = sqlx::query_as("SELECT id FROM app_connections WHERE NOT private")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let (s, _) = call(f.owner.1.clone(), form("connection", conn.to_string())).await;
    assert!(s.is_success());
    let (owner,): (Uuid,) = sqlx::query_as("SELECT owner_id FROM app_connections WHERE id = $1")
        .bind(conn)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(owner, f.member.0);
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM history WHERE action IN ('zap.owner_changed', 'connection.owner_changed')").fetch_one(&app.pool).await.unwrap();
    assert_eq!(n, 2);
    // The work page shows the member what is theirs and what is shared.
    let (_, page) = app
        .call(&f.member.1, "work/account_work", &[("account_id", &a)])
        .await;
    assert!(page["zaps"]
        .as_array()
        .unwrap()
        .iter()
        .any(|z| z["name"] == "shared hook" && z["webhook_url"].is_string()));
    assert!(
        page["members"].as_array().unwrap().is_empty(),
        "members cannot move others' work"
    );
}

// The remove dialog's search narrows the list; the preview then uses the member the
// narrowed list shows, not the one selected before the search (issue 14, item 1). With
// SCIM on, the dialog refuses at once (item 12).
// covers: OF-2, OF-7, OF-8
#[sqlx::test(migrations = "../migrations")]
async fn the_preview_uses_the_new_owner_the_searched_list_shows(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let st = &app.state;
    let olga = person(&app.pool, "Olga Owner", "olga@example.com").await;
    let account = app::accounts::service::create_account(st, &olga, "Acme")
        .await
        .unwrap();
    let mut ids = std::collections::HashMap::new();
    for (name, email, role) in [
        ("Sam Super", "sam@example.com", "super_admin"),
        ("Mia Member", "mia@example.com", "member"),
        ("Xavier Gone", "xavier@example.com", "member"),
    ] {
        let p = person(&app.pool, name, email).await;
        sqlx::query("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(p.id)
            .bind(role)
            .execute(&app.pool)
            .await
            .unwrap();
        ids.insert(name, p);
    }
    let (sam, x) = (ids["Sam Super"].id, ids["Xavier Gone"].id);
    let preview = |me: app::server::actor::Actor, owner: Option<Uuid>, q: &'static str| {
        let st = st.clone();
        async move {
            app::members::service::preview(&st, &me, account, x, owner, "30_days", Some(q)).await
        }
    };
    // Olga was selected; the search "sam" shows only Sam: Sam receives the work.
    let r = preview(olga.clone(), Some(olga.id), "sam").await.unwrap();
    assert_eq!(
        (r.new_owner_id, r.new_owner_name.as_str()),
        (sam, "Sam Super")
    );
    // Without a search, the one asked for.
    let r = preview(olga.clone(), Some(sam), "").await.unwrap();
    assert_eq!(r.new_owner_id, sam);
    assert!(r.moves_nothing(), "Xavier has no work");
    // Someone the list does not offer (here: the removed member) is never what the
    // dialog previews: the list's own selection is.
    let r = preview(olga.clone(), Some(x), "").await.unwrap();
    assert_eq!(r.new_owner_id, olga.id);
    // An admin cannot choose, so the search does not matter: always the account owner.
    sqlx::query("UPDATE account_members SET role = 'admin' WHERE user_id = $1")
        .bind(sam)
        .execute(&app.pool)
        .await
        .unwrap();
    let r = preview(ids["Sam Super"].clone(), Some(ids["Mia Member"].id), "zed")
        .await
        .unwrap();
    assert_eq!(r.new_owner_id, olga.id);
    // A search matching nobody is a clear refusal, and changes nothing.
    let before = app.snapshot().await;
    match preview(olga.clone(), None, "zed").await {
        Err(app::error::AppError::Validation { field, message }) => {
            assert_eq!(field, "new_owner");
            assert!(message.contains("No member matches “zed”"), "{message}");
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
    assert_eq!(app.snapshot().await, before);
    // An outsider's search tells them nothing about who is a member.
    let eve = person(&app.pool, "Eve Outsider", "eve@example.com").await;
    for q in ["sam", "zed"] {
        assert!(
            matches!(
                preview(eve.clone(), None, q).await,
                Err(app::error::AppError::NotFound)
            ),
            "{q}"
        );
    }

    // SCIM on: the dialog's options already refuse, naming the identity provider.
    sqlx::query("UPDATE accounts SET scim_enabled = true WHERE id = $1")
        .bind(account)
        .execute(&app.pool)
        .await
        .unwrap();
    let refused = app::members::service::removal_options(st, &olga, account, x, "").await;
    match refused {
        Err(e) => assert!(e.to_string().contains("identity provider"), "{e}"),
        Ok(_) => panic!("options offered with SCIM on"),
    }
}
