//! Undoing a member's removal within 14 days (HI-4): in one transaction, every moved item
//! still as the removal left it goes back as it was; the membership returns with its
//! role; the rest is listed with the reason. The preview is the same run, rolled back.
use super::transfer::{AUTH_STATE, FOLDER_STATE, ZAP_STATE};
use super::{LeftAlone, UndoReport};
use crate::domain::policy::{self, AccountAction};
use crate::domain::roles::AccountRole;
use crate::error::{AppError, Refusal};
use crate::server::history::{self, Entry};
use crate::server::{mail, Actor, AppState};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

/// How long a removal can be undone.
pub const UNDO_DAYS: i64 = 14;

#[derive(sqlx::FromRow)]
struct Removal {
    account_name: String,
    removed_user_id: Uuid,
    removed_name: String,
    removed_email: String,
    new_owner_name: String,
    new_owner_email: String,
    removed_role: Option<String>,
    new_folder_id: Option<Uuid>,
    at: DateTime<Utc>,
    undone: bool,
}

/// What the fields of an item's state are called on the screen.
fn field_words(keys: &str) -> String {
    keys.split(", ")
        .map(|k| match k {
            "owner_id" => "owner",
            "folder_id" => "folder",
            "webhook_token" => "webhook URL",
            "expires_at" => "expiry",
            "abandoned_at" => "abandoned",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Run one set-based UPDATE of the moved items (`$1` is the removal) and count the rows.
async fn give_back(
    tx: &mut sqlx::PgConnection,
    transfer: Uuid,
    update: &str,
) -> Result<i64, sqlx::Error> {
    Ok(sqlx::query(update)
        .bind(transfer)
        .execute(tx)
        .await?
        .rows_affected() as i64)
}

/// Undo (commit) or show what undoing would do (`preview`: the same run, rolled back).
pub async fn undo(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    transfer: Uuid,
    reason: &str,
    preview: bool,
) -> Result<UndoReport, AppError> {
    let reason = history::reason(reason)?;
    let mut tx = st.pool.begin().await?;
    let mine = crate::accounts::repo::role_of(&mut tx, account, me.id).await?;
    policy::account(mine, AccountAction::UndoRemoval)?;
    // Undoing gives a membership back: with SCIM on, only the identity provider does that
    // (AM-4; it reactivates the person, which restores the role).
    if crate::accounts::repo::scim_enabled(&mut tx, account).await? {
        return Err(Refusal::ScimOn.into());
    }
    // The removal, locked: two undos at once take turns, and the second sees the first.
    let r: Removal = sqlx::query_as(
        "SELECT a.name AS account_name, t.removed_user_id, t.removed_name, u.email AS removed_email, \
                n.name AS new_owner_name, n.email AS new_owner_email, t.removed_role, t.new_folder_id, t.at, \
                t.undone_at IS NOT NULL AS undone \
         FROM transfers t JOIN accounts a ON a.id = t.account_id \
         JOIN users u ON u.id = t.removed_user_id JOIN users n ON n.id = t.new_owner_id \
         WHERE t.id = $1 AND t.account_id = $2 FOR UPDATE OF t",
    )
    .bind(transfer)
    .bind(account)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(AppError::NotFound)?;
    if r.undone {
        return Err(Refusal::AlreadyUndone.into());
    }
    let undo_until = r.at + Duration::days(UNDO_DAYS);
    if Utc::now() > undo_until {
        return Err(Refusal::UndoExpired.into());
    }
    let role = r
        .removed_role
        .as_deref()
        .and_then(AccountRole::parse)
        .filter(|r| *r != AccountRole::Owner)
        .unwrap_or(AccountRole::Member);
    let membership_restored = sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(account)
    .bind(r.removed_user_id)
    .bind(role.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;

    // Folders first (a Zap may go back into one), then Zaps, then connections: each
    // only where it is exactly as the removal left it. UPDATE re-checks the condition
    // on the locked row, so an edit racing the undo either lands first (and the item
    // stays) or waits and applies to the given-back item.
    let folders = give_back(
        &mut tx,
        transfer,
        &format!(
            "UPDATE folders f SET owner_id = (ti.before->>'owner_id')::uuid, \
               abandoned_at = (ti.before->>'abandoned_at')::timestamptz \
             FROM transfer_items ti \
             WHERE ti.transfer_id = $1 AND ti.kind = 'Folder' AND f.id = ti.item_id \
               AND ti.before IS NOT NULL AND {FOLDER_STATE} = ti.after"
        ),
    )
    .await?;
    let zaps = give_back(
        &mut tx,
        transfer,
        &format!(
            "UPDATE zaps z SET owner_id = (ti.before->>'owner_id')::uuid, \
               folder_id = (ti.before->>'folder_id')::uuid, name = ti.before->>'name', \
               webhook_token = ti.before->>'webhook_token', updated_at = now() \
             FROM transfer_items ti \
             WHERE ti.transfer_id = $1 AND ti.kind = 'Zap' AND z.id = ti.item_id \
               AND ti.before IS NOT NULL AND {ZAP_STATE} = ti.after \
               AND (ti.before->>'folder_id' IS NULL OR EXISTS \
                    (SELECT 1 FROM folders f WHERE f.id = (ti.before->>'folder_id')::uuid)) \
               AND (ti.before->>'webhook_token' IS NULL OR NOT EXISTS \
                    (SELECT 1 FROM zaps o WHERE o.webhook_token = ti.before->>'webhook_token'))"
        ),
    )
    .await?;
    let connections = give_back(
        &mut tx,
        transfer,
        &format!(
            "UPDATE app_connections c SET owner_id = (ti.before->>'owner_id')::uuid, \
               name = ti.before->>'name', expires_at = (ti.before->>'expires_at')::timestamptz \
             FROM transfer_items ti \
             WHERE ti.transfer_id = $1 AND ti.kind = 'Auth' AND c.id = ti.item_id \
               AND ti.before IS NOT NULL AND {AUTH_STATE} = ti.after"
        ),
    )
    .await?;
    // The folder the removal made for private Zaps goes when nothing is left in it.
    sqlx::query(
        "DELETE FROM folders f WHERE f.id = $1 AND NOT EXISTS (SELECT 1 FROM zaps z WHERE z.folder_id = f.id)",
    )
    .bind(r.new_folder_id)
    .execute(&mut *tx)
    .await?;

    // What stayed, and why: every item that is not now as it was before the removal.
    let left: Vec<(String, String, String, Option<String>, i64)> = sqlx::query_as(&format!(
        "WITH items AS ( \
           SELECT ti.kind, ti.before, ti.after, coalesce(z.id, c.id, f.id) AS id, \
                  coalesce(z.name, c.name, f.name, ti.before->>'name', '') AS name, \
                  coalesce(z.owner_id, c.owner_id, f.owner_id) AS owner_id, \
                  CASE ti.kind WHEN 'Zap' THEN {ZAP_STATE} WHEN 'Auth' THEN {AUTH_STATE} ELSE {FOLDER_STATE} END AS now \
           FROM transfer_items ti \
           LEFT JOIN zaps z ON ti.kind = 'Zap' AND z.id = ti.item_id \
           LEFT JOIN app_connections c ON ti.kind = 'Auth' AND c.id = ti.item_id \
           LEFT JOIN folders f ON ti.kind = 'Folder' AND f.id = ti.item_id \
           WHERE ti.transfer_id = $1) \
         SELECT CASE i.kind WHEN 'Auth' THEN 'Connection' ELSE i.kind END, i.name, \
                CASE WHEN i.before IS NULL OR i.after IS NULL THEN 'recorded' \
                     WHEN i.id IS NULL THEN 'deleted' \
                     WHEN i.owner_id::text IS DISTINCT FROM i.after->>'owner_id' THEN 'moved' \
                     ELSE 'changed' END, \
                CASE WHEN i.id IS NULL THEN NULL \
                     WHEN i.owner_id::text IS DISTINCT FROM i.after->>'owner_id' THEN (SELECT name FROM users WHERE id = i.owner_id) \
                     ELSE (SELECT string_agg(k.key, ', ' ORDER BY k.key) FROM jsonb_each(i.now) k \
                           WHERE k.value IS DISTINCT FROM i.after->k.key) END, \
                count(*) OVER () \
         FROM items i \
         WHERE i.before IS NULL OR i.after IS NULL OR i.id IS NULL OR i.now IS DISTINCT FROM i.before \
         ORDER BY 1, lower(i.name) LIMIT $2"
    ))
    .bind(transfer)
    .bind(super::LIST_CAP as i64)
    .fetch_all(&mut *tx)
    .await?;
    let left_alone_total = left.first().map(|l| l.4).unwrap_or(0);
    let left_alone = left
        .into_iter()
        .map(|(kind, name, why, detail, _)| LeftAlone {
            kind,
            name,
            why: match why.as_str() {
                "recorded" => "removed before removals could be undone".into(),
                "deleted" => "deleted since".into(),
                "moved" => format!(
                    "given to {} since",
                    detail.unwrap_or_else(|| "someone else".into())
                ),
                _ => match detail.filter(|d| !d.is_empty()) {
                    Some(fields) => format!("changed since ({})", field_words(&fields)),
                    None => "its folder is gone or its webhook URL is in use".into(),
                },
            },
        })
        .collect();

    sqlx::query("UPDATE transfers SET undone_at = now(), undone_by = $2 WHERE id = $1")
        .bind(transfer)
        .bind(me.id)
        .execute(&mut *tx)
        .await?;
    let counts = json!({ "zaps": zaps, "connections": connections, "folders": folders, "left_alone": left_alone_total });
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "member.removal_undone",
            account_id: Some(account),
            subject: Some(format!("user:{}", r.removed_user_id)),
            target: Some(format!("user:{}", r.removed_user_id)),
            before: Some(json!({ "transfer": transfer })),
            after: Some(json!({ "role": role.as_str(), "given_back": counts, "membership_restored": membership_restored })),
            reason: reason.clone(),
            ..Default::default()
        },
    )
    .await?;
    let why = reason
        .as_deref()
        .map(|r| format!("\nThe reason given: {r}\n"))
        .unwrap_or_default();
    mail::enqueue(
        &mut tx,
        &r.new_owner_email,
        &format!("{}'s work went back to them", r.removed_name),
        &format!(
            "Hello {},\n\nThe removal of {} from {} was undone{why}\n\
             These went back to {}: {zaps} Zaps, {connections} app connections and {folders} folders.\n\
             {left_alone_total} items stay yours because they changed since the removal.\n\
             Zaps given back answer at their old webhook URLs again.\n",
            r.new_owner_name, r.removed_name, r.account_name, r.removed_name
        ),
    )
    .await?;
    mail::enqueue(
        &mut tx,
        &r.removed_email,
        &format!("You are back in {}", r.account_name),
        &format!(
            "Hello {},\n\nYour removal from {} was undone: you are a member again, as {}.{why}\n\
             {zaps} of your Zaps, {connections} app connections and {folders} folders are yours again. \
             {left_alone_total} items stay with {} because they changed since.\n\nSign in again to continue.\n",
            r.removed_name,
            r.account_name,
            role.label().to_lowercase(),
            r.new_owner_name
        ),
    )
    .await?;

    let report = UndoReport {
        transfer_id: transfer,
        account_name: r.account_name,
        removed_name: r.removed_name,
        removed_email: r.removed_email,
        new_owner_name: r.new_owner_name,
        removed_at: r.at,
        undo_until,
        role,
        membership_restored,
        zaps,
        connections,
        folders,
        left_alone,
        left_alone_total,
    };
    if preview {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(report)
}
