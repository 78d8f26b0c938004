//! Reads a server keeps and answers again while nothing they rest on has changed.
//!
//! Every committed change to a row a kept read takes moves the database's read epoch
//! (migration 0019), in the changing transaction. A kept read carries the epoch of the
//! snapshot it was read in, and the date until which it holds by itself (an invitation
//! that expires, say). Each request learns the epoch and the clock (`Seen`) from a
//! statement made after it arrived: the session statement, or for a kept session (itself
//! one of these reads) the epoch statement alone, shared with the requests waiting for it
//! (`server::fresh`). A kept read is used only when it is exactly what its statement would
//! answer at that moment: the request then costs that one statement. A removed member or
//! a renamed person is seen on the very next request, on every server.
use super::actor::Seen;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// Every table a kept read takes: a change to any of them moves the read epoch (its
/// trigger in migration 0019). A unit test reads the kept statements for this list; a
/// database test finds the trigger on each.
pub const READ_EPOCH_TABLES: [&str; 10] = [
    "account_invites",
    "account_members",
    "accounts",
    "app_instances",
    "instance_invites",
    "instance_logins",
    "instance_runs",
    "instance_shares",
    "sessions",
    "users",
];

/// At most this much is kept per kind, counted in rows shown (a Members screen of 50
/// people weighs 51): past it, what is kept is dropped and read anew. About 200 bytes a
/// row, so each kind stays within a few tens of megabytes however large the accounts.
const KEPT_MAX_WEIGHT: usize = 200_000;

/// One kind of kept read, all of one epoch.
pub struct Kept<K, V> {
    inner: Mutex<Inner<K, V>>,
    reused: AtomicU64,
}

struct Inner<K, V> {
    epoch: i64,
    weight: usize,
    reads: HashMap<K, (Option<DateTime<Utc>>, Arc<V>)>,
}

impl<K, V> Default for Kept<K, V> {
    fn default() -> Self {
        Self {
            inner: Mutex::new(Inner {
                epoch: 0,
                weight: 0,
                reads: HashMap::new(),
            }),
            reused: AtomicU64::new(0),
        }
    }
}

impl<K: Eq + Hash, V> Kept<K, V> {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner<K, V>> {
        // A panic elsewhere while holding it leaves a map that is still whole.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many reads were answered from this store.
    pub fn reused(&self) -> u64 {
        self.reused.load(Ordering::Relaxed)
    }

    /// The read kept for `key`, when it was read at the epoch the caller's session
    /// statement saw and its date has not passed by that statement's clock.
    pub fn get(&self, key: &K, seen: &Seen) -> Option<Arc<V>> {
        let inner = self.inner();
        if inner.epoch != seen.read_epoch {
            return None;
        }
        let (until, v) = inner.reads.get(key)?;
        if until.is_some_and(|u| seen.now >= u) {
            return None;
        }
        self.reused.fetch_add(1, Ordering::Relaxed);
        Some(v.clone())
    }

    /// What [`get`](Self::get) would answer, with its date, not counted as a reuse: a
    /// page made from a kept read is kept only when the same read was kept before and
    /// after the render (`server::kept_page`).
    pub fn peek(&self, key: &K, seen: &Seen) -> Option<(Arc<V>, Option<DateTime<Utc>>)> {
        let inner = self.inner();
        if inner.epoch != seen.read_epoch {
            return None;
        }
        let (until, v) = inner.reads.get(key)?;
        (!until.is_some_and(|u| seen.now >= u)).then(|| (v.clone(), *until))
    }

    /// Whether a read is kept for `key`, at whatever epoch: only then is it worth reading
    /// the epoch alone to find out whether that read can be used.
    pub fn holds(&self, key: &K) -> bool {
        self.inner().reads.contains_key(key)
    }

    /// As [`get`](Self::get), dropping on the way what can never be used again: everything
    /// kept, when the caller saw a newer epoch (a read made before it is then not kept
    /// either); this key's read, when its date has passed.
    pub fn get_or_drop(&self, key: &K, seen: &Seen) -> Option<Arc<V>> {
        let mut inner = self.inner();
        if seen.read_epoch > inner.epoch {
            inner.reads.clear();
            inner.weight = 0;
            inner.epoch = seen.read_epoch;
            return None;
        }
        if inner.epoch != seen.read_epoch {
            return None;
        }
        let (until, v) = inner.reads.get(key).map(|(u, v)| (*u, v.clone()))?;
        if until.is_some_and(|u| seen.now >= u) {
            inner.reads.remove(key);
            return None;
        }
        self.reused.fetch_add(1, Ordering::Relaxed);
        Some(v)
    }

    /// The read kept for `key`, for a caller whose session statement saw the read
    /// epoch (`Actor::seen`), unless kept reads are switched off (`KEEP_READS=0`).
    pub fn for_caller(&self, on: bool, me: &super::actor::Actor, key: &K) -> Option<Arc<V>> {
        me.seen.filter(|_| on).and_then(|seen| self.get(key, &seen))
    }

    /// Keep a read made at `epoch` that holds until `until` (None: until a change), of
    /// `weight` rows. A read older than what is kept is not kept; a newer one replaces
    /// them all (none of the older can be used again: the epoch only moves on).
    pub fn keep(
        &self,
        key: K,
        epoch: i64,
        until: Option<DateTime<Utc>>,
        weight: usize,
        value: Arc<V>,
    ) {
        if weight > KEPT_MAX_WEIGHT {
            return;
        }
        let mut inner = self.inner();
        if epoch < inner.epoch {
            return;
        }
        if epoch > inner.epoch || inner.weight + weight > KEPT_MAX_WEIGHT {
            inner.reads.clear();
            inner.weight = 0;
            inner.epoch = epoch;
        }
        // The same key kept again at the same epoch counts once more; the next clear
        // settles it.
        inner.weight += weight;
        inner.reads.insert(key, (until, value));
    }
}

/// The reads this server keeps (`AppState::kept`).
pub struct KeptReads {
    /// The callers' sessions: the session token's hash → its person, until it expires
    /// (`auth::session_of`).
    pub sessions: Kept<Vec<u8>, crate::auth::CurrentUser>,
    /// The Members screen: (account, viewer) → the viewer's role and the screen's rows.
    pub members: Kept<(Uuid, Uuid), crate::accounts::repo::MembersPageRead>,
    /// An instance's page: (instance, viewer) → the viewer's access and the page.
    pub instances: Kept<(Uuid, Uuid), crate::instances::repo::InstanceRead>,
    /// The Members screen as rendered (`server::kept_page`), kept with the read it shows.
    pub pages: Kept<super::kept_page::PageKey, super::kept_page::KeptPage>,
    /// The read epoch and the clock for a request that holds a kept session, from a
    /// statement sent after it arrived, shared by the requests waiting for it.
    pub fresh: super::fresh::Fresh,
}

impl Default for KeptReads {
    fn default() -> Self {
        Self {
            sessions: Kept::default(),
            members: Kept::default(),
            instances: Kept::default(),
            pages: Kept::default(),
            fresh: super::fresh::Fresh::read_epoch(),
        }
    }
}

/// The tables some statements read (the word after each FROM and JOIN), sorted, once
/// each, but for `skip` (aliases of subqueries, the epoch itself): what the unit tests
/// hold against the tables whose changes move an epoch.
#[cfg(test)]
pub(crate) fn tables_read<'a>(statements: &[&'a str], skip: &[&str]) -> Vec<&'a str> {
    let mut read: Vec<&str> = statements
        .iter()
        .flat_map(|sql| {
            sql.split(['(', ')', ',', ' '])
                .collect::<Vec<_>>()
                .windows(2)
                .filter(|w| w[0] == "FROM" || w[0] == "JOIN")
                .map(|w| w[1])
                .collect::<Vec<_>>()
        })
        .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .filter(|t| !skip.contains(t))
        .collect();
    read.sort_unstable();
    read.dedup();
    read
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(read_epoch: i64, now: DateTime<Utc>) -> Seen {
        Seen { read_epoch, now }
    }

    // covers: AM-2
    #[test]
    fn a_kept_read_is_used_only_at_its_epoch_and_before_its_date() {
        let kept: Kept<u32, &str> = Kept::default();
        let t0 = Utc::now();
        let later = t0 + chrono::TimeDelta::seconds(10);
        kept.keep(1, 5, None, 1, Arc::new("one"));
        kept.keep(2, 5, Some(later), 1, Arc::new("two"));
        assert_eq!(kept.get(&1, &seen(5, t0)).as_deref(), Some(&"one"));
        assert_eq!(kept.get(&2, &seen(5, t0)).as_deref(), Some(&"two"));
        assert_eq!(kept.reused(), 2);
        // A peek answers as get does, with the date, and counts no reuse.
        let (two, until) = kept.peek(&2, &seen(5, t0)).unwrap();
        assert!(Arc::ptr_eq(&two, &kept.get(&2, &seen(5, t0)).unwrap()));
        assert_eq!(until, Some(later));
        assert!(kept.peek(&2, &seen(5, later)).is_none());
        assert!(kept.peek(&1, &seen(6, t0)).is_none());
        assert_eq!(kept.reused(), 3);
        // Its date passed: read again.
        assert!(kept.get(&2, &seen(5, later)).is_none());
        // The epoch moved: nothing kept is used.
        assert!(kept.get(&1, &seen(6, t0)).is_none());
        assert!(kept.get(&1, &seen(4, t0)).is_none());
        // An older read does not replace newer ones; a newer one drops the older.
        kept.keep(3, 4, None, 1, Arc::new("old"));
        assert!(kept.get(&3, &seen(4, t0)).is_none());
        assert_eq!(kept.get(&1, &seen(5, t0)).as_deref(), Some(&"one"));
        kept.keep(3, 6, None, 1, Arc::new("three"));
        assert!(kept.get(&1, &seen(6, t0)).is_none());
        assert_eq!(kept.get(&3, &seen(6, t0)).as_deref(), Some(&"three"));
        assert_eq!(kept.reused(), 5);

        // Bounded by weight: a read too heavy to keep is not kept; one that would pass
        // the bound drops the rest first.
        kept.keep(4, 6, None, KEPT_MAX_WEIGHT + 1, Arc::new("huge"));
        assert!(kept.get(&4, &seen(6, t0)).is_none());
        assert_eq!(kept.get(&3, &seen(6, t0)).as_deref(), Some(&"three"));
        kept.keep(5, 6, None, KEPT_MAX_WEIGHT, Arc::new("heavy"));
        assert!(kept.get(&3, &seen(6, t0)).is_none());
        assert_eq!(kept.get(&5, &seen(6, t0)).as_deref(), Some(&"heavy"));
    }

    // covers: AM-2
    #[test]
    fn a_newer_epoch_or_a_passed_date_drops_what_is_kept() {
        let kept: Kept<u32, &str> = Kept::default();
        let t0 = Utc::now();
        let later = t0 + chrono::TimeDelta::seconds(10);
        kept.keep(1, 5, Some(later), 1, Arc::new("one"));
        kept.keep(2, 5, None, 1, Arc::new("two"));
        assert!(kept.holds(&1) && kept.holds(&2) && !kept.holds(&3));
        assert_eq!(kept.get_or_drop(&1, &seen(5, t0)).as_deref(), Some(&"one"));
        // An older epoch seen (a slower snapshot): nothing used, nothing dropped.
        assert!(kept.get_or_drop(&1, &seen(4, t0)).is_none());
        assert!(kept.holds(&1));
        // Its date passed: that read is dropped, the other stays.
        assert!(kept.get_or_drop(&1, &seen(5, later)).is_none());
        assert!(!kept.holds(&1));
        assert_eq!(
            kept.get_or_drop(&2, &seen(5, later)).as_deref(),
            Some(&"two")
        );
        assert_eq!(kept.reused(), 2);
        // A newer epoch seen: everything is dropped, and a read made before it is not
        // kept afterwards.
        assert!(kept.get_or_drop(&2, &seen(6, t0)).is_none());
        assert!(!kept.holds(&2));
        kept.keep(2, 5, None, 1, Arc::new("stale"));
        assert!(!kept.holds(&2));
        kept.keep(2, 6, None, 1, Arc::new("new"));
        assert_eq!(kept.get_or_drop(&2, &seen(6, t0)).as_deref(), Some(&"new"));
    }

    // covers: AM-2, OF-1, IN-4
    #[test]
    fn every_table_a_kept_read_takes_moves_the_read_epoch() {
        let statements = [
            crate::accounts::repo::MEMBERS_PAGE_SQL.to_string(),
            crate::instances::repo::detail_sql(),
            crate::server::auth::SESSION_SQL.to_string(),
        ];
        let sql: Vec<&str> = statements.iter().map(String::as_str).collect();
        let read = tables_read(&sql, &["read_epoch", "me"]);
        assert_eq!(read, READ_EPOCH_TABLES);
        for s in &statements {
            assert!(s.contains("(SELECT n FROM read_epoch)"), "{s}");
        }
    }
}
