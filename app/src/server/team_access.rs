//! Team access, shared by every feature of an integration (integrations, team, join,
//! insights): the caller's team role read (and the integration locked) in the same
//! transaction as the change it allows, the policy's answer, the history entry, and the
//! landing page an invitation shows.
use crate::auth::CurrentUser;
use crate::domain::policy::{self, TeamAction};
use crate::domain::roles::TeamRole;
use crate::error::AppError;
use crate::integrations::Landing;
use crate::server::history::{self, Entry};
use crate::server::{Actor, AppState};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

pub type Tx = Transaction<'static, Postgres>;

/// Begin, identify, lock the integration, and check `action` against the caller's team role.
pub async fn authorize(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    action: TeamAction,
) -> Result<(Tx, CurrentUser, TeamRole), AppError> {
    let mut tx = st.pool.begin().await?;
    let role = team_role(&mut tx, id, me.id, true).await?;
    policy::team(role, action)?;
    Ok((tx, me.user.clone(), role.ok_or(AppError::NotFound)?))
}

/// One connection, the caller, and their team role, checked against `action` (a read).
pub async fn viewer(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    action: TeamAction,
) -> Result<(sqlx::pool::PoolConnection<Postgres>, CurrentUser, TeamRole), AppError> {
    let mut conn = st.pool.acquire().await?;
    let role = team_role(&mut conn, id, me.id, false).await?;
    policy::team(role, action)?;
    Ok((conn, me.user.clone(), role.ok_or(AppError::NotFound)?))
}

/// Write an integration's history entry.
pub async fn record(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: Uuid,
    action: &str,
    target: Option<String>,
    after: serde_json::Value,
) -> Result<(), AppError> {
    let change = Change {
        after,
        ..Default::default()
    };
    record_change(conn, me, id, action, target, change).await
}

/// What a change was, is, and why (HI-1).
#[derive(Debug, Default)]
pub struct Change {
    pub before: Option<serde_json::Value>,
    pub after: serde_json::Value,
    pub reason: Option<String>,
}

/// Write an integration's history entry with the value before and the reason (HI-1).
pub async fn record_change(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: Uuid,
    action: &str,
    target: Option<String>,
    change: Change,
) -> Result<(), AppError> {
    history::record(
        conn,
        Entry {
            actor_id: Some(me.id),
            action,
            integration_id: Some(id),
            subject: Some(format!("integration:{id}")),
            target,
            before: change.before,
            after: Some(change.after),
            reason: change.reason,
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// The user's accepted team role. With `lock`, the integration row is locked first,
/// in its own statement, so a concurrent team change is seen (see instances::repo).
pub async fn team_role(
    conn: &mut PgConnection,
    integration: Uuid,
    user: Uuid,
    lock: bool,
) -> Result<Option<TeamRole>, sqlx::Error> {
    if lock {
        let found: Option<(i32,)> =
            sqlx::query_as("SELECT 1 FROM integrations WHERE id = $1 FOR UPDATE")
                .bind(integration)
                .fetch_optional(&mut *conn)
                .await?;
        if found.is_none() {
            return Ok(None);
        }
    }
    let row: Option<(Option<String>,)> = sqlx::query_as(&format!(
        "SELECT {} FROM team_members t WHERE t.integration_id = $1 AND t.user_id = $2",
        crate::integrations::repo::team_role_sql("t")
    ))
    .bind(integration)
    .bind(user)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(r,)| r).and_then(|r| TeamRole::parse(&r)))
}

/// What an invite (link or mail) shows: the integration, the version, its marketing contact (TM-9).
pub async fn landing_of(
    conn: &mut PgConnection,
    id: Uuid,
    version: Option<Uuid>,
) -> Result<Landing, AppError> {
    type Row = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
    );
    let (name, description, version, contact_name, contact_email): Row = sqlx::query_as(
        "SELECT i.name, i.description, v.version, u.name, u.email FROM integrations i \
         LEFT JOIN integration_versions v ON v.id = $2 \
         LEFT JOIN integration_contacts c ON c.integration_id = i.id AND c.kind = 'marketing' \
         LEFT JOIN users u ON u.id = c.user_id WHERE i.id = $1",
    )
    .bind(id)
    .bind(version)
    .fetch_one(conn)
    .await?;
    Ok(Landing {
        name,
        description,
        version,
        marketing_contact: contact_name.zip(contact_email),
        has_access: false,
    })
}
