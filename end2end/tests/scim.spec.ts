import { test, expect } from './fixtures';
import { DEMO_PASSWORD, freshEmail, signIn, signUpFromMail, submit } from './helpers';
import { sql } from './db';

// covers: AM-1, AM-3, AM-4, OF-7
test('an invited admin becomes the owner, connects SCIM, and the identity provider deprovisions a member', async ({ page, browser, request }, info) => {
  const name = `Scim ${info.project.name} ${Date.now()}`;
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

  // The owner invites an admin by email; they sign up from the mail and accept.
  const email = freshEmail('iris', info.project.name);
  await page.goto(`/accounts/${account}/members`);
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Role', { exact: true }).selectOption({ label: 'Admin' });
  await submit(page, page.getByRole('button', { name: 'Send invitation' }));
  const iris = await (await browser.newContext()).newPage();
  await signUpFromMail(iris, email, `Olivia Owner invited you to ${name} on Gatehouse`, 'Iris Idp');
  await submit(iris, iris.getByRole('button', { name: `Accept and join ${name}` }));
  await iris.goto(`/accounts/${account}/members`);
  await expect(iris.getByText('You are admin')).toBeVisible();

  // The owner hands the account over to her.
  await page.goto(`/accounts/${account}/members`);
  await page.getByLabel(`Actions for Iris Idp (${email})`, { exact: true }).click();
  await page.getByRole('link', { name: 'Hand over ownership to Iris Idp…' }).click();
  await submit(page, page.getByRole('button', { name: 'Hand the account over to Iris Idp' }));

  // The new owner makes a SCIM token on the SCIM settings screen: shown once.
  await iris.goto(`/accounts/${account}/members`);
  await expect(iris.getByText('You are owner')).toBeVisible();
  await iris.getByRole('link', { name: /SCIM settings/ }).first().click();
  await expect(iris.getByRole('heading', { name: 'SCIM provisioning' })).toBeVisible();
  await expect(iris.getByText('No SCIM tokens yet.')).toBeVisible();
  await expect(iris.getByLabel('SCIM base URL')).toHaveValue(/\/scim\/v2$/);
  await iris.getByLabel('Name').fill('Okta');
  await submit(iris, iris.getByRole('button', { name: 'Make SCIM token' }));
  const field = iris.getByLabel('SCIM token', { exact: true });
  await expect(field).toBeVisible();
  const token = await field.inputValue();
  expect(token).toMatch(/^gsc_/);
  await iris.goto(`/accounts/${account}/scim`);
  await expect(iris.getByLabel('SCIM token', { exact: true })).toHaveCount(0);
  await expect(iris.getByRole('row', { name: /Okta/ })).toContainText('active');

  // She switches SCIM on.
  await iris.goto(`/accounts/${account}/members`);
  await iris.getByText('Switch SCIM provisioning on…').click();
  await submit(iris, iris.getByRole('button', { name: 'Yes, switch SCIM provisioning on' }));

  // The identity provider links Maria, then deactivates her (Okta's path-less replace).
  const auth = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' };
  const made = await request.post('/scim/v2/Users', {
    headers: auth,
    data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'maria@acme.test', active: true },
  });
  expect(made.status()).toBe(201);
  const scimId = (await made.json()).id;
  const off = await request.patch(`/scim/v2/Users/${scimId}`, {
    headers: auth,
    data: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] },
  });
  expect(off.status()).toBe(200);
  expect((await off.json()).active).toBe(false);

  // The Members screen shows her gone and who manages membership now.
  await iris.goto(`/accounts/${account}/members`);
  await expect(iris.getByText('membership is managed by your identity provider')).toBeVisible();
  await expect(iris.getByRole('row', { name: /Maria Member/ })).toHaveCount(0);
  await expect(iris.getByRole('button', { name: 'Send invitation' })).toHaveCount(0);
  // The SCIM settings list the provisioning, by the token.
  await iris.goto(`/accounts/${account}/scim`);
  await expect(iris.getByRole('row', { name: /member\.removed.*Maria Member.*SCIM token “Okta”/ })).toBeVisible();
});
