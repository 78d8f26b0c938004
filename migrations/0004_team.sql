-- Integration teams (TM-*) and self-serve joining (SJ-*).

-- How a team row came to be: an invitation by a member, or a self-serve join request.
ALTER TABLE team_members
    ADD COLUMN source text NOT NULL DEFAULT 'invite' CHECK (source IN ('invite', 'join'));
CREATE INDEX team_members_integration_idx ON team_members(integration_id, status);

-- A contact is one of the team's accepted members. The primary key (integration_id, kind)
-- already keeps at most one of each kind (TM-7); this trigger keeps contacts and
-- subscriptions from outliving the membership, whichever statement ends it.
CREATE FUNCTION team_member_gone() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.user_id IS NOT NULL THEN
        DELETE FROM integration_contacts WHERE integration_id = OLD.integration_id AND user_id = OLD.user_id;
        DELETE FROM team_subscriptions WHERE integration_id = OLD.integration_id AND user_id = OLD.user_id;
    END IF;
    RETURN OLD;
END $$;
CREATE TRIGGER team_members_cleanup AFTER DELETE ON team_members
    FOR EACH ROW EXECUTE FUNCTION team_member_gone();

-- Only accepted members can be contacts: checked when a contact is written.
CREATE FUNCTION contact_is_member() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM team_members WHERE integration_id = NEW.integration_id
                   AND user_id = NEW.user_id AND status = 'accepted') THEN
        RAISE EXCEPTION 'a contact must be an accepted team member' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER integration_contacts_member BEFORE INSERT OR UPDATE ON integration_contacts
    FOR EACH ROW EXECUTE FUNCTION contact_is_member();

-- Self-serve join requests, in the app and from the widget, for rate limits (SJ-2, SJ-3).
CREATE TABLE join_requests (
    id              bigserial PRIMARY KEY,
    integration_id  uuid NOT NULL REFERENCES integrations(id) ON DELETE CASCADE,
    user_id         uuid REFERENCES users(id) ON DELETE CASCADE,
    email           text NOT NULL,
    client          text NOT NULL,
    at              timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX join_requests_integration_idx ON join_requests(integration_id, at);
CREATE INDEX join_requests_email_idx ON join_requests(email, at);
CREATE INDEX join_requests_client_idx ON join_requests(client, at);

CREATE INDEX feedback_integration_idx ON feedback(integration_id, created_at DESC);
CREATE INDEX feedback_comments_feedback_idx ON feedback_comments(feedback_id, created_at);
