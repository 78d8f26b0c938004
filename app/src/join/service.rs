//! Join settings, embed origins and join requests (SJ-1 … SJ-3).
use super::{
    EmbedPage, JoinOutcome, ORIGINS_MAX, PER_CLIENT_PER_HOUR, PER_INTEGRATION_PER_HOUR,
    PER_PERSON_PER_HOUR, RESEND_AFTER_MINUTES,
};
use crate::domain::email::EmailAddress;
use crate::domain::policy::{self, TeamAction, UseAction};
use crate::domain::roles::TeamRole;
use crate::domain::team::{
    default_note, email_domain, embed_origin, join_domain, TEAM_INVITE_DAYS,
};
use crate::error::{AppError, Refusal};
use crate::integrations::IntegrationSummary;
use crate::server::history::{self, Entry};
use crate::server::team_access::{authorize, record, viewer};
use crate::server::Actor;
use crate::server::{mail, AppState};
use crate::team::service::{add_pending, ensure_room, issue_token};
use serde_json::json;
use sqlx::{Connection, PgConnection};
use uuid::Uuid;

pub async fn embed_page(st: &AppState, me: &Actor, id: Uuid) -> Result<EmbedPage, AppError> {
    let (mut conn, _, role) = viewer(st, me, id, TeamAction::View).await?;
    let (name, public, join_enabled, origins): (String, bool, bool, Vec<String>) = sqlx::query_as(
        "SELECT i.name, i.visibility = 'public', i.join_enabled, \
           coalesce((SELECT array_agg(origin ORDER BY origin) FROM embed_origins WHERE integration_id = i.id), '{}') \
         FROM integrations i WHERE i.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(EmbedPage {
        id,
        name,
        role,
        public,
        join_enabled,
        origins,
        snippet: format!(
            "<div data-gatehouse-join=\"{id}\"></div>\n<script src=\"{}\" async></script>",
            st.config.link("/embed.js")
        ),
        widget_url: st.config.link(&format!("/widget/join/{id}")),
    })
}

pub const MAX_JOIN_DOMAINS: usize = 50;

/// Switch joining on or off and replace the eligible domains (SJ-1). Every listed
/// domain is checked; any bad or repeated one refuses the whole change.
pub async fn set_join(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    enabled: bool,
    domains: &str,
) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::ManageJoinAndEmbed).await?;
    let raws = crate::integrations::split_addresses(domains);
    if raws.len() > MAX_JOIN_DOMAINS {
        return Err(AppError::validation(
            "domains",
            format!("List at most {MAX_JOIN_DOMAINS} domains."),
        ));
    }
    let mut list: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut problems = Vec::new();
    for raw in raws {
        match join_domain(raw) {
            Ok(d) if !seen.insert(d.clone()) => problems.push(format!("{d} is listed twice.")),
            Ok(d) => list.push(d),
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(AppError::validation("domains", problems.join("\n")));
    }
    if enabled && list.is_empty() {
        return Err(AppError::validation(
            "domains",
            "List at least one eligible domain before switching joining on.",
        ));
    }
    let (public,): (bool,) =
        sqlx::query_as("SELECT visibility = 'public' FROM integrations WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
    if enabled && !public {
        return Err(AppError::validation(
            "enabled",
            "Only public integrations can let people join. Make the integration public first.",
        ));
    }
    sqlx::query("UPDATE integrations SET join_enabled = $2 WHERE id = $1")
        .bind(id)
        .bind(enabled)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM join_domains WHERE integration_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO join_domains (integration_id, domain) SELECT $1, d FROM unnest($2::text[]) AS d")
        .bind(id)
        .bind(&list)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &me,
        id,
        "join.settings_changed",
        None,
        json!({ "enabled": enabled, "domains": list }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn add_origin(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    origin: &str,
) -> Result<String, AppError> {
    let origin = embed_origin(origin).map_err(|m| AppError::validation("origin", m))?;
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::ManageJoinAndEmbed).await?;
    let (n, exists): (i64, bool) = sqlx::query_as(
        "SELECT count(*), coalesce(bool_or(origin = $2), false) FROM embed_origins WHERE integration_id = $1",
    )
    .bind(id)
    .bind(&origin)
    .fetch_one(&mut *tx)
    .await?;
    if exists {
        return Err(AppError::validation(
            "origin",
            format!("{origin} is already allowed."),
        ));
    }
    if n as usize >= ORIGINS_MAX {
        return Err(AppError::validation(
            "origin",
            format!("An integration can list at most {ORIGINS_MAX} origins."),
        ));
    }
    sqlx::query("INSERT INTO embed_origins (integration_id, origin) VALUES ($1, $2)")
        .bind(id)
        .bind(&origin)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &me,
        id,
        "embed.origin_added",
        None,
        json!({ "origin": origin }),
    )
    .await?;
    tx.commit().await?;
    Ok(origin)
}

pub async fn remove_origin(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    origin: &str,
) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::ManageJoinAndEmbed).await?;
    let done = sqlx::query("DELETE FROM embed_origins WHERE integration_id = $1 AND origin = $2")
        .bind(id)
        .bind(origin)
        .execute(&mut *tx)
        .await?;
    if done.rows_affected() == 0 {
        return Err(AppError::NotFound);
    }
    record(
        &mut tx,
        &me,
        id,
        "embed.origin_removed",
        None,
        json!({ "origin": origin }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Public integrations that accept joins, by name (SJ-2). Nothing else is ever listed.
pub async fn joinable(
    st: &AppState,
    me: &Actor,
    q: &str,
) -> Result<Vec<IntegrationSummary>, AppError> {
    let mut conn = st.pool.acquire().await?;
    let pattern = crate::integrations::repo::contains_pattern(q);
    let rows: Vec<(Uuid, String, String, String, Option<String>)> = sqlx::query_as(&format!(
        "SELECT i.id, i.slug, i.name, i.description, {} FROM integrations i \
         LEFT JOIN team_members t ON t.integration_id = i.id AND t.user_id = $2 \
         WHERE i.visibility = 'public' AND i.join_enabled AND i.name ILIKE $1 ORDER BY lower(i.name), i.id LIMIT 50",
        crate::integrations::repo::team_role_sql("t")
    ))
    .bind(pattern)
    .bind(me.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, name, description, role)| IntegrationSummary {
            id,
            slug,
            name,
            description,
            visibility: "public".into(),
            role: role.and_then(|r| TeamRole::parse(&r)),
        })
        .collect())
}

/// Who asks: from the app, a signed-in user (their address verified or not);
/// from the widget, an address typed in (proved later, by the mail and the sign-in).
pub struct Requester {
    pub user: Option<Uuid>,
    pub email: EmailAddress,
    pub verified: bool,
    pub client: String,
}

/// A join request (SJ-2, SJ-3). Refusals all read alike; repeated requests within a few
/// minutes send nothing new; every request counts against the hourly limits.
pub async fn request(
    st: &AppState,
    conn: &mut PgConnection,
    id: Uuid,
    who: &Requester,
) -> Result<JoinOutcome, AppError> {
    // The attempt is counted in its own short transaction (so a refusal still counts),
    // under locks on the integration and the client: parallel requests cannot all slip
    // under the limits.
    let mut counting = conn.begin().await?;
    crate::server::hold_locks(
        &mut counting,
        &[format!("join:{id}"), format!("join-client:{}", who.client)],
    )
    .await?;
    let (by_person, by_integration, by_client): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE email = $2 OR user_id = $3), count(*) FILTER (WHERE integration_id = $1), \
                count(*) FILTER (WHERE client = $4) \
         FROM join_requests WHERE at > now() - interval '1 hour' \
           AND (integration_id = $1 OR email = $2 OR user_id = $3 OR client = $4)",
    )
    .bind(id)
    .bind(who.email.as_str())
    .bind(who.user)
    .bind(&who.client)
    .fetch_one(&mut *counting)
    .await?;
    if by_person >= PER_PERSON_PER_HOUR
        || by_client >= PER_CLIENT_PER_HOUR
        || by_integration >= PER_INTEGRATION_PER_HOUR
    {
        return Err(AppError::TooManyRequests(
            "Too many requests to join. Wait an hour and try again.".into(),
        ));
    }
    // The attempt is recorded only against an integration that exists (foreign key);
    // an unknown id still gets the same refusal below.
    sqlx::query(
        "INSERT INTO join_requests (integration_id, user_id, email, client) \
         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM integrations WHERE id = $1)",
    )
    .bind(id)
    .bind(who.user)
    .bind(who.email.as_str())
    .bind(&who.client)
    .execute(&mut *counting)
    .await?;
    counting.commit().await?;

    let mut tx = conn.begin().await?;
    let found: Option<(String, bool)> = sqlx::query_as(
        "SELECT name, visibility = 'public' AND join_enabled FROM integrations WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (name, joinable) = found.unwrap_or_default();
    let domain = email_domain(who.email.as_str()).unwrap_or_default();
    let (eligible,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM join_domains WHERE integration_id = $1 AND domain = $2)",
    )
    .bind(id)
    .bind(&domain)
    .fetch_one(&mut *tx)
    .await?;
    // The policy decides on the integration; the address must be verified and eligible.
    if policy::integration_use(false, joinable, UseAction::RequestJoin).is_err()
        || !(eligible && who.verified)
    {
        return Err(Refusal::JoinRefused.into());
    }
    let existing: Option<(Uuid, String, String, bool, bool)> = sqlx::query_as(
        "SELECT id, status, source, invited_at > now() - make_interval(mins => $3), \
                expires_at <= now() AND NOT unconfirmed \
         FROM team_members WHERE integration_id = $1 AND (email = $2 OR user_id = $4) ORDER BY status LIMIT 1 FOR UPDATE",
    )
    .bind(id)
    .bind(who.email.as_str())
    .bind(RESEND_AFTER_MINUTES)
    .bind(who.user)
    .fetch_optional(&mut *tx)
    .await?;
    let member = match existing {
        Some((_, status, ..)) if status == "accepted" => {
            if who.user.is_none() {
                // From the widget anyone can type any address: the answer on the page is
                // the usual one, and the mailbox's owner learns they are on the team already.
                let body = format!(
                    "Hello,\n\nSomeone asked to join the {name} team on Gatehouse with this address. You are on the team already:\n\n{}\n",
                    st.config.link(&format!("/integrations/{id}/team"))
                );
                mail::enqueue(
                    &mut tx,
                    who.email.as_str(),
                    &format!("You are on the {name} team already"),
                    &body,
                )
                .await?;
                tx.commit().await?;
            }
            return Ok(JoinOutcome::AlreadyMember);
        }
        // An invitation from a member, or a join mail moments ago: send nothing new.
        Some((_, _, source, recent, _)) if source == "invite" || recent => {
            return Ok(JoinOutcome::AlreadySent)
        }
        // An expired request holds no place: asking again takes one, if there is room.
        Some((mid, _, _, _, expired)) => {
            if expired {
                ensure_room(&mut tx, id).await?;
            }
            mid
        }
        None => {
            add_pending(
                &mut tx,
                id,
                who.email.as_str(),
                TeamRole::Collaborator,
                &default_note(TeamRole::Collaborator, &name),
                None,
                "join",
                // From the widget anyone may type any address: no place until accepted.
                who.user.is_none(),
            )
            .await?
        }
    };
    let text = issue_token(&mut tx, member).await?;
    let link = st.config.link(&format!("/team-invite/{text}"));
    let body = format!(
        "Hello,\n\nSomeone — we hope you — asked to join the {name} team on Gatehouse as a collaborator with this address.\n\n\
         To finish joining, open:\n\n{link}\n\nSign in (or sign up) with this address, {}, then accept. \
         The link works once and expires in {TEAM_INVITE_DAYS} days. If you did not ask for this, ignore this mail.\n",
        who.email
    );
    mail::enqueue(
        &mut tx,
        who.email.as_str(),
        &format!("Finish joining the {name} team"),
        &body,
    )
    .await?;
    history::record(
        &mut tx,
        Entry {
            actor_id: who.user,
            action: "join.requested",
            integration_id: Some(id),
            subject: Some(format!("integration:{id}")),
            target: Some(who.email.to_string()),
            after: Some(json!({ "from": if who.user.is_some() { "app" } else { "widget" } })),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(JoinOutcome::Sent)
}

/// The in-app request (SJ-2): the signed-in user's own address.
pub async fn request_as_user(st: &AppState, me: &Actor, id: Uuid) -> Result<JoinOutcome, AppError> {
    let mut conn = st.pool.acquire().await?;
    let email = EmailAddress::parse(&me.email).map_err(|_| AppError::from(Refusal::JoinRefused))?;
    request(
        st,
        &mut conn,
        id,
        &Requester {
            user: Some(me.id),
            email,
            verified: me.email_verified,
            client: me.client.clone(),
        },
    )
    .await
}
