import { test, expect } from './fixtures';
import { DEMO_PASSWORD, openMail, signIn } from './helpers';

// covers: SJ-2, TM-4, AC-2
test('a partner with a verified address on an eligible domain joins Acme CRM from the app', async ({ page, browser }, info) => {
  // The demo's Acme CRM takes joins from partner.test. Sign up with such an address and verify it.
  const email = `pia-${info.project.name}-${Date.now()}@partner.test`;
  await page.goto('/signup');
  await page.getByLabel('Your name').fill('Pia Partner');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a-good-password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  await openMail(page, email, 'Confirm your email address');
  await page.locator('.mail-links a').first().click();
  await page.getByLabel('Password').fill('a-good-password');
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(page.getByText('Your email address is verified')).toBeVisible();
  await signIn(page, email, 'a-good-password');

  await page.getByRole('link', { name: 'Join a team' }).click();
  await page.getByLabel('Search integrations').fill('Acme');
  await page.getByRole('button', { name: 'Search' }).click();
  // Only public integrations that take joins are listed: not the private Acme Billing.
  await expect(page.getByRole('button', { name: 'Ask to join Acme CRM' })).toBeVisible();
  await expect(page.getByText('Acme Billing')).toHaveCount(0);
  await page.getByRole('button', { name: 'Ask to join Acme CRM' }).click();
  if (info.project.name === 'hydrated') {
    await expect(page.getByRole('status').filter({ hasText: 'We sent an invitation' })).toBeVisible();
  }

  await openMail(page, email, 'Finish joining the Acme CRM team');
  await page.locator('.mail-links a').first().click();
  await page.getByRole('button', { name: 'Accept and join the team' }).click();
  await expect(page.getByRole('heading', { name: 'Acme CRM team' })).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(email) })).toContainText('collaborator');

  // Someone on another domain gets the refusal, which says nothing about the integration.
  const maria = await (await browser.newContext()).newPage();
  await signIn(maria, 'maria@acme.test', DEMO_PASSWORD);
  await maria.goto('/teams/join?q=Acme');
  await maria.getByRole('button', { name: 'Ask to join Acme CRM' }).click();
  await expect(maria.getByRole('alert').filter({ hasText: 'eligible domains' })).toBeVisible();
});
