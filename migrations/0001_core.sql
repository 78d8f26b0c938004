-- Gatehouse core schema: people, accounts, integrations and their teams,
-- the work that lives in accounts (Zaps, folders, connections), app instances,
-- and the cross-cutting history and mail outbox.

-- People and sign-in -------------------------------------------------------

CREATE TABLE users (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email             text NOT NULL CONSTRAINT users_email_key UNIQUE
                      CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    password_hash     text NOT NULL,
    email_verified_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions(user_id);

-- Single-use links mailed to a user: email verification and password reset.
CREATE TABLE user_tokens (
    token_hash  bytea PRIMARY KEY,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX user_tokens_user_idx ON user_tokens(user_id, purpose);

CREATE TABLE signin_attempts (
    id         bigserial PRIMARY KEY,
    email      text NOT NULL,
    client     text NOT NULL,
    succeeded  boolean NOT NULL,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX signin_attempts_email_idx ON signin_attempts(email, at);
CREATE INDEX signin_attempts_client_idx ON signin_attempts(client, at);

-- Accounts ----------------------------------------------------------------

CREATE TABLE accounts (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    plan             text NOT NULL DEFAULT 'team' CHECK (plan IN ('team', 'enterprise')),
    scim_enabled     boolean NOT NULL DEFAULT false,
    scim_token_hash  bytea,
    created_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE account_members (
    account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('owner', 'super_admin', 'admin', 'member')),
    joined_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, user_id)
);
CREATE UNIQUE INDEX account_members_one_owner ON account_members(account_id) WHERE role = 'owner';
CREATE INDEX account_members_user_idx ON account_members(user_id);

-- Integrations and their teams ----------------------------------------------

CREATE TABLE integrations (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug          text NOT NULL CONSTRAINT integrations_slug_key UNIQUE
                  CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 60),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description   text NOT NULL DEFAULT '',
    homepage      text,
    visibility    text NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'public')),
    join_enabled  boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    -- SJ-1: self-serve join is only offered on public integrations.
    CONSTRAINT integrations_join_public CHECK (NOT join_enabled OR visibility = 'public')
);

CREATE TABLE integration_versions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    version         text NOT NULL CHECK (version ~ '^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$'),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT integration_versions_unique UNIQUE (integration_id, version),
    UNIQUE (integration_id, id)
);

CREATE TABLE team_members (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    user_id         uuid REFERENCES users(id) ON DELETE CASCADE,
    email           text NOT NULL CHECK (email = lower(email)),
    role            text NOT NULL CHECK (role IN ('admin', 'collaborator')),
    status          text NOT NULL CHECK (status IN ('pending', 'accepted')),
    note            text NOT NULL DEFAULT '',
    invited_by      uuid REFERENCES users(id) ON DELETE SET NULL,
    token_hash      bytea UNIQUE,
    expires_at      timestamptz,
    invited_at      timestamptz NOT NULL DEFAULT now(),
    accepted_at     timestamptz,
    CONSTRAINT team_members_email_unique UNIQUE (integration_id, email),
    CONSTRAINT team_members_accepted_user CHECK (status = 'pending' OR user_id IS NOT NULL)
);
CREATE UNIQUE INDEX team_members_user_unique ON team_members(integration_id, user_id) WHERE user_id IS NOT NULL;

CREATE TABLE integration_contacts (
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('marketing', 'technical')),
    user_id         uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    assigned_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (integration_id, kind)
);

CREATE TABLE team_subscriptions (
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    marketing       boolean NOT NULL DEFAULT true,
    PRIMARY KEY (integration_id, user_id)
);

CREATE TABLE join_domains (
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    domain          text NOT NULL CHECK (domain = lower(domain)),
    PRIMARY KEY (integration_id, domain)
);

CREATE TABLE embed_origins (
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    origin          text NOT NULL,
    PRIMARY KEY (integration_id, origin)
);

-- Sharing an integration with its users -----------------------------------

CREATE TABLE invite_links (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    version_id      uuid,            -- NULL: all versions, present and future
    token_hash      bytea NOT NULL UNIQUE,
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    rotated_at      timestamptz,
    FOREIGN KEY (integration_id, version_id) REFERENCES integration_versions(integration_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX invite_links_one_active
    ON invite_links(integration_id, coalesce(version_id, '00000000-0000-0000-0000-000000000000'))
    WHERE active;

CREATE TABLE email_invites (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    integration_id    uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    email             text NOT NULL CHECK (email = lower(email)),
    version_id        uuid,          -- NULL: all versions
    token_hash        bytea UNIQUE,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'revoked')),
    invited_by        uuid REFERENCES users(id) ON DELETE SET NULL,
    invited_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    accepted_at       timestamptz,
    accepted_user_id  uuid REFERENCES users(id) ON DELETE SET NULL,
    revoked_at        timestamptz,
    FOREIGN KEY (integration_id, version_id) REFERENCES integration_versions(integration_id, id) ON DELETE CASCADE
);
CREATE INDEX email_invites_integration_idx ON email_invites(integration_id, status);

CREATE TABLE access_grants (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    version_id      uuid,            -- NULL: all versions
    via             text NOT NULL CHECK (via IN ('email_invite', 'link', 'public')),
    source_id       uuid,            -- the invite or link it came through
    granted_at      timestamptz NOT NULL DEFAULT now(),
    revoked_at      timestamptz,
    FOREIGN KEY (integration_id, version_id) REFERENCES integration_versions(integration_id, id) ON DELETE CASCADE
);
CREATE INDEX access_grants_user_idx ON access_grants(user_id, integration_id) WHERE revoked_at IS NULL;

-- Work inside an account: folders, connections, Zaps ------------------------

CREATE TABLE folders (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id    uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    owner_id      uuid NOT NULL REFERENCES users(id),
    kind          text NOT NULL CHECK (kind IN ('personal', 'shared')),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    abandoned_at  timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id)
);
CREATE INDEX folders_owner_idx ON folders(account_id, owner_id);

CREATE TABLE app_connections (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id  uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    owner_id    uuid NOT NULL REFERENCES users(id),
    app         text NOT NULL,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    private     boolean NOT NULL DEFAULT true,
    expires_at  timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (account_id, id)
);
CREATE INDEX app_connections_owner_idx ON app_connections(account_id, owner_id);

CREATE TABLE zaps (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id     uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    owner_id       uuid NOT NULL REFERENCES users(id),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    enabled        boolean NOT NULL DEFAULT false,
    paused_reason  text,
    private        boolean NOT NULL DEFAULT true,
    folder_id      uuid,
    trigger        text NOT NULL DEFAULT 'none' CHECK (trigger IN ('none', 'catch_hook', 'catch_raw_hook')),
    webhook_token  text CONSTRAINT zaps_webhook_token_key UNIQUE,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (account_id, folder_id) REFERENCES folders(account_id, id),
    -- The webhook URL exists exactly when the trigger is a catch hook.
    CONSTRAINT zaps_webhook_matches_trigger CHECK ((trigger = 'none') = (webhook_token IS NULL))
);
CREATE INDEX zaps_owner_idx ON zaps(account_id, owner_id);
CREATE INDEX zaps_folder_idx ON zaps(folder_id);

CREATE TABLE zap_versions (
    zap_id      uuid NOT NULL REFERENCES zaps(id) ON DELETE CASCADE,
    version_id  uuid NOT NULL REFERENCES integration_versions(id) ON DELETE CASCADE,
    PRIMARY KEY (zap_id, version_id)
);
CREATE INDEX zap_versions_version_idx ON zap_versions(version_id);

CREATE TABLE zap_connections (
    zap_id         uuid NOT NULL REFERENCES zaps(id) ON DELETE CASCADE,
    connection_id  uuid NOT NULL REFERENCES app_connections(id) ON DELETE CASCADE,
    PRIMARY KEY (zap_id, connection_id)
);

CREATE TABLE zap_runs (
    id           bigserial PRIMARY KEY,
    zap_id       uuid NOT NULL REFERENCES zaps(id) ON DELETE CASCADE,
    received_at  timestamptz NOT NULL DEFAULT now(),
    payload      text NOT NULL DEFAULT ''
);
CREATE INDEX zap_runs_zap_idx ON zap_runs(zap_id, received_at);

-- App instances (user to user) ---------------------------------------------

CREATE TABLE app_instances (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    owner_id    uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    app         text NOT NULL,
    config      jsonb NOT NULL DEFAULT '{}'::jsonb,
    status      text NOT NULL DEFAULT 'stopped' CHECK (status IN ('running', 'stopped')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE instance_logins (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    instance_id        uuid NOT NULL REFERENCES app_instances(id) ON DELETE CASCADE,
    username           text NOT NULL CHECK (length(username) BETWEEN 1 AND 200),
    secret_key_id      text NOT NULL,
    secret_nonce       bytea NOT NULL,
    secret_ciphertext  bytea NOT NULL,
    created_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE instance_shares (
    instance_id  uuid NOT NULL REFERENCES app_instances(id) ON DELETE CASCADE,
    user_id      uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    access       text NOT NULL CHECK (access IN ('read', 'write')),
    shared_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_id, user_id)
);

CREATE TABLE instance_runs (
    id           bigserial PRIMARY KEY,
    instance_id  uuid NOT NULL REFERENCES app_instances(id) ON DELETE CASCADE,
    run_by       uuid REFERENCES users(id) ON DELETE SET NULL,
    at           timestamptz NOT NULL DEFAULT now()
);

-- Feedback on integrations ----------------------------------------------------

CREATE TABLE feedback (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('feature', 'bug')),
    author_id       uuid REFERENCES users(id) ON DELETE SET NULL,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    body            text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'planned', 'done', 'declined')),
    created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE feedback_comments (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    feedback_id  uuid NOT NULL REFERENCES feedback(id) ON DELETE CASCADE,
    author_id    uuid REFERENCES users(id) ON DELETE SET NULL,
    body         text NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- History (X-2): append-only ----------------------------------------------------

CREATE TABLE history (
    id              bigserial PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    actor_id        uuid,
    action          text NOT NULL,
    account_id      uuid,
    integration_id  uuid,
    instance_id     uuid,
    subject         text,
    target          text,
    before          jsonb,
    after           jsonb,
    reason          text
);
CREATE INDEX history_account_idx ON history(account_id, at DESC) WHERE account_id IS NOT NULL;
CREATE INDEX history_integration_idx ON history(integration_id, at DESC) WHERE integration_id IS NOT NULL;

CREATE FUNCTION history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only: % refused', TG_OP;
END $$;

CREATE TRIGGER history_no_update_delete
    BEFORE UPDATE OR DELETE ON history
    FOR EACH ROW EXECUTE FUNCTION history_append_only();
CREATE TRIGGER history_no_truncate
    BEFORE TRUNCATE ON history
    FOR EACH STATEMENT EXECUTE FUNCTION history_append_only();

-- Mail outbox (X-3) ------------------------------------------------------------

CREATE TABLE outbox (
    id               bigserial PRIMARY KEY,
    to_addr          text NOT NULL,
    subject          text NOT NULL,
    body_text        text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    last_error       text
);
CREATE INDEX outbox_due_idx ON outbox(next_attempt_at) WHERE sent_at IS NULL;
