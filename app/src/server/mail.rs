//! The mail outbox: rows written in the caller's transaction, delivered by a worker.
//!
//! The worker claims due rows with `FOR UPDATE SKIP LOCKED`, so several servers can
//! run one each, and marks a row sent in the same transaction that holds its lock:
//! a row is never handed to SMTP twice by two workers.
use lettre::message::{header::ContentType, Mailbox, Message};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use sqlx::{PgConnection, PgPool};
use std::time::Duration;

/// Give up on a message after this many failed attempts.
pub const MAX_ATTEMPTS: i32 = 8;

pub async fn enqueue(
    conn: &mut PgConnection,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO outbox (to_addr, subject, body_text) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(to)
    .bind(subject)
    .bind(body)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// Seconds to wait after the n-th failure: 30 s, 1 min, 2 min … capped at one hour.
pub fn backoff_secs(attempts: i32) -> i64 {
    (30_i64 << attempts.clamp(0, 7)).min(3600)
}

/// Host, port and optional (user, password) of the SMTP relay.
pub type SmtpTarget = (String, u16, Option<(String, String)>);

/// `smtp://[user:password@]host[:port]` (port 25 by default). The relay is
/// expected on a trusted network (localhost or a sidecar); TLS is not spoken here.
pub fn parse_smtp_url(url: &str) -> Result<SmtpTarget, String> {
    let rest = url
        .strip_prefix("smtp://")
        .ok_or_else(|| "SMTP_URL must look like smtp://[user:password@]host[:port]".to_string())?
        .trim_end_matches('/');
    let (creds, hostport) = match rest.rsplit_once('@') {
        Some((c, h)) => {
            let (u, p) = c.split_once(':').unwrap_or((c, ""));
            (Some((u.to_string(), p.to_string())), h)
        }
        None => (None, rest),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("SMTP_URL port {p:?} is not a number"))?,
        ),
        None => (hostport, 25),
    };
    if host.is_empty() {
        return Err("SMTP_URL has no host".into());
    }
    Ok((host.to_string(), port, creds))
}

#[derive(sqlx::FromRow)]
struct DueRow {
    id: i64,
    to_addr: String,
    subject: String,
    body_text: String,
    attempts: i32,
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, String> {
        let (host, port, creds) = parse_smtp_url(smtp_url)?;
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(20)));
        if let Some((user, pass)) = creds {
            builder = builder.credentials(
                lettre::transport::smtp::authentication::Credentials::new(user, pass),
            );
        }
        let transport = builder.build();
        let from = from.parse().map_err(|e| format!("MAIL_FROM: {e}"))?;
        Ok(Self { transport, from })
    }

    async fn send(&self, row: &DueRow) -> Result<(), String> {
        let to: Mailbox = row
            .to_addr
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        let msg = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(row.body_text.clone())
            .map_err(|e| format!("could not build message: {e}"))?;
        self.transport
            .send(msg)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    /// Deliver up to `limit` due messages; returns how many were sent.
    pub async fn deliver_due(&self, pool: &PgPool, limit: i64) -> Result<usize, sqlx::Error> {
        let mut tx = pool.begin().await?;
        let rows: Vec<DueRow> = sqlx::query_as(
            "SELECT id, to_addr, subject, body_text, attempts FROM outbox \
             WHERE sent_at IS NULL AND next_attempt_at <= now() AND attempts < $1 \
             ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED",
        )
        .bind(MAX_ATTEMPTS)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut sent = 0;
        for row in &rows {
            match self.send(row).await {
                Ok(()) => {
                    sent += 1;
                    sqlx::query(
                        "UPDATE outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1",
                    )
                    .bind(row.id)
                    .execute(&mut *tx)
                    .await?;
                }
                Err(err) => {
                    tracing::warn!(outbox_id = row.id, error = %err, "mail delivery failed; will retry");
                    sqlx::query(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = left($2, 500), \
                         next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
                    )
                    .bind(row.id)
                    .bind(err)
                    .bind(backoff_secs(row.attempts) as f64)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(sent)
    }
}

/// Messages one batch takes at most.
pub const BATCH: i64 = 20;

/// Deliver what is due, then wait a little when there was nothing, until `shutdown`
/// completes. The signal is looked at only between batches: a batch once claimed is
/// always finished and committed, so no message is handed to SMTP and then left
/// unmarked (it would be sent again by the next worker).
pub async fn run_worker(
    pool: PgPool,
    mailer: Mailer,
    shutdown: impl std::future::Future<Output = ()>,
) {
    tracing::info!("mail worker started");
    tokio::pin!(shutdown);
    loop {
        let pause = match mailer.deliver_due(&pool, BATCH).await {
            Ok(n) if n > 0 => Duration::ZERO,
            Ok(_) => Duration::from_secs(2),
            Err(e) => {
                tracing::error!(error = %e, "mail worker could not read the outbox");
                Duration::from_secs(2)
            }
        };
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("mail worker stopped");
}

/// Queue several messages in one statement: `to[i]` gets `bodies[i]`.
pub async fn enqueue_many(
    conn: &mut PgConnection,
    to: &[String],
    subject: &str,
    bodies: &[String],
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO outbox (to_addr, subject, body_text) SELECT t, $2, b FROM unnest($1::text[], $3::text[]) AS m(t, b)",
    )
    .bind(to)
    .bind(subject)
    .bind(bodies)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

#[cfg(test)]
mod tests {
    use super::{backoff_secs, parse_smtp_url};

    #[test]
    fn smtp_urls() {
        assert_eq!(
            parse_smtp_url("smtp://127.0.0.1:2525").unwrap(),
            ("127.0.0.1".into(), 2525, None)
        );
        assert_eq!(
            parse_smtp_url("smtp://me:p%w@mail.test").unwrap(),
            ("mail.test".into(), 25, Some(("me".into(), "p%w".into())))
        );
        assert!(parse_smtp_url("smtps://mail.test").is_err());
        assert!(parse_smtp_url("smtp://:25").is_err());
    }

    //
    #[test]
    fn backoff_grows_and_is_capped() {
        assert_eq!(backoff_secs(0), 30);
        assert_eq!(backoff_secs(1), 60);
        assert!(backoff_secs(6) > backoff_secs(5));
        assert_eq!(backoff_secs(20), 3600);
    }
}
