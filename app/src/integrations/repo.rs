//! SQL for integrations and access; no policy here.

/// The one rule of who may use an integration version in a Zap (SH-1, SH-6), as a SQL
/// condition over `i` (integrations) and `v` (integration_versions) for the user whose id
/// is the SQL expression `user` (e.g. `$2`): the integration is public, or an active grant
/// covers that version or all versions.
pub fn may_use_sql(user: &str) -> String {
    format!(
        "(i.visibility = 'public' OR EXISTS (SELECT 1 FROM access_grants g WHERE g.integration_id = i.id \
           AND g.user_id = {user} AND g.revoked_at IS NULL AND (g.version_id IS NULL OR g.version_id = v.id)))"
    )
}

/// An `ILIKE` pattern matching `q` anywhere, with its wildcards taken literally.
pub fn contains_pattern(q: &str) -> String {
    format!(
        "%{}%",
        q.trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn search_patterns_take_wildcards_literally() {
        assert_eq!(super::contains_pattern(" 50%_off "), "%50\\%\\_off%");
        assert_eq!(super::contains_pattern("a\\b"), "%a\\\\b%");
    }
}
