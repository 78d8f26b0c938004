//! SQL for app instances; no policy here. Secrets go in and out only sealed.
use super::{ConfigEntry, InstanceSummary, LoginView, RunView, ShareView};
use crate::domain::roles::InstanceAccess;
use crate::server::crypto::Sealed;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::PgConnection;
use uuid::Uuid;

fn access(s: &str) -> Result<InstanceAccess, sqlx::Error> {
    InstanceAccess::parse(s)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown access {s:?}").into()))
}

/// The access the user (SQL expression `user`) has to instance `i`, through the share row
/// `s` joined for them: the owner's, or a share's while it is in force (AX-2), else NULL.
pub fn access_sql(user: &str) -> String {
    format!(
        "CASE WHEN i.owner_id = {user} THEN 'owner' WHEN {} THEN s.access END",
        crate::integrations::repo::in_force_sql("s")
    )
}

/// The user's access to an instance. With `lock`, the instance row is locked
/// first, in its own statement: under READ COMMITTED the access is then read from
/// a snapshot taken after any concurrent share change on this instance committed.
/// (A single `... FOR UPDATE OF i` would re-check the instance row after waiting,
/// yet still read the share row from its old snapshot.)
pub async fn access_of(
    conn: &mut PgConnection,
    id: Uuid,
    user: Uuid,
    lock: bool,
) -> Result<Option<InstanceAccess>, sqlx::Error> {
    if lock {
        let found: Option<(i32,)> =
            sqlx::query_as("SELECT 1 FROM app_instances WHERE id = $1 FOR UPDATE")
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?;
        if found.is_none() {
            return Ok(None);
        }
    }
    let row: Option<(Option<String>,)> = sqlx::query_as(&format!(
        "SELECT {} FROM app_instances i \
         LEFT JOIN instance_shares s ON s.instance_id = i.id AND s.user_id = $2 WHERE i.id = $1",
        access_sql("$2")
    ))
    .bind(id)
    .bind(user)
    .fetch_optional(conn)
    .await?;
    row.and_then(|(a,)| a).map(|a| access(&a)).transpose()
}

pub async fn list_for(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<Vec<InstanceSummary>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String, String, String)> = sqlx::query_as(&format!(
        "SELECT i.id, i.name, i.app, i.status, u.name, {a} \
         FROM app_instances i JOIN users u ON u.id = i.owner_id \
         LEFT JOIN instance_shares s ON s.instance_id = i.id AND s.user_id = $1 \
         WHERE {a} IS NOT NULL ORDER BY lower(i.name), i.id",
        a = access_sql("$1")
    ))
    .bind(user)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(id, name, app, status, owner_name, a)| {
            Ok(InstanceSummary {
                id,
                name,
                app,
                status,
                owner_name,
                access: access(&a)?,
            })
        })
        .collect()
}

pub struct InstanceRow {
    pub name: String,
    pub app: String,
    pub status: String,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub owner_email: String,
    pub config: Vec<ConfigEntry>,
}

pub async fn instance(conn: &mut PgConnection, id: Uuid) -> Result<InstanceRow, sqlx::Error> {
    let (name, app, status, owner_id, owner_name, owner_email, Json(config)): (
        String,
        String,
        String,
        Uuid,
        String,
        String,
        Json<Vec<ConfigEntry>>,
    ) = sqlx::query_as(
        "SELECT i.name, i.app, i.status, i.owner_id, u.name, u.email, i.config FROM app_instances i \
         JOIN users u ON u.id = i.owner_id WHERE i.id = $1",
    )
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(InstanceRow {
        name,
        app,
        status,
        owner_id,
        owner_name,
        owner_email,
        config,
    })
}

/// Everything the instance page shows, with the viewer's access, in one statement (one
/// snapshot, one round trip): `None` when the instance does not exist; `access: None` (and
/// nothing else) when the viewer holds nothing on it. The viewer's own share counts as
/// opened from this read on (the same statement records it). Shares and invitations come
/// whatever the access; the policy decides who sees them.
pub async fn detail(
    conn: &mut PgConnection,
    id: Uuid,
    user: Uuid,
) -> Result<Option<InstanceRead>, sqlx::Error> {
    type Row = (
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<Json<Vec<ConfigEntry>>>,
        Option<Json<Vec<LoginView>>>,
        Option<Json<Vec<ShareView>>>,
        Option<Json<Vec<super::InstanceInviteView>>>,
        Option<Json<Vec<RunView>>>,
        i64,
        Option<DateTime<Utc>>,
    );
    let row: Option<Row> = sqlx::query_as(&detail_sql())
        .bind(id)
        .bind(user)
        .bind(super::INSTANCE_INVITE_DAYS)
        .fetch_optional(conn)
        .await?;
    let Some((
        a,
        name,
        app,
        status,
        owner_name,
        owner_email,
        config,
        logins,
        shares,
        invites,
        runs,
        epoch,
        until,
    )) = row
    else {
        return Ok(None);
    };
    let a = a.map(|a| access(&a)).transpose()?;
    let data = match (
        name,
        app,
        status,
        owner_name,
        owner_email,
        config,
        logins,
        shares,
        invites,
        runs,
    ) {
        (
            Some(name),
            Some(app),
            Some(status),
            Some(owner_name),
            Some(owner_email),
            Some(Json(config)),
            Some(Json(logins)),
            Some(Json(shares)),
            Some(Json(invites)),
            Some(Json(runs)),
        ) if a.is_some() => Some(DetailRow {
            name,
            app,
            status,
            owner_name,
            owner_email,
            config,
            logins,
            shares,
            invites,
            runs,
        }),
        _ => None,
    };
    Ok(Some(InstanceRead {
        epoch,
        until,
        access: a,
        row: data,
    }))
}

/// The instance page's statement: the viewer's access (a share seen for the first time is
/// marked seen) and the page; beside them, the read epoch of this snapshot and the next
/// date at which the viewer's share starts or ends, for `server::kept`.
pub fn detail_sql() -> String {
    format!(
        "WITH me AS ( \
           SELECT i.id, {} AS access, \
                  least(CASE WHEN s.starts_at > now() THEN s.starts_at END, \
                        CASE WHEN s.ends_at > now() THEN s.ends_at END) AS until \
           FROM app_instances i LEFT JOIN instance_shares s ON s.instance_id = i.id AND s.user_id = $2 \
           WHERE i.id = $1), \
         seen AS ( \
           UPDATE instance_shares SET seen_at = now() \
           WHERE instance_id = $1 AND user_id = $2 AND seen_at IS NULL RETURNING user_id) \
         SELECT me.access, i.name, i.app, i.status, u.name, u.email, i.config, \
           (SELECT coalesce(json_agg(json_build_object('id', l.id, 'username', l.username, 'secret_set', true) \
                    ORDER BY l.created_at, l.id), '[]') \
              FROM instance_logins l WHERE l.instance_id = i.id), \
           (SELECT coalesce(json_agg(json_build_object('user_id', su.id, 'name', su.name, 'email', su.email, \
                    'access', s.access) ORDER BY lower(su.name), su.id), '[]') \
              FROM instance_shares s JOIN users su ON su.id = s.user_id \
              WHERE s.instance_id = i.id AND (s.seen_at IS NOT NULL OR s.user_id = $2)), \
           (SELECT coalesce(json_agg(json_build_object('email', v.email, 'access', v.access, \
                    'expires_at', v.expires_at) ORDER BY v.email), '[]') \
              FROM (SELECT email, access, expires_at FROM instance_invites WHERE instance_id = i.id \
                    UNION ALL \
                    SELECT su.email, s.access, s.shared_at + make_interval(days => $3) \
                    FROM instance_shares s JOIN users su ON su.id = s.user_id \
                    WHERE s.instance_id = i.id AND s.seen_at IS NULL AND s.user_id <> $2) v), \
           (SELECT coalesce(json_agg(json_build_object('at', r.at, 'by', coalesce(ru.name, 'a former user')) \
                    ORDER BY r.at DESC, r.id DESC), '[]') \
              FROM (SELECT * FROM instance_runs WHERE instance_id = i.id ORDER BY at DESC, id DESC LIMIT 10) r \
              LEFT JOIN users ru ON ru.id = r.run_by), \
           (SELECT n FROM read_epoch), me.until \
         FROM me LEFT JOIN app_instances i ON i.id = me.id AND me.access IS NOT NULL \
         LEFT JOIN users u ON u.id = i.owner_id",
        access_sql("$2")
    )
}

/// The instance page as read for one viewer: their access (None: none) and, with it,
/// the page; with the read epoch of its snapshot and the date until which it holds.
pub struct InstanceRead {
    pub epoch: i64,
    pub until: Option<DateTime<Utc>>,
    pub access: Option<InstanceAccess>,
    pub row: Option<DetailRow>,
}

/// The instance page's data (see [`detail`]).
pub struct DetailRow {
    pub name: String,
    pub app: String,
    pub status: String,
    pub owner_name: String,
    pub owner_email: String,
    pub config: Vec<ConfigEntry>,
    pub logins: Vec<LoginView>,
    pub shares: Vec<ShareView>,
    pub invites: Vec<super::InstanceInviteView>,
    pub runs: Vec<RunView>,
}

pub async fn insert(
    conn: &mut PgConnection,
    owner: Uuid,
    name: &str,
    app: &str,
    config: &[ConfigEntry],
) -> Result<Uuid, sqlx::Error> {
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO app_instances (owner_id, name, app, config) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(owner)
    .bind(name)
    .bind(app)
    .bind(Json(config))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
    config: &[ConfigEntry],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE app_instances SET name = $2, config = $3, updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(Json(config))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE app_instances SET status = $2, updated_at = now() WHERE id = $1")
        .bind(id)
        .bind(status)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn record_run(conn: &mut PgConnection, id: Uuid, by: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO instance_runs (instance_id, run_by) VALUES ($1, $2)")
        .bind(id)
        .bind(by)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn delete(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM app_instances WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns the previous access, if the user already had a share.
pub async fn upsert_share(
    conn: &mut PgConnection,
    id: Uuid,
    user: Uuid,
    a: InstanceAccess,
    by: Uuid,
    dates: &crate::access::RoadDates,
) -> Result<Option<InstanceAccess>, sqlx::Error> {
    let before: Option<(String,)> = sqlx::query_as(
        "SELECT access FROM instance_shares WHERE instance_id = $1 AND user_id = $2 FOR UPDATE",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO instance_shares (instance_id, user_id, access, shared_by, starts_at, ends_at) VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (instance_id, user_id) DO UPDATE SET access = EXCLUDED.access, shared_by = EXCLUDED.shared_by, \
           starts_at = CASE WHEN $7 THEN EXCLUDED.starts_at ELSE instance_shares.starts_at END, \
           ends_at = CASE WHEN $7 THEN EXCLUDED.ends_at ELSE instance_shares.ends_at END, \
           reminded_at = CASE WHEN $7 THEN NULL ELSE instance_shares.reminded_at END, \
           shared_at = CASE WHEN instance_shares.seen_at IS NULL THEN now() ELSE instance_shares.shared_at END",
    )
    .bind(id)
    .bind(user)
    .bind(a.as_str())
    .bind(by)
    .bind(dates.starts_at)
    .bind(dates.ends_at)
    // A share changed without dates keeps its dates (the access form carries none);
    // any date given replaces both, so the pair stays as it was checked.
    .bind(dates.starts_at.is_some() || dates.ends_at.is_some())
    .execute(conn)
    .await?;
    before.map(|(b,)| access(&b)).transpose()
}

pub async fn delete_share(
    conn: &mut PgConnection,
    id: Uuid,
    user: Uuid,
) -> Result<Option<InstanceAccess>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "DELETE FROM instance_shares WHERE instance_id = $1 AND user_id = $2 RETURNING access",
    )
    .bind(id)
    .bind(user)
    .fetch_optional(conn)
    .await?;
    row.map(|(a,)| access(&a)).transpose()
}

pub async fn insert_login(
    conn: &mut PgConnection,
    id: Uuid,
    username: &str,
    sealed: &Sealed,
) -> Result<Uuid, sqlx::Error> {
    let (login,): (Uuid,) = sqlx::query_as(
        "INSERT INTO instance_logins (instance_id, username, secret_key_id, secret_nonce, secret_ciphertext) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(id)
    .bind(username)
    .bind(&sealed.key_id)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .fetch_one(conn)
    .await?;
    Ok(login)
}

/// Replace a login's secret; returns its username, or None when the login is not on this instance.
pub async fn replace_secret(
    conn: &mut PgConnection,
    id: Uuid,
    login: Uuid,
    sealed: &Sealed,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "UPDATE instance_logins SET secret_key_id = $3, secret_nonce = $4, secret_ciphertext = $5 \
         WHERE id = $2 AND instance_id = $1 RETURNING username",
    )
    .bind(id)
    .bind(login)
    .bind(&sealed.key_id)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(u,)| u))
}

pub async fn delete_login(
    conn: &mut PgConnection,
    id: Uuid,
    login: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "DELETE FROM instance_logins WHERE id = $2 AND instance_id = $1 RETURNING username",
    )
    .bind(id)
    .bind(login)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|(u,)| u))
}

/// The user whose verified address this is.
pub async fn verified_user_by_email(
    conn: &mut PgConnection,
    email: &str,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as("SELECT id, name FROM users WHERE email = $1 AND email_verified_at IS NOT NULL")
        .bind(email)
        .fetch_optional(conn)
        .await
}

/// Invite an address with no account (IN-2); returns the previous access, if invited before.
pub async fn upsert_invite(
    conn: &mut PgConnection,
    id: Uuid,
    email: &str,
    a: InstanceAccess,
    by: Uuid,
    dates: &crate::access::RoadDates,
) -> Result<Option<InstanceAccess>, sqlx::Error> {
    let before: Option<(String,)> = sqlx::query_as(
        "SELECT access FROM instance_invites WHERE instance_id = $1 AND email = $2 AND expires_at > now() FOR UPDATE",
    )
    .bind(id)
    .bind(email)
    .fetch_optional(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO instance_invites (instance_id, email, access, invited_by, expires_at, starts_at, ends_at) \
         VALUES ($1, $2, $3, $4, now() + make_interval(days => $5), $6, $7) \
         ON CONFLICT (instance_id, email) DO UPDATE SET access = EXCLUDED.access, \
           invited_by = EXCLUDED.invited_by, invited_at = now(), expires_at = EXCLUDED.expires_at, \
           starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at",
    )
    .bind(id)
    .bind(email)
    .bind(a.as_str())
    .bind(by)
    .bind(super::INSTANCE_INVITE_DAYS)
    .bind(dates.starts_at)
    .bind(dates.ends_at)
    .execute(conn)
    .await?;
    before.map(|(b,)| access(&b)).transpose()
}

/// Cancel what the owner sees as an invitation to `email`: an open invitation, or a share
/// its person has not opened yet (one statement; the owner cannot tell them apart).
pub async fn delete_invite(
    conn: &mut PgConnection,
    id: Uuid,
    email: &str,
) -> Result<Option<InstanceAccess>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as(
        "WITH invite AS (DELETE FROM instance_invites WHERE instance_id = $1 AND email = $2 RETURNING access), \
              share AS (DELETE FROM instance_shares s USING users u WHERE s.instance_id = $1 AND s.user_id = u.id \
                        AND u.email = $2 AND s.seen_at IS NULL RETURNING s.access) \
         SELECT access FROM invite UNION ALL SELECT access FROM share LIMIT 1",
    )
    .bind(id)
    .bind(email)
    .fetch_optional(conn)
    .await?;
    row.map(|(a,)| access(&a)).transpose()
}

/// The person a share was made for opened the instance: from now on the owner sees their
/// name in the share list.
pub async fn mark_seen(conn: &mut PgConnection, id: Uuid, user: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE instance_shares SET seen_at = now() WHERE instance_id = $1 AND user_id = $2 AND seen_at IS NULL")
        .bind(id)
        .bind(user)
        .execute(conn)
        .await?;
    Ok(())
}

/// Turn every open invitation to `email` into a share of `user`, who has just proved the
/// address is theirs; one statement each for the shares, their history, and the invites.
pub async fn claim_invites(
    conn: &mut PgConnection,
    user: Uuid,
    email: &str,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "WITH open AS ( \
           DELETE FROM instance_invites v USING app_instances i \
           WHERE v.email = $2 AND i.id = v.instance_id AND v.expires_at > now() AND i.owner_id <> $1 \
           RETURNING v.instance_id, v.access, v.invited_by, v.invited_at, v.starts_at, v.ends_at), \
         shared AS ( \
           INSERT INTO instance_shares (instance_id, user_id, access, shared_at, shared_by, starts_at, ends_at) \
           SELECT instance_id, $1, access, invited_at, invited_by, starts_at, ends_at FROM open \
           ON CONFLICT (instance_id, user_id) DO NOTHING RETURNING instance_id, access) \
         INSERT INTO history (actor_id, action, instance_id, subject, target, after) \
         SELECT o.invited_by, 'instance.shared', s.instance_id, 'user:' || $1, $2, jsonb_build_object('access', s.access, 'via', 'invitation') \
         FROM shared s JOIN open o ON o.instance_id = s.instance_id",
    )
    .bind(user)
    .bind(email)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
