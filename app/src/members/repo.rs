//! SQL for one member's view of an account's work; no policy here.
use super::work::{ConnectionView, FolderView};
use sqlx::PgConnection;
use uuid::Uuid;

/// The folders a member sees: the shared ones and their own, not abandoned.
pub async fn folders_seen(
    conn: &mut PgConnection,
    account: Uuid,
    user: Uuid,
) -> Result<Vec<FolderView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT f.id, f.name, f.kind, u.name AS owner_name FROM folders f JOIN users u ON u.id = f.owner_id \
         WHERE f.account_id = $1 AND f.abandoned_at IS NULL AND (f.kind = 'shared' OR f.owner_id = $2) \
         ORDER BY f.kind DESC, lower(f.name), f.id",
    )
    .bind(account)
    .bind(user)
    .fetch_all(conn)
    .await
}

/// A Zap as stored, with its owner's name; its webhook token becomes a URL for its owner only.
#[derive(sqlx::FromRow)]
pub struct ZapRow {
    pub id: Uuid,
    pub name: String,
    pub enabled: bool,
    pub private: bool,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub folder_id: Option<Uuid>,
    pub webhook_token: Option<String>,
    pub paused_reason: Option<String>,
}

/// The Zaps a member sees: their own and the shared ones (at most 1000).
pub async fn zaps_seen(
    conn: &mut PgConnection,
    account: Uuid,
    user: Uuid,
) -> Result<Vec<ZapRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT z.id, z.name, z.enabled, z.private, z.owner_id, u.name AS owner_name, z.folder_id, \
                z.webhook_token, z.paused_reason \
         FROM zaps z JOIN users u ON u.id = z.owner_id \
         WHERE z.account_id = $1 AND (z.owner_id = $2 OR NOT z.private) ORDER BY lower(z.name), z.id LIMIT 1000",
    )
    .bind(account)
    .bind(user)
    .fetch_all(conn)
    .await
}

/// The connections a member sees: their own and the shared ones (at most 1000).
pub async fn connections_seen(
    conn: &mut PgConnection,
    account: Uuid,
    user: Uuid,
) -> Result<Vec<ConnectionView>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.id, c.name, c.app, c.private, c.owner_id, u.name AS owner_name, c.expires_at FROM app_connections c \
         JOIN users u ON u.id = c.owner_id WHERE c.account_id = $1 AND (c.owner_id = $2 OR NOT c.private) \
         ORDER BY lower(c.name), c.id LIMIT 1000",
    )
    .bind(account)
    .bind(user)
    .fetch_all(conn)
    .await
}
