-- The members list pages in email order (`/api/v1/accounts/{id}/members`). Paging a
-- large account by joining every member to `users` and sorting them costs time in
-- proportion to the account's size; keeping each member's email on the membership
-- row, indexed with the account, makes any page one index range of `limit` rows.
-- Triggers keep the copy equal to `users.email`, whoever writes either table.
ALTER TABLE account_members ADD COLUMN email text;
UPDATE account_members m SET email = u.email FROM users u WHERE u.id = m.user_id;
ALTER TABLE account_members ALTER COLUMN email SET NOT NULL;
CREATE UNIQUE INDEX account_members_email_idx ON account_members(account_id, email);

CREATE FUNCTION account_members_copy_email() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- FOR KEY SHARE: the lock the foreign key's check takes anyway, taken before the
    -- address is read, so an address changing at the same moment is read after it
    -- changed (or changes after this row exists, and the trigger below updates it).
    SELECT email INTO NEW.email FROM users WHERE id = NEW.user_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE foreign_key_violation USING MESSAGE = format('no user %s', NEW.user_id);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER account_members_copy_email BEFORE INSERT OR UPDATE OF user_id, email
    ON account_members FOR EACH ROW EXECUTE FUNCTION account_members_copy_email();

CREATE FUNCTION users_email_to_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE account_members SET email = NEW.email WHERE user_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER users_email_to_members AFTER UPDATE OF email ON users
    FOR EACH ROW WHEN (OLD.email IS DISTINCT FROM NEW.email)
    EXECUTE FUNCTION users_email_to_members();
