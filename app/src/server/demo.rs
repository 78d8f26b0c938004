//! Demo data for `make run`: loaded once, idempotent, a little of everything the features act on.
use super::crypto::{Keyring, Secret};
use super::{auth, token};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

pub const PASSWORD: &str = "demo-password";
/// The demo instance login's secret; tests check it never leaves the server.
pub const DEMO_SECRET: &str = "demo-jira-api-token-7f3a";

/// (email, name, account role or none)
pub const PEOPLE: [(&str, &str, Option<&str>); 6] = [
    ("owner@acme.test", "Olivia Owner", Some("owner")),
    ("super@acme.test", "Sam Super", Some("super_admin")),
    ("admin@acme.test", "Ada Admin", Some("admin")),
    ("dev@acme.test", "Devon Developer", Some("member")),
    ("maria@acme.test", "Maria Member", Some("member")),
    ("partner@partner.test", "Pat Partner", None),
];

/// Load the demo data unless it is already there. Returns whether it loaded anything.
pub async fn load(pool: &PgPool, keyring: &Keyring) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    // One loader at a time, even with two servers starting together.
    sqlx::query("SELECT pg_advisory_xact_lock(4242001)")
        .execute(&mut *tx)
        .await?;
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM users WHERE email = $1")
        .bind(PEOPLE[0].0)
        .fetch_optional(&mut *tx)
        .await?;
    if exists.is_some() {
        return Ok(false);
    }
    let hash = auth::hash_password(PASSWORD.to_string())
        .await
        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;

    let mut ids = Vec::new();
    for (email, name, _) in PEOPLE {
        let (id,): (Uuid,) = sqlx::query_as(
            "INSERT INTO users (email, name, password_hash, email_verified_at) VALUES ($1, $2, $3, now()) RETURNING id",
        )
        .bind(email)
        .bind(name)
        .bind(&hash)
        .fetch_one(&mut *tx)
        .await?;
        ids.push(id);
    }
    let [owner, _super, _admin, dev, maria, partner] = ids[..] else {
        unreachable!()
    };
    // The demo owner also operates this Gatehouse: /operator/events (PL-3).
    sqlx::query("UPDATE users SET is_operator = true WHERE id = $1")
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    let (account,): (Uuid,) = sqlx::query_as(
        "INSERT INTO accounts (name, plan) VALUES ('Acme Corp', 'enterprise') RETURNING id",
    )
    .fetch_one(&mut *tx)
    .await?;
    for ((_, _, role), id) in PEOPLE.iter().zip(&ids) {
        if let Some(role) = role {
            sqlx::query(
                "INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, $3)",
            )
            .bind(account)
            .bind(id)
            .bind(role)
            .execute(&mut *tx)
            .await?;
        }
    }

    let crm = integration(
        &mut tx,
        keyring,
        "acme-crm",
        "Acme CRM",
        "Sync contacts and deals with Acme CRM.",
        "public",
        &["1.0.0", "1.1.0", "2.0.0"],
    )
    .await?;
    let billing = integration(
        &mut tx,
        keyring,
        "acme-billing",
        "Acme Billing",
        "Invoices and payments (private beta).",
        "private",
        &["0.9.0", "1.0.0"],
    )
    .await?;
    for (integration, user, email, role) in [
        (crm.0, owner, PEOPLE[0].0, "admin"),
        (crm.0, partner, PEOPLE[5].0, "admin"),
        (crm.0, dev, PEOPLE[3].0, "collaborator"),
        (billing.0, owner, PEOPLE[0].0, "admin"),
    ] {
        sqlx::query(
            "INSERT INTO team_members (integration_id, user_id, email, role, status, accepted_at) \
             VALUES ($1, $2, $3, $4, 'accepted', now())",
        )
        .bind(integration)
        .bind(user)
        .bind(email)
        .bind(role)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("INSERT INTO integration_contacts (integration_id, kind, user_id) VALUES ($1, 'marketing', $2), ($1, 'technical', $3)")
        .bind(crm.0)
        .bind(partner)
        .bind(owner)
        .execute(&mut *tx)
        .await?;
    // Partners on partner.test may join Acme CRM's team themselves (SJ-1).
    sqlx::query("UPDATE integrations SET join_enabled = true WHERE id = $1")
        .bind(crm.0)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO join_domains (integration_id, domain) VALUES ($1, 'partner.test')")
        .bind(crm.0)
        .execute(&mut *tx)
        .await?;
    // Feedback from people who use Acme CRM, with a comment from its team.
    let (request,): (Uuid,) = sqlx::query_as(
        "INSERT INTO feedback (integration_id, kind, author_id, title, body) VALUES          ($1, 'feature', $2, 'Sync custom deal fields', 'We keep the region in a custom field; please sync it too.') RETURNING id",
    )
    .bind(crm.0)
    .bind(maria)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO feedback (integration_id, kind, author_id, title, body, status) VALUES          ($1, 'bug', $2, 'Contacts without a company fail to sync', 'The run stops with \"company is required\".', 'planned')",
    )
    .bind(crm.0)
    .bind(dev)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO feedback_comments (feedback_id, author_id, body) VALUES ($1, $2, 'Thanks! On our list for 2.1.')")
        .bind(request)
        .bind(partner)
        .execute(&mut *tx)
        .await?;
    // Maria was invited by email to Acme Billing 1.0.0 and accepted.
    let (_, invite_hash) = token::new_token();
    let (invite,): (Uuid,) = sqlx::query_as(
        "INSERT INTO email_invites (integration_id, email, version_id, token_hash, status, invited_by, expires_at, accepted_at, accepted_user_id) \
         VALUES ($1, $2, $3, $4, 'accepted', $5, now() + interval '14 days', now(), $6) RETURNING id",
    )
    .bind(billing.0)
    .bind(PEOPLE[4].0)
    .bind(billing.1[1])
    .bind(invite_hash)
    .bind(owner)
    .bind(maria)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO access_grants (integration_id, user_id, version_id, via, source_id) VALUES ($1, $2, $3, 'email_invite', $4)")
        .bind(billing.0)
        .bind(maria)
        .bind(billing.1[1])
        .bind(invite)
        .execute(&mut *tx)
        .await?;

    // Devon's work: a shared folder, a personal folder, connections and Zaps.
    let shared = folder(&mut tx, account, dev, "shared", "Sales Ops").await?;
    let personal = folder(&mut tx, account, dev, "personal", "Devon's drafts").await?;
    let maria_folder = folder(&mut tx, account, maria, "personal", "Maria's Zaps").await?;
    let gmail = connection(&mut tx, account, dev, "Gmail", "devon@acme.test", true).await?;
    let slack = connection(
        &mut tx,
        account,
        dev,
        "Slack",
        "Acme workspace #sales",
        false,
    )
    .await?;
    connection(
        &mut tx,
        account,
        maria,
        "Salesforce",
        "maria@acme.test",
        true,
    )
    .await?;
    for (owner_id, name, enabled, private, folder_id, trigger, uses_version, uses_conn) in [
        (
            dev,
            "New lead → Slack",
            true,
            false,
            shared,
            "catch_hook",
            Some(crm.1[1]),
            Some(slack),
        ),
        (
            dev,
            "Deal won → invoice",
            true,
            false,
            shared,
            "none",
            Some(crm.1[2]),
            Some(slack),
        ),
        (
            dev,
            "Inbox digest",
            false,
            true,
            personal,
            "none",
            None,
            Some(gmail),
        ),
        (
            dev,
            "Form → CRM contact",
            true,
            true,
            personal,
            "catch_raw_hook",
            Some(crm.1[0]),
            Some(gmail),
        ),
        (
            dev,
            "Weekly report (draft)",
            false,
            true,
            personal,
            "none",
            None,
            None,
        ),
        (
            maria,
            "Invoice paid → thank-you mail",
            true,
            true,
            maria_folder,
            "catch_hook",
            Some(billing.1[1]),
            None,
        ),
    ] {
        let hook = (trigger != "none").then(|| token::new_token().0);
        let (zap,): (Uuid,) = sqlx::query_as(
            "INSERT INTO zaps (account_id, owner_id, name, enabled, private, folder_id, trigger, webhook_token) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(account)
        .bind(owner_id)
        .bind(name)
        .bind(enabled)
        .bind(private)
        .bind(folder_id)
        .bind(trigger)
        .bind(hook)
        .fetch_one(&mut *tx)
        .await?;
        if let Some(v) = uses_version {
            sqlx::query("INSERT INTO zap_versions (zap_id, version_id) VALUES ($1, $2)")
                .bind(zap)
                .bind(v)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(c) = uses_conn {
            sqlx::query("INSERT INTO zap_connections (zap_id, connection_id) VALUES ($1, $2)")
                .bind(zap)
                .bind(c)
                .execute(&mut *tx)
                .await?;
        }
    }

    // An app instance with a login whose secret is sealed.
    let (instance,): (Uuid,) = sqlx::query_as(
        "INSERT INTO app_instances (owner_id, name, app, config, status) \
         VALUES ($1, 'Acme Jira', 'jira', '[{\"key\": \"base_url\", \"value\": \"https://jira.acme.test\"}, {\"key\": \"project\", \"value\": \"OPS\"}]', 'running') RETURNING id",
    )
    .bind(owner)
    .fetch_one(&mut *tx)
    .await?;
    let sealed = keyring.seal(&Secret::new(DEMO_SECRET));
    sqlx::query(
        "INSERT INTO instance_logins (instance_id, username, secret_key_id, secret_nonce, secret_ciphertext) VALUES ($1, 'jira-bot', $2, $3, $4)",
    )
    .bind(instance)
    .bind(&sealed.key_id)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .execute(&mut *tx)
    .await?;

    super::history::record(
        &mut tx,
        super::history::Entry {
            action: "demo.loaded",
            account_id: Some(account),
            ..Default::default()
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn integration(
    tx: &mut Transaction<'_, Postgres>,
    keyring: &Keyring,
    slug: &str,
    name: &str,
    description: &str,
    visibility: &str,
    versions: &[&str],
) -> Result<(Uuid, Vec<Uuid>), sqlx::Error> {
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO integrations (slug, name, description, visibility) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(slug)
    .bind(name)
    .bind(description)
    .bind(visibility)
    .fetch_one(&mut **tx)
    .await?;
    let version_ids: Vec<(Uuid,)> = sqlx::query_as(
        "INSERT INTO integration_versions (integration_id, version) SELECT $1, unnest($2::text[]) RETURNING id",
    )
    .bind(id)
    .bind(versions)
    .fetch_all(&mut **tx)
    .await?;
    let version_ids: Vec<Uuid> = version_ids.into_iter().map(|(v,)| v).collect();
    // Its invite links, as the screens make them: one to all versions, one per version.
    for version in std::iter::once(None).chain(version_ids.iter().copied().map(Some)) {
        crate::integrations::service::new_link(tx, keyring, id, version)
            .await
            .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
    }
    Ok((id, version_ids))
}

async fn folder(
    tx: &mut Transaction<'_, Postgres>,
    account: Uuid,
    owner: Uuid,
    kind: &str,
    name: &str,
) -> Result<Uuid, sqlx::Error> {
    let (id,): (Uuid,) = sqlx::query_as("INSERT INTO folders (account_id, owner_id, kind, name) VALUES ($1, $2, $3, $4) RETURNING id")
        .bind(account)
        .bind(owner)
        .bind(kind)
        .bind(name)
        .fetch_one(&mut **tx)
        .await?;
    Ok(id)
}

async fn connection(
    tx: &mut Transaction<'_, Postgres>,
    account: Uuid,
    owner: Uuid,
    app: &str,
    name: &str,
    private: bool,
) -> Result<Uuid, sqlx::Error> {
    let (id,): (Uuid,) = sqlx::query_as(
        "INSERT INTO app_connections (account_id, owner_id, app, name, private, expires_at) \
         VALUES ($1, $2, $3, $4, $5, now() + interval '180 days') RETURNING id",
    )
    .bind(account)
    .bind(owner)
    .bind(app)
    .bind(name)
    .bind(private)
    .fetch_one(&mut **tx)
    .await?;
    Ok(id)
}
