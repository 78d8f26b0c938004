import { test, expect } from './fixtures';
import { DEMO_PASSWORD, memberAction, signIn } from './helpers';
import { memberWithWork, sql } from './db';

// covers: HI-1, HI-2, HI-3, HI-4
test('the owner undoes a removal made by mistake; the history shows both, with their reasons', async ({ page }, info) => {
  const stamp = `${info.project.name}${Date.now()}`;
  const name = `Yan ${stamp}`;
  const user = await memberWithWork(name, `yan-${stamp}@acme.test`, 9);
  const [{ id: account }] = await sql<{ id: string }>("SELECT id FROM accounts WHERE name = 'Acme Corp'");

  // The removal, with its reason.
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.goto(`/accounts/${account}/members`);
  await memberAction(page, name, `Remove ${name}…`);
  await page.getByRole('button', { name: 'Preview' }).click();
  await page.getByLabel("Reason (optional, kept in the account's history)").fill('Cleaning up contractors');
  await page.getByRole('button', { name: `Remove ${name}` }).click();
  await expect(page.getByText('The member was removed')).toBeVisible();
  const owned = async () =>
    (await sql<{ n: string }>(
      "SELECT (SELECT count(*) FROM zaps WHERE owner_id = $1) + (SELECT count(*) FROM app_connections WHERE owner_id = $1) AS n",
      [user],
    ))[0].n;
  expect(await owned()).toBe('0');

  // The mistake: History, the removal, its undo.
  await page.getByRole('link', { name: 'History' }).click();
  await expect(page.getByRole('heading', { name: 'Acme Corp history' })).toBeVisible();
  const removal = page.getByRole('row', { name: new RegExp(`member\\.removed.*${name}`) });
  await expect(removal).toContainText('Cleaning up contractors');
  await removal.getByRole('link', { name: /^Undo this removal/ }).click();
  await expect(page.getByRole('heading', { name: `Undo the removal of ${name}` })).toBeVisible();
  const preview = page.getByRole('region', { name: 'What will happen' });
  await expect(preview).toContainText(`${name} becomes a member again, as member.`);
  await expect(preview).toContainText(`9 Zaps go back to ${name} from Olivia Owner: 2 app connections and 2 folders.`);
  await expect(preview).toContainText('Nothing changed since the removal');
  await page.getByLabel("Reason (optional, kept in the account's history)").fill('Removed the wrong Yan');
  await page.getByRole('button', { name: `Undo the removal of ${name}` }).click();
  await expect(page.getByText('The removal was undone')).toBeVisible();

  // Their work is theirs again, they are a member again, and the history tells it all.
  expect(await owned()).toBe('11');
  const undone = page.getByRole('row', { name: new RegExp(`member\\.removal_undone.*${name}`) });
  await expect(undone).toContainText('Removed the wrong Yan');
  await expect(undone).toContainText('Olivia Owner');
  const removedRow = page.getByRole('row', { name: new RegExp(`member\\.removed.*${name}`) });
  await expect(removedRow).toContainText('Cleaning up contractors');
  await expect(removedRow.getByRole('link', { name: /^Undo this removal/ })).toHaveCount(0);
  await page.getByRole('button', { name: 'Verify the history' }).click();
  await expect(page.getByText(/The history is intact: all \d+ entries match their hashes\./)).toBeVisible();
  await page.goto(`/accounts/${account}/members`);
  await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText('Member');
  // An undo happens once: the page says so instead of offering it again.
  const [{ id: transfer }] = await sql<{ id: string }>('SELECT id FROM transfers WHERE removed_user_id = $1', [user]);
  await page.goto(`/accounts/${account}/removals/${transfer}/undo`);
  await expect(page.getByText('This removal was undone already')).toBeVisible();
});
