import { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { createIntegration, DEMO_PASSWORD, freshEmail, signIn, signUpFromMail, submit } from './helpers';
import { zapUsing } from './db';

/** As the demo owner: a fresh private integration with version 1.1.0; returns its Sharing URL. */
async function newIntegration(page: Page, name: string): Promise<string> {
  await createIntegration(page, name);
  await page.getByLabel('New version').fill('1.1.0');
  await page.getByRole('button', { name: 'Add version' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: '1.1.0' })).toBeVisible();
  await page.getByRole('link', { name: 'Sharing' }).click();
  await expect(page.getByRole('heading', { name: `Sharing ${name}` })).toBeVisible();
  return page.url();
}

// covers: SH-3, SH-5, SH-6, AC-2
test('invite by email, sign up from the link, accept, revoke: the Zap pauses', async ({ page, browser }, info) => {
  const name = `Billing ${info.project.name} ${Date.now()}`;
  const sharing = await newIntegration(page, name);
  const email = freshEmail('ivy', info.project.name);
  await page.getByLabel('Email addresses').fill(email);
  await page.locator('#invite-version').selectOption({ label: 'Version 1.1.0' });
  await submit(page, page.getByRole('button', { name: 'Send invitations' }));
  await page.goto(sharing);
  await expect(page.getByRole('row', { name: new RegExp(email) })).toContainText('pending');

  // The invitee: the mail, the link, sign up (the link survives the detour), verify, sign in, accept.
  const ivy = await (await browser.newContext()).newPage();
  await signUpFromMail(ivy, email, `You are invited to use ${name}`, 'Ivy Invitee');
  await expect(ivy.getByRole('heading', { name })).toBeVisible();
  await expect(ivy.getByText('This invitation is for version 1.1.0.')).toBeVisible();
  await ivy.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(ivy.getByRole('heading', { name: 'Shared with you' })).toBeVisible();
  await expect(ivy.getByRole('link', { name, exact: true })).toBeVisible();
  const account = await zapUsing(email, name, '1.1.0', `Ivy sync ${info.project.name}`);

  // The admin sees "accepted", then revokes after confirming.
  await page.goto(sharing);
  await expect(page.getByRole('row', { name: new RegExp(email) }).first()).toContainText('accepted');
  await page.getByRole('link', { name: 'Revoke Ivy Invitee (1.1.0)…' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('1 of their Zaps that use it will be paused');
  await page.getByRole('button', { name: 'Revoke access' }).click();
  await expect(page.getByText('Access revoked; 1 of their Zaps were paused.')).toBeVisible();

  await ivy.goto(`/accounts/${account}/work`);
  await expect(ivy.getByRole('listitem').filter({ hasText: `Ivy sync ${info.project.name}` })).toContainText(`paused: Access to ${name} was revoked`);
});

// covers: SH-2, TM-9
test('a per-version link admits a second user, then rotation retires it', async ({ page, browser }, info) => {
  const name = `Links ${info.project.name} ${Date.now()}`;
  const sharing = await newIntegration(page, name);
  const oldLink = await page.getByLabel('Link to version 1.1.0').inputValue();
  expect(oldLink).toContain('/join/');

  const maria = await (await browser.newContext()).newPage();
  await signIn(maria, 'maria@acme.test', DEMO_PASSWORD);
  await maria.goto(oldLink);
  await expect(maria.getByRole('heading', { name })).toBeVisible();
  await maria.getByRole('button', { name: 'Accept' }).click();
  await expect(maria.getByRole('link', { name, exact: true })).toBeVisible();

  await page.goto(sharing);
  const card = page.locator('.link').filter({ hasText: 'Link to version 1.1.0' }).first();
  await expect(card).toContainText('Maria Member (maria@acme.test) joined');
  await page.getByRole('button', { name: 'Rotate: link to version 1.1.0' }).click();
  await expect(page.getByRole('heading', { name: 'Link to version 1.1.0 (rotated)' })).toBeVisible();
  await expect(page.getByLabel('Link to version 1.1.0')).not.toHaveValue(oldLink);

  const dev = await (await browser.newContext()).newPage();
  await signIn(dev, 'dev@acme.test', DEMO_PASSWORD);
  await dev.goto(oldLink);
  await expect(dev.getByText('This link is no longer valid')).toBeVisible();
  // Maria keeps her access.
  await page.goto(sharing);
  await expect(page.getByRole('row', { name: /Maria Member/ })).toContainText('1.1.0');
});
