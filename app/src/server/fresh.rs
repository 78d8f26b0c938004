//! An epoch and the clock, for requests that this server answers from what it keeps.
//!
//! A kept read or decision may answer a request only if nothing it rests on changed before
//! the request arrived: the request needs the epoch (the read epoch of `server::kept`, the
//! access epoch of the check) as a statement sent after its arrival sees it. Such a statement answers every request that arrived before it was
//! sent, as a database's group commit writes many transactions' log at once: at most one
//! is in flight, and the requests that arrive meanwhile wait for the next one, which the
//! first of them sends as soon as the one in flight has answered. With one request at a
//! time that is one statement each, as before; under load a statement serves several. A
//! write that committed before a request arrived is seen by it, on every server, as when
//! each request sent its own.
use crate::error::AppError;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use tokio::sync::Notify;

/// An epoch and the database's clock, of one snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Epoch {
    pub n: i64,
    pub now: DateTime<Utc>,
}

/// One epoch's shared statement (`KeptReads::fresh`, the check's `Decisions`).
pub struct Fresh {
    sql: &'static str,
    state: Mutex<State>,
    answered: Notify,
    asked: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Statements sent so far, the one in flight included; each is known by its number.
    sent: u64,
    in_flight: bool,
    /// The newest answer, and the number of the statement that gave it.
    answer: Option<(u64, Result<Epoch, AppError>)>,
}

/// Clears the statement in flight when its sender goes away before the answer (a request
/// cancelled by its client), so that a waiting request sends the next one.
struct Sending<'a> {
    fresh: &'a Fresh,
    answered: bool,
}

impl Drop for Sending<'_> {
    fn drop(&mut self) {
        if !self.answered {
            self.fresh.state().in_flight = false;
            self.fresh.answered.notify_waiters();
        }
    }
}

impl Fresh {
    /// The read epoch (migration 0019: `server::kept`).
    pub fn read_epoch() -> Self {
        Self::of("SELECT n, now() FROM read_epoch")
    }

    /// The access epoch (migration 0018: the check's decisions).
    pub fn access_epoch() -> Self {
        Self::of("SELECT n, now() FROM access_epoch")
    }

    fn of(sql: &'static str) -> Self {
        Self {
            sql,
            state: Mutex::default(),
            answered: Notify::new(),
            asked: AtomicU64::new(0),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing panics while holding it; if something did, the state is still whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many requests asked for the epoch.
    pub fn asked(&self) -> u64 {
        self.asked.load(Ordering::Relaxed)
    }

    /// How many statements were sent for them.
    pub fn sent(&self) -> u64 {
        self.state().sent
    }

    /// The epoch and the clock, from the database (`pool`).
    pub async fn read(&self, pool: &sqlx::PgPool) -> Result<Epoch, AppError> {
        self.read_by(|| async {
            let (n, now): (i64, DateTime<Utc>) = sqlx::query_as(self.sql).fetch_one(pool).await?;
            Ok(Epoch { n, now })
        })
        .await
    }

    /// The answer of a statement sent after this call began, sent by `read` unless
    /// another caller sends it.
    pub async fn read_by<F, Fut>(&self, read: F) -> Result<Epoch, AppError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Epoch, AppError>>,
    {
        self.asked.fetch_add(1, Ordering::Relaxed);
        // Only a statement sent after now will do: not the one in flight, if any.
        let needed = self.state().sent + 1;
        let n = loop {
            let notified = self.answered.notified();
            tokio::pin!(notified);
            // Registered before the state is looked at, so no answer is missed.
            notified.as_mut().enable();
            {
                let mut s = self.state();
                if let Some((n, answer)) = &s.answer {
                    if *n >= needed {
                        return answer.clone();
                    }
                }
                if !s.in_flight {
                    s.in_flight = true;
                    s.sent += 1;
                    break s.sent;
                }
            }
            notified.await;
        };
        let mut sending = Sending {
            fresh: self,
            answered: false,
        };
        let answer = read().await;
        {
            let mut s = self.state();
            s.answer = Some((n, answer.clone()));
            s.in_flight = false;
        }
        sending.answered = true;
        self.answered.notify_waiters();
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicI64;
    use std::sync::Arc;
    use std::time::Duration;

    /// A reader whose n-th statement answers epoch n, after `hold` (if any) lets it.
    fn reader(
        count: &Arc<AtomicI64>,
        hold: Option<tokio::sync::oneshot::Receiver<()>>,
    ) -> impl FnOnce() -> std::pin::Pin<Box<dyn Future<Output = Result<Epoch, AppError>> + Send>>
    {
        let count = count.clone();
        move || {
            Box::pin(async move {
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                if let Some(hold) = hold {
                    hold.await.ok();
                }
                Ok(Epoch { n, now: Utc::now() })
            })
        }
    }

    async fn until_asked(fresh: &Fresh, n: u64) {
        for _ in 0..100 {
            if fresh.asked() >= n {
                // One more turn, so the last one also reaches its wait.
                tokio::task::yield_now().await;
                return;
            }
            tokio::task::yield_now().await;
        }
        panic!("only {} of {n} asked", fresh.asked());
    }

    // covers: IN-4
    #[tokio::test]
    async fn requests_that_arrive_while_a_statement_is_out_share_the_next_one() {
        let fresh = Arc::new(Fresh::read_epoch());
        let count = Arc::new(AtomicI64::new(0));
        let (release, hold) = tokio::sync::oneshot::channel();
        let first = tokio::spawn({
            let (fresh, r) = (fresh.clone(), reader(&count, Some(hold)));
            async move { fresh.read_by(r).await }
        });
        until_asked(&fresh, 1).await;
        assert_eq!((fresh.sent(), count.load(Ordering::SeqCst)), (1, 1));
        // Three more arrive while the first statement is out: it was sent before them,
        // so its answer is not theirs.
        let later: Vec<_> = (0..3)
            .map(|_| {
                let (fresh, r) = (fresh.clone(), reader(&count, None));
                tokio::spawn(async move { fresh.read_by(r).await })
            })
            .collect();
        until_asked(&fresh, 4).await;
        assert_eq!(fresh.sent(), 1, "they wait for the first to answer");
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap().n, 1);
        for l in later {
            assert_eq!(l.await.unwrap().unwrap().n, 2);
        }
        assert_eq!((fresh.asked(), fresh.sent()), (4, 2));
        assert_eq!(count.load(Ordering::SeqCst), 2);
        // Alone, a request sends its own: the answer before it is never reused.
        let alone = fresh.read_by(reader(&count, None)).await.unwrap();
        assert_eq!((alone.n, fresh.sent()), (3, 3));
    }

    // covers: IN-4
    #[tokio::test]
    async fn a_sender_that_goes_away_leaves_the_next_statement_to_those_waiting() {
        let fresh = Arc::new(Fresh::read_epoch());
        let count = Arc::new(AtomicI64::new(0));
        let (_never, hold) = tokio::sync::oneshot::channel::<()>();
        let first = tokio::spawn({
            let (fresh, r) = (fresh.clone(), reader(&count, Some(hold)));
            async move { fresh.read_by(r).await }
        });
        until_asked(&fresh, 1).await;
        let second = tokio::spawn({
            let (fresh, r) = (fresh.clone(), reader(&count, None));
            async move { fresh.read_by(r).await }
        });
        until_asked(&fresh, 2).await;
        first.abort();
        let got = tokio::time::timeout(Duration::from_secs(5), second)
            .await
            .expect("the waiting request sent its own statement")
            .unwrap()
            .unwrap();
        assert_eq!((got.n, fresh.sent()), (2, 2));
    }

    //
    #[tokio::test]
    async fn a_failed_statement_fails_those_it_answers_and_the_next_request_asks_again() {
        let fresh = Fresh::read_epoch();
        let failed = fresh.read_by(|| async { Err(AppError::Unavailable) }).await;
        assert_eq!(failed, Err(AppError::Unavailable));
        let count = Arc::new(AtomicI64::new(0));
        let next = fresh.read_by(reader(&count, None)).await.unwrap();
        assert_eq!((next.n, fresh.sent()), (1, 2));
    }
}
