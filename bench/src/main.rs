//! Member-removal transfer vs. bare set-based UPDATEs of the same rows (issue 6).
//!
//! Seeds one member with 10,000 Zaps (a third private, a tenth with webhooks),
//! 2,000 connections and 500 folders, then in the same run times
//!   - the baseline: three bare `UPDATE ... SET owner_id` statements, and
//!   - the real `transfer::run` (renames, new webhook tokens, folder moves,
//!     transfer items, history, mails),
//!
//! each inside a transaction that is rolled back, median of 3; then again at 10×.
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
        actor: s.new_owner,
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
    pool.close().await;
    admin
        .execute("DROP DATABASE IF EXISTS gatehouse_bench WITH (FORCE)")
        .await
        .unwrap();
}
