//! Reading, exporting and verifying a history (HI-1 … HI-3). The screens, `/api/v1`, the
//! export routes and `gatehouse verify-history` all come here.
use super::{
    ChainCheck, Checkpoint, HistoryEntry, HistoryFilter, HistoryPage, Scope, HISTORY_LIMIT,
};
use crate::domain::policy::{self, AccountAction, TeamAction};
use crate::error::AppError;
use crate::server::{Actor, AppState};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

/// Who may read a history, and what else they may do with it.
struct Reader {
    name: String,
    may_verify: bool,
    may_undo: bool,
}

async fn reader(conn: &mut PgConnection, me: &Actor, scope: Scope) -> Result<Reader, AppError> {
    match scope {
        Scope::Integration(id) => {
            let role = crate::server::team_access::team_role(conn, id, me.id, false).await?;
            policy::team(role, TeamAction::View)?;
            let (name,): (String,) = sqlx::query_as("SELECT name FROM integrations WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
            Ok(Reader {
                name,
                may_verify: policy::team(role, TeamAction::VerifyHistory).is_ok(),
                may_undo: false,
            })
        }
        Scope::Account(id) => {
            let role = crate::accounts::repo::role_of(conn, id, me.id).await?;
            policy::account(role, AccountAction::ViewHistory)?;
            let (name, _) = crate::accounts::repo::account(conn, id).await?;
            Ok(Reader {
                name,
                may_verify: true,
                may_undo: policy::account(role, AccountAction::UndoRemoval).is_ok(),
            })
        }
    }
}

/// A history entry's JSON (`before` or `after`), in words: `key: value` pairs.
pub fn details(value: Option<serde_json::Value>) -> String {
    match value {
        // Ids mean nothing to a reader (the exports keep them): names say who.
        Some(serde_json::Value::Object(map)) => map
            .into_iter()
            .filter(|(k, v)| !v.is_null() && !k.ends_with("_id") && k != "transfer")
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Array(a) => a
                        .iter()
                        .map(|x| {
                            x.as_str()
                                .map(str::to_string)
                                .unwrap_or_else(|| x.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                format!("{}: {v}", k.replace('_', " "))
            })
            .collect::<Vec<_>>()
            .join(" · "),
        Some(serde_json::Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    seq: i64,
    at: DateTime<Utc>,
    actor: Option<String>,
    action: String,
    target: Option<String>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    reason: Option<String>,
    undo: Option<Uuid>,
}

impl Row {
    fn entry(self) -> HistoryEntry {
        HistoryEntry {
            seq: self.seq,
            at: self.at,
            actor: self.actor,
            action: self.action,
            target: self.target,
            details: details(self.after),
            before: details(self.before),
            reason: self.reason,
            undo: self.undo,
        }
    }
}

/// A place in the history, newest first: the last entry of a page (its time and id).
/// Written as `<microseconds>.<id>`; anything else is refused as a bad cursor.
pub fn history_cursor(at: DateTime<Utc>, id: i64) -> String {
    format!("{}.{id}", at.timestamp_micros())
}

/// Dates the database (and any history) can hold: years 1 to 9999.
fn in_range(day: NaiveDate) -> bool {
    (1..=9999).contains(&chrono::Datelike::year(&day))
}

fn parse_cursor(text: &str) -> Result<(DateTime<Utc>, i64), AppError> {
    let bad = || AppError::validation("cursor", "This cursor is not one this server gave out.");
    let (micros, id) = text.split_once('.').ok_or_else(bad)?;
    let at = micros
        .parse::<i64>()
        .ok()
        .and_then(DateTime::<Utc>::from_timestamp_micros)
        .filter(|at| in_range(at.date_naive()))
        .ok_or_else(bad)?;
    Ok((at, id.parse::<i64>().map_err(|_| bad())?))
}

fn check_filter(f: &HistoryFilter) -> Result<(), AppError> {
    for (field, v) in [("action", &f.action), ("q", &f.q), ("person", &f.person)] {
        if v.chars().count() > 200 {
            return Err(AppError::validation(
                field,
                "Search for at most 200 characters.",
            ));
        }
    }
    for (field, day) in [("from", f.from), ("to", f.to)] {
        if day.is_some_and(|d| !in_range(d)) {
            return Err(AppError::validation(
                field,
                "Give a date between the years 1 and 9999.",
            ));
        }
    }
    if let (Some(from), Some(to)) = (f.from, f.to) {
        if from > to {
            return Err(AppError::validation(
                "to",
                "The end date comes before the start date.",
            ));
        }
    }
    Ok(())
}

/// The one statement behind pages and exports: the chain's entries matching `f`, newest
/// first, after `cursor`, at most `limit` (none: all of them).
const ENTRIES: &str = "\
    SELECT h.id, h.seq, h.at, coalesce(a.name, h.after->>'by') AS actor, h.action, \
           coalesce(t.name || ' (' || t.email || ')', h.target) AS target, h.before, h.after, h.reason, \
           CASE WHEN $10 AND tr.undone_at IS NULL AND tr.at > now() - interval '14 days' THEN tr.id END AS undo \
    FROM history h \
    LEFT JOIN users a ON a.id = h.actor_id \
    LEFT JOIN users t ON t.id = CASE WHEN h.target ~ '^user:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN substr(h.target, 6)::uuid END \
    LEFT JOIN transfers tr ON h.action = 'member.removed' AND tr.id::text = h.after->>'transfer' \
    WHERE h.chain = $1 AND ($2 = '' OR h.action = $2) \
      AND ($3 = '%%' OR concat_ws(' ', a.name, a.email, t.name, t.email, h.target, h.action, h.before::text, h.after::text, h.reason) ILIKE $3) \
      AND ($4 = '%%' OR concat_ws(' ', a.name, a.email, t.name, t.email, h.target) ILIKE $4) \
      AND ($5::date IS NULL OR h.at >= $5::date::timestamp AT TIME ZONE 'UTC') \
      AND ($6::date IS NULL OR h.at < ($6::date + 1)::timestamp AT TIME ZONE 'UTC') \
      AND ($7::timestamptz IS NULL OR (h.at, h.id) < ($7, $8)) \
    ORDER BY h.at DESC, h.id DESC LIMIT $9";

fn entries<'q>(
    chain: &'q str,
    f: &'q HistoryFilter,
    after: Option<(DateTime<Utc>, i64)>,
    limit: Option<i64>,
    may_undo: bool,
) -> sqlx::query::QueryAs<'q, sqlx::Postgres, Row, sqlx::postgres::PgArguments> {
    use crate::integrations::repo::contains_pattern;
    sqlx::query_as(ENTRIES)
        .bind(chain)
        .bind(f.action.trim().to_string())
        .bind(contains_pattern(&f.q))
        .bind(contains_pattern(&f.person))
        .bind(f.from)
        .bind(f.to)
        .bind(after.map(|(at, _)| at))
        .bind(after.map(|(_, id)| id).unwrap_or(0))
        .bind(limit)
        .bind(may_undo)
}

/// One page of a history after `cursor` (keyset paging on time and id, so pages neither
/// repeat nor skip entries written meanwhile), at most `limit` (1 to 200) entries.
pub async fn page(
    st: &AppState,
    me: &Actor,
    scope: Scope,
    f: &HistoryFilter,
    cursor: Option<&str>,
    limit: i64,
) -> Result<HistoryPage, AppError> {
    if !(1..=HISTORY_LIMIT).contains(&limit) {
        return Err(AppError::validation(
            "limit",
            format!("Ask for 1 to {HISTORY_LIMIT} entries."),
        ));
    }
    check_filter(f)?;
    let after = cursor.map(parse_cursor).transpose()?;
    let mut conn = st.pool.acquire().await?;
    let who = reader(&mut conn, me, scope).await?;
    let chain = scope.chain();
    let rows: Vec<Row> = entries(&chain, f, after, Some(limit + 1), who.may_undo)
        .fetch_all(&mut *conn)
        .await?;
    let (actions, head): (Vec<String>, Option<(i64, Vec<u8>)>) = {
        let (actions, seq, hash): (Vec<String>, Option<i64>, Option<Vec<u8>>) = sqlx::query_as(
            "SELECT coalesce((SELECT array_agg(DISTINCT action ORDER BY action) FROM history WHERE chain = $1), '{}'), \
                    (SELECT seq FROM history_chains WHERE chain = $1), (SELECT hash FROM history_chains WHERE chain = $1)",
        )
        .bind(&chain)
        .fetch_one(&mut *conn)
        .await?;
        (actions, seq.zip(hash))
    };
    let more = rows.len() as i64 > limit;
    let rows: Vec<Row> = rows.into_iter().take(limit as usize).collect();
    let next = more
        .then(|| rows.last().map(|r| history_cursor(r.at, r.id)))
        .flatten();
    Ok(HistoryPage {
        name: who.name,
        actions,
        more,
        next,
        checkpoint: head.map(|(seq, hash)| Checkpoint {
            seq,
            hash: hex(&hash),
        }),
        may_verify: who.may_verify,
        entries: rows.into_iter().map(Row::entry).collect(),
    })
}

/// Export formats (HI-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// Every entry matching `f` (no cap), newest first, as CSV or JSON lines:
/// (file name, content type, body).
pub async fn export(
    st: &AppState,
    me: &Actor,
    scope: Scope,
    f: &HistoryFilter,
    format: Format,
) -> Result<(String, &'static str, Vec<u8>), AppError> {
    check_filter(f)?;
    let mut conn = st.pool.acquire().await?;
    let who = reader(&mut conn, me, scope).await?;
    let chain = scope.chain();
    let mut rows = entries(&chain, f, None, None, false).fetch(&mut *conn);
    let mut out = Vec::new();
    let mut csv = (format == Format::Csv).then(|| csv::Writer::from_writer(Vec::new()));
    if let Some(w) = csv.as_mut() {
        w.write_record([
            "seq", "at", "actor", "action", "target", "before", "after", "reason",
        ])
        .map_err(AppError::internal)?;
    }
    while let Some(r) = rows.try_next().await? {
        match csv.as_mut() {
            // Names, notes and reasons are other people's text: no cell may start a
            // spreadsheet formula (the same guard as the transfer CSVs).
            Some(w) => w
                .write_record(
                    [
                        r.seq.to_string(),
                        r.at.to_rfc3339(),
                        r.actor.unwrap_or_default(),
                        r.action,
                        r.target.unwrap_or_default(),
                        r.before.map(|v| v.to_string()).unwrap_or_default(),
                        r.after.map(|v| v.to_string()).unwrap_or_default(),
                        r.reason.unwrap_or_default(),
                    ]
                    .iter()
                    .map(|c| crate::members::csv_export::cell(c).into_owned()),
                )
                .map_err(AppError::internal)?,
            None => {
                let line = serde_json::json!({
                    "seq": r.seq, "at": r.at, "actor": r.actor, "action": r.action, "target": r.target,
                    "before": r.before, "after": r.after, "reason": r.reason,
                });
                out.extend_from_slice(line.to_string().as_bytes());
                out.push(b'\n');
            }
        }
    }
    drop(rows);
    if let Some(w) = csv {
        out = w
            .into_inner()
            .map_err(|e| AppError::internal(e.to_string()))?;
    }
    let ext = if format == Format::Csv {
        "csv"
    } else {
        "jsonl"
    };
    let kind = if format == Format::Csv {
        "text/csv; charset=utf-8"
    } else {
        "application/x-ndjson"
    };
    Ok((format!("{} history.{ext}", who.name), kind, out))
}

/// Verify the chain of `scope` for a reader who may (HI-2).
pub async fn verify(
    st: &AppState,
    me: &Actor,
    scope: Scope,
    kept: Option<&Checkpoint>,
) -> Result<ChainCheck, AppError> {
    let mut conn = st.pool.acquire().await?;
    let who = reader(&mut conn, me, scope).await?;
    if !who.may_verify {
        return Err(AppError::Forbidden);
    }
    Ok(verify_chain(&mut conn, &scope.chain(), kept).await?)
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Walk a chain from its first entry: each entry must have the next number, point at
/// its predecessor's hash, and hash to what it stores; the last must be the head the
/// chain records, and a kept checkpoint must still be there with the same hash.
/// Names the first entry that does not match.
pub async fn verify_chain(
    conn: &mut PgConnection,
    chain: &str,
    kept: Option<&Checkpoint>,
) -> Result<ChainCheck, sqlx::Error> {
    let mut rows = sqlx::query_as::<_, (i64, Vec<u8>, Vec<u8>, Vec<u8>)>(
        "SELECT h.seq, h.prev_hash, h.hash, history_canonical(h) FROM history h WHERE h.chain = $1 ORDER BY h.seq, h.id",
    )
    .bind(chain)
    .fetch(&mut *conn);
    let mut prev = vec![0u8; 32];
    let mut expected = 1i64;
    let mut entries = 0i64;
    let mut bad: Option<(i64, String)> = None;
    while let Some((seq, prev_hash, hash, canonical)) = rows.try_next().await? {
        entries += 1;
        if bad.is_some() {
            continue;
        }
        if seq > expected {
            bad = Some((
                expected,
                format!(
                    "Entry {expected} is missing: the entries go from {} to {seq}.",
                    expected - 1
                ),
            ));
            continue;
        }
        if seq < expected {
            bad = Some((
                seq,
                format!("Entry {seq} appears more than once or out of its place."),
            ));
            continue;
        }
        let computed = Sha256::new()
            .chain_update(&prev_hash)
            .chain_update(&canonical)
            .finalize()
            .to_vec();
        if prev_hash != prev {
            bad = Some((seq, format!(
                "Entry {seq} does not follow entry {}: one of them was changed, or entries were reordered.",
                seq - 1
            )));
        } else if computed != hash {
            bad = Some((
                seq,
                format!("Entry {seq} was changed after it was written."),
            ));
        } else if let Some(k) = kept.filter(|k| k.seq == seq && k.hash != hex(&hash)) {
            bad = Some((
                seq,
                format!("Entry {} does not match the kept checkpoint.", k.seq),
            ));
        }
        prev = hash;
        expected += 1;
    }
    drop(rows);
    let last = expected - 1;
    let head: Option<(i64, Vec<u8>)> =
        sqlx::query_as("SELECT seq, hash FROM history_chains WHERE chain = $1")
            .bind(chain)
            .fetch_optional(&mut *conn)
            .await?;
    if bad.is_none() {
        if let Some(k) = kept.filter(|k| k.seq > last) {
            bad = Some((last + 1, format!(
                "Entries {} to {} were removed: the kept checkpoint names entry {}, the chain ends at {last}.",
                last + 1,
                k.seq,
                k.seq
            )));
        } else if let Some((seq, hash)) = head
            .as_ref()
            .filter(|(seq, hash)| *seq != last || *hash != prev)
        {
            let _ = hash;
            bad = Some((last + 1, format!(
                "The newest entries were removed: the chain's head names entry {seq}, the entries end at {last}."
            )));
        }
    }
    Ok(ChainCheck {
        chain: chain.to_string(),
        entries,
        ok: bad.is_none(),
        first_bad: bad.as_ref().map(|(s, _)| *s),
        problem: bad.map(|(_, p)| p),
        head: head.map(|(seq, hash)| Checkpoint {
            seq,
            hash: hex(&hash),
        }),
    })
}

/// Every chain's name, for `gatehouse verify-history --all`.
pub async fn chains(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT chain FROM history_chains UNION SELECT chain FROM history ORDER BY 1",
    )
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(|(c,)| c).collect())
}

/// A day from a query parameter: empty is none, anything but `YYYY-MM-DD` is refused.
pub fn parse_day(field: &str, s: &str) -> Result<Option<NaiveDate>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::validation(field, "Give a date as YYYY-MM-DD."))
}
