-- The read epoch: as the access epoch (0018), for the screens' reads this server keeps
-- (server::kept). A kept read is answered again only while this number is the one it was
-- read at: the caller's session statement reads the number in the same snapshot as the
-- session, so the kept answer is exactly what the read's statement would give at that
-- moment. Any committed change to a row such a read rests on moves it, once per
-- transaction, at commit (the same reasoning as 0018: a row, not a sequence; deferred, so
-- it is the last lock a transaction takes).
--
-- A number of its own, not the access epoch's: a renamed person or a new invitation must
-- not throw away the check's decisions.
CREATE TABLE read_epoch (
    one  boolean PRIMARY KEY DEFAULT true CHECK (one),
    n    bigint NOT NULL
);
INSERT INTO read_epoch (one, n) VALUES (true, 1);

CREATE FUNCTION read_epoch_first() RETURNS boolean LANGUAGE sql VOLATILE AS $$
    SELECT CASE WHEN current_setting('gatehouse.read_epoch', true) = 'queued' THEN false
                ELSE set_config('gatehouse.read_epoch', 'queued', true) = 'queued' END
$$;

CREATE FUNCTION read_epoch_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE read_epoch SET n = n + 1;
    RETURN NULL;
END
$$;

-- Every column of the tables the kept reads take (a person's sign-in times are not read
-- by them, so of `users` only what a screen shows moves it). A new table in a kept read
-- must be added here: a unit test reads the kept statements for the tables, a database
-- test finds this trigger on each.
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE OF id, name, email ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE ON accounts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE ON account_members
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE ON account_invites
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE ON app_instances
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE ON instance_invites
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE ON instance_logins
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE ON instance_runs
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
-- A share seen for the first time (seen_at) moves it too: the owner's page then lists it.
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE ON instance_shares
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();

CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();
CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON accounts FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();
CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON account_members FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();
CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON account_invites FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();
CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON app_instances FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();
CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON instance_invites FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();
CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON instance_logins FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();
CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON instance_runs FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();
CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON instance_shares FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();
