//! Reads for the whole team (TM-2) and the feedback writes; one connection per call,
//! a fixed number of set-based queries whatever the size of the integration.
use super::{
    CommentView, FeedbackItem, FeedbackPage, HistoryEntry, HistoryPage, Performance, VersionStats,
    FEEDBACK_STATUSES,
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
           (SELECT count(DISTINCT user_id) FROM access_grants WHERE integration_id = i.id AND revoked_at IS NULL) \
         FROM integrations i WHERE i.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let versions: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT v.version, \
           (SELECT count(DISTINCT g.user_id) FROM access_grants g WHERE g.integration_id = v.integration_id \
              AND g.revoked_at IS NULL AND (g.version_id IS NULL OR g.version_id = v.id)), \
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

/// How many history entries a page shows at most.
pub const HISTORY_LIMIT: i64 = 200;

/// A history entry's details, in words: `key: value` pairs of its JSON.
fn details(after: Option<serde_json::Value>) -> String {
    match after {
        Some(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Array(a) => a
                        .iter()
                        .map(|x| {
                            x.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                format!("{}: {v}", k.replace('_', " "))
            })
            .collect::<Vec<_>>()
            .join(" · "),
        _ => String::new(),
    }
}

#[derive(sqlx::FromRow)]
struct HistoryRow {
    id: i64,
    at: DateTime<Utc>,
    actor: Option<String>,
    action: String,
    target: Option<String>,
    after: Option<serde_json::Value>,
}

/// A place in the history, newest first: the last entry of a page (its time and id).
/// Written as `<microseconds>.<id>`; anything else is refused as a bad cursor.
pub fn history_cursor(at: DateTime<Utc>, id: i64) -> String {
    format!("{}.{id}", at.timestamp_micros())
}

fn parse_history_cursor(text: &str) -> Result<(DateTime<Utc>, i64), AppError> {
    let bad = || AppError::validation("cursor", "This cursor is not one this server gave out.");
    let (micros, id) = text.split_once('.').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_micros)
        .ok_or_else(bad)?;
    Ok((at, id.parse::<i64>().map_err(|_| bad())?))
}

/// The integration's history, newest first, filtered by action and by a word:
/// the screen's first page of at most [`HISTORY_LIMIT`] entries.
pub async fn history(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    action: &str,
    q: &str,
) -> Result<HistoryPage, AppError> {
    history_page(st, me, id, action, q, None, HISTORY_LIMIT).await
}

/// One page of the history after `cursor` (keyset paging on time and id, so pages
/// neither repeat nor skip entries written meanwhile), at most `limit` (1 to 200) entries.
pub async fn history_page(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    action: &str,
    q: &str,
    cursor: Option<&str>,
    limit: i64,
) -> Result<HistoryPage, AppError> {
    if !(1..=HISTORY_LIMIT).contains(&limit) {
        return Err(AppError::validation(
            "limit",
            format!("Ask for 1 to {HISTORY_LIMIT} entries."),
        ));
    }
    let after = cursor.map(parse_history_cursor).transpose()?;
    let (mut conn, _, _) = viewer(st, me, id, TeamAction::View).await?;
    let pattern = crate::integrations::repo::contains_pattern(q);
    let rows: Vec<HistoryRow> = sqlx::query_as(
        "SELECT h.id, h.at, a.name AS actor, h.action, \
                coalesce(t.name || ' (' || t.email || ')', h.target) AS target, h.after \
         FROM history h LEFT JOIN users a ON a.id = h.actor_id \
         LEFT JOIN users t ON h.target = 'user:' || t.id::text \
         WHERE h.integration_id = $1 AND ($2 = '' OR h.action = $2) \
           AND concat_ws(' ', a.name, a.email, t.name, t.email, h.target, h.action, h.after::text) ILIKE $3 \
           AND ($5::timestamptz IS NULL OR (h.at, h.id) < ($5, $6)) \
         ORDER BY h.at DESC, h.id DESC LIMIT $4",
    )
    .bind(id)
    .bind(action.trim())
    .bind(pattern)
    .bind(limit + 1)
    .bind(after.map(|(at, _)| at))
    .bind(after.map(|(_, id)| id).unwrap_or(0))
    .fetch_all(&mut *conn)
    .await?;
    let (name, actions): (String, Vec<String>) = sqlx::query_as(
        "SELECT i.name, coalesce((SELECT array_agg(DISTINCT action ORDER BY action) FROM history WHERE integration_id = i.id), '{}') \
         FROM integrations i WHERE i.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<HistoryRow> = rows.into_iter().take(limit as usize).collect();
    let next = more
        .then(|| rows.last().map(|r| history_cursor(r.at, r.id)))
        .flatten();
    Ok(HistoryPage {
        name,
        actions,
        more,
        next,
        entries: rows
            .into_iter()
            .map(|r| HistoryEntry {
                at: r.at,
                actor: r.actor,
                action: r.action,
                target: r.target,
                details: details(r.after),
            })
            .collect(),
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
    let row: Option<(String, bool)> = sqlx::query_as(
        "SELECT i.name, i.visibility = 'public' \
           OR EXISTS (SELECT 1 FROM access_grants g WHERE g.integration_id = i.id AND g.user_id = $2 AND g.revoked_at IS NULL) \
           OR EXISTS (SELECT 1 FROM team_members t WHERE t.integration_id = i.id AND t.user_id = $2 AND t.status = 'accepted') \
         FROM integrations i WHERE i.id = $1",
    )
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
