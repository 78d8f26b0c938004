-- Invite links are shown again and again on the Sharing screen, so besides the
-- hash used to look them up, the token is kept sealed (like instance secrets).
ALTER TABLE invite_links
    ADD COLUMN token_key_id text,
    ADD COLUMN token_nonce bytea,
    ADD COLUMN token_ciphertext bytea;

CREATE INDEX access_grants_integration_idx ON access_grants(integration_id) WHERE revoked_at IS NULL;
