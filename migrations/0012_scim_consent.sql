-- An identity provider never makes an existing Gatehouse user a member of an account
-- without their consent (OF-7): provisioning them sends an invitation from the
-- identity provider, which they accept like any other; until then the identity is
-- provisioned but not consented.
ALTER TABLE scim_users ADD COLUMN consented boolean NOT NULL DEFAULT true;
ALTER TABLE account_invites ADD COLUMN scim_user_id uuid REFERENCES scim_users(id) ON DELETE CASCADE;
