-- Hardening: revocations block re-entry through invite links (SH-6), and
-- per-client limits for sign-up and password resets.

-- A revoked person may not come back through an invite link until an email
-- invitation is accepted again (or the integration is public). version_id NULL:
-- revoked from all versions, which blocks every link of the integration.
CREATE TABLE link_blocks (
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    user_id         uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    version_id      uuid,
    blocked_at      timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (integration_id, version_id) REFERENCES integration_versions(integration_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX link_blocks_one ON link_blocks (integration_id, user_id, coalesce(version_id, '00000000-0000-0000-0000-000000000000'::uuid));

-- Anonymous, costly requests (sign-up, password reset), counted per client address.
CREATE TABLE client_requests (
    client  text NOT NULL,
    kind    text NOT NULL CHECK (kind IN ('sign_up', 'reset_request', 'reset_password')),
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX client_requests_idx ON client_requests (kind, client, at);

-- A join request typed into the widget by anyone (SJ-3) holds no place on the team
-- until the address's owner accepts it from the mail; until then it is not listed
-- and not counted against the 200 (TM-1).
ALTER TABLE team_members ADD COLUMN unconfirmed boolean NOT NULL DEFAULT false;

-- Sharing an instance with an address that has no account yet (IN-2): an invitation,
-- turned into a share when that address is verified. The owner's answer is the same
-- either way, so sharing does not tell who has an account.
CREATE TABLE instance_invites (
    instance_id  uuid NOT NULL REFERENCES app_instances(id) ON DELETE CASCADE,
    email        text NOT NULL,
    access       text NOT NULL CHECK (access IN ('read', 'write')),
    invited_by   uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    invited_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (instance_id, email)
);
CREATE INDEX instance_invites_email_idx ON instance_invites(email);
