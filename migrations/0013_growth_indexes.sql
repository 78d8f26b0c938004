-- Reads stay as fast on a database 100 times the size (issue 13, the growth benchmark in
-- bench/src/http.rs found each of these as a scan over the whole table).

-- An instance's page: its logins, invitations, last runs; the instances a person owns
-- and those shared with them.
CREATE INDEX instance_logins_instance_idx ON instance_logins(instance_id);
CREATE INDEX instance_invites_instance_idx ON instance_invites(instance_id);
CREATE INDEX instance_runs_instance_idx ON instance_runs(instance_id, at DESC, id DESC);
CREATE INDEX app_instances_owner_idx ON app_instances(owner_id);
CREATE INDEX instance_shares_user_idx ON instance_shares(user_id);

-- The Sharing screen lists every grant of an integration, revoked ones included (who
-- joined by a link that was later rotated), newest first; this replaces the index of
-- active grants only, which it also serves.
CREATE INDEX access_grants_integration_at_idx ON access_grants(integration_id, granted_at DESC);
DROP INDEX access_grants_integration_idx;
