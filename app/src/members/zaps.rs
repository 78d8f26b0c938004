//! Members manage their own Zaps, folders and connections (PL-2): create, edit, switch,
//! move, delete; admins delete another member's private connection, whose Zaps pause.
//! Each write: lock the row, read the caller's role, `policy::work` decides, write,
//! history, events, commit.
use super::work::{ZapPage, ZapView};
use crate::accounts::repo::role_of;
use crate::domain::policy::{self, AccountAction, WorkAction};
use crate::domain::roles::AccountRole;
use crate::error::{AppError, Refusal};
use crate::integrations::repo::may_use_sql;
use crate::platform::events::Kind;
use crate::server::history::{self, Entry};
use crate::server::{Actor, AppState};
use serde_json::json;
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;
use wire::platform::{ConnectionDeletion, NewConnection, NewFolder, NewZap, Trigger, ZapChange};

type Tx = Transaction<'static, Postgres>;

/// The most versions or connections one Zap uses.
pub const MAX_PARTS: usize = 20;
pub const PAGE_MAX: i64 = 200;

use super::transfer::NEW_HOOK_TOKEN;

fn text(value: &str, field: &str, what: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(AppError::validation(
            field,
            format!("Give the {what}: 1 to {max} characters, on one line."),
        ));
    }
    Ok(v.to_string())
}

fn unique(ids: &[Uuid], field: &str, what: &str) -> Result<Vec<Uuid>, AppError> {
    if ids.len() > MAX_PARTS {
        return Err(AppError::validation(
            field,
            format!("A Zap uses at most {MAX_PARTS} {what}."),
        ));
    }
    let mut out = ids.to_vec();
    out.sort();
    out.dedup();
    Ok(out)
}

/// The caller's role in the account, for their own work; a non-member sees nothing.
async fn member(conn: &mut PgConnection, account: Uuid, me: Uuid) -> Result<AccountRole, AppError> {
    let role = role_of(conn, account, me).await?;
    policy::account(role, AccountAction::ManageOwnWork)?;
    role.ok_or(AppError::NotFound)
}

/// The first integration version of Zap `zap` that `user` may not use, as a refusal.
pub async fn first_blocked(
    conn: &mut PgConnection,
    zap: Uuid,
    user: Uuid,
) -> Result<Option<Refusal>, AppError> {
    let blocked: Option<(String, String)> = sqlx::query_as(&format!(
        "SELECT i.name, v.version FROM zap_versions zv JOIN integration_versions v ON v.id = zv.version_id \
         JOIN integrations i ON i.id = v.integration_id WHERE zv.zap_id = $1 AND NOT {} ORDER BY 1, 2 LIMIT 1",
        may_use_sql("$2")
    ))
    .bind(zap)
    .bind(user)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(
        blocked.map(|(integration, version)| Refusal::VersionAccessGone {
            integration,
            version,
        }),
    )
}

/// A folder a Zap of the caller may go into: their own personal one, or a shared one for a
/// shared Zap. Anything else answers like a missing folder.
async fn check_folder(
    conn: &mut PgConnection,
    account: Uuid,
    me: Uuid,
    folder: Option<Uuid>,
    private: bool,
) -> Result<(), AppError> {
    let Some(folder) = folder else {
        return Ok(());
    };
    let row: Option<(String, bool)> = sqlx::query_as(
        "SELECT kind, owner_id = $3 FROM folders WHERE id = $1 AND account_id = $2 AND abandoned_at IS NULL",
    )
    .bind(folder)
    .bind(account)
    .bind(me)
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        Some((kind, _)) if kind == "shared" && !private => Ok(()),
        Some((kind, _)) if kind == "shared" => Err(AppError::validation(
            "folder_id",
            "A private Zap goes in one of your own folders; shared folders hold shared Zaps.",
        )),
        Some((_, true)) => Ok(()),
        _ => Err(AppError::validation(
            "folder_id",
            "Choose one of your folders or a shared folder of this account.",
        )),
    }
}

/// Every version must be one `me` may use (PL-2). A version of an integration they never
/// had a road to answers like a missing one.
async fn check_versions(
    conn: &mut PgConnection,
    me: Uuid,
    versions: &[Uuid],
) -> Result<(), AppError> {
    if versions.is_empty() {
        return Ok(());
    }
    let rows: Vec<(String, String, bool, bool)> = sqlx::query_as(&format!(
        "SELECT i.name, v.version, {}, \
                i.visibility = 'public' OR EXISTS (SELECT 1 FROM access_grants g WHERE g.integration_id = i.id AND g.user_id = $2) \
                  OR EXISTS (SELECT 1 FROM team_members t WHERE t.integration_id = i.id AND t.user_id = $2) \
         FROM integration_versions v JOIN integrations i ON i.id = v.integration_id WHERE v.id = ANY($1) \
         ORDER BY i.name, v.version",
        may_use_sql("$2")
    ))
    .bind(versions)
    .bind(me)
    .fetch_all(&mut *conn)
    .await?;
    let missing = || AppError::validation("versions", "No such integration version.");
    if rows.len() != versions.len() || rows.iter().any(|r| !r.3) {
        return Err(missing());
    }
    if let Some((integration, version, _, _)) = rows.into_iter().find(|r| !r.2) {
        policy::use_version(false).map_err(|_| Refusal::VersionNotUsable {
            integration,
            version,
        })?;
    }
    Ok(())
}

/// Every connection must be the caller's own or a shared one of the account, not expired.
async fn check_connections(
    conn: &mut PgConnection,
    account: Uuid,
    me: Uuid,
    role: AccountRole,
    connections: &[Uuid],
) -> Result<(), AppError> {
    if connections.is_empty() {
        return Ok(());
    }
    let rows: Vec<(String, bool, bool, bool)> = sqlx::query_as(
        "SELECT name, owner_id = $3, private, coalesce(expires_at <= now(), false) FROM app_connections \
         WHERE id = ANY($1) AND account_id = $2",
    )
    .bind(connections)
    .bind(account)
    .bind(me)
    .fetch_all(&mut *conn)
    .await?;
    let missing = || AppError::validation("connections", "No such connection in this account.");
    if rows.len() != connections.len() {
        return Err(missing());
    }
    for (name, mine, private, expired) in rows {
        policy::work(Some(role), mine, private, WorkAction::UseConnection)
            .map_err(|_| missing())?;
        if expired {
            return Err(AppError::validation(
                "connections",
                format!("The connection “{name}” has expired: reconnect the app first."),
            ));
        }
    }
    Ok(())
}

pub async fn create_folder(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    input: &NewFolder,
) -> Result<Uuid, AppError> {
    let name = text(&input.name, "name", "folder's name", 200)?;
    let mut tx = st.pool.begin().await?;
    member(&mut tx, account, me.id).await?;
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO folders (account_id, owner_id, kind, name) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(account)
    .bind(me.id)
    .bind(if input.shared { "shared" } else { "personal" })
    .bind(&name)
    .fetch_one(&mut *tx)
    .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "folder.created",
            account_id: Some(account),
            subject: Some(format!("folder:{id}")),
            after: Some(json!({ "name": name, "shared": input.shared })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn create_connection(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    input: &NewConnection,
) -> Result<Uuid, AppError> {
    let app = text(&input.app, "app", "app's name", 100)?;
    let name = text(&input.name, "name", "connection's name", 300)?;
    let mut tx = st.pool.begin().await?;
    member(&mut tx, account, me.id).await?;
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO app_connections (account_id, owner_id, app, name, private) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(account)
    .bind(me.id)
    .bind(&app)
    .bind(&name)
    .bind(input.private)
    .fetch_one(&mut *tx)
    .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "connection.created",
            account_id: Some(account),
            subject: Some(format!("connection:{id}")),
            after: Some(json!({ "app": app, "name": name, "private": input.private })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Make a Zap of one's own, switched on: its versions are ones the caller may use now.
pub async fn create_zap(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    input: &NewZap,
) -> Result<Uuid, AppError> {
    let name = text(&input.name, "name", "Zap's name", 200)?;
    let versions = unique(&input.versions, "versions", "integration versions")?;
    let connections = unique(&input.connections, "connections", "connections")?;
    let mut tx = st.pool.begin().await?;
    let role = member(&mut tx, account, me.id).await?;
    check_folder(&mut tx, account, me.id, input.folder_id, input.private).await?;
    check_versions(&mut tx, me.id, &versions).await?;
    check_connections(&mut tx, account, me.id, role, &connections).await?;
    let hook = input.trigger != Trigger::None;
    let (id,): (Uuid,) = sqlx::query_as(&format!(
        "INSERT INTO zaps (account_id, owner_id, name, enabled, private, folder_id, trigger, webhook_token) \
         VALUES ($1, $2, $3, true, $4, $5, $6, CASE WHEN $7 THEN {NEW_HOOK_TOKEN} END) RETURNING id"
    ))
    .bind(account)
    .bind(me.id)
    .bind(&name)
    .bind(input.private)
    .bind(input.folder_id)
    .bind(input.trigger.as_str())
    .bind(hook)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO zap_versions (zap_id, version_id) SELECT $1, unnest($2::uuid[])")
        .bind(id)
        .bind(&versions)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO zap_connections (zap_id, connection_id) SELECT $1, unnest($2::uuid[])",
    )
    .bind(id)
    .bind(&connections)
    .execute(&mut *tx)
    .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "zap.created",
            account_id: Some(account),
            subject: Some(format!("zap:{id}")),
            after: Some(
                json!({ "name": name, "versions": versions, "connections": connections,
                                "trigger": input.trigger.as_str(), "private": input.private }),
            ),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Lock a Zap and decide whether the caller may change it: their own only.
async fn lock_zap(
    tx: &mut Tx,
    me: Uuid,
    account: Uuid,
    zap: Uuid,
) -> Result<(bool, String, String), AppError> {
    let row: Option<(bool, bool, String, String)> = sqlx::query_as(
        "SELECT owner_id = $3, private, trigger, name FROM zaps WHERE id = $1 AND account_id = $2 FOR UPDATE",
    )
    .bind(zap)
    .bind(account)
    .bind(me)
    .fetch_optional(&mut **tx)
    .await?;
    let role = role_of(tx, account, me).await?;
    let (mine, private, trigger, name) = row.ok_or(AppError::NotFound)?;
    policy::work(role, mine, private, WorkAction::ChangeZap)?;
    Ok((private, trigger, name))
}

/// Rename, re-trigger or switch a Zap of one's own. Switching on is refused, with the
/// reason, while a version it uses is one its owner may no longer use (SH-6).
pub async fn change_zap(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    zap: Uuid,
    change: &ZapChange,
) -> Result<(), AppError> {
    let name = change
        .name
        .as_deref()
        .map(|n| text(n, "name", "Zap's name", 200))
        .transpose()?;
    let mut tx = st.pool.begin().await?;
    let (_, trigger, was) = lock_zap(&mut tx, me.id, account, zap).await?;
    // What is asked but already so is no change (a form sends every field).
    let name = name.filter(|n| *n != was);
    if change.enabled == Some(true) {
        if let Some(refusal) = first_blocked(&mut tx, zap, me.id).await? {
            return Err(refusal.into());
        }
    }
    let new_trigger = change.trigger.filter(|t| t.as_str() != trigger);
    let new_hook = new_trigger.map(|t| t != Trigger::None);
    sqlx::query(&format!(
        "UPDATE zaps SET name = coalesce($2, name), enabled = coalesce($3, enabled), \
           paused_reason = CASE WHEN $3 IS NULL THEN paused_reason ELSE NULL END, \
           trigger = coalesce($4, trigger), \
           webhook_token = CASE WHEN $5::bool IS NULL THEN webhook_token WHEN $5 THEN {NEW_HOOK_TOKEN} END, \
           updated_at = now() WHERE id = $1"
    ))
    .bind(zap)
    .bind(&name)
    .bind(change.enabled)
    .bind(new_trigger.map(Trigger::as_str))
    .bind(new_hook)
    .execute(&mut *tx)
    .await?;
    // A new webhook URL reaches the platform through the `zaps_webhook_event` trigger.
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "zap.changed",
            account_id: Some(account),
            subject: Some(format!("zap:{zap}")),
            after: Some(json!({ "name": name, "enabled": change.enabled,
                                "trigger": new_trigger.map(Trigger::as_str) })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Move a Zap of one's own into a folder (or out of every folder).
pub async fn move_zap(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    zap: Uuid,
    folder: Option<Uuid>,
) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    let (private, _, _) = lock_zap(&mut tx, me.id, account, zap).await?;
    check_folder(&mut tx, account, me.id, folder, private).await?;
    sqlx::query("UPDATE zaps SET folder_id = $2, updated_at = now() WHERE id = $1")
        .bind(zap)
        .bind(folder)
        .execute(&mut *tx)
        .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "zap.moved",
            account_id: Some(account),
            subject: Some(format!("zap:{zap}")),
            after: Some(json!({ "folder_id": folder })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_zap(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    zap: Uuid,
) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    lock_zap(&mut tx, me.id, account, zap).await?;
    let (name,): (String,) = sqlx::query_as("DELETE FROM zaps WHERE id = $1 RETURNING name")
        .bind(zap)
        .fetch_one(&mut *tx)
        .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "zap.deleted",
            account_id: Some(account),
            subject: Some(format!("zap:{zap}")),
            before: Some(json!({ "name": name })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Delete a connection (or, with `dry_run`, say what deleting it would do): one's own, or
/// as an admin, super admin or owner another member's private one (OF-2). The Zaps that
/// use it and are on pause, with the reason, and the platform hears of each.
pub async fn delete_connection(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    connection: Uuid,
    dry_run: bool,
) -> Result<ConnectionDeletion, AppError> {
    let mut tx = st.pool.begin().await?;
    let row: Option<(String, bool, bool, String)> = sqlx::query_as(
        "SELECT c.name, c.owner_id = $3, c.private, u.name FROM app_connections c JOIN users u ON u.id = c.owner_id \
         WHERE c.id = $1 AND c.account_id = $2 FOR UPDATE OF c",
    )
    .bind(connection)
    .bind(account)
    .bind(me.id)
    .fetch_optional(&mut *tx)
    .await?;
    let role = role_of(&mut tx, account, me.id).await?;
    let (name, mine, private, owner_name) = row.ok_or(AppError::NotFound)?;
    policy::work(role, mine, private, WorkAction::DeleteConnection)?;
    let zaps: Vec<(Uuid, String, bool)> = sqlx::query_as(
        "SELECT z.id, z.name, z.enabled FROM zap_connections zc JOIN zaps z ON z.id = zc.zap_id \
         WHERE zc.connection_id = $1 ORDER BY lower(z.name), z.id FOR UPDATE OF z",
    )
    .bind(connection)
    .fetch_all(&mut *tx)
    .await?;
    let reason = format!("The connection “{name}” was deleted by {}", me.name);
    let paused: Vec<Uuid> = zaps.iter().filter(|z| z.2).map(|z| z.0).collect();
    sqlx::query(
        "WITH p AS (UPDATE zaps SET enabled = false, paused_reason = $2, updated_at = now() \
                    WHERE id = ANY($1) RETURNING id, account_id, owner_id, name) \
         INSERT INTO events (kind, payload) SELECT $3, jsonb_build_object('account_id', account_id, 'zap_id', id, \
           'owner_id', owner_id, 'name', name, 'reason', $2::text, 'connection_id', $4::uuid) FROM p",
    )
    .bind(&paused)
    .bind(&reason)
    .bind(Kind::ZapPaused.as_str())
    .bind(connection)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM app_connections WHERE id = $1")
        .bind(connection)
        .execute(&mut *tx)
        .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "connection.deleted",
            account_id: Some(account),
            subject: Some(format!("connection:{connection}")),
            before: Some(json!({ "name": name, "owner": owner_name, "private": private })),
            after: Some(json!({ "zaps_paused": paused })),
            ..Default::default()
        },
    )
    .await?;
    let out = ConnectionDeletion {
        connection: name,
        owner_name,
        zaps: zaps.iter().map(|z| z.1.clone()).collect(),
        zaps_paused: zaps.iter().filter(|z| z.2).map(|z| z.1.clone()).collect(),
        deleted: !dry_run,
    };
    if dry_run {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(out)
}

/// The cursor of a list by name: the last row's name and id.
pub(crate) fn name_cursor_encode(name: &str, id: Uuid) -> String {
    crate::server::cursor_encode(&format!("{name}\n{id}"))
}

/// The name and id inside a cursor of `name_cursor_encode`; anything else is refused.
pub(crate) fn name_cursor_decode(cursor: &str) -> Result<(String, Uuid), AppError> {
    let bad = || AppError::validation("cursor", "This cursor is not one this server gave out.");
    let text = crate::server::cursor_decode(cursor)?;
    let (name, id) = text.rsplit_once('\n').ok_or_else(bad)?;
    Ok((name.to_string(), Uuid::parse_str(id).map_err(|_| bad())?))
}

/// One page of the Zaps a member sees (their own and the shared ones), by name, after
/// `cursor`; the caller's role and the rows in one statement.
pub async fn list_zaps(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    cursor: Option<&str>,
    limit: i64,
) -> Result<ZapPage, AppError> {
    let mut conn = st.pool.acquire().await?;
    Ok(page_of(st, &mut conn, me, account, cursor, limit).await?.1)
}

/// As `list_zaps`, on `conn`, with the caller's role (the work screen needs it too).
pub(crate) async fn page_of(
    st: &AppState,
    conn: &mut PgConnection,
    me: &Actor,
    account: Uuid,
    cursor: Option<&str>,
    limit: i64,
) -> Result<(AccountRole, ZapPage), AppError> {
    if !(1..=PAGE_MAX).contains(&limit) {
        return Err(AppError::validation(
            "limit",
            format!("Ask for 1 to {PAGE_MAX} Zaps."),
        ));
    }
    let after = cursor.map(name_cursor_decode).transpose()?;
    let (role, rows) = super::repo::zaps_page(conn, account, me.id, after, limit + 1).await?;
    policy::account(role, AccountAction::ManageOwnWork)?;
    let role = role.ok_or(AppError::NotFound)?;
    let mut zaps: Vec<ZapView> = rows
        .into_iter()
        .map(|z| super::service::zap_view(st, me, z))
        .collect();
    let next = crate::server::next_page(&mut zaps, limit, |z| name_cursor_encode(&z.name, z.id));
    Ok((role, ZapPage { zaps, next }))
}
