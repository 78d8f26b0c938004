import { test, expect } from './fixtures';
import { createIntegration, DEMO_PASSWORD, freshEmail, memberAction, openMail, signIn, submit } from './helpers';
import { memberWithWork, sql } from './db';

// What a first-time user tripped on (issue 14), one check per item, hydrated and without JavaScript.

async function acme(): Promise<string> {
  const [{ id }] = await sql<{ id: string }>("SELECT id FROM accounts WHERE name = 'Acme Corp'");
  return id;
}

async function userId(email: string): Promise<string> {
  const [{ id }] = await sql<{ id: string }>('SELECT id FROM users WHERE email = $1', [email]);
  return id;
}

/** A member of Acme Corp with no work at all. */
async function idleMember(name: string, email: string): Promise<string> {
  const [{ id }] = await sql<{ id: string }>(
    "INSERT INTO users (email, name, password_hash, email_verified_at) VALUES ($1, $2, 'x', now()) RETURNING id",
    [email, name],
  );
  await sql("INSERT INTO account_members (account_id, user_id, role) VALUES ($1, $2, 'member')", [await acme(), id]);
  return id;
}

async function setScim(on: boolean) {
  const rows = await sql("UPDATE accounts SET scim_enabled = $1 WHERE name = 'Acme Corp' RETURNING id", [on]);
  expect(rows).toHaveLength(1);
}

// covers: OF-2, OF-8, OF-5
test('item 1 and 11: the member the narrowed list shows is the one the preview, the removal and the mail name', async ({ page }, info) => {
  const stamp = `${info.project.name}${Date.now()}`;
  const name = `Quinn ${stamp}`;
  const removed = await memberWithWork(name, `quinn-${stamp}@acme.test`, 6);
  const sam = await userId('super@acme.test');
  const account = await acme();

  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.goto(`/accounts/${account}/members`);
  await memberAction(page, name, `Remove ${name}…`);
  // The list starts on the account owner; the search narrows it to Sam, and one Preview is enough.
  await expect(page.getByLabel('Transfer ownership to')).toHaveValue(await userId('owner@acme.test'));
  await page.getByLabel('Search members').fill('Sam');
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByLabel('Transfer ownership to')).toHaveValue(sam);
  const preview = page.getByRole('region', { name: 'What will happen' });
  await expect(preview).toContainText('6 Zaps move to Sam Super');
  await expect(preview).toContainText('1 shared folder change owner');
  await expect(preview).not.toContainText('Olivia Owner');
  await submit(page, page.getByRole('button', { name: `Remove ${name} and give their work to Sam Super`, exact: true }));
  await expect(page.getByText('The member was removed')).toBeVisible();
  const [{ n }] = await sql<{ n: string }>('SELECT count(*) AS n FROM zaps WHERE owner_id = $1 AND name LIKE $2', [sam, 'Zap %']);
  expect(Number(n)).toBeGreaterThanOrEqual(6);
  const [{ left }] = await sql<{ left: string }>('SELECT count(*) AS left FROM zaps WHERE owner_id = $1', [removed]);
  expect(left).toBe('0');

  // The new owner's mail counts in words that fit: one shared folder, not "1 shared folders".
  await openMail(page, 'super@acme.test', `You now own ${name}'s Zaps and connections`);
  const mail = page.locator('main');
  await expect(mail).toContainText('- 1 shared folder;');
  await expect(mail).not.toContainText('1 shared folders');
  await expect(mail).toContainText('- 2 app connections');
});

// covers: OF-8
test('item 11: previewing the removal of someone with no work says nothing moves', async ({ page }, info) => {
  const stamp = `${info.project.name}${Date.now()}`;
  const name = `Idle ${stamp}`;
  const user = await idleMember(name, `idle-${stamp}@acme.test`);
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.goto(`/accounts/${await acme()}/members/${user}/remove?expiry=30_days&preview=1`);
  const preview = page.getByRole('region', { name: 'What will happen' });
  await expect(preview).toContainText(`${name} has no Zaps, folders or app connections in this account: nothing moves.`);
  await expect(preview).not.toContainText(/\b0 (Zaps?|shared|personal|app)/);
});

test('item 1: with JavaScript, changing the choice after a preview hides the confirmation until it is previewed @js-only', async ({ page }, info) => {
  const stamp = `${info.project.name}${Date.now()}`;
  const name = `Rue ${stamp}`;
  const user = await memberWithWork(name, `rue-${stamp}@acme.test`, 3);
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.goto(`/accounts/${await acme()}/members/${user}/remove?expiry=30_days&preview=1`);
  await expect(page.getByRole('button', { name: `Remove ${name}` })).toBeVisible();
  await page.getByLabel('Transfer ownership to').selectOption({ label: 'Sam Super (super@acme.test)' });
  await expect(page.getByRole('button', { name: `Remove ${name}` })).toBeHidden();
  await expect(page.getByText('You changed a choice: press Preview')).toBeVisible();
  await page.getByRole('button', { name: 'Preview' }).click();
  await expect(page.getByRole('region', { name: 'What will happen' })).toContainText('3 Zaps move to Sam Super');
  await expect(page.getByRole('button', { name: `Remove ${name} and give their work to Sam Super` })).toBeVisible();
});

// covers: SH-1, SH-2
test('item 2: the demo integrations have their invite links', async ({ page }) => {
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  for (const name of ['Acme Billing', 'Acme CRM']) {
    const [{ id }] = await sql<{ id: string }>('SELECT id FROM integrations WHERE name = $1', [name]);
    await page.goto(`/integrations/${id}/sharing`);
    await expect(page.getByLabel('Link to all versions (present and future)')).toHaveValue(/\/join\//);
    await expect(page.locator('.card.link')).not.toHaveCount(0);
  }
});

// covers: SH-2
test('item 3: a private integration under "Shared with you" opens what the person may use of it', async ({ page, browser }, info) => {
  const name = `Usable ${info.project.name} ${Date.now()}`;
  await createIntegration(page, name);
  await page.getByLabel('New version').fill('2.0.0');
  await page.getByRole('button', { name: 'Add version' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: '2.0.0' })).toBeVisible();
  await page.getByRole('link', { name: 'Sharing' }).click();
  const link = await page.getByLabel('Link to version 2.0.0').inputValue();

  const maria = await (await browser.newContext()).newPage();
  await signIn(maria, 'maria@acme.test', DEMO_PASSWORD);
  await maria.goto(link);
  await maria.getByRole('button', { name: 'Accept' }).click();
  await maria.getByRole('region', { name: 'Shared with you' }).getByRole('link', { name, exact: true }).click();
  await expect(maria.getByRole('heading', { level: 1, name })).toBeVisible();
  await expect(maria.getByText('No public integration matches')).toHaveCount(0);
  await expect(maria.getByRole('region', { name: 'Versions you can use in a Zap' })).toContainText('2.0.0');
  await expect(maria.getByRole('region', { name: 'How you have access' })).toContainText('Version 2.0.0, through an invite link');
  await expect(maria.getByRole('link', { name: `Send feedback on ${name}` })).toBeVisible();
  // Someone without access is told nothing about it.
  const id = maria.url().split('/').slice(-2)[0];
  const dev = await (await browser.newContext()).newPage();
  await signIn(dev, 'dev@acme.test', DEMO_PASSWORD);
  const answer = await dev.goto(`/integrations/${id}/use`);
  expect(answer?.status()).toBe(404);
});

// covers: SH-5
test('item 4: cancelling an email invitation asks first and says cancelled; accepted rows offer revocation', async ({ page }, info) => {
  const name = `Cancel ${info.project.name} ${Date.now()}`;
  const id = await createIntegration(page, name);
  await page.goto(`/integrations/${id}/sharing`);
  const email = freshEmail('cal', info.project.name);
  await page.getByLabel('Email addresses').fill(`${email}, maria@acme.test`);
  await submit(page, page.getByRole('button', { name: 'Send invitations' }));
  await page.goto(`/integrations/${id}/sharing`);
  await page.getByRole('link', { name: `Cancel the pending invitation to ${email} (all versions)…`, exact: true }).click();
  const dialog = page.getByRole('alertdialog', { name: `Cancel the invitation to ${email}?` });
  await expect(dialog).toContainText('stops working at once');
  // Nothing happened yet.
  await expect(page.getByRole('row', { name: new RegExp(email) })).toContainText('pending');
  await dialog.getByRole('button', { name: `Cancel the invitation to ${email}` }).click();
  await expect(page.getByText('The invitation was cancelled')).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(email) })).toContainText('cancelled');
  await expect(page.getByRole('row', { name: new RegExp(email) })).not.toContainText('revoked');

  // An accepted invitation's row offers revoking that access, in place.
  const maria = await userId('maria@acme.test');
  const accepted = await sql(
    `WITH e AS (UPDATE email_invites SET status = 'accepted', accepted_at = now(), accepted_user_id = $2, token_hash = NULL
                WHERE integration_id = $1 AND email = 'maria@acme.test' RETURNING id)
     INSERT INTO access_grants (integration_id, user_id, via, source_id) SELECT $1, $2, 'email_invite', id FROM e RETURNING id`,
    [id, maria],
  );
  expect(accepted).toHaveLength(1);
  await page.goto(`/integrations/${id}/sharing`);
  await page.getByRole('row', { name: /maria@acme\.test/ }).getByRole('link', { name: "Revoke maria@acme.test's access…" }).click();
  await expect(page.getByRole('alertdialog')).toContainText("Revoke Maria Member's access");
});

// covers: IN-2, IN-3
test('item 5: sharing an instance confirms, clears the form, and invites an address without an account', async ({ page }, info) => {
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  const [{ id }] = await sql<{ id: string }>("SELECT id FROM app_instances WHERE name = 'Acme Jira'");
  await page.goto(`/instances/${id}`);
  const stranger = freshEmail('newcomer', info.project.name);
  await page.getByLabel('Share with (email)').fill(stranger);
  await page.getByLabel('Access', { exact: true }).selectOption('write');
  await submit(page, page.getByRole('button', { name: 'Share', exact: true }));
  await expect(page.getByRole('status').filter({ hasText: 'Shared. We mailed them' })).toBeVisible();
  await expect(page.getByLabel('Share with (email)')).toHaveValue('');
  await expect(page.getByText(`${stranger} · write`)).toBeVisible();
  await expect(page.getByText('No Gatehouse user has that address')).toHaveCount(0);
  const mails = await sql('SELECT 1 FROM outbox WHERE to_addr = $1', [stranger]);
  expect(mails).toHaveLength(1);
});

// covers: IN-2
test('item 7: per-person controls and groups name what they act on', async ({ page }) => {
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  const [{ id }] = await sql<{ id: string }>("SELECT id FROM app_instances WHERE name = 'Acme Jira'");
  // Two people who have opened it (so the owner sees them by name).
  const shares = await sql<{ name: string }>(
    `WITH s AS (INSERT INTO instance_shares (instance_id, user_id, access, seen_at)
                SELECT $1, id, 'read', now() FROM users WHERE email IN ('dev@acme.test', 'maria@acme.test')
                ON CONFLICT (instance_id, user_id) DO UPDATE SET seen_at = now() RETURNING user_id)
     SELECT u.name FROM s JOIN users u ON u.id = s.user_id`,
    [id],
  );
  expect(shares).toHaveLength(2);
  await page.goto(`/instances/${id}`);
  for (const { name } of shares) {
    await expect(page.getByLabel(`Access of ${name}`)).toBeVisible();
    await expect(page.getByRole('button', { name: `Change ${name}'s access`, exact: true })).toBeVisible();
  }
  await expect(page.getByRole('group', { name: 'Edit name and configuration' })).toBeVisible();
  await expect(page.getByRole('group', { name: 'Add a login' })).toBeVisible();
});

test('item 7: each Copy button on Sharing names its link @js-only', async ({ page }) => {
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  const [{ id }] = await sql<{ id: string }>("SELECT id FROM integrations WHERE name = 'Acme CRM'");
  await page.goto(`/integrations/${id}/sharing`);
  await expect(page.getByRole('button', { name: 'Copy the link to all versions (present and future)' })).toBeVisible();
  const versions = await sql<{ version: string }>('SELECT version FROM integration_versions WHERE integration_id = $1', [id]);
  for (const { version } of versions) {
    await expect(page.getByRole('button', { name: `Copy the link to version ${version}`, exact: true })).toBeVisible();
  }
});

// covers: OF-7
test('items 8 and 12: the SCIM switch asks first and says what changes; removal by URL says where removal happens', async ({ page }, info) => {
  const stamp = `${info.project.name}${Date.now()}`;
  const user = await idleMember(`Scim ${stamp}`, `scim-${stamp}@acme.test`);
  const account = await acme();
  // Switching on needs a SCIM token (the identity provider's); scim.spec.ts makes one on the screen.
  await sql("INSERT INTO scim_tokens (account_id, name, token_hash, hint, expires_at) VALUES ($1, $2, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'e2e0', now() + interval '1 day')", [account, `tripups ${stamp}`]);
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.goto(`/accounts/${account}/members`);
  try {
    await page.getByText('Switch SCIM provisioning on…').click();
    await expect(page.getByText('hands membership to your company\'s identity provider')).toBeVisible();
    // Opening the confirmation changed nothing.
    expect((await sql<{ on: boolean }>('SELECT scim_enabled AS on FROM accounts WHERE id = $1', [account]))[0].on).toBe(false);
    await submit(page, page.getByRole('button', { name: 'Yes, switch SCIM provisioning on' }));
    await page.goto(`/accounts/${account}/members`);
    await expect(page.getByText('SCIM provisioning is on')).toBeVisible();
    expect((await sql<{ on: boolean }>('SELECT scim_enabled AS on FROM accounts WHERE id = $1', [account]))[0].on).toBe(true);

    // Item 12: the removal page, opened directly, says at once that removal happens in the identity provider.
    await page.goto(`/accounts/${account}/members/${user}/remove`);
    await expect(page.getByRole('alert').filter({ hasText: 'people are added, removed and given roles in your identity provider' })).toBeVisible();
    await expect(page.getByRole('button', { name: 'Preview' })).toHaveCount(0);
  } finally {
    await setScim(false);
    await sql('DELETE FROM scim_tokens WHERE name = $1', [`tripups ${stamp}`]);
  }
});

// covers: TM-6
test('item 9: the last admin is not offered leaving or becoming a collaborator, and is told why', async ({ page }, info) => {
  const id = await createIntegration(page, `Alone ${info.project.name} ${Date.now()}`);
  await page.goto(`/integrations/${id}/team`);
  const me = page.getByRole('row', { name: /Olivia Owner/ });
  await expect(me).toContainText('You are the last admin');
  await expect(me.getByRole('link', { name: 'Leave the team…' })).toHaveCount(0);
  await expect(me.getByRole('button', { name: /a collaborator/ })).toHaveCount(0);
});

// covers: OF-4
test('item 13: a member row keeps its actions in a menu named for the member', async ({ page }) => {
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.goto(`/accounts/${await acme()}/members`);
  const row = page.getByRole('row', { name: /Maria Member/ });
  const menu = row.getByLabel('Actions for Maria Member (maria@acme.test)', { exact: true });
  await expect(menu).toBeVisible();
  await expect(row.getByRole('link', { name: 'Remove Maria Member…' })).toBeHidden();
  await menu.click();
  // Each action is its own menu item (the owner also sees role and hand-over items).
  const items = row.getByRole('listitem');
  await expect(items.filter({ hasText: "Download a CSV of Maria Member's work" })).toHaveText("Download a CSV of Maria Member's work");
  await expect(items.filter({ hasText: 'Remove Maria Member…' })).toHaveText('Remove Maria Member…');
});
