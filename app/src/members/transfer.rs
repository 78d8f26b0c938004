//! The transfer of a removed member's work (OF-3), as one function over one transaction.
//!
//! Set-based: one statement per kind of row, never a query per row, and nothing
//! is loaded into memory but counts and the first few names for the preview.
//! The caller commits (removal) or rolls back (preview): both see the same report.
use super::{ConnectionExpiry, Rename, TransferReport, LIST_CAP};
use crate::domain::plural;
use crate::error::AppError;
use crate::server::config::Config;
use crate::server::history::{self, Entry};
use crate::server::{mail, token};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

pub struct Plan {
    pub account_id: Uuid,
    pub removed: Uuid,
    pub new_owner: Uuid,
    /// The member who removes; None when the identity provider deprovisions (SCIM).
    pub actor: Option<Uuid>,
    /// Who acted when no member did, for the history (e.g. `SCIM token “Okta”`).
    pub by: Option<String>,
    pub expiry: ConnectionExpiry,
    /// Why, for the history.
    pub reason: Option<String>,
}

/// The state of a moved item that undoing a removal compares and gives back (HI-4):
/// recorded before and right after the move, compared again at undo time.
pub const ZAP_STATE: &str = "jsonb_build_object('owner_id', z.owner_id, 'folder_id', z.folder_id, 'name', z.name, 'webhook_token', z.webhook_token)";
pub const AUTH_STATE: &str =
    "jsonb_build_object('owner_id', c.owner_id, 'name', c.name, 'expires_at', c.expires_at)";
pub const FOLDER_STATE: &str =
    "jsonb_build_object('owner_id', f.owner_id, 'abandoned_at', f.abandoned_at)";

/// A fresh webhook token, made by Postgres from its strong random source (2 × 122 bits).
pub(crate) const NEW_HOOK_TOKEN: &str =
    "replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')";

pub fn hook_url(config: &Config, token: &str) -> String {
    config.link(&format!("/hooks/{token}"))
}

/// Run the whole transfer on `conn` (inside the caller's transaction).
/// Returns the transfer's id and what it did.
pub async fn run(
    conn: &mut PgConnection,
    config: &Config,
    plan: &Plan,
) -> Result<(Uuid, TransferReport), AppError> {
    let (account, removed, new_owner) = (plan.account_id, plan.removed, plan.new_owner);
    let (removed_name, new_owner_name, new_owner_email, owner_email, removed_role): (String, String, String, String, Option<String>) = sqlx::query_as(
        "SELECT r.name, n.name, n.email, (SELECT u.email FROM account_members m JOIN users u ON u.id = m.user_id \
                                         WHERE m.account_id = $1 AND m.role = 'owner'), \
                (SELECT role FROM account_members WHERE account_id = $1 AND user_id = $2) \
         FROM users r, users n WHERE r.id = $2 AND n.id = $3",
    )
    .bind(account)
    .bind(removed)
    .bind(new_owner)
    .fetch_one(&mut *conn)
    .await?;

    // The record of this transfer, and exactly which items it moves.
    let (csv_token, csv_hash) = token::new_token();
    let (transfer_id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO transfers (account_id, removed_user_id, removed_name, new_owner_id, actor_id, connection_expiry, \
                                counts, csv_token_hash, csv_expires_at, removed_role) \
         VALUES ($1, $2, $3, $4, $5, $6, '{}', $7, now() + interval '7 days', $8) RETURNING id",
    )
    .bind(account)
    .bind(removed)
    .bind(&removed_name)
    .bind(new_owner)
    .bind(plan.actor)
    .bind(plan.expiry.as_str())
    .bind(csv_hash)
    .bind(&removed_role)
    .fetch_one(&mut *conn)
    .await?;
    // Lock every row that moves first: concurrent edits wait for this transaction and
    // then apply to the moved rows, and the counts below stay true.
    for table in ["zaps", "app_connections", "folders"] {
        sqlx::query(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM {table} WHERE account_id = $1 AND owner_id = $2 FOR UPDATE) x"
        ))
        .bind(account)
        .bind(removed)
        .execute(&mut *conn)
        .await?;
    }

    // The first few names, for the preview and the mail. Webhook URLs and private
    // connection names are never listed: the preview is read by admins who do not own
    // them, and the old URLs keep answering until the removal commits (counts only).
    let shared_folder_names: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM folders WHERE account_id = $1 AND owner_id = $2 AND kind = 'shared' ORDER BY lower(name), id LIMIT $3",
    )
    .bind(account)
    .bind(removed)
    .bind(LIST_CAP as i64)
    .fetch_all(&mut *conn)
    .await?;
    let renames: Vec<(String,)> = sqlx::query_as(
        "SELECT name FROM app_connections WHERE account_id = $1 AND owner_id = $2 AND NOT private \
         ORDER BY lower(name), id LIMIT $3",
    )
    .bind(account)
    .bind(removed)
    .bind(LIST_CAP as i64)
    .fetch_all(&mut *conn)
    .await?;

    // Private Zaps, and any Zap in one of the user's personal folders, go to "X's Zaps".
    let folder_name = format!("{removed_name}'s Zaps");
    let (homeless,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM zaps z WHERE z.account_id = $1 AND z.owner_id = $2 AND (z.private OR z.folder_id IN \
           (SELECT id FROM folders WHERE account_id = $1 AND owner_id = $2 AND kind = 'personal'))",
    )
    .bind(account)
    .bind(removed)
    .fetch_one(&mut *conn)
    .await?;
    let new_folder: Option<Uuid> = if homeless > 0 {
        let (id,): (Uuid,) = sqlx::query_as(
            "INSERT INTO folders (account_id, owner_id, kind, name) VALUES ($1, $2, 'personal', left($3, 200)) RETURNING id",
        )
        .bind(account)
        .bind(new_owner)
        .bind(&folder_name)
        .fetch_one(&mut *conn)
        .await?;
        Some(id)
    } else {
        None
    };

    // Zaps: new owner, on/off kept, new webhook URL for catch hooks (the old one stops answering).
    let (private_zaps, shared_zaps, zaps_on, webhooks, into_folder): (i64, i64, i64, i64, i64) = sqlx::query_as(&format!(
        "WITH personal AS (SELECT id FROM folders WHERE account_id = $1 AND owner_id = $2 AND kind = 'personal'), \
         was AS (SELECT z.id, {ZAP_STATE} AS state FROM zaps z WHERE z.account_id = $1 AND z.owner_id = $2), \
         moved AS ( \
           UPDATE zaps z SET owner_id = $3, updated_at = now(), \
             folder_id = CASE WHEN z.private OR z.folder_id IN (SELECT id FROM personal) THEN $4 ELSE z.folder_id END, \
             webhook_token = CASE WHEN z.trigger = 'none' THEN NULL ELSE {NEW_HOOK_TOKEN} END \
           FROM was WHERE z.id = was.id AND z.account_id = $1 AND z.owner_id = $2 \
           RETURNING z.id, was.state AS before, {ZAP_STATE} AS after, \
             z.private, z.enabled, z.trigger <> 'none' AS hook, z.folder_id IS NOT DISTINCT FROM $4 AND $4 IS NOT NULL AS into_new), \
         items AS (INSERT INTO transfer_items (transfer_id, kind, item_id, before, after) \
                   SELECT $5, 'Zap', id, before, after FROM moved) \
         SELECT count(*) FILTER (WHERE private), count(*) FILTER (WHERE NOT private), count(*) FILTER (WHERE enabled), \
                count(*) FILTER (WHERE hook), count(*) FILTER (WHERE into_new) FROM moved"
    ))
    .bind(account)
    .bind(removed)
    .bind(new_owner)
    .bind(new_folder)
    .bind(transfer_id)
    .fetch_one(&mut *conn)
    .await?;

    // Folders: shared ones change owner (their Zaps stay in them); personal ones are abandoned.
    let (shared_folders, abandoned): (i64, i64) = sqlx::query_as(&format!(
        "WITH was AS (SELECT f.id, {FOLDER_STATE} AS state FROM folders f WHERE f.account_id = $1 AND f.owner_id = $2), \
              shared AS (UPDATE folders f SET owner_id = $3 FROM was \
                         WHERE f.id = was.id AND f.account_id = $1 AND f.owner_id = $2 AND f.kind = 'shared' \
                         RETURNING f.id, was.state AS before, {FOLDER_STATE} AS after), \
              gone AS (UPDATE folders f SET abandoned_at = now() FROM was \
                       WHERE f.id = was.id AND f.account_id = $1 AND f.owner_id = $2 AND f.kind = 'personal' \
                         AND f.abandoned_at IS NULL \
                       RETURNING f.id, was.state AS before, {FOLDER_STATE} AS after), \
              items AS (INSERT INTO transfer_items (transfer_id, kind, item_id, before, after) \
                        SELECT $4, 'Folder', id, before, after FROM shared UNION ALL \
                        SELECT $4, 'Folder', id, before, after FROM gone) \
         SELECT (SELECT count(*) FROM shared), (SELECT count(*) FROM gone)"
    ))
    .bind(account)
    .bind(removed)
    .bind(new_owner)
    .bind(transfer_id)
    .fetch_one(&mut *conn)
    .await?;

    // Connections: new owner, renamed "X - name"; private ones expire as chosen.
    let thirty = plan.expiry == ConnectionExpiry::ThirtyDays;
    let (connections, private_connections, expire_by): (i64, i64, Option<DateTime<Utc>>) = sqlx::query_as(
        &format!(
        "WITH was AS (SELECT c.id, {AUTH_STATE} AS state FROM app_connections c WHERE c.account_id = $1 AND c.owner_id = $2), \
         moved AS ( \
           UPDATE app_connections c SET owner_id = $3, name = left($4 || ' - ' || c.name, 300), \
             expires_at = CASE WHEN c.private AND $5 THEN least(coalesce(c.expires_at, 'infinity'), now() + interval '30 days') \
                               ELSE c.expires_at END \
           FROM was WHERE c.id = was.id AND c.account_id = $1 AND c.owner_id = $2 \
           RETURNING c.id, was.state AS before, {AUTH_STATE} AS after, c.private, c.expires_at), \
         items AS (INSERT INTO transfer_items (transfer_id, kind, item_id, before, after) \
                   SELECT $6, 'Auth', id, before, after FROM moved) \
         SELECT count(*), count(*) FILTER (WHERE private), max(expires_at) FILTER (WHERE private) FROM moved"),
    )
    .bind(account)
    .bind(removed)
    .bind(new_owner)
    .bind(&removed_name)
    .bind(thirty)
    .bind(transfer_id)
    .fetch_one(&mut *conn)
    .await?;

    // The membership ends now; with no account left, so do the user's sessions.
    sqlx::query("DELETE FROM account_members WHERE account_id = $1 AND user_id = $2")
        .bind(account)
        .bind(removed)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND NOT EXISTS (SELECT 1 FROM account_members WHERE user_id = $1)",
    )
    .bind(removed)
    .execute(&mut *conn)
    .await?;

    let report = TransferReport {
        removed_name: removed_name.clone(),
        new_owner_id: new_owner,
        new_owner_name: new_owner_name.clone(),
        private_zaps,
        shared_zaps,
        zaps_on,
        new_folder: new_folder.map(|_| folder_name.clone()),
        zaps_into_new_folder: into_folder,
        shared_folders,
        shared_folder_names: shared_folder_names.into_iter().map(|(n,)| n).collect(),
        personal_folders_abandoned: abandoned,
        webhooks,
        connections,
        private_connections,
        renames: renames
            .into_iter()
            .map(|(from,)| Rename {
                to: format!("{removed_name} - {from}"),
                from,
            })
            .collect(),
        private_expire_by: if thirty { expire_by } else { None },
        expiry: Some(plan.expiry),
    };
    let counts = json!({
        "private_zaps": private_zaps, "shared_zaps": shared_zaps, "zaps_on": zaps_on, "webhooks": webhooks,
        "zaps_into_new_folder": into_folder, "shared_folders": shared_folders,
        "personal_folders_abandoned": abandoned, "connections": connections,
        "private_connections": private_connections,
    });
    sqlx::query("UPDATE transfers SET counts = $2, new_folder_id = $3 WHERE id = $1")
        .bind(transfer_id)
        .bind(&counts)
        .bind(new_folder)
        .execute(&mut *conn)
        .await?;
    history::record(
        conn,
        Entry {
            actor_id: plan.actor,
            action: "member.removed",
            account_id: Some(account),
            subject: Some(format!("user:{removed}")),
            target: Some(format!("user:{removed}")),
            before: Some(json!({ "role": removed_role })),
            after: Some(json!({ "transfer": transfer_id, "new_owner": new_owner_name, "new_owner_id": new_owner,
                                "connection_expiry": plan.expiry.as_str(), "counts": counts, "by": plan.by })),
            reason: plan.reason.clone(),
            ..Default::default()
        },
    )
    .await?;
    // The platform hears of it (PL-3); the new webhook URLs go out as their own events.
    crate::platform::events::emit(
        conn,
        crate::platform::events::Kind::MemberRemoved,
        json!({ "account_id": account, "user_id": removed, "new_owner_id": new_owner,
                "transfer_id": transfer_id, "connection_expiry": plan.expiry.as_str(), "counts": counts }),
    )
    .await?;

    // Mails (OF-5), in this same transaction.
    let csv = config.link(&format!(
        "/transfers/{transfer_id}/items.csv?token={csv_token}"
    ));
    let body = if report.moves_nothing() {
        format!(
            "Hello {new_owner_name},\n\n{removed_name} was removed from your account. They had no Zaps, \
             folders or app connections in it, so nothing was moved to you.\n"
        )
    } else {
        format!(
            "Hello {new_owner_name},\n\n{removed_name} was removed from your account, and their work is now yours:\n\n\
             - {} ({private_zaps} private, {shared_zaps} shared; {zaps_on} switched on)\n\
             - {}{}\n\
             - {}, renamed \"{removed_name} - …\"\n\
             - {} with webhook triggers: new webhook URLs; update the apps that call them.\n\n\
             The list of everything you received (CSV), for 7 days and only when signed in as you:\n\n{csv}\n",
            plural(private_zaps + shared_zaps, "Zap", "Zaps"),
            plural(shared_folders, "shared folder", "shared folders"),
            new_folder.map(|_| format!("; private Zaps are in your new folder \"{folder_name}\"")).unwrap_or_default(),
            plural(connections, "app connection", "app connections"),
            plural(webhooks, "Zap", "Zaps"),
        )
    };
    mail::enqueue(
        conn,
        &new_owner_email,
        &format!("You now own {removed_name}'s Zaps and connections"),
        &body,
    )
    .await?;
    let confirm = if report.moves_nothing() {
        format!("{removed_name} was removed from the account. They had no Zaps, folders or app connections in it: nothing moved.\n")
    } else {
        format!(
            "{removed_name} was removed from the account. Their {} and {} now belong to \
         {new_owner_name}. Private connections: {}.\n",
            plural(private_zaps + shared_zaps, "Zap", "Zaps"),
            plural(connections, "app connection", "app connections"),
            if thirty {
                "stop working within 30 days"
            } else {
                "keep working until they expire"
            },
        )
    };
    mail::enqueue(
        conn,
        &owner_email,
        &format!("{removed_name} was removed from your account"),
        &confirm,
    )
    .await?;
    Ok((transfer_id, report))
}
