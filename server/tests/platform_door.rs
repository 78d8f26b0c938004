//! The platform's door (PL-1, PL-2, PL-3): the check agreeing with the screens on every
//! kind of road, a batch of 100 in one statement; Zaps and connections through the API
//! with each refusal; signed events from the outbox, retried, resent with the same id and
//! sent once by two servers; the door itself attacked.
mod common;
use app::domain::roles::AccountRole;
use app::error::{AppError, Refusal};
use app::members::zaps;
use app::platform::{CheckAction, Question};
use app::server::actor::Actor;
use app::server::AppState;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use common::*;
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use sqlx::PgPool;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use uuid::Uuid;
use wire::platform::{NewConnection, NewZap, Trigger, ZapChange};

async fn new_version(st: &AppState, admin: &Actor, name: &str, public: bool) -> (Uuid, Uuid, Uuid) {
    let id = app::integrations::service::create(st, admin, name, "")
        .await
        .unwrap();
    let v1 = app::integrations::service::add_version(st, admin, id, "1.0.0")
        .await
        .unwrap();
    let v2 = app::integrations::service::add_version(st, admin, id, "2.0.0")
        .await
        .unwrap();
    if public {
        app::integrations::service::set_visibility(st, admin, id, "public")
            .await
            .unwrap();
    }
    (id, v1, v2)
}

async fn grant(
    pool: &PgPool,
    integration: Uuid,
    user: Uuid,
    version: Option<Uuid>,
    via: &str,
    extra: &str,
) {
    let done = sqlx::query(&format!(
        "INSERT INTO access_grants (integration_id, user_id, version_id, via, source_id{}) \
         VALUES ($1, $2, $3, $4, gen_random_uuid(){})",
        if extra.is_empty() {
            ""
        } else {
            ", starts_at, ends_at, revoked_at"
        },
        if extra.is_empty() {
            String::new()
        } else {
            format!(", {extra}")
        }
    ))
    .bind(integration)
    .bind(user)
    .bind(version)
    .bind(via)
    .execute(pool)
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

async fn member_of(pool: &PgPool, account: Uuid, user: Uuid, role: AccountRole) {
    let done =
        sqlx::query("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3)")
            .bind(account)
            .bind(user)
            .bind(role.as_str())
            .execute(pool)
            .await
            .unwrap();
    assert_eq!(done.rows_affected(), 1);
}

async fn platform_token(pool: &PgPool) -> String {
    let t = app::platform::tokens::issue(pool, "the platform", 30)
        .await
        .unwrap();
    assert!(t.starts_with("gpt_") && t.len() > 20, "{t}");
    t
}

async fn post(base: &str, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let res = Client::new()
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let s = res.status();
    (s, res.json().await.unwrap_or(Value::Null))
}

thread_local!(static COUNTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) });
static STATEMENTS: AtomicUsize = AtomicUsize::new(0);

/// Counts the statements sqlx runs on a thread while it is counting. Installed once, as
/// the process's subscriber, so no callsite is ever cached as uninteresting.
struct Statements;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, e: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if e.metadata().target() == "sqlx::query" && COUNTING.with(|c| c.get()) {
            STATEMENTS.fetch_add(1, Ordering::SeqCst);
        }
    }
}

/// The statements `f` runs (on this thread: the test's runtime has one).
async fn statements_of<T>(f: impl std::future::Future<Output = T>) -> (T, usize) {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        use tracing_subscriber::layer::SubscriberExt;
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(Statements))
            .expect("the only subscriber of this test binary");
    });
    STATEMENTS.store(0, Ordering::SeqCst);
    COUNTING.with(|c| c.set(true));
    let out = f.await;
    COUNTING.with(|c| c.set(false));
    (out, STATEMENTS.load(Ordering::SeqCst))
}

// covers: PL-1
#[sqlx::test(migrations = "../migrations")]
async fn the_check_agrees_with_the_screens_on_every_road(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let (x, x1, x2) = new_version(st, &ann, "Private CRM", false).await;
    let (p, _, _) = new_version(st, &ann, "Public CRM", true).await;
    let mut people = Vec::new();
    for (name, email) in [
        ("Ivy", "ivy@example.com"), // invitation, all versions
        ("Lin", "lin@example.com"), // link, all versions
        ("Vic", "vic@example.com"), // invitation, 1.0.0 only
        ("Rev", "rev@example.com"), // revoked
        ("Fut", "fut@example.com"), // starts next week
        ("End", "end@example.com"), // ended yesterday
        ("Pub", "pub@example.com"), // a grant from use while public
        ("Nob", "nob@example.com"), // nothing
    ] {
        people.push(person(&pool, name, email).await);
    }
    let [ivy, lin, vic, rev, fut, end, pubg, nob] = &people[..] else {
        unreachable!()
    };
    grant(&pool, x, ivy.id, None, "email_invite", "").await;
    grant(&pool, x, lin.id, None, "link", "").await;
    grant(&pool, x, vic.id, Some(x1), "email_invite", "").await;
    grant(&pool, x, rev.id, None, "email_invite", "NULL, NULL, now()").await;
    grant(
        &pool,
        x,
        fut.id,
        None,
        "email_invite",
        "now() + interval '7 days', NULL, NULL",
    )
    .await;
    grant(
        &pool,
        x,
        end.id,
        None,
        "email_invite",
        "now() - interval '9 days', now() - interval '1 day', NULL",
    )
    .await;
    grant(&pool, x, pubg.id, None, "public", "").await;

    // An instance of Ann's, shared for writing, for reading, and with a share that ended.
    let inst =
        app::instances::service::install(st, &ann, "Jira prod", "jira", vec![], "", String::new())
            .await
            .unwrap();
    app::instances::service::share(st, &ann, inst, &ivy.email, "write")
        .await
        .unwrap();
    app::instances::service::share(st, &ann, inst, &lin.email, "read")
        .await
        .unwrap();
    app::instances::service::share(st, &ann, inst, &end.email, "write")
        .await
        .unwrap();
    sqlx::query("UPDATE instance_shares SET starts_at = now() - interval '2 days', ends_at = now() - interval '1 day' WHERE user_id = $1")
        .bind(end.id)
        .execute(&pool)
        .await
        .unwrap();

    // Ann's account: Ivy a member, Lin an admin; Zaps and connections of each kind.
    let account = app::accounts::service::create_account(st, &ann, "Acme")
        .await
        .unwrap();
    member_of(&pool, account, ivy.id, AccountRole::Member).await;
    member_of(&pool, account, lin.id, AccountRole::Admin).await;
    let ivy_private = zaps::create_zap(
        st,
        ivy,
        account,
        &NewZap {
            name: "Ivy's".into(),
            folder_id: None,
            versions: vec![],
            connections: vec![],
            trigger: Trigger::None,
            private: true,
        },
    )
    .await
    .unwrap();
    let ann_shared = zaps::create_zap(
        st,
        &ann,
        account,
        &NewZap {
            name: "Team sync".into(),
            folder_id: None,
            versions: vec![],
            connections: vec![],
            trigger: Trigger::None,
            private: false,
        },
    )
    .await
    .unwrap();
    let c = |app: &str, private| NewConnection {
        app: app.into(),
        name: app.into(),
        private,
    };
    let ivy_conn = zaps::create_connection(st, ivy, account, &c("Slack", true))
        .await
        .unwrap();
    let ann_shared_conn = zaps::create_connection(st, &ann, account, &c("Jira", false))
        .await
        .unwrap();
    let ann_private_conn = zaps::create_connection(st, &ann, account, &c("Gmail", true))
        .await
        .unwrap();
    let ivy_old = zaps::create_connection(st, ivy, account, &c("Old", true))
        .await
        .unwrap();
    sqlx::query("UPDATE app_connections SET expires_at = now() - interval '1 hour' WHERE id = $1")
        .bind(ivy_old)
        .execute(&pool)
        .await
        .unwrap();

    // Every question, and what the screens decide for it.
    let everyone: Vec<&Actor> = std::iter::once(&ann).chain(people.iter()).collect();
    let mut questions = Vec::new();
    let mut screens = Vec::new();
    for who in &everyone {
        for (integration, version) in [(x, "1.0.0"), (x, "2.0.0"), (p, "2.0.0")] {
            questions.push(Question {
                user: who.id,
                action: CheckAction::UseVersion,
                object: integration,
                version: Some(version.into()),
            });
            let usable = app::integrations::service::usable(st, who, integration).await;
            screens.push(
                usable
                    .map(|u| u.versions.iter().any(|v| v == version))
                    .unwrap_or(false),
            );
        }
        questions.push(Question {
            user: who.id,
            action: CheckAction::RunInstance,
            object: inst,
            version: None,
        });
        screens.push(
            app::instances::service::set_running(st, who, inst, true)
                .await
                .is_ok(),
        );
        for zap in [ivy_private, ann_shared] {
            questions.push(Question {
                user: who.id,
                action: CheckAction::ChangeZap,
                object: zap,
                version: None,
            });
            screens.push(
                zaps::change_zap(st, who, account, zap, &ZapChange::default())
                    .await
                    .is_ok(),
            );
        }
        for conn in [ivy_conn, ann_shared_conn, ann_private_conn, ivy_old] {
            questions.push(Question {
                user: who.id,
                action: CheckAction::UseConnection,
                object: conn,
                version: None,
            });
            let made = zaps::create_zap(
                st,
                who,
                account,
                &NewZap {
                    name: "Probe".into(),
                    folder_id: None,
                    versions: vec![],
                    connections: vec![conn],
                    trigger: Trigger::None,
                    private: true,
                },
            )
            .await;
            screens.push(made.is_ok());
        }
    }
    assert_eq!(questions.len(), 90, "every person asks every question");
    let platform = platform_token(&pool).await;
    let (answers, counted) =
        statements_of(app::platform::check::check(st, &platform, &questions)).await;
    let answers = answers.unwrap();
    assert_eq!(counted, 1, "the whole batch is one statement");
    for ((q, a), screen) in questions.iter().zip(&answers).zip(&screens) {
        assert_eq!(
            a.allowed, *screen,
            "{q:?}: check says {a:?}, the screens {screen}"
        );
    }
    // The reasons name the road or the rule.
    let reason = |who: &Actor, action: CheckAction, object: Uuid, version: Option<&str>| {
        let i = questions
            .iter()
            .position(|q| {
                q.user == who.id
                    && q.action == action
                    && q.object == object
                    && q.version.as_deref() == version
            })
            .unwrap();
        (answers[i].allowed, answers[i].reason.as_str())
    };
    use CheckAction::*;
    assert_eq!(
        reason(ivy, UseVersion, x, Some("2.0.0")),
        (true, "invitation")
    );
    assert_eq!(reason(lin, UseVersion, x, Some("2.0.0")), (true, "link"));
    assert_eq!(
        reason(pubg, UseVersion, x, Some("1.0.0")),
        (true, "public_grant")
    );
    assert_eq!(
        reason(vic, UseVersion, x, Some("1.0.0")),
        (true, "invitation")
    );
    assert_eq!(
        reason(vic, UseVersion, x, Some("2.0.0")),
        (false, "no_access")
    );
    assert_eq!(
        reason(rev, UseVersion, x, Some("1.0.0")),
        (false, "access_ended")
    );
    assert_eq!(
        reason(end, UseVersion, x, Some("1.0.0")),
        (false, "access_ended")
    );
    assert_eq!(
        reason(fut, UseVersion, x, Some("1.0.0")),
        (false, "not_yet")
    );
    assert_eq!(
        reason(nob, UseVersion, x, Some("1.0.0")),
        (false, "no_access")
    );
    assert_eq!(reason(nob, UseVersion, p, Some("2.0.0")), (true, "public"));
    assert_eq!(reason(&ann, RunInstance, inst, None), (true, "owner"));
    assert_eq!(reason(ivy, RunInstance, inst, None), (true, "write_share"));
    assert_eq!(
        reason(lin, RunInstance, inst, None),
        (false, "read_only_share")
    );
    assert_eq!(reason(end, RunInstance, inst, None), (false, "no_access"));
    assert_eq!(reason(ivy, ChangeZap, ivy_private, None), (true, "owner"));
    assert_eq!(
        reason(lin, ChangeZap, ann_shared, None),
        (false, "not_owner")
    );
    assert_eq!(
        reason(nob, ChangeZap, ann_shared, None),
        (false, "not_a_member")
    );
    assert_eq!(
        reason(ivy, UseConnection, ann_shared_conn, None),
        (true, "shared_connection")
    );
    assert_eq!(
        reason(ivy, UseConnection, ivy_old, None),
        (false, "connection_expired")
    );
    let _ = x2;

    // From here on, every batch runs the full statement (no kept decision answers it).
    let st = &without_kept_decisions(st);
    // 100 questions (the most) are one statement too; 101 are refused before any work.
    let hundred: Vec<Question> = questions.iter().cycle().take(100).cloned().collect();
    let (again, counted) =
        statements_of(app::platform::check::check(st, &platform, &hundred)).await;
    let again = again.unwrap();
    assert_eq!(again.len(), 100);
    assert_eq!(counted, 1);
    // Each batch's statement holds only the branches of the kinds it asks (the unit test
    // `a_batch_statement_holds_only_the_kinds_it_asks` reads them): every question
    // alone, and a batch of every set of kinds, answers as in the mixed batch.
    for (q, want) in questions.iter().zip(&answers) {
        let alone = app::platform::check::check(st, &platform, std::slice::from_ref(q))
            .await
            .unwrap();
        assert_eq!(&alone[0], want, "{q:?} alone");
    }
    let kinds = [UseVersion, RunInstance, ChangeZap, UseConnection];
    for set in 1..16usize {
        let asked: Vec<_> = (0..4)
            .filter(|k| set & (1 << k) != 0)
            .map(|k| kinds[k])
            .collect();
        let (ask, want): (Vec<Question>, Vec<_>) = questions
            .iter()
            .zip(&answers)
            .filter(|(q, _)| asked.contains(&q.action))
            .map(|(q, a)| (q.clone(), a.clone()))
            .unzip();
        assert!(!ask.is_empty(), "{asked:?} are asked");
        let got = app::platform::check::check(st, &platform, &ask)
            .await
            .unwrap();
        assert_eq!(got, want, "a batch of {asked:?}");
    }
    let mut too_many = hundred.clone();
    too_many.push(hundred[0].clone());
    assert!(matches!(
        app::platform::check::check(st, &platform, &too_many).await,
        Err(AppError::Validation { .. })
    ));
    // Unknown people and things.
    let odd = [
        Question {
            user: Uuid::new_v4(),
            action: UseVersion,
            object: p,
            version: Some("1.0.0".into()),
        },
        Question {
            user: ivy.id,
            action: RunInstance,
            object: Uuid::new_v4(),
            version: None,
        },
        Question {
            user: ivy.id,
            action: UseVersion,
            object: x,
            version: Some("9.9.9".into()),
        },
    ];
    let a = app::platform::check::check(st, &platform, &odd)
        .await
        .unwrap();
    let reasons: Vec<&str> = a.iter().map(|a| a.reason.as_str()).collect();
    assert_eq!(reasons, ["unknown_user", "not_found", "not_found"]);
    assert!(a.iter().all(|a| !a.allowed));
    // A token that is not live is refused before any question is looked at, even a
    // malformed batch; the token and the questions are the one statement.
    for t in ["gpt_not-a-token", "gat_personal", ""] {
        assert!(
            matches!(
                app::platform::check::check(st, t, &odd).await,
                Err(AppError::Unauthenticated)
            ),
            "{t}"
        );
        assert!(
            matches!(
                app::platform::check::check(st, t, &too_many).await,
                Err(AppError::Unauthenticated)
            ),
            "{t}"
        );
    }
    let (last,): (Option<chrono::DateTime<chrono::Utc>>,) = sqlx::query_as("SELECT last_used_at FROM platform_tokens WHERE token_hash = sha256(convert_to($1, 'UTF8'))")
        .bind(&platform)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(last.is_some(), "the check records the token's use");
    assert_eq!(
        st.decisions.reused(),
        0,
        "every batch ran the full statement"
    );
}

/// The same server state, with the check's kept decisions switched off (`CHECK_CACHE=0`).
fn without_kept_decisions(st: &AppState) -> AppState {
    let mut config = (*st.config).clone();
    config.check_cache = false;
    AppState {
        config: Arc::new(config),
        decisions: Default::default(),
        kept: Default::default(),
        ..st.clone()
    }
}

async fn epoch(pool: &PgPool) -> i64 {
    let (n,): (i64,) = sqlx::query_as("SELECT n FROM access_epoch")
        .fetch_one(pool)
        .await
        .unwrap();
    n
}

// covers: PL-1, AX-2, OF-1
#[sqlx::test(migrations = "../migrations")]
async fn a_kept_decision_is_reused_only_while_nothing_it_rests_on_changed(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let ivy = person(&pool, "Ivy", "ivy@example.com").await;
    let nob = person(&pool, "Nob", "nob@example.com").await;
    let tim = person(&pool, "Tim", "tim@example.com").await;
    let (x, _, _) = new_version(st, &ann, "Private CRM", false).await;
    grant(&pool, x, ivy.id, None, "email_invite", "").await;
    let platform = platform_token(&pool).await;
    let use_x = |who: Uuid| Question {
        user: who,
        action: CheckAction::UseVersion,
        object: x,
        version: Some("1.0.0".into()),
    };
    let ask = |qs: Vec<Question>| {
        let platform = platform.clone();
        async move {
            app::platform::check::check(st, &platform, &qs)
                .await
                .map(|a| {
                    a.into_iter()
                        .map(|a| (a.allowed, a.reason))
                        .collect::<Vec<_>>()
                })
        }
    };
    let ok = |r: &str| (true, r.to_string());
    let no = |r: &str| (false, r.to_string());

    // Decided once by the full statement, then reused: one statement (the epoch) each.
    let first = ask(vec![use_x(ivy.id), use_x(nob.id)]).await.unwrap();
    assert_eq!(first, [ok("invitation"), no("no_access")]);
    assert_eq!(st.decisions.reused(), 0);
    let (again, counted) = statements_of(ask(vec![use_x(ivy.id), use_x(nob.id)])).await;
    assert_eq!(again.unwrap(), first);
    assert_eq!((st.decisions.reused(), counted), (1, 1));
    // Each question of a decided batch is decided alone too.
    assert_eq!(ask(vec![use_x(nob.id)]).await.unwrap(), [no("no_access")]);
    assert_eq!(st.decisions.reused(), 2);

    // A change to a column the check does not read (a reminder sent), and a change rolled
    // back, leave the epoch: the decision is still reused.
    let before = epoch(&pool).await;
    sqlx::query("UPDATE access_grants SET reminded_at = now() WHERE user_id = $1")
        .bind(ivy.id)
        .execute(&pool)
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("UPDATE access_grants SET revoked_at = now() WHERE user_id = $1")
        .bind(ivy.id)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert_eq!(epoch(&pool).await, before);
    assert_eq!(ask(vec![use_x(ivy.id)]).await.unwrap(), [ok("invitation")]);
    assert_eq!(st.decisions.reused(), 3);

    // Revoked through the screen's service: refused on the very next check.
    app::integrations::service::revoke(st, &ann, x, ivy.id, None, "")
        .await
        .unwrap();
    assert_eq!(epoch(&pool).await, before + 1, "one change, one move");
    assert_eq!(
        ask(vec![use_x(ivy.id)]).await.unwrap(),
        [no("access_ended")]
    );
    assert_eq!(st.decisions.reused(), 3, "decided anew");
    // A second server keeps its own decisions, and sees the same.
    let other = AppState {
        decisions: Default::default(),
        kept: Default::default(),
        ..st.clone()
    };
    assert_eq!(
        app::platform::check::check(&other, &platform, &[use_x(ivy.id)])
            .await
            .unwrap()[0]
            .reason,
        "access_ended"
    );

    // Checks in flight while access is revoked: none keeps a decision past the change
    // (a statement that began before the commit keeps its answer under the old epoch).
    let lin = person(&pool, "Lin", "lin@example.com").await;
    grant(&pool, x, lin.id, None, "link", "").await;
    let stop = Arc::new(AtomicBool::new(false));
    let mut hammers = Vec::new();
    for _ in 0..8 {
        let (st, platform, stop, q) = (st.clone(), platform.clone(), stop.clone(), use_x(lin.id));
        hammers.push(tokio::spawn(async move {
            let mut asked = 0;
            while !stop.load(Ordering::Relaxed) {
                app::platform::check::check(&st, &platform, std::slice::from_ref(&q))
                    .await
                    .unwrap();
                asked += 1;
            }
            asked
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    app::integrations::service::revoke(st, &ann, x, lin.id, None, "")
        .await
        .unwrap();
    for _ in 0..50 {
        assert_eq!(
            ask(vec![use_x(lin.id)]).await.unwrap(),
            [no("access_ended")]
        );
        tokio::task::yield_now().await;
    }
    stop.store(true, Ordering::Relaxed);
    for h in hammers {
        assert!(h.await.unwrap() > 0, "each asked while it changed");
    }

    // Tim's access ends in three seconds; the end passes with no write, and the kept
    // "invitation" is not reused past it.
    grant(
        &pool,
        x,
        tim.id,
        None,
        "email_invite",
        "NULL, now() + interval '3 seconds', NULL",
    )
    .await;
    let until_end = epoch(&pool).await;
    let reused = st.decisions.reused();
    assert_eq!(ask(vec![use_x(tim.id)]).await.unwrap(), [ok("invitation")]);
    assert_eq!(ask(vec![use_x(tim.id)]).await.unwrap(), [ok("invitation")]);
    assert_eq!(st.decisions.reused(), reused + 1);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert_eq!(
        ask(vec![use_x(tim.id)]).await.unwrap(),
        [no("access_ended")]
    );
    assert_eq!(epoch(&pool).await, until_end, "no write moved the epoch");

    // A member removed from an account loses the shared connection on the next check.
    let account = app::accounts::service::create_account(st, &ann, "Acme")
        .await
        .unwrap();
    member_of(&pool, account, ivy.id, AccountRole::Member).await;
    let conn = zaps::create_connection(
        st,
        &ann,
        account,
        &NewConnection {
            app: "Slack".into(),
            name: "Team Slack".into(),
            private: false,
        },
    )
    .await
    .unwrap();
    let use_conn = Question {
        user: ivy.id,
        action: CheckAction::UseConnection,
        object: conn,
        version: None,
    };
    assert_eq!(
        ask(vec![use_conn.clone()]).await.unwrap(),
        [ok("shared_connection")]
    );
    assert_eq!(
        ask(vec![use_conn.clone()]).await.unwrap(),
        [ok("shared_connection")]
    );
    let reused = st.decisions.reused();
    let gone = sqlx::query("DELETE FROM account_members WHERE account_id = $1 AND user_id = $2")
        .bind(account)
        .bind(ivy.id)
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(gone.rows_affected(), 1);
    assert_eq!(ask(vec![use_conn]).await.unwrap(), [no("not_a_member")]);
    assert_eq!(st.decisions.reused(), reused);

    // A revoked platform token is refused at once, though its answers were kept.
    assert!(ask(vec![use_x(ivy.id)]).await.is_ok());
    sqlx::query("UPDATE platform_tokens SET revoked_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    assert!(matches!(
        ask(vec![use_x(ivy.id)]).await,
        Err(AppError::Unauthenticated)
    ));
}

// covers: PL-1
#[sqlx::test(migrations = "../migrations")]
async fn every_table_the_check_reads_moves_the_epoch_at_commit(pool: PgPool) {
    for table in app::platform::check::EPOCH_TABLES {
        let (row, truncate): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE t.tgname = 'access_epoch' AND t.tgdeferrable AND t.tginitdeferred), \
                    count(*) FILTER (WHERE t.tgname = 'access_epoch_truncate') \
             FROM pg_trigger t WHERE t.tgrelid = $1::regclass",
        )
        .bind(table)
        .fetch_one(&pool)
        .await
        .unwrap();
        assert_eq!((row, truncate), (1, 1), "{table}");
    }
    // Many rows in one transaction move it once, at commit.
    let before = epoch(&pool).await;
    let mut tx = pool.begin().await.unwrap();
    let done = sqlx::query(
        "INSERT INTO users (email, name, password_hash) \
         SELECT 'p' || g || '@example.com', 'P', '!unset' FROM generate_series(1, 500) g",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    assert_eq!(done.rows_affected(), 500);
    let (inside,): (i64,) = sqlx::query_as("SELECT n FROM access_epoch")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(inside, before, "not before commit");
    tx.commit().await.unwrap();
    assert_eq!(epoch(&pool).await, before + 1);
}

// covers: PL-1, X-6
#[sqlx::test(migrations = "../migrations")]
async fn the_check_door_takes_platform_tokens_only(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let ann = app.signed_in("Ann", "ann@example.com").await;
    let personal = app.api_token(&ann, "read_write").await;
    let platform = platform_token(&pool).await;
    let ann_id = actor_of(&pool, "ann@example.com").await.id;
    let q = json!({"questions": [{"user": ann_id, "action": "run_instance", "object": Uuid::new_v4()}]});
    // A personal token, no token, a cookie alone: 401.
    let (s, b) = post(&app.base, &personal, "/api/v1/check", &q).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    let res = ann
        .post(format!("{}/api/v1/check", app.base))
        .json(&q)
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "cookies are ignored"
    );
    // The platform token is no person: it cannot act as one elsewhere.
    let res = Client::new()
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&platform)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = Client::new()
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&platform)
        .header("gatehouse-act-as", ann_id.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "acting for a member reaches their Zaps only"
    );
    // The platform's answer.
    let (s, b) = post(&app.base, &platform, "/api/v1/check", &q).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["answers"][0],
        json!({"allowed": false, "reason": "not_found"})
    );
    // Malformed and oversized batches change nothing and say why.
    for (body, want) in [
        (json!({"questions": []}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"questions": [{"user": ann_id, "action": "use_version", "object": Uuid::new_v4()}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"questions": [{"user": ann_id, "action": "fly", "object": Uuid::new_v4()}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"questions": [{"user": "me", "action": "run_instance", "object": Uuid::new_v4()}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"questions": vec![json!({"user": ann_id, "action": "run_instance", "object": Uuid::nil()}); 101]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (s, b) = post(&app.base, &platform, "/api/v1/check", &body).await;
        assert_eq!(s, want, "{body}: {b}");
        assert!(b["detail"].as_str().is_some_and(|d| !d.is_empty()), "{b}");
    }
    let huge = "x".repeat(3 << 20);
    let res = Client::new()
        .post(format!("{}/api/v1/check", app.base))
        .bearer_auth(&platform)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Revoked and expired platform tokens: 401 on the very next request.
    sqlx::query("UPDATE platform_tokens SET revoked_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    let (s, _) = post(&app.base, &platform, "/api/v1/check", &q).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let other = platform_token(&pool).await;
    sqlx::query("UPDATE platform_tokens SET expires_at = now() - interval '1 second', created_at = now() - interval '2 days' WHERE revoked_at IS NULL")
        .execute(&pool)
        .await
        .unwrap();
    let (s, _) = post(&app.base, &other, "/api/v1/check", &q).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

// covers: PL-2, OF-2, SH-6
#[sqlx::test(migrations = "../migrations")]
async fn zaps_and_connections_live_through_the_api_with_each_refusal(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann_c = app.signed_in("Ann", "ann@example.com").await;
    let ivy_c = app.signed_in("Ivy", "ivy@example.com").await;
    let out_c = app.signed_in("Oscar", "oscar@example.com").await;
    let ann = actor_of(&pool, "ann@example.com").await;
    let ivy = actor_of(&pool, "ivy@example.com").await;
    let (ann_t, ivy_t, out_t) = (
        app.api_token(&ann_c, "read_write").await,
        app.api_token(&ivy_c, "read_write").await,
        app.api_token(&out_c, "read_write").await,
    );
    let (x, x1, x2) = new_version(st, &ann, "Private CRM", false).await;
    let (_hidden, h1, _) = new_version(st, &ann, "Hidden", false).await;
    grant(&pool, x, ivy.id, Some(x1), "email_invite", "").await;
    let account = app::accounts::service::create_account(st, &ann, "Acme")
        .await
        .unwrap();
    member_of(&pool, account, ivy.id, AccountRole::Member).await;
    let base = format!("/api/v1/accounts/{account}");

    // Ivy: a folder, a private connection, a Zap on the version she may use.
    let (s, f) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/folders"),
        &json!({"name": "Mine"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    let folder = f["id"].as_str().unwrap().to_string();
    let (s, c) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/connections"),
        &json!({"app": "Slack", "name": "Ivy's Slack"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let conn = c["id"].as_str().unwrap().to_string();
    let new_zap = |versions: Vec<Uuid>| json!({"name": "Leads to Slack", "folder_id": folder, "versions": versions, "connections": [conn], "trigger": "catch_hook"});
    let (s, z) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/zaps"),
        &new_zap(vec![x1]),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{z}");
    let zap: Uuid = z["id"].as_str().unwrap().parse().unwrap();
    let (enabled, hook): (bool, Option<String>) =
        sqlx::query_as("SELECT enabled, webhook_token FROM zaps WHERE id = $1")
            .bind(zap)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(enabled && hook.is_some(), "on, with a webhook URL");

    // Refusals, each changing nothing.
    let zaps_before = app.count("zaps").await;
    let (s, b) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/zaps"),
        &new_zap(vec![x2]),
    )
    .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_not_usable")),
        "{b}"
    );
    let (s, b) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/zaps"),
        &new_zap(vec![h1]),
    )
    .await;
    let (s2, b2) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/zaps"),
        &new_zap(vec![Uuid::new_v4()]),
    )
    .await;
    assert_eq!(
        (s, &b),
        (s2, &b2),
        "a version never shared answers like a missing one"
    );
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let ann_private = zaps::create_connection(
        st,
        &ann,
        account,
        &NewConnection {
            app: "Gmail".into(),
            name: "Ann's Gmail".into(),
            private: true,
        },
    )
    .await
    .unwrap();
    let (s, b) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/zaps"),
        &json!({"name": "Peek", "connections": [ann_private]}),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "another's private connection: {b}"
    );
    let shared = zaps::create_folder(
        st,
        &ann,
        account,
        &wire::platform::NewFolder {
            name: "Team".into(),
            shared: true,
        },
    )
    .await
    .unwrap();
    let ann_folder = zaps::create_folder(
        st,
        &ann,
        account,
        &wire::platform::NewFolder {
            name: "Ann's".into(),
            shared: false,
        },
    )
    .await
    .unwrap();
    let (s, _) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/zaps"),
        &json!({"name": "Private in shared", "folder_id": shared}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/zaps"),
        &json!({"name": "In Ann's", "folder_id": ann_folder}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = post(
        &app.base,
        &out_t,
        &format!("{base}/zaps"),
        &json!({"name": "Outsider"}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = post(
        &app.base,
        &ivy_t,
        &format!("{base}/zaps"),
        &json!({"name": ""}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.count("zaps").await,
        zaps_before,
        "no refusal made a Zap"
    );

    // Edit, move, switch: the owner only; others see 403 (shared) or 404.
    let patch = |token: &str, body: Value| {
        Client::new()
            .patch(format!("{}{base}/zaps/{zap}", app.base))
            .bearer_auth(token.to_string())
            .json(&body)
            .send()
    };
    assert_eq!(
        patch(&ann_t, json!({"name": "Mine now"}))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND,
        "a private Zap of another"
    );
    assert_eq!(
        patch(&out_t, json!({"name": "x"})).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        patch(
            &ivy_t,
            json!({"name": "Leads", "trigger": "catch_raw_hook"})
        )
        .await
        .unwrap()
        .status(),
        StatusCode::NO_CONTENT
    );
    let (name, hook2): (String, Option<String>) =
        sqlx::query_as("SELECT name, webhook_token FROM zaps WHERE id = $1")
            .bind(zap)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(name, "Leads");
    assert_ne!(hook2, hook, "a new trigger, a new webhook URL");
    let (changed,): (i64,) = sqlx::query_as("SELECT count(*) FROM events WHERE kind = 'zap.webhook_changed' AND payload->>'zap_id' = $1")
        .bind(zap.to_string())
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(changed, 1, "the platform hears of the new URL");
    let res = Client::new()
        .put(format!("{}{base}/zaps/{zap}/folder", app.base))
        .bearer_auth(&ivy_t)
        .json(&json!({"folder_id": null}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let res = Client::new()
        .put(format!("{}{base}/zaps/{zap}/folder", app.base))
        .bearer_auth(&ivy_t)
        .json(&json!({"folder_id": ann_folder}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Access ends: the Zap pauses with the reason, and cannot be switched on again.
    app::integrations::service::revoke(st, &ann, x, ivy.id, None, "")
        .await
        .unwrap();
    let (on, why): (bool, Option<String>) =
        sqlx::query_as("SELECT enabled, paused_reason FROM zaps WHERE id = $1")
            .bind(zap)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!on);
    assert_eq!(why.as_deref(), Some("Access to Private CRM was revoked"));
    let res = patch(&ivy_t, json!({"enabled": true})).await.unwrap();
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let b: Value = res.json().await.unwrap();
    assert_eq!(b["code"], "version_access_gone");

    // Paging: 7 Zaps, 3 a page, each once, in order.
    for n in 0..6 {
        zaps::create_zap(
            st,
            &ivy,
            account,
            &NewZap {
                name: format!("Zap {n}"),
                folder_id: None,
                versions: vec![],
                connections: vec![],
                trigger: Trigger::None,
                private: true,
            },
        )
        .await
        .unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            None => format!("{}{base}/zaps?limit=3", app.base),
            Some(c) => format!("{}{base}/zaps?limit=3&cursor={c}", app.base),
        };
        let page: Value = Client::new()
            .get(url)
            .bearer_auth(&ivy_t)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for z in page["zaps"].as_array().unwrap() {
            seen.push(z["name"].as_str().unwrap().to_string());
        }
        match page["next"].as_str() {
            Some(n) => cursor = Some(n.to_string()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort_by_key(|s| s.to_lowercase());
    assert_eq!(seen, sorted);
    assert_eq!(seen.len(), 7, "{seen:?}");

    // An admin deletes Ivy's private connection: first what it would do, then for real.
    zaps::change_zap(
        st,
        &ivy,
        account,
        zap,
        &ZapChange {
            enabled: Some(false),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    grant(&pool, x, ivy.id, Some(x1), "email_invite", "").await;
    zaps::change_zap(
        st,
        &ivy,
        account,
        zap,
        &ZapChange {
            enabled: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let del = |token: &str, dry: bool| {
        Client::new()
            .delete(format!(
                "{}{base}/connections/{conn}?dry_run={dry}",
                app.base
            ))
            .bearer_auth(token.to_string())
            .send()
    };
    let res = del(&ann_t, true).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let preview: Value = res.json().await.unwrap();
    assert_eq!(preview["zaps"], json!(["Leads"]));
    assert_eq!(preview["zaps_paused"], json!(["Leads"]));
    assert_eq!(preview["deleted"], false);
    assert_eq!(
        app.count("app_connections").await,
        2,
        "a dry run deletes nothing"
    );
    // A plain member may not delete another's private connection (it is not theirs to see).
    let other = zaps::create_connection(
        st,
        &ann,
        account,
        &NewConnection {
            app: "Drive".into(),
            name: "Ann's Drive".into(),
            private: true,
        },
    )
    .await
    .unwrap();
    let res = Client::new()
        .delete(format!("{}{base}/connections/{other}", app.base))
        .bearer_auth(&ivy_t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    // Twice at once: one deletes, the other finds nothing.
    let (a, b) = tokio::join!(del(&ann_t, false), del(&ann_t, false));
    let mut statuses = [a.unwrap().status(), b.unwrap().status()];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::OK, StatusCode::NOT_FOUND]);
    let (on, why): (bool, Option<String>) =
        sqlx::query_as("SELECT enabled, paused_reason FROM zaps WHERE id = $1")
            .bind(zap)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!on);
    assert_eq!(
        why.as_deref(),
        Some("The connection “Ivy's Slack” was deleted by Ann")
    );
    let (paused,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM events WHERE kind = 'zap.paused' AND payload->>'zap_id' = $1",
    )
    .bind(zap.to_string())
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(paused, 1);
    // Deleting one's own Zap; a read token may not.
    let read = app.api_token(&ivy_c, "read").await;
    let res = Client::new()
        .delete(format!("{}{base}/zaps/{zap}", app.base))
        .bearer_auth(&read)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = Client::new()
        .delete(format!("{}{base}/zaps/{zap}", app.base))
        .bearer_auth(&ivy_t)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // The platform acting for Ivy has Ivy's rights, and no more.
    let platform = platform_token(&pool).await;
    let res = Client::new()
        .post(format!("{}{base}/connections", app.base))
        .bearer_auth(&platform)
        .header("gatehouse-act-as", ivy.id.to_string())
        .json(&json!({"app": "Asana", "name": "Ivy's Asana"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let out = actor_of(&pool, "oscar@example.com").await;
    let res = Client::new()
        .post(format!("{}{base}/connections", app.base))
        .bearer_auth(&platform)
        .header("gatehouse-act-as", out.id.to_string())
        .json(&json!({"app": "Asana", "name": "Oscar's"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = Client::new()
        .post(format!("{}{base}/connections", app.base))
        .bearer_auth(&platform)
        .json(&json!({"app": "Asana", "name": "Nobody's"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "acting for nobody");
}

/// One delivery as received: event id, type, signature, body.
type Got = (String, String, String, String);

/// A receiver of events: records what it got; fails the first `fail` requests.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Got>>>,
    fail: Arc<AtomicUsize>,
}

// The work screen, the browser's door to the same services: connections come 50 to a
// page by name with a cursor, and every one the member may use is offered in the Zap
// form; a Zap of one's own is renamed and given a new trigger (a new webhook URL) from
// its own form, which answers another's Zap like a missing one, refuses a cross-site
// post and a bad trigger, and changes nothing when it refuses.
// covers: PL-2, OF-2
#[sqlx::test(migrations = "../migrations")]
async fn the_work_screen_pages_connections_and_edits_zaps(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann_c = app.signed_in("Ann", "ann@example.com").await;
    let ivy_c = app.signed_in("Ivy", "ivy@example.com").await;
    let ann = actor_of(&pool, "ann@example.com").await;
    let ivy = actor_of(&pool, "ivy@example.com").await;
    let account = app::accounts::service::create_account(st, &ann, "Acme")
        .await
        .unwrap();
    member_of(&pool, account, ivy.id, AccountRole::Member).await;
    let a = account.to_string();
    for k in 0..61 {
        let conn = NewConnection {
            app: "Slack".into(),
            name: format!("Conn {k:02}"),
            private: k % 2 == 0,
        };
        zaps::create_connection(st, &ivy, account, &conn)
            .await
            .unwrap();
    }
    let own = NewConnection {
        app: "Gmail".into(),
        name: "Ann's own".into(),
        private: true,
    };
    zaps::create_connection(st, &ann, account, &own)
        .await
        .unwrap();
    let names = |p: &Value| -> Vec<String> {
        p["connections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (s, first) = app
        .call(&ivy_c, "work/account_work", &[("account_id", &a)])
        .await;
    assert!(s.is_success(), "{first}");
    let want: Vec<String> = (0..50).map(|k| format!("Conn {k:02}")).collect();
    assert_eq!(names(&first), want, "the first 50 of hers, by name");
    let next = first["next_connections"]
        .as_str()
        .expect("a second page")
        .to_string();
    let (_, second) = app
        .call(
            &ivy_c,
            "work/account_work",
            &[("account_id", &a), ("connections_after", &next)],
        )
        .await;
    let want: Vec<String> = (50..61).map(|k| format!("Conn {k:02}")).collect();
    assert_eq!(names(&second), want, "the rest, without Ann's private one");
    assert!(second["next_connections"].is_null());
    assert_eq!(
        first["usable_connections"].as_array().unwrap().len(),
        61,
        "the Zap form offers every connection she may use, on any page"
    );
    // Through the API, the same pages.
    let ivy_t = app.api_token(&ivy_c, "read").await;
    let api = |q: String| {
        let url = format!("{}/api/v1/accounts/{account}/work{q}", app.base);
        let t = ivy_t.clone();
        async move {
            let res = Client::new().get(url).bearer_auth(t).send().await.unwrap();
            (res.status(), res.json::<Value>().await.unwrap())
        }
    };
    let (s, p1) = api(String::new()).await;
    assert_eq!(s, StatusCode::OK, "{p1}");
    assert_eq!(names(&p1), names(&first));
    let cursor = p1["next_connections"].as_str().unwrap().to_string();
    let (_, p2) = api(format!("?connections_after={cursor}")).await;
    assert_eq!(names(&p2), names(&second));
    let (s, _) = api("?connections_after=%21%21".into()).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a cursor it never gave"
    );
    // The owner (an admin: OF-2) sees Ivy's private ones and her own: 62 over two pages.
    let (_, owner1) = app
        .call(&ann_c, "work/account_work", &[("account_id", &a)])
        .await;
    let next = owner1["next_connections"].as_str().unwrap().to_string();
    let (_, owner2) = app
        .call(
            &ann_c,
            "work/account_work",
            &[("account_id", &a), ("connections_after", &next)],
        )
        .await;
    assert_eq!(names(&owner1).len() + names(&owner2).len(), 62);
    assert_eq!(names(&owner1)[0], "Ann's own");
    // Her Zap form offers her own and the shared ones, never another's private one.
    let offered: Vec<String> = owner1["usable_connections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c[1].as_str().unwrap().to_string())
        .collect();
    let mut want: Vec<String> = (0..61)
        .filter(|k| k % 2 == 1)
        .map(|k| format!("Conn {k:02} (Slack)"))
        .collect();
    want.insert(0, "Ann's own (Gmail)".into());
    assert_eq!(offered, want);
    let (s, b) = app
        .call(
            &ivy_c,
            "work/account_work",
            &[("account_id", &a), ("connections_after", "not a cursor!")],
        )
        .await;
    assert!(s.is_client_error(), "{b}");
    assert_eq!(error_field(&b).map(|f| f.0), Some("cursor"));

    // Ivy's Zap: renamed and given a catch hook from its own form.
    let new = NewZap {
        name: "Leads".into(),
        folder_id: None,
        versions: Vec::new(),
        connections: Vec::new(),
        trigger: Trigger::None,
        private: true,
    };
    let zap = zaps::create_zap(st, &ivy, account, &new).await.unwrap();
    let z = zap.to_string();
    let hook = || async {
        sqlx::query_as::<_, (String, String, Option<String>)>(
            "SELECT name, trigger, webhook_token FROM zaps WHERE id = $1",
        )
        .bind(zap)
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let edit = |name: &'static str, trigger: &'static str| {
        vec![
            ("account_id", a.clone()),
            ("zap_id", z.clone()),
            ("name", name.to_string()),
            ("trigger", trigger.to_string()),
        ]
    };
    let send = |c: &Client, f: Vec<(&'static str, String)>| {
        let c = c.clone();
        let url = format!("{}/api/work/edit_zap", app.base);
        async move {
            let res = c
                .post(url)
                .header("Accept", "application/json")
                .form(&f)
                .send()
                .await
                .unwrap();
            let status = res.status();
            (status, res.text().await.unwrap())
        }
    };
    let (s, b) = send(&ivy_c, edit("Leads to Slack", "catch_hook")).await;
    assert!(s.is_success(), "{b}");
    let (name, trigger, token) = hook().await;
    assert_eq!(
        (name.as_str(), trigger.as_str()),
        ("Leads to Slack", "catch_hook")
    );
    let token = token.expect("a webhook URL");
    let (s, b) = send(&ivy_c, edit("Leads again", "catch_hook")).await;
    assert!(s.is_success(), "{b}");
    assert_eq!(
        hook().await,
        (
            "Leads again".to_string(),
            "catch_hook".to_string(),
            Some(token.clone())
        ),
        "the trigger it has already keeps its URL"
    );
    let (renames,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM history WHERE action = 'zap.changed' AND after->>'name' IS NOT NULL",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        renames, 2,
        "two renames; a save that keeps the name records none"
    );
    let (s, _) = send(&ivy_c, edit("Leads again", "none")).await;
    assert!(s.is_success());
    let (_, trigger, token) = hook().await;
    assert_eq!(
        (trigger.as_str(), token),
        ("none", None),
        "no trigger, no URL"
    );
    // Refusals change nothing.
    let before = hook().await;
    let (s, _) = send(&ann_c, edit("Ann's now", "none")).await;
    let mut missing = edit("Ann's now", "none");
    missing[1].1 = Uuid::new_v4().to_string();
    let (s2, _) = send(&ann_c, missing).await;
    assert_eq!(s, s2, "another's Zap answers like a missing one");
    assert_eq!(s, reqwest::StatusCode::NOT_FOUND);
    let (s, b) = send(&ivy_c, edit("Leads", "sometimes")).await;
    assert_eq!(s, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b.contains("trigger"), "{b}");
    let (s, _) = send(&ivy_c, edit("", "none")).await;
    assert_eq!(
        s,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "an empty name"
    );
    let cross = ivy_c
        .post(format!("{}/api/work/edit_zap", app.base))
        .header("Sec-Fetch-Site", "cross-site")
        .form(&edit("Stolen", "none"))
        .send()
        .await
        .unwrap();
    assert_eq!(cross.status(), reqwest::StatusCode::FORBIDDEN);
    let (s, _) = send(&app.client(), edit("No session", "none")).await;
    assert_eq!(s, reqwest::StatusCode::UNAUTHORIZED, "no session");
    let huge = "x".repeat(3 * 1024 * 1024);
    let big = ivy_c
        .post(format!("{}/api/work/edit_zap", app.base))
        .header("Accept", "application/json")
        .form(&[
            ("account_id", a.as_str()),
            ("zap_id", z.as_str()),
            ("name", huge.as_str()),
            ("trigger", "none"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(big.status(), reqwest::StatusCode::PAYLOAD_TOO_LARGE);
    let mut long = edit("", "none");
    long[2].1 = "y".repeat(201);
    let (s, _) = send(&ivy_c, long).await;
    assert_eq!(
        s,
        reqwest::StatusCode::UNPROCESSABLE_ENTITY,
        "a name over 200 characters"
    );
    assert_eq!(hook().await, before, "no refusal changed the Zap");
    // The same edit twice at once: both answer, the Zap ends renamed once, with one history row.
    let (one, two) = tokio::join!(
        send(&ivy_c, edit("Twice", "none")),
        send(&ivy_c, edit("Twice", "none"))
    );
    assert!(one.0.is_success() && two.0.is_success(), "{one:?} {two:?}");
    assert_eq!(hook().await.0, "Twice");
    let (renames,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM history WHERE action = 'zap.changed' AND after->>'name' = 'Twice'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        renames, 1,
        "the second found the name already so and changed nothing"
    );
}

async fn receive(
    axum::extract::State(r): axum::extract::State<Receiver>,
    h: HeaderMap,
    body: Bytes,
) -> AxStatus {
    let get = |k: &str| {
        h.get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    r.got.lock().unwrap().push((
        get("gatehouse-event-id"),
        get("gatehouse-event-type"),
        get("gatehouse-signature"),
        String::from_utf8_lossy(&body).to_string(),
    ));
    if r.fail.load(Ordering::SeqCst) > 0 {
        r.fail.fetch_sub(1, Ordering::SeqCst);
        return AxStatus::INTERNAL_SERVER_ERROR;
    }
    AxStatus::NO_CONTENT
}

async fn start_receiver() -> (Receiver, String) {
    let r = Receiver::default();
    let router = axum::Router::new()
        .route("/events", axum::routing::post(receive))
        .with_state(r.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (r, format!("http://{addr}/events"))
}

// covers: PL-3
#[sqlx::test(migrations = "../migrations")]
async fn events_are_signed_retried_resent_and_sent_once(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let (rx, url) = start_receiver().await;
    let platform = platform_token(&pool).await;
    let (s, made) = post(
        &app.base,
        &platform,
        "/api/v1/platform/webhooks",
        &json!({"url": url, "description": "test receiver"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let secret = made["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let list: Value = Client::new()
        .get(format!("{}/api/v1/platform/webhooks", app.base))
        .bearer_auth(&platform)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !list.to_string().contains(&secret),
        "the secret is shown once"
    );
    for bad in ["ftp://x.example", "not a url", "https://user:pw@x.example/"] {
        let (s, _) = post(
            &app.base,
            &platform,
            "/api/v1/platform/webhooks",
            &json!({"url": bad}),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }

    // Access ends, with a Zap on the version: one event, in the revocation's transaction.
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let ivy = person(&pool, "Ivy", "ivy@example.com").await;
    let (x, x1, _) = new_version(st, &ann, "Private CRM", false).await;
    grant(&pool, x, ivy.id, None, "email_invite", "").await;
    let account = app::accounts::service::create_account(st, &ann, "Acme")
        .await
        .unwrap();
    member_of(&pool, account, ivy.id, AccountRole::Member).await;
    let zap = zaps::create_zap(
        st,
        &ivy,
        account,
        &NewZap {
            name: "Leads".into(),
            folder_id: None,
            versions: vec![x1],
            connections: vec![],
            trigger: Trigger::None,
            private: true,
        },
    )
    .await
    .unwrap();
    // A preview of the revocation writes no event.
    app::integrations::service::revoke_preview(st, &ann, x, ivy.id, None)
        .await
        .unwrap();
    assert_eq!(app.count("events").await, 0);
    app::integrations::service::revoke(st, &ann, x, ivy.id, None, "")
        .await
        .unwrap();
    let (id, payload): (Uuid, Value) =
        sqlx::query_as("SELECT id, payload FROM events WHERE kind = 'access.ended'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(payload["user_id"], json!(ivy.id));
    assert_eq!(payload["zaps_paused"][0]["id"], json!(zap));
    assert_eq!(payload["versions_left"], json!([]));

    // The first delivery fails; it is retried later with the same id, then delivered.
    rx.fail.store(1, Ordering::SeqCst);
    assert_eq!(app::platform::events::deliver_due(st, 10).await.unwrap(), 1);
    let (attempts, status, next_in): (i32, Option<i32>, f64) = sqlx::query_as(
        "SELECT attempts, last_status, extract(epoch FROM next_attempt_at - now())::float8 FROM event_deliveries WHERE event_id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((attempts, status), (1, Some(500)));
    assert!(next_in > 20.0, "backs off: {next_in}");
    assert_eq!(
        app::platform::events::deliver_due(st, 10).await.unwrap(),
        0,
        "not due yet"
    );
    sqlx::query("UPDATE event_deliveries SET next_attempt_at = now()")
        .execute(&pool)
        .await
        .unwrap();
    assert_eq!(app::platform::events::deliver_due(st, 10).await.unwrap(), 1);
    {
        let got = rx.got.lock().unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].0, id.to_string());
        assert_eq!(got[1].0, got[0].0, "a retry carries the same id");
        assert_eq!(got[1].1, "access.ended");
        let now = chrono::Utc::now().timestamp();
        for (_, _, sig, body) in got.iter() {
            assert!(
                app::platform::events::verify(&secret, sig, body, now, 300),
                "{sig}"
            );
            assert!(!app::platform::events::verify(
                "whsec_other",
                sig,
                body,
                now,
                300
            ));
            let b: Value = serde_json::from_str(body).unwrap();
            assert_eq!(b["id"], json!(id));
            assert_eq!(b["data"]["zaps_paused"][0]["name"], "Leads");
        }
    }
    // An operator resends it: the same id again. A non-operator cannot.
    let op = person(&pool, "Olga Operator", "olga@example.com").await;
    assert!(matches!(
        app::platform::events::resend(st, &op, id, Uuid::nil()).await,
        Err(AppError::NotFound)
    ));
    let endpoint: Uuid = made["webhook"]["id"].as_str().unwrap().parse().unwrap();
    assert!(matches!(
        app::platform::events::resend(st, &op, id, endpoint).await,
        Err(AppError::NotFound)
    ));
    sqlx::query("UPDATE users SET is_operator = true WHERE id = $1")
        .bind(op.id)
        .execute(&pool)
        .await
        .unwrap();
    let shown = app::platform::events::deliveries(st, &op).await.unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(
        (shown[0].state.as_str(), shown[0].attempts),
        ("delivered", 2)
    );
    app::platform::events::resend(st, &op, id, endpoint)
        .await
        .unwrap();
    assert_eq!(app::platform::events::deliver_due(st, 10).await.unwrap(), 1);
    assert_eq!(rx.got.lock().unwrap()[2].0, id.to_string());

    // Forty share changes; two servers deliver at once: each event arrives exactly once.
    let inst =
        app::instances::service::install(st, &ann, "Jira", "jira", vec![], "", String::new())
            .await
            .unwrap();
    let users: Vec<(Uuid,)> = sqlx::query_as(
        "INSERT INTO users (email, name, password_hash, email_verified_at) \
         SELECT 'p' || n || '@example.com', 'P' || n, 'x', now() FROM generate_series(1, 40) n RETURNING id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (u,) in &users {
        sqlx::query(
            "INSERT INTO instance_shares (instance_id, user_id, access) VALUES ($1, $2, 'read')",
        )
        .bind(inst)
        .bind(u)
        .execute(&pool)
        .await
        .unwrap();
    }
    let (pending,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM event_deliveries WHERE delivered_at IS NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(pending, 40);
    let other = AppState {
        pool: sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(pool.connect_options().as_ref().clone())
            .await
            .unwrap(),
        decisions: Default::default(),
        kept: Default::default(),
        ..st.clone()
    };
    let (a, b) = tokio::join!(
        app::platform::events::deliver_due(st, 25),
        app::platform::events::deliver_due(&other, 25)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let (c, d) = tokio::join!(
        app::platform::events::deliver_due(st, 25),
        app::platform::events::deliver_due(&other, 25)
    );
    assert_eq!(a + b + c.unwrap() + d.unwrap(), 40, "{a} + {b}");
    let got = rx.got.lock().unwrap();
    let shares: Vec<&String> = got
        .iter()
        .filter(|g| g.1 == "instance.share_changed")
        .map(|g| &g.0)
        .collect();
    let unique: std::collections::BTreeSet<&&String> = shares.iter().collect();
    assert_eq!(shares.len(), 40);
    assert_eq!(unique.len(), 40, "no event twice");
    let _ = Refusal::UndoExpired;
}

// Settled events (every delivery delivered or given up on) are kept `KEEP_DAYS`, then
// pruned with their deliveries; one still being retried is kept however old, and so is
// a recent one; a round deletes at most its limit.
// covers: PL-3
#[sqlx::test(migrations = "../migrations")]
async fn settled_events_are_pruned_after_their_days(pool: PgPool) {
    use app::platform::events::{emit, prune, Kind, KEEP_DAYS};
    let app = TestApp::start(pool.clone()).await;
    let platform = platform_token(&pool).await;
    let (s, made) = post(
        &app.base,
        &platform,
        "/api/v1/platform/webhooks",
        &json!({"url": "https://receiver.example/events"}),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{made}");
    let mut conn = pool.acquire().await.unwrap();
    for n in 1..=5 {
        emit(&mut conn, Kind::ZapPaused, json!({ "n": n }))
            .await
            .unwrap();
    }
    assert_eq!(
        app.count("event_deliveries").await,
        5,
        "one each, fanned out"
    );
    // 1, 2, 4: old and settled; 3: old, still being retried; 5: settled yesterday.
    sqlx::query(
        "UPDATE events e SET created_at = now() - CASE WHEN (e.payload->>'n')::int = 5 \
           THEN interval '1 day' ELSE make_interval(days => $1 + 10) END",
    )
    .bind(KEEP_DAYS)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "UPDATE event_deliveries d SET \
           delivered_at = CASE WHEN (e.payload->>'n')::int IN (1, 4, 5) THEN now() END, \
           failed_at = CASE WHEN (e.payload->>'n')::int = 2 THEN now() END, \
           attempts = CASE WHEN (e.payload->>'n')::int = 3 THEN 3 ELSE 1 END \
         FROM events e WHERE e.id = d.event_id",
    )
    .execute(&pool)
    .await
    .unwrap();
    let st = &app.state;
    assert_eq!(
        prune(st, KEEP_DAYS, 1).await.unwrap(),
        1,
        "at most its limit"
    );
    assert_eq!(prune(st, KEEP_DAYS, 1000).await.unwrap(), 2);
    assert_eq!(
        prune(st, KEEP_DAYS, 1000).await.unwrap(),
        0,
        "nothing left to prune"
    );
    let left: Vec<(i32, i64)> = sqlx::query_as(
        "SELECT (e.payload->>'n')::int, count(d.event_id) FROM events e \
         LEFT JOIN event_deliveries d ON d.event_id = e.id GROUP BY 1 ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        left,
        [(3, 1), (5, 1)],
        "the retried one and the recent one, with theirs"
    );
    assert_eq!(app.count("event_deliveries").await, 2);
}
