//! The development mail viewer: with no SMTP configured, read the outbox in the app.
pub mod api;
pub mod view;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailSummary {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailMessage {
    pub id: i64,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

/// The links in a message body, in order, so the viewer can make them clickable.
pub fn links(body: &str) -> Vec<String> {
    body.split_whitespace()
        .map(|w| w.trim_start_matches(['(', '<']))
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches(['.', ',', ')', '>']).to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_links() {
        assert_eq!(
            super::links("Open http://x.test/verify?token=abc. Or (https://y.test/a)"),
            vec!["http://x.test/verify?token=abc", "https://y.test/a"]
        );
    }
}
