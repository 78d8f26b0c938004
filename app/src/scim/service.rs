//! SCIM Users and Groups over Postgres, for one account's identity provider (OF-7, AM-4).
//! Membership changes go through the same services as the Members screen: a role change
//! is `accounts::service::apply_role`, deprovisioning is `members::service::deprovision`
//! (the OF-3 transfer), both decided by `policy::provisioner`.
use super::protocol::{self, Attr, Cond, ScimError, UserChange, GROUP_SCHEMA, USER_SCHEMA};
use super::tokens::Provisioner;
use crate::domain::email::EmailAddress;
use crate::domain::policy::{self, AccountAction};
use crate::domain::roles::AccountRole;
use crate::server::history::{self, Entry};
use crate::server::{mail, AppState};
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{PgConnection, Postgres, Transaction};
use uuid::Uuid;

type Tx = Transaction<'static, Postgres>;

/// The groups: the account's roles. The owner's is read-only.
pub const GROUPS: [&str; 4] = ["owner", "super_admin", "admin", "member"];

#[derive(sqlx::FromRow, Clone)]
struct UserRow {
    id: Uuid,
    user_id: Uuid,
    user_name: String,
    external_id: Option<String>,
    given_name: Option<String>,
    family_name: Option<String>,
    display_name: Option<String>,
    email: String,
    active: bool,
    /// False while an existing Gatehouse user has not yet accepted the identity provider's
    /// invitation: they are provisioned, but no member.
    consented: bool,
    saved_role: String,
    role: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

const USER_SELECT: &str = "SELECT s.id, s.user_id, s.user_name, s.external_id, s.given_name, s.family_name, \
       s.display_name, coalesce(s.email, u.email) AS email, s.active, s.consented, s.role AS saved_role, m.role, \
       s.created_at, s.updated_at \
    FROM scim_users s JOIN users u ON u.id = s.user_id \
    LEFT JOIN account_members m ON m.account_id = s.account_id AND m.user_id = s.user_id \
    WHERE s.account_id = $1 AND s.deleted_at IS NULL";

fn user_doc(base: &str, r: &UserRow) -> Value {
    let formatted = [r.given_name.as_deref(), r.family_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    // Only what the identity provider itself sent: never the name a person gave their
    // Gatehouse login (an account cannot learn it by provisioning their address).
    let mut doc = json!({
        "schemas": [USER_SCHEMA],
        "id": r.id,
        "userName": r.user_name,
        "name": {
            "givenName": r.given_name,
            "familyName": r.family_name,
            "formatted": (!formatted.is_empty()).then_some(&formatted),
        },
        "displayName": r.display_name.clone().or((!formatted.is_empty()).then_some(formatted.clone())),
        "emails": [{ "value": r.email, "type": "work", "primary": true }],
        "active": r.active,
        "groups": r.role.iter().map(|g| json!({
            "value": g, "display": g, "$ref": format!("{base}/Groups/{g}"),
        })).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "User",
            "created": r.created_at,
            "lastModified": r.updated_at,
            "location": format!("{base}/Users/{}", r.id),
        },
    });
    if let Some(x) = &r.external_id {
        doc["externalId"] = json!(x);
    }
    doc
}

/// A path id: anything but a uuid is simply not found (as a wrong id is).
fn id_of(text: &str) -> Result<Uuid, ScimError> {
    Uuid::parse_str(text).map_err(|_| ScimError::not_found())
}

fn writable(p: &Provisioner) -> Result<(), ScimError> {
    if p.enabled {
        Ok(())
    } else {
        Err(ScimError::new(
            403,
            None,
            "SCIM provisioning is off for this account: switch it on in Gatehouse (Members → SCIM settings).",
        ))
    }
}

async fn load(conn: &mut PgConnection, p: &Provisioner, id: Uuid) -> Result<UserRow, ScimError> {
    let row: Option<UserRow> = sqlx::query_as(&format!("{USER_SELECT} AND s.id = $2"))
        .bind(p.account)
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.ok_or_else(ScimError::not_found)
}

/// Lock the account's membership (removals, roles, invitations and SCIM take turns) and
/// the identity `id`.
async fn begin(st: &AppState, p: &Provisioner) -> Result<Tx, ScimError> {
    let mut tx = st.pool.begin().await?;
    crate::server::hold_locks(&mut tx, &[format!("members:{}", p.account)]).await?;
    Ok(tx)
}

pub async fn get_user(st: &AppState, p: &Provisioner, id: &str) -> Result<Value, ScimError> {
    let id = id_of(id)?;
    let mut conn = st.pool.acquire().await?;
    Ok(user_doc(
        &super::tokens::base_url(st),
        &load(&mut conn, p, id).await?,
    ))
}

fn condition(c: &Cond, n: usize) -> String {
    match c.attr {
        Attr::Id => format!("s.id::text = ${n}"),
        Attr::UserName => format!("lower(s.user_name) = lower(${n})"),
        Attr::ExternalId => format!("s.external_id = ${n}"),
        Attr::DisplayName => format!(
            "coalesce(s.display_name, nullif(concat_ws(' ', s.given_name, s.family_name), '')) = ${n}"
        ),
        Attr::Email => format!("lower(coalesce(s.email, u.email)) = lower(${n})"),
    }
}

/// List Users, filtered (`eq` terms joined by `and`) and paged (`startIndex`, `count`).
pub async fn list_users(
    st: &AppState,
    p: &Provisioner,
    filter: Option<&str>,
    start: Option<i64>,
    count: Option<i64>,
) -> Result<Value, ScimError> {
    let conds = match filter.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => protocol::filter(f)?,
        None => Vec::new(),
    };
    let (start, count) = protocol::page(start, count);
    let mut sql = format!("SELECT *, count(*) OVER () AS total FROM ({USER_SELECT}");
    for (i, c) in conds.iter().enumerate() {
        sql.push_str(" AND ");
        sql.push_str(&condition(c, i + 4));
    }
    sql.push_str(") x ORDER BY created_at, id OFFSET $2 LIMIT $3");
    let mut q = sqlx::query(&sql)
        .bind(p.account)
        .bind(start - 1)
        .bind(count.max(1));
    for c in &conds {
        q = q.bind(&c.value);
    }
    let mut conn = st.pool.acquire().await?;
    let rows = q.fetch_all(&mut *conn).await?;
    use sqlx::{FromRow, Row};
    let mut total: i64 = rows.first().map(|r| r.get("total")).unwrap_or(0);
    if rows.is_empty() && start > 1 {
        // Past the end: the total still counts everything that matched.
        let mut sql = format!("SELECT count(*) FROM ({USER_SELECT}");
        for (i, c) in conds.iter().enumerate() {
            sql.push_str(" AND ");
            sql.push_str(&condition(c, i + 2));
        }
        sql.push_str(") x");
        let mut q = sqlx::query_scalar(&sql).bind(p.account);
        for c in &conds {
            q = q.bind(&c.value);
        }
        total = q.fetch_one(&mut *conn).await?;
    }
    let base = super::tokens::base_url(st);
    let docs = if count == 0 {
        Vec::new()
    } else {
        rows.iter()
            .map(|r| UserRow::from_row(r).map(|u| user_doc(&base, &u)))
            .collect::<Result<Vec<_>, _>>()?
    };
    Ok(protocol::list(total, start, docs))
}

/// The address a User is provisioned with: its work email, else its userName if that is one.
fn address(c: &UserChange) -> Result<EmailAddress, ScimError> {
    let text = c
        .email
        .clone()
        .or_else(|| c.user_name.clone().filter(|u| u.contains('@')))
        .ok_or_else(|| {
            ScimError::bad(
                "invalidValue",
                "Give a work address in “emails”, or a userName that is an email address.",
            )
        })?;
    EmailAddress::parse(&text).map_err(|m| ScimError::bad("invalidValue", m))
}

fn person_name(c: &UserChange, email: &EmailAddress) -> String {
    let given = [
        c.given_name.clone().flatten(),
        c.family_name.clone().flatten(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let name = c
        .display_name
        .clone()
        .flatten()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or(given);
    let name = if name.trim().is_empty() {
        email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("member")
            .to_string()
    } else {
        name
    };
    name.chars().take(100).collect()
}

/// Who a provisioned address is.
enum Person {
    /// Made now, or a never-confirmed sign-up taken over: mailed a link to set a password.
    New(Uuid),
    /// A Gatehouse user with this address, verified: theirs to decide whether to join.
    Existing(Uuid),
}

/// The Gatehouse user with this address, made or taken over: the company's identity
/// provider vouches for an address nobody confirmed, so it counts as verified once its
/// person sets a password from the mailed link. A never-confirmed sign-up with the address
/// starts over (its password and sessions end), so nobody who registered someone else's
/// address gets into the account through provisioning. A verified user is left as is.
async fn person(
    tx: &mut Tx,
    st: &AppState,
    email: &EmailAddress,
    name: &str,
    account_name: &str,
) -> Result<Person, ScimError> {
    let found: Option<(Uuid, bool)> = sqlx::query_as(
        "SELECT id, email_verified_at IS NOT NULL FROM users WHERE email = $1 FOR UPDATE",
    )
    .bind(email.as_str())
    .fetch_optional(&mut **tx)
    .await?;
    let id = match found {
        Some((id, true)) => return Ok(Person::Existing(id)),
        Some((id, false)) => {
            sqlx::query(
                "UPDATE users SET password_hash = $2, email_verified_at = now() WHERE id = $1",
            )
            .bind(id)
            .bind(crate::server::auth::unusable_password_hash())
            .execute(&mut **tx)
            .await?;
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            sqlx::query("UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL")
                .bind(id)
                .execute(&mut **tx)
                .await?;
            id
        }
        None => {
            let made: Option<(Uuid,)> = sqlx::query_as(
                "INSERT INTO users (email, name, password_hash, email_verified_at) VALUES ($1, $2, $3, now()) \
                 ON CONFLICT ON CONSTRAINT users_email_key DO NOTHING RETURNING id",
            )
            .bind(email.as_str())
            .bind(name)
            .bind(crate::server::auth::unusable_password_hash())
            .fetch_optional(&mut **tx)
            .await?;
            match made {
                Some((id,)) => id,
                // Made a moment ago by another transaction (another account's provisioning,
                // a sign-up): someone else's now, so asked like any existing user.
                None => {
                    let (id,): (Uuid,) =
                        sqlx::query_as("SELECT id FROM users WHERE email = $1 FOR UPDATE")
                            .bind(email.as_str())
                            .fetch_one(&mut **tx)
                            .await?;
                    return Ok(Person::Existing(id));
                }
            }
        }
    };
    crate::auth::service::mail_set_password(tx, st, id, email.as_str(), name, account_name).await?;
    Ok(Person::New(id))
}

fn conflict(e: sqlx::Error) -> ScimError {
    match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => ScimError::new(
            409,
            Some("uniqueness"),
            "Another user of this account already has this userName or externalId.",
        ),
        _ => e.into(),
    }
}

fn event<'a>(p: &'a Provisioner, action: &'a str, user: Uuid, after: Value) -> Entry<'a> {
    let mut after = after;
    after["by"] = json!(p.label());
    Entry {
        actor_id: None,
        action,
        account_id: Some(p.account),
        subject: Some(format!("user:{user}")),
        target: Some(format!("user:{user}")),
        after: Some(after),
        ..Default::default()
    }
}

/// Make the person a member again with `role` (a reactivation), unless they are one.
async fn rejoin(tx: &mut Tx, p: &Provisioner, user: Uuid, role: &str) -> Result<(), ScimError> {
    let role = if role == "owner" { "super_admin" } else { role };
    sqlx::query(
        "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(p.account)
    .bind(user)
    .bind(role)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Apply `c` to identity `r` (PUT or PATCH): attributes, then `active` (deprovisioning or
/// reactivation). Answers the User as it is afterwards.
async fn apply(
    mut tx: Tx,
    st: &AppState,
    p: &Provisioner,
    r: UserRow,
    c: UserChange,
) -> Result<Value, ScimError> {
    let email = match &c.email {
        Some(e) => Some(
            EmailAddress::parse(e)
                .map_err(|m| ScimError::bad("invalidValue", m))?
                .as_str()
                .to_string(),
        ),
        None => None,
    };
    sqlx::query(
        "UPDATE scim_users SET user_name = coalesce($2, user_name), \
            external_id = CASE WHEN $3 THEN $4 ELSE external_id END, \
            given_name = CASE WHEN $5 THEN $6 ELSE given_name END, \
            family_name = CASE WHEN $7 THEN $8 ELSE family_name END, \
            display_name = CASE WHEN $9 THEN $10 ELSE display_name END, \
            email = coalesce($11, email), updated_at = now() WHERE id = $1",
    )
    .bind(r.id)
    .bind(&c.user_name)
    .bind(c.external_id.is_some())
    .bind(c.external_id.clone().flatten())
    .bind(c.given_name.is_some())
    .bind(c.given_name.clone().flatten())
    .bind(c.family_name.is_some())
    .bind(c.family_name.clone().flatten())
    .bind(c.display_name.is_some())
    .bind(c.display_name.clone().flatten())
    .bind(&email)
    .execute(&mut *tx)
    .await
    .map_err(conflict)?;
    match (c.active, r.active) {
        (Some(false), true) => {
            // Keep the role to give back on reactivation, then run the screen's removal.
            sqlx::query(
                "UPDATE scim_users SET active = false, role = coalesce($2, role) WHERE id = $1",
            )
            .bind(r.id)
            .bind(&r.role)
            .execute(&mut *tx)
            .await?;
            crate::members::service::deprovision(&mut tx, st, p.account, r.user_id, &p.label())
                .await?;
            crate::accounts::invites::cancel_for_identity(&mut tx, r.id).await?;
        }
        (Some(true), false) => {
            sqlx::query("UPDATE scim_users SET active = true WHERE id = $1")
                .bind(r.id)
                .execute(&mut *tx)
                .await?;
            if r.consented {
                rejoin(&mut tx, p, r.user_id, &r.saved_role).await?;
            } else {
                let (account_name, _) = crate::accounts::repo::account(&mut tx, p.account).await?;
                crate::accounts::invites::from_identity_provider(
                    &mut tx,
                    st,
                    p.account,
                    &account_name,
                    r.id,
                    &r.email,
                    &r.saved_role,
                    &p.label(),
                )
                .await?;
            }
            history::record(
                &mut tx,
                event(
                    p,
                    "scim.user_reactivated",
                    r.user_id,
                    json!({ "role": r.saved_role }),
                ),
            )
            .await?;
        }
        _ => {}
    }
    history::record(
        &mut tx,
        event(
            p,
            "scim.user_updated",
            r.user_id,
            json!({ "userName": c.user_name, "active": c.active }),
        ),
    )
    .await?;
    let after = load(&mut tx, p, r.id).await?;
    tx.commit().await?;
    Ok(user_doc(&super::tokens::base_url(st), &after))
}

/// POST /Users: link the Gatehouse user with this address or make one (mailed a link to
/// set a password), and make them a member. The same `externalId` as a deprovisioned
/// identity reactivates it. Answers (created, the User).
pub async fn create_user(st: &AppState, p: &Provisioner, body: &Value) -> Result<Value, ScimError> {
    writable(p)?;
    let c = UserChange::from_document(body)?;
    let email = address(&c)?;
    let user_name = c.user_name.clone().unwrap_or_default();
    let mut tx = begin(st, p).await?;
    // The same userName, or an earlier identity with this externalId.
    let same: Option<(Uuid, bool, bool, Option<String>)> = sqlx::query_as(
        "SELECT id, deleted_at IS NULL, active, external_id FROM scim_users WHERE account_id = $1 \
           AND ((deleted_at IS NULL AND lower(user_name) = lower($2)) OR ($3::text IS NOT NULL AND external_id = $3)) \
         ORDER BY deleted_at IS NULL DESC, created_at DESC LIMIT 1 FOR UPDATE",
    )
    .bind(p.account)
    .bind(&user_name)
    .bind(c.external_id.clone().flatten())
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((id, live, active, external)) = same {
        let same_person = external.is_some() && external == c.external_id.clone().flatten();
        match (live, active, same_person) {
            // Reactivation by a new POST with the same externalId.
            (true, false, true) => {
                let r = load(&mut tx, p, id).await?;
                let mut c = c;
                c.active = Some(true);
                return apply(tx, st, p, r, c).await;
            }
            (true, _, _) => {
                return Err(ScimError::new(
                    409,
                    Some("uniqueness"),
                    format!("A user with userName “{user_name}” or this externalId is already provisioned in this account."),
                ))
            }
            // A deleted identity: a new one is made, which starts as a member (a DELETE
            // forgets the identity; its groups come again from the identity provider).
            (false, _, _) => {}
        }
    }
    let (account_name, _) = crate::accounts::repo::account(&mut tx, p.account).await?;
    let name = person_name(&c, &email);
    let found = person(&mut tx, st, &email, &name, &account_name).await?;
    let user = match found {
        Person::New(u) | Person::Existing(u) => u,
    };
    let member: Option<(String,)> =
        sqlx::query_as("SELECT role FROM account_members WHERE account_id = $1 AND user_id = $2")
            .bind(p.account)
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?;
    let active = c.active.unwrap_or(true);
    // An existing user who is no member yet is asked, not added.
    let consented = member.is_some() || matches!(found, Person::New(_));
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO scim_users (account_id, user_id, user_name, external_id, given_name, family_name, display_name, email, active, role, consented) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(p.account)
    .bind(user)
    .bind(&user_name)
    .bind(c.external_id.clone().flatten())
    .bind(c.given_name.clone().flatten())
    .bind(c.family_name.clone().flatten())
    .bind(c.display_name.clone().flatten())
    .bind(email.as_str())
    .bind(active)
    .bind(member.as_ref().map(|(r,)| r.as_str()).unwrap_or("member"))
    .bind(consented)
    .fetch_one(&mut *tx)
    .await
    .map_err(conflict)?;
    if active && !consented {
        crate::accounts::invites::from_identity_provider(
            &mut tx,
            st,
            p.account,
            &account_name,
            id,
            email.as_str(),
            "member",
            &p.label(),
        )
        .await?;
    } else if active && member.is_none() {
        rejoin(&mut tx, p, user, "member").await?;
        mail::enqueue(
            &mut tx,
            email.as_str(),
            &format!("You were added to {account_name} on Gatehouse"),
            &format!(
                "Hello {name},\n\nYour company's identity provider added you to the account \"{account_name}\" on Gatehouse.\n\n{}\n",
                st.config.link("/accounts"),
            ),
        )
        .await?;
    }
    history::record(
        &mut tx,
        event(
            p,
            "scim.user_provisioned",
            user,
            json!({ "userName": user_name, "linked": member.is_some(), "asked": !consented }),
        ),
    )
    .await?;
    let r = load(&mut tx, p, id).await?;
    tx.commit().await?;
    Ok(user_doc(&super::tokens::base_url(st), &r))
}

/// PUT /Users/{id}: replace the User's attributes (absent ones are cleared; `active` only
/// changes when sent).
pub async fn replace_user(
    st: &AppState,
    p: &Provisioner,
    id: &str,
    body: &Value,
) -> Result<Value, ScimError> {
    writable(p)?;
    let id = id_of(id)?;
    let mut c = UserChange::from_document(body)?;
    c.external_id.get_or_insert(None);
    c.given_name.get_or_insert(None);
    c.family_name.get_or_insert(None);
    c.display_name.get_or_insert(None);
    let mut tx = begin(st, p).await?;
    let r = load(&mut tx, p, id).await?;
    apply(tx, st, p, r, c).await
}

/// PATCH /Users/{id}.
pub async fn patch_user(
    st: &AppState,
    p: &Provisioner,
    id: &str,
    body: &Value,
) -> Result<Value, ScimError> {
    writable(p)?;
    let id = id_of(id)?;
    let c = UserChange::from_patch(body)?;
    let mut tx = begin(st, p).await?;
    let r = load(&mut tx, p, id).await?;
    apply(tx, st, p, r, c).await
}

/// DELETE /Users/{id}: deprovision (the screen's removal) and forget the identity; a GET
/// then answers 404, and a POST with the same externalId brings the person back.
pub async fn delete_user(st: &AppState, p: &Provisioner, id: &str) -> Result<(), ScimError> {
    writable(p)?;
    let id = id_of(id)?;
    let mut tx = begin(st, p).await?;
    let r = load(&mut tx, p, id).await?;
    if r.active {
        crate::members::service::deprovision(&mut tx, st, p.account, r.user_id, &p.label()).await?;
    }
    crate::accounts::invites::cancel_for_identity(&mut tx, r.id).await?;
    sqlx::query("UPDATE scim_users SET active = false, deleted_at = now(), role = coalesce($2, role) WHERE id = $1")
        .bind(r.id)
        .bind(&r.role)
        .execute(&mut *tx)
        .await?;
    history::record(
        &mut tx,
        event(
            p,
            "scim.user_deleted",
            r.user_id,
            json!({ "userName": r.user_name }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn group_doc(base: &str, group: &str, members: &[(Uuid, String)]) -> Value {
    json!({
        "schemas": [GROUP_SCHEMA],
        "id": group,
        "displayName": group,
        "members": members.iter().map(|(id, name)| json!({
            "value": id, "display": name, "$ref": format!("{base}/Users/{id}"),
        })).collect::<Vec<_>>(),
        "meta": { "resourceType": "Group", "location": format!("{base}/Groups/{group}") },
    })
}

/// The groups (roles) with their SCIM-provisioned members, in one statement.
async fn groups(st: &AppState, p: &Provisioner) -> Result<Vec<Value>, ScimError> {
    let rows: Vec<(String, Uuid, String)> = sqlx::query_as(
        "SELECT m.role, s.id, s.user_name FROM scim_users s \
         JOIN account_members m ON m.account_id = s.account_id AND m.user_id = s.user_id \
         WHERE s.account_id = $1 AND s.deleted_at IS NULL ORDER BY s.created_at, s.id",
    )
    .bind(p.account)
    .fetch_all(&st.pool)
    .await?;
    let base = super::tokens::base_url(st);
    Ok(GROUPS
        .iter()
        .map(|g| {
            let members: Vec<(Uuid, String)> = rows
                .iter()
                .filter(|(r, _, _)| r == g)
                .map(|(_, id, n)| (*id, n.clone()))
                .collect();
            group_doc(&base, g, &members)
        })
        .collect())
}

pub async fn list_groups(
    st: &AppState,
    p: &Provisioner,
    filter: Option<&str>,
    start: Option<i64>,
    count: Option<i64>,
) -> Result<Value, ScimError> {
    let conds = match filter.map(str::trim).filter(|f| !f.is_empty()) {
        Some(f) => protocol::filter(f)?,
        None => Vec::new(),
    };
    let (start, count) = protocol::page(start, count);
    let all: Vec<Value> = groups(st, p)
        .await?
        .into_iter()
        .filter(|g| {
            conds.iter().all(|c| match c.attr {
                Attr::DisplayName | Attr::Id => g["id"] == json!(c.value),
                _ => false,
            })
        })
        .collect();
    let total = all.len() as i64;
    let page = all
        .into_iter()
        .skip((start - 1) as usize)
        .take(count as usize)
        .collect();
    Ok(protocol::list(total, start, page))
}

pub async fn get_group(st: &AppState, p: &Provisioner, id: &str) -> Result<Value, ScimError> {
    groups(st, p)
        .await?
        .into_iter()
        .find(|g| g["id"] == json!(id))
        .ok_or_else(ScimError::not_found)
}

/// PATCH /Groups/{role}: adding a user to a group gives them that role, removing them
/// from it makes them a member, under the rules of the screen (`policy::provisioner`);
/// the owner's group is read-only. Renames and other group attributes are ignored.
pub async fn patch_group(
    st: &AppState,
    p: &Provisioner,
    id: &str,
    body: &Value,
) -> Result<(), ScimError> {
    writable(p)?;
    let group = GROUPS
        .iter()
        .find(|g| **g == id)
        .copied()
        .ok_or_else(ScimError::not_found)?;
    let role = AccountRole::parse(group).ok_or_else(ScimError::not_found)?;
    let ops = protocol::operations(body)?;
    let mut tx = begin(st, p).await?;
    for (op, path, value) in ops {
        let Some(ids) = protocol::group_members(path.as_deref(), &value)? else {
            continue;
        };
        if role == AccountRole::Owner {
            return Err(ScimError::bad(
                "mutability",
                "The owner's group is read-only: ownership is handed over in Gatehouse.",
            ));
        }
        let mut named = Vec::new();
        for text in &ids {
            let r = load(
                &mut tx,
                p,
                id_of(text).map_err(|_| {
                    ScimError::bad("invalidValue", format!("No user “{text}” in this account."))
                })?,
            )
            .await
            .map_err(|_| {
                ScimError::bad("invalidValue", format!("No user “{text}” in this account."))
            })?;
            named.push(r);
        }
        let mut changes: Vec<(UserRow, AccountRole)> = Vec::new();
        match op {
            protocol::Op::Add => changes.extend(named.into_iter().map(|r| (r, role))),
            protocol::Op::Remove => changes.extend(
                named
                    .into_iter()
                    .filter(|r| r.role.as_deref() == Some(group))
                    .map(|r| (r, AccountRole::Member)),
            ),
            protocol::Op::Replace => {
                // Exactly these in the group: the others in it become members.
                let keep: Vec<Uuid> = named.iter().map(|r| r.id).collect();
                let others: Vec<UserRow> =
                    sqlx::query_as(&format!("{USER_SELECT} AND m.role = $2"))
                        .bind(p.account)
                        .bind(group)
                        .fetch_all(&mut *tx)
                        .await?;
                changes.extend(
                    others
                        .into_iter()
                        .filter(|r| !keep.contains(&r.id))
                        .map(|r| (r, AccountRole::Member)),
                );
                changes.extend(named.into_iter().map(|r| (r, role)));
            }
        }
        for (r, to) in changes {
            if role == AccountRole::Member
                && to == AccountRole::Member
                && op == protocol::Op::Remove
            {
                continue;
            }
            if r.role.is_none() && r.active && !r.consented {
                // Asked, not yet accepted: they join with this role if they accept.
                sqlx::query("UPDATE scim_users SET role = $2, updated_at = now() WHERE id = $1")
                    .bind(r.id)
                    .bind(to.as_str())
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE account_invites SET role = $2 WHERE scim_user_id = $1 AND status = 'pending'",
                )
                .bind(r.id)
                .bind(to.as_str())
                .execute(&mut *tx)
                .await?;
                continue;
            }
            let Some(theirs) = r.role.as_deref().and_then(AccountRole::parse) else {
                return Err(ScimError::bad(
                    "invalidValue",
                    format!(
                        "“{}” is deactivated: reactivate them before giving them a role.",
                        r.user_name
                    ),
                ));
            };
            policy::provisioner(AccountAction::ChangeRole { target: theirs, to, is_self: false })
                .map_err(|_| ScimError::bad("mutability", "The owner's role is handed over in Gatehouse, not changed by the identity provider."))?;
            crate::accounts::service::apply_role(
                &mut tx,
                st,
                p.account,
                r.user_id,
                theirs,
                to,
                None,
                &p.label(),
                None,
            )
            .await?;
            sqlx::query("UPDATE scim_users SET role = $2, updated_at = now() WHERE id = $1")
                .bind(r.id)
                .bind(to.as_str())
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}
