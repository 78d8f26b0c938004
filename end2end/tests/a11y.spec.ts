import { AxeBuilder } from '@axe-core/playwright';
import { test, expect } from './fixtures';
import { DEMO_PASSWORD, namesThatCollide, signIn } from './helpers';
import { sql } from './db';

// axe runs inside the page, so this needs JavaScript.
test('signed-in screens have no serious accessibility violations @js-only', async ({ page }) => {
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  const [{ id: account }] = await sql<{ id: string }>("SELECT id FROM accounts WHERE name = 'Acme Corp'");
  const [{ id: instance }] = await sql<{ id: string }>("SELECT id FROM app_instances WHERE name = 'Acme Jira'");
  const [{ id: member }] = await sql<{ id: string }>("SELECT id FROM users WHERE email = 'maria@acme.test'");
  const [{ id: crm }] = await sql<{ id: string }>("SELECT id FROM integrations WHERE name = 'Acme CRM'");
  for (const path of [
    '/accounts',
    `/accounts/${account}/members`,
    `/accounts/${account}/work`,
    `/accounts/${account}/members/${member}/remove?expiry=30_days&preview=1`,
    '/instances',
    `/instances/${instance}`,
    `/instances/${instance}?confirm=delete`,
    '/dev/mail',
    '/settings/tokens',
    `/integrations/${crm}`,
    `/integrations/${crm}/team`,
    `/integrations/${crm}/sharing`,
    `/integrations/${crm}/performance`,
    `/integrations/${crm}/history`,
    `/integrations/${crm}/feedback`,
    `/integrations/${crm}/feedback/new`,
    `/integrations/${crm}/embed`,
    `/integrations/${crm}/use`,
    `/accounts/${account}/history`,
    `/accounts/${account}/scim`,
    '/integrations',
    '/teams/join',
  ]) {
    await page.goto(path);
    await expect(page.locator('main h1').first()).toBeVisible();
    const result = await new AxeBuilder({ page }).analyze();
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${path}: ${v.id} ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
    // No two buttons or links share a name unless they do the same thing (issue 14, item 7).
    expect((await namesThatCollide(page)).map((c) => `${path}: ${c}`)).toEqual([]);
  }
});

test('keyboard: the skip link and the main actions are reachable by Tab', async ({ page }) => {
  await page.goto('/signin');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
  await page.getByLabel('Email').focus();
  await page.keyboard.type('owner@acme.test');
  await page.keyboard.press('Tab');
  await page.keyboard.type(DEMO_PASSWORD);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Your accounts' })).toBeVisible();
});
