//! The check (PL-1): a batch of "may this person do this to that?" in one statement, the
//! platform's token included (it is the hot path: the token is checked, its last use
//! written at most once a minute, and no question is looked at unless the token is live,
//! all in that statement). The SQL brings the facts from the same fragments every
//! screen's check uses (`may_use_sql`, `access_sql`, the account role); `domain::policy`
//! decides; the reason names the road that allows it or the rule that refuses.
use super::{Answer, CheckAction, Question, MAX_QUESTIONS};
use crate::domain::policy::{self, Denied, InstanceAction, WorkAction};
use crate::domain::roles::{AccountRole, InstanceAccess};
use crate::error::AppError;
use crate::integrations::repo::{grant_live_sql, may_use_sql};
use crate::server::AppState;
use std::sync::OnceLock;

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
                   NULL::text, NULL::bool, NULL::bool, NULL::bool \
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
            "SELECT true, {access}, NULL::text, NULL::text, NULL::bool, NULL::bool, NULL::bool \
             FROM app_instances i LEFT JOIN instance_shares s ON s.instance_id = i.id AND s.user_id = q.subject \
             WHERE q.action = 'run_instance' AND i.id = q.object",
            access = crate::instances::repo::access_sql("q.subject"),
        ),
        CheckAction::ChangeZap => "SELECT true, NULL::text, NULL::text, m.role, z.owner_id = q.subject, z.private, NULL::bool \
             FROM zaps z LEFT JOIN account_members m ON m.account_id = z.account_id AND m.user_id = q.subject \
             WHERE q.action = 'change_zap' AND z.id = q.object"
            .to_string(),
        CheckAction::UseConnection => "SELECT true, NULL::text, NULL::text, m.role, c.owner_id = q.subject, c.private, \
                    coalesce(c.expires_at <= now(), false) \
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
                    "WITH t AS (SELECT id, last_used_at FROM platform_tokens \
                                WHERE token_hash = $2 AND revoked_at IS NULL AND expires_at > now()), \
                          touch AS (UPDATE platform_tokens p SET last_used_at = now() FROM t WHERE p.id = t.id \
                                    AND (t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute')), \
                          q AS (SELECT * FROM jsonb_to_recordset($1::jsonb) \
                                AS q(n int4, action text, subject uuid, object uuid, version text) WHERE EXISTS (SELECT 1 FROM t)) \
                     SELECT coalesce((SELECT true FROM users u WHERE u.id = q.subject), false) AS known, \
                            f.found, f.road, f.refusal, f.role, f.mine, f.private, f.expired \
                     FROM q LEFT JOIN LATERAL ({facts}) f(found, road, refusal, role, mine, private, expired) ON true \
                     ORDER BY q.n"
                )
            })
            .collect()
    });
    &all[(kinds & 15).max(1) - 1]
}

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
/// looked at; so is a malformed batch, once the token has been found live.
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
    let kinds = questions.iter().fold(0, |set, q| set | bit(q.action));
    let facts: Vec<Facts> = sqlx::query_as(statement(kinds))
        .bind(serde_json::Value::Array(rows))
        .bind(crate::server::token::hash(bearer))
        .fetch_all(&st.pool)
        .await?;
    if facts.is_empty() {
        return Err(AppError::Unauthenticated);
    }
    if facts.len() != questions.len() {
        return Err(AppError::internal("the check lost a question"));
    }
    Ok(questions
        .iter()
        .zip(&facts)
        .map(|(q, f)| decide(q.action, f))
        .collect())
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
