//! Email addresses, parsed once at the edge: lower-cased, trimmed, plausibly deliverable.
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let s = input.trim().to_lowercase();
        if s.is_empty() {
            return Err("Enter an email address.");
        }
        if s.len() > 254 {
            return Err("That email address is too long.");
        }
        let Some((local, domain)) = s.split_once('@') else {
            return Err("An email address needs an @, like name@example.com.");
        };
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return Err("That is not a valid email address.");
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err("That is not a valid email address.");
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn domain(&self) -> &str {
        self.0.split_once('@').map(|(_, d)| d).unwrap_or_default()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // covers: AC-1
    #[test]
    fn parses_and_normalises() {
        let e = EmailAddress::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace@example.com");
        assert_eq!(e.domain(), "example.com");
        assert_eq!(
            EmailAddress::parse("ünïcode@bücher.de").unwrap().domain(),
            "bücher.de"
        );
    }

    #[test]
    fn refuses_bad_addresses_with_a_reason() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@x.com",
            "a@@x.com",
            "a..b@x.com",
            "a@-x.com",
            "a b@x.com",
            ".a@x.com",
        ] {
            assert!(
                EmailAddress::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        assert_eq!(
            EmailAddress::parse("").unwrap_err(),
            "Enter an email address."
        );
    }
}
