//! Configuration from the environment (see `.env.example`); every problem is one clear line.
use super::crypto::Keyring;
use std::net::SocketAddr;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    /// Where people reach this server, used in mailed links; `https://` makes cookies Secure.
    pub public_url: String,
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub keyring: Keyring,
    pub site_root: String,
    pub demo_data: bool,
    /// Start the outbox worker in this process (off in tests that drive it by hand).
    pub run_mail_worker: bool,
    /// Start the access worker (ends and reminders of dated access, AX-3) in this process
    /// (`ACCESS_WORKER=0` turns it off, for benchmarks that count statements).
    pub run_access_worker: bool,
    /// Start the event delivery worker (PL-3) in this process (`EVENT_WORKER=0` turns it off).
    pub run_event_worker: bool,
    /// Development mode (`GATEHOUSE_DEV=1`): the mail viewer, open to anyone who can reach
    /// the server. Only ever switched on explicitly, and refused on a non-loopback address.
    pub dev_mode: bool,
    /// Reuse the check's decisions while nothing they rest on has changed (`CHECK_CACHE=0`
    /// asks the full statement every time, e.g. to measure it).
    pub check_cache: bool,
    /// Answer the screens' reads again while nothing they rest on has changed
    /// (`KEEP_READS=0` reads every time, e.g. to measure it).
    pub keep_reads: bool,
    pub limits: Limits,
}

/// Limits on anonymous, costly requests (sign-ups, password resets), per client address.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Each of sign-ups, reset requests and reset attempts, per client and hour.
    pub per_client_per_hour: i64,
    /// JSON API requests per personal access token and minute (shared by every server).
    pub per_token_per_minute: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} is not set; copy .env.example to .env or export it")]
    Missing(&'static str),
    #[error("{name} is invalid: {why}")]
    Invalid { name: &'static str, why: String },
}

impl Config {
    /// Read the configuration through `get`, so tests can pass a map instead of the environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let database_url = get("DATABASE_URL").ok_or(ConfigError::Missing("DATABASE_URL"))?;
        let addr_text = get("APP_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_text.parse().map_err(|_| ConfigError::Invalid {
            name: "APP_ADDR",
            why: format!("{addr_text:?} is not host:port, e.g. 127.0.0.1:3000"),
        })?;
        let public_url = get("PUBLIC_URL")
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::Invalid {
                name: "PUBLIC_URL",
                why: "must start with http:// or https://".into(),
            });
        }
        let smtp_url = get("SMTP_URL").filter(|s| !s.trim().is_empty());
        if let Some(u) = &smtp_url {
            super::mail::parse_smtp_url(u).map_err(|why| ConfigError::Invalid {
                name: "SMTP_URL",
                why,
            })?;
        }
        let keys = get("SECRET_KEYS").ok_or(ConfigError::Missing("SECRET_KEYS"))?;
        let keyring = Keyring::parse(&keys).map_err(|why| ConfigError::Invalid {
            name: "SECRET_KEYS",
            why,
        })?;
        let flag = |name: &str, default: bool| {
            get(name)
                .map(|v| matches!(v.as_str(), "1" | "true" | "yes"))
                .unwrap_or(default)
        };
        let dev_mode = flag("GATEHOUSE_DEV", false);
        if dev_mode && !addr.ip().is_loopback() {
            return Err(ConfigError::Invalid {
                name: "GATEHOUSE_DEV",
                why: format!(
                    "development mode opens the mail viewer to everyone; it is refused on {addr}. \
                     Listen on 127.0.0.1 or ::1, or unset GATEHOUSE_DEV"
                ),
            });
        }
        let positive = |name: &'static str, default: &str| {
            let text = get(name).unwrap_or_else(|| default.into());
            text.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| ConfigError::Invalid {
                    name,
                    why: format!("{text:?} is not a positive number"),
                })
        };
        let per_client_per_hour = positive("PER_CLIENT_PER_HOUR", "30")?;
        let per_token_per_minute = positive("API_PER_TOKEN_PER_MINUTE", "600")?;
        Ok(Self {
            database_url,
            addr,
            public_url,
            smtp_url,
            mail_from: get("MAIL_FROM")
                .unwrap_or_else(|| "Gatehouse <no-reply@gatehouse.localhost>".into()),
            keyring,
            site_root: get("LEPTOS_SITE_ROOT").unwrap_or_else(|| "target/site".into()),
            demo_data: flag("DEMO_DATA", false),
            run_mail_worker: flag("MAIL_WORKER", true),
            run_access_worker: flag("ACCESS_WORKER", true),
            run_event_worker: flag("EVENT_WORKER", true),
            dev_mode,
            check_cache: flag("CHECK_CACHE", true),
            keep_reads: flag("KEEP_READS", true),
            limits: Limits {
                per_client_per_hour,
                per_token_per_minute,
            },
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// The in-app mail viewer exists only in development mode, never because SMTP is missing.
    pub fn mail_viewer_enabled(&self) -> bool {
        self.dev_mode
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.public_url, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const KEY: &str = "k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_and_errors_are_clear() {
        let c = cfg(&[("DATABASE_URL", "postgres://x/y"), ("SECRET_KEYS", KEY)]).unwrap();
        assert_eq!(c.public_url, "http://127.0.0.1:3000");
        // covers: X-9 (no SMTP is not development mode)
        assert!(c.smtp_url.is_none());
        assert!(!c.mail_viewer_enabled());
        assert!(!c.secure_cookies());
        let e = cfg(&[("SECRET_KEYS", KEY)]).unwrap_err().to_string();
        assert!(e.contains("DATABASE_URL is not set"), "{e}");
        let e = cfg(&[
            ("DATABASE_URL", "x"),
            ("SECRET_KEYS", KEY),
            ("APP_ADDR", "nope"),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("APP_ADDR is invalid"), "{e}");
        let e = cfg(&[("DATABASE_URL", "x"), ("SECRET_KEYS", "k1:short")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("SECRET_KEYS is invalid"), "{e}");
        let c = cfg(&[
            ("DATABASE_URL", "x"),
            ("SECRET_KEYS", KEY),
            ("PUBLIC_URL", "https://gate.example.com/"),
        ])
        .unwrap();
        assert!(c.secure_cookies());
        assert_eq!(c.link("/verify"), "https://gate.example.com/verify");
    }

    //
    #[test]
    fn development_mode_is_explicit_and_loopback_only() {
        let base = [("DATABASE_URL", "x"), ("SECRET_KEYS", KEY)];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut v = base.to_vec();
            v.extend_from_slice(extra);
            cfg(&v)
        };
        assert!(with(&[("GATEHOUSE_DEV", "1")])
            .unwrap()
            .mail_viewer_enabled());
        assert!(with(&[("GATEHOUSE_DEV", "1"), ("APP_ADDR", "[::1]:3000")])
            .unwrap()
            .mail_viewer_enabled());
        assert!(!with(&[("GATEHOUSE_DEV", "0")])
            .unwrap()
            .mail_viewer_enabled());
        for addr in ["0.0.0.0:3000", "192.168.1.5:80", "[::]:3000"] {
            let e = with(&[("GATEHOUSE_DEV", "1"), ("APP_ADDR", addr)])
                .unwrap_err()
                .to_string();
            assert!(e.starts_with("GATEHOUSE_DEV is invalid"), "{addr}: {e}");
        }
        // A public address without development mode is fine.
        assert!(with(&[("APP_ADDR", "0.0.0.0:3000")]).is_ok());
    }
}
