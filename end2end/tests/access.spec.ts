import { test, expect } from './fixtures';
import { createIntegration, DEMO_PASSWORD, openMail, signIn, submit } from './helpers';

/** A `datetime-local` value `minutes` from now, in UTC (the Access tab's times are UTC). */
function utcIn(minutes: number): string {
  return new Date(Date.now() + minutes * 60_000).toISOString().slice(0, 16);
}

// covers: AX-1, AX-2
test('Access: a person with two roads loses one and keeps the other; a contractor ends in the past minute', async ({ page, browser }, info) => {
  const name = `Access ${info.project.name} ${Date.now()}`;
  const id = await createIntegration(page, name);
  await page.getByLabel('New version').fill('1.1.0');
  await page.getByRole('button', { name: 'Add version' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: '1.1.0' })).toBeVisible();
  await page.goto(`/integrations/${id}/sharing`);
  const allLink = await page.getByLabel('Link to all versions (present and future)').inputValue();
  const oneLink = await page.getByLabel('Link to version 1.1.0').inputValue();

  // Maria joins through both links (the one to 1.1.0 first: once she may use every
  // version, that link has nothing more to give): two roads.
  const maria = await (await browser.newContext()).newPage();
  await signIn(maria, 'maria@acme.test', DEMO_PASSWORD);
  for (const link of [oneLink, allLink]) {
    await maria.goto(link);
    await maria.getByRole('button', { name: 'Accept' }).click();
    await expect(maria.getByRole('link', { name, exact: true })).toBeVisible();
  }

  // Devon, a contractor, is invited by email with an end date, and accepts.
  await page.getByLabel('Email addresses').fill('dev@acme.test');
  await page.getByLabel('Access ends').fill(utcIn(60 * 24 * 30));
  await submit(page, page.getByRole('button', { name: 'Send invitations' }));
  const devon = await (await browser.newContext()).newPage();
  await signIn(devon, 'dev@acme.test', DEMO_PASSWORD);
  await openMail(devon, 'dev@acme.test', `You are invited to use ${name}`);
  await devon.locator('.mail-links a').first().click();
  await devon.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(devon.getByRole('link', { name, exact: true })).toBeVisible();

  // The admin opens Access and finds Maria with two roads.
  await page.goto(`/integrations/${id}`);
  await page.getByRole('link', { name: 'Access', exact: true }).click();
  await expect(page.getByRole('heading', { name: `Who can reach ${name}` })).toBeVisible();
  await page.getByLabel('Find a person').fill('maria');
  await page.getByRole('button', { name: 'Search' }).click();
  const mariaCard = page.getByRole('region', { name: 'Maria Member (maria@acme.test)' });
  await expect(mariaCard.getByRole('row')).toHaveCount(3);
  await expect(mariaCard).toContainText('More than one road');

  // Revoking one road first says that access remains through the other.
  await mariaCard.getByRole('link', { name: 'Revoke Maria Member: invite link: all versions (the current link)…' }).click();
  const dialog = page.getByRole('alertdialog');
  await expect(dialog).toContainText('Maria Member keeps access through:');
  await expect(dialog).toContainText('invite link to version 1.1.0');
  await expect(dialog).toContainText('None of their Zaps will pause.');
  await page.getByRole('button', { name: 'Revoke this road' }).click();
  await expect(page.getByText('Road revoked.')).toBeVisible();
  const after = page.getByRole('region', { name: 'Maria Member (maria@acme.test)' });
  await expect(after.getByRole('row')).toHaveCount(2);
  await expect(after).toContainText('Invite link: version 1.1.0');
  await maria.goto(`/integrations/${id}/use`);
  await expect(maria.getByRole('heading', { name })).toBeVisible();

  // The contractor's access, dated to end a minute ago, shows ended at once.
  const devonCard = page.getByRole('region', { name: 'Devon Developer (dev@acme.test)' });
  await expect(devonCard).toContainText('Until');
  await devonCard.getByRole('link', { name: 'Dates of Devon Developer: email invitation: all versions…' }).click();
  await page.getByLabel('Ends (UTC, empty: no end)').fill(utcIn(-1));
  await submit(page, page.getByRole('button', { name: 'Save dates' }));
  await page.goto(`/integrations/${id}/access?q=dev`);
  await expect(page.getByRole('region', { name: 'Devon Developer (dev@acme.test)' }).getByRole('cell', { name: 'Ended' })).toBeVisible();
  await devon.goto(`/integrations/${id}/use`);
  await expect(devon.getByText('We could not find that.')).toBeVisible();
});
