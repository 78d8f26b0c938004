//! Invitations to an account (AM-1): by email with a role, 14 days, single use, stored
//! hashed; accepted only by the invited address, verified. Refused while SCIM is on (AM-4).
use super::{repo, AccountInvite, AccountInviteLanding, INVITE_DAYS};
use crate::domain::email::EmailAddress;
use crate::domain::policy::{self, AccountAction};
use crate::domain::roles::AccountRole;
use crate::error::{AppError, Refusal};
use crate::server::history::{self, Entry};
use crate::server::{mail, token, Actor, AppState};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

fn invitable(text: &str) -> Result<AccountRole, AppError> {
    match AccountRole::parse(text.trim()) {
        Some(AccountRole::Owner) => Err(AppError::validation(
            "role",
            "Nobody is invited as owner: the owner hands the account over to a member.",
        )),
        Some(r) => Ok(r),
        None => Err(AppError::validation(
            "role",
            "Choose a role: super_admin, admin or member.",
        )),
    }
}

/// The caller's role after the checks every invitation write shares: a member who may do
/// `action`, SCIM off, and a verified address (invitations send mail).
async fn writer(
    conn: &mut PgConnection,
    me: &Actor,
    account: Uuid,
    action: AccountAction,
) -> Result<AccountRole, AppError> {
    let mine = repo::role_of(conn, account, me.id).await?;
    policy::account(mine, action)?;
    if repo::scim_enabled(conn, account).await? {
        return Err(Refusal::ScimOn.into());
    }
    if !me.email_verified {
        return Err(AppError::validation(
            "email",
            "Verify your email address before you invite: inviting sends mail.",
        ));
    }
    mine.ok_or(AppError::NotFound)
}

/// How many invitation mails one person may send in an hour, over all accounts: anyone
/// can own an account, so this is what keeps invitations from being a way to mail anyone.
pub const INVITES_PER_HOUR: i64 = 50;

/// Mail a fresh link for invitation `id` (new token, new 14 days) and say so in history,
/// within the sender's hourly budget (counted under a lock of their own).
async fn send(
    conn: &mut PgConnection,
    st: &AppState,
    me: &Actor,
    account: Uuid,
    id: Uuid,
    action: &'static str,
) -> Result<(), AppError> {
    crate::server::hold_locks(conn, &[format!("account-invites:{}", me.id)]).await?;
    let (sent,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM history WHERE actor_id = $1 AND action IN ('account.invited', 'account.invite_resent') \
         AND at > now() - interval '1 hour'",
    )
    .bind(me.id)
    .fetch_one(&mut *conn)
    .await?;
    if sent >= INVITES_PER_HOUR {
        return Err(AppError::TooManyRequests(format!(
            "You sent {INVITES_PER_HOUR} invitations in the last hour. Wait a while and try again."
        )));
    }
    let (text, hash) = token::new_token();
    let (email, role, name): (String, String, String) = sqlx::query_as(
        "UPDATE account_invites i SET token_hash = $2, expires_at = now() + make_interval(days => $3), \
                invited_at = now(), invited_by = $4 \
         FROM accounts a WHERE i.id = $1 AND a.id = i.account_id RETURNING i.email, i.role, a.name",
    )
    .bind(id)
    .bind(hash)
    .bind(INVITE_DAYS)
    .bind(me.id)
    .fetch_one(&mut *conn)
    .await?;
    let role = AccountRole::parse(&role).ok_or_else(|| AppError::internal("bad role"))?;
    mail::enqueue(
        conn,
        &email,
        &format!("{} invited you to {name} on Gatehouse", me.name),
        &format!(
            "Hello,\n\n{} ({}) invited you to the account \"{name}\" on Gatehouse, as {}.\n\n\
             Accept within {INVITE_DAYS} days, signed in with this address ({email}); if you have no \
             Gatehouse login yet, create one with it first:\n\n{}\n",
            me.name,
            me.email,
            role.label().to_lowercase(),
            st.config.link(&format!("/account-invite/{text}")),
        ),
    )
    .await?;
    history::record(
        conn,
        Entry {
            actor_id: Some(me.id),
            action,
            account_id: Some(account),
            subject: Some(format!("account:{account}")),
            target: Some(email),
            after: Some(json!({ "role": role.as_str() })),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Invite `email` to the account with `role` (AM-1). Inviting an address again renews its
/// open invitation (new link, new 14 days; the old link stops working).
pub async fn invite(
    st: &AppState,
    me: &Actor,
    account: Uuid,
    email: &str,
    role: &str,
) -> Result<Uuid, AppError> {
    let email = EmailAddress::parse(email).map_err(|m| AppError::validation("email", m))?;
    let role = invitable(role)?;
    let mut tx = st.pool.begin().await?;
    // Membership changes of one account take turns (see accounts::service).
    crate::server::hold_locks(&mut tx, &[format!("members:{account}")]).await?;
    writer(&mut tx, me, account, AccountAction::Invite { role }).await?;
    let (member,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM account_members m JOIN users u ON u.id = m.user_id \
                        WHERE m.account_id = $1 AND u.email = $2)",
    )
    .bind(account)
    .bind(email.as_str())
    .fetch_one(&mut *tx)
    .await?;
    if member {
        return Err(AppError::validation(
            "email",
            format!("{email} is a member of this account already."),
        ));
    }
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO account_invites (account_id, email, role, invited_by, expires_at) \
         VALUES ($1, $2, $3, $4, now()) \
         ON CONFLICT (account_id, email) WHERE status = 'pending' DO UPDATE SET role = EXCLUDED.role \
         RETURNING id",
    )
    .bind(account)
    .bind(email.as_str())
    .bind(role.as_str())
    .bind(me.id)
    .fetch_one(&mut *tx)
    .await?;
    send(&mut tx, st, me, account, id, "account.invited").await?;
    tx.commit().await?;
    Ok(id)
}

/// How many invitations an account's identity provider may mail in an hour: existing
/// Gatehouse users it provisions are asked first, so SCIM is no way to mail anyone.
pub const IDP_INVITES_PER_HOUR: i64 = 500;

/// Invite an existing Gatehouse user whom the account's identity provider provisioned
/// (identity `identity`), as `role`: they become a member only by accepting (OF-7), and
/// see no more of them than their address until then. Renews an open invitation.
#[allow(clippy::too_many_arguments)]
pub async fn from_identity_provider(
    conn: &mut PgConnection,
    st: &AppState,
    account: Uuid,
    account_name: &str,
    identity: Uuid,
    email: &str,
    role: &str,
    by: &str,
) -> Result<(), AppError> {
    crate::server::hold_locks(conn, &[format!("account-invites:idp:{account}")]).await?;
    let (sent,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM history WHERE account_id = $1 AND actor_id IS NULL \
           AND action = 'account.invited' AND at > now() - interval '1 hour'",
    )
    .bind(account)
    .fetch_one(&mut *conn)
    .await?;
    if sent >= IDP_INVITES_PER_HOUR {
        return Err(AppError::TooManyRequests(format!(
            "The identity provider sent {IDP_INVITES_PER_HOUR} invitations in the last hour. Try again later."
        )));
    }
    let role = if role == "owner" { "super_admin" } else { role };
    let (text, hash) = token::new_token();
    sqlx::query(
        "INSERT INTO account_invites (account_id, email, role, invited_by, expires_at, token_hash, scim_user_id) \
         VALUES ($1, $2, $3, NULL, now() + make_interval(days => $4), $5, $6) \
         ON CONFLICT (account_id, email) WHERE status = 'pending' DO UPDATE SET role = EXCLUDED.role, \
             invited_by = NULL, invited_at = now(), expires_at = EXCLUDED.expires_at, \
             token_hash = EXCLUDED.token_hash, scim_user_id = EXCLUDED.scim_user_id",
    )
    .bind(account)
    .bind(email)
    .bind(role)
    .bind(INVITE_DAYS)
    .bind(hash)
    .bind(identity)
    .execute(&mut *conn)
    .await?;
    let label = AccountRole::parse(role).map_or("member", |r| r.label());
    mail::enqueue(
        conn,
        email,
        &format!("{account_name} asks you to join it on Gatehouse"),
        &format!(
            "Hello,\n\nThe identity provider of the account \"{account_name}\" on Gatehouse asks to \
             add you, as {}. You already have a Gatehouse login with this address, so nothing \
             changes unless you accept, signed in with it, within {INVITE_DAYS} days:\n\n{}\n\n\
             If you don't know this account, ignore this mail.\n",
            label.to_lowercase(),
            st.config.link(&format!("/account-invite/{text}")),
        ),
    )
    .await?;
    history::record(
        conn,
        Entry {
            actor_id: None,
            action: "account.invited",
            account_id: Some(account),
            subject: Some(format!("account:{account}")),
            target: Some(email.to_string()),
            after: Some(json!({ "role": role, "by": by })),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Cancel the identity provider's open invitation for identity `identity`, if any.
pub async fn cancel_for_identity(conn: &mut PgConnection, identity: Uuid) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE account_invites SET status = 'cancelled', token_hash = NULL \
         WHERE scim_user_id = $1 AND status = 'pending'",
    )
    .bind(identity)
    .execute(conn)
    .await?;
    Ok(())
}

/// The open invitation `id` of `account`, locked, with its role; NotFound otherwise.
async fn open_invite(
    conn: &mut PgConnection,
    account: Uuid,
    id: Uuid,
) -> Result<AccountRole, AppError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT role FROM account_invites WHERE id = $1 AND account_id = $2 AND status = 'pending' FOR UPDATE",
    )
    .bind(id)
    .bind(account)
    .fetch_optional(conn)
    .await?;
    let (role,) = row.ok_or(AppError::NotFound)?;
    AccountRole::parse(&role).ok_or_else(|| AppError::internal("bad role"))
}

/// Send invitation `id` again (AM-1): a new link and 14 more days; the old link ends.
pub async fn resend(st: &AppState, me: &Actor, account: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    let mine = writer(&mut tx, me, account, AccountAction::ManageInvitations).await?;
    let role = open_invite(&mut tx, account, id).await?;
    // Resending is inviting again: the caller must be allowed to invite with that role.
    policy::account(Some(mine), AccountAction::Invite { role })?;
    send(&mut tx, st, me, account, id, "account.invite_resent").await?;
    tx.commit().await?;
    Ok(())
}

/// Cancel invitation `id`: its link stops working at once.
pub async fn cancel(st: &AppState, me: &Actor, account: Uuid, id: Uuid) -> Result<(), AppError> {
    let mut tx = st.pool.begin().await?;
    let mine = repo::role_of(&mut tx, account, me.id).await?;
    policy::account(mine, AccountAction::ManageInvitations)?;
    open_invite(&mut tx, account, id).await?;
    let (email,): (String,) = sqlx::query_as(
        "UPDATE account_invites SET status = 'cancelled', token_hash = NULL WHERE id = $1 RETURNING email",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "account.invite_cancelled",
            account_id: Some(account),
            subject: Some(format!("account:{account}")),
            target: Some(email),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The account's pending invitations, for those who may manage them.
pub async fn list(
    st: &AppState,
    me: &Actor,
    account: Uuid,
) -> Result<Vec<AccountInvite>, AppError> {
    let mut conn = st.pool.acquire().await?;
    let mine = repo::role_of(&mut conn, account, me.id).await?;
    policy::account(mine, AccountAction::ManageInvitations)?;
    pending(&mut conn, account).await
}

/// The account's pending invitations, newest first (the caller checked who may see them).
pub async fn pending(
    conn: &mut PgConnection,
    account: Uuid,
) -> Result<Vec<AccountInvite>, AppError> {
    type Row = (
        Uuid,
        String,
        String,
        Option<String>,
        DateTime<Utc>,
        DateTime<Utc>,
        bool,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT i.id, i.email, i.role, CASE WHEN i.scim_user_id IS NOT NULL THEN 'the identity provider' ELSE u.name END, i.invited_at, i.expires_at, i.expires_at <= now() \
         FROM account_invites i LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.account_id = $1 AND i.status = 'pending' ORDER BY i.invited_at DESC, i.email",
    )
    .bind(account)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(
            |(id, email, role, invited_by, invited_at, expires_at, expired)| {
                Ok(AccountInvite {
                    id,
                    email,
                    role: AccountRole::parse(&role)
                        .ok_or_else(|| AppError::internal("bad role"))?,
                    invited_by,
                    invited_at,
                    expires_at,
                    expired,
                })
            },
        )
        .collect()
}

/// An open invitation: id, account, address, role, who invited (a name), the account's
/// name, the inviter's id, and the SCIM identity it was sent for.
type LiveRow = (
    Uuid,
    Uuid,
    String,
    String,
    Option<String>,
    String,
    Option<Uuid>,
    Option<Uuid>,
);

/// The open invitation a token names, or why it cannot be used.
async fn live(conn: &mut PgConnection, text: &str, lock: bool) -> Result<LiveRow, AppError> {
    type Row = (
        Uuid,
        Uuid,
        String,
        String,
        Option<String>,
        String,
        bool,
        Option<Uuid>,
        Option<Uuid>,
    );
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT i.id, i.account_id, i.email, i.role, \
                CASE WHEN i.scim_user_id IS NOT NULL THEN 'The identity provider of ' || a.name ELSE u.name END, \
                a.name, i.expires_at <= now(), i.invited_by, i.scim_user_id \
         FROM account_invites i JOIN accounts a ON a.id = i.account_id LEFT JOIN users u ON u.id = i.invited_by \
         WHERE i.token_hash = $1 AND i.status = 'pending'{}",
        if lock { " FOR UPDATE OF i" } else { "" }
    ))
    .bind(token::hash(text))
    .fetch_optional(conn)
    .await?;
    match row {
        Some(r) if r.6 => Err(Refusal::InvitationExpired.into()),
        Some((id, account, email, role, inviter, name, _, by, identity)) => {
            Ok((id, account, email, role, inviter, name, by, identity))
        }
        None => Err(Refusal::InvitationInvalid.into()),
    }
}

/// What the invitation link shows (the account, the role, who invited, to which address).
pub async fn landing(
    st: &AppState,
    me: &Actor,
    text: &str,
) -> Result<AccountInviteLanding, AppError> {
    let mut conn = st.pool.acquire().await?;
    let (_, account, email, role, inviter, name, ..) = live(&mut conn, text, false).await?;
    let already_member = repo::role_of(&mut conn, account, me.id).await?.is_some();
    Ok(AccountInviteLanding {
        account_id: account,
        account: name,
        role: AccountRole::parse(&role).ok_or_else(|| AppError::internal("bad role"))?,
        inviter,
        email,
        already_member,
    })
}

/// Accept an invitation (AM-1): signed in with the invited address, verified. Once.
pub async fn accept(st: &AppState, me: &Actor, text: &str) -> Result<Uuid, AppError> {
    let mut tx = st.pool.begin().await?;
    let (_, account, ..) = live(&mut tx, text, false).await?;
    crate::server::hold_locks(&mut tx, &[format!("members:{account}")]).await?;
    let (id, account, email, role, _, _, by, identity) = live(&mut tx, text, true).await?;
    let role = match identity {
        // The identity provider's invitation holds while its identity is provisioned and
        // active, with the role the identity has now.
        Some(identity) => {
            let row: Option<(String,)> = sqlx::query_as(
                "SELECT role FROM scim_users WHERE id = $1 AND account_id = $2 \
                   AND deleted_at IS NULL AND active FOR UPDATE",
            )
            .bind(identity)
            .bind(account)
            .fetch_optional(&mut *tx)
            .await?;
            match row {
                Some((r,)) if r == "owner" => "super_admin".to_string(),
                Some((r,)) => r,
                None => return Err(Refusal::InvitationInvalid.into()),
            }
        }
        // An invitation is only as good as its sender's rights now: a removed or demoted
        // inviter's open invitations admit nobody.
        None => {
            let sender = match by {
                Some(by) => repo::role_of(&mut tx, account, by).await?,
                None => None,
            };
            let invited =
                AccountRole::parse(&role).ok_or_else(|| AppError::internal("bad role"))?;
            if policy::account(sender, AccountAction::Invite { role: invited }).is_err() {
                return Err(Refusal::InvitationInvalid.into());
            }
            role
        }
    };
    if me.email != email {
        return Err(Refusal::WrongAddress {
            signed_in_as: me.email.clone(),
        }
        .into());
    }
    if !me.email_verified {
        return Err(Refusal::Unverified.into());
    }
    if identity.is_none() && repo::scim_enabled(&mut tx, account).await? {
        return Err(Refusal::ScimOn.into());
    }
    if let Some(identity) = identity {
        sqlx::query("UPDATE scim_users SET consented = true, updated_at = now() WHERE id = $1")
            .bind(identity)
            .execute(&mut *tx)
            .await?;
    }
    let joined = sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(account)
    .bind(me.id)
    .bind(&role)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    sqlx::query(
        "UPDATE account_invites SET status = 'accepted', accepted_at = now(), accepted_user_id = $2, token_hash = NULL \
         WHERE id = $1",
    )
    .bind(id)
    .bind(me.id)
    .execute(&mut *tx)
    .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: Some(me.id),
            action: "member.joined",
            account_id: Some(account),
            subject: Some(format!("user:{}", me.id)),
            target: Some(format!("user:{}", me.id)),
            after: Some(json!({
                "role": role,
                "via": if identity.is_some() { "identity provider" } else { "invitation" },
                "new": joined == 1,
            })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(account)
}
