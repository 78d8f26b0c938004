import { test, expect } from './fixtures';
import { DEMO_PASSWORD, memberAction, openMail, signIn } from './helpers';
import { memberWithWork, sql } from './db';

// covers: OF-1, OF-2, OF-3, OF-4, OF-5, OF-8
test('an admin removes a member with many items; the owner receives everything', async ({ page, browser }, info) => {
  const stamp = `${info.project.name}${Date.now()}`;
  const name = `Zed ${stamp}`;
  await memberWithWork(name, `zed-${stamp}@acme.test`, 30);

  await signIn(page, 'admin@acme.test', DEMO_PASSWORD);
  await page.getByRole('link', { name: 'Acme Corp' }).first().click();
  await memberAction(page, name, `Remove ${name}…`);
  await expect(page.getByRole('heading', { name: `Remove ${name}` })).toBeVisible();
  await expect(page.getByText('As an admin, you transfer everything to the account owner, Olivia Owner')).toBeVisible();
  await page.getByLabel('30 days').check();
  await page.getByRole('button', { name: 'Preview' }).click();
  const preview = page.getByRole('region', { name: 'What will happen' });
  await expect(preview).toContainText('30 Zaps move to Olivia Owner (10 private, 20 shared)');
  await expect(preview).toContainText(`A new folder “${name}'s Zaps” is created for Olivia Owner, holding 10 Zaps.`);
  await expect(preview).toContainText('6 Zaps get a new webhook URL');
  await expect(preview).toContainText(`#sales → ${name} - #sales`);
  await page.getByRole('button', { name: `Remove ${name}` }).click();
  await expect(page.getByText('The member was removed')).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(name) })).toHaveCount(0);

  // The account owner now holds the work.
  const ownerPage = await (await browser.newContext()).newPage();
  await signIn(ownerPage, 'owner@acme.test', DEMO_PASSWORD);
  const [{ id: account }] = await sql<{ id: string }>("SELECT id FROM accounts WHERE name = 'Acme Corp'");
  await ownerPage.goto(`/accounts/${account}/work`);
  await expect(ownerPage.getByRole('region', { name: `Folder ${name}'s Zaps` })).toBeVisible();
  await expect(ownerPage.getByRole('cell', { name: `${name} - Inbox, "main"`, exact: true })).toBeVisible();
  await expect(ownerPage.getByRole('cell', { name: `${name} - #sales`, exact: true })).toBeVisible();

  // Both mails, and the CSV behind the new owner's link.
  await openMail(ownerPage, 'owner@acme.test', `${name} was removed from your account`);
  await openMail(ownerPage, 'owner@acme.test', `You now own ${name}'s Zaps and connections`);
  const link = await ownerPage.locator('.mail-links a').first().getAttribute('href');
  expect(link).toContain('/items.csv?token=');
  const csv = await ownerPage.request.get(link!);
  expect(csv.status()).toBe(200);
  const lines = (await csv.text()).trim().split('\n');
  expect(lines[0]).toBe('Type,ID,Name,Link,Private,App');
  expect(lines.length).toBe(1 + 30 + 2);
  expect(lines).toContainEqual(expect.stringContaining(`"${name} - Inbox, ""main""",`));
});
