//! Team rules (TM-1 … TM-9) over Postgres. Every write locks the integration row first
//! (through `authorize` or `lock_role`), so the cap and the last-admin guard are
//! checked against a team that cannot change underneath.
use super::{MemberView, TeamInviteLanding, TeamPage};
use crate::access::RoadDates;
use crate::auth::CurrentUser;
use crate::domain::email::EmailAddress;
use crate::domain::policy::{self, TeamAction};
use crate::domain::roles::TeamRole;
use crate::domain::team::{default_note, UpdateKind, NOTE_MAX, TEAM_CAP, TEAM_INVITE_DAYS};
use crate::domain::validate;
use crate::error::{AppError, Refusal};
use crate::integrations::repo;
use crate::server::team_access::{authorize, landing_of, record, team_role, viewer, Tx};
use crate::server::Actor;
use crate::server::{mail, token, AppState};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// Rows that count against the cap: accepted members and invitations still open (TM-1).
/// A widget request nobody has confirmed yet holds no place (SJ-3).
pub(crate) const COUNTED: &str = "integration_id = $1 AND (status = 'accepted' \
     OR (status = 'pending' AND expires_at > now() AND NOT unconfirmed))";

pub(crate) async fn counted(conn: &mut PgConnection, id: Uuid) -> Result<i64, AppError> {
    let (n,): (i64,) = sqlx::query_as(&format!(
        "SELECT count(*) FROM team_members WHERE {COUNTED}"
    ))
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(n)
}

pub(crate) fn cap_error(counted: i64) -> AppError {
    Refusal::TeamFull { counted }.into()
}

/// Refuse when the team has no free place (TM-1); the caller holds the integration's lock.
pub(crate) async fn ensure_room(conn: &mut PgConnection, id: Uuid) -> Result<(), AppError> {
    let n = counted(&mut *conn, id).await?;
    if n >= TEAM_CAP {
        return Err(cap_error(n));
    }
    Ok(())
}

/// A new pending team row, if the team has room (TM-1); the caller holds the integration's
/// lock. Invitations from members and self-serve join requests both come through here.
/// `unconfirmed`: typed into the widget by anyone; it takes a place only when accepted.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn add_pending(
    conn: &mut PgConnection,
    id: Uuid,
    email: &str,
    role: TeamRole,
    note: &str,
    invited_by: Option<Uuid>,
    source: &str,
    unconfirmed: bool,
) -> Result<Uuid, AppError> {
    if !unconfirmed {
        ensure_room(&mut *conn, id).await?;
    }
    let (member,): (Uuid,) = sqlx::query_as(
        "INSERT INTO team_members (integration_id, email, role, status, note, invited_by, source, expires_at, unconfirmed) \
         VALUES ($1, $2, $3, 'pending', $4, $5, $6, now(), $7) RETURNING id",
    )
    .bind(id)
    .bind(email)
    .bind(role.as_str())
    .bind(note)
    .bind(invited_by)
    .bind(source)
    .bind(unconfirmed)
    .fetch_one(conn)
    .await?;
    Ok(member)
}

type MemberRow = (
    Uuid,
    Option<Uuid>,
    Option<String>,
    String,
    String,
    String,
    String,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

pub async fn page(st: &AppState, me: &Actor, id: Uuid) -> Result<TeamPage, AppError> {
    let (mut conn, me, my_role) = viewer(st, me, id, TeamAction::View).await?;
    let (name, visibility, join_enabled, my_marketing): (String, String, bool, bool) = sqlx::query_as(
        "SELECT i.name, i.visibility, i.join_enabled, coalesce(s.marketing, true) FROM integrations i \
         LEFT JOIN team_subscriptions s ON s.integration_id = i.id AND s.user_id = $2 WHERE i.id = $1",
    )
    .bind(id)
    .bind(me.id)
    .fetch_one(&mut *conn)
    .await?;
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT t.id, t.user_id, u.name, t.email, t.role, \
                CASE WHEN t.status = 'pending' AND t.expires_at <= now() THEN 'expired' ELSE t.status END, \
                t.source, ib.name, t.invited_at, t.accepted_at \
         FROM team_members t LEFT JOIN users u ON u.id = t.user_id LEFT JOIN users ib ON ib.id = t.invited_by \
         WHERE t.integration_id = $1 AND NOT t.unconfirmed \
         ORDER BY t.status = 'pending', t.role, lower(coalesce(u.name, t.email)), t.id",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let contacts: Vec<(String, Uuid)> =
        sqlx::query_as("SELECT kind, user_id FROM integration_contacts WHERE integration_id = $1")
            .bind(id)
            .fetch_all(&mut *conn)
            .await?;
    let (join_domains,): (Vec<String>,) = sqlx::query_as(
        "SELECT coalesce(array_agg(domain ORDER BY domain), '{}') FROM join_domains WHERE integration_id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let members: Vec<MemberView> = rows
        .into_iter()
        .filter_map(
            |(
                mid,
                user_id,
                uname,
                email,
                role,
                status,
                source,
                invited_by,
                invited_at,
                accepted_at,
            )| {
                Some(MemberView {
                    id: mid,
                    user_id,
                    name: uname,
                    email,
                    role: TeamRole::parse(&role)?,
                    status,
                    source,
                    invited_by,
                    invited_at,
                    accepted_at,
                    is_me: user_id == Some(me.id),
                })
            },
        )
        .collect();
    let contact = |kind: &str| contacts.iter().find(|(k, _)| k == kind).map(|(_, u)| *u);
    Ok(TeamPage {
        id,
        name,
        visibility,
        my_role,
        counted: counted(&mut conn, id).await?,
        cap: TEAM_CAP,
        marketing_contact: contact("marketing"),
        technical_contact: contact("technical"),
        my_marketing,
        join_enabled,
        join_domains,
        members,
    })
}

fn parse_role(role: &str) -> Result<TeamRole, AppError> {
    TeamRole::parse(role.trim())
        .ok_or_else(|| AppError::validation("role", "Choose admin or collaborator."))
}

async fn integration_name(conn: &mut PgConnection, id: Uuid) -> Result<String, AppError> {
    let (name,): (String,) = sqlx::query_as("SELECT name FROM integrations WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(name)
}

/// A new single-use token for a pending team row, valid for 14 days from now.
pub(crate) async fn issue_token(conn: &mut PgConnection, member: Uuid) -> Result<String, AppError> {
    let (text, hash) = token::new_token();
    sqlx::query(
        "UPDATE team_members SET token_hash = $2, expires_at = now() + make_interval(days => $3), invited_at = now() WHERE id = $1",
    )
    .bind(member)
    .bind(hash)
    .bind(TEAM_INVITE_DAYS)
    .execute(conn)
    .await?;
    Ok(text)
}

fn article(role: TeamRole) -> &'static str {
    match role {
        TeamRole::Admin => "an admin",
        TeamRole::Collaborator => "a collaborator",
    }
}

/// What an invitation mail says: to whom, for which team, with which role and note.
struct Invitation<'a> {
    member: Uuid,
    email: &'a str,
    integration: &'a str,
    role: TeamRole,
    note: &'a str,
}

async fn mail_invitation(
    conn: &mut PgConnection,
    st: &AppState,
    me: &CurrentUser,
    inv: Invitation<'_>,
) -> Result<(), AppError> {
    let Invitation {
        member,
        email,
        integration,
        role,
        note,
    } = inv;
    let text = issue_token(&mut *conn, member).await?;
    let link = st.config.link(&format!("/team-invite/{text}"));
    let body = format!(
        "Hello,\n\n{} ({}) invited you to the {integration} team on Gatehouse as {}.\n\n{note}\n\n\
         To accept, open:\n\n{link}\n\nSign in (or sign up) with this address, {email}. \
         The invitation works once and expires in {TEAM_INVITE_DAYS} days.\n",
        me.name,
        me.email,
        article(role)
    );
    mail::enqueue(
        conn,
        email,
        &format!("Join the {integration} team on Gatehouse"),
        &body,
    )
    .await?;
    Ok(())
}

/// Invite someone to the team with a role and a note (TM-3). The policy decides which
/// roles the caller may hand out, whatever the form sent.
pub async fn invite(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    email: &str,
    role: &str,
    note: &str,
) -> Result<String, AppError> {
    invite_dated(st, me, id, email, role, note, &RoadDates::default()).await
}

/// As `invite`, with the membership's start and end (AX-2); an admin's end may leave
/// them collaborator (AX-4).
pub async fn invite_dated(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    email: &str,
    role: &str,
    note: &str,
    dates: &RoadDates,
) -> Result<String, AppError> {
    let email = EmailAddress::parse(email).map_err(|m| AppError::validation("email", m))?;
    let role = parse_role(role)?;
    crate::access::service::check_new_dates(dates)?;
    if dates.then_collaborator && role != TeamRole::Admin {
        return Err(AppError::validation(
            "then_collaborator",
            "Only an admin can stay on as collaborator after the end.",
        ));
    }
    let note = note.trim();
    if note.chars().count() > NOTE_MAX {
        return Err(AppError::validation(
            "note",
            format!("Keep the note under {NOTE_MAX} characters."),
        ));
    }
    let (mut tx, me, my_role) = authorize(st, me, id, TeamAction::Invite { role }).await?;
    let name = integration_name(&mut tx, id).await?;
    // An untouched default (of either role: without JavaScript the form cannot swap it) is
    // the chosen role's default.
    let untouched = TeamRole::ALL
        .iter()
        .any(|r| note == default_note(*r, &name));
    let note = if note.is_empty() || untouched {
        default_note(role, &name)
    } else {
        note.to_string()
    };
    let existing: Option<(Uuid, String, String, bool)> = sqlx::query_as(
        "SELECT id, status, role, unconfirmed OR coalesce(expires_at <= now(), false) FROM team_members \
         WHERE integration_id = $1 AND email = $2 FOR UPDATE",
    )
    .bind(id)
    .bind(email.as_str())
    .fetch_optional(&mut *tx)
    .await?;
    let member = match existing {
        Some((_, status, ..)) if status == "accepted" => {
            return Err(AppError::validation(
                "email",
                format!("{email} is already on the team."),
            ))
        }
        Some((mid, _, old, placeless)) => {
            // Replacing an open invitation is cancelling it: allowed only to who may remove it.
            policy::team(
                Some(my_role),
                TeamAction::RemoveMember {
                    target: parse_role(&old)?,
                    is_self: false,
                },
            )?;
            // An expired or unconfirmed row holds no place: it takes one now, if there is room.
            if placeless {
                ensure_room(&mut tx, id).await?;
            }
            sqlx::query(
                "UPDATE team_members SET role = $2, note = $3, invited_by = $4, source = 'invite', unconfirmed = false, \
                 ends_then = 'removed' WHERE id = $1",
            )
            .bind(mid)
            .bind(role.as_str())
            .bind(&note)
            .bind(me.id)
            .execute(&mut *tx)
            .await?;
            mid
        }
        None => {
            add_pending(
                &mut tx,
                id,
                email.as_str(),
                role,
                &note,
                Some(me.id),
                "invite",
                false,
            )
            .await?
        }
    };
    sqlx::query("UPDATE team_members SET starts_at = $2, ends_at = $3, ends_then = $4, reminded_at = NULL WHERE id = $1")
        .bind(member)
        .bind(dates.starts_at)
        .bind(dates.ends_at)
        .bind(if dates.then_collaborator { "collaborator" } else { "removed" })
        .execute(&mut *tx)
        .await?;
    mail_invitation(
        &mut tx,
        st,
        &me,
        Invitation {
            member,
            email: email.as_str(),
            integration: &name,
            role,
            note: &note,
        },
    )
    .await?;
    record(
        &mut tx,
        &me,
        id,
        "team.invited",
        Some(email.to_string()),
        json!({ "role": role.as_str(), "note": note, "starts_at": dates.starts_at, "ends_at": dates.ends_at }),
    )
    .await?;
    tx.commit().await?;
    Ok(email.to_string())
}

/// The caller's role, with the integration locked, and the target team row, locked.
async fn lock_role_and_member(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    member: Option<Uuid>,
) -> Result<
    (
        Tx,
        CurrentUser,
        TeamRole,
        (Uuid, Option<Uuid>, String, TeamRole, String),
    ),
    AppError,
> {
    let mut tx = st.pool.begin().await?;
    let role = team_role(&mut tx, id, me.id, true).await?;
    policy::team(role, TeamAction::View)?;
    // `member` None: the caller's own row.
    let row: Option<(Uuid, Option<Uuid>, String, String, String)> = sqlx::query_as(
        "SELECT id, user_id, email, role, status FROM team_members WHERE integration_id = $2 \
           AND (id = $1 OR ($1 IS NULL AND user_id = $3 AND status = 'accepted')) FOR UPDATE",
    )
    .bind(member)
    .bind(id)
    .bind(me.id)
    .fetch_optional(&mut *tx)
    .await?;
    let (mid, user, email, target, status) = row.ok_or(AppError::NotFound)?;
    Ok((
        tx,
        me.user.clone(),
        role.ok_or(AppError::NotFound)?,
        (mid, user, email, parse_role(&target)?, status),
    ))
}

/// Refuse to take away the team's last accepted admin (TM-6, AX-4): some accepted
/// admin other than the row `except` must stay, and stay for good (admin now, with no
/// end date), so no change and no date can leave the team without one.
pub(crate) async fn keep_an_admin(
    tx: &mut PgConnection,
    id: Uuid,
    except: Uuid,
    what: &str,
) -> Result<(), AppError> {
    let (others,): (i64,) = sqlx::query_as(&format!(
        "SELECT count(*) FROM team_members t WHERE t.integration_id = $1 AND t.id <> $2 \
           AND {} = 'admin' AND t.ends_at IS NULL",
        repo::team_role_sql("t")
    ))
    .bind(id)
    .bind(except)
    .fetch_one(&mut *tx)
    .await?;
    if others == 0 {
        return Err(Refusal::LastAdmin {
            what: what.to_string(),
        }
        .into());
    }
    Ok(())
}

pub async fn change_role(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    member: Uuid,
    role: &str,
    reason: &str,
) -> Result<(), AppError> {
    let role = parse_role(role)?;
    let reason = crate::server::history::reason(reason)?;
    let (mut tx, me, my_role, (_, user, email, old, status)) =
        lock_role_and_member(st, me, id, Some(member)).await?;
    policy::team(Some(my_role), TeamAction::ChangeRole)?;
    if status != "accepted" {
        return Err(Refusal::NotAcceptedYet { email }.into());
    }
    if old == role {
        return Ok(());
    }
    if old == TeamRole::Admin {
        let what = if user == Some(me.id) {
            "Stepping down".to_string()
        } else {
            format!("Making {email} a collaborator")
        };
        keep_an_admin(&mut tx, id, member, &what).await?;
    }
    sqlx::query("UPDATE team_members SET role = $2, ends_then = 'removed' WHERE id = $1")
        .bind(member)
        .bind(role.as_str())
        .execute(&mut *tx)
        .await?;
    let target = user
        .map(|u| format!("user:{u}"))
        .unwrap_or_else(|| email.clone());
    crate::server::team_access::record_change(
        &mut tx,
        &me,
        id,
        "team.role_changed",
        Some(target),
        crate::server::team_access::Change {
            before: Some(json!({ "role": old.as_str() })),
            after: json!({ "role": role.as_str() }),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn history_for(
    tx: &mut Tx,
    me: &CurrentUser,
    id: Uuid,
    action: &str,
    user: Option<Uuid>,
    email: &str,
    after: serde_json::Value,
) -> Result<(), AppError> {
    let target = user
        .map(|u| format!("user:{u}"))
        .unwrap_or_else(|| email.to_string());
    record(tx, me, id, action, Some(target), after).await
}

/// Remove a member or an open invitation, or leave (TM-5, TM-6). Returns whether it was oneself.
pub async fn remove(st: &AppState, me: &Actor, id: Uuid, member: Uuid) -> Result<bool, AppError> {
    remove_row(st, me, id, Some(member)).await
}

/// `member` None: the caller's own row (leaving).
async fn remove_row(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    member: Option<Uuid>,
) -> Result<bool, AppError> {
    let (mut tx, me, my_role, (member, user, email, target, status)) =
        lock_role_and_member(st, me, id, member).await?;
    let is_self = user == Some(me.id);
    policy::team(Some(my_role), TeamAction::RemoveMember { target, is_self })?;
    if status == "accepted" && target == TeamRole::Admin {
        let what = if is_self {
            "Leaving".to_string()
        } else {
            format!("Removing {email}")
        };
        keep_an_admin(&mut tx, id, member, &what).await?;
    }
    // The trigger on team_members also ends their contacts and subscriptions.
    sqlx::query("DELETE FROM team_members WHERE id = $1")
        .bind(member)
        .execute(&mut *tx)
        .await?;
    let action = match (is_self, status.as_str()) {
        (true, _) => "team.left",
        (false, "accepted") => "team.removed",
        _ => "team.invite_cancelled",
    };
    history_for(
        &mut tx,
        &me,
        id,
        action,
        user,
        &email,
        json!({ "role": target.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(is_self)
}

/// Leave the team (TM-5): the caller's own row.
pub async fn leave(st: &AppState, me: &Actor, id: Uuid) -> Result<(), AppError> {
    remove_row(st, me, id, None).await.map(|_| ())
}

/// Send an open invitation again with a new token; the old link stops working.
pub async fn resend(st: &AppState, me: &Actor, id: Uuid, member: Uuid) -> Result<(), AppError> {
    let (mut tx, me, my_role, (_, _, email, role, status)) =
        lock_role_and_member(st, me, id, Some(member)).await?;
    policy::team(Some(my_role), TeamAction::Invite { role })?;
    if status != "pending" {
        return Err(AppError::NotFound);
    }
    let (note, unconfirmed, expired): (String, bool, bool) = sqlx::query_as(
        "SELECT note, unconfirmed, coalesce(expires_at <= now(), false) FROM team_members WHERE id = $1",
    )
    .bind(member)
    .fetch_one(&mut *tx)
    .await?;
    if unconfirmed {
        // Not listed to anyone; only its own mail can confirm it.
        return Err(AppError::NotFound);
    }
    // An expired invitation holds no place; sending it again takes one (TM-1).
    if expired {
        ensure_room(&mut tx, id).await?;
    }
    let name = integration_name(&mut tx, id).await?;
    mail_invitation(
        &mut tx,
        st,
        &me,
        Invitation {
            member,
            email: &email,
            integration: &name,
            role,
            note: &note,
        },
    )
    .await?;
    history_for(
        &mut tx,
        &me,
        id,
        "team.invite_resent",
        None,
        &email,
        json!({ "role": role.as_str() }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn contact_kind(kind: &str) -> Result<&'static str, AppError> {
    match kind {
        "marketing" => Ok("marketing"),
        "technical" => Ok("technical"),
        _ => Err(AppError::validation(
            "kind",
            "Choose the marketing or the technical contact.",
        )),
    }
}

/// Assign (or, with `user` None, revoke) a contact (TM-7). Nobody is mailed.
pub async fn set_contact(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    kind: &str,
    user: Option<Uuid>,
) -> Result<(), AppError> {
    let kind = contact_kind(kind)?;
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::AssignContact).await?;
    let before: Option<(Uuid,)> = sqlx::query_as(
        "SELECT user_id FROM integration_contacts WHERE integration_id = $1 AND kind = $2 FOR UPDATE",
    )
    .bind(id)
    .bind(kind)
    .fetch_optional(&mut *tx)
    .await?;
    let before = before.map(|(u,)| u);
    match user {
        None => {
            if before.is_none() {
                return Ok(());
            }
            sqlx::query("DELETE FROM integration_contacts WHERE integration_id = $1 AND kind = $2")
                .bind(id)
                .bind(kind)
                .execute(&mut *tx)
                .await?;
        }
        Some(u) => {
            let member: Option<(i32,)> = sqlx::query_as(&format!(
                "SELECT 1 FROM team_members t WHERE t.integration_id = $1 AND t.user_id = $2 AND {} IS NOT NULL",
                repo::team_role_sql("t")
            ))
            .bind(id)
            .bind(u)
            .fetch_optional(&mut *tx)
            .await?;
            if member.is_none() {
                return Err(AppError::validation(
                    "user_id",
                    "Only members who have accepted can be contacts.",
                ));
            }
            if before == Some(u) {
                return Ok(());
            }
            // One row per kind: assigning moves the contact from its previous holder.
            sqlx::query(
                "INSERT INTO integration_contacts (integration_id, kind, user_id) VALUES ($1, $2, $3) \
                 ON CONFLICT (integration_id, kind) DO UPDATE SET user_id = EXCLUDED.user_id, assigned_at = now()",
            )
            .bind(id)
            .bind(kind)
            .bind(u)
            .execute(&mut *tx)
            .await?;
        }
    }
    record(
        &mut tx,
        &me,
        id,
        if user.is_some() {
            "contact.assigned"
        } else {
            "contact.revoked"
        },
        user.or(before).map(|u| format!("user:{u}")),
        json!({ "kind": kind, "from": before, "to": user }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A member's own partner-marketing subscription (TM-8).
pub async fn set_subscription(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    marketing: bool,
) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::EditOwnSubscription).await?;
    sqlx::query(
        "INSERT INTO team_subscriptions (integration_id, user_id, marketing) VALUES ($1, $2, $3) \
         ON CONFLICT (integration_id, user_id) DO UPDATE SET marketing = EXCLUDED.marketing",
    )
    .bind(id)
    .bind(me.id)
    .bind(marketing)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &me,
        id,
        "subscription.changed",
        Some(format!("user:{}", me.id)),
        json!({ "marketing": marketing }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Who receives an update of this kind: accepted members only; marketing only to those
/// who kept it on (TM-8).
pub(crate) fn recipients() -> String {
    format!(
        "SELECT u.email FROM team_members t JOIN users u ON u.id = t.user_id \
         LEFT JOIN team_subscriptions s ON s.integration_id = t.integration_id AND s.user_id = t.user_id \
         WHERE t.integration_id = $1 AND {} IS NOT NULL AND ($2 = 'programme' OR coalesce(s.marketing, true)) \
         ORDER BY u.email",
        repo::team_role_sql("t")
    )
}

/// Mail an update to the team; returns how many received it.
pub async fn send_update(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    kind: &str,
    subject: &str,
    body: &str,
) -> Result<i64, AppError> {
    let kind = UpdateKind::parse(kind)
        .ok_or_else(|| AppError::validation("kind", "Choose the kind of update."))?;
    let subject = validate::text(subject, 1, 200)
        .filter(|s| !s.chars().any(char::is_control))
        .ok_or_else(|| {
            AppError::validation(
                "subject",
                "Write a one-line subject of at most 200 characters.",
            )
        })?;
    let body = validate::text(body, 1, 20_000).ok_or_else(|| {
        AppError::validation("body", "Write the update (at most 20,000 characters).")
    })?;
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::SendUpdate).await?;
    let name = integration_name(&mut tx, id).await?;
    let to: Vec<(String,)> = sqlx::query_as(&recipients())
        .bind(id)
        .bind(kind.as_str())
        .fetch_all(&mut *tx)
        .await?;
    let to: Vec<String> = to.into_iter().map(|(e,)| e).collect();
    let footer = match kind {
        UpdateKind::Marketing => format!(
            "You receive partner marketing updates as a member of the {name} team. Switch them off on the team screen: {}",
            st.config.link(&format!("/integrations/{id}/team"))
        ),
        UpdateKind::Programme => format!(
            "Platform and partner-programme updates reach every member of the {name} team while they are on it."
        ),
    };
    let text = format!(
        "{body}\n\n--\n{} from {} for the {name} team.\n{footer}\n",
        kind.label(),
        me.name
    );
    let bodies = vec![text; to.len()];
    mail::enqueue_many(&mut tx, &to, &format!("[{name}] {subject}"), &bodies).await?;
    record(
        &mut tx,
        &me,
        id,
        "team.update_sent",
        None,
        json!({ "kind": kind.as_str(), "subject": subject, "recipients": to.len() }),
    )
    .await?;
    tx.commit().await?;
    Ok(to.len() as i64)
}

type InviteRow = (
    Uuid,
    Uuid,
    String,
    String,
    String,
    String,
    bool,
    String,
    Option<String>,
);

/// The open team row a token names (pending and unexpired), or why it cannot be used.
async fn live_invite(
    conn: &mut PgConnection,
    text: &str,
    lock: bool,
) -> Result<InviteRow, AppError> {
    let row: Option<InviteRow> = sqlx::query_as(&format!(
        "SELECT t.id, t.integration_id, t.email, t.role, t.status, t.source, coalesce(t.expires_at <= now(), false), t.note, ib.name \
         FROM team_members t LEFT JOIN users ib ON ib.id = t.invited_by WHERE t.token_hash = $1{}",
        if lock { " FOR UPDATE OF t" } else { "" }
    ))
    .bind(token::hash(text))
    .fetch_optional(conn)
    .await?;
    match row {
        Some(r) if r.6 => Err(Refusal::InvitationExpired.into()),
        Some(r) => Ok(r),
        None => Err(Refusal::InvitationInvalid.into()),
    }
}

pub async fn invite_landing(
    st: &AppState,
    me: &Actor,
    text: &str,
) -> Result<TeamInviteLanding, AppError> {
    let mut conn = st.pool.acquire().await?;
    let (_, id, email, role, _, _, _, note, inviter) = live_invite(&mut conn, text, false).await?;
    let landing = landing_of(&mut conn, id, None).await?;
    let role_now = team_role(&mut conn, id, me.id, false).await?;
    Ok(TeamInviteLanding {
        integration: landing.name,
        description: landing.description,
        role: parse_role(&role)?,
        note,
        inviter,
        email,
        marketing_contact: landing.marketing_contact,
        already_member: role_now.is_some(),
    })
}

/// Accept a team invitation (TM-4): signed in with the invited, verified address.
/// Joiners (SJ-2) become collaborators, and every admin is told.
pub async fn accept(st: &AppState, me: &Actor, text: &str) -> Result<Uuid, AppError> {
    let mut tx = st.pool.begin().await?;
    let (_, id, ..) = live_invite(&mut tx, text, false).await?;
    // Lock order as everywhere: the integration (with the caller's role), then its team rows.
    let already = team_role(&mut tx, id, me.id, true).await?.is_some();
    let (member, _, email, role, _, source, ..) = live_invite(&mut tx, text, true).await?;
    if me.email != email {
        return Err(Refusal::WrongAddress {
            signed_in_as: me.email.clone(),
        }
        .into());
    }
    if !me.email_verified {
        return Err(Refusal::Unverified.into());
    }
    if already {
        return Err(Refusal::AlreadyOnTeam.into());
    }
    // A widget request takes its place on the team only now, if there is room (TM-1).
    let (unconfirmed,): (bool,) =
        sqlx::query_as("SELECT unconfirmed FROM team_members WHERE id = $1")
            .bind(member)
            .fetch_one(&mut *tx)
            .await?;
    if unconfirmed {
        ensure_room(&mut tx, id).await?;
    }
    sqlx::query(
        "UPDATE team_members SET status = 'accepted', user_id = $2, accepted_at = now(), token_hash = NULL, \
         unconfirmed = false WHERE id = $1",
    )
    .bind(member)
    .bind(me.id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO team_subscriptions (integration_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(me.id)
    .execute(&mut *tx)
    .await?;
    if source == "join" {
        let name = integration_name(&mut tx, id).await?;
        let admins: Vec<(String,)> = sqlx::query_as(&format!(
            "SELECT u.email FROM team_members t JOIN users u ON u.id = t.user_id \
             WHERE t.integration_id = $1 AND {} = 'admin' ORDER BY u.email",
            repo::team_role_sql("t")
        ))
        .bind(id)
        .fetch_all(&mut *tx)
        .await?;
        let admins: Vec<String> = admins.into_iter().map(|(e,)| e).collect();
        let body = format!(
            "{} ({}) joined the {name} team as a collaborator through self-serve joining.\n\nSee the team: {}\n",
            me.name,
            me.email,
            st.config.link(&format!("/integrations/{id}/team"))
        );
        let bodies = vec![body; admins.len()];
        mail::enqueue_many(
            &mut tx,
            &admins,
            &format!("{} joined the {name} team", me.name),
            &bodies,
        )
        .await?;
    }
    record(
        &mut tx,
        me,
        id,
        "team.joined",
        Some(format!("user:{}", me.id)),
        json!({ "role": role, "via": source }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
