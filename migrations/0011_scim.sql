-- SCIM 2.0 provisioning (OF-7, AM-4): per-account bearer tokens for the identity
-- provider, and the SCIM identity of each person it provisioned.

-- Made by the owner or a super admin on the account's SCIM settings; shown once, kept
-- only as SHA-256; revocable; expiring within a year; last use kept (at most once a minute).
CREATE TABLE scim_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id    uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash    bytea NOT NULL UNIQUE,
    hint          text NOT NULL,
    created_by    uuid REFERENCES users(id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT scim_tokens_at_most_a_year CHECK (expires_at <= created_at + interval '366 days')
);
CREATE INDEX scim_tokens_account_idx ON scim_tokens(account_id, created_at DESC);

-- A person as the identity provider knows them in one account. Kept when they are
-- deprovisioned (`active` false; `deleted_at` after a DELETE), so a GET still answers and a
-- reactivation restores the role they had.
CREATE TABLE scim_users (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id    uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_name     text NOT NULL CHECK (length(user_name) BETWEEN 1 AND 254),
    external_id   text CHECK (length(external_id) <= 254),
    given_name    text CHECK (length(given_name) <= 100),
    family_name   text CHECK (length(family_name) <= 100),
    display_name  text CHECK (length(display_name) <= 100),
    -- The work address the identity provider sends; the person's sign-in address is
    -- never changed by one account's identity provider (they may belong to others).
    email         text CHECK (length(email) <= 254),
    active        boolean NOT NULL DEFAULT true,
    -- The role to give back on reactivation.
    role          text NOT NULL DEFAULT 'member' CHECK (role IN ('super_admin', 'admin', 'member', 'owner')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);
-- userName is case-insensitive (RFC 7643 §4.1.1) and unique per account among live identities.
CREATE UNIQUE INDEX scim_users_user_name ON scim_users(account_id, lower(user_name)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX scim_users_external_id ON scim_users(account_id, external_id) WHERE deleted_at IS NULL AND external_id IS NOT NULL;
CREATE UNIQUE INDEX scim_users_person ON scim_users(account_id, user_id) WHERE deleted_at IS NULL;
