//! Account rules: who may create, list and look into an account.
use super::{repo, AccountSummary, MemberList, MembersPage, MEMBERS_PAGE_MAX};
use crate::domain::policy::{self, AccountAction};
use crate::domain::roles::AccountRole;
use crate::domain::validate;
use crate::error::AppError;
use crate::server::history::{self, Entry};
use crate::server::Actor;
use crate::server::AppState;
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
    let mut conn = st.pool.acquire().await?;
    let role = repo::role_of(&mut conn, account_id, me.id).await?;
    policy::account(role, AccountAction::ViewMembers)?;
    let role: AccountRole = role.ok_or(AppError::NotFound)?;
    let (name, plan) = repo::account(&mut conn, account_id).await?;
    let members = repo::members(&mut conn, account_id).await?;
    let scim_enabled = repo::scim_enabled(&mut conn, account_id).await?;
    Ok(MembersPage {
        scim_enabled,
        me: me.id,
        account: AccountSummary {
            id: account_id,
            name,
            plan,
            role,
        },
        members,
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
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    if !(1..=MEMBERS_PAGE_MAX).contains(&limit) {
        return Err(AppError::validation(
            "limit",
            format!("Ask for 1 to {MEMBERS_PAGE_MAX} members."),
        ));
    }
    let after = cursor
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    AppError::validation("cursor", "This cursor is not one this server gave out.")
                })
        })
        .transpose()?;
    let mut conn = st.pool.acquire().await?;
    let role = repo::role_of(&mut conn, account_id, me.id).await?;
    policy::account(role, AccountAction::ViewMembers)?;
    let mut members =
        repo::members_after(&mut conn, account_id, after.as_deref(), limit + 1).await?;
    let next = if members.len() as i64 > limit {
        members.truncate(limit as usize);
        members
            .last()
            .map(|m| URL_SAFE_NO_PAD.encode(m.email.to_lowercase()))
    } else {
        None
    };
    Ok(MemberList { members, next })
}
