//! Integrations, their versions and who may use them: the directory (SH-1) and
//! invite links (SH-2). The team that manages an integration is its admins and
//! collaborators (TM-2); users with access are another matter (access grants).
pub mod api;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

pub use wire::integrations::{
    AccessView, IntegrationPage, IntegrationSummary, InviteReport, InviteView, Joiner, Landing,
    LinkView, MyIntegrations, RevokePreview, SharingPage, UsableIntegration, UseRoad, VersionView,
};

/// The most people invited by email per integration, pending and accepted (SH-4).
pub const INVITE_CAP: i64 = 200;
/// A pasted list longer than this is refused before any address is read.
pub const MAX_BATCH_LINES: usize = 1000;
pub const INVITE_DAYS: i32 = 14;

/// Split a pasted list of addresses: one per line, or separated by commas, semicolons or spaces.
pub fn split_addresses(input: &str) -> Vec<&str> {
    input
        .split(|c: char| c == '\n' || c == ',' || c == ';' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn pasted_lists_split_on_any_separator() {
        assert_eq!(
            super::split_addresses("a@x.com, b@x.com;c@x.com\n\n d@x.com"),
            ["a@x.com", "b@x.com", "c@x.com", "d@x.com"]
        );
    }
}
