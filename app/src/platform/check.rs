//! The check (PL-1): a batch of "may this person do this to that?" in one statement, the
//! platform's token included (it is the hot path: the token is checked, its last use
//! written at most once a minute, and no question is looked at unless the token is live,
//! all in that statement). The SQL brings the facts from the same fragments every
//! screen's check uses (`may_use_sql`, `access_sql`, the account role); `domain::policy`
//! decides; the reason names the road that allows it or the rule that refuses.
//!
//! A question asked again is answered from this server's recent decisions (`Decisions`)
//! after one read of the access epoch (migration 0018): a decision is reused only while
//! no fact the check reads has changed since it was made (the epoch is the same) and no
//! date it depends on has passed (its `until`), so a revoked grant or a removed member is
//! refused on the very next check, by every server.
use super::{Answer, CheckAction, Question, MAX_QUESTIONS};
use crate::domain::policy::{self, Denied, InstanceAction, WorkAction};
use crate::domain::roles::{AccountRole, InstanceAccess};
use crate::error::AppError;
use crate::integrations::repo::{grant_live_sql, may_use_sql};
use crate::server::AppState;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use uuid::Uuid;

/// The facts of one question, as the statement finds them.
#[derive(sqlx::FromRow)]
struct Facts {
    known: bool,
    found: Option<bool>,
    /// use_version: the road that gives it; run_instance: the caller's access.
    road: Option<String>,
    /// use_version: why not, when no road gives it.
    refusal: Option<String>,
    role: Option<String>,
    mine: Option<bool>,
    private: Option<bool>,
    expired: Option<bool>,
    /// The next date at which a fact of this question changes by itself (a grant or share
    /// starts or ends, a connection expires); none when only a change can alter it.
    until: Option<DateTime<Utc>>,
    /// The access epoch of the snapshot the facts come from.
    epoch: i64,
    /// The database's clock then.
    now: DateTime<Utc>,
    /// When the platform's token expires.
    token_until: DateTime<Utc>,
}

/// The kinds of question, as bits of the set a batch asks (`kinds`).
const KINDS: [CheckAction; 4] = [
    CheckAction::UseVersion,
    CheckAction::RunInstance,
    CheckAction::ChangeZap,
    CheckAction::UseConnection,
];

fn bit(action: CheckAction) -> usize {
    1 << KINDS.iter().position(|k| *k == action).unwrap_or(0)
}

/// The branch of the statement that finds one kind's facts for the question `q`.
fn branch(action: CheckAction) -> String {
    match action {
        CheckAction::UseVersion => {
            let same = "(g.version_id IS NULL OR g.version_id = a.vid)";
            format!(
                "SELECT true, a.road, \
                   CASE WHEN a.road IS NOT NULL THEN NULL \
                     WHEN EXISTS (SELECT 1 FROM access_grants g WHERE g.user_id = q.subject AND g.integration_id = a.iid \
                                  AND g.revoked_at IS NULL AND g.starts_at > now() AND {same}) THEN 'not_yet' \
                     WHEN EXISTS (SELECT 1 FROM access_grants g WHERE g.user_id = q.subject AND g.integration_id = a.iid \
                                  AND {same}) THEN 'access_ended' \
                     ELSE 'no_access' END, \
                   NULL::text, NULL::bool, NULL::bool, NULL::bool, \
                   (SELECT least(min(g.starts_at) FILTER (WHERE g.starts_at > now()), \
                                 min(g.ends_at) FILTER (WHERE g.ends_at > now())) \
                    FROM access_grants g WHERE g.user_id = q.subject AND g.integration_id = a.iid) \
                 FROM (SELECT i.id AS iid, v.id AS vid, \
                         CASE WHEN NOT {may} THEN NULL WHEN i.visibility = 'public' THEN 'public' \
                           ELSE (SELECT CASE g.via WHEN 'email_invite' THEN 'invitation' WHEN 'link' THEN 'link' \
                                        ELSE 'public_grant' END \
                                 FROM access_grants g WHERE g.integration_id = i.id AND g.user_id = q.subject \
                                   AND {live} AND (g.version_id IS NULL OR g.version_id = v.id) \
                                 ORDER BY g.granted_at, g.id LIMIT 1) END AS road \
                       FROM integrations i JOIN integration_versions v ON v.integration_id = i.id \
                       WHERE q.action = 'use_version' AND i.id = q.object AND v.version = q.version) a",
                may = may_use_sql("q.subject"),
                live = grant_live_sql("g"),
            )
        }
        CheckAction::RunInstance => format!(
            "SELECT true, {access}, NULL::text, NULL::text, NULL::bool, NULL::bool, NULL::bool, \
                    least(CASE WHEN s.starts_at > now() THEN s.starts_at END, \
                          CASE WHEN s.ends_at > now() THEN s.ends_at END) \
             FROM app_instances i LEFT JOIN instance_shares s ON s.instance_id = i.id AND s.user_id = q.subject \
             WHERE q.action = 'run_instance' AND i.id = q.object",
            access = crate::instances::repo::access_sql("q.subject"),
        ),
        CheckAction::ChangeZap => "SELECT true, NULL::text, NULL::text, m.role, z.owner_id = q.subject, z.private, NULL::bool, \
                    NULL::timestamptz \
             FROM zaps z LEFT JOIN account_members m ON m.account_id = z.account_id AND m.user_id = q.subject \
             WHERE q.action = 'change_zap' AND z.id = q.object"
            .to_string(),
        CheckAction::UseConnection => "SELECT true, NULL::text, NULL::text, m.role, c.owner_id = q.subject, c.private, \
                    coalesce(c.expires_at <= now(), false), CASE WHEN c.expires_at > now() THEN c.expires_at END \
             FROM app_connections c LEFT JOIN account_members m ON m.account_id = c.account_id AND m.user_id = q.subject \
             WHERE q.action = 'use_connection' AND c.id = q.object"
            .to_string(),
    }
}

/// The statement for a batch asking the kinds in `kinds` (bits of `bit`): only their
/// branches, so a batch of one kind (the common single question) plans and runs one
/// branch, not four. Each of the 15 is prepared once per connection. `kinds` is never
/// empty: a batch holds at least one question.
///
/// The questions come as one JSON array (`jsonb_to_recordset`), not as arrays: Postgres
/// sizes an array parameter from its value, so every batch size got a plan of its own,
/// planned anew on each request (about 1.4 ms, three times the execution); a record set
/// is sized alike whatever its value, so after five runs each connection keeps one
/// generic plan (0.02 ms to plan).
fn statement(kinds: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        (1..16)
            .map(|set: usize| {
                let branches: Vec<String> = KINDS
                    .iter()
                    .filter(|k| set & bit(**k) != 0)
                    .map(|k| branch(*k))
                    .collect();
                let facts = branches.join(" UNION ALL ");
                format!(
                    "WITH t AS (SELECT id, last_used_at, expires_at FROM platform_tokens \
                                WHERE token_hash = $2 AND revoked_at IS NULL AND expires_at > now()), \
                          touch AS (UPDATE platform_tokens p SET last_used_at = now() FROM t WHERE p.id = t.id \
                                    AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')), \
                          q AS (SELECT * FROM jsonb_to_recordset($1::jsonb) \
                                AS q(n int4, action text, subject uuid, object uuid, version text) WHERE EXISTS (SELECT 1 FROM t)) \
                     SELECT coalesce((SELECT true FROM users u WHERE u.id = q.subject), false) AS known, \
                            f.found, f.road, f.refusal, f.role, f.mine, f.private, f.expired, f.until, \
                            (SELECT n FROM access_epoch) AS epoch, now() AS now, \
                            (SELECT expires_at FROM t) AS token_until \
                     FROM q LEFT JOIN LATERAL ({facts}) f(found, road, refusal, role, mine, private, expired, until) ON true \
                     ORDER BY q.n"
                )
            })
            .collect()
    });
    &all[(kinds & 15).max(1) - 1]
}

/// Every table the check's statements read: a change to any of them moves the access
/// epoch (its trigger in migration 0018), or a kept decision could outlive it. A unit test
/// reads the statements for this list; a database test finds the trigger on each.
pub const EPOCH_TABLES: [&str; 10] = [
    "access_grants",
    "account_members",
    "app_connections",
    "app_instances",
    "instance_shares",
    "integration_versions",
    "integrations",
    "platform_tokens",
    "users",
    "zaps",
];

fn answer(allowed: bool, reason: &str) -> Answer {
    Answer {
        allowed,
        reason: reason.to_string(),
    }
}

/// The policy's answer to one question, from its facts.
fn decide(action: CheckAction, f: &Facts) -> Answer {
    if !f.known {
        return answer(false, "unknown_user");
    }
    if f.found != Some(true) {
        return answer(false, "not_found");
    }
    match action {
        CheckAction::UseVersion => match policy::use_version(f.road.is_some()) {
            Ok(_) => answer(true, f.road.as_deref().unwrap_or("public")),
            Err(_) => answer(false, f.refusal.as_deref().unwrap_or("no_access")),
        },
        CheckAction::RunInstance => {
            let access = f.road.as_deref().and_then(InstanceAccess::parse);
            match policy::instance(access, InstanceAction::Run) {
                Ok(_) if access == Some(InstanceAccess::Owner) => answer(true, "owner"),
                Ok(_) => answer(true, "write_share"),
                Err(Denied::Forbidden) => answer(false, "read_only_share"),
                Err(Denied::NotVisible) => answer(false, "no_access"),
            }
        }
        CheckAction::ChangeZap | CheckAction::UseConnection => {
            let role = f.role.as_deref().and_then(AccountRole::parse);
            let mine = f.mine == Some(true);
            let what = if action == CheckAction::ChangeZap {
                WorkAction::ChangeZap
            } else {
                WorkAction::UseConnection
            };
            match policy::work(role, mine, f.private != Some(false), what) {
                Ok(_) if f.expired == Some(true) => answer(false, "connection_expired"),
                Ok(_) if mine => answer(true, "owner"),
                Ok(_) => answer(true, "shared_connection"),
                Err(_) if role.is_none() => answer(false, "not_a_member"),
                Err(_) => answer(false, "not_owner"),
            }
        }
    }
}

/// Answer a batch of 1 to 100 questions, in order, in one statement, for the platform
/// whose token is `bearer`. A token that is not live is refused before any question is
/// looked at; so is a malformed batch, once the token has been found live. A batch whose
/// every question (and the token) this server decided since the last change is answered
/// from those decisions, after one read of the epoch (`Decisions`).
pub async fn check(
    st: &AppState,
    bearer: &str,
    questions: &[Question],
) -> Result<Vec<Answer>, AppError> {
    let bearer = bearer.trim();
    if !bearer.starts_with(super::tokens::PREFIX) || bearer.len() > 100 {
        return Err(AppError::Unauthenticated);
    }
    let rows = match batch(questions) {
        Ok(rows) => rows,
        Err(e) => {
            // Who is asking comes first: a stranger learns nothing of the rules.
            super::tokens::resolve(st, bearer, None)
                .await?
                .ok_or(AppError::Unauthenticated)?;
            return Err(e);
        }
    };
    let token = crate::server::token::hash(bearer);
    let keys: Vec<Key> = questions.iter().map(Key::of).collect();
    if st.config.check_cache {
        if let Some(answers) = st.decisions.reuse(st, &token, &keys).await? {
            return Ok(answers);
        }
    }
    let kinds = questions.iter().fold(0, |set, q| set | bit(q.action));
    let facts: Vec<Facts> = sqlx::query_as(statement(kinds))
        .bind(serde_json::Value::Array(rows))
        .bind(&token)
        .fetch_all(&st.pool)
        .await?;
    let Some(first) = facts.first() else {
        return Err(AppError::Unauthenticated);
    };
    if facts.len() != questions.len() {
        return Err(AppError::internal("the check lost a question"));
    }
    let answers: Vec<Answer> = questions
        .iter()
        .zip(&facts)
        .map(|(q, f)| decide(q.action, f))
        .collect();
    if st.config.check_cache {
        st.decisions.keep(first, token, keys, &facts, &answers);
    }
    Ok(answers)
}

/// What a question asks, as the key of its decision (the version as the statement reads it).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key(CheckAction, Uuid, Uuid, Option<String>);

impl Key {
    fn of(q: &Question) -> Self {
        let version = q.version.as_deref().map(|v| v.trim().to_string());
        Key(q.action, q.user, q.object, version)
    }
}

/// At most this many decisions are kept; past it they are dropped and made anew.
const KEPT_MAX: usize = 100_000;
/// A token is looked up afresh (and its last use written) at least this often.
const TOKEN_RECHECK: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// This server's recent decisions, all made at one access epoch: each with the date
/// until which it holds without a change, and the live tokens with theirs. A decision is
/// reused only when the database's epoch is still the one they were made at (any change
/// to a fact the check reads moves it, in the changing transaction) and no date has
/// passed, so a reused answer is the one the statement would give now.
pub struct Decisions {
    kept: Mutex<Kept>,
    reused: std::sync::atomic::AtomicU64,
    /// The access epoch, from a statement sent after the request arrived, shared by the
    /// requests waiting for it (`server::fresh`).
    epoch: crate::server::fresh::Fresh,
}

impl Default for Decisions {
    fn default() -> Self {
        Self {
            kept: Mutex::default(),
            reused: Default::default(),
            epoch: crate::server::fresh::Fresh::access_epoch(),
        }
    }
}

#[derive(Default)]
struct Kept {
    epoch: i64,
    tokens: HashMap<Vec<u8>, DateTime<Utc>>,
    answers: HashMap<Key, (Option<DateTime<Utc>>, Answer)>,
}

impl Decisions {
    /// How many batches were answered from kept decisions.
    pub fn reused(&self) -> u64 {
        self.reused.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        // A panic elsewhere while holding it leaves maps that are still whole.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The answers to `keys` for `token`, when all were decided at the database's present
    /// epoch and none has passed its date: one read of the epoch row.
    async fn reuse(
        &self,
        st: &AppState,
        token: &[u8],
        keys: &[Key],
    ) -> Result<Option<Vec<Answer>>, AppError> {
        let (epoch, until, answers) = {
            let kept = self.kept();
            let Some(mut until) = kept.tokens.get(token).copied() else {
                return Ok(None);
            };
            let mut answers = Vec::with_capacity(keys.len());
            for key in keys {
                let Some((u, a)) = kept.answers.get(key) else {
                    return Ok(None);
                };
                if let Some(u) = u {
                    until = until.min(*u);
                }
                answers.push(a.clone());
            }
            (kept.epoch, until, answers)
        };
        let now = self.epoch.read(&st.pool).await?;
        if now.n != epoch || now.now >= until {
            return Ok(None);
        }
        self.reused
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Some(answers))
    }

    /// Keep the decisions of one statement (`first` is its first row: every row carries
    /// the same epoch, clock and token date).
    fn keep(
        &self,
        first: &Facts,
        token: Vec<u8>,
        keys: Vec<Key>,
        facts: &[Facts],
        answers: &[Answer],
    ) {
        let mut kept = self.kept();
        if kept.epoch != first.epoch || kept.answers.len() + keys.len() > KEPT_MAX {
            kept.answers.clear();
            kept.tokens.clear();
            kept.epoch = first.epoch;
        }
        kept.tokens
            .insert(token, first.token_until.min(first.now + TOKEN_RECHECK));
        for ((key, f), a) in keys.into_iter().zip(facts).zip(answers) {
            kept.answers.insert(key, (f.until, a.clone()));
        }
    }
}

/// The questions as the statement's record set (`n` keeps their order), once each is
/// found well formed.
fn batch(questions: &[Question]) -> Result<Vec<serde_json::Value>, AppError> {
    if questions.is_empty() || questions.len() > MAX_QUESTIONS {
        return Err(AppError::validation(
            "questions",
            format!("Ask 1 to {MAX_QUESTIONS} questions at a time."),
        ));
    }
    let mut rows = Vec::with_capacity(questions.len());
    for (n, q) in questions.iter().enumerate() {
        let version = match (q.action, q.version.as_deref().map(str::trim)) {
            (CheckAction::UseVersion, Some(v)) if !v.is_empty() && v.len() <= 64 => {
                Some(v.to_string())
            }
            (CheckAction::UseVersion, _) => {
                return Err(AppError::validation(
                    &format!("questions[{n}].version"),
                    "use_version asks about one version: give it, e.g. \"1.0.0\" (at most 64 characters).",
                ))
            }
            (_, None) => None,
            (_, Some(_)) => {
                return Err(AppError::validation(
                    &format!("questions[{n}].version"),
                    "Only use_version takes a version.",
                ))
            }
        };
        let action = match q.action {
            CheckAction::UseVersion => "use_version",
            CheckAction::RunInstance => "run_instance",
            CheckAction::ChangeZap => "change_zap",
            CheckAction::UseConnection => "use_connection",
        };
        rows.push(serde_json::json!({
            "n": n,
            "action": action,
            "subject": q.user,
            "object": q.object,
            "version": version,
        }));
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(road: Option<&str>, role: Option<&str>, mine: bool, private: bool) -> Facts {
        Facts {
            known: true,
            found: Some(true),
            road: road.map(String::from),
            refusal: Some("access_ended".into()),
            role: role.map(String::from),
            mine: Some(mine),
            private: Some(private),
            expired: Some(false),
            until: None,
            epoch: 1,
            now: Utc::now(),
            token_until: Utc::now(),
        }
    }

    // covers: PL-1
    #[test]
    fn a_batch_statement_holds_only_the_kinds_it_asks() {
        let tables = [
            (CheckAction::UseVersion, "integration_versions"),
            (CheckAction::RunInstance, "app_instances"),
            (CheckAction::ChangeZap, "zaps z"),
            (CheckAction::UseConnection, "app_connections"),
        ];
        for set in 1..16usize {
            let sql = statement(set);
            for (kind, table) in tables {
                assert_eq!(
                    sql.contains(table),
                    set & bit(kind) != 0,
                    "set {set:04b}, {kind:?}"
                );
            }
            assert_eq!(
                sql.matches(" UNION ALL ").count(),
                set.count_ones() as usize - 1
            );
        }
    }

    // covers: PL-1
    #[test]
    fn every_table_the_check_reads_moves_the_epoch() {
        let sql = statement(15);
        let read = crate::server::kept::tables_read(
            &[sql],
            &["t", "q", "access_epoch", "jsonb_to_recordset"],
        );
        assert_eq!(read, EPOCH_TABLES);
    }

    // covers: PL-1
    #[test]
    fn reasons_name_the_road_or_the_rule() {
        let f = facts(Some("invitation"), None, false, false);
        assert_eq!(
            decide(CheckAction::UseVersion, &f),
            answer(true, "invitation")
        );
        let f = facts(None, None, false, false);
        assert_eq!(
            decide(CheckAction::UseVersion, &f),
            answer(false, "access_ended")
        );
        for (road, want) in [
            (Some("owner"), answer(true, "owner")),
            (Some("write"), answer(true, "write_share")),
            (Some("read"), answer(false, "read_only_share")),
            (None, answer(false, "no_access")),
        ] {
            assert_eq!(
                decide(CheckAction::RunInstance, &facts(road, None, false, false)),
                want
            );
        }
        let f = facts(None, Some("member"), true, true);
        assert_eq!(decide(CheckAction::ChangeZap, &f), answer(true, "owner"));
        let f = facts(None, Some("admin"), false, false);
        assert_eq!(
            decide(CheckAction::ChangeZap, &f),
            answer(false, "not_owner")
        );
        assert_eq!(
            decide(CheckAction::UseConnection, &f),
            answer(true, "shared_connection")
        );
        let f = facts(None, None, true, true);
        assert_eq!(
            decide(CheckAction::ChangeZap, &f),
            answer(false, "not_a_member")
        );
        let mut f = facts(None, Some("member"), true, true);
        f.expired = Some(true);
        assert_eq!(
            decide(CheckAction::UseConnection, &f),
            answer(false, "connection_expired")
        );
        f.known = false;
        assert_eq!(
            decide(CheckAction::UseConnection, &f),
            answer(false, "unknown_user")
        );
        f.known = true;
        f.found = None;
        assert_eq!(
            decide(CheckAction::UseConnection, &f),
            answer(false, "not_found")
        );
    }
}
