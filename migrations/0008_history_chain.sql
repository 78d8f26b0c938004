-- History that proves it was not edited (HI-1, HI-2), and removals that can be undone (HI-4).
--
-- Every history entry belongs to one chain, its tenant: the integration, the instance or
-- the account it concerns (else the site). Within a chain entries are numbered 1, 2, 3 …
-- and each stores SHA-256(previous entry's hash || its own canonical bytes), computed by
-- the insert trigger in the inserting transaction. The chain's head row is locked while
-- an entry is added, so concurrent writers on one chain take turns and never fork it.

ALTER TABLE history
    ADD COLUMN chain     text,
    ADD COLUMN seq       bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash      bytea;

CREATE TABLE history_chains (
    chain  text PRIMARY KEY,
    seq    bigint NOT NULL,
    hash   bytea NOT NULL
);

-- The bytes an entry's hash covers: every field, in a fixed order, as JSON text
-- (jsonb prints keys sorted and numbers normalised, so the text is stable).
CREATE FUNCTION history_canonical(h history) RETURNS bytea LANGUAGE sql STABLE AS $$
    SELECT convert_to(jsonb_build_array(
        h.chain, h.seq, h.id,
        to_char(h.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        h.actor_id, h.action, h.account_id, h.integration_id, h.instance_id,
        h.subject, h.target, h.before, h.after, h.reason)::text, 'UTF8')
$$;

CREATE FUNCTION history_chain_of(integration uuid, instance uuid, account uuid) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN integration IS NOT NULL THEN 'integration:' || integration
                WHEN instance IS NOT NULL THEN 'instance:' || instance
                WHEN account IS NOT NULL THEN 'account:' || account
                ELSE 'site' END
$$;

CREATE FUNCTION history_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head history_chains%ROWTYPE;
BEGIN
    NEW.chain := history_chain_of(NEW.integration_id, NEW.instance_id, NEW.account_id);
    SELECT * INTO head FROM history_chains WHERE chain = NEW.chain FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO history_chains (chain, seq, hash)
            VALUES (NEW.chain, 0, decode(repeat('00', 32), 'hex')) ON CONFLICT (chain) DO NOTHING;
        SELECT * INTO head FROM history_chains WHERE chain = NEW.chain FOR UPDATE;
    END IF;
    NEW.seq := head.seq + 1;
    NEW.prev_hash := head.hash;
    NEW.hash := sha256(head.hash || history_canonical(NEW));
    UPDATE history_chains SET seq = NEW.seq, hash = NEW.hash WHERE chain = NEW.chain;
    RETURN NEW;
END $$;

-- Chain what is already there, oldest first.
ALTER TABLE history DISABLE TRIGGER history_no_update_delete;
DO $$
DECLARE
    r record;
    head history_chains%ROWTYPE;
    c text;
    h history%ROWTYPE;
BEGIN
    FOR r IN SELECT id FROM history ORDER BY id LOOP
        SELECT * INTO h FROM history WHERE id = r.id;
        c := history_chain_of(h.integration_id, h.instance_id, h.account_id);
        SELECT * INTO head FROM history_chains WHERE chain = c;
        IF NOT FOUND THEN
            head.seq := 0;
            head.hash := decode(repeat('00', 32), 'hex');
        END IF;
        h.chain := c;
        h.seq := head.seq + 1;
        h.prev_hash := head.hash;
        h.hash := sha256(head.hash || history_canonical(h));
        UPDATE history SET chain = h.chain, seq = h.seq, prev_hash = h.prev_hash, hash = h.hash WHERE id = r.id;
        INSERT INTO history_chains (chain, seq, hash) VALUES (c, h.seq, h.hash)
            ON CONFLICT (chain) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash;
    END LOOP;
END $$;
ALTER TABLE history ENABLE TRIGGER history_no_update_delete;

ALTER TABLE history
    ALTER COLUMN chain SET NOT NULL,
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
CREATE TRIGGER history_chain BEFORE INSERT ON history
    FOR EACH ROW EXECUTE FUNCTION history_chain();
-- Not UNIQUE: a verifier must be able to read (and name) a chain someone has tampered with.
CREATE INDEX history_chain_seq_idx ON history(chain, seq);
CREATE INDEX history_chain_at_idx ON history(chain, at DESC, id DESC);

-- Undoing a removal (HI-4): each moved item's state before and right after the move,
-- the role the member had, and whether (and by whom) the removal was undone.
ALTER TABLE transfers
    ADD COLUMN removed_role   text,
    ADD COLUMN new_folder_id  uuid,
    ADD COLUMN undone_at      timestamptz,
    ADD COLUMN undone_by      uuid REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE transfer_items
    DROP CONSTRAINT transfer_items_kind_check,
    ADD CONSTRAINT transfer_items_kind_check CHECK (kind IN ('Zap', 'Auth', 'Folder')),
    ADD COLUMN before jsonb,
    ADD COLUMN after  jsonb;
