-- The access epoch: a number that moves on with every committed change to a fact the
-- check (PL-1) reads. Each server keeps the check's recent decisions tagged with the epoch
-- of the snapshot they were decided in (platform::check); a repeated question costs one
-- read of this row, and the decision is reused only while the epoch is the same and no
-- date it depends on has passed. A removed member or a revoked grant therefore loses
-- access on the very next check, on every server: the change moved the epoch in the same
-- transaction.
--
-- Why a row and not a sequence: a sequence moves before its transaction commits, so a
-- check could read the new number with the old facts and keep that decision for good.
-- The row is moved in the changing transaction, so a snapshot sees the new number exactly
-- when it sees the change; and because movers queue on the row, the numbers follow the
-- commit order.
CREATE TABLE access_epoch (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    n    bigint NOT NULL
);
INSERT INTO access_epoch (one, n) VALUES (true, 1);

-- True for the first changed row of a transaction, so a transaction of 10,000 rows queues
-- one move, not 10,000. The flag is transaction-local, and is undone with a rolled-back
-- savepoint, as is the move it queued.
CREATE FUNCTION access_epoch_first() RETURNS boolean LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN current_setting('gatehouse.access_epoch', true) = 'queued' THEN false
                ELSE set_config('gatehouse.access_epoch', 'queued', true) = 'queued' END
$$;

CREATE FUNCTION access_epoch_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE access_epoch SET n = n + 1;
    RETURN NULL;
END
$$;

-- The move is deferred to commit: the epoch row is the last lock a transaction takes, so
-- it can never close a cycle of waits with the row locks services take (lock, check,
-- write), and it is held only for the commit itself.
--
-- Only the columns the check reads move it (a reminder sent, a share seen, a Zap renamed
-- or switched, a token's last use do not). A new column read by the check must be added
-- here: a test reads every table of the check's statements for this trigger.
CREATE CONSTRAINT TRIGGER access_epoch AFTER INSERT OR DELETE OR UPDATE OF id ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();
CREATE CONSTRAINT TRIGGER access_epoch AFTER INSERT OR DELETE OR UPDATE OF id, visibility ON integrations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();
CREATE CONSTRAINT TRIGGER access_epoch AFTER INSERT OR DELETE OR UPDATE ON integration_versions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();
CREATE CONSTRAINT TRIGGER access_epoch AFTER INSERT OR DELETE OR UPDATE OF
        id, integration_id, user_id, version_id, via, granted_at, revoked_at, starts_at, ends_at ON access_grants
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();
CREATE CONSTRAINT TRIGGER access_epoch AFTER INSERT OR DELETE OR UPDATE OF id, owner_id ON app_instances
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();
CREATE CONSTRAINT TRIGGER access_epoch AFTER INSERT OR DELETE OR UPDATE OF
        instance_id, user_id, access, starts_at, ends_at ON instance_shares
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();
CREATE CONSTRAINT TRIGGER access_epoch AFTER INSERT OR DELETE OR UPDATE OF id, account_id, owner_id, private ON zaps
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();
CREATE CONSTRAINT TRIGGER access_epoch AFTER INSERT OR DELETE OR UPDATE OF
        id, account_id, owner_id, private, expires_at ON app_connections
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();
CREATE CONSTRAINT TRIGGER access_epoch AFTER INSERT OR DELETE OR UPDATE OF account_id, user_id, role ON account_members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();
CREATE CONSTRAINT TRIGGER access_epoch AFTER DELETE OR UPDATE OF token_hash, expires_at, revoked_at ON platform_tokens
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (access_epoch_first()) EXECUTE FUNCTION access_epoch_move();

-- TRUNCATE has no row triggers; it moves the epoch at once.
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON integrations FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON integration_versions FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON access_grants FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON app_instances FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON instance_shares FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON zaps FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON app_connections FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON account_members FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
CREATE TRIGGER access_epoch_truncate AFTER TRUNCATE ON platform_tokens FOR EACH STATEMENT EXECUTE FUNCTION access_epoch_move();
