//! No secret leaves the server: not in a page, an API answer, a log line, history or the WASM bundle.
mod common;
use app::server::crypto::Keyring;
use common::*;
use sqlx::PgPool;
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use uuid::Uuid;

/// Every log line of this test process, at TRACE, captured.
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let w = buf.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || Capture(w.clone()))
            .init();
        buf
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);
impl Write for Capture {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

// covers: IN-3, IN-1
#[sqlx::test(migrations = "../migrations")]
async fn secrets_never_reach_pages_answers_logs_history_or_the_bundle(pool: PgPool) {
    let logs = logs();
    let app = TestApp::start(pool).await;
    let canaries: Vec<String> = (0..3)
        .map(|i| format!("canary{i}-{}", Uuid::new_v4().simple()))
        .collect();
    let owner = app.signed_in("Owen", "owen@example.com").await;
    let reader = app.signed_in("Rita", "rita@example.com").await;
    let writer = app.signed_in("Wren", "wren@example.com").await;

    let mut bodies: Vec<(String, String)> = Vec::new();
    let id = app.install(&owner, "Ops Jira", "bot", &canaries[0]).await;
    let (_, b) = app
        .call(
            &owner,
            "instances/add_login",
            &[
                ("id", &id),
                ("username", "second"),
                ("secret", &canaries[1]),
            ],
        )
        .await;
    bodies.push(("add_login".into(), b.to_string()));
    let login = b.as_str().unwrap().to_string();
    let (_, b) = app
        .call(
            &owner,
            "instances/replace_secret",
            &[("id", &id), ("login_id", &login), ("secret", &canaries[2])],
        )
        .await;
    bodies.push(("replace_secret".into(), b.to_string()));
    app.share(&owner, &id, "rita@example.com", "read").await;
    app.share(&owner, &id, "wren@example.com", "write").await;
    let (_, copy) = app
        .call(&reader, "instances/clone_instance", &[("id", &id)])
        .await;
    let copy = copy.as_str().unwrap().to_string();

    for (who, c) in [("owner", &owner), ("reader", &reader), ("writer", &writer)] {
        for path in [
            "/".to_string(),
            "/instances".into(),
            format!("/instances/{id}"),
            format!("/instances/{id}?confirm=delete"),
            format!("/instances/{copy}"),
            "/accounts".into(),
            "/dev/mail".into(),
        ] {
            let text = app.get(c, &path).await.text().await.unwrap();
            bodies.push((format!("{who} GET {path}"), text));
        }
        for (endpoint, form) in [
            ("instances/list_instances", vec![]),
            ("instances/get_instance", vec![("id", id.as_str())]),
            ("instances/get_instance", vec![("id", copy.as_str())]),
            ("instances/my_access", vec![("id", id.as_str())]),
            ("nav_info", vec![]),
            ("auth/whoami", vec![]),
            ("dev/list_mail", vec![]),
        ] {
            let (_, b) = app.call(c, endpoint, &form).await;
            bodies.push((format!("{who} {endpoint}"), b.to_string()));
        }
    }
    // The pages really rendered the instance (so the sweep looked at something).
    let reader_page = format!("reader GET /instances/{id}");
    assert!(bodies
        .iter()
        .any(|(w, b)| *w == reader_page && b.contains("secret set")));

    let (history,): (String,) =
        sqlx::query_as("SELECT coalesce(string_agg(h::text, ' '), '') FROM history h")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let (outbox,): (String,) =
        sqlx::query_as("SELECT coalesce(string_agg(o::text, ' '), '') FROM outbox o")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let stored: Vec<(Vec<u8>,)> = sqlx::query_as("SELECT secret_ciphertext FROM instance_logins")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let logs = logs.lock().unwrap().clone();
    assert!(
        logs.len() > 1000,
        "the log capture is working ({} bytes)",
        logs.len()
    );

    let mut hits = Vec::new();
    for canary in &canaries {
        for (where_, body) in &bodies {
            if body.contains(canary.as_str()) {
                hits.push(format!("{where_}: {canary}"));
            }
        }
        if history.contains(canary.as_str()) || outbox.contains(canary.as_str()) {
            hits.push(format!("history/outbox: {canary}"));
        }
        if stored.iter().any(|(c,)| contains(c, canary)) {
            hits.push(format!("stored plaintext: {canary}"));
        }
        if contains(&logs, canary) {
            hits.push(format!("log: {canary}"));
        }
    }
    assert_eq!(hits, Vec::<String>::new());

    // The release client holds no secret either (the demo's, compiled into the server
    // only, is the one that could leak by a wrong cfg): every file of the build the
    // pages name (`hash.txt`): the main module, its JS, the split loader, and the
    // modules split off the main one (the split manifest).
    let hashes = std::env::var("GATEHOUSE_HASHES")
        .expect("GATEHOUSE_HASHES names the release build's hash.txt; `make test` sets it");
    let pkg = std::path::PathBuf::from(
        std::env::var("GATEHOUSE_PKG").expect("GATEHOUSE_PKG names the site's pkg directory"),
    );
    let client = app::server::client_files::read(std::path::Path::new(&hashes), &pkg)
        .unwrap_or_else(|e| panic!("the release client's files: {e}"));
    assert_eq!(
        client.first.len(),
        4,
        "hash.txt names the main module, its JS, the split loader and the stylesheet: {:?}",
        client.first
    );
    assert!(!client.split.is_empty(), "the build names no split module");
    let files = client.first.into_iter().chain(client.split);
    let mut wasm_bytes = 0;
    for name in files {
        let body = std::fs::read(pkg.join(&name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name.ends_with(".wasm") {
            wasm_bytes += body.len();
        }
        for s in canaries.iter().map(String::as_str).chain([
            app::server::demo::DEMO_SECRET,
            KEYS.split(':').nth(1).unwrap(),
        ]) {
            assert!(!contains(&body, s), "{name} contains {s}");
        }
    }
    assert!(wasm_bytes > 100_000);
}

// covers: IN-1
#[sqlx::test(migrations = "../migrations")]
async fn secrets_rotate_to_a_new_key_and_tampering_is_refused(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let owner = app.signed_in("Owen", "owen@example.com").await;
    app.install(&owner, "A", "bot", "secret-a").await;
    app.install(&owner, "B", "bot", "secret-b").await;
    let new_key = "t2:AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";
    let ring = Keyring::parse(&format!("{new_key},{KEYS}")).unwrap();

    // A tampered row stops the rotation, which then changes nothing.
    sqlx::query("UPDATE instance_logins SET secret_ciphertext = set_byte(secret_ciphertext, 0, get_byte(secret_ciphertext, 0) # 1) WHERE username = 'bot' AND instance_id = (SELECT id FROM app_instances WHERE name = 'B')")
        .execute(&app.pool)
        .await
        .unwrap();
    let before: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT secret_key_id, secret_ciphertext FROM instance_logins ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let err = app::instances::service::rotate_secrets(&app.pool, &ring)
        .await
        .unwrap_err();
    assert!(matches!(err, app::error::AppError::Internal { .. }));
    let after: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT secret_key_id, secret_ciphertext FROM instance_logins ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(before, after, "nothing half-rotated");

    sqlx::query("DELETE FROM app_instances WHERE name = 'B'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app::instances::service::rotate_secrets(&app.pool, &ring)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        app::instances::service::rotate_secrets(&app.pool, &ring)
            .await
            .unwrap(),
        0,
        "idempotent"
    );
    let (key_id, nonce, ct): (String, Vec<u8>, Vec<u8>) = sqlx::query_as(
        "SELECT secret_key_id, secret_nonce, secret_ciphertext FROM instance_logins",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(key_id, "t2");
    let only_new = Keyring::parse(new_key).unwrap();
    let opened = only_new
        .open(&app::server::crypto::Sealed {
            key_id,
            nonce,
            ciphertext: ct,
        })
        .unwrap();
    assert_eq!(opened.expose(), "secret-a");
}
