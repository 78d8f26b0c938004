//! App-instance rules: every call reads the caller's access in its own transaction
//! (locking the instance when it will write) and asks the policy before acting.
use super::{clean_app, clean_config, repo, ConfigEntry, InstanceDetail, InstancesPage};
use crate::access::RoadDates;
use crate::auth::CurrentUser;
use crate::domain::email::EmailAddress;
use crate::domain::policy::{self, InstanceAction};
use crate::domain::roles::InstanceAccess;
use crate::domain::validate;
use crate::error::AppError;
use crate::server::crypto::Secret;
use crate::server::history::{self, Entry};
use crate::server::Actor;
use crate::server::{mail, AppState};
use serde_json::json;
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

/// Begin, identify the caller, lock the instance and check `action` against their access.
async fn authorize(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    action: InstanceAction,
) -> Result<(Transaction<'static, Postgres>, CurrentUser, InstanceAccess), AppError> {
    let mut tx = st.pool.begin().await?;
    let access = repo::access_of(&mut tx, id, me.id, true).await?;
    policy::instance(access, action)?;
    let access = access.ok_or(AppError::NotFound)?;
    // Using a shared instance is opening it: from now on its owner sees who they are.
    if access != InstanceAccess::Owner {
        repo::mark_seen(&mut tx, id, me.id).await?;
    }
    Ok((tx, me.user.clone(), access))
}

/// The owner's transaction on their instance, locked (for what only the owner does).
pub(crate) async fn owner_tx(
    st: &AppState,
    me: &Actor,
    id: Uuid,
) -> Result<(Transaction<'static, Postgres>, CurrentUser), AppError> {
    let (tx, user, _) = authorize(st, me, id, InstanceAction::ViewAccess).await?;
    Ok((tx, user))
}

async fn record(
    conn: &mut PgConnection,
    me: &CurrentUser,
    id: Uuid,
    action: &str,
    target: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), AppError> {
    history::record(
        conn,
        Entry {
            actor_id: Some(me.id),
            action,
            instance_id: Some(id),
            subject: Some(format!("instance:{id}")),
            target,
            before,
            after,
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

fn clean_name(name: &str) -> Result<String, AppError> {
    validate::name(name, "name").map_err(|m| AppError::validation("name", m))
}

fn clean_secret(secret: String) -> Result<Secret, AppError> {
    let n = secret.chars().count();
    if n == 0 {
        return Err(AppError::validation(
            "secret",
            "Enter the secret (password or API token).",
        ));
    }
    if n > 4096 {
        return Err(AppError::validation(
            "secret",
            "The secret is longer than 4096 characters.",
        ));
    }
    Ok(Secret::new(secret))
}

fn clean_username(u: &str) -> Result<String, AppError> {
    let u = u.trim();
    if u.is_empty() || u.chars().count() > 200 {
        return Err(AppError::validation(
            "username",
            "Enter a username of at most 200 characters.",
        ));
    }
    Ok(u.to_string())
}

pub async fn list(st: &AppState, me: &Actor) -> Result<InstancesPage, AppError> {
    let mut conn = st.pool.acquire().await?;
    let all = repo::list_for(&mut conn, me.id).await?;
    let (mine, shared) = all
        .into_iter()
        .partition(|i| i.access == InstanceAccess::Owner);
    Ok(InstancesPage { mine, shared })
}

/// The caller's current access, or None: what an open page polls to notice a revoke.
pub async fn access(
    st: &AppState,
    me: &Actor,
    id: Uuid,
) -> Result<Option<InstanceAccess>, AppError> {
    let mut conn = st.pool.acquire().await?;
    Ok(repo::access_of(&mut conn, id, me.id, false).await?)
}

pub async fn detail(st: &AppState, me: &Actor, id: Uuid) -> Result<InstanceDetail, AppError> {
    // One statement: the viewer's access and the page (no transaction needed: one
    // statement sees one snapshot). The SQL brings the facts; the policy decides. Read
    // again only when something it rests on changed or the viewer's share started or
    // ended since (server::kept): then the request costs only the session statement.
    let key = (id, me.id);
    let kept = st.kept.instances.for_caller(st.config.keep_reads, me, &key);
    let read = match kept {
        Some(read) => Some(read),
        None => {
            let mut conn = st.pool.acquire().await?;
            repo::detail(&mut conn, id, me.id).await?.map(|r| {
                let weight = r.row.as_ref().map(|p| {
                    1 + p.config.len()
                        + p.logins.len()
                        + p.shares.len()
                        + p.invites.len()
                        + p.runs.len()
                });
                let read = std::sync::Arc::new(r);
                if let Some(weight) = weight {
                    st.kept
                        .instances
                        .keep(key, read.epoch, read.until, weight, read.clone());
                }
                read
            })
        }
    };
    let access = read.as_ref().and_then(|r| r.access);
    policy::instance(access, InstanceAction::View)?;
    let (Some(access), Some(row)) = (access, read.as_ref().and_then(|r| r.row.as_ref())) else {
        return Err(AppError::NotFound);
    };
    let (shares, invites) = if policy::instance(Some(access), InstanceAction::Share).is_ok() {
        (row.shares.clone(), row.invites.clone())
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(InstanceDetail {
        id,
        name: row.name.clone(),
        app: row.app.clone(),
        status: row.status.clone(),
        owner_name: row.owner_name.clone(),
        owner_email: row.owner_email.clone(),
        access,
        config: row.config.clone(),
        logins: row.logins.clone(),
        shares,
        invites,
        runs: row.runs.clone(),
    })
}

pub async fn install(
    st: &AppState,
    me: &Actor,
    name: &str,
    app: &str,
    config: Vec<ConfigEntry>,
    username: &str,
    secret: String,
) -> Result<Uuid, AppError> {
    // Who is asking comes first; a stranger's input is never examined.
    let mut tx = st.pool.begin().await?;
    let name = clean_name(name)?;
    let app = clean_app(app).map_err(|m| AppError::validation("app", m))?;
    let config = clean_config(config).map_err(|m| AppError::validation("config", m))?;
    let login = if username.trim().is_empty() && secret.is_empty() {
        None
    } else {
        Some((clean_username(username)?, clean_secret(secret)?))
    };
    let id = repo::insert(&mut tx, me.id, &name, &app, &config).await?;
    if let Some((username, secret)) = &login {
        repo::insert_login(&mut tx, id, username, &st.config.keyring.seal(secret)).await?;
    }
    record(
        &mut tx,
        me,
        id,
        "instance.installed",
        None,
        None,
        Some(json!({ "name": name, "app": app })),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn edit(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    name: &str,
    config: Vec<ConfigEntry>,
) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, InstanceAction::Edit).await?;
    let name = clean_name(name)?;
    let config = clean_config(config).map_err(|m| AppError::validation("config", m))?;
    let before = repo::instance(&mut tx, id).await?;
    repo::update(&mut tx, id, &name, &config).await?;
    record(
        &mut tx,
        &me,
        id,
        "instance.edited",
        None,
        Some(json!({ "name": before.name, "config": before.config.iter().map(|e| &e.key).collect::<Vec<_>>() })),
        Some(json!({ "name": name, "config": config.iter().map(|e| &e.key).collect::<Vec<_>>() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete(st: &AppState, me: &Actor, id: Uuid) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, InstanceAction::Delete).await?;
    let row = repo::instance(&mut tx, id).await?;
    repo::delete(&mut tx, id).await?;
    record(
        &mut tx,
        &me,
        id,
        "instance.deleted",
        None,
        Some(json!({ "name": row.name, "app": row.app })),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Run (`run = true`: records who ran it) or stop the instance.
pub async fn set_running(st: &AppState, me: &Actor, id: Uuid, run: bool) -> Result<(), AppError> {
    let action = if run {
        InstanceAction::Run
    } else {
        InstanceAction::Stop
    };
    let (mut tx, me, _) = authorize(st, me, id, action).await?;
    if run {
        repo::set_status(&mut tx, id, "running").await?;
        repo::record_run(&mut tx, id, me.id).await?;
    } else {
        repo::set_status(&mut tx, id, "stopped").await?;
    }
    record(
        &mut tx,
        &me,
        id,
        if run {
            "instance.run"
        } else {
            "instance.stopped"
        },
        None,
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Copy name, app and configuration into a new instance of the caller's; never the logins (IN-3).
pub async fn clone(st: &AppState, me: &Actor, id: Uuid) -> Result<Uuid, AppError> {
    let (mut tx, me, _) = authorize(st, me, id, InstanceAction::Clone).await?;
    let row = repo::instance(&mut tx, id).await?;
    let name: String = format!("{} (copy)", row.name).chars().take(200).collect();
    let new_id = repo::insert(&mut tx, me.id, &name, &row.app, &row.config).await?;
    record(
        &mut tx,
        &me,
        id,
        "instance.cloned",
        Some(format!("instance:{new_id}")),
        None,
        None,
    )
    .await?;
    record(
        &mut tx,
        &me,
        new_id,
        "instance.installed",
        None,
        None,
        Some(json!({ "cloned_from": id, "name": name })),
    )
    .await?;
    tx.commit().await?;
    Ok(new_id)
}

pub async fn share(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    email: &str,
    access: &str,
) -> Result<(), AppError> {
    share_dated(st, me, id, email, access, &RoadDates::default()).await
}

/// As `share`, with the share's start and end (AX-2).
pub async fn share_dated(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    email: &str,
    access: &str,
    dates: &RoadDates,
) -> Result<(), AppError> {
    crate::access::service::check_new_dates(dates)?;
    if dates.then_collaborator {
        return Err(AppError::validation(
            "then_collaborator",
            "Only a team admin's end can leave them collaborator.",
        ));
    }
    let email = EmailAddress::parse(email).map_err(|m| AppError::validation("email", m))?;
    let access = match InstanceAccess::parse(access) {
        Some(a @ (InstanceAccess::Read | InstanceAccess::Write)) => a,
        _ => return Err(AppError::validation("access", "Choose read or write.")),
    };
    let (mut tx, me, _) = authorize(st, me, id, InstanceAction::Share).await?;
    // Sharing mails people: only from a proved address, and within an hourly budget.
    if !me.email_verified {
        return Err(AppError::validation(
            "email",
            "Verify your email address before you share: sharing sends mail.",
        ));
    }
    // One sharer's budget is counted under a lock of their own, whichever instance.
    crate::server::hold_locks(&mut tx, &[format!("share:{}", me.id)]).await?;
    let (sent,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM history WHERE actor_id = $1 AND action IN ('instance.shared', 'instance.invited', 'instance.share_changed') \
         AND at > now() - interval '1 hour'",
    )
    .bind(me.id)
    .fetch_one(&mut *tx)
    .await?;
    if sent >= SHARES_PER_HOUR {
        return Err(AppError::TooManyRequests(format!(
            "You shared with {SHARES_PER_HOUR} people in the last hour. Wait a while and try again."
        )));
    }
    // Only a verified address is someone's for sure; any other gets an invitation, and the
    // answer is the same either way (it does not tell who has an account).
    let Some((user, _)) = repo::verified_user_by_email(&mut tx, email.as_str()).await? else {
        return invite_by_mail(st, tx, &me, id, &email, access, dates).await;
    };
    if user == me.id {
        return Err(AppError::validation(
            "email",
            "That is you: you own this instance already.",
        ));
    }
    let before = repo::upsert_share(&mut tx, id, user, access, me.id, dates).await?;
    if before.is_none() {
        let row = repo::instance(&mut tx, id).await?;
        let body = format!(
            "Hello,\n\n{} ({}) shared the app instance \"{}\" with you on Gatehouse ({} access):\n\n{}\n",
            me.name,
            me.email,
            row.name,
            access.as_str(),
            st.config.link(&format!("/instances/{id}")),
        );
        mail::enqueue(
            &mut tx,
            email.as_str(),
            &format!("{} shared \"{}\" with you", me.name, row.name),
            &body,
        )
        .await?;
    }
    let action = if before.is_some() {
        "instance.share_changed"
    } else {
        "instance.shared"
    };
    record(
        &mut tx,
        &me,
        id,
        action,
        Some(format!("user:{user}")),
        before.map(|b| json!({ "access": b.as_str() })),
        Some(json!({ "access": access.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Shares and invitations one person may send in an hour (each sends a mail).
pub const SHARES_PER_HOUR: i64 = 50;

/// Share with an address that has no verified account: an invitation by mail, which
/// becomes a share when the address is verified (IN-2).
async fn invite_by_mail(
    st: &AppState,
    mut tx: Transaction<'static, Postgres>,
    me: &CurrentUser,
    id: Uuid,
    email: &EmailAddress,
    access: InstanceAccess,
    dates: &RoadDates,
) -> Result<(), AppError> {
    let before = repo::upsert_invite(&mut tx, id, email.as_str(), access, me.id, dates).await?;
    let row = repo::instance(&mut tx, id).await?;
    let body =
        format!(
        "Hello,\n\n{} ({}) shared the app instance \"{}\" with you on Gatehouse ({} access).\n\n\
         To open it, sign up (or sign in) with this address, {email}, and confirm it:\n\n{}\n\n\
         The invitation waits {} days. If you do not know {}, ignore this message.\n",
        me.name,
        me.email,
        row.name,
        access.as_str(),
        st.config
            .link(&format!("/signup?next={}", validate::query_value(&format!("/instances/{id}")))),
        super::INSTANCE_INVITE_DAYS,
        me.name,
    );
    mail::enqueue(
        &mut tx,
        email.as_str(),
        &format!("{} shared \"{}\" with you", me.name, row.name),
        &body,
    )
    .await?;
    record(
        &mut tx,
        me,
        id,
        "instance.invited",
        Some(email.to_string()),
        before.map(|b| json!({ "access": b.as_str() })),
        Some(json!({ "access": access.as_str() })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Withdraw an invitation to an address that has not signed up yet.
pub async fn cancel_invite(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    email: &str,
) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, InstanceAction::Share).await?;
    let email = EmailAddress::parse(email).map_err(|_| AppError::NotFound)?;
    let before = repo::delete_invite(&mut tx, id, email.as_str())
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        &mut tx,
        &me,
        id,
        "instance.invite_cancelled",
        Some(email.to_string()),
        Some(json!({ "access": before.as_str() })),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn revoke(st: &AppState, me: &Actor, id: Uuid, user: Uuid) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, InstanceAction::Share).await?;
    let before = repo::delete_share(&mut tx, id, user)
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        &mut tx,
        &me,
        id,
        "instance.share_revoked",
        Some(format!("user:{user}")),
        Some(json!({ "access": before.as_str() })),
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_login(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    username: &str,
    secret: String,
) -> Result<Uuid, AppError> {
    let username = clean_username(username)?;
    let secret = clean_secret(secret)?;
    let (mut tx, me, _) = authorize(st, me, id, InstanceAction::EditLogin).await?;
    let login =
        repo::insert_login(&mut tx, id, &username, &st.config.keyring.seal(&secret)).await?;
    record(
        &mut tx,
        &me,
        id,
        "instance.login_added",
        Some(format!("login:{username}")),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(login)
}

pub async fn replace_secret(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    login: Uuid,
    secret: String,
) -> Result<(), AppError> {
    let secret = clean_secret(secret)?;
    let (mut tx, me, _) = authorize(st, me, id, InstanceAction::EditLogin).await?;
    let username = repo::replace_secret(&mut tx, id, login, &st.config.keyring.seal(&secret))
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        &mut tx,
        &me,
        id,
        "instance.login_secret_replaced",
        Some(format!("login:{username}")),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_login(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    login: Uuid,
) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, InstanceAction::EditLogin).await?;
    let username = repo::delete_login(&mut tx, id, login)
        .await?
        .ok_or(AppError::NotFound)?;
    record(
        &mut tx,
        &me,
        id,
        "instance.login_deleted",
        Some(format!("login:{username}")),
        None,
        None,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Re-seal every secret that is not under the current key, in batches, each in
/// one set-based UPDATE. Returns how many were re-sealed.
pub async fn rotate_secrets(
    pool: &sqlx::PgPool,
    keyring: &crate::server::crypto::Keyring,
) -> Result<u64, AppError> {
    use crate::server::crypto::Sealed;
    let mut total = 0;
    // Instance logins, and the platform's webhook signing secrets (PL-3).
    for table in ["instance_logins", "webhook_endpoints"] {
        loop {
            let mut tx = pool.begin().await?;
            let rows: Vec<(Uuid, String, Vec<u8>, Vec<u8>)> = sqlx::query_as(&format!(
                "SELECT id, secret_key_id, secret_nonce, secret_ciphertext FROM {table} \
                 WHERE secret_key_id <> $1 ORDER BY id LIMIT 500 FOR UPDATE"
            ))
            .bind(keyring.current_id())
            .fetch_all(&mut *tx)
            .await?;
            if rows.is_empty() {
                break;
            }
            let (mut ids, mut nonces, mut cts) = (Vec::new(), Vec::new(), Vec::new());
            for (id, key_id, nonce, ciphertext) in rows {
                let secret = keyring
                    .open(&Sealed {
                        key_id,
                        nonce,
                        ciphertext,
                    })
                    .map_err(|e| AppError::internal(format!("{table} {id}: {e}")))?;
                let sealed = keyring.seal(&secret);
                ids.push(id);
                nonces.push(sealed.nonce);
                cts.push(sealed.ciphertext);
            }
            let done = sqlx::query(&format!(
                "UPDATE {table} l SET secret_key_id = $1, secret_nonce = n.nonce, secret_ciphertext = n.ct \
                 FROM unnest($2::uuid[], $3::bytea[], $4::bytea[]) AS n(id, nonce, ct) WHERE l.id = n.id"
            ))
            .bind(keyring.current_id())
            .bind(&ids)
            .bind(&nonces)
            .bind(&cts)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            total += done;
        }
    }
    Ok(total)
}
