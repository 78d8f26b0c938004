-- Kept sessions (server::kept, issue 13): a caller's session is read once and, while the
-- read epoch (0019) stays where it was read, a request costs one read of that number
-- instead of the session statement (sessions, users and the epoch). So a change to
-- anything that statement answers moves the epoch:
--
-- * a session ended or cut short (sign-out, a password change, a removal, SCIM's
--   deprovisioning; an update, should one ever be made). A new session changes no kept
--   answer, so an insert does not move it: signing in throws nothing away;
-- * a person's verified address, beside the name and address 0019 already follows.
CREATE CONSTRAINT TRIGGER read_epoch AFTER DELETE OR UPDATE ON sessions
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
CREATE TRIGGER read_epoch_truncate AFTER TRUNCATE ON sessions FOR EACH STATEMENT EXECUTE FUNCTION read_epoch_move();

DROP TRIGGER read_epoch ON users;
CREATE CONSTRAINT TRIGGER read_epoch AFTER INSERT OR DELETE OR UPDATE OF id, name, email, email_verified_at ON users
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (read_epoch_first()) EXECUTE FUNCTION read_epoch_move();
