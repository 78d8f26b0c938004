-- The platform's door (PL-1, PL-2, PL-3).
--
-- A platform token is the platform's own credential (the service that runs Zaps), made by
-- a Gatehouse operator with `gatehouse issue-platform-token`; it is not a person's token
-- and no person's rights come with it. Stored as SHA-256, expiring, revocable.
CREATE TABLE platform_tokens (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    token_hash    bytea NOT NULL UNIQUE,
    hint          text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT platform_tokens_at_most_a_year CHECK (expires_at <= created_at + interval '366 days')
);

-- Operators see every delivery of events and may resend one; set with `gatehouse operator`.
ALTER TABLE users ADD COLUMN is_operator boolean NOT NULL DEFAULT false;

-- Where the platform hears about changes: its signing secret is sealed like an instance
-- secret (shown once, when the endpoint is registered).
CREATE TABLE webhook_endpoints (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url                text NOT NULL CHECK (length(url) BETWEEN 8 AND 2000),
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 200),
    secret_key_id      text NOT NULL,
    secret_nonce       bytea NOT NULL,
    secret_ciphertext  bytea NOT NULL,
    created_by         uuid REFERENCES platform_tokens(id) ON DELETE SET NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    disabled_at        timestamptz
);

-- The event outbox: written in the transaction of the change it tells of; its id is the
-- de-duplication id every delivery of it carries.
CREATE TABLE events (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind        text NOT NULL CHECK (kind IN ('access.ended', 'zap.paused', 'member.removed',
                                              'zap.webhook_changed', 'instance.share_changed')),
    payload     jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_created_idx ON events(created_at DESC, id);

-- One delivery per (event, endpoint live when the event was written).
CREATE TABLE event_deliveries (
    event_id         uuid NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    attempts         integer NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz,
    failed_at        timestamptz,
    last_status      integer,
    last_error       text,
    PRIMARY KEY (event_id, endpoint_id)
);
CREATE INDEX event_deliveries_due_idx ON event_deliveries(next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Every event fans out to the live endpoints in the same statement that writes it, so
-- any code that writes an event (one row or a set) has written its deliveries too.
CREATE FUNCTION events_fan_out() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO event_deliveries (event_id, endpoint_id)
    SELECT n.id, w.id FROM new_events n CROSS JOIN webhook_endpoints w WHERE w.disabled_at IS NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER events_fan_out AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION events_fan_out();

-- Zaps and connections managed by their owners (PL-2): a member's page is read in pages
-- by name; a connection's Zaps are found from the connection.
CREATE INDEX zaps_owner_name_idx ON zaps(account_id, owner_id, lower(name), id);
CREATE INDEX zap_connections_connection_idx ON zap_connections(connection_id);
CREATE INDEX app_connections_owner_name_idx ON app_connections(account_id, owner_id, lower(name), id);

-- Instance shares and Zap webhook URLs change through several paths (the screens, the
-- API, the access worker, a removal's transfer and its undo): a trigger on the row tells
-- the platform of each, in the transaction of the change.
CREATE FUNCTION instance_share_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO events (kind, payload) VALUES ('instance.share_changed',
            jsonb_build_object('instance_id', OLD.instance_id, 'user_id', OLD.user_id,
                               'access', NULL, 'before', OLD.access));
    ELSIF TG_OP = 'INSERT' OR OLD.access IS DISTINCT FROM NEW.access
          OR OLD.starts_at IS DISTINCT FROM NEW.starts_at OR OLD.ends_at IS DISTINCT FROM NEW.ends_at THEN
        INSERT INTO events (kind, payload) VALUES ('instance.share_changed',
            jsonb_build_object('instance_id', NEW.instance_id, 'user_id', NEW.user_id, 'access', NEW.access,
                               'before', CASE WHEN TG_OP = 'UPDATE' THEN OLD.access END,
                               'starts_at', NEW.starts_at, 'ends_at', NEW.ends_at));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER instance_shares_event AFTER INSERT OR UPDATE OR DELETE ON instance_shares
    FOR EACH ROW EXECUTE FUNCTION instance_share_event();

-- The webhook path only: the receiver knows Gatehouse's address.
CREATE FUNCTION zap_webhook_event() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO events (kind, payload) VALUES ('zap.webhook_changed',
        jsonb_build_object('account_id', NEW.account_id, 'zap_id', NEW.id, 'owner_id', NEW.owner_id,
                           'webhook_path', CASE WHEN NEW.webhook_token IS NOT NULL THEN '/hooks/' || NEW.webhook_token END));
    RETURN NULL;
END $$;
CREATE TRIGGER zaps_webhook_event AFTER UPDATE OF webhook_token ON zaps
    FOR EACH ROW WHEN (OLD.webhook_token IS DISTINCT FROM NEW.webhook_token)
    EXECUTE FUNCTION zap_webhook_event();
