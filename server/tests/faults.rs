//! Faults and load: overload, oversized bodies, a Postgres restart, graceful shutdown,
//! request logs without secrets, and two servers sharing one database.
mod common;
use app::server::mail::{self, Mailer};
use common::{test_config, TestApp, PASSWORD};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::PgPool;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

// ---------------------------------------------------------------------------------------
// Raw HTTP/1.1, to control exactly when each byte of a request is sent.

/// Open a connection and send a request head (plus `Connection: close`).
async fn send_head(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[String],
) -> TcpStream {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in headers {
        head.push_str(h);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    s
}

/// Read a whole response (the server closes the connection); returns the status and the text.
async fn read_response(s: &mut TcpStream) -> (u16, String) {
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(15), s.read_to_end(&mut buf))
        .await
        .expect("the response came in time")
        .expect("the response could be read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text:?}"));
    (status, text)
}

fn form_headers(len: usize) -> Vec<String> {
    vec![
        "Content-Type: application/x-www-form-urlencoded".into(),
        "Accept: application/json".into(),
        format!("Content-Length: {len}"),
    ]
}

fn chunk(data: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", data.len()).into_bytes();
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
    out
}

// ---------------------------------------------------------------------------------------
// Overload and size limits.

//
#[sqlx::test(migrations = "../migrations")]
async fn overload_is_answered_503_at_once_and_the_server_recovers(pool: PgPool) {
    let limits = server::Limits {
        max_in_flight: 2,
        ..server::Limits::default()
    };
    let (app, _server) =
        TestApp::serve_until(pool, test_config(), limits, std::future::pending()).await;
    let c = app.client();

    // Two sign-ins hold both places: they wait on the lock of their address, which the
    // test holds (as a slow database would keep them).
    let mut held = app.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended('signin:' || $1, 0))")
        .bind("nobody@example.com")
        .execute(&mut *held)
        .await
        .unwrap();
    let mut slow = tokio::task::JoinSet::new();
    for _ in 0..2 {
        let c = app.client();
        let url = format!("{}/api/auth/sign_in", app.base);
        slow.spawn(async move {
            c.post(url)
                .header("Accept", "application/json")
                .form(&[
                    ("email", "nobody@example.com"),
                    ("password", "wrong-password"),
                ])
                .send()
                .await
                .unwrap()
                .status()
        });
    }

    // The next request is not queued behind them: 503 straight away, with Retry-After.
    let deadline = Instant::now() + Duration::from_secs(5);
    let busy = loop {
        let t = Instant::now();
        let res = app.get(&c, "/healthz").await;
        if res.status() == StatusCode::SERVICE_UNAVAILABLE {
            break (t.elapsed(), res);
        }
        assert!(Instant::now() < deadline, "never refused: {}", res.status());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(busy.0 < Duration::from_secs(1), "answered in {:?}", busy.0);
    assert_eq!(
        busy.1
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("1")
    );
    assert!(busy.1.text().await.unwrap().contains("busy"));
    let (s, _) = app.call(&c, "auth/whoami", &[]).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "server functions too");

    // The slow ones still get their real answer, and then there is room again.
    held.rollback().await.unwrap();
    for status in slow.join_all().await {
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a wrong password, answered normally"
        );
    }
    assert_eq!(app.get(&c, "/healthz").await.status(), StatusCode::OK);
    let (s, me) = whoami_looked_up(&app, &c).await;
    assert_eq!((s, me), (StatusCode::OK, Value::Null));
}

//
#[sqlx::test(migrations = "../migrations")]
async fn a_request_that_gets_no_database_connection_answers_503_quickly(pool: PgPool) {
    // One connection in the pool, and the test holds it.
    let small = server::pool_options()
        .max_connections(1)
        .connect_with((*pool.connect_options()).clone())
        .await
        .unwrap();
    let held = small.acquire().await.unwrap();
    let app = TestApp::start(small.clone()).await;
    let c = app.client();

    let t = Instant::now();
    let res = app.get(&c, "/healthz").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    let t2 = Instant::now();
    let (s, body) = whoami_looked_up(&app, &c).await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body, "Unavailable", "no database text reaches the caller");
    let limit = server::POOL_ACQUIRE_TIMEOUT + Duration::from_secs(2);
    assert!(t2.elapsed() < limit, "whoami waited {:?}", t2.elapsed());
    assert!(t.elapsed() < limit * 2, "waited {:?}", t.elapsed());

    drop(held);
    let (s, me) = whoami_looked_up(&app, &c).await;
    assert_eq!((s, me), (StatusCode::OK, Value::Null));
}

/// whoami with a session cookie no session has, so that it asks the database (without a
/// cookie, it answers "nobody" without one).
async fn whoami_looked_up(app: &TestApp, c: &reqwest::Client) -> (StatusCode, Value) {
    let res = c
        .post(format!("{}/api/auth/whoami", app.base))
        .header("Accept", "application/json")
        .header("Cookie", "gatehouse_session=AAAAAAAAAAAAAAAAAAAAAA")
        .send()
        .await
        .unwrap();
    let s = res.status();
    let text = res.text().await.unwrap();
    (
        s,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

//
#[sqlx::test(migrations = "../migrations")]
async fn oversized_bodies_are_refused_with_413_declared_or_streamed(pool: PgPool) {
    let app = TestApp::start(pool).await;
    let max = server::Limits::default().max_body_bytes;

    // A Content-Length over the limit is refused before the body is read.
    let mut s = send_head(
        app.addr(),
        "POST",
        "/api/auth/sign_in",
        &form_headers(2 * max + 1),
    )
    .await;
    s.write_all(&[b'a'; 1024]).await.unwrap();
    let (status, text) = read_response(&mut s).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("too large"), "{text}");

    // A chunked body (no length given) is refused once it streams past the limit.
    for path in ["/api/auth/sign_in", "/hooks/some-token"] {
        let headers = vec![
            "Content-Type: application/x-www-form-urlencoded".into(),
            "Transfer-Encoding: chunked".into(),
        ];
        let mut s = send_head(app.addr(), "POST", path, &headers).await;
        let piece = vec![b'a'; 64 * 1024];
        let mut sent = 0;
        while sent + piece.len() <= max {
            s.write_all(&chunk(&piece)).await.unwrap();
            sent += piece.len();
        }
        // One byte more than allowed, and nothing after it: the answer comes without the end.
        s.write_all(&chunk(&piece[..max + 1 - sent])).await.unwrap();
        let (status, text) = read_response(&mut s).await;
        assert_eq!(status, 413, "{path}: {text}");
    }

    // At the limit, chunked or not, a body reaches its handler (no Zap listens here: 404).
    let c = app.client();
    let res = c
        .post(format!("{}/hooks/no-such-token", app.base))
        .body(vec![b'x'; max])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let mut s = send_head(
        app.addr(),
        "POST",
        "/hooks/no-such-token",
        &["Transfer-Encoding: chunked".into()],
    )
    .await;
    s.write_all(&chunk(&vec![b'x'; max])).await.unwrap();
    s.write_all(b"0\r\n\r\n").await.unwrap();
    let (status, text) = read_response(&mut s).await;
    assert_eq!(status, 404, "{text}");
    // A normal form still works.
    let (s, _) = app
        .call(
            &c,
            "auth/sign_in",
            &[("email", "x@example.com"), ("password", "nope-nope-nope")],
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

// Bodies still arriving hold no place: a client trickling many uploads in cannot make
// the server refuse everyone else (the place is taken once the body is in).
//
#[sqlx::test(migrations = "../migrations")]
async fn uploads_still_arriving_hold_no_place(pool: PgPool) {
    let limits = server::Limits {
        max_in_flight: 1,
        ..server::Limits::default()
    };
    let (app, _server) =
        TestApp::serve_until(pool, test_config(), limits, std::future::pending()).await;
    let body = "email=nobody%40example.com&password=wrong-password";
    let mut trickling = Vec::new();
    for _ in 0..5 {
        let mut s = send_head(
            app.addr(),
            "POST",
            "/api/auth/whoami",
            &form_headers(body.len()),
        )
        .await;
        s.write_all(&body.as_bytes()[..3]).await.unwrap();
        trickling.push(s);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let c = app.client();
    assert_eq!(app.get(&c, "/healthz").await.status(), StatusCode::OK);
    let (s, me) = whoami_looked_up(&app, &c).await;
    assert_eq!((s, me), (StatusCode::OK, Value::Null));
    drop(trickling);
}

//
#[sqlx::test(migrations = "../migrations")]
async fn a_body_that_trickles_in_is_cut_off_and_frees_its_place(pool: PgPool) {
    let limits = server::Limits {
        max_in_flight: 1,
        body_timeout: Duration::from_millis(300),
        ..server::Limits::default()
    };
    let (app, _server) =
        TestApp::serve_until(pool, test_config(), limits, std::future::pending()).await;
    let body = "email=nobody%40example.com&password=wrong-password";
    let mut s = send_head(
        app.addr(),
        "POST",
        "/api/auth/sign_in",
        &form_headers(body.len()),
    )
    .await;
    s.write_all(&body.as_bytes()[..5]).await.unwrap();
    let t = Instant::now();
    let (status, text) = read_response(&mut s).await;
    assert_eq!(status, 408, "{text}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // The one place is free again.
    let c = app.client();
    assert_eq!(app.get(&c, "/healthz").await.status(), StatusCode::OK);
}

// ---------------------------------------------------------------------------------------
// A private Postgres cluster the test stops and starts.

struct PrivatePostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl PrivatePostgres {
    /// `initdb` a cluster in a fresh temporary directory (as the `postgres` user when run
    /// as root, since initdb refuses root), like `scripts/db.sh` does.
    fn create() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("Postgres server binaries under /usr/lib/postgresql (Debian's postgresql)")
            .flatten()
            .map(|e| e.path().join("bin"))
            .filter(|p| p.join("pg_ctl").exists())
            .max_by_key(|p| {
                p.parent()
                    .and_then(|v| v.file_name())
                    .and_then(|v| v.to_str())
                    .and_then(|v| v.parse::<u32>().ok())
                    .unwrap_or(0)
            })
            .expect("an initdb/pg_ctl under /usr/lib/postgresql/*/bin");
        let dir = std::env::temp_dir().join(format!("gatehouse-pg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let pg = Self {
            bin,
            dir,
            port: free_port(),
        };
        if is_root() {
            let ok = Command::new("chown")
                .args(["-R", "postgres"])
                .arg(&pg.dir)
                .status()
                .unwrap();
            assert!(ok.success(), "chown the cluster directory to postgres");
        }
        pg.run(
            "initdb",
            &[
                "-D",
                pg.data().to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            ],
        );
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let exe = self.bin.join(tool);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let out = cmd
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("run {tool}: {e}"));
        assert!(
            out.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn start(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-w",
                "-o",
                &opts,
                "start",
            ],
        );
    }

    fn stop(&self) {
        self.run(
            "pg_ctl",
            &[
                "-D",
                self.data().to_str().unwrap(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let exe = self.bin.join("pg_ctl");
        let data = self.data();
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        let _ = cmd
            .arg("-D")
            .arg(&data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

//
#[tokio::test]
async fn the_server_keeps_working_after_postgres_restarts() {
    let pg = tokio::task::spawn_blocking(|| {
        let pg = PrivatePostgres::create();
        pg.start();
        pg
    })
    .await
    .unwrap();
    let mut config = test_config();
    config.database_url = pg.url();
    let pool = server::connect(&config).await.expect("connect and migrate");
    let app = TestApp::start_with(pool, config).await;
    let c = app.signed_in("Rita", "rita@example.com").await;
    let whoami = |c: reqwest::Client| {
        let app = &app;
        async move {
            let t = Instant::now();
            let (s, me) = app.call(&c, "auth/whoami", &[]).await;
            (s, me, t.elapsed())
        }
    };
    let (s, me, _) = whoami(c.clone()).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["email"], "rita@example.com");

    // Postgres goes away: requests fail cleanly and quickly, none hangs.
    let pg = tokio::task::spawn_blocking(move || {
        pg.stop();
        pg
    })
    .await
    .unwrap();
    let quick = server::POOL_ACQUIRE_TIMEOUT + Duration::from_secs(3);
    for _ in 0..2 {
        let t = Instant::now();
        let res = app.get(&c, "/healthz").await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(t.elapsed() < quick, "healthz took {:?}", t.elapsed());
        let (s, body, took) = whoami(c.clone()).await;
        assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(took < quick, "whoami took {took:?}");
        assert!(
            !body.to_string().to_lowercase().contains("postgres"),
            "{body}"
        );
    }

    // Postgres is back: the same server and the same session work again, reads and writes.
    let pg = tokio::task::spawn_blocking(move || {
        pg.start();
        pg
    })
    .await
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while app.get(&c, "/healthz").await.status() != StatusCode::OK {
        assert!(Instant::now() < deadline, "the server did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for _ in 0..5 {
        let (s, me, _) = whoami(c.clone()).await;
        assert_eq!(s, StatusCode::OK, "{me}");
        assert_eq!(me["email"], "rita@example.com", "the session survived");
    }
    let (s, b) = app
        .call(&c, "accounts/create_account", &[("name", "After Restart")])
        .await;
    assert!(s.is_success(), "a write after the restart: {s} {b}");
    let other = app.signed_in("Sam", "sam@example.com").await;
    let (_, me) = app.call(&other, "auth/whoami", &[]).await;
    assert_eq!(me["email"], "sam@example.com");
    drop(app);
    drop(pg);
}

// ---------------------------------------------------------------------------------------
// Graceful shutdown.

#[sqlx::test(migrations = "../migrations")]
async fn shutdown_finishes_requests_in_flight_and_refuses_new_connections(pool: PgPool) {
    let stop = CancellationToken::new();
    let (app, server) = TestApp::serve_until(
        pool,
        test_config(),
        server::Limits::default(),
        stop.clone().cancelled_owned(),
    )
    .await;
    app.signed_in("Uma", "uma@example.com").await;
    let sessions = app.count("sessions").await;

    // A sign-in is on its way in, slowly, when the shutdown signal comes.
    let body = format!("email=uma%40example.com&password={PASSWORD}");
    let mut s = send_head(
        app.addr(),
        "POST",
        "/api/auth/sign_in",
        &form_headers(body.len()),
    )
    .await;
    s.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.cancel();
    tokio::time::sleep(Duration::from_millis(300)).await;

    assert!(
        TcpStream::connect(app.addr()).await.is_err(),
        "no new connection is accepted after the signal"
    );
    assert!(
        !server.is_finished(),
        "the server waits for the request in flight"
    );

    s.write_all(&body.as_bytes()[10..]).await.unwrap();
    let (status, text) = read_response(&mut s).await;
    assert!(
        status == 200 || (300..400).contains(&status),
        "the request in flight got its answer: {text}"
    );
    assert!(
        text.to_lowercase()
            .contains("set-cookie: gatehouse_session="),
        "{text}"
    );
    assert_eq!(
        app.count("sessions").await,
        sessions + 1,
        "and its work was done"
    );

    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops once the request is answered")
        .unwrap()
        .unwrap();
}

/// A tiny SMTP server that answers every message after `delay` and keeps what it got.
struct SlowSmtp {
    port: u16,
    got: Arc<Mutex<Vec<String>>>,
    first: Arc<tokio::sync::Notify>,
}

async fn slow_smtp(delay: Duration) -> SlowSmtp {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::new()));
    let first = Arc::new(tokio::sync::Notify::new());
    let (g, f) = (got.clone(), first.clone());
    tokio::spawn(async move {
        loop {
            let Ok((sock, _)) = listener.accept().await else {
                return;
            };
            let (g, f) = (g.clone(), f.clone());
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut r = BufReader::new(r);
                let _ = w.write_all(b"220 slow.test ESMTP\r\n").await;
                let mut line = String::new();
                loop {
                    line.clear();
                    if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let cmd = line.to_ascii_uppercase();
                    let reply: &[u8] = if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                        b"250 slow.test\r\n"
                    } else if cmd.starts_with("DATA") {
                        let _ = w.write_all(b"354 go on\r\n").await;
                        f.notify_one();
                        let mut msg = String::new();
                        loop {
                            line.clear();
                            if r.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            if line == ".\r\n" || line == ".\n" {
                                break;
                            }
                            msg.push_str(&line);
                        }
                        tokio::time::sleep(delay).await;
                        g.lock().unwrap().push(msg);
                        b"250 queued\r\n"
                    } else if cmd.starts_with("QUIT") {
                        let _ = w.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    if w.write_all(reply).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    SlowSmtp { port, got, first }
}

async fn unsent(pool: &PgPool) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(pool)
        .await
        .unwrap();
    n
}

//
#[sqlx::test(migrations = "../migrations")]
async fn the_mail_worker_finishes_its_batch_before_it_stops(pool: PgPool) {
    let smtp = slow_smtp(Duration::from_millis(300)).await;
    let mut conn = pool.acquire().await.unwrap();
    for i in 0..4 {
        mail::enqueue(
            &mut conn,
            &format!("m{i}@example.com"),
            &format!("Batch {i}"),
            "x",
        )
        .await
        .unwrap();
    }
    let mailer = Mailer::new(&format!("smtp://127.0.0.1:{}", smtp.port), "a@b.test").unwrap();
    let stop = CancellationToken::new();
    let worker = tokio::spawn(mail::run_worker(
        pool.clone(),
        mailer,
        stop.clone().cancelled_owned(),
    ));
    // The first message of the batch is being handed over when the signal comes.
    tokio::time::timeout(Duration::from_secs(10), smtp.first.notified())
        .await
        .expect("the worker started delivering");
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(20), worker)
        .await
        .expect("the worker stops after its batch")
        .unwrap();
    assert_eq!(
        smtp.got.lock().unwrap().len(),
        4,
        "the whole batch went out"
    );
    assert_eq!(unsent(&pool).await, 0, "and was marked sent");

    // Stopped means stopped: later mail waits for the next start.
    mail::enqueue(&mut conn, "later@example.com", "Later", "x")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(unsent(&pool).await, 1);
    assert_eq!(smtp.got.lock().unwrap().len(), 4);

    // An idle worker stops at once, without waiting out its pause.
    let mailer = Mailer::new(&format!("smtp://127.0.0.1:{}", smtp.port), "a@b.test").unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let idle = tokio::spawn(mail::run_worker(pool.clone(), mailer, async move {
        let _ = rx.await;
    }));
    // It delivers the waiting mail first (polled: a loaded machine may take a while).
    let deadline = Instant::now() + Duration::from_secs(15);
    while unsent(&pool).await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        unsent(&pool).await,
        0,
        "it delivered the waiting mail first"
    );
    let t = Instant::now();
    tx.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(1), idle)
        .await
        .expect("an idle worker stops at once")
        .unwrap();
    assert!(t.elapsed() < Duration::from_secs(1));
}

// ---------------------------------------------------------------------------------------
// Request logs.

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

//
#[sqlx::test(migrations = "../migrations")]
async fn every_request_is_logged_with_its_id_and_never_with_a_secret(pool: PgPool) {
    // The test runs on one thread, so this subscriber sees the server's log lines too.
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            server::DEFAULT_LOG_FILTER,
        ))
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = TestApp::start(pool).await;
    let c = app.client();
    let id_of = |res: &reqwest::Response| {
        res.headers()
            .get("x-request-id")
            .expect("every answer names its request id")
            .to_str()
            .unwrap()
            .to_string()
    };
    let mut ids = Vec::new();

    let res = app.get(&c, "/reset?token=SECRETTOKEN0001").await;
    assert_eq!(res.status(), StatusCode::OK);
    ids.push(id_of(&res));
    let res = c
        .post(format!("{}/hooks/SECRETHOOKTOKEN0002", app.base))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    ids.push(id_of(&res));
    for (endpoint, form) in [
        (
            "auth/sign_in",
            vec![
                ("email", "logged@example.com"),
                ("password", "SECRETPASSWORD0003"),
            ],
        ),
        (
            "auth/reset_password",
            vec![
                ("token", "SECRETTOKEN0004"),
                ("password", "SECRETPASSWORD0005"),
            ],
        ),
        (
            "auth/sign_up",
            vec![
                ("name", "Logged"),
                ("email", "logged@example.com"),
                ("password", "SECRETPASSWORD0006"),
            ],
        ),
    ] {
        let res = c
            .post(format!("{}/api/{endpoint}", app.base))
            .header("Accept", "application/json")
            .form(&form)
            .send()
            .await
            .unwrap();
        assert!(res.status().as_u16() < 500, "{endpoint}: {}", res.status());
        ids.push(id_of(&res));
    }
    // The sign-up mailed a verification link; opening it carries a real token.
    let token = app
        .mailed_token("logged@example.com", "/verify?token=")
        .await;
    let res = app.get(&c, &format!("/verify?token={token}")).await;
    ids.push(id_of(&res));
    // A proxy's request id is kept; one that is not a plain token is replaced.
    let res = c
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "proxy-id-7")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&res), "proxy-id-7");
    ids.push(id_of(&res));
    let res = c
        .get(format!("{}/healthz", app.base))
        .header("x-request-id", "forged id=1 status=200")
        .send()
        .await
        .unwrap();
    let fresh = id_of(&res);
    assert!(uuid::Uuid::parse_str(&fresh).is_ok(), "{fresh}");
    ids.push(fresh);

    let text = log.text();
    for id in &ids {
        assert!(
            text.lines()
                .any(|l| l.contains(&format!("request_id={id}")) && l.contains("status=")),
            "no line with request id {id} and its status in:\n{text}"
        );
    }
    assert!(text.contains("path=/hooks/{token}"), "{text}");
    assert!(text.contains("path=/reset "), "{text}");
    assert!(text.contains("latency_ms="), "{text}");
    for secret in ["SECRET", "token=", "password=", &token, "forged"] {
        assert!(!text.contains(secret), "{secret:?} is in the log:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------
// Two servers, one database.

/// A client whose session cookie can be read back.
fn client_with_jar() -> (reqwest::Client, Arc<reqwest::cookie::Jar>) {
    let jar = Arc::new(reqwest::cookie::Jar::default());
    let c = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (c, jar)
}

/// A client that sends exactly this Cookie header and keeps nothing.
fn client_with_cookie(cookie: &str) -> reqwest::Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(reqwest::header::COOKIE, cookie.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(h)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

// covers: AC-1, IN-4
#[sqlx::test(migrations = "../migrations")]
async fn two_servers_share_sessions_and_a_revocation_on_one_bites_on_the_other(pool: PgPool) {
    use reqwest::cookie::CookieStore;
    let a = TestApp::start(pool.clone()).await;
    let b = TestApp::start(pool.clone()).await;
    assert_ne!(a.base, b.base);

    // A session made on one server works on the other.
    let owner = a.signed_in("Owen", "owen@example.com").await;
    let (s, me) = b.call(&owner, "auth/whoami", &[]).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["email"], "owen@example.com");
    b.signed_in("Bea", "bea@example.com").await;
    let (bea, jar) = client_with_jar();
    b.sign_in(&bea, "bea@example.com").await;
    let cookie = jar
        .cookies(&reqwest::Url::parse(&b.base).unwrap())
        .expect("a session cookie")
        .to_str()
        .unwrap()
        .to_string();
    let (_, me) = a.call(&bea, "auth/whoami", &[]).await;
    assert_eq!(me["email"], "bea@example.com");

    // A share revoked on A is refused on B at the next request.
    let id = a.install(&owner, "Ops Jira", "bot", "s3cret").await;
    a.share(&owner, &id, "bea@example.com", "read").await;
    let (s, _) = b.call(&bea, "instances/get_instance", &[("id", &id)]).await;
    assert!(s.is_success(), "{s}");
    let (bea_id,): (uuid::Uuid,) =
        sqlx::query_as("SELECT id FROM users WHERE email = 'bea@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let (s, _) = a
        .call(
            &owner,
            "instances/revoke_share",
            &[("id", &id), ("user_id", &bea_id.to_string())],
        )
        .await;
    assert!(s.is_success());
    let (s, _) = b.call(&bea, "instances/get_instance", &[("id", &id)]).await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Signing out on A ends the session everywhere: the same cookie, replayed on B, is nobody.
    let copy = client_with_cookie(&cookie);
    let (_, me) = b.call(&copy, "auth/whoami", &[]).await;
    assert_eq!(me["email"], "bea@example.com");
    let (s, _) = a.call(&bea, "auth/sign_out", &[]).await;
    assert!(s.is_success() || s.is_redirection(), "{s}");
    let (s, me) = b.call(&copy, "auth/whoami", &[]).await;
    assert_eq!((s, me), (StatusCode::OK, Value::Null));
    let (s, _) = b.call(&copy, "accounts/my_accounts", &[]).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

// covers: AC-1, X-8
#[sqlx::test(migrations = "../migrations")]
async fn the_sign_in_limit_counts_failures_on_both_servers(pool: PgPool) {
    let a = TestApp::start(pool.clone()).await;
    let b = TestApp::start(pool.clone()).await;
    a.signed_in("Lena", "lena@example.com").await;
    let wrong = [
        ("email", "lena@example.com"),
        ("password", "not-her-password"),
    ];
    // Five failures, alternating servers, each a plain "wrong password".
    for i in 0..app::auth::service::MAX_FAILURES_PER_EMAIL {
        let srv = if i % 2 == 0 { &a } else { &b };
        let (s, body) = srv.call(&srv.client(), "auth/sign_in", &wrong).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "attempt {i}: {body}");
    }
    // The sixth is refused by either server, even with the right password.
    for srv in [&a, &b] {
        let (s, body) = srv.call(&srv.client(), "auth/sign_in", &wrong).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
        let right = [("email", "lena@example.com"), ("password", PASSWORD)];
        let (s, body) = srv.call(&srv.client(), "auth/sign_in", &right).await;
        assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    }
}

/// aiosmtpd writing each message it receives into a maildir (as in mail_smtp.rs).
struct Aiosmtpd {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Drop for Aiosmtpd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

async fn start_aiosmtpd() -> Aiosmtpd {
    let bin = std::env::var("GATEHOUSE_AIOSMTPD")
        .expect("GATEHOUSE_AIOSMTPD must name the aiosmtpd binary; `make test` sets it up");
    let port = free_port();
    let maildir = std::env::temp_dir().join(format!("gatehouse-maildir-{}", uuid::Uuid::new_v4()));
    let mut child = Command::new(bin)
        .args([
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
        ])
        .arg(&maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return Aiosmtpd {
                child,
                port,
                maildir,
            };
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("aiosmtpd did not start on port {port}");
}

fn maildir_messages(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
            for e in entries.flatten() {
                out.push(std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    out
}

//
#[sqlx::test(migrations = "../migrations")]
async fn two_servers_with_two_mail_workers_send_each_mail_exactly_once(pool: PgPool) {
    let smtp = start_aiosmtpd().await;
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let a = TestApp::start(pool.clone()).await;
    let b = TestApp::start(pool.clone()).await;
    let stop = CancellationToken::new();
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let mailer = Mailer::new(&url, "Gatehouse <no-reply@gatehouse.test>").unwrap();
            tokio::spawn(mail::run_worker(
                pool.clone(),
                mailer,
                stop.clone().cancelled_owned(),
            ))
        })
        .collect();

    // Sign-ups on both servers, a few at a time, while both workers run.
    let mut addresses = Vec::new();
    for round in 0..4 {
        let mut calls = Vec::new();
        for (n, srv) in [&a, &b, &a, &b].into_iter().enumerate() {
            let email = format!("p{round}-{n}@example.com");
            addresses.push(email.clone());
            calls.push(async move {
                let c = srv.client();
                let (s, body) = srv
                    .call(
                        &c,
                        "auth/sign_up",
                        &[
                            ("name", "Person"),
                            ("email", &email),
                            ("password", PASSWORD),
                        ],
                    )
                    .await;
                assert!(s.is_success() || s.is_redirection(), "{s} {body}");
            });
        }
        futures_util::future::join_all(calls).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let total = a.count("outbox").await;
    assert_eq!(
        total,
        addresses.len() as i64,
        "one verification mail per sign-up"
    );

    let deadline = Instant::now() + Duration::from_secs(30);
    while unsent(&pool).await > 0 {
        assert!(
            Instant::now() < deadline,
            "the workers did not deliver everything"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    stop.cancel();
    for w in workers {
        tokio::time::timeout(Duration::from_secs(10), w)
            .await
            .expect("the worker stops")
            .unwrap();
    }
    for _ in 0..50 {
        if maildir_messages(&smtp.maildir).len() >= addresses.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Let a late duplicate, if there were one, land before counting.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let got = maildir_messages(&smtp.maildir);
    assert_eq!(got.len(), addresses.len(), "each mail once, none twice");
    for addr in &addresses {
        let n = got
            .iter()
            .filter(|m| m.lines().any(|l| l.trim_end() == format!("To: {addr}")))
            .count();
        assert_eq!(n, 1, "{addr} got {n} mails");
    }
    let (attempts,): (i64,) = sqlx::query_as("SELECT sum(attempts)::bigint FROM outbox")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(attempts, total, "one attempt per mail");
}
