//! Access, explained (AX-1) and dated (AX-2, AX-4).
//!
//! Every road is read from the rows that grant access, and its state from the same SQL
//! fragments the checks use (`integrations::repo::in_force_sql`, `team_role_sql`), so the
//! explanation cannot disagree with what a check answers. Each tab is one statement after
//! the caller's role; the reverse view is one statement whose rows the policy filters.
use super::{
    AccessPage, PersonAccess, PersonReach, ReachItem, Road, RoadDates, RoadKind, RoadRevokePreview,
    RoadState,
};
use crate::domain::policy::{self, AccountAction, InstanceAction, TeamAction};
use crate::domain::roles::{AccountRole, InstanceAccess, TeamRole};
use crate::error::AppError;
use crate::integrations::repo::{contains_pattern, in_force_sql, team_role_sql};
use crate::server::history::{self, Entry};
use crate::server::{Actor, AppState};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// A start or an end, if any.
type When = Option<DateTime<Utc>>;

/// The most roads one tab lists; a search narrows a larger list.
pub const MAX_ROADS: i64 = 2000;

/// What a tab is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    Integration(Uuid),
    Instance(Uuid),
    Account(Uuid),
}

impl Object {
    pub fn parse(kind: &str, id: Uuid) -> Result<Self, AppError> {
        match kind {
            "integration" => Ok(Self::Integration(id)),
            "instance" => Ok(Self::Instance(id)),
            "account" => Ok(Self::Account(id)),
            _ => Err(AppError::NotFound),
        }
    }
}

/// The state of a dated row `x` at this moment, from the one in-force rule.
fn state_sql(x: &str) -> String {
    format!(
        "CASE WHEN {} THEN 'active' WHEN {x}.starts_at > now() THEN 'scheduled' ELSE 'ended' END",
        in_force_sql(x)
    )
}

/// Every road to every integration: team rows (accepted) and grants not revoked.
/// Columns: object_id, user_id, road_id, kind, role, version, detail, by_id, granted_at,
/// starts_at, ends_at, then_role, state.
fn integration_roads() -> String {
    format!(
        "SELECT t.integration_id AS object_id, t.user_id, t.id AS road_id, 'team' AS kind, t.role, \
                NULL::text AS version, NULL::text AS detail, t.invited_by AS by_id, \
                coalesce(t.accepted_at, t.invited_at) AS granted_at, t.starts_at, t.ends_at, \
                CASE WHEN t.role = 'admin' AND t.ends_then = 'collaborator' THEN 'collaborator' END AS then_role, \
                CASE WHEN {team} = t.role THEN 'active' WHEN coalesce(t.starts_at > now(), false) THEN 'scheduled' ELSE 'ended' END AS state \
         FROM team_members t WHERE t.status = 'accepted' \
         UNION ALL \
         SELECT g.integration_id, g.user_id, g.id, CASE g.via WHEN 'email_invite' THEN 'invitation' ELSE g.via END, NULL, \
                gv.version, CASE WHEN g.via = 'link' THEN CASE WHEN l.active THEN 'the current link' ELSE 'a link since rotated' END END, \
                g.granted_by, g.granted_at, g.starts_at, g.ends_at, NULL, {grant} \
         FROM access_grants g \
         LEFT JOIN LATERAL (SELECT gv.version FROM integration_versions gv WHERE gv.id = g.version_id OFFSET 0) gv ON true \
         LEFT JOIN invite_links l ON l.id = g.source_id AND g.via = 'link' \
         WHERE g.revoked_at IS NULL",
        team = team_role_sql("t"),
        grant = state_sql("g"),
    )
}

/// Every road to every instance: its owner, and its shares.
fn instance_roads() -> String {
    format!(
        "SELECT i.id AS object_id, i.owner_id AS user_id, i.owner_id AS road_id, 'owner' AS kind, NULL::text AS role, \
                NULL::text AS version, NULL::text AS detail, NULL::uuid AS by_id, i.created_at AS granted_at, \
                NULL::timestamptz AS starts_at, NULL::timestamptz AS ends_at, NULL::text AS then_role, 'active' AS state \
         FROM app_instances i \
         UNION ALL \
         SELECT s.instance_id, s.user_id, s.user_id, 'share', s.access, NULL, \
                CASE WHEN s.seen_at IS NULL THEN 'not opened yet' END, s.shared_by, s.shared_at, s.starts_at, s.ends_at, NULL, {} \
         FROM instance_shares s",
        state_sql("s")
    )
}

/// Every road to every account: its members' roles.
fn account_roads() -> &'static str {
    "SELECT m.account_id AS object_id, m.user_id, m.user_id AS road_id, 'account_role' AS kind, m.role, \
            NULL::text AS version, NULL::text AS detail, NULL::uuid AS by_id, m.joined_at AS granted_at, \
            NULL::timestamptz AS starts_at, NULL::timestamptz AS ends_at, NULL::text AS then_role, 'active' AS state \
     FROM account_members m"
}

#[derive(sqlx::FromRow, serde::Deserialize)]
struct RoadRow {
    object_id: Uuid,
    user_id: Uuid,
    name: String,
    email: String,
    road_id: Uuid,
    kind: String,
    role: Option<String>,
    version: Option<String>,
    detail: Option<String>,
    by_name: Option<String>,
    by_email: Option<String>,
    granted_at: DateTime<Utc>,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    then_role: Option<String>,
    state: String,
}

impl RoadRow {
    fn road(&self) -> Result<Road, AppError> {
        let bad = |what: &str| AppError::internal(format!("unknown road {what}"));
        Ok(Road {
            id: self.road_id,
            kind: RoadKind::parse(&self.kind).ok_or_else(|| bad(&self.kind))?,
            role: self.role.clone(),
            version: self.version.clone(),
            detail: self.detail.clone(),
            granted_by: self
                .by_name
                .as_ref()
                .zip(self.by_email.as_ref())
                .map(|(n, e)| format!("{n} <{e}>")),
            granted_at: self.granted_at,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            then: self.then_role.clone(),
            state: match self.state.as_str() {
                "active" => RoadState::Active,
                "scheduled" => RoadState::Scheduled,
                "ended" => RoadState::Ended,
                other => return Err(bad(other)),
            },
        })
    }
}

/// The person `u` and the granter `b` of each road `r`, looked up road by road. The
/// roads of one object are few, the people many: without the fences (`OFFSET 0` keeps
/// a subquery from being merged into the join), a generic plan walked all 100,000 users
/// in email order against the roads (1.5 s), and a custom one hashed every user as a
/// granter (67 ms); with them, each is a key lookup per road (8 ms for 400 roads).
const PEOPLE_OF_ROADS: &str = "JOIN LATERAL (SELECT u.id, u.name, u.email FROM users u WHERE u.id = r.user_id OFFSET 0) u ON true \
     LEFT JOIN LATERAL (SELECT b.name, b.email FROM users b WHERE b.id = r.by_id OFFSET 0) b ON true";

/// The columns every road query returns, over `r` (roads) joined to the person `u` and
/// the granter `b` (`PEOPLE_OF_ROADS`).
const ROAD_COLUMNS: &str = "r.object_id, r.user_id, u.name, u.email, r.road_id, r.kind, r.role, r.version, r.detail, \
     b.name AS by_name, b.email AS by_email, r.granted_at, r.starts_at, r.ends_at, r.then_role, r.state";

fn roads_of(object: Object) -> String {
    match object {
        Object::Integration(_) => integration_roads(),
        Object::Instance(_) => instance_roads(),
        Object::Account(_) => account_roads().to_string(),
    }
}

/// One statement: the roads of one object, people matching `q` (name or address), at
/// most MAX_ROADS + 1 of them.
async fn roads(
    conn: &mut PgConnection,
    object: Object,
    id: Uuid,
    q: &str,
    user: Option<Uuid>,
) -> Result<Vec<RoadRow>, AppError> {
    let sql = format!(
        "SELECT {ROAD_COLUMNS} FROM ({}) r {PEOPLE_OF_ROADS} \
         WHERE r.object_id = $1 AND ($2 = '' OR u.email ILIKE $3 OR u.name ILIKE $3) \
           AND ($4::uuid IS NULL OR r.user_id = $4) \
         ORDER BY u.email, u.id, r.kind, r.granted_at, r.road_id LIMIT $5",
        roads_of(object)
    );
    Ok(sqlx::query_as(&sql)
        .bind(id)
        .bind(q.trim())
        .bind(contains_pattern(q))
        .bind(user)
        .bind(MAX_ROADS + 1)
        .fetch_all(conn)
        .await?)
}

/// Rows in person order, grouped by person.
fn people(rows: &[RoadRow]) -> Result<Vec<PersonAccess>, AppError> {
    let mut out: Vec<PersonAccess> = Vec::new();
    for r in rows {
        let road = r.road()?;
        match out.last_mut() {
            Some(p) if p.user_id == r.user_id => p.roads.push(road),
            _ => out.push(PersonAccess {
                user_id: r.user_id,
                name: r.name.clone(),
                email: r.email.clone(),
                roads: vec![road],
            }),
        }
    }
    Ok(out)
}

/// The caller's role on the object, checked against the action of seeing its access,
/// and the object's name and whether it is public.
async fn authorize_view(
    conn: &mut PgConnection,
    me: &Actor,
    object: Object,
) -> Result<(Uuid, String, bool), AppError> {
    let row: Option<(String, bool, Option<String>)> = sqlx::query_as(&head_sql(object))
        .bind(object_id(object))
        .bind(me.id)
        .fetch_optional(conn)
        .await?;
    allowed(object, row.as_ref().and_then(|r| r.2.as_deref()))?;
    let (name, public, _) = row.ok_or(AppError::NotFound)?;
    Ok((object_id(object), name, public))
}

/// The object's name, whether it is public, and the caller's ($2) role on it ($1):
/// the facts the policy decides from. Columns: name, public, my_role.
fn head_sql(object: Object) -> String {
    match object {
        Object::Integration(_) => format!(
            "SELECT i.name, i.visibility = 'public' AS public, \
               (SELECT {} FROM team_members t WHERE t.integration_id = i.id AND t.user_id = $2) AS my_role \
             FROM integrations i WHERE i.id = $1",
            team_role_sql("t")
        ),
        Object::Instance(_) => format!(
            "SELECT i.name, false AS public, {} AS my_role FROM app_instances i \
             LEFT JOIN instance_shares s ON s.instance_id = i.id AND s.user_id = $2 WHERE i.id = $1",
            crate::instances::repo::access_sql("$2")
        ),
        Object::Account(_) => "SELECT a.name, false AS public, m.role AS my_role FROM accounts a \
             LEFT JOIN account_members m ON m.account_id = a.id AND m.user_id = $2 WHERE a.id = $1"
            .to_string(),
    }
}

fn object_id(object: Object) -> Uuid {
    match object {
        Object::Integration(id) | Object::Instance(id) | Object::Account(id) => id,
    }
}

fn allowed(object: Object, role: Option<&str>) -> Result<(), AppError> {
    match object {
        Object::Integration(_) => {
            policy::team(role.and_then(TeamRole::parse), TeamAction::ViewAccess)?
        }
        Object::Instance(_) => policy::instance(
            role.and_then(InstanceAccess::parse),
            InstanceAction::ViewAccess,
        )?,
        Object::Account(_) => {
            policy::account(role.and_then(AccountRole::parse), AccountAction::ViewAccess)?
        }
    };
    Ok(())
}

/// The Access tab (AX-1): every person who can reach `object`, with every road. One
/// statement: the caller's role on it and its roads (read only when the caller has a
/// role there at all); the policy decides from the role.
pub async fn page(
    st: &AppState,
    me: &Actor,
    object: Object,
    q: &str,
) -> Result<AccessPage, AppError> {
    if q.chars().count() > 200 {
        return Err(AppError::validation(
            "q",
            "Search with at most 200 characters.",
        ));
    }
    let sql = format!(
        "WITH head AS ({head}) \
         SELECT head.name, head.public, head.my_role, \
           (SELECT coalesce(json_agg(x ORDER BY x.email, x.user_id, x.kind, x.granted_at, x.road_id), '[]') FROM ( \
              SELECT {ROAD_COLUMNS} FROM ({roads}) r {PEOPLE_OF_ROADS} \
              WHERE r.object_id = $1 AND ($3 = '' OR u.email ILIKE $4 OR u.name ILIKE $4) \
              ORDER BY u.email, u.id, r.kind, r.granted_at, r.road_id LIMIT $5) x \
            WHERE head.my_role IS NOT NULL) \
         FROM head",
        head = head_sql(object),
        roads = roads_of(object),
    );
    type Row = (
        String,
        bool,
        Option<String>,
        sqlx::types::Json<Vec<RoadRow>>,
    );
    let row: Option<Row> = sqlx::query_as(&sql)
        .bind(object_id(object))
        .bind(me.id)
        .bind(q.trim())
        .bind(contains_pattern(q))
        .bind(MAX_ROADS + 1)
        .fetch_optional(&st.pool)
        .await?;
    allowed(object, row.as_ref().and_then(|r| r.2.as_deref()))?;
    let (name, public, _, sqlx::types::Json(mut rows)) = row.ok_or(AppError::NotFound)?;
    let more = rows.len() as i64 > MAX_ROADS;
    rows.truncate(MAX_ROADS as usize);
    Ok(AccessPage {
        id: object_id(object),
        name,
        public,
        people: people(&rows)?,
        more,
    })
}

#[derive(sqlx::FromRow)]
struct ReachRow {
    object: String,
    object_name: String,
    my_role: Option<String>,
    #[sqlx(flatten)]
    road: RoadRow,
}

/// The reverse view (AX-1): everything of the caller's (integrations they administer,
/// instances they own, accounts they own or super-administer) that the person with this
/// address can reach, and how. One statement; the policy keeps what the caller may see.
pub async fn reach(st: &AppState, me: &Actor, email: &str) -> Result<PersonReach, AppError> {
    let email = crate::domain::email::EmailAddress::parse(email)
        .map_err(|m| AppError::validation("email", m))?;
    let sql = format!(
        "WITH p AS (SELECT id FROM users WHERE email = $2), \
         r AS ( \
           SELECT 'integration' AS object, x.*, i.name AS object_name, \
                  (SELECT {team} FROM team_members t WHERE t.integration_id = x.object_id AND t.user_id = $1) AS my_role \
           FROM ({integ}) x JOIN integrations i ON i.id = x.object_id WHERE x.user_id = (SELECT id FROM p) \
           UNION ALL \
           SELECT 'instance', x.*, i.name, \
                  (SELECT {inst} FROM app_instances i LEFT JOIN instance_shares s ON s.instance_id = i.id AND s.user_id = $1 \
                   WHERE i.id = x.object_id) \
           FROM ({insts}) x JOIN app_instances i ON i.id = x.object_id WHERE x.user_id = (SELECT id FROM p) \
           UNION ALL \
           SELECT 'account', x.*, a.name, \
                  (SELECT m.role FROM account_members m WHERE m.account_id = x.object_id AND m.user_id = $1) \
           FROM ({accts}) x JOIN accounts a ON a.id = x.object_id WHERE x.user_id = (SELECT id FROM p)) \
         SELECT r.object, r.object_name, r.my_role, {ROAD_COLUMNS} \
         FROM r {PEOPLE_OF_ROADS} \
         WHERE r.my_role IS NOT NULL \
         ORDER BY r.object, lower(r.object_name), r.object_id, r.kind, r.granted_at, r.road_id LIMIT $3",
        team = team_role_sql("t"),
        integ = integration_roads(),
        inst = crate::instances::repo::access_sql("$1"),
        insts = instance_roads(),
        accts = account_roads(),
    );
    let rows: Vec<ReachRow> = sqlx::query_as(&sql)
        .bind(me.id)
        .bind(email.as_str())
        .bind(MAX_ROADS)
        .fetch_all(&st.pool)
        .await?;
    let mut items: Vec<ReachItem> = Vec::new();
    for row in rows {
        let object = Object::parse(&row.object, row.road.object_id)?;
        if allowed(object, row.my_role.as_deref()).is_err() {
            continue;
        }
        let road = row.road.road()?;
        match items.last_mut() {
            Some(i) if i.id == row.road.object_id && i.object == row.object => i.roads.push(road),
            _ => items.push(ReachItem {
                object: row.object,
                id: row.road.object_id,
                name: row.object_name,
                roads: vec![road],
            }),
        }
    }
    Ok(PersonReach {
        email: email.to_string(),
        items,
    })
}

/// A road in words, for previews and mails.
pub fn describe(road: &Road) -> String {
    let scope = road
        .version
        .as_ref()
        .map(|v| format!("version {v}"))
        .unwrap_or_else(|| "all versions".into());
    let base = match road.kind {
        RoadKind::Team => format!("team {}", road.role.as_deref().unwrap_or("member")),
        RoadKind::Invitation => format!("email invitation to {scope}"),
        RoadKind::Link => format!(
            "invite link to {scope} ({})",
            road.detail.as_deref().unwrap_or("a link")
        ),
        RoadKind::Public => format!("used while public ({scope})"),
        RoadKind::Owner => "owner".into(),
        RoadKind::Share => format!("{} share", road.role.as_deref().unwrap_or("read")),
        RoadKind::AccountRole => format!(
            "account role {}",
            road.role.as_deref().unwrap_or("member").replace('_', " ")
        ),
    };
    match road.ends_at {
        Some(end) if road.state != RoadState::Ended => {
            format!("{base}, until {}", end.format("%Y-%m-%d %H:%M UTC"))
        }
        _ => base,
    }
}

/// Revoke one road, or (with `dry_run`) say what revoking it would do: the revocation
/// itself, run and rolled back. Roads of an account (roles) are ended by removing the
/// member, which moves their work (OF-1): the Members screen does that.
pub async fn revoke(
    st: &AppState,
    me: &Actor,
    object: Object,
    road: Uuid,
    reason: &str,
    dry_run: bool,
) -> Result<RoadRevokePreview, AppError> {
    let reason = history::reason(reason)?;
    match object {
        Object::Integration(id) => revoke_integration_road(st, me, id, road, reason, dry_run).await,
        Object::Instance(id) => {
            let (mut tx, _) = crate::instances::service::owner_tx(st, me, id).await?;
            let rows = roads(&mut tx, object, id, "", Some(road)).await?;
            let row = rows
                .iter()
                .find(|r| r.kind == "share")
                .ok_or(AppError::NotFound)?;
            let preview = RoadRevokePreview {
                name: row.name.clone(),
                email: row.email.clone(),
                road: describe(&row.road()?),
                remaining: Vec::new(),
                zaps_to_pause: Vec::new(),
            };
            tx.rollback().await?;
            if !dry_run {
                crate::instances::service::revoke(st, me, id, road).await?;
            }
            Ok(preview)
        }
        Object::Account(id) => {
            let mut conn = st.pool.acquire().await?;
            authorize_view(&mut conn, me, object).await?;
            let _ = id;
            Err(AppError::validation(
                "road",
                "An account role ends when the member is removed, which moves their work: use Remove on the Members screen.",
            ))
        }
    }
}

async fn revoke_integration_road(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    road: Uuid,
    reason: Option<String>,
    dry_run: bool,
) -> Result<RoadRevokePreview, AppError> {
    let (mut tx, user, _) =
        crate::server::team_access::authorize(st, me, id, TeamAction::ManageSharing).await?;
    // The road: a grant or a team row of this integration, locked (the access worker
    // may be ending it at this moment; it skips what is locked, and after it, this
    // finds the grant revoked: a missing road).
    let grant: Option<(Uuid,)> = sqlx::query_as(
        "SELECT user_id FROM access_grants WHERE id = $1 AND integration_id = $2 AND revoked_at IS NULL FOR UPDATE",
    )
    .bind(road)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (kind, person) = match grant {
        Some((u,)) => ("grant", u),
        None => {
            let team: Option<(Uuid,)> = sqlx::query_as(
                "SELECT user_id FROM team_members WHERE id = $1 AND integration_id = $2 AND status = 'accepted' FOR UPDATE",
            )
            .bind(road)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            ("team", team.ok_or(AppError::NotFound)?.0)
        }
    };
    let before = roads(&mut tx, Object::Integration(id), id, "", Some(person)).await?;
    let this = before
        .iter()
        .find(|r| r.road_id == road)
        .ok_or(AppError::NotFound)?;
    let (name, email, words) = (
        this.name.clone(),
        this.email.clone(),
        describe(&this.road()?),
    );
    let paused = if kind == "team" {
        // A team role is ended by the team's own rules (TM-5, TM-6): only the preview
        // runs here; the removal goes through the team service below.
        Vec::new()
    } else {
        let (via, version, source): (String, Option<Uuid>, Option<Uuid>) = sqlx::query_as(
            "UPDATE access_grants SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING via, version_id, source_id",
        )
        .bind(road)
        .fetch_one(&mut *tx)
        .await?;
        match via.as_str() {
            "email_invite" => {
                sqlx::query(
                    "UPDATE email_invites SET status = 'revoked', revoked_at = now() WHERE id = $1 AND status = 'accepted'",
                )
                .bind(source)
                .execute(&mut *tx)
                .await?;
            }
            "link" => {
                // The link stops admitting them until they are invited again (SH-6).
                sqlx::query(
                    "INSERT INTO link_blocks (integration_id, user_id, version_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                )
                .bind(id)
                .bind(person)
                .bind(version)
                .execute(&mut *tx)
                .await?;
            }
            _ => {}
        }
        crate::integrations::service::pause_orphaned(&mut tx, id, person, " was revoked").await?
    };
    let after = roads(&mut tx, Object::Integration(id), id, "", Some(person)).await?;
    let remaining = after
        .iter()
        .filter(|r| r.road_id != road && r.state == "active")
        .map(|r| r.road().map(|road| describe(&road)))
        .collect::<Result<Vec<_>, _>>()?;
    let preview = RoadRevokePreview {
        name,
        email,
        road: words,
        remaining,
        zaps_to_pause: paused,
    };
    if dry_run {
        tx.rollback().await?;
        return Ok(preview);
    }
    if kind == "team" {
        tx.rollback().await?;
        crate::team::service::remove(st, me, id, road).await?;
        return Ok(preview);
    }
    crate::server::team_access::record_change(
        &mut tx,
        &user,
        id,
        "access.road_revoked",
        Some(format!("user:{person}")),
        crate::server::team_access::Change {
            before: None,
            after: json!({ "grant": road, "road": preview.road, "zaps_paused": preview.zaps_to_pause.len() }),
            reason,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(preview)
}

/// Dates as a form sends them (UTC; empty means none).
pub fn dates_from_form(
    starts_at: &str,
    ends_at: &str,
    then_collaborator: Option<&str>,
) -> Result<RoadDates, AppError> {
    Ok(RoadDates {
        starts_at: crate::domain::validate::when(starts_at)
            .map_err(|m| AppError::validation("starts_at", m))?,
        ends_at: crate::domain::validate::when(ends_at)
            .map_err(|m| AppError::validation("ends_at", m))?,
        then_collaborator: then_collaborator.is_some_and(|v| !v.is_empty()),
    })
}

/// Check a road's dates (AX-2): an end after the start. An end already past is allowed:
/// it ends the road now, and the worker carries out what that means.
fn check_dates(d: &RoadDates) -> Result<(), AppError> {
    for (field, t) in [("starts_at", d.starts_at), ("ends_at", d.ends_at)] {
        if let Some(t) = t {
            crate::domain::validate::in_range(t).map_err(|m| AppError::validation(field, m))?;
        }
    }
    if let (Some(s), Some(e)) = (d.starts_at, d.ends_at) {
        if s >= e {
            return Err(AppError::validation(
                "ends_at",
                "The end must come after the start.",
            ));
        }
    }
    Ok(())
}

/// Check the dates a new grant is given (AX-2): as `check_dates`, and not already over.
pub fn check_new_dates(d: &RoadDates) -> Result<(), AppError> {
    check_dates(d)?;
    if d.ends_at.is_some_and(|e| e <= Utc::now()) {
        return Err(AppError::validation(
            "ends_at",
            "That end date has passed: give a date ahead, or no end.",
        ));
    }
    Ok(())
}

/// Set or clear a road's start and end (AX-2), and for a team admin whether the end
/// leaves them collaborator (AX-4). No date may leave a team without an accepted admin.
pub async fn set_dates(
    st: &AppState,
    me: &Actor,
    object: Object,
    road: Uuid,
    dates: &RoadDates,
) -> Result<(), AppError> {
    check_dates(dates)?;
    match object {
        Object::Integration(id) => set_integration_dates(st, me, id, road, dates).await,
        Object::Instance(id) => {
            if dates.then_collaborator {
                return Err(AppError::validation(
                    "then_collaborator",
                    "Only a team admin's end can leave them collaborator.",
                ));
            }
            let (mut tx, user) = crate::instances::service::owner_tx(st, me, id).await?;
            let before: Option<(When, When)> = sqlx::query_as(
                "SELECT starts_at, ends_at FROM instance_shares WHERE instance_id = $1 AND user_id = $2 FOR UPDATE",
            )
            .bind(id)
            .bind(road)
            .fetch_optional(&mut *tx)
            .await?;
            let before = before.ok_or(AppError::NotFound)?;
            sqlx::query(
                "UPDATE instance_shares SET starts_at = $3, ends_at = $4, reminded_at = NULL WHERE instance_id = $1 AND user_id = $2",
            )
            .bind(id)
            .bind(road)
            .bind(dates.starts_at)
            .bind(dates.ends_at)
            .execute(&mut *tx)
            .await?;
            history::record(
                &mut tx,
                Entry {
                    actor_id: Some(user.id),
                    action: "instance.share_dates_changed",
                    instance_id: Some(id),
                    subject: Some(format!("instance:{id}")),
                    target: Some(format!("user:{road}")),
                    before: Some(json!({ "starts_at": before.0, "ends_at": before.1 })),
                    after: Some(json!({ "starts_at": dates.starts_at, "ends_at": dates.ends_at })),
                    ..Default::default()
                },
            )
            .await?;
            tx.commit().await?;
            Ok(())
        }
        Object::Account(_) => Err(AppError::validation("road", "Account roles have no dates.")),
    }
}

async fn set_integration_dates(
    st: &AppState,
    me: &Actor,
    id: Uuid,
    road: Uuid,
    dates: &RoadDates,
) -> Result<(), AppError> {
    let (mut tx, user, my_role) =
        crate::server::team_access::authorize(st, me, id, TeamAction::ManageSharing).await?;
    let team: Option<(String, String, When, When, String)> = sqlx::query_as(
        "SELECT email, role, starts_at, ends_at, ends_then FROM team_members \
             WHERE id = $1 AND integration_id = $2 AND status = 'accepted' FOR UPDATE",
    )
    .bind(road)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some((email, role, starts, ends, then)) = team {
        policy::team(Some(my_role), TeamAction::ChangeRole)?;
        if dates.then_collaborator && role != "admin" {
            return Err(AppError::validation(
                "then_collaborator",
                "Only an admin can stay on as collaborator after the end.",
            ));
        }
        if role == "admin"
            && (dates.ends_at.is_some() || dates.starts_at.is_some_and(|s| s > Utc::now()))
        {
            crate::team::service::keep_an_admin(
                &mut tx,
                id,
                road,
                &format!("Giving {email} an end date"),
            )
            .await?;
        }
        sqlx::query(
            "UPDATE team_members SET starts_at = $2, ends_at = $3, ends_then = $4, reminded_at = NULL WHERE id = $1",
        )
        .bind(road)
        .bind(dates.starts_at)
        .bind(dates.ends_at)
        .bind(if dates.then_collaborator { "collaborator" } else { "removed" })
        .execute(&mut *tx)
        .await?;
        crate::server::team_access::record_change(
            &mut tx,
            &user,
            id,
            "team.dates_changed",
            Some(email),
            crate::server::team_access::Change {
                before: Some(json!({ "starts_at": starts, "ends_at": ends, "then": then })),
                after: json!({ "starts_at": dates.starts_at, "ends_at": dates.ends_at,
                               "then": if dates.then_collaborator { "collaborator" } else { "removed" } }),
                reason: None,
            },
        )
        .await?;
        tx.commit().await?;
        return Ok(());
    }
    if dates.then_collaborator {
        return Err(AppError::validation(
            "then_collaborator",
            "Only a team admin's end can leave them collaborator.",
        ));
    }
    let grant: Option<(Uuid, String, Option<Uuid>, When, When)> = sqlx::query_as(
        "SELECT user_id, via, source_id, starts_at, ends_at FROM access_grants \
             WHERE id = $1 AND integration_id = $2 AND revoked_at IS NULL FOR UPDATE",
    )
    .bind(road)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let (person, via, source, starts, ends) = grant.ok_or(AppError::NotFound)?;
    if via != "email_invite" {
        return Err(AppError::validation(
            "road",
            "Only invitations, team roles and instance shares have dates; revoke a link's access instead.",
        ));
    }
    sqlx::query(
        "UPDATE access_grants SET starts_at = $2, ends_at = $3, reminded_at = NULL WHERE id = $1",
    )
    .bind(road)
    .bind(dates.starts_at)
    .bind(dates.ends_at)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE email_invites SET starts_at = $2, ends_at = $3 WHERE id = $1")
        .bind(source)
        .bind(dates.starts_at)
        .bind(dates.ends_at)
        .execute(&mut *tx)
        .await?;
    crate::server::team_access::record_change(
        &mut tx,
        &user,
        id,
        "access.dates_changed",
        Some(format!("user:{person}")),
        crate::server::team_access::Change {
            before: Some(json!({ "starts_at": starts, "ends_at": ends })),
            after: json!({ "grant": road, "starts_at": dates.starts_at, "ends_at": dates.ends_at }),
            reason: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
