//! Removing an account member and moving their work to a new owner (OF-1 … OF-6, OF-8);
//! the account's Zaps, folders and connections as members see them.
pub mod api;
#[cfg(feature = "ssr")]
pub mod csv_export;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod transfer;
#[cfg(feature = "ssr")]
pub mod undo;
pub mod view;
pub mod work;
#[cfg(feature = "ssr")]
pub mod zaps;

use crate::accounts::Member;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
pub use wire::members::{ConnectionExpiry, Removed, Rename, TransferReport};

pub const LIST_CAP: usize = 50;

/// How many members the remove dialog offers as new owners at once.
pub const CANDIDATE_CAP: usize = 25;

/// The members who could receive `removed`'s work and match the search `q`
/// (name or address, any letter case), at most `CANDIDATE_CAP` of them.
pub fn candidates(all: &[Member], removed: Uuid, q: &str) -> Vec<Member> {
    let q = q.trim().to_lowercase();
    all.iter()
        .filter(|m| m.user_id != removed)
        .filter(|m| {
            q.is_empty()
                || m.name.to_lowercase().contains(&q)
                || m.email.to_lowercase().contains(&q)
        })
        .take(CANDIDATE_CAP)
        .cloned()
        .collect()
}

/// Who the remove dialog has selected: the one asked for if the list offers them, else the
/// account owner if offered, else the first offered. The preview and the removal use this
/// same answer, so what the list shows selected is what happens (OF-8).
pub fn pick_owner(candidates: &[Member], asked: Option<Uuid>, owner: Uuid) -> Option<Uuid> {
    let offered = |id: Uuid| candidates.iter().any(|m| m.user_id == id);
    asked
        .filter(|&id| offered(id))
        .or_else(|| offered(owner).then_some(owner))
        .or_else(|| candidates.first().map(|m| m.user_id))
}

/// What the remove dialog needs to offer its choices.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RemovalOptions {
    pub account_name: String,
    pub member: Member,
    pub account_owner: Member,
    /// False for admins: the new owner is the account owner, whatever is sent (OF-2).
    pub can_choose_owner: bool,
    /// Members matching the search, who could receive the work.
    pub candidates: Vec<Member>,
}

/// One item an undo leaves with its new owner, and why (HI-4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LeftAlone {
    /// `Zap`, `Connection` or `Folder`.
    pub kind: String,
    pub name: String,
    pub why: String,
}

/// What undoing a removal gives back, and what it leaves alone (HI-4): the same report
/// for the preview (run and rolled back) and the undo itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct UndoReport {
    pub transfer_id: uuid::Uuid,
    pub account_name: String,
    pub removed_name: String,
    pub removed_email: String,
    pub new_owner_name: String,
    pub removed_at: chrono::DateTime<chrono::Utc>,
    /// The last moment the removal can be undone.
    pub undo_until: chrono::DateTime<chrono::Utc>,
    /// The role the member comes back with.
    pub role: crate::domain::roles::AccountRole,
    /// False when they are a member again already (their current role is kept).
    pub membership_restored: bool,
    pub zaps: i64,
    pub connections: i64,
    pub folders: i64,
    /// The first items left with their new owner, with the reason.
    pub left_alone: Vec<LeftAlone>,
    pub left_alone_total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::roles::AccountRole;

    fn m(name: &str, role: AccountRole) -> Member {
        Member {
            user_id: Uuid::new_v4(),
            name: name.into(),
            email: format!("{}@Example.com", name.to_lowercase().replace(' ', ".")),
            role,
            joined_at: chrono::Utc::now(),
        }
    }

    // covers: OF-2, OF-8
    #[test]
    fn the_selected_new_owner_is_always_one_the_list_offers() {
        let olivia = m("Olivia Owner", AccountRole::Owner);
        let sam = m("Sam Super", AccountRole::SuperAdmin);
        let devon = m("Devon Dev", AccountRole::Member);
        let all = vec![olivia.clone(), sam.clone(), devon.clone()];
        // Searching "sam" while Olivia was selected: Sam, the only one shown, is the pick.
        let found = candidates(&all, devon.user_id, "SAM");
        assert_eq!(
            found.iter().map(|m| &m.name).collect::<Vec<_>>(),
            ["Sam Super"]
        );
        assert_eq!(
            pick_owner(&found, Some(olivia.user_id), olivia.user_id),
            Some(sam.user_id)
        );
        // No search: the owner by default, the one asked for when offered.
        let everyone = candidates(&all, devon.user_id, " ");
        assert_eq!(everyone.len(), 2, "the removed member is never offered");
        assert_eq!(
            pick_owner(&everyone, None, olivia.user_id),
            Some(olivia.user_id)
        );
        assert_eq!(
            pick_owner(&everyone, Some(sam.user_id), olivia.user_id),
            Some(sam.user_id)
        );
        // Someone not offered (the removed member, a stranger) is never picked.
        assert_eq!(
            pick_owner(&everyone, Some(devon.user_id), olivia.user_id),
            Some(olivia.user_id)
        );
        // Addresses match in any letter case; nobody matching means nobody picked.
        assert_eq!(
            candidates(&all, devon.user_id, "sam.super@example").len(),
            1
        );
        let none = candidates(&all, devon.user_id, "zed");
        assert_eq!(pick_owner(&none, Some(sam.user_id), olivia.user_id), None);
    }
}
