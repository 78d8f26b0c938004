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
    pub trigger: String,
}

#[derive(sqlx::FromRow)]
struct PageRow {
    role: String,
    id: Option<Uuid>,
    name: Option<String>,
    enabled: Option<bool>,
    private: Option<bool>,
    owner_id: Option<Uuid>,
    owner_name: Option<String>,
    folder_id: Option<Uuid>,
    webhook_token: Option<String>,
    paused_reason: Option<String>,
    trigger: Option<String>,
}

/// Rows of `x` after the cursor in parameters `$name` and `$id` (none: from the first),
/// in `lower(x.name), x.id` order. Without an `IS NULL OR`, so a generic plan keeps the
/// index: no name is empty, so ('', the nil id) comes before every row.
fn after_name_sql(x: &str, name: u8, id: u8) -> String {
    format!(
        "(lower({x}.name), {x}.id) > (lower(coalesce(${name}, '')), \
          coalesce(${id}, '00000000-0000-0000-0000-000000000000'::uuid))"
    )
}

/// The caller's role in the account and one page of the Zaps they see (their own and the
/// shared ones) by name after `after` (a name and an id), in one statement. No role: not a member.
pub async fn zaps_page(
    conn: &mut PgConnection,
    account: Uuid,
    user: Uuid,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<(Option<crate::domain::roles::AccountRole>, Vec<ZapRow>), sqlx::Error> {
    let (name, id) = after.unzip();
    let rows: Vec<PageRow> = sqlx::query_as(&format!(
        "SELECT m.role, z.id, z.name, z.enabled, z.private, z.owner_id, z.owner_name, z.folder_id, \
                z.webhook_token, z.paused_reason, z.trigger \
         FROM account_members m LEFT JOIN LATERAL ( \
           SELECT z.id, z.name, z.enabled, z.private, z.owner_id, u.name AS owner_name, z.folder_id, \
                  z.webhook_token, z.paused_reason, z.trigger \
           FROM zaps z JOIN users u ON u.id = z.owner_id \
           WHERE z.account_id = $1 AND (z.owner_id = $2 OR NOT z.private) \
             AND {after} \
           ORDER BY lower(z.name), z.id LIMIT $5) z ON true \
         WHERE m.account_id = $1 AND m.user_id = $2",
        after = after_name_sql("z", 3, 4),
    ))
    .bind(account)
    .bind(user)
    .bind(name)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let role = match rows.first() {
        None => return Ok((None, Vec::new())),
        Some(r) => crate::domain::roles::AccountRole::parse(&r.role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {:?}", r.role).into()))?,
    };
    let zaps = rows
        .into_iter()
        .filter_map(|r| {
            Some(ZapRow {
                id: r.id?,
                name: r.name?,
                enabled: r.enabled?,
                private: r.private?,
                owner_id: r.owner_id?,
                owner_name: r.owner_name?,
                folder_id: r.folder_id,
                webhook_token: r.webhook_token,
                paused_reason: r.paused_reason,
                trigger: r.trigger?,
            })
        })
        .collect();
    Ok((Some(role), zaps))
}

/// The integration versions `user` may use in a Zap now, named "Integration 1.0.0" (at most 200).
pub async fn usable_versions(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT v.id, i.name || ' ' || v.version FROM integrations i JOIN integration_versions v ON v.integration_id = i.id \
         WHERE (i.visibility = 'public' OR i.id IN (SELECT g.integration_id FROM access_grants g WHERE g.user_id = $1)) \
           AND {} ORDER BY lower(i.name), i.id, v.created_at, v.version LIMIT 200",
        crate::integrations::repo::may_use_sql("$1")
    ))
    .bind(user)
    .fetch_all(conn)
    .await
}

/// The connections a member sees: their own and the shared ones, and with `all_private`
/// (admins: OF-2) everyone's private ones too; `limit` of them by name, after `after`.
pub async fn connections_seen(
    conn: &mut PgConnection,
    account: Uuid,
    user: Uuid,
    all_private: bool,
    after: Option<(String, Uuid)>,
    limit: i64,
) -> Result<Vec<ConnectionView>, sqlx::Error> {
    let (name, id) = after.unzip();
    sqlx::query_as(&format!(
        "SELECT c.id, c.name, c.app, c.private, c.owner_id, u.name AS owner_name, c.expires_at FROM app_connections c \
         JOIN users u ON u.id = c.owner_id WHERE c.account_id = $1 AND (c.owner_id = $2 OR NOT c.private OR $3) \
           AND {after} ORDER BY lower(c.name), c.id LIMIT $6",
        after = after_name_sql("c", 4, 5),
    ))
    .bind(account)
    .bind(user)
    .bind(all_private)
    .bind(name)
    .bind(id)
    .bind(limit)
    .fetch_all(conn)
    .await
}
