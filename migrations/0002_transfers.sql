-- Removing a member moves their work (OF-3); each removal is recorded with the
-- exact items it moved, so the new owner's CSV lists exactly those (OF-5).

CREATE TABLE transfers (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id        uuid NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    removed_user_id   uuid NOT NULL REFERENCES users(id),
    removed_name      text NOT NULL,
    new_owner_id      uuid NOT NULL REFERENCES users(id),
    actor_id          uuid REFERENCES users(id) ON DELETE SET NULL,
    connection_expiry text NOT NULL CHECK (connection_expiry IN ('30_days', 'until_expiry')),
    counts            jsonb NOT NULL,
    csv_token_hash    bytea NOT NULL UNIQUE,
    csv_expires_at    timestamptz NOT NULL,
    at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE transfer_items (
    transfer_id  uuid NOT NULL REFERENCES transfers(id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('Zap', 'Auth')),
    item_id      uuid NOT NULL,
    PRIMARY KEY (transfer_id, kind, item_id)
);

-- A Zap or connection is created only for a member of its account. The check
-- takes a KEY SHARE lock on the membership, so a creation racing a removal
-- (which locks the membership FOR UPDATE) waits for it and then fails,
-- instead of leaving a row behind with the removed owner.
CREATE FUNCTION owner_is_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM account_members
     WHERE account_id = NEW.account_id AND user_id = NEW.owner_id
       FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'owner % is not a member of account %', NEW.owner_id, NEW.account_id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'owner_is_member';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER zaps_owner_is_member BEFORE INSERT ON zaps
    FOR EACH ROW EXECUTE FUNCTION owner_is_member();
CREATE TRIGGER app_connections_owner_is_member BEFORE INSERT ON app_connections
    FOR EACH ROW EXECUTE FUNCTION owner_is_member();
