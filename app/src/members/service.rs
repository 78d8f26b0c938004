//! Member removal and ownership rules (OF-1, OF-2, OF-6, OF-7's switch): policy first, then the transfer.
use super::transfer::{self, Plan};
use super::work::{WorkPage, ZapView};
use super::{ConnectionExpiry, RemovalOptions, Removed, TransferReport};
use crate::accounts::{repo as accounts, Member};
use crate::auth::CurrentUser;
use crate::domain::policy::{self, AccountAction};
use crate::domain::roles::AccountRole;
use crate::error::{AppError, Refusal};
use crate::server::history::{self, Entry};
use crate::server::Actor;
use crate::server::AppState;
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;
pub use wire::api::Handover;

async fn member(
    conn: &mut PgConnection,
    account: Uuid,
    user: Uuid,
) -> Result<Option<Member>, AppError> {
    Ok(accounts::members(conn, account)
        .await?
        .into_iter()
        .find(|m| m.user_id == user))
}

async fn account_owner(conn: &mut PgConnection, account: Uuid) -> Result<Member, AppError> {
    let owner = accounts::members(conn, account)
        .await?
        .into_iter()
        .find(|m| m.role == AccountRole::Owner);
    owner.ok_or_else(|| AppError::internal(format!("account {account} has no owner")))
}

/// Lock the target's membership and check that `me` may remove them.
async fn authorize_removal(
    tx: &mut Transaction<'static, Postgres>,
    me: &CurrentUser,
    account: Uuid,
    target: Uuid,
) -> Result<AccountRole, AppError> {
    let mine = accounts::role_of(tx, account, me.id).await?;
    policy::account(mine, AccountAction::ViewMembers)?;
    let row: Option<(String, bool)> = sqlx::query_as(
        "SELECT m.role, a.scim_enabled FROM account_members m JOIN accounts a ON a.id = m.account_id \
         WHERE m.account_id = $1 AND m.user_id = $2 FOR UPDATE OF m",
    )
    .bind(account)
    .bind(target)
    .fetch_optional(&mut **tx)
    .await?;
    let (role, scim) = row.ok_or(AppError::NotFound)?;
    let role = AccountRole::parse(&role).ok_or_else(|| AppError::internal("bad role"))?;
    policy::account(
        mine,
        AccountAction::RemoveMember {
            target: role,
            is_self: target == me.id,
        },
    )?;
    if scim {
        return Err(Refusal::ScimOn.into());
    }
    mine.ok_or(AppError::NotFound)
}

/// The new owner: the account owner unless the remover may choose (OF-2), whatever was sent.
/// With the remove dialog's `search`, the one its list shows selected (`pick_owner`), so
/// the preview does what the dialog shows.
async fn resolve_new_owner(
    tx: &mut Transaction<'static, Postgres>,
    account: Uuid,
    my_role: AccountRole,
    target: Uuid,
    asked: Option<Uuid>,
    search: Option<&str>,
) -> Result<Uuid, AppError> {
    let owner = account_owner(tx, account).await?.user_id;
    if policy::account(Some(my_role), AccountAction::ChooseNewOwner).is_err() {
        return Ok(owner);
    }
    let asked = match search {
        None => asked,
        Some(q) => {
            let all = accounts::members(tx, account).await?;
            match super::pick_owner(&super::candidates(&all, target, q), asked, owner) {
                Some(id) => Some(id),
                None => {
                    return Err(AppError::validation(
                        "new_owner",
                        format!("No member matches “{}”: search again.", q.trim()),
                    ))
                }
            }
        }
    };
    let chosen = asked.unwrap_or(owner);
    if chosen == target {
        return Err(AppError::validation(
            "new_owner",
            "Choose someone other than the person being removed.",
        ));
    }
    if !accounts::hold_member(tx, account, chosen).await? {
        return Err(AppError::validation(
            "new_owner",
            "The new owner must be a member of this account.",
        ));
    }
    Ok(chosen)
}

fn parse_expiry(s: &str) -> Result<ConnectionExpiry, AppError> {
    ConnectionExpiry::parse(s).ok_or_else(|| {
        AppError::validation(
            "expiry",
            "Choose how long their private connections keep working: 30 days or until they expire.",
        )
    })
}

pub async fn removal_options(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    target: Uuid,
    q: &str,
) -> Result<RemovalOptions, AppError> {
    let mut conn = st.pool.acquire().await?;
    let mine = accounts::role_of(&mut conn, account, me.id).await?;
    policy::account(mine, AccountAction::ViewMembers)?;
    let all = accounts::members(&mut conn, account).await?;
    let member = all
        .iter()
        .find(|m| m.user_id == target)
        .cloned()
        .ok_or(AppError::NotFound)?;
    policy::account(
        mine,
        AccountAction::RemoveMember {
            target: member.role,
            is_self: target == me.id,
        },
    )?;
    let account_owner = all
        .iter()
        .find(|m| m.role == AccountRole::Owner)
        .cloned()
        .ok_or(AppError::NotFound)?;
    if accounts::scim_enabled(&mut conn, account).await? {
        return Err(Refusal::ScimOn.into());
    }
    let candidates = super::candidates(&all, target, q);
    let (account_name, _) = accounts::account(&mut conn, account).await?;
    Ok(RemovalOptions {
        account_name,
        member,
        account_owner,
        can_choose_owner: policy::account(mine, AccountAction::ChooseNewOwner).is_ok(),
        candidates,
    })
}

/// Remove `target` (commit) or show what removing would do (`preview`: the same run, rolled back).
pub async fn remove(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    target: Uuid,
    how: &Handover,
    preview: bool,
) -> Result<Removed, AppError> {
    remove_with(st, me, account, target, how, preview, None).await
}

async fn remove_with(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    target: Uuid,
    how: &Handover,
    preview: bool,
    search: Option<&str>,
) -> Result<Removed, AppError> {
    let expiry = parse_expiry(&how.private_connections)?;
    let reason = history::reason(how.reason.as_deref().unwrap_or_default())?;
    let new_owner = how.new_owner;
    let mut tx = st.pool.begin().await?;
    // Removals, role changes and hand-overs of one account take turns (see accounts::service).
    crate::server::hold_locks(&mut tx, &[format!("members:{account}")]).await?;
    let my_role = authorize_removal(&mut tx, me, account, target).await?;
    policy::account(Some(my_role), AccountAction::ChooseConnectionExpiry)?;
    let new_owner = resolve_new_owner(&mut tx, account, my_role, target, new_owner, search).await?;
    let plan = Plan {
        account_id: account,
        removed: target,
        new_owner,
        actor: Some(me.id),
        by: None,
        expiry,
        reason,
    };
    let (transfer_id, report) = transfer::run(&mut tx, &st.config, &plan).await?;
    if preview {
        tx.rollback().await?;
    } else {
        tx.commit().await?;
    }
    Ok(Removed {
        transfer_id,
        report,
    })
}

/// The identity provider deprovisions `target` (OF-7, AM-4): the very removal the Members
/// screen runs (OF-3), with everything going to the account owner and private connections
/// working 30 more days; `by` names the SCIM token in the history. The caller holds the
/// account's `members:` lock in its transaction. None when `target` is not a member.
pub async fn deprovision(
    tx: &mut Transaction<'static, Postgres>,
    st: &AppState,
    account: Uuid,
    target: Uuid,
    by: &str,
) -> Result<Option<TransferReport>, AppError> {
    let role: Option<(String,)> = sqlx::query_as(
        "SELECT role FROM account_members WHERE account_id = $1 AND user_id = $2 FOR UPDATE",
    )
    .bind(account)
    .bind(target)
    .fetch_optional(&mut **tx)
    .await?;
    let Some((role,)) = role else {
        return Ok(None);
    };
    let role = AccountRole::parse(&role).ok_or_else(|| AppError::internal("bad role"))?;
    if policy::provisioner(AccountAction::RemoveMember {
        target: role,
        is_self: false,
    })
    .is_err()
    {
        return Err(AppError::validation(
            "active",
            "The account owner cannot be deprovisioned: hand the account over to another member in Gatehouse first.",
        ));
    }
    let owner = account_owner(tx, account).await?.user_id;
    let plan = Plan {
        account_id: account,
        removed: target,
        new_owner: owner,
        actor: None,
        by: Some(by.to_string()),
        expiry: ConnectionExpiry::ThirtyDays,
        reason: Some("Deprovisioned by the identity provider.".into()),
    };
    let (_, report) = transfer::run(tx, &st.config, &plan).await?;
    Ok(Some(report))
}

/// `search` is the remove dialog's search (None from the API): the new owner is then the
/// one its list shows selected (`pick_owner`, resolved after the permission checks, in
/// the removal's own transaction), so the preview shows what the dialog shows.
pub async fn preview(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    target: Uuid,
    new_owner: Option<Uuid>,
    expiry: &str,
    search: Option<&str>,
) -> Result<TransferReport, AppError> {
    let how = Handover {
        new_owner,
        private_connections: expiry.to_string(),
        reason: None,
    };
    Ok(remove_with(st, me, account, target, &how, true, search)
        .await?
        .report)
}

/// The CSV of a member's current Zaps and connections (OF-4), for super admins and the owner.
pub async fn member_csv(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    user: Uuid,
) -> Result<(String, Vec<u8>), AppError> {
    let mut conn = st.pool.acquire().await?;
    let mine = accounts::role_of(&mut conn, account, me.id).await?;
    policy::account(mine, AccountAction::ExportMemberCsv)?;
    let m = member(&mut conn, account, user)
        .await?
        .ok_or(AppError::NotFound)?;
    let body = super::csv_export::member_csv(&mut conn, &st.config, account, user).await?;
    Ok((format!("{} - Zaps and app connections.csv", m.name), body))
}

/// The CSV mailed to a new owner (OF-5): valid 7 days, only for them.
pub async fn transfer_csv(
    st: &AppState,
    me: &Actor,
    transfer: Uuid,
    token: &str,
) -> Result<(String, Vec<u8>), AppError> {
    let mut conn = st.pool.acquire().await?;
    // The link is the new owner's only while they are still in the account.
    let row: Option<(Uuid, String, bool, bool)> = sqlx::query_as(
        "SELECT t.new_owner_id, t.removed_name, t.csv_expires_at > now(), \
                EXISTS (SELECT 1 FROM account_members m WHERE m.account_id = t.account_id AND m.user_id = $3) \
         FROM transfers t WHERE t.id = $1 AND t.csv_token_hash = $2",
    )
    .bind(transfer)
    .bind(crate::server::token::hash(token))
    .bind(me.id)
    .fetch_optional(&mut *conn)
    .await?;
    let (owner, removed, live, member) = row.ok_or(AppError::NotFound)?;
    if owner != me.id || !member {
        return Err(AppError::NotFound);
    }
    if !live {
        return Err(Refusal::CsvLinkExpired.into());
    }
    let body = super::csv_export::transfer_csv(&mut conn, &st.config, transfer, me.id).await?;
    Ok((format!("Transferred from {removed}.csv"), body))
}

pub async fn set_scim(st: &AppState, me: &Actor, account: Uuid, on: bool) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    let mine = accounts::role_of(&mut tx, account, me.id).await?;
    policy::account(mine, AccountAction::ManageScim)?;
    // The identity provider needs a token to connect: without one, nobody could manage
    // membership at all.
    if on && !crate::scim::tokens::has_live(&mut tx, account).await? {
        return Err(AppError::validation(
            "on",
            "Make a SCIM token first (SCIM settings): your identity provider needs one to connect.",
        ));
    }
    sqlx::query("UPDATE accounts SET scim_enabled = $2 WHERE id = $1")
        .bind(account)
        .bind(on)
        .execute(&mut *tx)
        .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: if on {
                "account.scim_on"
            } else {
                "account.scim_off"
            },
            account_id: Some(account),
            subject: Some(format!("account:{account}")),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Zaps, and connections, on one page of the "Zaps and connections" screen.
pub const WORK_PAGE: i64 = 50;

/// The connections offered when making a Zap: the member's own and the shared ones, by
/// name (the API takes any of them by id).
const PICKER_MAX: i64 = 500;

/// An account's Zaps, folders and connections as one member sees them (PL-2, OF-6).
/// The Zaps come a page of `WORK_PAGE` at a time, after `after` (a cursor of `list_zaps`);
/// the connections likewise, after `conns_after`.
pub async fn work(
    st: &AppState,
    me: &Actor,
    account_id: Uuid,
    after: Option<&str>,
    conns_after: Option<&str>,
) -> Result<WorkPage, AppError> {
    // An empty cursor (a form's empty field) is the first page.
    let after = after.filter(|a| !a.is_empty());
    let conns_after = conns_after
        .filter(|a| !a.is_empty())
        .map(super::zaps::name_cursor_decode)
        .transpose()?;
    let mut conn = st.pool.acquire().await?;
    let (my_role, page) =
        super::zaps::page_of(st, &mut conn, me, account_id, after, WORK_PAGE).await?;
    let role = Some(my_role);
    let (account_name, _) = crate::accounts::repo::account(&mut conn, account_id).await?;
    let folders = super::repo::folders_seen(&mut conn, account_id, me.id).await?;
    let versions = super::repo::usable_versions(&mut conn, me.id).await?;
    let admin = policy::account(role, AccountAction::DeleteOthersPrivateConnection).is_ok();
    let mut connections = super::repo::connections_seen(
        &mut conn,
        account_id,
        me.id,
        admin,
        conns_after,
        WORK_PAGE + 1,
    )
    .await?;
    let next_connections = crate::server::next_page(&mut connections, WORK_PAGE, |c| {
        super::zaps::name_cursor_encode(&c.name, c.id)
    });
    let usable =
        super::repo::connections_seen(&mut conn, account_id, me.id, false, None, PICKER_MAX)
            .await?
            .into_iter()
            .map(|c| (c.id, format!("{} ({})", c.name, c.app)))
            .collect();
    for c in &mut connections {
        c.may_delete = policy::work(
            role,
            c.owner_id == me.id,
            c.private,
            policy::WorkAction::DeleteConnection,
        )
        .is_ok();
    }
    let members = if policy::account(role, AccountAction::TransferOwnership).is_ok() {
        crate::accounts::repo::members(&mut conn, account_id)
            .await?
            .into_iter()
            .map(|m| (m.user_id, m.name))
            .collect()
    } else {
        Vec::new()
    };
    Ok(WorkPage {
        me: me.id,
        account_name,
        my_role,
        folders,
        zaps: page.zaps,
        next: page.next,
        versions,
        connections,
        next_connections,
        usable_connections: usable,
        members,
    })
}

/// A stored Zap as `me` sees it: the webhook URL for its owner only.
pub(crate) fn zap_view(st: &AppState, me: &Actor, z: super::repo::ZapRow) -> ZapView {
    ZapView {
        webhook_url: z
            .webhook_token
            .filter(|_| z.owner_id == me.id)
            .map(|t| super::transfer::hook_url(&st.config, &t)),
        id: z.id,
        name: z.name,
        enabled: z.enabled,
        private: z.private,
        owner_id: z.owner_id,
        owner_name: z.owner_name,
        folder_id: z.folder_id,
        paused_reason: z.paused_reason,
        trigger: z.trigger,
    }
}

/// Give a shared Zap or connection to another member (OF-6). A catch-hook Zap gets a
/// new webhook URL, since the URL is tied to its owner.
pub async fn change_owner(
    st: &AppState,
    me: &Actor,
    account_id: Uuid,
    kind: &str,
    item_id: Uuid,
    new_owner: Uuid,
) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    let role = crate::accounts::repo::role_of(&mut tx, account_id, me.id).await?;
    policy::account(role, AccountAction::TransferOwnership)?;
    if !crate::accounts::repo::hold_member(&mut tx, account_id, new_owner).await? {
        return Err(AppError::validation(
            "new_owner",
            "The new owner must be a member of this account.",
        ));
    }
    let (table, action) = match kind {
        "zap" => ("zaps", "zap.owner_changed"),
        "connection" => ("app_connections", "connection.owner_changed"),
        _ => {
            return Err(AppError::validation(
                "kind",
                "Choose a Zap or a connection.",
            ))
        }
    };
    let hook = if table == "zaps" {
        format!(
            ", webhook_token = CASE WHEN trigger = 'none' THEN NULL ELSE {} END",
            super::transfer::NEW_HOOK_TOKEN
        )
    } else {
        String::new()
    };
    // Only shared items, and only in this account; the old owner comes back for the history.
    let old: Option<(Uuid,)> = sqlx::query_as(&format!(
        "WITH old AS (SELECT id, owner_id FROM {table} WHERE id = $1 AND account_id = $2 AND NOT private FOR UPDATE) \
         UPDATE {table} t SET owner_id = $3{hook} FROM old WHERE t.id = old.id RETURNING old.owner_id"
    ))
    .bind(item_id)
    .bind(account_id)
    .bind(new_owner)
    .fetch_optional(&mut *tx)
    .await?;
    let (old,) = old.ok_or(AppError::NotFound)?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action,
            account_id: Some(account_id),
            subject: Some(format!("{kind}:{item_id}")),
            target: Some(format!("user:{new_owner}")),
            before: Some(serde_json::json!({ "owner": old })),
            after: Some(serde_json::json!({ "owner": new_owner })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Switch one's own Zap on or off. Switching on needs access to every integration
/// version it uses: a Zap paused by a revocation stays off until access returns (SH-6).
pub async fn set_zap_enabled(
    st: &AppState,
    me: &Actor,
    account_id: Uuid,
    zap_id: Uuid,
    on: bool,
) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    let role = crate::accounts::repo::role_of(&mut tx, account_id, me.id).await?;
    policy::account(role, AccountAction::ManageOwnWork)?;
    let found: Option<(i32,)> = sqlx::query_as(
        "SELECT 1 FROM zaps WHERE id = $1 AND account_id = $2 AND owner_id = $3 FOR UPDATE",
    )
    .bind(zap_id)
    .bind(account_id)
    .bind(me.id)
    .fetch_optional(&mut *tx)
    .await?;
    found.ok_or(AppError::NotFound)?;
    if on {
        if let Some(refusal) = super::zaps::first_blocked(&mut tx, zap_id, me.id).await? {
            return Err(refusal.into());
        }
    }
    sqlx::query(
        "UPDATE zaps SET enabled = $2, paused_reason = NULL, updated_at = now() WHERE id = $1",
    )
    .bind(zap_id)
    .bind(on)
    .execute(&mut *tx)
    .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: if on {
                "zap.switched_on"
            } else {
                "zap.switched_off"
            },
            account_id: Some(account_id),
            subject: Some(format!("zap:{zap_id}")),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
