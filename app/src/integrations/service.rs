//! Integration rules: team roles decide who manages; grants decide who uses (SH-1, SH-2, SH-6, SH-7).
use super::{
    repo, AccessView, IntegrationPage, IntegrationSummary, Joiner, Landing, LinkView,
    MyIntegrations, RevokePreview, SharingPage, VersionView,
};
use crate::access::RoadDates;
use crate::auth::CurrentUser;
use crate::domain::policy::{self, TeamAction};
use crate::domain::roles::TeamRole;
use crate::domain::{semver, validate};
use crate::error::{AppError, Refusal};
use crate::server::crypto::{Keyring, Sealed, Secret};
use crate::server::team_access::{authorize, landing_of, record, viewer, Tx};
use crate::server::Actor;
use crate::server::{token, AppState};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// A new active invite link for the integration (all versions when `version` is None).
pub(crate) async fn new_link(
    conn: &mut PgConnection,
    keyring: &Keyring,
    id: Uuid,
    version: Option<Uuid>,
) -> Result<Uuid, AppError> {
    let (text, hash) = token::new_token();
    let sealed = keyring.seal(&Secret::new(text));
    let (link,): (Uuid,) = sqlx::query_as(
        "INSERT INTO invite_links (integration_id, version_id, token_hash, token_key_id, token_nonce, token_ciphertext) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(id)
    .bind(version)
    .bind(hash)
    .bind(&sealed.key_id)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .fetch_one(conn)
    .await?;
    Ok(link)
}

/// Give every integration its invite links: one to all versions and one per version (SH-1),
/// where an active one is missing or cannot be shown (made before links were kept sealed). Run at start-up
/// after the migrations (a migration cannot seal tokens: that needs the keyring); under a
/// lock, so servers starting together make each link once. Returns how many were made.
pub async fn backfill_links(pool: &sqlx::PgPool, keyring: &Keyring) -> Result<usize, AppError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('gatehouse.backfill_links'))")
        .execute(&mut *tx)
        .await?;
    // An active link whose token was never kept (made before links were sealed) cannot be
    // shown: it is retired like a rotation, and gets a successor below.
    sqlx::query(
        "UPDATE invite_links SET active = false, rotated_at = now() WHERE active AND token_ciphertext IS NULL",
    )
    .execute(&mut *tx)
    .await?;
    let missing: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "SELECT i.id, s.version_id FROM integrations i \
         CROSS JOIN LATERAL (SELECT NULL::uuid AS version_id \
                             UNION ALL SELECT v.id FROM integration_versions v WHERE v.integration_id = i.id) s \
         WHERE NOT EXISTS (SELECT 1 FROM invite_links l WHERE l.integration_id = i.id \
                           AND l.version_id IS NOT DISTINCT FROM s.version_id AND l.active)",
    )
    .fetch_all(&mut *tx)
    .await?;
    for &(id, version) in &missing {
        new_link(&mut tx, keyring, id, version).await?;
    }
    tx.commit().await?;
    Ok(missing.len())
}

pub async fn create(
    st: &AppState,
    me: &Actor,
    name: &str,
    description: &str,
) -> Result<Uuid, AppError> {
    let name = validate::name(name, "name").map_err(|m| AppError::validation("name", m))?;
    let description = validate::text(description, 0, 2000).ok_or_else(|| {
        AppError::validation("description", "Keep the description under 2000 characters.")
    })?;
    let mut tx = st.pool.begin().await?;
    let base = semver::slug(&name);
    let taken: Vec<(String,)> =
        sqlx::query_as("SELECT slug FROM integrations WHERE slug = $1 OR slug LIKE $1 || '-%'")
            .bind(&base)
            .fetch_all(&mut *tx)
            .await?;
    let slug = (1..)
        .map(|n| {
            if n == 1 {
                base.clone()
            } else {
                format!("{base}-{n}")
            }
        })
        .find(|s| !taken.iter().any(|(t,)| t == s))
        .unwrap_or(base);
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO integrations (slug, name, description) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(&slug)
    .bind(&name)
    .bind(description)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO team_members (integration_id, user_id, email, role, status, accepted_at) VALUES ($1, $2, $3, 'admin', 'accepted', now())",
    )
    .bind(id)
    .bind(me.id)
    .bind(&me.email)
    .execute(&mut *tx)
    .await?;
    new_link(&mut tx, &st.config.keyring, id, None).await?;
    record(
        &mut tx,
        me,
        id,
        "integration.created",
        Some(format!("user:{}", me.id)),
        json!({ "name": name, "slug": slug, "role": "admin" }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn add_version(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    version: &str,
) -> Result<Uuid, AppError> {
    let version = semver::parse(version).map_err(|m| AppError::validation("version", m))?;
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::EditIntegration).await?;
    let exists: Option<(i32,)> = sqlx::query_as(
        "SELECT 1 FROM integration_versions WHERE integration_id = $1 AND version = $2",
    )
    .bind(id)
    .bind(&version)
    .fetch_optional(&mut *tx)
    .await?;
    if exists.is_some() {
        return Err(AppError::validation(
            "version",
            format!("Version {version} exists already."),
        ));
    }
    let (vid,): (Uuid,) = sqlx::query_as(
        "INSERT INTO integration_versions (integration_id, version) VALUES ($1, $2) RETURNING id",
    )
    .bind(id)
    .bind(&version)
    .fetch_one(&mut *tx)
    .await?;
    new_link(&mut tx, &st.config.keyring, id, Some(vid)).await?;
    record(
        &mut tx,
        &me,
        id,
        "integration.version_added",
        None,
        json!({ "version": version }),
    )
    .await?;
    tx.commit().await?;
    Ok(vid)
}

pub async fn edit(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    name: &str,
    description: &str,
) -> Result<(), AppError> {
    let name = validate::name(name, "name").map_err(|m| AppError::validation("name", m))?;
    let description = validate::text(description, 0, 2000).ok_or_else(|| {
        AppError::validation("description", "Keep the description under 2000 characters.")
    })?;
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::EditIntegration).await?;
    sqlx::query("UPDATE integrations SET name = $2, description = $3 WHERE id = $1")
        .bind(id)
        .bind(&name)
        .bind(description)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &me,
        id,
        "integration.edited",
        None,
        json!({ "name": name }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn set_visibility(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    visibility: &str,
) -> Result<(), AppError> {
    if visibility != "public" && visibility != "private" {
        return Err(AppError::validation(
            "visibility",
            "Choose public or private.",
        ));
    }
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::EditIntegration).await?;
    // Going private also ends self-serve joining, which only public integrations offer (SJ-1).
    sqlx::query("UPDATE integrations SET visibility = $2, join_enabled = join_enabled AND $2 = 'public' WHERE id = $1")
        .bind(id)
        .bind(visibility)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &me,
        id,
        "integration.visibility_changed",
        None,
        json!({ "visibility": visibility }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

type SummaryRow = (Uuid, String, String, String, String, Option<String>);

fn summaries(rows: Vec<SummaryRow>) -> Vec<IntegrationSummary> {
    rows.into_iter()
        .map(
            |(id, slug, name, description, visibility, role)| IntegrationSummary {
                id,
                slug,
                name,
                description,
                visibility,
                role: role.and_then(|r| TeamRole::parse(&r)),
            },
        )
        .collect()
}

/// Public integrations by name, for every signed-in user (SH-1). Private ones never appear.
pub async fn directory(
    st: &AppState,
    _me: &Actor,
    q: &str,
) -> Result<Vec<IntegrationSummary>, AppError> {
    let mut conn = st.pool.acquire().await?;
    let pattern = crate::integrations::repo::contains_pattern(q);
    let rows: Vec<SummaryRow> = sqlx::query_as(
        "SELECT id, slug, name, description, visibility, NULL::text FROM integrations \
         WHERE visibility = 'public' AND name ILIKE $1 ORDER BY lower(name), id LIMIT 50",
    )
    .bind(pattern)
    .fetch_all(&mut *conn)
    .await?;
    Ok(summaries(rows))
}

pub async fn mine(st: &AppState, me: &Actor) -> Result<MyIntegrations, AppError> {
    let mut conn = st.pool.acquire().await?;
    let team: Vec<SummaryRow> = sqlx::query_as(&format!(
        "SELECT i.id, i.slug, i.name, i.description, i.visibility, {role} FROM integrations i \
         JOIN team_members t ON t.integration_id = i.id AND t.user_id = $1 WHERE {role} IS NOT NULL ORDER BY lower(i.name), i.id",
        role = repo::team_role_sql("t")
    ))
    .bind(me.id)
    .fetch_all(&mut *conn)
    .await?;
    let shared: Vec<SummaryRow> = sqlx::query_as(&format!(
        "SELECT DISTINCT i.id, i.slug, i.name, i.description, i.visibility, NULL::text FROM integrations i \
         JOIN access_grants g ON g.integration_id = i.id AND g.user_id = $1 AND {} \
         WHERE NOT {} ORDER BY 3, 1",
        repo::grant_live_sql("g"),
        repo::on_team_sql("$1")
    ))
    .bind(me.id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(MyIntegrations {
        team: summaries(team),
        shared: summaries(shared),
    })
}

/// What `me` may use of an integration and how they got access: the versions come from the
/// one access rule (`may_use_sql`), so this page cannot disagree with a Zap's check. One
/// statement. Anyone who may use no version of it, and is not on its team, gets NotFound.
pub async fn usable(
    st: &AppState,
    me: &Actor,
    id: Uuid,
) -> Result<super::UsableIntegration, AppError> {
    type Row = (
        String,
        String,
        String,
        sqlx::types::Json<Vec<String>>,
        sqlx::types::Json<Vec<super::UseRoad>>,
        bool,
    );
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT i.name, i.description, i.visibility, \
           (SELECT coalesce(json_agg(v.version ORDER BY v.created_at, v.version), '[]') \
              FROM integration_versions v WHERE v.integration_id = i.id AND {}), \
           (SELECT coalesce(json_agg(json_build_object('via', g.via, 'version', gv.version, 'granted_at', g.granted_at) \
                                     ORDER BY g.granted_at, g.id), '[]') \
              FROM access_grants g LEFT JOIN integration_versions gv ON gv.id = g.version_id \
              WHERE g.integration_id = i.id AND g.user_id = $2 AND {}), \
           {} \
         FROM integrations i WHERE i.id = $1",
        repo::may_use_sql("$2"),
        repo::grant_live_sql("g"),
        repo::on_team_sql("$2")
    ))
    .bind(id)
    .bind(me.id)
    .fetch_optional(&st.pool)
    .await?;
    let (name, description, visibility, versions, roads, on_team) =
        row.ok_or(AppError::NotFound)?;
    if !on_team && visibility != "public" && roads.0.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(super::UsableIntegration {
        id,
        name,
        description,
        visibility,
        versions: versions.0,
        roads: roads.0,
        on_team,
    })
}

async fn versions(conn: &mut PgConnection, id: Uuid) -> Result<Vec<VersionView>, AppError> {
    let rows: Vec<(Uuid, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, version, created_at FROM integration_versions WHERE integration_id = $1 ORDER BY created_at, version",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, version, created_at)| VersionView {
            id,
            version,
            created_at,
        })
        .collect())
}

pub async fn page(st: &AppState, me: &Actor, id: Uuid) -> Result<IntegrationPage, AppError> {
    let (mut conn, _, role) = viewer(st, me, id, TeamAction::View).await?;
    let (slug, name, description, visibility): (String, String, String, String) = sqlx::query_as(
        "SELECT slug, name, description, visibility FROM integrations WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(IntegrationPage {
        id,
        slug,
        name,
        description,
        visibility,
        role,
        versions: versions(&mut conn, id).await?,
    })
}

type LinkRow = (
    Uuid,
    Option<String>,
    DateTime<Utc>,
    bool,
    String,
    Vec<u8>,
    Vec<u8>,
);
type GrantRow = (
    Uuid,
    String,
    String,
    Option<Uuid>,
    Option<String>,
    String,
    DateTime<Utc>,
    Option<Uuid>,
    bool,
);

pub async fn sharing(st: &AppState, me: &Actor, id: Uuid) -> Result<SharingPage, AppError> {
    let (mut conn, _, role) = viewer(st, me, id, TeamAction::View).await?;
    let admin = policy::team(Some(role), TeamAction::ManageSharing).is_ok();
    let (name, visibility): (String, String) =
        sqlx::query_as("SELECT name, visibility FROM integrations WHERE id = $1")
            .bind(id)
            .fetch_one(&mut *conn)
            .await?;
    let links: Vec<LinkRow> = sqlx::query_as(
        "SELECT l.id, v.version, l.created_at, l.active, coalesce(l.token_key_id, ''), coalesce(l.token_nonce, ''::bytea), \
                coalesce(l.token_ciphertext, ''::bytea) \
         FROM invite_links l LEFT JOIN integration_versions v ON v.id = l.version_id AND v.integration_id = l.integration_id \
         WHERE l.integration_id = $1 ORDER BY l.active DESC, v.created_at NULLS FIRST, l.created_at",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let grants: Vec<GrantRow> = sqlx::query_as(
        "SELECT u.id, u.name, u.email, g.version_id, v.version, g.via, g.granted_at, g.source_id, g.revoked_at IS NULL AND (g.starts_at IS NULL OR g.starts_at <= now()) AND (g.ends_at IS NULL OR g.ends_at > now()) \
         FROM access_grants g JOIN users u ON u.id = g.user_id \
         LEFT JOIN integration_versions v ON v.id = g.version_id AND v.integration_id = g.integration_id \
         WHERE g.integration_id = $1 ORDER BY g.granted_at DESC",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let links = links
        .into_iter()
        .map(
            |(lid, version, created_at, active, key_id, nonce, ciphertext)| {
                let url = (admin && active)
                    .then(|| {
                        st.config
                            .keyring
                            .open(&Sealed {
                                key_id,
                                nonce,
                                ciphertext,
                            })
                            .ok()
                    })
                    .flatten()
                    .map(|t| st.config.link(&format!("/join/{}", t.expose())));
                let joined = grants
                    .iter()
                    .filter(|g| g.7 == Some(lid) && g.5 == "link")
                    .map(|g| Joiner {
                        name: g.1.clone(),
                        email: g.2.clone(),
                        at: g.6,
                        active: g.8,
                    })
                    .collect();
                LinkView {
                    id: lid,
                    version,
                    url,
                    created_at,
                    rotated: !active,
                    joined,
                }
            },
        )
        .collect();
    let access = grants
        .into_iter()
        .filter(|g| g.8)
        .map(
            |(user_id, name, email, version_id, version, via, granted_at, _, _)| AccessView {
                user_id,
                name,
                email,
                version_id,
                version,
                via,
                granted_at,
            },
        )
        .collect();
    let invites = invites(&mut conn, id).await?;
    let versions = versions(&mut conn, id).await?;
    Ok(SharingPage {
        id,
        name,
        visibility,
        role,
        links,
        access,
        invites,
        versions,
    })
}

pub async fn rotate_link(st: &AppState, me: &Actor, id: Uuid, link: Uuid) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::ManageSharing).await?;
    let row: Option<(Option<Uuid>,)> = sqlx::query_as(
        "UPDATE invite_links SET active = false, rotated_at = now() WHERE id = $1 AND integration_id = $2 AND active RETURNING version_id",
    )
    .bind(link)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (version,) = row.ok_or(AppError::NotFound)?;
    let new = new_link(&mut tx, &st.config.keyring, id, version).await?;
    record(
        &mut tx,
        &me,
        id,
        "link.rotated",
        Some(format!("link:{link}")),
        json!({ "new_link": new, "version": version }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

async fn live_link(
    conn: &mut PgConnection,
    text: &str,
) -> Result<(Uuid, Uuid, Option<Uuid>), AppError> {
    let row: Option<(Uuid, Uuid, Option<Uuid>, bool)> = sqlx::query_as(
        "SELECT id, integration_id, version_id, active FROM invite_links WHERE token_hash = $1",
    )
    .bind(token::hash(text))
    .fetch_optional(conn)
    .await?;
    match row {
        Some((link, integration, version, true)) => Ok((link, integration, version)),
        _ => Err(Refusal::LinkRotated.into()),
    }
}

/// After a revocation (SH-6), links admit the person again only once an email invitation
/// was accepted: a block on all versions stops every link, one on a version stops that
/// version's link and the all-versions link.
async fn refuse_if_blocked(
    conn: &mut PgConnection,
    id: Uuid,
    user: Uuid,
    version: Option<Uuid>,
) -> Result<(), AppError> {
    let (blocked,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM link_blocks WHERE integration_id = $1 AND user_id = $2 \
           AND ($3::uuid IS NULL OR version_id IS NULL OR version_id = $3))",
    )
    .bind(id)
    .bind(user)
    .bind(version)
    .fetch_one(conn)
    .await?;
    if blocked {
        return Err(Refusal::LinkBlocked.into());
    }
    Ok(())
}

pub async fn landing(st: &AppState, me: &Actor, text: &str) -> Result<Landing, AppError> {
    let mut conn = st.pool.acquire().await?;
    let (_, id, version) = live_link(&mut conn, text).await?;
    refuse_if_blocked(&mut conn, id, me.id, version).await?;
    let mut landing = landing_of(&mut conn, id, version).await?;
    let (has_access,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM access_grants WHERE integration_id = $1 AND user_id = $2 AND revoked_at IS NULL AND (starts_at IS NULL OR starts_at <= now()) AND (ends_at IS NULL OR ends_at > now()) \
           AND (version_id IS NULL OR version_id IS NOT DISTINCT FROM $3))",
    )
    .bind(id)
    .bind(me.id)
    .bind(version)
    .fetch_one(&mut *conn)
    .await?;
    landing.has_access = has_access;
    Ok(landing)
}

pub async fn accept_link(st: &AppState, me: &Actor, text: &str) -> Result<Uuid, AppError> {
    let mut tx = st.pool.begin().await?;
    let (link, id, version) = live_link(&mut tx, text).await?;
    sqlx::query("SELECT 1 FROM integrations WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // Read under the integration's lock, which revocations take too.
    refuse_if_blocked(&mut tx, id, me.id, version).await?;
    let granted = sqlx::query(
        "INSERT INTO access_grants (integration_id, user_id, version_id, via, source_id) \
         SELECT $1, $2, $3, 'link', $4 WHERE NOT EXISTS (SELECT 1 FROM access_grants WHERE integration_id = $1 AND user_id = $2 \
           AND revoked_at IS NULL AND (starts_at IS NULL OR starts_at <= now()) AND (ends_at IS NULL OR ends_at > now()) AND version_id IS NOT DISTINCT FROM $3)",
    )
    .bind(id)
    .bind(me.id)
    .bind(version)
    .bind(link)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if granted > 0 {
        record(
            &mut tx,
            me,
            id,
            "access.granted",
            Some(format!("user:{}", me.id)),
            json!({ "via": "link", "link": link, "version": version }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// The grants a revocation ends: one version's ($3), or all of the user's ($3 NULL).
const SCOPE: &str = "integration_id = $1 AND user_id = $2 AND revoked_at IS NULL AND ($3::uuid IS NULL OR version_id = $3)";

/// Zaps of the user ($2) that are on and use a version of the integration ($1) they may no longer use.
fn orphaned_zaps() -> String {
    format!(
        "SELECT z.id FROM zaps z WHERE z.owner_id = $2 AND z.enabled AND EXISTS ( \
           SELECT 1 FROM zap_versions zv JOIN integration_versions v ON v.id = zv.version_id \
           JOIN integrations i ON i.id = v.integration_id \
           WHERE zv.zap_id = z.id AND v.integration_id = $1 AND NOT {})",
        repo::may_use_sql("$2")
    )
}

async fn revoke_in(
    tx: &mut Tx,
    id: Uuid,
    user: Uuid,
    version: Option<Uuid>,
) -> Result<(i64, i64), AppError> {
    if let Some(v) = version {
        let (all,): (bool,) = sqlx::query_as(
            "SELECT EXISTS (SELECT 1 FROM access_grants WHERE integration_id = $1 AND user_id = $2 AND revoked_at IS NULL AND version_id IS NULL) \
             OR NOT EXISTS (SELECT 1 FROM integration_versions WHERE id = $3 AND integration_id = $1)",
        )
        .bind(id)
        .bind(user)
        .bind(v)
        .fetch_one(&mut **tx)
        .await?;
        if all {
            return Err(AppError::validation(
                "version",
                "They have access to all versions: remove them from all versions instead.",
            ));
        }
    }
    let revoked = sqlx::query(&format!(
        "UPDATE access_grants SET revoked_at = now() WHERE {SCOPE}"
    ))
    .bind(id)
    .bind(user)
    .bind(version)
    .execute(&mut **tx)
    .await?
    .rows_affected() as i64;
    if revoked == 0 {
        return Err(AppError::NotFound);
    }
    // Links stop admitting them until they are invited again (SH-6).
    sqlx::query(
        "INSERT INTO link_blocks (integration_id, user_id, version_id) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(user)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE email_invites SET status = 'revoked', revoked_at = now() WHERE integration_id = $1 AND accepted_user_id = $2 \
         AND status = 'accepted' AND ($3::uuid IS NULL OR version_id = $3)",
    )
    .bind(id)
    .bind(user)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    let paused = pause_orphaned(tx, id, user, " was revoked").await?.len() as i64;
    Ok((revoked, paused))
}

/// Pause every Zap of `user` that is on and uses a version of integration `id` they may
/// no longer use (SH-6), with the reason "Access to <name><how>"; their names, in order.
pub(crate) async fn pause_orphaned(
    conn: &mut PgConnection,
    id: Uuid,
    user: Uuid,
    how: &str,
) -> Result<Vec<String>, AppError> {
    // The platform hears of it (PL-3) in the same statement: when Zaps paused, or when no
    // version of the integration is left to the person.
    let rows: Vec<(String,)> = sqlx::query_as(&format!(
        "WITH paused AS (UPDATE zaps SET enabled = false, updated_at = now(), \
           paused_reason = 'Access to ' || (SELECT name FROM integrations WHERE id = $1) || $3 \
         WHERE id IN ({}) RETURNING id, name, account_id, paused_reason), \
         ev AS (INSERT INTO events (kind, payload) \
           SELECT 'access.ended', jsonb_build_object('integration_id', $1::uuid, 'user_id', $2::uuid, \
             'reason', 'Access to ' || i.name || $3, \
             'versions_left', (SELECT coalesce(jsonb_agg(v.version ORDER BY v.created_at), '[]') \
                               FROM integration_versions v WHERE v.integration_id = i.id AND {}), \
             'zaps_paused', (SELECT coalesce(jsonb_agg(jsonb_build_object('id', p.id, 'name', p.name, \
                               'account_id', p.account_id) ORDER BY p.name, p.id), '[]') FROM paused p)) \
           FROM integrations i WHERE i.id = $1 \
             AND (EXISTS (SELECT 1 FROM paused) OR NOT EXISTS (SELECT 1 FROM integration_versions v \
                  WHERE v.integration_id = i.id AND {}))) \
         SELECT name FROM paused",
        orphaned_zaps(),
        repo::may_use_sql("$2"),
        repo::may_use_sql("$2")
    ))
    .bind(id)
    .bind(user)
    .bind(how)
    .fetch_all(&mut *conn)
    .await?;
    let mut names: Vec<String> = rows.into_iter().map(|(n,)| n).collect();
    names.sort();
    Ok(names)
}

/// What revoking would do: the revocation itself, run and rolled back.
pub async fn revoke_preview(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    user: Uuid,
    version: Option<Uuid>,
) -> Result<RevokePreview, AppError> {
    let (mut tx, _, _) = authorize(st, me, id, TeamAction::ManageSharing).await?;
    let (name, email): (String, String) =
        sqlx::query_as("SELECT name, email FROM users WHERE id = $1")
            .bind(user)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound)?;
    let scope = match version {
        Some(v) => {
            let (label,): (String,) = sqlx::query_as(
                "SELECT version FROM integration_versions WHERE id = $1 AND integration_id = $2",
            )
            .bind(v)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(AppError::NotFound)?;
            format!("version {label}")
        }
        None => "all versions".into(),
    };
    let (_, paused) = revoke_in(&mut tx, id, user, version).await?;
    tx.rollback().await?;
    Ok(RevokePreview {
        name,
        email,
        scope,
        zaps_to_pause: paused,
    })
}

pub async fn revoke(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    user: Uuid,
    version: Option<Uuid>,
    reason: &str,
) -> Result<i64, AppError> {
    let reason = crate::server::history::reason(reason)?;
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::ManageSharing).await?;
    let (revoked, paused) = revoke_in(&mut tx, id, user, version).await?;
    crate::server::team_access::record_change(
        &mut tx,
        &me,
        id,
        if version.is_some() {
            "access.revoked"
        } else {
            "access.removed_from_all"
        },
        Some(format!("user:{user}")),
        crate::server::team_access::Change {
            before: None,
            after: json!({ "version": version, "grants": revoked, "zaps_paused": paused }),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(paused)
}

// Email invites (SH-3, SH-4, SH-5) ----------------------------------------------

/// A pending invite counts until it expires; an accepted one always counts.
const COUNTED: &str =
    "integration_id = $1 AND (status = 'accepted' OR (status = 'pending' AND expires_at > now()))";

pub async fn invites(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Vec<super::InviteView>, AppError> {
    type InviteRow = (
        Uuid,
        String,
        Option<String>,
        String,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<Uuid>,
        Option<Uuid>,
    );
    let rows: Vec<InviteRow> = sqlx::query_as(
        "SELECT e.id, e.email, v.version, \
                CASE WHEN e.status = 'pending' AND e.expires_at <= now() THEN 'expired' ELSE e.status END, \
                e.invited_at, e.accepted_at, e.version_id, e.accepted_user_id \
         FROM email_invites e LEFT JOIN integration_versions v ON v.id = e.version_id \
         WHERE e.integration_id = $1 ORDER BY e.invited_at DESC, e.email",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(
                id,
                email,
                version,
                status,
                invited_at,
                accepted_at,
                version_id,
                accepted_user_id,
            )| {
                super::InviteView {
                    id,
                    email,
                    version,
                    status,
                    invited_at,
                    accepted_at,
                    version_id,
                    accepted_user_id,
                }
            },
        )
        .collect())
}

/// The email invitations of an integration (SH-5), for anyone on its team.
pub async fn invitations(
    st: &AppState,
    me: &Actor,
    id: Uuid,
) -> Result<Vec<super::InviteView>, AppError> {
    let (mut conn, _, _) = viewer(st, me, id, TeamAction::View).await?;
    invites(&mut conn, id).await
}

/// Send one pending invitation again: a new link (the old one stops working), 14 more
/// days, and a mail. Keyed on the invitation itself: an address may hold an expired
/// invitation beside a newer one for the same version, and only this one changes.
async fn resend_mail(
    conn: &mut PgConnection,
    st: &AppState,
    me: &CurrentUser,
    id: Uuid,
    invite: Uuid,
    version: Option<Uuid>,
    email: &str,
) -> Result<(), AppError> {
    let mail = InviteMail::new(conn, st, me, id, version, &[email.to_string()]).await?;
    sqlx::query(
        "UPDATE email_invites SET token_hash = $3, expires_at = now() + make_interval(days => $4), invited_at = now(), invited_by = $5 \
         WHERE id = $1 AND integration_id = $2",
    )
    .bind(invite)
    .bind(id)
    .bind(&mail.hashes[0])
    .bind(super::INVITE_DAYS)
    .bind(me.id)
    .execute(&mut *conn)
    .await?;
    mail.enqueue(conn).await
}

/// The invitation mails of a batch: one new link per address (only its hash is kept)
/// and the text that carries it, in the order of `to`.
struct InviteMail {
    to: Vec<String>,
    hashes: Vec<Vec<u8>>,
    subject: String,
    bodies: Vec<String>,
}

impl InviteMail {
    async fn new(
        conn: &mut PgConnection,
        st: &AppState,
        me: &CurrentUser,
        id: Uuid,
        version: Option<Uuid>,
        emails: &[String],
    ) -> Result<Self, AppError> {
        let (name, label): (String, Option<String>) = sqlx::query_as(
            "SELECT i.name, v.version FROM integrations i LEFT JOIN integration_versions v ON v.id = $2 WHERE i.id = $1",
        )
        .bind(id)
        .bind(version)
        .fetch_one(&mut *conn)
        .await?;
        let scope = label
            .map(|v| format!("version {v}"))
            .unwrap_or_else(|| "all versions".into());
        let (mut hashes, mut bodies) = (Vec::new(), Vec::new());
        for email in emails {
            let (text, hash) = token::new_token();
            let link = st.config.link(&format!("/invite/{text}"));
            bodies.push(format!(
                "Hello,\n\n{} ({}) invited you to use {name} ({scope}) on Gatehouse.\n\nTo accept, open:\n\n{link}\n\n\
                 Sign in (or sign up) with this address, {email}. The invitation works once and expires in {} days.\n",
                me.name,
                me.email,
                super::INVITE_DAYS
            ));
            hashes.push(hash);
        }
        Ok(Self {
            to: emails.to_vec(),
            hashes,
            subject: format!("You are invited to use {name}"),
            bodies,
        })
    }

    async fn enqueue(&self, conn: &mut PgConnection) -> Result<(), AppError> {
        crate::server::mail::enqueue_many(conn, &self.to, &self.subject, &self.bodies).await?;
        Ok(())
    }
}

/// Invite every address of a pasted list to one version or all (SH-3). Any bad
/// address, or a batch that would pass the cap (SH-4), refuses the whole batch.
pub async fn invite(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    list: &str,
    version: Option<Uuid>,
) -> Result<super::InviteReport, AppError> {
    invite_dated(st, me, id, list, version, &RoadDates::default()).await
}

/// As `invite`, with the start and end of the access each invitation gives (AX-2).
pub async fn invite_dated(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    list: &str,
    version: Option<Uuid>,
    dates: &RoadDates,
) -> Result<super::InviteReport, AppError> {
    // Who is asking before anything else; then the size of the list, then its contents.
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::ManageSharing).await?;
    crate::access::service::check_new_dates(dates)?;
    if dates.then_collaborator {
        return Err(AppError::validation(
            "then_collaborator",
            "Only a team admin's end can leave them collaborator.",
        ));
    }
    let lines = super::split_addresses(list);
    if lines.is_empty() {
        return Err(AppError::validation(
            "emails",
            "Enter at least one email address.",
        ));
    }
    if lines.len() > super::MAX_BATCH_LINES {
        return Err(AppError::validation(
            "emails",
            format!(
                "Paste at most {} addresses at once (an integration has room for {} people by email). Nothing was sent.",
                super::MAX_BATCH_LINES,
                super::INVITE_CAP
            ),
        ));
    }
    let mut bad = Vec::new();
    let mut emails: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (n, line) in lines.iter().enumerate() {
        match crate::domain::email::EmailAddress::parse(line) {
            Ok(e) => {
                if seen.insert(e.as_str().to_string()) {
                    emails.push(e.as_str().to_string())
                }
            }
            Err(why) => bad.push(format!("{} “{line}”: {why}", n + 1)),
        }
    }
    if !bad.is_empty() {
        let more = bad.len().saturating_sub(20);
        bad.truncate(20);
        if more > 0 {
            bad.push(format!("… and {more} more"));
        }
        return Err(AppError::validation(
            "emails",
            format!(
                "Nothing was sent. Fix these and try again:\n{}",
                bad.join("\n")
            ),
        ));
    }
    if let Some(v) = version {
        let ok: Option<(i32,)> = sqlx::query_as(
            "SELECT 1 FROM integration_versions WHERE id = $1 AND integration_id = $2",
        )
        .bind(v)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if ok.is_none() {
            return Err(AppError::validation(
                "version",
                "Choose a version of this integration.",
            ));
        }
    }
    let already: Vec<(String,)> = sqlx::query_as(&format!(
        "SELECT DISTINCT email FROM email_invites WHERE {COUNTED} AND email = ANY($2)"
    ))
    .bind(id)
    .bind(&emails)
    .fetch_all(&mut *tx)
    .await?;
    let already: std::collections::HashSet<String> = already.into_iter().map(|(a,)| a).collect();
    let (fresh, skipped): (Vec<String>, Vec<String>) =
        emails.into_iter().partition(|e| !already.contains(e));
    let counted = invites_counted(&mut tx, id).await?;
    if counted + fresh.len() as i64 > super::INVITE_CAP {
        return Err(invite_cap_error(counted, fresh.len()));
    }
    if !fresh.is_empty() {
        // Each row is written once, with its link: one statement for the invitations,
        // one for their mails, whatever the batch's size.
        let mail = InviteMail::new(&mut tx, st, &me, id, version, &fresh).await?;
        sqlx::query(
            "INSERT INTO email_invites (integration_id, email, version_id, invited_by, token_hash, expires_at, starts_at, ends_at) \
             SELECT $1, e, $3, $4, h, now() + make_interval(days => $6), $7, $8 FROM unnest($2::text[], $5::bytea[]) AS n(e, h)",
        )
        .bind(id)
        .bind(&fresh)
        .bind(version)
        .bind(me.id)
        .bind(&mail.hashes)
        .bind(super::INVITE_DAYS)
        .bind(dates.starts_at)
        .bind(dates.ends_at)
        .execute(&mut *tx)
        .await?;
        mail.enqueue(&mut tx).await?;
        record(
            &mut tx,
            &me,
            id,
            "invite.sent",
            None,
            json!({ "emails": fresh, "version": version, "starts_at": dates.starts_at, "ends_at": dates.ends_at }),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(super::InviteReport {
        invited: fresh,
        skipped: skipped
            .into_iter()
            .map(|e| (e, "already invited".to_string()))
            .collect(),
    })
}

/// A pending invite (expired or not), locked: its address, version, and whether it expired.
async fn pending_invite(
    tx: &mut Tx,
    id: Uuid,
    invite: Uuid,
) -> Result<(String, Option<Uuid>, bool), AppError> {
    sqlx::query_as(
        "SELECT email, version_id, expires_at <= now() FROM email_invites \
         WHERE id = $1 AND integration_id = $2 AND status = 'pending' FOR UPDATE",
    )
    .bind(invite)
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(AppError::NotFound)
}

/// People invited by email who count against the cap (SH-4); the caller holds the lock.
async fn invites_counted(conn: &mut PgConnection, id: Uuid) -> Result<i64, AppError> {
    let (counted,): (i64,) = sqlx::query_as(&format!(
        "SELECT count(DISTINCT email) FROM email_invites WHERE {COUNTED}"
    ))
    .bind(id)
    .fetch_one(conn)
    .await?;
    Ok(counted)
}

fn invite_cap_error(counted: i64, more: usize) -> AppError {
    Refusal::SharingFull {
        counted,
        more: more as i64,
    }
    .into()
}

/// Send a pending (or expired) invite again with a new token; the old link stops working.
/// An expired invite holds no place, so sending it again needs room under the cap (SH-4).
pub async fn resend(st: &AppState, me: &Actor, id: Uuid, invite: Uuid) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::ManageSharing).await?;
    let (email, version, expired) = pending_invite(&mut tx, id, invite).await?;
    if expired {
        let counted = invites_counted(&mut tx, id).await?;
        if counted >= super::INVITE_CAP {
            return Err(invite_cap_error(counted, 1));
        }
    }
    resend_mail(&mut tx, st, &me, id, invite, version, &email).await?;
    record(
        &mut tx,
        &me,
        id,
        "invite.resent",
        Some(email),
        json!({ "invite": invite }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn cancel(st: &AppState, me: &Actor, id: Uuid, invite: Uuid) -> Result<(), AppError> {
    let (mut tx, me, _) = authorize(st, me, id, TeamAction::ManageSharing).await?;
    let (email, _, _) = pending_invite(&mut tx, id, invite).await?;
    sqlx::query("UPDATE email_invites SET status = 'revoked', revoked_at = now(), token_hash = NULL WHERE id = $1")
        .bind(invite)
        .execute(&mut *tx)
        .await?;
    record(
        &mut tx,
        &me,
        id,
        "invite.cancelled",
        Some(email),
        json!({ "invite": invite }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The invite a token names, if it can still be accepted.
async fn live_invite(
    conn: &mut PgConnection,
    text: &str,
    lock: bool,
) -> Result<(Uuid, Uuid, String, Option<Uuid>), AppError> {
    let row: Option<(Uuid, Uuid, String, Option<Uuid>, String, bool)> = sqlx::query_as(&format!(
        "SELECT id, integration_id, email, version_id, status, expires_at <= now() FROM email_invites WHERE token_hash = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    ))
    .bind(token::hash(text))
    .fetch_optional(conn)
    .await?;
    match row {
        Some((_, _, _, _, status, _)) if status == "revoked" => {
            Err(Refusal::InvitationCancelled.into())
        }
        Some((_, _, _, _, _, true)) => Err(Refusal::InvitationExpired.into()),
        Some((invite, id, email, version, _, false)) => Ok((invite, id, email, version)),
        None => Err(Refusal::InvitationInvalid.into()),
    }
}

pub async fn invite_landing(st: &AppState, _me: &Actor, text: &str) -> Result<Landing, AppError> {
    let mut conn = st.pool.acquire().await?;
    let (_, id, _, version) = live_invite(&mut conn, text, false).await?;
    landing_of(&mut conn, id, version).await
}

/// Accept an invite: only signed in with the invited, verified address; the token then stops working.
pub async fn accept_invite(st: &AppState, me: &Actor, text: &str) -> Result<Uuid, AppError> {
    let mut tx = st.pool.begin().await?;
    let (invite, id, email, version) = live_invite(&mut tx, text, true).await?;
    if me.email != email {
        return Err(Refusal::WrongAddress {
            signed_in_as: me.email.clone(),
        }
        .into());
    }
    if !me.email_verified {
        return Err(Refusal::Unverified.into());
    }
    sqlx::query("UPDATE email_invites SET status = 'accepted', accepted_at = now(), accepted_user_id = $2, token_hash = NULL WHERE id = $1")
        .bind(invite)
        .bind(me.id)
        .execute(&mut *tx)
        .await?;
    // Re-invited: links admit them again, for what this invitation covers.
    sqlx::query(
        "DELETE FROM link_blocks WHERE integration_id = $1 AND user_id = $2 \
         AND ($3::uuid IS NULL OR version_id = $3)",
    )
    .bind(id)
    .bind(me.id)
    .bind(version)
    .execute(&mut *tx)
    .await?;
    // The grant keeps the invitation's dates and who gave it (AX-1, AX-2).
    sqlx::query(
        "INSERT INTO access_grants (integration_id, user_id, version_id, via, source_id, granted_by, starts_at, ends_at) \
         SELECT $1, $2, $3, 'email_invite', e.id, e.invited_by, e.starts_at, e.ends_at FROM email_invites e \
         WHERE e.id = $4 AND NOT EXISTS (SELECT 1 FROM access_grants WHERE integration_id = $1 \
           AND user_id = $2 AND revoked_at IS NULL AND (starts_at IS NULL OR starts_at <= now()) AND (ends_at IS NULL OR ends_at > now()) AND version_id IS NOT DISTINCT FROM $3)",
    )
    .bind(id)
    .bind(me.id)
    .bind(version)
    .bind(invite)
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        me,
        id,
        "invite.accepted",
        Some(format!("user:{}", me.id)),
        json!({ "invite": invite, "version": version }),
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
