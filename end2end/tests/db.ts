import { Client } from 'pg';

/** Run SQL against the e2e database (fixture setup only; the app is driven through the UI). */
export async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: process.env.E2E_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * A member of the demo account with many items: a shared folder, a personal
 * folder, `zaps` Zaps (a third private, some with catch hooks) and connections.
 */
export async function memberWithWork(name: string, email: string, zaps = 30): Promise<string> {
  const [{ id: account }] = await sql<{ id: string }>("SELECT id FROM accounts WHERE name = 'Acme Corp'");
  const [{ id: user }] = await sql<{ id: string }>(
    "INSERT INTO users (email, name, password_hash, email_verified_at) VALUES ($1, $2, 'x', now()) RETURNING id",
    [email, name],
  );
  await sql("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'member')", [account, user]);
  await sql(
    `WITH shared AS (INSERT INTO folders (account_id, owner_id, kind, name) VALUES ($1, $2, 'shared', $3 || ' team') RETURNING id),
          personal AS (INSERT INTO folders (account_id, owner_id, kind, name) VALUES ($1, $2, 'personal', 'Drafts') RETURNING id)
     INSERT INTO zaps (account_id, owner_id, name, enabled, private, folder_id, trigger, webhook_token)
     SELECT $1, $2, 'Zap ' || g, g % 2 = 0, g % 3 = 0,
            CASE WHEN g % 3 = 0 THEN (SELECT id FROM personal) ELSE (SELECT id FROM shared) END,
            CASE WHEN g % 5 = 0 THEN 'catch_hook' ELSE 'none' END,
            CASE WHEN g % 5 = 0 THEN md5(random()::text || g) END
     FROM generate_series(1, $4::int) g`,
    [account, user, name, zaps],
  );
  await sql(
    `INSERT INTO app_connections (account_id, owner_id, app, name, private, expires_at)
     VALUES ($1, $2, 'Gmail', 'Inbox, "main"', true, now() + interval '90 days'),
            ($1, $2, 'Slack', '#sales', false, NULL)`,
    [account, user],
  );
  return user;
}

/** Give `email` an account of their own with a Zap using `version` of integration `name`. */
export async function zapUsing(email: string, integration: string, version: string, zapName: string): Promise<string> {
  const [{ id: user }] = await sql<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
  const [{ id: account }] = await sql<{ id: string }>("INSERT INTO accounts (name) VALUES ($1 || ' Co') RETURNING id", [zapName]);
  await sql("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'owner')", [account, user]);
  const [{ id: zap }] = await sql<{ id: string }>(
    'INSERT INTO zaps (account_id, owner_id, name, enabled, private) VALUES ($1, $2, $3, true, false) RETURNING id',
    [account, user, zapName],
  );
  await sql(
    `INSERT INTO zap_versions (zap_id, version_id)
     SELECT $1, v.id FROM integration_versions v JOIN integrations i ON i.id = v.integration_id WHERE i.name = $2 AND v.version = $3`,
    [zap, integration, version],
  );
  return account;
}
