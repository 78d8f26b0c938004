import { test, expect } from './fixtures';
import { DEMO_PASSWORD, signIn } from './helpers';

//
test('make an API token, use it once, revoke it: the next call is refused @js-only', async ({ page, request }, info) => {
  const name = `offboarding ${info.project.name} ${Date.now()}`;
  await signIn(page, 'admin@acme.test', DEMO_PASSWORD);
  await page.getByRole('link', { name: 'API tokens' }).click();
  await expect(page.getByRole('heading', { name: 'API tokens' })).toBeVisible();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Scope').selectOption('read_write');
  await page.getByRole('button', { name: 'Make token' }).click();

  const shown = page.getByLabel('Token', { exact: true });
  await expect(shown).toBeVisible();
  const token = await shown.inputValue();
  expect(token).toMatch(/^gat_[A-Za-z0-9_-]{22}$/);

  const me = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe('admin@acme.test');

  // Shown once: after a reload only its last characters are listed.
  await page.reload();
  await expect(page.getByLabel('Token', { exact: true })).toHaveCount(0);
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText(token.slice(-4));
  await expect(row).not.toContainText(token.slice(4, 20));

  await page.getByRole('link', { name: `Revoke “${name}”…` }).click();
  await page.getByRole('button', { name: `Revoke “${name}”` }).click();
  await expect(page.getByRole('status').filter({ hasText: 'revoked' })).toBeVisible();
  const after = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
  expect(after.headers()['content-type']).toContain('application/problem+json');
});

//
test('a new token is shown once, with or without JavaScript', async ({ page, request }, info) => {
  const name = `once ${info.project.name} ${Date.now()}`;
  await signIn(page, 'dev@acme.test', DEMO_PASSWORD);
  await page.goto('/settings/tokens');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Scope').selectOption('read');
  await page.getByRole('button', { name: 'Make token' }).click();
  const shown = page.getByLabel('Token', { exact: true });
  await expect(shown).toBeVisible();
  const token = await shown.inputValue();
  expect(token).toMatch(/^gat_[A-Za-z0-9_-]{22}$/);
  const me = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  // Loaded again (the same address, even with the form's `?made=1`): not shown again.
  await page.reload();
  await expect(page.getByRole('row', { name: new RegExp(name) })).toBeVisible();
  await expect(page.getByLabel('Token', { exact: true })).toHaveCount(0);
});
