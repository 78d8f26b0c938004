import { test, expect } from './fixtures';
import { DEMO_PASSWORD, freshEmail, openMail, signIn, signUpFromMail, submit } from './helpers';
import { sql } from './db';

// covers: AM-1
test('the owner invites an admin by email; they sign up from the mail, accept, and hold the role', async ({ page, browser }, info) => {
  const [{ id: account }] = await sql<{ id: string }>("SELECT id FROM accounts WHERE name = 'Acme Corp'");
  const email = freshEmail('ines', info.project.name);
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.goto(`/accounts/${account}/members`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Admin' });
  await submit(page, page.getByRole('button', { name: 'Send invitation' }));
  await page.goto(`/accounts/${account}/members`);
  await expect(page.getByRole('region', { name: 'Pending invitations' }).getByRole('row', { name: new RegExp(email) })).toContainText('Admin');

  const ines = await (await browser.newContext()).newPage();
  await signUpFromMail(ines, email, 'Olivia Owner invited you to Acme Corp on Gatehouse', 'Ines Invited');
  await expect(ines.getByRole('heading', { name: 'Join Acme Corp' })).toBeVisible();
  await expect(ines.getByText(`Olivia Owner invited ${email} to the account as admin.`)).toBeVisible();
  await submit(ines, ines.getByRole('button', { name: 'Accept and join Acme Corp' }));
  await ines.goto(`/accounts/${account}/members`);
  await expect(ines.getByText('You are admin')).toBeVisible();

  await page.goto(`/accounts/${account}/members`);
  await expect(page.getByRole('row', { name: new RegExp(email) })).toContainText('Admin');
  await expect(page.getByRole('region', { name: 'Pending invitations' })).toHaveCount(0);
});

// covers: AM-2, AM-3
test('the owner changes a member role, then hands a new account over after confirming', async ({ page, browser }, info) => {
  const name = `Handover ${info.project.name} ${Date.now()}`;
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.getByLabel('Account name').fill(name);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: `Members of ${name}` })).toBeVisible();
  const [{ id: account }] = await sql<{ id: string }>('SELECT id FROM accounts WHERE name = $1', [name]);
  const added = await sql(
    "INSERT INTO account_members (account_id, user_id, role) SELECT $1, id, 'member' FROM users WHERE email = 'maria@acme.test' RETURNING user_id",
    [account],
  );
  expect(added).toHaveLength(1);

  // A role, from Maria's row menu.
  await page.goto(`/accounts/${account}/members`);
  await page.getByLabel('Actions for Maria Member (maria@acme.test)', { exact: true }).click();
  await page.getByLabel('New role for Maria Member').selectOption({ label: 'Admin' });
  await submit(page, page.getByRole('button', { name: "Change Maria Member's role" }));
  await page.goto(`/accounts/${account}/members`);
  await expect(page.getByRole('row', { name: /Maria Member/ })).toContainText('Admin');

  // The hand-over asks first; nothing changes until it is confirmed.
  await page.getByLabel('Actions for Maria Member (maria@acme.test)', { exact: true }).click();
  await page.getByRole('link', { name: 'Hand over ownership to Maria Member…' }).click();
  const dialog = page.getByRole('alertdialog', { name: `Hand ${name} over to Maria Member?` });
  await expect(dialog).toContainText('you become a super admin');
  const owner = async () =>
    (await sql<{ email: string }>(
      "SELECT u.email FROM account_members m JOIN users u ON u.id = m.user_id WHERE m.account_id = $1 AND m.role = 'owner'",
      [account],
    )).map((r) => r.email);
  expect(await owner()).toEqual(['owner@acme.test']);
  await dialog.getByLabel("Reason (optional, kept in the account's history)").fill('Maria runs it now');
  await submit(page, dialog.getByRole('button', { name: 'Hand the account over to Maria Member' }));
  await page.goto(`/accounts/${account}/members`);
  expect(await owner()).toEqual(['maria@acme.test']);
  await expect(page.getByText('You are super admin')).toBeVisible();
  await expect(page.getByRole('row', { name: /Olivia Owner/ })).toContainText('Super admin');

  // Maria is told, and sees the account as its owner.
  const maria = await (await browser.newContext()).newPage();
  await signIn(maria, 'maria@acme.test', DEMO_PASSWORD);
  await openMail(maria, 'maria@acme.test', `You now own ${name}`);
  await maria.goto(`/accounts/${account}/members`);
  await expect(maria.getByText('You are owner')).toBeVisible();
});
