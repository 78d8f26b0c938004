//! The outbox worker delivers to a real SMTP server (aiosmtpd, started here), once per message.
mod common;
use app::server::mail::{self, Mailer};
use sqlx::PgPool;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct SmtpServer {
    child: Child,
    port: u16,
    maildir: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}

async fn start_smtp() -> SmtpServer {
    let bin = std::env::var("GATEHOUSE_AIOSMTPD")
        .expect("GATEHOUSE_AIOSMTPD must name the aiosmtpd binary; `make test` sets it up");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let maildir = std::env::temp_dir().join(format!("gatehouse-maildir-{}", uuid::Uuid::new_v4()));
    let mut child = Command::new(bin)
        .args([
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
            "-c",
            "aiosmtpd.handlers.Mailbox",
            maildir.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aiosmtpd");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return SmtpServer {
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

fn delivered(dir: &std::path::Path) -> Vec<String> {
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
async fn outbox_mail_reaches_a_real_smtp_server_exactly_once(pool: PgPool) {
    let smtp = start_smtp().await;
    let mut tx = pool.begin().await.unwrap();
    for i in 0..5 {
        mail::enqueue(
            &mut tx,
            &format!("r{i}@example.com"),
            &format!("Hello {i}"),
            "Body line\n",
        )
        .await
        .unwrap();
    }
    // Mail of a rolled-back change never leaves.
    tx.commit().await.unwrap();
    let mut rolled = pool.begin().await.unwrap();
    mail::enqueue(&mut rolled, "ghost@example.com", "Never", "x")
        .await
        .unwrap();
    rolled.rollback().await.unwrap();

    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let a = Mailer::new(&url, "Gatehouse <no-reply@gatehouse.test>").unwrap();
    let b = Mailer::new(&url, "Gatehouse <no-reply@gatehouse.test>").unwrap();
    // Two workers at once: SKIP LOCKED shares the rows out, nobody sends a row twice.
    let (na, nb) = tokio::join!(a.deliver_due(&pool, 3), b.deliver_due(&pool, 3));
    let (na, nb) = (na.unwrap(), nb.unwrap());
    let rest = a.deliver_due(&pool, 10).await.unwrap();
    assert_eq!(na + nb + rest, 5);
    assert_eq!(
        a.deliver_due(&pool, 10).await.unwrap(),
        0,
        "nothing is sent again"
    );

    let mut got = Vec::new();
    for _ in 0..50 {
        got = delivered(&smtp.maildir);
        if got.len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(got.len(), 5, "five messages, each once");
    for i in 0..5 {
        assert_eq!(
            got.iter()
                .filter(|m| m.contains(&format!("Subject: Hello {i}\n"))
                    || m.contains(&format!("Subject: Hello {i}\r\n")))
                .count(),
            1
        );
    }
    assert!(!got.iter().any(|m| m.contains("ghost@example.com")));
    let (unsent,): (i64,) = sqlx::query_as("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(unsent, 0);
}

//
#[sqlx::test(migrations = "../migrations")]
async fn a_failed_delivery_is_retried_later_with_the_error_kept(pool: PgPool) {
    // Nothing listens on this port: the send fails.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut conn = pool.acquire().await.unwrap();
    mail::enqueue(&mut conn, "r@example.com", "Hi", "x")
        .await
        .unwrap();
    let m = Mailer::new(&format!("smtp://127.0.0.1:{port}"), "a@b.test").unwrap();
    assert_eq!(m.deliver_due(&pool, 10).await.unwrap(), 0);
    let (attempts, later, err): (i32, bool, Option<String>) = sqlx::query_as(
        "SELECT attempts, next_attempt_at > now() + interval '20 seconds', last_error FROM outbox",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(attempts, 1);
    assert!(later, "backs off before the next try");
    assert!(err.is_some());
    assert_eq!(m.deliver_due(&pool, 10).await.unwrap(), 0, "not due yet");
}
