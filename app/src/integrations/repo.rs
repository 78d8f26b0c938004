//! SQL for integrations and access; no policy here.
use crate::domain::roles::TeamRole;
use sqlx::PgConnection;
use uuid::Uuid;

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
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT role FROM team_members WHERE integration_id = $1 AND user_id = $2 AND status = 'accepted'",
    )
    .bind(integration)
    .bind(user)
    .fetch_optional(conn)
    .await?;
    Ok(row.and_then(|(r,)| TeamRole::parse(&r)))
}

/// May `user` use `version` of the integration in a Zap? Public, or an active grant
/// for that version or for all versions (SH-1, SH-6).
pub async fn can_use(
    conn: &mut PgConnection,
    user: Uuid,
    version: Uuid,
) -> Result<bool, sqlx::Error> {
    let (ok,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM integration_versions v JOIN integrations i ON i.id = v.integration_id \
           WHERE v.id = $2 AND (i.visibility = 'public' OR EXISTS (SELECT 1 FROM access_grants g \
             WHERE g.integration_id = i.id AND g.user_id = $1 AND g.revoked_at IS NULL \
               AND (g.version_id IS NULL OR g.version_id = v.id))))",
    )
    .bind(user)
    .bind(version)
    .fetch_one(conn)
    .await?;
    Ok(ok)
}
