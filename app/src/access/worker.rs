//! What the end of a dated grant means, carried out (AX-3, AX-4).
//!
//! The access checks already give nothing from an end on (they compare with now()).
//! This worker then, within a minute, turns each ended row into the state a revocation
//! leaves (a grant revoked, a team row removed or made collaborator, a share deleted),
//! pauses the Zaps that lost access (SH-6), writes history and mails both sides; and
//! seven days before an end it mails both sides once. Rows are claimed with
//! `FOR UPDATE SKIP LOCKED` and changed in the transaction that claimed them, so
//! several servers may run it at once and each end is carried out once.
use crate::error::AppError;
use crate::server::history::{self, Entry};
use crate::server::{mail, AppState};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use std::time::Duration;
use uuid::Uuid;

/// Rows claimed per kind and round.
pub const BATCH: i64 = 100;
/// How often the worker looks: well inside the minute AX-3 allows.
pub const TICK: Duration = Duration::from_secs(10);
/// How long before an end the reminder goes (AX-3).
pub const REMIND_DAYS: i32 = 7;

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub grants_ended: usize,
    pub team_ended: usize,
    pub shares_ended: usize,
    pub zaps_paused: usize,
    pub reminders: usize,
}

impl Report {
    fn total(&self) -> usize {
        self.grants_ended + self.team_ended + self.shares_ended + self.reminders
    }
}

fn when(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// One round: every kind of end, then the reminders; each kind in its own transaction.
/// A kind that fails is logged and does not keep the others from their turn.
pub async fn run_once(st: &AppState) -> Result<Report, AppError> {
    let mut report = Report::default();
    let mut first_error = None;
    match end_grants(st).await {
        Ok((n, paused)) => {
            report.grants_ended = n;
            report.zaps_paused = paused;
        }
        Err(e) => first_error = Some(e),
    }
    let mut keep = |r: Result<usize, AppError>, into: &mut usize| match r {
        Ok(n) => *into = n,
        Err(e) => {
            tracing::error!(error = %e, "access worker: one kind of end failed");
            first_error.get_or_insert(e);
        }
    };
    keep(end_team_rows(st).await, &mut report.team_ended);
    keep(end_shares(st).await, &mut report.shares_ended);
    keep(remind(st).await, &mut report.reminders);
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

type GrantRow = (
    Uuid,
    Uuid,
    Uuid,
    Option<String>,
    Option<Uuid>,
    DateTime<Utc>,
    String,
    String,
    Option<String>,
);

async fn end_grants(st: &AppState) -> Result<(usize, usize), AppError> {
    let mut tx = st.pool.begin().await?;
    let rows: Vec<GrantRow> = sqlx::query_as(
        "SELECT g.id, g.integration_id, g.user_id, v.version, g.granted_by, g.ends_at, i.name, u.email, b.email \
         FROM access_grants g JOIN integrations i ON i.id = g.integration_id JOIN users u ON u.id = g.user_id \
         LEFT JOIN integration_versions v ON v.id = g.version_id LEFT JOIN users b ON b.id = g.granted_by \
         WHERE g.revoked_at IS NULL AND g.ends_at <= now() ORDER BY g.ends_at, g.id LIMIT $1 \
         FOR UPDATE OF g SKIP LOCKED",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok((0, 0));
    }
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    sqlx::query("UPDATE access_grants SET revoked_at = ends_at WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    // As a revocation leaves it (SH-6): the invitation is over (a new one may be sent,
    // and it no longer holds a place under the cap), and links do not let them back in.
    sqlx::query(
        "UPDATE email_invites e SET status = 'revoked', revoked_at = g.ends_at FROM access_grants g \
         WHERE g.id = ANY($1) AND g.via = 'email_invite' AND e.id = g.source_id AND e.status = 'accepted'",
    )
    .bind(&ids)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO link_blocks (integration_id, user_id, version_id) \
         SELECT integration_id, user_id, version_id FROM access_grants WHERE id = ANY($1) ON CONFLICT DO NOTHING",
    )
    .bind(&ids)
    .execute(&mut *tx)
    .await?;
    let mut paused_total = 0;
    for (grant, integration, user, version, by, ends_at, name, email, by_email) in &rows {
        // After every ended grant of the batch is revoked: a Zap pauses only if no road
        // is left (another grant, or the integration being public).
        let paused =
            crate::integrations::service::pause_orphaned(&mut tx, *integration, *user, " ended")
                .await?;
        paused_total += paused.len();
        let scope = version
            .as_ref()
            .map(|v| format!("version {v}"))
            .unwrap_or_else(|| "all versions".into());
        history::record(
            &mut tx,
            Entry {
                action: "access.ended",
                integration_id: Some(*integration),
                subject: Some(format!("integration:{integration}")),
                target: Some(format!("user:{user}")),
                after: Some(json!({ "grant": grant, "ended_at": ends_at, "zaps_paused": paused })),
                ..Default::default()
            },
        )
        .await?;
        let zaps = if paused.is_empty() {
            String::new()
        } else {
            format!("\n\nThese Zaps were paused: {}.", paused.join(", "))
        };
        mail::enqueue(
            &mut tx,
            email,
            &format!("Your access to {name} ended"),
            &format!(
                "Hello,\n\nYour access to {name} ({scope}) ended on {}.{zaps}\n\nAsk its team to invite you again if you still need it.\n",
                when(*ends_at)
            ),
        )
        .await?;
        if let (Some(_), Some(to)) = (by, by_email) {
            mail::enqueue(
                &mut tx,
                to,
                &format!("Access you gave to {email} for {name} ended"),
                &format!(
                    "Hello,\n\nThe access you gave {email} to {name} ({scope}) ended on {}, as dated.{zaps}\n",
                    when(*ends_at)
                ),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok((rows.len(), paused_total))
}

type TeamRow = (
    Uuid,
    Uuid,
    Option<Uuid>,
    String,
    String,
    String,
    DateTime<Utc>,
    String,
    Option<String>,
);

async fn end_team_rows(st: &AppState) -> Result<usize, AppError> {
    let mut tx = st.pool.begin().await?;
    let rows: Vec<TeamRow> = sqlx::query_as(
        "SELECT t.id, t.integration_id, t.user_id, t.email, t.role, t.ends_then, t.ends_at, i.name, b.email \
         FROM team_members t JOIN integrations i ON i.id = t.integration_id LEFT JOIN users b ON b.id = t.invited_by \
         WHERE t.ends_at <= now() AND t.status = 'accepted' ORDER BY t.ends_at, t.id LIMIT $1 FOR UPDATE OF t SKIP LOCKED",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let (stay, go): (Vec<&TeamRow>, Vec<&TeamRow>) = rows
        .iter()
        .partition(|r| r.4 == "admin" && r.5 == "collaborator");
    let stay_ids: Vec<Uuid> = stay.iter().map(|r| r.0).collect();
    let go_ids: Vec<Uuid> = go.iter().map(|r| r.0).collect();
    // AX-4: "then collaborator" keeps them on the team with the lesser role, undated.
    sqlx::query(
        "UPDATE team_members SET role = 'collaborator', ends_then = 'removed', starts_at = NULL, ends_at = NULL, \
         reminded_at = NULL WHERE id = ANY($1)",
    )
    .bind(&stay_ids)
    .execute(&mut *tx)
    .await?;
    // The trigger on team_members also ends their contacts and subscriptions.
    sqlx::query("DELETE FROM team_members WHERE id = ANY($1)")
        .bind(&go_ids)
        .execute(&mut *tx)
        .await?;
    for (_, integration, user, email, role, then, ends_at, name, by_email) in &rows {
        let downgraded = role == "admin" && then == "collaborator";
        history::record(
            &mut tx,
            Entry {
                action: if downgraded { "team.role_ended" } else { "team.ended" },
                integration_id: Some(*integration),
                subject: Some(format!("integration:{integration}")),
                target: Some(
                    user.map(|u| format!("user:{u}"))
                        .unwrap_or_else(|| email.clone()),
                ),
                before: Some(json!({ "role": role })),
                after: Some(json!({ "role": if downgraded { Some("collaborator") } else { None }, "ended_at": ends_at })),
                ..Default::default()
            },
        )
        .await?;
        let what = if downgraded {
            format!("Your admin role on the team of {name} ended on {}; you stay on the team as a collaborator.", when(*ends_at))
        } else {
            format!(
                "Your place on the team of {name} ({role}) ended on {}.",
                when(*ends_at)
            )
        };
        mail::enqueue(
            &mut tx,
            email,
            &format!("Your team role on {name} ended"),
            &format!("Hello,\n\n{what}\n"),
        )
        .await?;
        if let Some(to) = by_email {
            mail::enqueue(
                &mut tx,
                to,
                &format!("{email}'s team role on {name} ended"),
                &format!("Hello,\n\nAs dated, {email}'s role on the team of {name} ({role}) ended on {}{}.\n",
                    when(*ends_at),
                    if downgraded { "; they stay on as a collaborator" } else { "" }),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(rows.len())
}

type ShareRow = (Uuid, Uuid, String, DateTime<Utc>, String, String, String);

async fn end_shares(st: &AppState) -> Result<usize, AppError> {
    let mut tx = st.pool.begin().await?;
    let rows: Vec<ShareRow> = sqlx::query_as(
        "SELECT s.instance_id, s.user_id, s.access, s.ends_at, i.name, u.email, o.email \
         FROM instance_shares s JOIN app_instances i ON i.id = s.instance_id JOIN users u ON u.id = s.user_id \
         JOIN users o ON o.id = i.owner_id \
         WHERE s.ends_at <= now() ORDER BY s.ends_at LIMIT $1 FOR UPDATE OF s SKIP LOCKED",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let instances: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let users: Vec<Uuid> = rows.iter().map(|r| r.1).collect();
    sqlx::query(
        "DELETE FROM instance_shares s USING unnest($1::uuid[], $2::uuid[]) AS d(i, u) \
         WHERE s.instance_id = d.i AND s.user_id = d.u",
    )
    .bind(&instances)
    .bind(&users)
    .execute(&mut *tx)
    .await?;
    for (instance, user, access, ends_at, name, email, owner) in &rows {
        history::record(
            &mut tx,
            Entry {
                action: "instance.share_ended",
                instance_id: Some(*instance),
                subject: Some(format!("instance:{instance}")),
                target: Some(format!("user:{user}")),
                before: Some(json!({ "access": access })),
                after: Some(json!({ "ended_at": ends_at })),
                ..Default::default()
            },
        )
        .await?;
        mail::enqueue(
            &mut tx,
            email,
            &format!("Your access to \"{name}\" ended"),
            &format!(
                "Hello,\n\nYour {access} access to the app instance \"{name}\" ended on {}.\n",
                when(*ends_at)
            ),
        )
        .await?;
        mail::enqueue(
            &mut tx,
            owner,
            &format!("{email}'s access to \"{name}\" ended"),
            &format!("Hello,\n\nAs dated, {email}'s {access} access to your app instance \"{name}\" ended on {}.\n", when(*ends_at)),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(rows.len())
}

/// One reminder per dated road, to the person and to who gave it, once its end is
/// seven days or less away (AX-3).
async fn remind(st: &AppState) -> Result<usize, AppError> {
    let mut tx = st.pool.begin().await?;
    // (table key, person's user for a share, person's address, granter's address, what, end);
    // one claim per table (FOR UPDATE does not go through a UNION).
    type Due = (
        String,
        Uuid,
        Option<Uuid>,
        String,
        Option<String>,
        String,
        DateTime<Utc>,
    );
    let mut due: Vec<Due> = Vec::new();
    for sql in [
        "SELECT 'grant', g.id, NULL::uuid, u.email, b.email, 'access to ' || i.name, g.ends_at \
         FROM access_grants g JOIN integrations i ON i.id = g.integration_id JOIN users u ON u.id = g.user_id \
         LEFT JOIN users b ON b.id = g.granted_by \
         WHERE g.revoked_at IS NULL AND g.reminded_at IS NULL AND g.ends_at > now() \
           AND g.ends_at <= now() + make_interval(days => $2) \
         ORDER BY g.ends_at LIMIT $1 FOR UPDATE OF g SKIP LOCKED",
        "SELECT 'team', t.id, NULL::uuid, t.email, b.email, 'your ' || t.role || ' role on the team of ' || i.name, t.ends_at \
         FROM team_members t JOIN integrations i ON i.id = t.integration_id LEFT JOIN users b ON b.id = t.invited_by \
         WHERE t.status = 'accepted' AND t.reminded_at IS NULL AND t.ends_at > now() \
           AND t.ends_at <= now() + make_interval(days => $2) \
         ORDER BY t.ends_at LIMIT $1 FOR UPDATE OF t SKIP LOCKED",
        "SELECT 'share', s.instance_id, s.user_id, u.email, o.email, s.access || ' access to \"' || i.name || '\"', s.ends_at \
         FROM instance_shares s JOIN app_instances i ON i.id = s.instance_id JOIN users u ON u.id = s.user_id \
         JOIN users o ON o.id = i.owner_id \
         WHERE s.reminded_at IS NULL AND s.ends_at > now() AND s.ends_at <= now() + make_interval(days => $2) \
         ORDER BY s.ends_at LIMIT $1 FOR UPDATE OF s SKIP LOCKED",
    ] {
        let rows: Vec<Due> = sqlx::query_as(sql)
            .bind(BATCH)
            .bind(REMIND_DAYS)
            .fetch_all(&mut *tx)
            .await?;
        due.extend(rows);
    }
    for (kind, key, user, email, by_email, what, ends_at) in &due {
        mark_reminded(&mut tx, kind, *key, *user).await?;
        mail::enqueue(
            &mut tx,
            email,
            "Your access ends soon",
            &format!("Hello,\n\nYour {what} ends on {}. Ask whoever gave it to you if you need it longer.\n", when(*ends_at)),
        )
        .await?;
        if let Some(to) = by_email.as_ref().filter(|to| *to != email) {
            mail::enqueue(
                &mut tx,
                to,
                &format!("Access you gave {email} ends soon"),
                &format!("Hello,\n\n{email}'s {what} ends on {}. Change or remove the date on the Access tab.\n", when(*ends_at)),
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(due.len())
}

async fn mark_reminded(
    conn: &mut PgConnection,
    kind: &str,
    key: Uuid,
    user: Option<Uuid>,
) -> Result<(), AppError> {
    let q = match kind {
        "grant" => sqlx::query("UPDATE access_grants SET reminded_at = now() WHERE id = $1").bind(key),
        "team" => sqlx::query("UPDATE team_members SET reminded_at = now() WHERE id = $1").bind(key),
        _ => sqlx::query(
            "UPDATE instance_shares SET reminded_at = now() WHERE instance_id = $1 AND user_id = $2",
        )
        .bind(key)
        .bind(user),
    };
    q.execute(conn).await?;
    Ok(())
}

/// Run rounds until `shutdown` completes; a round once begun is finished.
pub async fn run(st: AppState, shutdown: impl std::future::Future<Output = ()>) {
    tracing::info!("access worker started");
    tokio::pin!(shutdown);
    loop {
        let pause = match run_once(&st).await {
            Ok(r) if r.total() > 0 => {
                tracing::info!(?r, "access worker carried out ends and reminders");
                Duration::ZERO
            }
            Ok(_) => TICK,
            Err(e) => {
                tracing::error!(error = %e, "access worker failed a round");
                TICK
            }
        };
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("access worker stopped");
}
