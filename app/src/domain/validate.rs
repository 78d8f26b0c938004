//! Small input rules shared by forms and server functions.

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

pub fn password(pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if n < PASSWORD_MIN {
        return Err(format!("Use at least {PASSWORD_MIN} characters."));
    }
    if n > PASSWORD_MAX {
        return Err(format!("Use at most {PASSWORD_MAX} characters."));
    }
    Ok(())
}

/// Free text, trimmed, of `min` to `max` characters; `None` when it is out of bounds.
pub fn text(input: &str, min: usize, max: usize) -> Option<&str> {
    let s = input.trim();
    let n = s.chars().count();
    (min..=max).contains(&n).then_some(s)
}

/// A display name: trimmed, 1 to 100 characters, no control characters.
pub fn name(input: &str, what: &str) -> Result<String, String> {
    let s = input.trim();
    if s.is_empty() {
        return Err(format!("Enter a {what}."));
    }
    if s.chars().count() > 100 {
        return Err(format!("Keep the {what} under 100 characters."));
    }
    if s.chars().any(char::is_control) {
        return Err(format!("The {what} cannot contain control characters."));
    }
    Ok(s.to_string())
}

/// A path to go to after signing in: only paths of this site, never another host.
/// Browsers drop tabs and newlines inside URLs and read `\\` as `/`, so `/<TAB>/evil`
/// would become `//evil`: control characters, spaces and backslashes are refused, and
/// on the server the path must resolve, against this site, to this site's origin.
pub fn local_path(next: &str) -> Option<&str> {
    let plain = next.starts_with('/')
        && !next.starts_with("//")
        && next.len() <= 2000
        && !next
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    (plain && same_site(next)).then_some(next)
}

#[cfg(feature = "ssr")]
fn same_site(path: &str) -> bool {
    let base = url::Url::parse("https://gatehouse.invalid/").expect("a valid base URL");
    base.join(path)
        .map(|u| u.origin() == base.origin())
        .unwrap_or(false)
}

#[cfg(not(feature = "ssr"))]
fn same_site(_: &str) -> bool {
    true
}

/// Encode a local path for use as a query value (`next=`).
pub fn query_value(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' | '/' => out.push(c),
            other => {
                let mut buf = [0u8; 4];
                for b in other.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// A date this app keeps: between the years 2000 and 9999.
pub fn in_range(t: chrono::DateTime<chrono::Utc>) -> Result<chrono::DateTime<chrono::Utc>, String> {
    use chrono::Datelike;
    if (2000..=9999).contains(&t.year()) {
        Ok(t)
    } else {
        Err("Give a date between the years 2000 and 9999.".into())
    }
}

/// A date and time typed in a form (AX-2), read as UTC: RFC 3339 (`2027-03-01T09:00:00Z`),
/// a form's `datetime-local` value (`2027-03-01T09:00`, seconds optional) or a day
/// (`2027-03-01`, its start). Empty means none.
pub fn when(input: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
    let s = input.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if s.len() > 40 {
        return Err("Give a date such as 2027-03-01 or 2027-03-01T09:00 (UTC).".into());
    }
    let mut found = chrono::DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc));
    for f in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if found.is_none() {
            found = NaiveDateTime::parse_from_str(s, f)
                .ok()
                .map(|t| Utc.from_utc_datetime(&t));
        }
    }
    if found.is_none() {
        found = NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .ok()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| Utc.from_utc_datetime(&t));
    }
    if let Some(t) = found {
        return in_range(t).map(Some);
    }
    Err(format!(
        "“{s}” is not a date: give one such as 2027-03-01 or 2027-03-01T09:00 (UTC)."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_length_is_bounded() {
        assert!(password("short").is_err());
        assert!(password("long enough!").is_ok());
        assert!(password(&"x".repeat(129)).is_err());
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(name("  Acme  ", "name").unwrap(), "Acme");
        assert!(name("   ", "name").is_err());
        assert!(name(&"a".repeat(101), "name").is_err());
        assert!(name("a\u{7}b", "name").is_err());
    }

    #[test]
    fn next_path_stays_on_this_site() {
        assert_eq!(local_path("/accounts"), Some("/accounts"));
        assert_eq!(local_path("//evil.example"), None);
        assert_eq!(local_path("https://evil.example"), None);
        assert_eq!(local_path("/\\evil.example"), None);
        // covers: X-8 (what browsers would read as another host, or a header cannot carry)
        for bad in [
            "/\t/evil.example",
            "/\n/x",
            "/\r\nSet-Cookie: a=b",
            "/ /evil.example",
            "/\u{0}x",
            "/\u{85}x",
            "\t//evil.example",
            "evil.example",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
        assert_eq!(local_path("/join/x?a=1#b"), Some("/join/x?a=1#b"));
        assert_eq!(query_value("/join/a_b-C?x=1&y"), "/join/a_b-C%3Fx%3D1%26y");
    }

    // covers: AX-2 (dates typed in a form)
    #[test]
    fn dates_read_as_utc() {
        let t = |s: &str| when(s).unwrap().map(|d| d.to_rfc3339());
        assert_eq!(t(""), None);
        assert_eq!(
            t("2027-03-01").as_deref(),
            Some("2027-03-01T00:00:00+00:00")
        );
        assert_eq!(
            t("2027-03-01T09:30").as_deref(),
            Some("2027-03-01T09:30:00+00:00")
        );
        assert_eq!(
            t("2027-03-01T09:30:00+02:00").as_deref(),
            Some("2027-03-01T07:30:00+00:00")
        );
        assert!(when("2027-02-30").is_err());
        assert!(when("tomorrow").is_err());
        assert!(when(&"9".repeat(100)).is_err());
        assert!(when("0001-01-01").is_err());
        assert!(when("-200000-01-01T00:00:00Z").is_err());
    }
}
