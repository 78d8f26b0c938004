//! SQL for integrations and access; no policy here.

/// A dated row (alias `a`, with `starts_at` and `ends_at`) is in force now (AX-2): not
/// before its start, not from its end. Every access rule asks this of every dated road,
/// so an end takes effect on the very next request, with no job in between.
pub fn in_force_sql(a: &str) -> String {
    format!("({a}.starts_at IS NULL OR {a}.starts_at <= now()) AND ({a}.ends_at IS NULL OR {a}.ends_at > now())")
}

/// An access grant (alias `g`) that gives access now: not revoked, and in force.
pub fn grant_live_sql(g: &str) -> String {
    format!("{g}.revoked_at IS NULL AND {}", in_force_sql(g))
}

/// The team role a `team_members` row (alias `t`) gives now, or NULL: an accepted row
/// within its dates gives its role; after its end, an admin row that ends "then
/// collaborator" gives collaborator (AX-4).
pub fn team_role_sql(t: &str) -> String {
    format!(
        "(CASE WHEN {t}.status <> 'accepted' OR coalesce({t}.starts_at > now(), false) THEN NULL \
               WHEN {t}.ends_at <= now() THEN CASE WHEN {t}.ends_then = 'collaborator' THEN 'collaborator' END \
               ELSE {t}.role END)"
    )
}

/// The one rule of who may use an integration version in a Zap (SH-1, SH-6), as a SQL
/// condition over `i` (integrations) and `v` (integration_versions) for the user whose id
/// is the SQL expression `user` (e.g. `$2`): the integration is public, or a grant in
/// force covers that version or all versions.
pub fn may_use_sql(user: &str) -> String {
    format!(
        "(i.visibility = 'public' OR EXISTS (SELECT 1 FROM access_grants g WHERE g.integration_id = i.id \
           AND g.user_id = {user} AND {} AND (g.version_id IS NULL OR g.version_id = v.id)))",
        grant_live_sql("g")
    )
}

/// The user (SQL expression `user`) is on the team of integration `i` now.
pub fn on_team_sql(user: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM team_members t WHERE t.integration_id = i.id AND t.user_id = {user} AND {} IS NOT NULL)",
        team_role_sql("t")
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
