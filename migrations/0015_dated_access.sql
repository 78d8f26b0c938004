-- Access with start and end dates (AX-2, AX-3, AX-4).
--
-- A dated grant gives nothing before `starts_at` and nothing from `ends_at` on: every
-- access rule compares with now(), so no job is needed for the check itself. The
-- access worker then carries out what an end means (paused Zaps, history, mail) and
-- turns the ended row into the state a revocation leaves: a grant revoked, a team row
-- removed or downgraded, a share deleted. `reminded_at` marks the one reminder sent
-- seven days before an end.

ALTER TABLE email_invites
    ADD COLUMN starts_at timestamptz,
    ADD COLUMN ends_at   timestamptz,
    ADD CONSTRAINT email_invites_dates CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at);

ALTER TABLE access_grants
    ADD COLUMN starts_at   timestamptz,
    ADD COLUMN ends_at     timestamptz,
    ADD COLUMN reminded_at timestamptz,
    ADD COLUMN granted_by  uuid REFERENCES users(id) ON DELETE SET NULL,
    ADD CONSTRAINT access_grants_dates CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at);
-- Who gave an email invitation's grant: the inviter, kept on the grant.
UPDATE access_grants g SET granted_by = e.invited_by
  FROM email_invites e WHERE g.via = 'email_invite' AND e.id = g.source_id;
CREATE INDEX access_grants_ends_idx ON access_grants(ends_at) WHERE revoked_at IS NULL AND ends_at IS NOT NULL;

ALTER TABLE team_members
    ADD COLUMN starts_at   timestamptz,
    ADD COLUMN ends_at     timestamptz,
    ADD COLUMN ends_then   text NOT NULL DEFAULT 'removed' CHECK (ends_then IN ('removed', 'collaborator')),
    ADD COLUMN reminded_at timestamptz,
    ADD CONSTRAINT team_members_dates CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at),
    -- Only an admin can become a collaborator at the end.
    ADD CONSTRAINT team_members_ends_then CHECK (ends_then = 'removed' OR role = 'admin');
CREATE INDEX team_members_ends_idx ON team_members(ends_at) WHERE ends_at IS NOT NULL;

ALTER TABLE instance_shares
    ADD COLUMN starts_at   timestamptz,
    ADD COLUMN ends_at     timestamptz,
    ADD COLUMN reminded_at timestamptz,
    ADD COLUMN shared_by   uuid REFERENCES users(id) ON DELETE SET NULL,
    ADD CONSTRAINT instance_shares_dates CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at);
CREATE INDEX instance_shares_ends_idx ON instance_shares(ends_at) WHERE ends_at IS NOT NULL;
UPDATE instance_shares s SET shared_by = i.owner_id FROM app_instances i WHERE i.id = s.instance_id;

-- An instance invitation by mail carries its dates to the share it becomes.
ALTER TABLE instance_invites
    ADD COLUMN starts_at timestamptz,
    ADD COLUMN ends_at   timestamptz,
    ADD CONSTRAINT instance_invites_dates CHECK (starts_at IS NULL OR ends_at IS NULL OR starts_at < ends_at);
