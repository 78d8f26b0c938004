//! Version strings of integrations: semver `MAJOR.MINOR.PATCH[-pre]`, no leading zeros.

pub fn parse(input: &str) -> Result<String, String> {
    let s = input.trim();
    if s.len() > 64 {
        return Err("A version is at most 64 characters long.".into());
    }
    let (core, pre) = match s.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (s, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = |p: &&str| {
        !p.is_empty()
            && p.chars().all(|c| c.is_ascii_digit())
            && (p.len() == 1 || !p.starts_with('0'))
    };
    if parts.len() != 3 || !parts.iter().all(numeric) {
        return Err(format!(
            "{s:?} is not a version like 1.4.0 (three numbers, no leading zeros)."
        ));
    }
    if let Some(p) = pre {
        if p.is_empty()
            || !p.split('.').all(|id| {
                !id.is_empty() && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
        {
            return Err(format!(
                "{s:?} has an invalid pre-release part (e.g. 2.0.0-beta.1)."
            ));
        }
    }
    Ok(s.to_string())
}

/// A URL-safe slug from a name: lower-case letters and digits joined by single dashes.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.to_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let s = out
        .trim_end_matches('-')
        .chars()
        .take(50)
        .collect::<String>();
    if s.is_empty() {
        "integration".into()
    } else {
        s.trim_end_matches('-').to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["1.0.0", "0.9.12", "2.0.0-beta.1", "10.20.30"] {
            assert_eq!(parse(ok).unwrap(), ok);
        }
        for bad in ["1.0", "1.0.0.0", "01.0.0", "1.a.0", "1.0.0-", "v1.0.0", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slugs() {
        assert_eq!(slug("Acme CRM (beta)!"), "acme-crm-beta");
        assert_eq!(slug("  ---  "), "integration");
    }
}
