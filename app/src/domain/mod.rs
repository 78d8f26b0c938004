//! Pure types and rules shared by the browser and the server: no leptos, sqlx or axum here.
pub mod email;
pub mod policy;
pub mod roles;
pub mod semver;
pub mod team;
pub mod validate;

/// "1 Zap", "2 Zaps": a count with the word that fits it.
pub fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

#[cfg(test)]
mod tests {
    #[test]
    fn plural_picks_the_word_by_count() {
        assert_eq!(
            super::plural(1, "shared folder", "shared folders"),
            "1 shared folder"
        );
        assert_eq!(super::plural(0, "Zap", "Zaps"), "0 Zaps");
        assert_eq!(super::plural(2, "Zap", "Zaps"), "2 Zaps");
    }
}
