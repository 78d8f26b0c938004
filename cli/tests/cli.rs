//! `gatehousectl` run as a program against the real server on a fresh database (SH-8,
//! tables and JSON, refusals (exit 1), a revoked token (exit 4), questions
//! answered no (exit 3, nothing changed) or skipped with `--yes`.
#[path = "../../server/tests/common/mod.rs"]
mod common;
use common::*;
use serde_json::Value;
use sqlx::PgPool;
use std::process::Stdio;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

struct Run {
    code: i32,
    out: String,
    err: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.out).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.out))
    }
}

/// Run the client with `args`, `input` on standard input, and its own config file.
async fn ctl(config: &std::path::Path, args: &[&str], input: &str) -> Run {
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehousectl"))
        .args(args)
        .env("GATEHOUSE_CONFIG", config)
        .env_remove("GATEHOUSE_URL")
        .env_remove("GATEHOUSE_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).await.unwrap();
    drop(stdin);
    let out = child.wait_with_output().await.unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&out.stdout).into_owned(),
        err: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

async fn one<
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
>(
    pool: &PgPool,
    sql: &str,
) -> T {
    let (v,): (T,) = sqlx::query_as(sql).fetch_one(pool).await.unwrap();
    v
}

// covers: SH-8, X-4, X-6, SH-3, SH-5, SH-2, SH-7, TM-3, TM-5, TM-7
#[sqlx::test(migrations = "../migrations")]
async fn sharing_and_team_from_a_terminal(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let dir = std::env::temp_dir().join(format!("gatehousectl-{}", Uuid::new_v4()));
    let config = dir.join("config.json");
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let (s, id) = app
        .call(
            &ann,
            "integrations/create_integration",
            &[("name", "Acme CRM")],
        )
        .await;
    assert!(s.is_success(), "{id}");
    let integration = id.as_str().unwrap().to_string();
    let (s, v) = app
        .call(
            &ann,
            "integrations/add_version",
            &[("id", &integration), ("version", "1.0.0")],
        )
        .await;
    assert!(s.is_success(), "{v}");
    let t = app.api_token(&ann, "read_write").await;

    // Not signed in yet: exit 4. A usage error: exit 2.
    let r = ctl(&config, &["whoami"], "").await;
    assert_eq!(r.code, 4, "{}", r.err);
    let r = ctl(&config, &["users", "frobnicate"], "").await;
    assert_eq!(r.code, 2, "{}", r.err);

    let r = ctl(
        &config,
        &["login", "--url", &app.base, "--with-token"],
        &format!("{t}\n"),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Ann Admin"), "{}", r.out);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the token file is its owner's only");
    }
    let r = ctl(&config, &["whoami", "--json"], "").await;
    assert_eq!(r.json()["email"], "ann@example.com");

    let r = ctl(&config, &["integrations", "list"], "").await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("Acme CRM") && r.out.contains("admin"),
        "{}",
        r.out
    );
    let r = ctl(&config, &["integrations", "show", "Acme CRM"], "").await;
    assert!(r.out.contains("Versions: 1.0.0"), "{}", r.out);

    // users add, with Zapier's name too; then the list as a table and as JSON.
    let i = ["--integration", "Acme CRM"];
    let r = ctl(
        &config,
        &[
            &[
                "users:add",
                "bea@example.com",
                "cy@example.com",
                "--version",
                "1.0.0",
            ][..],
            &i,
        ]
        .concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("Invited 2"), "{}", r.out);
    let r = ctl(&config, &[&["users", "list"][..], &i].concat(), "").await;
    assert!(
        r.out.contains("bea@example.com") && r.out.contains("pending") && r.out.contains("1.0.0"),
        "{}",
        r.out
    );
    let r = ctl(
        &config,
        &[&["users", "list", "--json", "--status", "pending"][..], &i].concat(),
        "",
    )
    .await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);

    // A refusal: exit 1, the problem on stderr, nothing written.
    let before: i64 = one(&pool, "SELECT count(*) FROM email_invites").await;
    let r = ctl(
        &config,
        &[&["users", "add", "not-an-address"][..], &i].concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.err.contains("not-an-address"), "{}", r.err);
    assert_eq!(
        before,
        one::<i64>(&pool, "SELECT count(*) FROM email_invites").await
    );

    // Links, and rotating one after a question.
    let r = ctl(&config, &[&["users", "links"][..], &i].concat(), "").await;
    assert!(
        r.out.contains("all versions") && r.out.contains("/join/"),
        "{}",
        r.out
    );
    let r = ctl(
        &config,
        &[&["users", "links", "rotate"][..], &i].concat(),
        "no\n",
    )
    .await;
    assert_eq!(r.code, 3, "{}", r.err);
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM invite_links WHERE rotated_at IS NOT NULL"
        )
        .await,
        0
    );
    let r = ctl(
        &config,
        &[&["users", "links", "rotate", "--yes"][..], &i].concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM invite_links WHERE rotated_at IS NOT NULL"
        )
        .await,
        1
    );

    // users remove: Dan uses 1.0.0 in a Zap that is on. "no" changes nothing; --yes
    // revokes and pauses exactly that Zap (the screen's service).
    let _dan = app.signed_in("Dan", "dan@example.com").await;
    let dan: Uuid = one(
        &pool,
        "SELECT id FROM users WHERE email = 'dan@example.com'",
    )
    .await;
    let version: Uuid = one(
        &pool,
        "SELECT id FROM integration_versions WHERE version = '1.0.0'",
    )
    .await;
    sqlx::query("INSERT INTO access_grants (integration_id, user_id, version_id, via, source_id) SELECT integration_id, $1, NULL, 'link', id FROM invite_links LIMIT 1")
        .bind(dan)
        .execute(&pool)
        .await
        .unwrap();
    let (_, acct) = app
        .call(&ann, "accounts/create_account", &[("name", "Dan's Co")])
        .await;
    let acct = Uuid::parse_str(acct.as_str().unwrap()).unwrap();
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'member')",
    )
    .bind(acct)
    .bind(dan)
    .execute(&pool)
    .await
    .unwrap();
    let (zap,): (Uuid,) = sqlx::query_as("INSERT INTO zaps (account_id, owner_id, name, enabled) VALUES ($1, $2, 'Sync', true) RETURNING id")
        .bind(acct)
        .bind(dan)
        .fetch_one(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO zap_versions (zap_id, version_id) VALUES ($1, $2)")
        .bind(zap)
        .bind(version)
        .execute(&pool)
        .await
        .unwrap();
    let r = ctl(
        &config,
        &[&["users", "remove", "dan@example.com"][..], &i].concat(),
        "n\n",
    )
    .await;
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("1 of their Zaps will pause"), "{}", r.err);
    assert!(
        one::<bool>(&pool, "SELECT enabled FROM zaps").await,
        "nothing changed"
    );
    let r = ctl(
        &config,
        &[
            &["users:remove", "dan@example.com", "--yes", "--json"][..],
            &i,
        ]
        .concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.json()["zaps_paused"], 1);
    assert!(
        !one::<bool>(&pool, "SELECT enabled FROM zaps").await,
        "the Zap paused"
    );

    // Team: add, list, role, contact, remove.
    let r = ctl(
        &config,
        &[
            &["team", "add", "cal@example.com", "collaborator", "Welcome"][..],
            &i,
        ]
        .concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    let r = ctl(&config, &[&["team:get"][..], &i].concat(), "").await;
    assert!(
        r.out.contains("cal@example.com") && r.out.contains("pending"),
        "{}",
        r.out
    );
    let r = ctl(
        &config,
        &[&["team", "contact", "marketing", "ann@example.com"][..], &i].concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    let r = ctl(&config, &[&["team", "list", "--json"][..], &i].concat(), "").await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    // The last admin cannot be demoted: exit 1 with the rule's words.
    let r = ctl(
        &config,
        &[&["team", "role", "ann@example.com", "collaborator"][..], &i].concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 1);
    assert!(r.err.to_lowercase().contains("admin"), "{}", r.err);
    let r = ctl(
        &config,
        &[&["team", "remove", "cal@example.com", "-y"][..], &i].concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM team_members WHERE email = 'cal@example.com'"
        )
        .await,
        0
    );

    // Every read command, as a table and as JSON.
    for args in [
        vec!["whoami"],
        vec!["integrations", "list"],
        vec!["integrations", "show", "Acme CRM"],
        vec!["users", "list", "--integration", "Acme CRM"],
        vec!["users", "links", "--integration", "Acme CRM"],
        vec!["team", "list", "--integration", "Acme CRM"],
        vec!["instances", "list"],
    ] {
        let table = ctl(&config, &args, "").await;
        assert_eq!(table.code, 0, "{args:?}: {}", table.err);
        assert!(!table.out.trim().is_empty(), "{args:?}");
        assert!(
            serde_json::from_str::<Value>(&table.out).is_err(),
            "{args:?} prints a table: {}",
            table.out
        );
        let json = ctl(&config, &[&args[..], &["--json"]].concat(), "").await;
        assert_eq!(json.code, 0, "{args:?} --json: {}", json.err);
        json.json();
    }

    // Leaving, as a collaborator with her own token and config: asked, then done.
    let eve = app.signed_in("Eve", "eve@example.com").await;
    let eve_id: Uuid = one(
        &pool,
        "SELECT id FROM users WHERE email = 'eve@example.com'",
    )
    .await;
    sqlx::query("INSERT INTO team_members (integration_id, user_id, email, role, status, accepted_at) VALUES ($1::uuid, $2, 'eve@example.com', 'collaborator', 'accepted', now())")
        .bind(&integration)
        .bind(eve_id)
        .execute(&pool)
        .await
        .unwrap();
    let eve_config = dir.join("eve.json");
    let eve_token = app.api_token(&eve, "read_write").await;
    let r = ctl(
        &eve_config,
        &["login", "--url", &app.base, "--with-token"],
        &format!("{eve_token}\n"),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    let r = ctl(&eve_config, &[&["team", "leave"][..], &i].concat(), "y\n").await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM team_members WHERE email = 'eve@example.com'"
        )
        .await,
        0
    );

    // A project file names the integration.
    std::fs::write(
        dir.join(".gatehouserc"),
        format!("{{\"integration\": \"{integration}\"}}"),
    )
    .unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_gatehousectl"))
        .args(["team", "list"])
        .current_dir(&dir)
        .env("GATEHOUSE_CONFIG", &config)
        .output()
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("ann@example.com"));

    // Revoked: exit 4 on the next command.
    sqlx::query("UPDATE api_tokens SET revoked_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    let r = ctl(&config, &["whoami"], "").await;
    assert_eq!(r.code, 4, "{}", r.err);
    let r = ctl(&config, &["logout"], "").await;
    assert_eq!(r.code, 0);
    let _ = std::fs::remove_dir_all(&dir);
}

// covers: SH-8, X-4, OF-1, OF-2, OF-3, OF-4, OF-8, IN-2, IN-4
#[sqlx::test(migrations = "../migrations")]
async fn members_and_instances_from_a_terminal(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let dir = std::env::temp_dir().join(format!("gatehousectl-{}", Uuid::new_v4()));
    let config = dir.join("config.json");
    let olga = app.signed_in("Olga Owner", "olga@example.com").await;
    let _mia = app.signed_in("Mia Member", "mia@example.com").await;
    let (_, acct) = app
        .call(&olga, "accounts/create_account", &[("name", "Acme Corp")])
        .await;
    let acct = Uuid::parse_str(acct.as_str().unwrap()).unwrap();
    let mia: Uuid = one(
        &pool,
        "SELECT id FROM users WHERE email = 'mia@example.com'",
    )
    .await;
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'member')",
    )
    .bind(acct)
    .bind(mia)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO zaps (account_id, owner_id, name, private) VALUES ($1, $2, 'Mia''s sync', false)")
        .bind(acct)
        .bind(mia)
        .execute(&pool)
        .await
        .unwrap();
    let t = app.api_token(&olga, "read_write").await;
    let r = ctl(
        &config,
        &["login", "--url", &app.base, "--with-token"],
        &format!("{t}\n"),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);

    let r = ctl(&config, &["members", "list", "Acme Corp"], "").await;
    assert!(
        r.out.contains("mia@example.com") && r.out.contains("owner"),
        "{}",
        r.out
    );
    let r = ctl(&config, &["members", "list", "Acme Corp", "--json"], "").await;
    assert_eq!(r.json().as_array().unwrap().len(), 2);
    let r = ctl(
        &config,
        &["members", "export", "Acme Corp", "mia@example.com"],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.starts_with("Type,ID,Name,Link,Private,App"),
        "{}",
        r.out
    );
    assert!(r.out.contains("Mia's sync"), "{}", r.out);

    let r = ctl(
        &config,
        &[
            "members",
            "remove",
            "Acme Corp",
            "mia@example.com",
            "--preview",
        ],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("would move their work to Olga Owner") && r.out.contains("1 shared Zaps"),
        "{}",
        r.out
    );
    let r = ctl(
        &config,
        &["members", "remove", "Acme Corp", "mia@example.com"],
        "no\n",
    )
    .await;
    assert_eq!(r.code, 3);
    assert_eq!(
        one::<i64>(&pool, "SELECT count(*) FROM account_members").await,
        2,
        "nothing changed"
    );
    let r = ctl(
        &config,
        &[
            "members",
            "remove",
            "Acme Corp",
            "mia@example.com",
            "--connections",
            "until-expiry",
            "--yes",
        ],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(
        r.out.contains("moved their work to Olga Owner"),
        "{}",
        r.out
    );
    assert_eq!(
        one::<i64>(&pool, "SELECT count(*) FROM account_members").await,
        1
    );
    assert_eq!(
        one::<String>(
            &pool,
            "SELECT u.email FROM zaps z JOIN users u ON u.id = z.owner_id"
        )
        .await,
        "olga@example.com"
    );

    // Instances: list, share, revoke.
    let id = app.install(&olga, "Jira prod", "bot", "s3cret").await;
    let r = ctl(&config, &["instances", "list"], "").await;
    assert!(
        r.out.contains("Jira prod") && r.out.contains("owner"),
        "{}",
        r.out
    );
    let r = ctl(
        &config,
        &["instances", "share", &id, "mia@example.com", "--write"],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        one::<String>(&pool, "SELECT access FROM instance_shares").await,
        "write"
    );
    let r = ctl(&config, &["instances", "share", &id, "mia@example.com"], "").await;
    assert_eq!(r.code, 2, "--read or --write is required");
    let r = ctl(
        &config,
        &["instances", "revoke", &id, "mia@example.com", "--yes"],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        one::<i64>(&pool, "SELECT count(*) FROM instance_shares").await,
        0
    );
    assert!(!r.out.contains("s3cret") && !r.err.contains("s3cret"));
    let _ = std::fs::remove_dir_all(&dir);
}

// covers: AX-1, AX-2, X-4
#[sqlx::test(migrations = "../migrations")]
async fn access_from_a_terminal(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let dir = std::env::temp_dir().join(format!("gatehousectl-{}", Uuid::new_v4()));
    let config = dir.join("config.json");
    let ann = app.signed_in("Ann Admin", "ann@example.com").await;
    let (s, id) = app
        .call(
            &ann,
            "integrations/create_integration",
            &[("name", "Acme CRM")],
        )
        .await;
    assert!(s.is_success(), "{id}");
    let t = app.api_token(&ann, "read_write").await;
    let r = ctl(
        &config,
        &["login", "--url", &app.base, "--with-token"],
        &format!("{t}\n"),
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    let i = ["--integration", "Acme CRM"];

    // A dated invitation from the terminal; a date that is not one is refused.
    let r = ctl(
        &config,
        &[
            &["users", "add", "bea@example.com", "--ends", "2099-01-01"][..],
            &i,
        ]
        .concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    let ends: chrono::DateTime<chrono::Utc> = one(
        &pool,
        "SELECT ends_at FROM email_invites WHERE email = 'bea@example.com'",
    )
    .await;
    assert_eq!(ends.to_rfc3339(), "2099-01-01T00:00:00+00:00");
    let r = ctl(
        &config,
        &[
            &["users", "add", "cy@example.com", "--ends", "soon"][..],
            &i,
        ]
        .concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.out);
    assert!(r.err.contains("is not a date"), "{}", r.err);
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM email_invites WHERE email = 'cy@example.com'"
        )
        .await,
        0
    );

    // Who can reach it: Ann, by her team role.
    let r = ctl(
        &config,
        &[&["access", "show", "--json"][..], &i].concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    let people = r.json()["people"].clone();
    assert_eq!(people.as_array().unwrap().len(), 1, "{people}");
    assert_eq!(people[0]["roads"][0]["kind"], "team");
    let road = people[0]["roads"][0]["id"].as_str().unwrap().to_string();
    let r = ctl(&config, &[&["access", "show"][..], &i].concat(), "").await;
    assert!(
        r.out.contains("team admin") && r.out.contains(&road),
        "{}",
        r.out
    );

    // The only admin cannot be given an end (exit 1, nothing changed).
    let r = ctl(
        &config,
        &[&["access", "dates", &road, "--ends", "2099-01-01"][..], &i].concat(),
        "",
    )
    .await;
    assert_eq!(r.code, 1, "{}", r.out);
    assert_eq!(
        one::<i64>(
            &pool,
            "SELECT count(*) FROM team_members WHERE ends_at IS NOT NULL"
        )
        .await,
        0
    );
    // Revoking her only road asks first; answered no, nothing changes (exit 3).
    let r = ctl(
        &config,
        &[&["access", "revoke", &road][..], &i].concat(),
        "n\n",
    )
    .await;
    assert_eq!(r.code, 3, "{}", r.err);
    assert!(r.err.contains("no other road remains"), "{}", r.err);
    assert_eq!(
        one::<i64>(&pool, "SELECT count(*) FROM team_members").await,
        1
    );
    // The reverse view.
    let r = ctl(
        &config,
        &["access", "person", "ann@example.com", "--json"],
        "",
    )
    .await;
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(r.json()["items"][0]["name"], "Acme CRM");
    let _ = std::fs::remove_dir_all(dir);
}
