-- Personal access tokens for the JSON API (X-6): per user, scoped, expiring within a
-- year, stored as SHA-256, revocable, last use kept (written at most once a minute).
CREATE TABLE api_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    scope         text NOT NULL CHECK (scope IN ('read', 'read_write')),
    token_hash    bytea NOT NULL UNIQUE,
    -- The last four characters, so people can tell their tokens apart.
    hint          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT api_tokens_at_most_a_year CHECK (expires_at <= created_at + interval '366 days')
);
CREATE INDEX api_tokens_user_idx ON api_tokens(user_id, created_at DESC);
