//! Account rules: who may create, list and look into an account.
use super::{repo, AccountSummary, MemberList, MembersPage, MEMBERS_PAGE_MAX};
use crate::domain::policy::{self, AccountAction};
use crate::domain::roles::AccountRole;
use crate::domain::validate;
use crate::error::AppError;
use crate::server::history::{self, Entry};
use crate::server::Actor;
use crate::server::AppState;
use sqlx::PgConnection;
use uuid::Uuid;

pub async fn my_accounts(st: &AppState, me: &Actor) -> Result<Vec<AccountSummary>, AppError> {
    let mut conn = st.pool.acquire().await?;
    Ok(repo::accounts_of(&mut conn, me.id).await?)
}

pub async fn create_account(st: &AppState, me: &Actor, name: &str) -> Result<Uuid, AppError> {
    let name = validate::name(name, "account name").map_err(|m| AppError::validation("name", m))?;
    let mut tx = st.pool.begin().await?;
    if !me.email_verified {
        return Err(AppError::validation(
            "name",
            "Verify your email address before creating an account.",
        ));
    }
    let id = repo::insert_account(&mut tx, &name, me.id).await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "account.created",
            account_id: Some(id),
            subject: Some(format!("account:{id}")),
            target: Some(format!("user:{}", me.id)),
            after: Some(serde_json::json!({ "name": name, "owner": me.id })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn members_page(
    st: &AppState,
    me: &Actor,
    account_id: Uuid,
) -> Result<MembersPage, AppError> {
    // One statement: the caller's role and the screen. The SQL brings the facts; the
    // policy decides. Read again only when something it rests on changed (server::kept):
    // then the request costs only the caller's session statement.
    let key = (account_id, me.id);
    let kept = st.kept.members.for_caller(st.config.keep_reads, me, &key);
    let found = match kept {
        Some(read) => Some(read),
        None => {
            let mut conn = st.pool.acquire().await?;
            repo::members_page(&mut conn, account_id, me.id)
                .await?
                .map(|k| {
                    let weight = 1 + k.read.page.members.len() + k.read.page.invitations.len();
                    let read = std::sync::Arc::new(k.read);
                    st.kept
                        .members
                        .keep(key, k.epoch, k.until, weight, read.clone());
                    read
                })
        }
    };
    policy::account(found.as_ref().map(|r| r.role), AccountAction::ViewMembers)?;
    let read = found.ok_or(AppError::NotFound)?;
    let (role, page) = (read.role, &read.page);
    let invitations = if policy::account(Some(role), AccountAction::ManageInvitations).is_ok() {
        page.invitations.clone()
    } else {
        Vec::new()
    };
    Ok(MembersPage {
        scim_enabled: page.scim_enabled,
        invitations,
        me: me.id,
        account: AccountSummary {
            id: account_id,
            name: page.name.clone(),
            plan: page.plan.clone(),
            role,
        },
        members: page.members.clone(),
    })
}

/// One page of an account's members (any member may list them), after `cursor`.
pub async fn member_list(
    st: &AppState,
    me: &Actor,
    account_id: Uuid,
    cursor: Option<&str>,
    limit: i64,
) -> Result<MemberList, AppError> {
    if !(1..=MEMBERS_PAGE_MAX).contains(&limit) {
        return Err(AppError::validation(
            "limit",
            format!("Ask for 1 to {MEMBERS_PAGE_MAX} members."),
        ));
    }
    let after = cursor.map(crate::server::cursor_decode).transpose()?;
    let mut conn = st.pool.acquire().await?;
    let page =
        repo::members_after(&mut conn, account_id, me.id, after.as_deref(), limit + 1).await?;
    policy::account(page.as_ref().map(|p| p.0), AccountAction::ViewMembers)?;
    let mut members = page.map(|p| p.1).unwrap_or_default();
    let next = crate::server::next_page(&mut members, limit, |m| {
        crate::server::cursor_encode(&m.email.to_lowercase())
    });
    Ok(MemberList { members, next })
}

/// Lock and read the roles of `me` and `target` in `account`, after taking the account's
/// membership lock: removals, role changes and hand-overs of one account take turns, so
/// none of them acts on a role that has just changed (AM-2, AM-3, OF-1).
async fn lock_roles(
    tx: &mut sqlx::Transaction<'static, sqlx::Postgres>,
    account: Uuid,
    me: Uuid,
    target: Uuid,
) -> Result<(Option<AccountRole>, Option<AccountRole>, bool), AppError> {
    crate::server::hold_locks(tx, &[format!("members:{account}")]).await?;
    let rows: Vec<(Uuid, String, bool)> = sqlx::query_as(
        "SELECT m.user_id, m.role, a.scim_enabled FROM account_members m JOIN accounts a ON a.id = m.account_id \
         WHERE m.account_id = $1 AND m.user_id IN ($2, $3) ORDER BY m.user_id FOR UPDATE OF m",
    )
    .bind(account)
    .bind(me)
    .bind(target)
    .fetch_all(&mut **tx)
    .await?;
    let role_of = |who: Uuid| -> Result<Option<AccountRole>, AppError> {
        rows.iter()
            .find(|(u, _, _)| *u == who)
            .map(|(_, r, _)| AccountRole::parse(r).ok_or_else(|| AppError::internal("bad role")))
            .transpose()
    };
    let scim = rows.first().is_some_and(|(_, _, s)| *s);
    Ok((role_of(me)?, role_of(target)?, scim))
}

fn parse_role(text: &str) -> Result<AccountRole, AppError> {
    match AccountRole::parse(text.trim()) {
        Some(r) if r != AccountRole::Owner => Ok(r),
        Some(_) => Err(AppError::validation(
            "role",
            "The owner's role is handed over, not given: use “Hand over ownership”.",
        )),
        None => Err(AppError::validation(
            "role",
            "Choose a role: super_admin, admin or member.",
        )),
    }
}

/// Change a member's role (AM-2), within the caller's ceiling; refused while SCIM is on
/// (AM-4). The change, with the role before and after and the reason, goes into the
/// account's history; the member is mailed. Takes effect on their very next request.
pub async fn change_role(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    target: Uuid,
    role: &str,
    reason: &str,
) -> Result<AccountRole, AppError> {
    let to = parse_role(role)?;
    let reason = history::reason(reason)?;
    let mut tx = st.pool.begin().await?;
    let (mine, theirs, scim) = lock_roles(&mut tx, account, me.id, target).await?;
    policy::account(mine, AccountAction::ViewMembers)?;
    let theirs = theirs.ok_or(AppError::NotFound)?;
    policy::account(
        mine,
        AccountAction::ChangeRole {
            target: theirs,
            to,
            is_self: target == me.id,
        },
    )?;
    if scim {
        return Err(crate::error::Refusal::ScimOn.into());
    }
    apply_role(
        &mut tx,
        st,
        account,
        target,
        theirs,
        to,
        Some(me.id),
        &me.name,
        reason,
    )
    .await?;
    tx.commit().await?;
    Ok(to)
}

/// Give `target` (now `theirs`) the role `to`, the caller having checked who may: the
/// update, its history entry (`by` names who acted when no member did) and the member's
/// mail. The one place a role changes, for the Members screen, `/api/v1` and SCIM.
#[allow(clippy::too_many_arguments)]
pub async fn apply_role(
    tx: &mut PgConnection,
    st: &AppState,
    account: Uuid,
    target: Uuid,
    theirs: AccountRole,
    to: AccountRole,
    actor: Option<Uuid>,
    by: &str,
    reason: Option<String>,
) -> Result<(), AppError> {
    if theirs == to {
        return Ok(());
    }
    sqlx::query("UPDATE account_members SET role = $3 WHERE account_id = $1 AND user_id = $2")
        .bind(account)
        .bind(target)
        .bind(to.as_str())
        .execute(&mut *tx)
        .await?;
    history::record(
        &mut *tx,
        Entry {
            actor_id: actor,
            action: "member.role_changed",
            account_id: Some(account),
            subject: Some(format!("user:{target}")),
            target: Some(format!("user:{target}")),
            before: Some(serde_json::json!({ "role": theirs.as_str() })),
            after: Some(match actor {
                Some(_) => serde_json::json!({ "role": to.as_str() }),
                None => serde_json::json!({ "role": to.as_str(), "by": by }),
            }),
            reason,
            ..Default::default()
        },
    )
    .await?;
    let (name, _) = repo::account(&mut *tx, account).await?;
    let (email,): (String,) = sqlx::query_as("SELECT email FROM users WHERE id = $1")
        .bind(target)
        .fetch_one(&mut *tx)
        .await?;
    crate::server::mail::enqueue(
        &mut *tx,
        &email,
        &format!("Your role in {name} is now {}", to.label().to_lowercase()),
        &format!(
            "Hello,\n\n{by} changed your role in the account \"{name}\" from {} to {}.\n\n{}\n",
            theirs.label().to_lowercase(),
            to.label().to_lowercase(),
            st.config.link(&format!("/accounts/{account}/members")),
        ),
    )
    .await?;
    Ok(())
}

/// Hand the account to another member (AM-3): the owner only, after a confirmation on the
/// screen. The old owner becomes a super admin, the new one the owner, in one transaction
/// (the database keeps at most one owner per account); both are mailed; history records it.
pub async fn hand_over(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    to: Uuid,
    reason: &str,
) -> Result<(), AppError> {
    let reason = history::reason(reason)?;
    let mut tx = st.pool.begin().await?;
    let (mine, theirs, scim) = lock_roles(&mut tx, account, me.id, to).await?;
    policy::account(mine, AccountAction::HandOverOwnership)?;
    // Roles come from the identity provider while SCIM is on (AM-4).
    if scim {
        return Err(crate::error::Refusal::ScimOn.into());
    }
    if to == me.id {
        return Err(AppError::validation(
            "new_owner",
            "You own this account already.",
        ));
    }
    let theirs = theirs.ok_or_else(|| {
        AppError::validation(
            "new_owner",
            "The new owner must be a member of this account.",
        )
    })?;
    // Old owner first, so the account never holds two owners, even for a moment.
    sqlx::query(
        "UPDATE account_members SET role = 'super_admin' WHERE account_id = $1 AND user_id = $2",
    )
    .bind(account)
    .bind(me.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE account_members SET role = 'owner' WHERE account_id = $1 AND user_id = $2")
        .bind(account)
        .bind(to)
        .execute(&mut *tx)
        .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "account.ownership_handed_over",
            account_id: Some(account),
            subject: Some(format!("account:{account}")),
            target: Some(format!("user:{to}")),
            before: Some(serde_json::json!({ "owner": me.id, "new_owner_role": theirs.as_str() })),
            after: Some(serde_json::json!({ "owner": to, "old_owner_role": "super_admin" })),
            reason,
            ..Default::default()
        },
    )
    .await?;
    let (name, _) = repo::account(&mut tx, account).await?;
    let (new_name, new_email): (String, String) =
        sqlx::query_as("SELECT name, email FROM users WHERE id = $1")
            .bind(to)
            .fetch_one(&mut *tx)
            .await?;
    let link = st.config.link(&format!("/accounts/{account}/members"));
    crate::server::mail::enqueue(
        &mut tx,
        &new_email,
        &format!("You now own {name}"),
        &format!(
            "Hello {new_name},\n\n{} handed the account \"{name}\" over to you: you are its owner now, and {} \
             stays on as a super admin.\n\n{link}\n",
            me.name, me.name
        ),
    )
    .await?;
    crate::server::mail::enqueue(
        &mut tx,
        &me.email,
        &format!("You handed {name} over to {new_name}"),
        &format!(
            "Hello {},\n\nYou handed the account \"{name}\" over to {new_name} ({new_email}). You are a super \
             admin of it now.\n\n{link}\n",
            me.name
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
