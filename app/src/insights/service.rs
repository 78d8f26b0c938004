//! Reads for the whole team (TM-2) and the feedback writes; one connection per call,
//! a fixed number of set-based queries whatever the size of the integration.
use super::{
    CommentView, FeedbackItem, FeedbackPage, Performance, VersionStats, FEEDBACK_STATUSES,
};
use crate::domain::policy::{self, TeamAction, UseAction};
use crate::domain::validate;
use crate::error::AppError;
use crate::server::team_access::{authorize, viewer};
use crate::server::Actor;
use crate::server::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

pub async fn performance(st: &AppState, me: &Actor, id: Uuid) -> Result<Performance, AppError> {
    let (mut conn, _, _) = viewer(st, me, id, TeamAction::View).await?;
    let (name, public, people_with_access): (String, bool, i64) = sqlx::query_as(
        "SELECT i.name, i.visibility = 'public', \
           (SELECT count(DISTINCT user_id) FROM access_grants WHERE integration_id = i.id AND revoked_at IS NULL AND (starts_at IS NULL OR starts_at <= now()) AND (ends_at IS NULL OR ends_at > now())) \
         FROM integrations i WHERE i.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let versions: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT v.version, \
           (SELECT count(DISTINCT g.user_id) FROM access_grants g WHERE g.integration_id = v.integration_id \
              AND g.revoked_at IS NULL AND (g.starts_at IS NULL OR g.starts_at <= now()) AND (g.ends_at IS NULL OR g.ends_at > now()) \
              AND (g.version_id IS NULL OR g.version_id = v.id)), \
           count(DISTINCT z.owner_id), count(z.id) FILTER (WHERE z.enabled), count(z.id) FILTER (WHERE NOT z.enabled) \
         FROM integration_versions v LEFT JOIN zap_versions zv ON zv.version_id = v.id LEFT JOIN zaps z ON z.id = zv.zap_id \
         WHERE v.integration_id = $1 GROUP BY v.id ORDER BY v.created_at, v.version",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let weeks: Vec<(NaiveDate, i64)> = sqlx::query_as(
        "SELECT w::date, count(g.id) FROM generate_series(date_trunc('week', now()) - interval '11 weeks', \
           date_trunc('week', now()), interval '1 week') AS w \
         LEFT JOIN access_grants g ON g.integration_id = $1 AND g.via IN ('link', 'email_invite') \
           AND g.granted_at >= w AND g.granted_at < w + interval '1 week' \
         GROUP BY w ORDER BY w",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Performance {
        name,
        public,
        people_with_access,
        versions: versions
            .into_iter()
            .map(
                |(version, users, zap_owners, zaps_on, zaps_off)| VersionStats {
                    version,
                    users,
                    zap_owners,
                    zaps_on,
                    zaps_off,
                },
            )
            .collect(),
        accepted_by_week: weeks,
    })
}

type FeedbackRow = (
    Uuid,
    String,
    String,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
);

pub async fn feedback(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    kind: &str,
    status: &str,
) -> Result<FeedbackPage, AppError> {
    let (mut conn, _, role) = viewer(st, me, id, TeamAction::View).await?;
    let (name,): (String,) = sqlx::query_as("SELECT name FROM integrations WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
    let rows: Vec<FeedbackRow> = sqlx::query_as(
        "SELECT f.id, f.kind, f.title, f.body, f.status, u.name, f.created_at FROM feedback f \
         LEFT JOIN users u ON u.id = f.author_id \
         WHERE f.integration_id = $1 AND ($2 = '' OR f.kind = $2) AND ($3 = '' OR f.status = $3) \
         ORDER BY f.created_at DESC, f.id LIMIT 200",
    )
    .bind(id)
    .bind(kind.trim())
    .bind(status.trim())
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let comments: Vec<(Uuid, Option<String>, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT c.feedback_id, u.name, c.body, c.created_at FROM feedback_comments c \
         LEFT JOIN users u ON u.id = c.author_id WHERE c.feedback_id = ANY($1) ORDER BY c.created_at, c.id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    let items = rows
        .into_iter()
        .map(
            |(fid, kind, title, body, status, author, created_at)| FeedbackItem {
                comments: comments
                    .iter()
                    .filter(|c| c.0 == fid)
                    .map(|(_, author, body, at)| CommentView {
                        author: author.clone(),
                        body: body.clone(),
                        at: *at,
                    })
                    .collect(),
                id: fid,
                kind,
                title,
                body,
                status,
                author,
                created_at,
            },
        )
        .collect();
    Ok(FeedbackPage { name, role, items })
}

pub async fn comment(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    feedback: Uuid,
    body: &str,
) -> Result<(), AppError> {
    let body = validate::text(body, 1, 5000).ok_or_else(|| {
        AppError::validation("body", "Write a comment of at most 5,000 characters.")
    })?;
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::Comment).await?;
    let done = sqlx::query(
        "INSERT INTO feedback_comments (feedback_id, author_id, body) \
         SELECT id, $3, $4 FROM feedback WHERE id = $1 AND integration_id = $2",
    )
    .bind(feedback)
    .bind(id)
    .bind(me.id)
    .bind(body)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

pub async fn set_status(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    feedback: Uuid,
    status: &str,
) -> Result<(), AppError> {
    if !FEEDBACK_STATUSES.contains(&status) {
        return Err(AppError::validation(
            "status",
            "Choose open, planned, done or declined.",
        ));
    }
    let (mut tx, _, _) = authorize(st, me, id, TeamAction::ChangeFeedbackStatus).await?;
    let done = sqlx::query("UPDATE feedback SET status = $3 WHERE id = $1 AND integration_id = $2")
        .bind(feedback)
        .bind(id)
        .bind(status)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(())
}

/// The integration's name, if the caller uses it (public, a grant, or the team).
async fn used_by(conn: &mut sqlx::PgConnection, id: Uuid, user: Uuid) -> Result<String, AppError> {
    let row: Option<(String, bool)> = sqlx::query_as(&format!(
        "SELECT i.name, i.visibility = 'public' \
           OR EXISTS (SELECT 1 FROM access_grants g WHERE g.integration_id = i.id AND g.user_id = $2 AND {}) \
           OR {} \
         FROM integrations i WHERE i.id = $1",
        crate::integrations::repo::grant_live_sql("g"),
        crate::integrations::repo::on_team_sql("$2")
    ))
    .bind(id)
    .bind(user)
    .fetch_optional(conn)
    .await?;
    let (name, may_use) = row.unwrap_or_default();
    policy::integration_use(may_use, false, UseAction::SendFeedback)?;
    Ok(name)
}

pub async fn feedback_target(st: &AppState, me: &Actor, id: Uuid) -> Result<String, AppError> {
    let mut conn = st.pool.acquire().await?;
    used_by(&mut conn, id, me.id).await
}

pub async fn submit(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    kind: &str,
    title: &str,
    body: &str,
) -> Result<Uuid, AppError> {
    if kind != "feature" && kind != "bug" {
        return Err(AppError::validation(
            "kind",
            "Choose a feature request or a bug report.",
        ));
    }
    let title = validate::text(title, 1, 200)
        .ok_or_else(|| AppError::validation("title", "Write a title of at most 200 characters."))?;
    let body = validate::text(body, 0, 10_000).ok_or_else(|| {
        AppError::validation("body", "Keep the description under 10,000 characters.")
    })?;
    let mut conn = st.pool.acquire().await?;
    used_by(&mut conn, id, me.id).await?;
    let (fid,): (Uuid,) = sqlx::query_as(
        "INSERT INTO feedback (integration_id, kind, author_id, title, body) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(id)
    .bind(kind)
    .bind(me.id)
    .bind(title)
    .bind(body)
    .fetch_one(&mut *conn)
    .await?;
    Ok(fid)
}
