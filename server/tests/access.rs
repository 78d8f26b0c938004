//! Access, explained and dated (AX-1..AX-4): the roads each person has, revoking one of
//! several, the explanation agreeing with the check on a randomised fixture, grants
//! before, at and after their dates, the worker that carries out ends (twice at once),
//! reminders, "then collaborator" and the last-admin rule; and the API door.
mod common;
use app::access::service::{self as access, Object};
use app::access::{RoadDates, RoadKind, RoadState};
use app::error::{AppError, Refusal};
use app::server::actor::Actor;
use app::server::AppState;
use chrono::{Duration, Utc};
use common::*;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// An integration made by `admin` with these versions; their ids in order.
async fn integration(
    st: &AppState,
    admin: &Actor,
    name: &str,
    versions: &[&str],
) -> (Uuid, Vec<Uuid>) {
    let id = app::integrations::service::create(st, admin, name, "")
        .await
        .unwrap();
    let mut ids = Vec::new();
    for v in versions {
        ids.push(
            app::integrations::service::add_version(st, admin, id, v)
                .await
                .unwrap(),
        );
    }
    (id, ids)
}

/// Invite `who` by email (with dates) and accept as them; the grant's id.
async fn invited(
    app: &TestApp,
    admin: &Actor,
    id: Uuid,
    who: &Actor,
    version: Option<Uuid>,
    dates: &RoadDates,
) -> Uuid {
    let st = &app.state;
    let report =
        app::integrations::service::invite_dated(st, admin, id, &who.email, version, dates)
            .await
            .unwrap();
    assert_eq!(report.invited, vec![who.email.clone()]);
    let token = app.mailed_token(&who.email, "/invite/").await;
    assert_eq!(
        app::integrations::service::accept_invite(st, who, &token)
            .await
            .unwrap(),
        id
    );
    let (grant,): (Uuid,) = sqlx::query_as(
        "SELECT id FROM access_grants WHERE integration_id = $1 AND user_id = $2 AND via = 'email_invite' AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(who.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    grant
}

/// `who` joins through the integration's link to `version` (or all); the grant's id.
async fn joined_by_link(
    app: &TestApp,
    admin: &Actor,
    id: Uuid,
    who: &Actor,
    version: Option<&str>,
) -> Uuid {
    let st = &app.state;
    let page = app::integrations::service::sharing(st, admin, id)
        .await
        .unwrap();
    let url = page
        .links
        .iter()
        .find(|l| l.version.as_deref() == version && !l.rotated)
        .and_then(|l| l.url.clone())
        .expect("an admin sees the link");
    let token = url.rsplit('/').next().unwrap().to_string();
    app::integrations::service::accept_link(st, who, &token)
        .await
        .unwrap();
    let (grant,): (Uuid,) = sqlx::query_as(
        "SELECT id FROM access_grants WHERE integration_id = $1 AND user_id = $2 AND via = 'link' AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(who.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    grant
}

/// An account of `owner` and one Zap of `owner`'s in it, on and using `version`.
async fn zap_using(pool: &PgPool, owner: &Actor, name: &str, version: Uuid) -> Uuid {
    let (account,): (Uuid,) = sqlx::query_as(
        "WITH a AS (INSERT INTO accounts (name) VALUES ($1) RETURNING id), \
              m AS (INSERT INTO account_members (account_id, user_id, role) SELECT id, $2, 'owner' FROM a) \
         SELECT id FROM a",
    )
    .bind(format!("{name} Co"))
    .bind(owner.id)
    .fetch_one(pool)
    .await
    .unwrap();
    let (zap,): (Uuid,) = sqlx::query_as(
        "INSERT INTO zaps (account_id, owner_id, name, enabled) VALUES ($1, $2, $3, true) RETURNING id",
    )
    .bind(account)
    .bind(owner.id)
    .bind(name)
    .fetch_one(pool)
    .await
    .unwrap();
    sqlx::query("INSERT INTO zap_versions (zap_id, version_id) VALUES ($1, $2)")
        .bind(zap)
        .bind(version)
        .execute(pool)
        .await
        .unwrap();
    zap
}

/// Whether `user` may use `version` by the one access rule.
async fn may_use(pool: &PgPool, user: Uuid, version: Uuid) -> bool {
    let (ok,): (bool,) = sqlx::query_as(&format!(
        "SELECT {} FROM integration_versions v JOIN integrations i ON i.id = v.integration_id WHERE v.id = $1",
        app::integrations::repo::may_use_sql("$2")
    ))
    .bind(version)
    .bind(user)
    .fetch_one(pool)
    .await
    .unwrap();
    ok
}

async fn zap_state(pool: &PgPool, zap: Uuid) -> (bool, Option<String>) {
    sqlx::query_as("SELECT enabled, paused_reason FROM zaps WHERE id = $1")
        .bind(zap)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn mails(pool: &PgPool, to: &str, subject_like: &str) -> i64 {
    let (n,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM outbox WHERE to_addr = $1 AND subject LIKE $2")
            .bind(to)
            .bind(subject_like)
            .fetch_one(pool)
            .await
            .unwrap();
    n
}

fn until(end: chrono::DateTime<Utc>) -> RoadDates {
    RoadDates {
        ends_at: Some(end),
        ..Default::default()
    }
}

// covers: AX-1
#[sqlx::test(migrations = "../migrations")]
async fn each_road_is_shown_with_its_facts(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann Admin", "ann@example.com").await;
    let bo = person(&pool, "Bo", "bo@example.com").await;
    let cy = person(&pool, "Cy", "cy@example.com").await;
    let (id, v) = integration(st, &ann, "Acme CRM", &["1.0.0", "2.0.0"]).await;
    let end = Utc::now() + Duration::days(90);
    let invite = invited(&app, &ann, id, &bo, Some(v[0]), &until(end)).await;
    let link = joined_by_link(&app, &ann, id, &bo, None).await;
    // Cy is on the team as a collaborator.
    app::team::service::invite(st, &ann, id, &cy.email, "collaborator", "")
        .await
        .unwrap();
    let token = app.mailed_token(&cy.email, "/team-invite/").await;
    app::team::service::accept(st, &cy, &token).await.unwrap();

    let page = access::page(st, &ann, Object::Integration(id), "")
        .await
        .unwrap();
    assert!(!page.public && !page.more);
    let emails: Vec<&str> = page.people.iter().map(|p| p.email.as_str()).collect();
    assert_eq!(
        emails,
        ["ann@example.com", "bo@example.com", "cy@example.com"]
    );
    let bo_roads = &page.people[1].roads;
    assert_eq!(bo_roads.len(), 2, "{bo_roads:?}");
    let inv = bo_roads
        .iter()
        .find(|r| r.id == invite)
        .expect("the invitation road");
    assert_eq!(inv.kind, RoadKind::Invitation);
    assert_eq!(inv.version.as_deref(), Some("1.0.0"));
    assert_eq!(
        inv.granted_by.as_deref(),
        Some("Ann Admin <ann@example.com>")
    );
    assert_eq!(inv.ends_at.map(|e| e.timestamp()), Some(end.timestamp()));
    assert_eq!(inv.state, RoadState::Active);
    let lk = bo_roads
        .iter()
        .find(|r| r.id == link)
        .expect("the link road");
    assert_eq!(lk.kind, RoadKind::Link);
    assert_eq!(lk.version, None, "a link to all versions");
    assert_eq!(lk.detail.as_deref(), Some("the current link"));
    let cy_road = &page.people[2].roads[0];
    assert_eq!(
        (cy_road.kind, cy_road.role.as_deref()),
        (RoadKind::Team, Some("collaborator"))
    );
    assert_eq!(
        cy_road.granted_by.as_deref(),
        Some("Ann Admin <ann@example.com>")
    );
    let ann_road = &page.people[0].roads[0];
    assert_eq!(
        (ann_road.kind, ann_road.role.as_deref()),
        (RoadKind::Team, Some("admin"))
    );

    // A search narrows to one person; the rotated link says so.
    let found = access::page(st, &ann, Object::Integration(id), "BO@")
        .await
        .unwrap();
    assert_eq!(found.people.len(), 1);
    let all_link = app::integrations::service::sharing(st, &ann, id)
        .await
        .unwrap()
        .links
        .into_iter()
        .find(|l| l.version.is_none())
        .unwrap();
    app::integrations::service::rotate_link(st, &ann, id, all_link.id)
        .await
        .unwrap();
    let page = access::page(st, &ann, Object::Integration(id), "bo")
        .await
        .unwrap();
    let lk = page.people[0].roads.iter().find(|r| r.id == link).unwrap();
    assert_eq!(lk.detail.as_deref(), Some("a link since rotated"));

    // Only team admins see it: a collaborator is refused; anyone off the team gets
    // what a missing integration gets.
    let e = access::page(st, &cy, Object::Integration(id), "")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden), "{e:?}");
    let e = access::page(st, &bo, Object::Integration(id), "")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    let eve = person(&pool, "Eve", "eve@example.com").await;
    let theirs = access::page(st, &eve, Object::Integration(id), "")
        .await
        .unwrap_err();
    let nobodys = access::page(st, &eve, Object::Integration(Uuid::new_v4()), "")
        .await
        .unwrap_err();
    assert_eq!(theirs.to_string(), nobodys.to_string());

    // The reverse view: everything of Ann's that Bo reaches; nothing of Eve's.
    let reach = access::reach(st, &ann, "bo@example.com").await.unwrap();
    assert_eq!(reach.items.len(), 1);
    assert_eq!(reach.items[0].id, id);
    assert_eq!(reach.items[0].roads.len(), 2);
    let none = access::reach(st, &eve, "bo@example.com").await.unwrap();
    assert!(none.items.is_empty(), "{none:?}");
}

// covers: AX-1, SH-6
#[sqlx::test(migrations = "../migrations")]
async fn revoking_one_road_of_two_keeps_access(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let bo = person(&pool, "Bo", "bo@example.com").await;
    let (id, v) = integration(st, &ann, "Acme CRM", &["1.0.0"]).await;
    let invite = invited(&app, &ann, id, &bo, Some(v[0]), &RoadDates::default()).await;
    let link = joined_by_link(&app, &ann, id, &bo, None).await;
    let zap = zap_using(&pool, &bo, "Sync leads", v[0]).await;

    let o = Object::Integration(id);
    let preview = access::revoke(st, &ann, o, invite, "", true).await.unwrap();
    assert_eq!(preview.email, "bo@example.com");
    assert_eq!(preview.remaining.len(), 1, "{preview:?}");
    assert!(preview.remaining[0].contains("invite link"), "{preview:?}");
    assert!(preview.zaps_to_pause.is_empty());
    // The preview changed nothing.
    let before = access::page(st, &ann, o, "bo").await.unwrap();
    assert_eq!(before.people[0].roads.len(), 2);

    access::revoke(st, &ann, o, invite, "contract over", false)
        .await
        .unwrap();
    assert!(
        may_use(&pool, bo.id, v[0]).await,
        "the link still gives access"
    );
    assert_eq!(zap_state(&pool, zap).await, (true, None));
    let (status,): (String,) =
        sqlx::query_as("SELECT status FROM email_invites WHERE accepted_user_id = $1")
            .bind(bo.id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "revoked");

    // The last road: the preview names the Zap, and revoking pauses it.
    let preview = access::revoke(st, &ann, o, link, "", true).await.unwrap();
    assert!(preview.remaining.is_empty());
    assert_eq!(preview.zaps_to_pause, vec!["Sync leads".to_string()]);
    access::revoke(st, &ann, o, link, "", false).await.unwrap();
    assert!(!may_use(&pool, bo.id, v[0]).await);
    let (on, why) = zap_state(&pool, zap).await;
    assert!(!on);
    assert_eq!(why.as_deref(), Some("Access to Acme CRM was revoked"));
    // Revoked twice: the road is gone, as a missing one.
    let e = access::revoke(st, &ann, o, link, "", false)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    // A road of another integration is a missing one too.
    let (other, _) = integration(st, &ann, "Other", &["1.0.0"]).await;
    let e = access::revoke(st, &ann, Object::Integration(other), invite, "", true)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
}

/// A tiny deterministic generator: the fixture is random but the same every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

// covers: AX-1, AX-2
#[sqlx::test(migrations = "../migrations")]
async fn the_explanation_agrees_with_the_check_on_a_random_fixture(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let mut ints = Vec::new();
    for (n, public) in [("One", false), ("Two", false), ("Three", true)] {
        let (id, vs) = integration(st, &ann, n, &["1.0.0", "1.1.0", "2.0.0"]).await;
        if public {
            app::integrations::service::set_visibility(st, &ann, id, "public")
                .await
                .unwrap();
        }
        ints.push((id, vs));
    }
    // 300 people, in one statement.
    let users: Vec<(Uuid,)> = sqlx::query_as(
        "INSERT INTO users (email, name, password_hash, email_verified_at) \
         SELECT 'p' || n || '@example.com', 'Person ' || n, 'x', now() FROM generate_series(1, 300) n RETURNING id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(users.len(), 300);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let when = |rng: &mut Rng| -> Option<chrono::DateTime<Utc>> {
        match rng.below(4) {
            0 => None,
            1 => Some(Utc::now() - Duration::days(rng.below(30) as i64 + 1)),
            2 => Some(Utc::now() + Duration::days(rng.below(30) as i64 + 1)),
            _ => None,
        }
    };
    let (mut gi, mut gu, mut gv, mut gvia, mut gs, mut ge, mut grev) =
        (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    let (mut ti, mut tu, mut tr, mut ts, mut te, mut tthen) =
        (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (u,) in &users {
        for (id, vs) in &ints {
            for _ in 0..rng.below(3) {
                let start = when(&mut rng);
                let mut end = when(&mut rng);
                if let (Some(s), Some(e)) = (start, end) {
                    // Postgres keeps microseconds: leave a clear gap.
                    if s + Duration::seconds(1) >= e {
                        end = None;
                    }
                }
                gi.push(*id);
                gu.push(*u);
                gv.push(match rng.below(4) {
                    0 => None,
                    k => Some(vs[(k - 1) as usize]),
                });
                gvia.push(["email_invite", "link", "public"][rng.below(3) as usize].to_string());
                gs.push(start);
                ge.push(end);
                grev.push(rng.below(6) == 0);
            }
            if rng.below(5) == 0 {
                let start = when(&mut rng);
                let mut end = when(&mut rng);
                if let (Some(s), Some(e)) = (start, end) {
                    if s + Duration::seconds(1) >= e {
                        end = None;
                    }
                }
                let admin = rng.below(2) == 0;
                ti.push(*id);
                tu.push(*u);
                tr.push(if admin { "admin" } else { "collaborator" }.to_string());
                ts.push(start);
                te.push(end);
                tthen.push(
                    if admin && rng.below(2) == 0 {
                        "collaborator"
                    } else {
                        "removed"
                    }
                    .to_string(),
                );
            }
        }
    }
    sqlx::query(
        "INSERT INTO access_grants (integration_id, user_id, version_id, via, starts_at, ends_at, revoked_at) \
         SELECT i, u, v, via, s, e, CASE WHEN r THEN now() END \
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::bool[]) \
           AS x(i, u, v, via, s, e, r)",
    )
    .bind(&gi)
    .bind(&gu)
    .bind(&gv)
    .bind(&gvia)
    .bind(&gs)
    .bind(&ge)
    .bind(&grev)
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO team_members (integration_id, user_id, email, role, status, accepted_at, starts_at, ends_at, ends_then) \
         SELECT i, u, (SELECT email FROM users WHERE id = u), r, 'accepted', now(), s, e, th \
         FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::timestamptz[], $5::timestamptz[], $6::text[]) AS x(i, u, r, s, e, th)",
    )
    .bind(&ti)
    .bind(&tu)
    .bind(&tr)
    .bind(&ts)
    .bind(&te)
    .bind(&tthen)
    .execute(&pool)
    .await
    .unwrap();
    assert!(
        gi.len() > 500 && ti.len() > 100,
        "{} grants, {} team rows",
        gi.len(),
        ti.len()
    );

    let mut pairs = 0;
    for (id, vs) in &ints {
        let page = access::page(st, &ann, Object::Integration(*id), "")
            .await
            .unwrap();
        assert!(!page.more);
        for (u,) in &users {
            let roads = page
                .people
                .iter()
                .find(|p| p.user_id == *u)
                .map(|p| p.roads.clone())
                .unwrap_or_default();
            for v in vs {
                let (label,): (String,) =
                    sqlx::query_as("SELECT version FROM integration_versions WHERE id = $1")
                        .bind(v)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                let explained = page.public
                    || roads.iter().any(|r| {
                        matches!(
                            r.kind,
                            RoadKind::Invitation | RoadKind::Link | RoadKind::Public
                        ) && r.state == RoadState::Active
                            && r.version.as_ref().is_none_or(|x| *x == label)
                    });
                assert_eq!(
                    explained,
                    may_use(&pool, *u, *v).await,
                    "user {u} version {label} of {id}: {roads:?}"
                );
                pairs += 1;
            }
            // The team road's state agrees with the team role the checks read.
            let role = app::server::team_access::team_role(
                &mut pool.acquire().await.unwrap(),
                *id,
                *u,
                false,
            )
            .await
            .unwrap();
            let team = roads.iter().find(|r| r.kind == RoadKind::Team);
            let explained_role = team.and_then(|r| match r.state {
                RoadState::Active => r.role.clone(),
                RoadState::Ended => r.then.clone(),
                RoadState::Scheduled => None,
            });
            assert_eq!(
                explained_role.as_deref(),
                role.map(|r| r.as_str()),
                "user {u} on the team of {id}: {team:?}"
            );
        }
    }
    assert_eq!(pairs, 3 * 300 * 3);
}

// covers: AX-2
#[sqlx::test(migrations = "../migrations")]
async fn a_grant_gives_nothing_before_its_start_or_from_its_end(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let bo = person(&pool, "Bo", "bo@example.com").await;
    let (id, v) = integration(st, &ann, "Acme CRM", &["1.0.0"]).await;
    let start = Utc::now() + Duration::days(3);
    let grant = invited(
        &app,
        &ann,
        id,
        &bo,
        None,
        &RoadDates {
            starts_at: Some(start),
            ends_at: Some(start + Duration::days(30)),
            then_collaborator: false,
        },
    )
    .await;
    // Before its start.
    assert!(!may_use(&pool, bo.id, v[0]).await);
    let e = app::integrations::service::usable(st, &bo, id)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    let page = access::page(st, &ann, Object::Integration(id), "bo")
        .await
        .unwrap();
    assert_eq!(page.people[0].roads[0].state, RoadState::Scheduled);
    // Started: in force.
    let o = Object::Integration(id);
    access::set_dates(st, &ann, o, grant, &until(Utc::now() + Duration::hours(1)))
        .await
        .unwrap();
    assert!(may_use(&pool, bo.id, v[0]).await);
    assert_eq!(
        app::integrations::service::usable(st, &bo, id)
            .await
            .unwrap()
            .versions,
        vec!["1.0.0".to_string()]
    );
    // At its end (the end is now): nothing, on the very next request.
    sqlx::query("UPDATE access_grants SET ends_at = now() WHERE id = $1")
        .bind(grant)
        .execute(&pool)
        .await
        .unwrap();
    assert!(!may_use(&pool, bo.id, v[0]).await);
    // After its end.
    access::set_dates(
        st,
        &ann,
        o,
        grant,
        &until(Utc::now() - Duration::minutes(1)),
    )
    .await
    .unwrap();
    assert!(!may_use(&pool, bo.id, v[0]).await);
    let page = access::page(st, &ann, o, "bo").await.unwrap();
    assert_eq!(page.people[0].roads[0].state, RoadState::Ended);
    // Bad dates change nothing.
    let bad = RoadDates {
        starts_at: Some(Utc::now()),
        ends_at: Some(Utc::now() - Duration::days(1)),
        then_collaborator: false,
    };
    let e = access::set_dates(st, &ann, o, grant, &bad)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Validation { .. }), "{e:?}");
    let e = app::integrations::service::invite_dated(
        st,
        &ann,
        id,
        "new@example.com",
        None,
        &until(Utc::now() - Duration::days(1)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, AppError::Validation { ref field, .. } if field == "ends_at"),
        "{e:?}"
    );
    assert_eq!(mails(&pool, "new@example.com", "%").await, 0);
}

// covers: AX-3, SH-6
#[sqlx::test(migrations = "../migrations")]
async fn the_worker_twice_at_once_pauses_each_zap_once_and_mails_once(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let bo = person(&pool, "Bo", "bo@example.com").await;
    let (id, v) = integration(st, &ann, "Acme CRM", &["1.0.0"]).await;
    let grant = invited(
        &app,
        &ann,
        id,
        &bo,
        None,
        &until(Utc::now() + Duration::days(60)),
    )
    .await;
    let zap = zap_using(&pool, &bo, "Sync leads", v[0]).await;
    assert_eq!(zap_state(&pool, zap).await, (true, None));
    // Nothing is due: the worker does nothing.
    assert_eq!(
        app::access::worker::run_once(st).await.unwrap(),
        app::access::worker::Report::default()
    );
    access::set_dates(
        st,
        &ann,
        Object::Integration(id),
        grant,
        &until(Utc::now() - Duration::seconds(5)),
    )
    .await
    .unwrap();
    let (a, b) = tokio::join!(
        app::access::worker::run_once(st),
        app::access::worker::run_once(st)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.grants_ended + b.grants_ended, 1, "{a:?} {b:?}");
    assert_eq!(a.zaps_paused + b.zaps_paused, 1, "{a:?} {b:?}");
    let (on, why) = zap_state(&pool, zap).await;
    assert!(!on);
    assert_eq!(why.as_deref(), Some("Access to Acme CRM ended"));
    assert_eq!(
        mails(&pool, "bo@example.com", "Your access to Acme CRM ended").await,
        1
    );
    assert_eq!(
        mails(
            &pool,
            "ann@example.com",
            "Access you gave to bo@example.com%"
        )
        .await,
        1
    );
    let (ended,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM history WHERE action = 'access.ended' AND integration_id = $1",
    )
    .bind(id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(ended, 1);
    // Once more: nothing left to do.
    let again = app::access::worker::run_once(st).await.unwrap();
    assert_eq!(again, app::access::worker::Report::default());
    assert_eq!(
        mails(&pool, "bo@example.com", "Your access to Acme CRM ended").await,
        1
    );
    // Ended as a revocation ends: a link no longer admits Bo, a new invitation does
    // (the ended one holds no place and is not "already invited").
    let page = app::integrations::service::sharing(st, &ann, id)
        .await
        .unwrap();
    let url = page
        .links
        .iter()
        .find(|l| l.version.is_none())
        .and_then(|l| l.url.clone())
        .unwrap();
    let e = app::integrations::service::accept_link(st, &bo, url.rsplit('/').next().unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Refused(Refusal::LinkBlocked)),
        "{e:?}"
    );
    let again = invited(&app, &ann, id, &bo, None, &RoadDates::default()).await;
    assert_ne!(again, grant);
    assert!(may_use(&pool, bo.id, v[0]).await);
}

// covers: AX-3
#[sqlx::test(migrations = "../migrations")]
async fn the_reminder_goes_once_to_both_sides(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let bo = person(&pool, "Bo", "bo@example.com").await;
    let (id, _) = integration(st, &ann, "Acme CRM", &["1.0.0"]).await;
    // Ending in 20 days: no reminder yet.
    let grant = invited(
        &app,
        &ann,
        id,
        &bo,
        None,
        &until(Utc::now() + Duration::days(20)),
    )
    .await;
    assert_eq!(
        app::access::worker::run_once(st).await.unwrap().reminders,
        0
    );
    access::set_dates(
        st,
        &ann,
        Object::Integration(id),
        grant,
        &until(Utc::now() + Duration::days(3)),
    )
    .await
    .unwrap();
    let (a, b) = tokio::join!(
        app::access::worker::run_once(st),
        app::access::worker::run_once(st)
    );
    assert_eq!(a.unwrap().reminders + b.unwrap().reminders, 1);
    assert_eq!(
        app::access::worker::run_once(st).await.unwrap().reminders,
        0
    );
    assert_eq!(
        mails(&pool, "bo@example.com", "Your access ends soon").await,
        1
    );
    assert_eq!(
        mails(
            &pool,
            "ann@example.com",
            "Access you gave bo@example.com ends soon"
        )
        .await,
        1
    );
}

// covers: AX-4, TM-6
#[sqlx::test(migrations = "../migrations")]
async fn an_admin_can_end_as_collaborator_and_no_date_leaves_a_team_without_an_admin(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let bo = person(&pool, "Bo", "bo@example.com").await;
    let (id, _) = integration(st, &ann, "Acme CRM", &["1.0.0"]).await;
    let o = Object::Integration(id);
    let page = access::page(st, &ann, o, "ann").await.unwrap();
    let ann_row = page.people[0].roads[0].id;
    // Ann is the only admin: no end date for her.
    let e = access::set_dates(
        st,
        &ann,
        o,
        ann_row,
        &until(Utc::now() + Duration::days(30)),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(e, AppError::Refused(Refusal::LastAdmin { .. })),
        "{e:?}"
    );
    // Bo joins as an admin until tomorrow, then collaborator.
    let dates = RoadDates {
        ends_at: Some(Utc::now() + Duration::days(1)),
        then_collaborator: true,
        ..Default::default()
    };
    app::team::service::invite_dated(st, &ann, id, &bo.email, "admin", "", &dates)
        .await
        .unwrap();
    let token = app.mailed_token(&bo.email, "/team-invite/").await;
    app::team::service::accept(st, &bo, &token).await.unwrap();
    let role = |u: Uuid| {
        let pool = pool.clone();
        async move {
            app::server::team_access::team_role(&mut pool.acquire().await.unwrap(), id, u, false)
                .await
                .unwrap()
                .map(|r| r.as_str())
        }
    };
    assert_eq!(role(bo.id).await, Some("admin"));
    // Bo is dated: Ann is still the only admin who stays, so she cannot leave or be dated.
    let e = app::team::service::leave(st, &ann, id).await.unwrap_err();
    assert!(
        matches!(e, AppError::Refused(Refusal::LastAdmin { .. })),
        "{e:?}"
    );
    // Bo's end arrives: collaborator at once, before any worker.
    let page = access::page(st, &ann, o, "bo").await.unwrap();
    let bo_row = page.people[0].roads[0].id;
    let past = RoadDates {
        ends_at: Some(Utc::now() - Duration::minutes(1)),
        then_collaborator: true,
        ..Default::default()
    };
    access::set_dates(st, &ann, o, bo_row, &past).await.unwrap();
    assert_eq!(role(bo.id).await, Some("collaborator"));
    let page = access::page(st, &ann, o, "bo").await.unwrap();
    assert_eq!(page.people[0].roads[0].state, RoadState::Ended);
    assert_eq!(
        page.people[0].roads[0].then.as_deref(),
        Some("collaborator")
    );
    // The worker makes it so for good: an undated collaborator, mailed once.
    let r = app::access::worker::run_once(st).await.unwrap();
    assert_eq!(r.team_ended, 1);
    let (r, ends, then): (String, Option<chrono::DateTime<Utc>>, String) =
        sqlx::query_as("SELECT role, ends_at, ends_then FROM team_members WHERE id = $1")
            .bind(bo_row)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        (r.as_str(), ends, then.as_str()),
        ("collaborator", None, "removed")
    );
    assert_eq!(
        mails(&pool, "bo@example.com", "Your team role on Acme CRM ended").await,
        1
    );
    // "Then collaborator" is for admins only.
    let e = access::set_dates(st, &ann, o, bo_row, &past)
        .await
        .unwrap_err();
    assert!(
        matches!(e, AppError::Validation { ref field, .. } if field == "then_collaborator"),
        "{e:?}"
    );
    // An open invitation as admin "then collaborator", sent again as a collaborator:
    // the role and its end change together.
    app::team::service::invite_dated(st, &ann, id, "dee@example.com", "admin", "", &dates)
        .await
        .unwrap();
    app::team::service::invite(st, &ann, id, "dee@example.com", "collaborator", "")
        .await
        .unwrap();
    let (r, then): (String, String) =
        sqlx::query_as("SELECT role, ends_then FROM team_members WHERE email = 'dee@example.com'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((r.as_str(), then.as_str()), ("collaborator", "removed"));
}

// covers: AX-2, IN-4
#[sqlx::test(migrations = "../migrations")]
async fn an_instance_share_ends_on_its_date(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let st = &app.state;
    let ann = person(&pool, "Ann", "ann@example.com").await;
    let bo = person(&pool, "Bo", "bo@example.com").await;
    let id = app::instances::service::install(
        st,
        &ann,
        "Billing",
        "acme",
        Vec::new(),
        "bot",
        "s3cret-value".into(),
    )
    .await
    .unwrap();
    app::instances::service::share_dated(
        st,
        &ann,
        id,
        &bo.email,
        "write",
        &until(Utc::now() + Duration::days(2)),
    )
    .await
    .unwrap();
    assert!(app::instances::service::detail(st, &bo, id).await.is_ok());
    let page = access::page(st, &ann, Object::Instance(id), "")
        .await
        .unwrap();
    assert_eq!(page.people.len(), 2);
    let share = page
        .people
        .iter()
        .find(|p| p.user_id == bo.id)
        .unwrap()
        .roads[0]
        .clone();
    assert_eq!(
        (share.kind, share.role.as_deref()),
        (RoadKind::Share, Some("write"))
    );
    // Bo, the sharee, cannot see who else has access.
    let e = access::page(st, &bo, Object::Instance(id), "")
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::Forbidden), "{e:?}");
    access::set_dates(
        st,
        &ann,
        Object::Instance(id),
        bo.id,
        &until(Utc::now() - Duration::seconds(1)),
    )
    .await
    .unwrap();
    let e = app::instances::service::detail(st, &bo, id)
        .await
        .unwrap_err();
    assert!(matches!(e, AppError::NotFound), "{e:?}");
    assert_eq!(
        app::access::worker::run_once(st)
            .await
            .unwrap()
            .shares_ended,
        1
    );
    assert_eq!(
        mails(&pool, "bo@example.com", "Your access to \"Billing\" ended").await,
        1
    );
    let page = access::page(st, &ann, Object::Instance(id), "")
        .await
        .unwrap();
    assert_eq!(page.people.len(), 1, "only the owner is left");
}

// covers: AX-1, X-6, X-8, AC-3
#[sqlx::test(migrations = "../migrations")]
async fn the_access_api_answers_admins_only_and_refuses_bad_input(pool: PgPool) {
    let app = TestApp::start(pool.clone()).await;
    let ann_c = app.signed_in("Ann", "ann@example.com").await;
    let ann = actor_of(&pool, "ann@example.com").await;
    let st = &app.state;
    let bo = person(&pool, "Bo", "bo@example.com").await;
    let (id, _) = integration(st, &ann, "Acme CRM", &["1.0.0"]).await;
    let grant = invited(&app, &ann, id, &bo, None, &RoadDates::default()).await;
    let rw = app.api_token(&ann_c, "read_write").await;
    let ro = app.api_token(&ann_c, "read").await;
    let http = reqwest::Client::new();
    let get = |path: String, token: String| {
        let http = http.clone();
        let base = app.base.clone();
        async move {
            let r = http
                .get(format!("{base}{path}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (s, body) = get(format!("/api/v1/integrations/{id}/access"), ro.clone()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["people"].as_array().unwrap().len(), 2);
    let (s, body) = get("/api/v1/access?email=bo@example.com".into(), ro.clone()).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert_eq!(body["items"][0]["id"], json!(id));
    // A wrong id answers like a missing one; a bad search is refused.
    let (s1, b1) = get(
        format!("/api/v1/integrations/{}/access", Uuid::new_v4()),
        ro.clone(),
    )
    .await;
    assert_eq!(s1, StatusCode::NOT_FOUND, "{b1}");
    let (s, _) = get(
        format!("/api/v1/integrations/{id}/access?q={}", "x".repeat(300)),
        ro.clone(),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = get("/api/v1/access?email=not-an-address".into(), ro.clone()).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Bo (with access, not on the team) sees nothing of it.
    let bo_c = app.client();
    sqlx::query("UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE email = 'ann@example.com') WHERE id = $1")
        .bind(bo.id)
        .execute(&pool)
        .await
        .unwrap();
    app.sign_in(&bo_c, "bo@example.com").await;
    let bo_t = app.api_token(&bo_c, "read").await;
    let (s2, b2) = get(format!("/api/v1/integrations/{id}/access"), bo_t).await;
    assert_eq!((s2, &b2["code"]), (s1, &b1["code"]), "{b2}");

    let post = |path: String, token: String, body: Value| {
        let http = http.clone();
        let base = app.base.clone();
        async move {
            let r = http
                .post(format!("{base}{path}"))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap();
            let s = r.status();
            (s, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let path = format!("/api/v1/integrations/{id}/access/{grant}/revoke");
    // A read token cannot revoke, even a dry run that changes nothing.
    let (s, _) = post(path.clone(), ro.clone(), json!({ "dry_run": false })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Malformed and oversized bodies change nothing.
    let (s, _) = post(path.clone(), rw.clone(), json!({ "dry_run": "yes" })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = post(
        path.clone(),
        rw.clone(),
        json!({ "reason": "r".repeat(600) }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(may_use_any(&pool, bo.id, id).await);
    let (s, body) = post(path.clone(), rw.clone(), json!({ "dry_run": true })).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(
        may_use_any(&pool, bo.id, id).await,
        "a dry run changes nothing"
    );
    // Twice at once: one revokes, the other finds the road gone.
    let (a, b) = tokio::join!(
        post(path.clone(), rw.clone(), json!({})),
        post(path.clone(), rw.clone(), json!({}))
    );
    let mut got = [a.0, b.0];
    got.sort();
    assert_eq!(got, [StatusCode::OK, StatusCode::NOT_FOUND], "{a:?} {b:?}");
    assert!(!may_use_any(&pool, bo.id, id).await);
    // Dates through the API: a bad pair is refused.
    let r = http
        .put(format!(
            "{}/api/v1/integrations/{id}/access/{grant}/dates",
            app.base
        ))
        .bearer_auth(&rw)
        .json(&json!({ "starts_at": "2030-01-02T00:00:00Z", "ends_at": "2030-01-01T00:00:00Z" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn may_use_any(pool: &PgPool, user: Uuid, id: Uuid) -> bool {
    let (ok,): (bool,) = sqlx::query_as(&format!(
        "SELECT bool_or({}) FROM integration_versions v JOIN integrations i ON i.id = v.integration_id WHERE i.id = $1",
        app::integrations::repo::may_use_sql("$2")
    ))
    .bind(id)
    .bind(user)
    .fetch_one(pool)
    .await
    .unwrap();
    ok
}
