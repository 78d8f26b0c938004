//! History people can use and trust (X-2, HI-1 … HI-3): the history of an integration or
//! an account, filtered, paged without a cap, exported, and checked against its hash chain.
pub mod api;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How many history entries a page shows at most.
pub const HISTORY_LIMIT: i64 = 200;

/// Whose history: each is one hash chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    Integration(Uuid),
    Account(Uuid),
}

impl Scope {
    /// The chain's name, as the database's `history_chain_of` writes it.
    pub fn chain(&self) -> String {
        match self {
            Scope::Integration(id) => format!("integration:{id}"),
            Scope::Account(id) => format!("account:{id}"),
        }
    }

    /// The screen that shows this history.
    pub fn path(&self) -> String {
        match self {
            Scope::Integration(id) => format!("/integrations/{id}/history"),
            Scope::Account(id) => format!("/accounts/{id}/history"),
        }
    }
}

/// Which entries: all of these that are given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryFilter {
    /// Only this action (e.g. `member.removed`).
    #[serde(default)]
    pub action: String,
    /// Only entries mentioning this text anywhere (a name, an address, a value, a reason).
    #[serde(default)]
    pub q: String,
    /// Only entries made by or concerning this person (part of a name or an address).
    #[serde(default)]
    pub person: String,
    /// From this day on (UTC), inclusive.
    #[serde(default)]
    pub from: Option<NaiveDate>,
    /// Up to this day (UTC), inclusive.
    #[serde(default)]
    pub to: Option<NaiveDate>,
}

impl HistoryFilter {
    /// The filter as query parameters (for links to the next page and to exports).
    pub fn query(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("action", self.action.clone()),
            ("q", self.q.clone()),
            ("person", self.person.clone()),
            ("from", self.from.map(|d| d.to_string()).unwrap_or_default()),
            ("to", self.to.map(|d| d.to_string()).unwrap_or_default()),
        ] {
            if !v.is_empty() {
                parts.push(format!("{k}={}", urlencode(&v)));
            }
        }
        parts.join("&")
    }
}

/// Percent-encode a query value (everything but unreserved characters).
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// The entry's place in its chain: 1, 2, 3 …
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    /// The person or address concerned, in words.
    pub target: Option<String>,
    /// What it is now (or what was done), in words.
    pub details: String,
    /// What it was before, in words, where something changed.
    #[serde(default)]
    pub before: String,
    /// Why, when the person who made the change said.
    #[serde(default)]
    pub reason: Option<String>,
    /// For a removal that can still be undone by the reader: the removal's id.
    #[serde(default)]
    pub undo: Option<Uuid>,
}

/// The newest entry of a chain: keep it outside Gatehouse to detect removed newest entries later.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Checkpoint {
    pub seq: i64,
    /// SHA-256 of the entry, hex.
    pub hash: String,
}

impl Checkpoint {
    /// `seq:hash`, as the command line and the screens take it.
    pub fn parse(text: &str) -> Option<Checkpoint> {
        let (seq, hash) = text.trim().split_once(':')?;
        let seq = seq.trim().parse::<i64>().ok().filter(|s| *s >= 1)?;
        let hash = hash.trim().to_ascii_lowercase();
        (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(Checkpoint { seq, hash })
    }
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct HistoryPage {
    pub name: String,
    pub entries: Vec<HistoryEntry>,
    /// The action names present, for the filter.
    pub actions: Vec<String>,
    /// True when more entries matched than are shown.
    pub more: bool,
    /// Where the next (older) page starts, when there is one: pass it back as `cursor`.
    pub next: Option<String>,
    /// The chain's newest entry.
    #[serde(default)]
    pub checkpoint: Option<Checkpoint>,
    /// Whether the reader may verify the chain (admins and owners).
    #[serde(default)]
    pub may_verify: bool,
}

/// What verifying a chain found (HI-2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ChainCheck {
    pub chain: String,
    /// Entries read.
    pub entries: i64,
    /// True when every entry matches and nothing is missing.
    pub ok: bool,
    /// The first entry that does not match, when one does not.
    pub first_bad: Option<i64>,
    /// What is wrong, in words.
    pub problem: Option<String>,
    /// The newest entry as the chain's head records it.
    pub head: Option<Checkpoint>,
}
