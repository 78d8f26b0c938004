//! Team rules that are plain data: the cap, the invitation's default note, and the
//! shapes of join domains and embed origins (TM-1, TM-3, SJ-1, SJ-3).
use super::roles::TeamRole;

/// At most this many team members per integration, pending and accepted counted (TM-1).
pub const TEAM_CAP: i64 = 200;
/// Days a team invitation (or a join invitation) can be accepted.
pub const TEAM_INVITE_DAYS: i32 = 14;
/// The longest note an inviter may write.
pub const NOTE_MAX: usize = 2000;

/// The message an invitation carries unless the inviter writes their own (TM-3).
pub fn default_note(role: TeamRole, integration: &str) -> String {
    match role {
        TeamRole::Admin => format!(
            "I'd like you to help run {integration} on Gatehouse as an admin: you will be able to edit it, share it and manage its team."
        ),
        TeamRole::Collaborator => format!(
            "I'd like you to join the {integration} team on Gatehouse as a collaborator: you will see its performance, history, feature requests and bug reports, and its embed tools."
        ),
    }
}

/// The kinds of update mail a team receives (TM-8). Marketing can be switched off;
/// platform and partner-programme updates cannot while one is on the team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateKind {
    Marketing,
    Programme,
}

impl UpdateKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "marketing" => Some(Self::Marketing),
            "programme" => Some(Self::Programme),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Marketing => "marketing",
            Self::Programme => "programme",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Self::Marketing => "Partner marketing update",
            Self::Programme => "Platform and partner-programme update",
        }
    }
}

/// True when taking `target`'s admin role away (a role change, a removal, leaving) would
/// leave the team without an accepted admin (TM-6): screens then do not offer it.
pub fn is_last_admin(target: TeamRole, accepted: bool, accepted_admins: usize) -> bool {
    target == TeamRole::Admin && accepted && accepted_admins <= 1
}

/// One eligible email domain (SJ-1): trimmed, lower-cased, an optional leading `@`
/// dropped, internationalised names turned into their ASCII (punycode) form.
#[cfg(feature = "ssr")]
pub fn join_domain(input: &str) -> Result<String, String> {
    let s = input.trim().trim_start_matches('@').trim_end_matches('.');
    if s.is_empty() {
        return Err("Enter a domain such as example.com.".into());
    }
    if s.contains(['/', ':', '@', ' ', '*']) {
        return Err(format!(
            "“{s}” is not a domain: write only the part after the @, such as example.com (no wildcards)."
        ));
    }
    let ascii =
        idna::domain_to_ascii(s).map_err(|_| format!("“{s}” is not a valid domain name."))?;
    let labels: Vec<&str> = ascii.split('.').collect();
    let ok = labels.len() >= 2
        && ascii.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !ok {
        return Err(format!("“{s}” is not a valid domain name."));
    }
    Ok(ascii)
}

/// The domain of an email address in the form join domains are stored in.
#[cfg(feature = "ssr")]
pub fn email_domain(email: &str) -> Option<String> {
    let (_, domain) = email.rsplit_once('@')?;
    idna::domain_to_ascii(domain).ok()
}

/// An origin allowed to embed the join widget (SJ-3): `https://host[:port]`, nothing more.
#[cfg(feature = "ssr")]
pub fn embed_origin(input: &str) -> Result<String, String> {
    let s = input.trim().trim_end_matches('/');
    let url = url::Url::parse(s).map_err(|_| {
        format!("“{s}” is not an origin: write the scheme and host, such as https://partner.example.com.")
    })?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err("An origin starts with https:// (or http:// for local testing).".into());
    }
    if url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
        || url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
    {
        return Err(format!(
            "“{s}” is not an origin: write only the scheme, host and port, with no path."
        ));
    }
    // The origin goes into a CSP `frame-ancestors` list, where `*` is a wildcard: only a
    // plain host name (letters, digits, dots, hyphens) or an IP address is an origin here.
    let plain = match url.host() {
        Some(url::Host::Domain(d)) => d
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')),
        Some(url::Host::Ipv4(_) | url::Host::Ipv6(_)) => true,
        None => false,
    };
    if !plain || s.contains('*') {
        return Err(format!(
            "“{s}” is not one origin: wildcards are not allowed; list each site, such as https://partner.example.com."
        ));
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    // covers: SJ-1
    #[test]
    fn join_domains_are_normalised_and_checked() {
        assert_eq!(
            join_domain("  @Partner.Example.COM ").unwrap(),
            "partner.example.com"
        );
        assert_eq!(join_domain("bücher.de").unwrap(), "xn--bcher-kva.de");
        assert_eq!(join_domain("BÜCHER.de").unwrap(), "xn--bcher-kva.de");
        for bad in [
            "",
            "localhost",
            "*.example.com",
            "https://example.com",
            "a@b.com",
            "-x.com",
            "exa mple.com",
        ] {
            assert!(join_domain(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(
            email_domain("Ann@Bücher.de").as_deref(),
            Some("xn--bcher-kva.de")
        );
    }

    // covers: SJ-3
    #[test]
    fn embed_origins_are_scheme_host_and_port_only() {
        assert_eq!(
            embed_origin("https://Partner.Example.com/").unwrap(),
            "https://partner.example.com"
        );
        assert_eq!(
            embed_origin("http://localhost:8080").unwrap(),
            "http://localhost:8080"
        );
        assert_eq!(
            embed_origin("https://partner.example.com:443").unwrap(),
            "https://partner.example.com"
        );
        assert_eq!(
            embed_origin("https://bücher.de").unwrap(),
            "https://xn--bcher-kva.de"
        );
        for bad in [
            "partner.example.com",
            "ftp://x.com",
            "https://x.com/page",
            "https://x.com?a=1",
            "https://u:p@x.com",
            // covers: SJ-3 (wildcards would let any site frame the widget)
            "https://*",
            "https://*.example.com",
            "http://*:8080",
            "*",
            "https://exa_mple.com",
            "*",
        ] {
            assert!(embed_origin(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    // covers: TM-6
    fn the_last_accepted_admin_is_recognised() {
        use super::is_last_admin;
        assert!(is_last_admin(TeamRole::Admin, true, 1));
        assert!(
            !is_last_admin(TeamRole::Admin, true, 2),
            "another admin remains"
        );
        assert!(
            !is_last_admin(TeamRole::Admin, false, 1),
            "a pending admin is not the admin"
        );
        assert!(!is_last_admin(TeamRole::Collaborator, true, 1));
    }

    #[test]
    fn default_notes_name_the_integration_and_role() {
        assert!(default_note(TeamRole::Admin, "Acme CRM").contains("Acme CRM"));
        assert!(default_note(TeamRole::Admin, "Acme CRM").contains("admin"));
        assert!(default_note(TeamRole::Collaborator, "Acme CRM").contains("collaborator"));
    }
}
