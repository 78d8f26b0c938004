-- The check's refusals ("not yet", "access ended") look at every grant a person ever had
-- of one integration, revoked ones too; the partial index of live grants left those out,
-- so the planner read every grant of the integration instead (1,000 and more at scale).
-- One index of all grants serves both the live lookups and the refusals.
CREATE INDEX access_grants_user_all_idx ON access_grants(user_id, integration_id);
DROP INDEX access_grants_user_idx;

-- The "Zaps and connections" screen pages an account's connections by name.
CREATE INDEX app_connections_name_idx ON app_connections(account_id, lower(name), id);
