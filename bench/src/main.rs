//! Member-removal transfer vs. bare set-based UPDATEs of the same rows (issue 6).
//!
//! Seeds one member with 10,000 Zaps (a third private, a tenth with webhooks),
//! 2,000 connections and 500 folders, then in the same run times
//!   - the baseline: three bare `UPDATE ... SET owner_id` statements, and
//!   - the real `transfer::run` (renames, new webhook tokens, folder moves,
//!     transfer items, history, mails),
//!
//! each inside a transaction that is rolled back, median of 3; then again at 10×.
//!
//! Then the cost of the history's hash chain (HI-1, issue 19: at most 20 %): the
//! transfer at 1× and a 200-address invitation batch (and one invitation, for the
//! batch's ratio), each with the chain's insert trigger as it is and with a stub that
//! fills the chain columns without hashing or locking, swapped in for the baseline.
//! Usage: DATABASE_URL=postgres://…/postgres transfer-bench
use app::members::transfer::{self, Plan};
use app::members::ConnectionExpiry;
use app::server::config::Config;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, Executor, PgConnection, PgPool};
use std::time::{Duration, Instant};
use uuid::Uuid;

struct Seeded {
    account: Uuid,
    removed: Uuid,
    new_owner: Uuid,
}

async fn seed(pool: &PgPool, scale: i64) -> Seeded {
    let mut c = pool.acquire().await.unwrap();
    c.execute("TRUNCATE users, accounts, transfers, outbox CASCADE")
        .await
        .unwrap();
    let (account,): (Uuid,) =
        sqlx::query_as("INSERT INTO accounts (name) VALUES ('Bench') RETURNING id")
            .fetch_one(&mut *c)
            .await
            .unwrap();
    let mut ids = Vec::new();
    for (email, role) in [
        ("owner@bench.test", "owner"),
        ("gone@bench.test", "member"),
        ("heir@bench.test", "member"),
    ] {
        let (id,): (Uuid,) = sqlx::query_as(
            "INSERT INTO users (email, name, password_hash) VALUES ($1, $1, 'x') RETURNING id",
        )
        .bind(email)
        .fetch_one(&mut *c)
        .await
        .unwrap();
        sqlx::query("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(id)
            .bind(role)
            .execute(&mut *c)
            .await
            .unwrap();
        ids.push(id);
    }
    let removed = ids[1];
    sqlx::query(
        "INSERT INTO folders (account_id, owner_id, kind, name) \
         SELECT $1, $2, CASE WHEN g % 2 = 0 THEN 'shared' ELSE 'personal' END, 'Folder ' || g FROM generate_series(1, $3::int) g",
    )
    .bind(account)
    .bind(removed)
    .bind(500 * scale)
    .execute(&mut *c)
    .await
    .unwrap();
    sqlx::query(
        "WITH f AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS n, count(*) OVER () AS total FROM folders WHERE owner_id = $2) \
         INSERT INTO zaps (account_id, owner_id, name, enabled, private, folder_id, trigger, webhook_token) \
         SELECT $1, $2, 'Zap ' || g, g % 2 = 0, g % 3 = 0, f.id, \
                CASE WHEN g % 10 = 0 THEN 'catch_hook' ELSE 'none' END, \
                CASE WHEN g % 10 = 0 THEN md5(g::text || random()::text) END \
         FROM generate_series(1, $3::int) g JOIN f ON f.n = g % f.total",
    )
    .bind(account)
    .bind(removed)
    .bind(10_000 * scale)
    .execute(&mut *c)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO app_connections (account_id, owner_id, app, name, private, expires_at) \
         SELECT $1, $2, 'App', 'Connection ' || g, g % 2 = 0, now() + interval '90 days' FROM generate_series(1, $3::int) g",
    )
    .bind(account)
    .bind(removed)
    .bind(2_000 * scale)
    .execute(&mut *c)
    .await
    .unwrap();
    c.execute("ANALYZE").await.unwrap();
    Seeded {
        account,
        removed,
        new_owner: ids[2],
    }
}

async fn baseline(c: &mut PgConnection, s: &Seeded) -> Duration {
    let mut tx = c.begin().await.unwrap();
    let t = Instant::now();
    for table in ["zaps", "folders", "app_connections"] {
        sqlx::query(&format!(
            "UPDATE {table} SET owner_id = $3 WHERE account_id = $1 AND owner_id = $2"
        ))
        .bind(s.account)
        .bind(s.removed)
        .bind(s.new_owner)
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    let d = t.elapsed();
    tx.rollback().await.unwrap();
    d
}

async fn transfer(c: &mut PgConnection, config: &Config, s: &Seeded) -> (Duration, i64) {
    let mut tx = c.begin().await.unwrap();
    let plan = Plan {
        account_id: s.account,
        removed: s.removed,
        new_owner: s.new_owner,
        actor: Some(s.new_owner),
        by: None,
        expiry: ConnectionExpiry::ThirtyDays,
        reason: None,
    };
    let t = Instant::now();
    let (_, report) = transfer::run(&mut tx, config, &plan).await.unwrap();
    let d = t.elapsed();
    tx.rollback().await.unwrap();
    (d, report.private_zaps + report.shared_zaps)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak resident memory of this process so far, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

#[tokio::main]
async fn main() {
    let server = std::env::var("DATABASE_URL").expect("DATABASE_URL (a server URL) is required");
    let base = server
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(server.clone());
    let mut admin = PgConnection::connect(&server).await.expect("connect");
    admin
        .execute("DROP DATABASE IF EXISTS gatehouse_bench WITH (FORCE)")
        .await
        .unwrap();
    admin
        .execute("CREATE DATABASE gatehouse_bench")
        .await
        .unwrap();
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&format!("{base}/gatehouse_bench"))
        .await
        .unwrap();
    app::server::MIGRATOR.run(&pool).await.unwrap();
    let config = Config::from_lookup(|k| match k {
        "DATABASE_URL" => Some("unused".into()),
        "SECRET_KEYS" => Some("b:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into()),
        _ => None,
    })
    .unwrap();

    println!(
        "{:>6} {:>9} {:>12} {:>12} {:>7} {:>14}",
        "scale", "zaps", "transfer ms", "bare ms", "ratio", "peak RSS MiB"
    );
    let mut times = Vec::new();
    for scale in [1, 10] {
        let s = seed(&pool, scale).await;
        let mut c = pool.acquire().await.unwrap();
        let (mut tr, mut ba, mut moved) = (Vec::new(), Vec::new(), 0);
        for _ in 0..3 {
            ba.push(baseline(&mut c, &s).await);
            let (d, n) = transfer(&mut c, &config, &s).await;
            tr.push(d);
            moved = n;
        }
        let (t, b) = (median(tr), median(ba));
        println!(
            "{:>6} {:>9} {:>12.1} {:>12.1} {:>7.2} {:>14.1}",
            format!("{scale}x"),
            moved,
            t.as_secs_f64() * 1e3,
            b.as_secs_f64() * 1e3,
            t.as_secs_f64() / b.as_secs_f64(),
            peak_rss_kib() as f64 / 1024.0
        );
        times.push(t);
    }
    println!(
        "10x rows took {:.2}x the time of 1x (goal <= 12x); transfer/bare goal <= 3x.",
        times[1].as_secs_f64() / times[0].as_secs_f64()
    );
    chain_cost(&pool, &config).await;
    pool.close().await;
    admin
        .execute("DROP DATABASE IF EXISTS gatehouse_bench WITH (FORCE)")
        .await
        .unwrap();
}

/// The chain trigger's stand-in for the baseline: the same columns filled, no hash, no lock.
const STUB: &str = "CREATE OR REPLACE FUNCTION history_chain() RETURNS trigger LANGUAGE plpgsql AS $$ \
    BEGIN NEW.chain := 'bench'; NEW.seq := 0; NEW.prev_hash := '\\x'; NEW.hash := '\\x'; RETURN NEW; END $$";

async fn with_chain(pool: &PgPool, original: &str, on: bool) {
    let sql = if on { original } else { STUB };
    sqlx::raw_sql(sql).execute(pool).await.unwrap();
}

/// Time `n` 200-address batches and `n` single invitations, each on a fresh integration.
async fn invitations(
    st: &app::server::AppState,
    me: &app::server::Actor,
    round: usize,
) -> (Duration, Duration) {
    let mut batch = Vec::new();
    let mut single = Vec::new();
    for i in 0..5 {
        let id = app::integrations::service::create(st, me, &format!("Bench {round}-{i}"), "")
            .await
            .unwrap();
        let list: String = (0..200)
            .map(|k| format!("p{k}-{round}-{i}@bench.test\n"))
            .collect();
        let t = Instant::now();
        let r = app::integrations::service::invite(st, me, id, &list, None)
            .await
            .unwrap();
        batch.push(t.elapsed());
        assert_eq!(r.invited.len(), 200);
        let id = app::integrations::service::create(st, me, &format!("Bench one {round}-{i}"), "")
            .await
            .unwrap();
        let t = Instant::now();
        app::integrations::service::invite(
            st,
            me,
            id,
            &format!("solo-{round}-{i}@bench.test"),
            None,
        )
        .await
        .unwrap();
        single.push(t.elapsed());
    }
    (median(batch), median(single))
}

async fn chain_cost(pool: &PgPool, config: &Config) {
    let (original,): (String,) =
        sqlx::query_as("SELECT pg_get_functiondef('history_chain'::regproc)")
            .fetch_one(pool)
            .await
            .unwrap();
    let s = seed(pool, 1).await;
    let mut c = pool.acquire().await.unwrap();
    let mut transfer_ms = [Vec::new(), Vec::new()];
    for _ in 0..5 {
        for (k, on) in [(0, false), (1, true)] {
            with_chain(pool, &original, on).await;
            transfer_ms[k].push(transfer(&mut c, config, &s).await.0);
        }
    }
    drop(c);
    let st = app::server::AppState {
        pool: pool.clone(),
        config: std::sync::Arc::new(config.clone()),
        leptos_options: leptos::config::LeptosOptions::builder()
            .output_name("bench")
            .build(),
        decisions: Default::default(),
        kept: Default::default(),
    };
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO users (email, name, password_hash, email_verified_at) VALUES ('inviter@bench.test', 'Inviter', 'x', now()) RETURNING id",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let me = app::server::Actor {
        user: app::auth::CurrentUser {
            id,
            email: "inviter@bench.test".into(),
            name: "Inviter".into(),
            email_verified: true,
        },
        door: app::server::actor::Door::Browser,
        client: "bench".into(),
        seen: None,
    };
    let mut inv = Vec::new();
    for (round, on) in [(0, false), (1, true)] {
        with_chain(pool, &original, on).await;
        inv.push(invitations(&st, &me, round).await);
    }
    with_chain(pool, &original, true).await;
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (t0, t1) = (
        median(transfer_ms[0].clone()),
        median(transfer_ms[1].clone()),
    );
    println!();
    println!(
        "{:<34} {:>12} {:>12} {:>7}",
        "history chain cost", "unchained ms", "chained ms", "ratio"
    );
    println!(
        "{:<34} {:>12.2} {:>12.2} {:>7.2}",
        "transfer, 1x",
        ms(t0),
        ms(t1),
        t1.as_secs_f64() / t0.as_secs_f64()
    );
    println!(
        "{:<34} {:>12.2} {:>12.2} {:>7.2}",
        "invitation batch, 200 addresses",
        ms(inv[0].0),
        ms(inv[1].0),
        inv[1].0.as_secs_f64() / inv[0].0.as_secs_f64()
    );
    println!(
        "{:<34} {:>12.2} {:>12.2} {:>7.2}",
        "one invitation",
        ms(inv[0].1),
        ms(inv[1].1),
        inv[1].1.as_secs_f64() / inv[0].1.as_secs_f64()
    );
    println!(
        "chain goal: ratio <= 1.20. 200-address batch / one invitation (chained): {:.2}x (goal <= 5x).",
        inv[1].0.as_secs_f64() / inv[1].1.as_secs_f64()
    );
}
