//! An epoch and the clock, for requests that this server answers from what it keeps.
//!
//! A kept read or decision may answer a request only if nothing it rests on changed
//! before the request arrived: the request needs the epoch (the read epoch of
//! `server::kept`, the access epoch of the check) as a statement sent after its arrival
//! sees it. Such a statement answers every request that arrived before it was sent, as a
//! database's group commit writes many transactions' log at once: at most one is in
//! flight, and the requests that arrive meanwhile wait for the next one, which one of
//! them sends as soon as the one in flight has answered. With one request at a time that
//! is one statement each, as before; under load a statement serves several. A write that
//! committed before a request arrived is seen by it, on every server, as when each
//! request sent its own.
//!
//! A statement runs in a task of its own, so a request that goes away (its client gave
//! up) does not take it from those waiting for it; and no request waits longer than the
//! pool's acquire timeout, the longest a request waits for a connection of its own.
use crate::error::AppError;
use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
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
    shared: Arc<Shared>,
}

#[derive(Default)]
struct Shared {
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

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // Nothing panics while holding it; if something did, the state is still whole.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Statement `n` answered: every request waiting is woken to look.
    fn answer(&self, n: u64, answer: Result<Epoch, AppError>) {
        {
            let mut s = self.state();
            s.answer = Some((n, answer));
            s.in_flight = false;
        }
        self.answered.notify_waiters();
    }
}

/// Answers statement `n` with "unavailable" if its task ends without an answer (it
/// panicked), so that no request waits for it.
struct Sending {
    shared: Arc<Shared>,
    n: u64,
    answered: bool,
}

impl Drop for Sending {
    fn drop(&mut self) {
        if !self.answered {
            self.shared.answer(self.n, Err(AppError::Unavailable));
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
            shared: Arc::default(),
        }
    }

    /// How many requests asked for the epoch.
    pub fn asked(&self) -> u64 {
        self.shared.asked.load(Ordering::Relaxed)
    }

    /// How many statements were sent for them.
    pub fn sent(&self) -> u64 {
        self.shared.state().sent
    }

    /// The epoch and the clock, from the database (`pool`), waiting at most the pool's
    /// acquire timeout.
    pub async fn read(&self, pool: &sqlx::PgPool) -> Result<Epoch, AppError> {
        let limit = pool.options().get_acquire_timeout();
        let (pool, sql) = (pool.clone(), self.sql);
        self.read_by(limit, move || async move {
            let (n, now): (i64, DateTime<Utc>) = sqlx::query_as(sql).fetch_one(&pool).await?;
            Ok(Epoch { n, now })
        })
        .await
    }

    /// The answer of a statement sent after this call began, sent by `read` (in a task of
    /// its own) unless another caller sends it; "unavailable" after `limit`.
    pub async fn read_by<F, Fut>(&self, limit: Duration, read: F) -> Result<Epoch, AppError>
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = Result<Epoch, AppError>> + Send + 'static,
    {
        let shared = &self.shared;
        shared.asked.fetch_add(1, Ordering::Relaxed);
        // Only a statement sent after now will do: not the one in flight, if any.
        let needed = shared.state().sent + 1;
        let mut read = Some(read);
        let answered = async {
            loop {
                let notified = shared.answered.notified();
                tokio::pin!(notified);
                // Registered before the state is looked at, so no answer is missed.
                notified.as_mut().enable();
                {
                    let mut s = shared.state();
                    if let Some((n, answer)) = &s.answer {
                        if *n >= needed {
                            return answer.clone();
                        }
                    }
                    // A caller sends at most one statement: it answers that caller.
                    if !s.in_flight {
                        if let Some(read) = read.take() {
                            s.in_flight = true;
                            s.sent += 1;
                            let mut sending = Sending {
                                shared: shared.clone(),
                                n: s.sent,
                                answered: false,
                            };
                            tokio::spawn(async move {
                                let answer = read().await;
                                sending.answered = true;
                                sending.shared.answer(sending.n, answer);
                            });
                        }
                    }
                }
                notified.await;
            }
        };
        tokio::time::timeout(limit, answered)
            .await
            .unwrap_or(Err(AppError::Unavailable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicI64;
    use std::time::Instant;

    /// Long enough never to be reached where a test expects an answer.
    const LONG: Duration = Duration::from_secs(10);

    type Reading = std::pin::Pin<Box<dyn Future<Output = Result<Epoch, AppError>> + Send>>;

    /// A reader whose n-th statement answers epoch n (or `fail`), after `hold` (if any)
    /// lets it.
    fn reader(
        count: &Arc<AtomicI64>,
        hold: Option<tokio::sync::oneshot::Receiver<()>>,
        fail: bool,
    ) -> impl FnOnce() -> Reading + Send + 'static {
        let count = count.clone();
        move || {
            Box::pin(async move {
                let n = count.fetch_add(1, Ordering::SeqCst) + 1;
                if let Some(hold) = hold {
                    hold.await.ok();
                }
                if fail {
                    return Err(AppError::Unavailable);
                }
                Ok(Epoch { n, now: Utc::now() })
            })
        }
    }

    fn ask(
        fresh: &Arc<Fresh>,
        read: impl FnOnce() -> Reading + Send + 'static,
    ) -> tokio::task::JoinHandle<Result<Epoch, AppError>> {
        let fresh = fresh.clone();
        tokio::spawn(async move { fresh.read_by(LONG, read).await })
    }

    /// Lets the runtime (one thread) run until `n` requests have asked and reached their
    /// wait, and the statement sent meanwhile has started.
    async fn until_asked(fresh: &Fresh, n: u64) {
        for _ in 0..100 {
            if fresh.asked() >= n {
                for _ in 0..3 {
                    tokio::task::yield_now().await;
                }
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
        let first = ask(&fresh, reader(&count, Some(hold), false));
        until_asked(&fresh, 1).await;
        assert_eq!((fresh.sent(), count.load(Ordering::SeqCst)), (1, 1));
        // Three more arrive while the first statement is out: it was sent before them,
        // so its answer is not theirs.
        let later: Vec<_> = (0..3)
            .map(|_| ask(&fresh, reader(&count, None, false)))
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
        let alone = fresh
            .read_by(LONG, reader(&count, None, false))
            .await
            .unwrap();
        assert_eq!((alone.n, fresh.sent()), (3, 3));
    }

    // covers: IN-4
    #[tokio::test]
    async fn a_statement_outlives_the_request_that_sent_it() {
        let fresh = Arc::new(Fresh::read_epoch());
        let count = Arc::new(AtomicI64::new(0));
        let (release, hold) = tokio::sync::oneshot::channel();
        let first = ask(&fresh, reader(&count, Some(hold), false));
        until_asked(&fresh, 1).await;
        let second = ask(&fresh, reader(&count, None, false));
        until_asked(&fresh, 2).await;
        // Its client gives up on the first request: the statement stays out, and the
        // second does not send another beside it.
        first.abort();
        assert!(first.await.unwrap_err().is_cancelled());
        until_asked(&fresh, 2).await;
        assert_eq!((fresh.sent(), count.load(Ordering::SeqCst)), (1, 1));
        release.send(()).unwrap();
        let got = second.await.unwrap().unwrap();
        assert_eq!((got.n, fresh.sent()), (2, 2));
    }

    //
    #[tokio::test]
    async fn a_failed_statement_fails_only_those_it_answers() {
        let fresh = Arc::new(Fresh::read_epoch());
        let count = Arc::new(AtomicI64::new(0));
        let (release, hold) = tokio::sync::oneshot::channel();
        let first = ask(&fresh, reader(&count, Some(hold), true));
        until_asked(&fresh, 1).await;
        let later: Vec<_> = (0..2)
            .map(|_| ask(&fresh, reader(&count, None, false)))
            .collect();
        until_asked(&fresh, 3).await;
        release.send(()).unwrap();
        assert_eq!(first.await.unwrap(), Err(AppError::Unavailable));
        for l in later {
            assert_eq!(l.await.unwrap().unwrap().n, 2);
        }
        assert_eq!(fresh.sent(), 2);
    }

    //
    #[tokio::test]
    async fn no_request_waits_past_its_limit_or_for_a_statement_that_panicked() {
        let fresh = Arc::new(Fresh::read_epoch());
        let count = Arc::new(AtomicI64::new(0));
        // A statement that never answers (the database hangs): unavailable at the limit,
        // for the one that sent it and for one that came after.
        let (_never, hold) = tokio::sync::oneshot::channel::<()>();
        let limit = Duration::from_millis(200);
        let t = Instant::now();
        let hung = fresh
            .read_by(limit, reader(&count, Some(hold), false))
            .await;
        assert_eq!(hung, Err(AppError::Unavailable));
        let after = fresh.read_by(limit, reader(&count, None, false)).await;
        assert_eq!(after, Err(AppError::Unavailable));
        assert!(t.elapsed() < LONG, "waited {:?}", t.elapsed());
        assert_eq!(fresh.sent(), 1, "the hung statement is still out");

        // A statement whose task panics answers "unavailable" to those waiting for it,
        // and the next request sends a new one.
        let fresh = Fresh::read_epoch();
        let boom = count.load(Ordering::SeqCst) >= 0;
        let panicked = fresh
            .read_by(LONG, move || async move {
                if boom {
                    panic!("the statement's task panics");
                }
                Ok(Epoch {
                    n: 0,
                    now: Utc::now(),
                })
            })
            .await;
        assert_eq!(panicked, Err(AppError::Unavailable));
        let next = fresh
            .read_by(LONG, reader(&count, None, false))
            .await
            .unwrap();
        assert_eq!((next.n, fresh.sent()), (2, 2));
    }
}
