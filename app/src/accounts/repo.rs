//! SQL for accounts; no policy here.
use super::{AccountSummary, Member};
use crate::domain::roles::AccountRole;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

fn role(s: &str) -> Result<AccountRole, sqlx::Error> {
    AccountRole::parse(s).ok_or_else(|| sqlx::Error::Decode(format!("unknown role {s:?}").into()))
}

pub async fn role_of(
    conn: &mut PgConnection,
    account_id: Uuid,
    user_id: Uuid,
) -> Result<Option<AccountRole>, sqlx::Error> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT role FROM account_members WHERE account_id = $1 AND user_id = $2")
            .bind(account_id)
            .bind(user_id)
            .fetch_optional(conn)
            .await?;
    row.map(|(r,)| role(&r)).transpose()
}

pub async fn accounts_of(
    conn: &mut PgConnection,
    user_id: Uuid,
) -> Result<Vec<AccountSummary>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String)> = sqlx::query_as(
        "SELECT a.id, a.name, a.plan, m.role FROM account_members m JOIN accounts a ON a.id = m.account_id \
         WHERE m.user_id = $1 ORDER BY lower(a.name), a.id",
    )
    .bind(user_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, name, plan, r)| {
            Ok(AccountSummary {
                id,
                name,
                plan,
                role: role(&r)?,
            })
        })
        .collect()
}

pub async fn insert_account(
    conn: &mut PgConnection,
    name: &str,
    owner: Uuid,
) -> Result<Uuid, sqlx::Error> {
    let (id,): (Uuid,) = sqlx::query_as("INSERT INTO accounts (name) VALUES ($1) RETURNING id")
        .bind(name)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'owner')")
        .bind(id)
        .bind(owner)
        .execute(conn)
        .await?;
    Ok(id)
}

pub async fn account(conn: &mut PgConnection, id: Uuid) -> Result<(String, String), sqlx::Error> {
    sqlx::query_as("SELECT name, plan FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
}

pub async fn members(
    conn: &mut PgConnection,
    account_id: Uuid,
) -> Result<Vec<Member>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT u.id, u.name, u.email, m.role, m.joined_at FROM account_members m \
         JOIN users u ON u.id = m.user_id WHERE m.account_id = $1 \
         ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'super_admin' THEN 1 WHEN 'admin' THEN 2 ELSE 3 END, \
                  lower(u.name), u.id",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(user_id, name, email, r, joined_at)| {
            Ok(Member {
                user_id,
                name,
                email,
                role: role(&r)?,
                joined_at,
            })
        })
        .collect()
}

/// The Members screen in one statement (one snapshot, one round trip): the caller's role,
/// and, when they hold one, the account, its members in screen order, whether SCIM is on,
/// and its pending invitations (whatever the role: the policy decides who sees them).
/// `None` when the caller holds no role (or there is no such account).
pub async fn members_page(
    conn: &mut PgConnection,
    account_id: Uuid,
    user_id: Uuid,
) -> Result<Option<Kept<MembersPageRead>>, sqlx::Error> {
    type Row = (
        String,
        String,
        String,
        bool,
        Json<Vec<Member>>,
        Json<Vec<wire::accounts::AccountInvite>>,
        i64,
        Option<DateTime<Utc>>,
    );
    let row: Option<Row> = sqlx::query_as(MEMBERS_PAGE_SQL)
        .bind(account_id)
        .bind(user_id)
        .fetch_optional(conn)
        .await?;
    row.map(
        |(r, name, plan, scim_enabled, Json(members), Json(invitations), epoch, until)| {
            Ok(Kept {
                epoch,
                until,
                read: MembersPageRead {
                    role: role(&r)?,
                    page: MembersPageRow {
                        name,
                        plan,
                        scim_enabled,
                        members,
                        invitations,
                    },
                },
            })
        },
    )
    .transpose()
}

/// The Members screen's statement: the viewer's role, the account, its members and open
/// invitations; beside them, the read epoch of this snapshot and the next date at which an
/// invitation expires (the screen marks it expired), for `server::kept`.
pub const MEMBERS_PAGE_SQL: &str = "SELECT me.role, a.name, a.plan, a.scim_enabled, \
       (SELECT coalesce(json_agg(json_build_object('user_id', u.id, 'name', u.name, 'email', u.email, \
                'role', m.role, 'joined_at', m.joined_at) \
                ORDER BY CASE m.role WHEN 'owner' THEN 0 WHEN 'super_admin' THEN 1 WHEN 'admin' THEN 2 ELSE 3 END, \
                         lower(u.name), u.id), '[]') \
          FROM account_members m JOIN users u ON u.id = m.user_id WHERE m.account_id = a.id), \
       (SELECT coalesce(json_agg(json_build_object('id', i.id, 'email', i.email, 'role', i.role, \
                'invited_by', CASE WHEN i.scim_user_id IS NOT NULL THEN 'the identity provider' ELSE iu.name END, \
                'invited_at', i.invited_at, 'expires_at', i.expires_at, 'expired', i.expires_at <= now()) \
                ORDER BY i.invited_at DESC, i.email), '[]') \
          FROM account_invites i LEFT JOIN users iu ON iu.id = i.invited_by \
          WHERE i.account_id = a.id AND i.status = 'pending'), \
       (SELECT n FROM read_epoch), \
       (SELECT min(x.expires_at) FROM account_invites x \
          WHERE x.account_id = a.id AND x.status = 'pending' AND x.expires_at > now()) \
     FROM account_members me JOIN accounts a ON a.id = me.account_id \
     WHERE me.account_id = $1 AND me.user_id = $2";

/// A read with what `server::kept` needs to keep it: the read epoch of its snapshot and
/// the date until which it holds by itself (None: until a change).
pub struct Kept<T> {
    pub epoch: i64,
    pub until: Option<DateTime<Utc>>,
    pub read: T,
}

/// The Members screen as read for one viewer: their role and the screen's rows.
pub struct MembersPageRead {
    pub role: AccountRole,
    pub page: MembersPageRow,
}

/// The Members screen's data (see [`members_page`]).
pub struct MembersPageRow {
    pub name: String,
    pub plan: String,
    pub scim_enabled: bool,
    pub members: Vec<Member>,
    pub invitations: Vec<wire::accounts::AccountInvite>,
}

pub async fn scim_enabled(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    let (on,): (bool,) = sqlx::query_as("SELECT scim_enabled FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(on)
}

#[derive(sqlx::FromRow)]
struct MemberPageRow {
    viewer_role: String,
    user_id: Option<Uuid>,
    name: Option<String>,
    email: Option<String>,
    role: Option<String>,
    joined_at: Option<DateTime<Utc>>,
}

/// The role of `viewer` in the account and up to `limit` members whose address sorts
/// after `after`, in address order: one statement, for keyset paging. Each membership
/// row carries its member's address (kept equal to `users.email` by triggers, migration
/// 0014), so a page is one range of the `(account_id, email)` index whatever the
/// account's size. `None` when the viewer is not a member (nothing else is read then).
pub async fn members_after(
    conn: &mut PgConnection,
    account_id: Uuid,
    viewer: Uuid,
    after: Option<&str>,
    limit: i64,
) -> Result<Option<(AccountRole, Vec<Member>)>, sqlx::Error> {
    let rows: Vec<MemberPageRow> = sqlx::query_as(
        "SELECT me.role AS viewer_role, p.* FROM account_members me \
         LEFT JOIN LATERAL ( \
           SELECT u.id AS user_id, u.name, m.email, m.role, m.joined_at FROM account_members m \
           JOIN users u ON u.id = m.user_id \
           WHERE m.account_id = $1 AND m.email > coalesce($3, '') \
           ORDER BY m.email LIMIT $4) p ON true \
         WHERE me.account_id = $1 AND me.user_id = $2 \
         ORDER BY p.email",
    )
    .bind(account_id)
    .bind(viewer)
    .bind(after)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let viewer_role = role(&first.viewer_role)?;
    let members = rows
        .into_iter()
        .filter_map(|r| Some((r.user_id?, r.name?, r.email?, r.role?, r.joined_at?)))
        .map(|(user_id, name, email, r, joined_at)| {
            Ok(Member {
                user_id,
                name,
                email,
                role: role(&r)?,
                joined_at,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok(Some((viewer_role, members)))
}

/// Whether `user` is a member, holding their membership row (shared) until the
/// transaction ends: a removal of that person waits, so work given to them meanwhile
/// moves with the rest of theirs, or this finds them gone.
pub async fn hold_member(
    conn: &mut PgConnection,
    account_id: Uuid,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let row: Option<(i32,)> = sqlx::query_as(
        "SELECT 1 FROM account_members WHERE account_id = $1 AND user_id = $2 FOR SHARE",
    )
    .bind(account_id)
    .bind(user_id)
    .fetch_optional(conn)
    .await?;
    Ok(row.is_some())
}
