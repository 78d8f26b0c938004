-- Invitations to an account (AM-1): by email, with a role; 14 days; single use; the
-- token is kept only as its SHA-256.
CREATE TABLE account_invites (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id        uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    email             text NOT NULL,
    role              text NOT NULL CHECK (role IN ('super_admin', 'admin', 'member')),
    invited_by        uuid REFERENCES users(id) ON DELETE SET NULL,
    invited_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    token_hash        bytea UNIQUE,
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'cancelled')),
    accepted_at       timestamptz,
    accepted_user_id  uuid REFERENCES users(id) ON DELETE SET NULL
);
-- One open invitation per address and account: inviting again renews it.
CREATE UNIQUE INDEX account_invites_one_open ON account_invites(account_id, email) WHERE status = 'pending';
CREATE INDEX account_invites_account_idx ON account_invites(account_id, invited_at DESC);
