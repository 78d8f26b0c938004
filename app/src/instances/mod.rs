//! App instances shared user to user with read/write rights; secrets stay secret (IN-1 … IN-4).
pub mod api;
#[cfg(feature = "ssr")]
pub mod repo;
#[cfg(feature = "ssr")]
pub mod service;
pub mod view;

pub use wire::instances::{
    ConfigEntry, InstanceDetail, InstanceInviteView, InstanceSummary, InstancesPage, LoginView,
    RunView, ShareView,
};

/// How long an instance invitation to a new address waits for its sign-up.
pub const INSTANCE_INVITE_DAYS: i32 = 14;

pub const MAX_CONFIG_ENTRIES: usize = 50;

/// Check a configuration form: drop blank rows, refuse bad keys, repeats and oversize values.
pub fn clean_config(entries: Vec<ConfigEntry>) -> Result<Vec<ConfigEntry>, String> {
    // Counted before any work: a form has room for a few blank rows, not thousands.
    if entries.len() > 2 * MAX_CONFIG_ENTRIES {
        return Err(format!(
            "Use at most {MAX_CONFIG_ENTRIES} configuration fields."
        ));
    }
    let mut out: Vec<ConfigEntry> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for e in entries {
        let key = e.key.trim().to_string();
        let value = e.value.trim().to_string();
        if key.is_empty() && value.is_empty() {
            continue;
        }
        if key.is_empty() {
            return Err(format!("The value {value:?} has no key."));
        }
        if key.len() > 64
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        {
            return Err(format!(
                "The key {key:?} may use letters, digits, '_', '.' and '-' (at most 64)."
            ));
        }
        if value.chars().count() > 2000 {
            return Err(format!(
                "The value of {key:?} is longer than 2000 characters."
            ));
        }
        if !seen.insert(key.clone()) {
            return Err(format!("The key {key:?} appears twice."));
        }
        out.push(ConfigEntry { key, value });
    }
    if out.len() > MAX_CONFIG_ENTRIES {
        return Err(format!(
            "Use at most {MAX_CONFIG_ENTRIES} configuration fields."
        ));
    }
    Ok(out)
}

/// An app identifier, e.g. `jira` or `google-sheets`.
pub fn clean_app(app: &str) -> Result<String, String> {
    let a = app.trim().to_lowercase();
    if a.is_empty()
        || a.len() > 60
        || !a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("Name the app with letters, digits, '-' or '_' (e.g. jira).".into());
    }
    Ok(a)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(k: &str, v: &str) -> ConfigEntry {
        ConfigEntry {
            key: k.into(),
            value: v.into(),
        }
    }

    // covers: IN-1, X-5
    #[test]
    fn config_forms_are_cleaned_and_checked() {
        assert_eq!(
            clean_config(vec![e(" url ", " https://x "), e("", "")]).unwrap(),
            vec![e("url", "https://x")]
        );
        assert!(clean_config(vec![e("", "orphan")])
            .unwrap_err()
            .contains("no key"));
        assert!(clean_config(vec![e("a b", "x")]).is_err());
        assert!(clean_config(vec![e("a", "1"), e("a", "2")])
            .unwrap_err()
            .contains("twice"));
        assert_eq!(clean_app(" Jira ").unwrap(), "jira");
        assert!(clean_app("no spaces please").is_err());
    }
}
