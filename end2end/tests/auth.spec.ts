import { test, expect } from './fixtures';
import { AxeBuilder } from '@axe-core/playwright';
import { DEMO_PASSWORD, freshEmail, openMail, signIn } from './helpers';

// covers: AC-1, AC-2, X-3
test('sign up, verify by mail, sign in, create an account, see its members', async ({ page }, info) => {
  const email = freshEmail('nora', info.project.name);
  await page.goto('/signup');
  if (info.project.name === 'hydrated') {
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  }
  await page.getByLabel('Your name').fill('Nora New');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a-good-password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();

  await openMail(page, email, 'Confirm your email address');
  await page.locator('.mail-links a').first().click();
  await page.getByLabel('Password').fill('a-good-password');
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(page.getByText('Your email address is verified')).toBeVisible();

  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('a-good-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Your accounts' })).toBeVisible();
  await expect(page.getByText('You are not in any account yet')).toBeVisible();

  await page.getByLabel('Account name').fill('Nora Co');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('heading', { name: 'Members of Nora Co' })).toBeVisible();
  await expect(page.getByRole('row', { name: /Nora New/ })).toContainText('Owner');

  // The used link is refused the second time, with a clear message.
  await openMail(page, email, 'Confirm your email address');
  await page.locator('.mail-links a').first().click();
  await page.getByLabel('Password').fill('a-good-password');
  await page.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'already used' })).toBeVisible();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('link', { name: 'Sign in' })).toBeVisible();
});

// covers: X-5, AC-1
test('bad input is explained next to the field', async ({ page }) => {
  await page.goto('/signup');
  await page.getByLabel('Your name').fill('Bad Input');
  await page.getByLabel('Email').fill('someone@nowhere');
  await page.getByLabel('Password').fill('a-good-password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.locator('#field-email-error')).toHaveText('That is not a valid email address.');

  await page.goto('/signup');
  await page.getByLabel('Your name').fill('Bad Input');
  await page.getByLabel('Email').fill('owner@acme.test');
  await page.getByLabel('Password').fill('a-good-password');
  await page.getByRole('button', { name: 'Sign up' }).click();
  // A taken address answers like a new one (no account enumeration); its owner gets a mail.
  await expect(page).toHaveURL(/\/check-email/);

  await page.goto('/signup');
  await page.getByLabel('Your name').fill('Bad Input');
  await page.getByLabel('Email').fill('fresh-short@example.com');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page.locator('#field-password-error')).toHaveText('Use at least 10 characters.');

  await page.goto('/signin');
  await page.getByLabel('Email').fill('owner@acme.test');
  await page.getByLabel('Password').fill('not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.locator('#field-password-error')).toHaveText('Incorrect email or password.');
});

// covers: AC-3
test('the demo owner signs in and sees the demo account', async ({ page }) => {
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.getByRole('link', { name: 'Acme Corp' }).first().click();
  await expect(page.getByRole('heading', { name: 'Members of Acme Corp' })).toBeVisible();
  // The five demo members with their roles (other tests may add people of their own).
  for (const [name, role] of [
    ['Olivia Owner', 'Owner'],
    ['Sam Super', 'Super admin'],
    ['Ada Admin', 'Admin'],
    ['Devon Developer', 'Member'],
    ['Maria Member', 'Member'],
  ]) {
    await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText(role);
  }
  await expect(page.getByRole('row', { name: /Pat Partner/ })).toHaveCount(0);
});

// axe runs inside the page, so this one needs JavaScript.
test('sign-in screens have no serious accessibility violations @js-only', async ({ page }) => {
  for (const path of ['/', '/signin', '/signup', '/forgot']) {
    await page.goto(path);
    const result = await new AxeBuilder({ page }).analyze();
    const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
    expect(serious.map((v) => `${path}: ${v.id}`)).toEqual([]);
  }
});

// covers: AC-1, SH-2
test('moving between sign in and sign up keeps where the person was going', async ({ page }) => {
  await page.goto('/signin?next=%2Fsettings%2Ftokens');
  await page.getByRole('link', { name: 'Create a login' }).click();
  await expect(page).toHaveURL(/\/signup\?next=%2Fsettings%2Ftokens$/);
  await page.getByRole('link', { name: 'Sign in' }).last().click();
  await expect(page).toHaveURL(/\/signin\?next=%2Fsettings%2Ftokens$/);
  // Somewhere else entirely is never carried along.
  await page.goto('/signin?next=https%3A%2F%2Fevil.example');
  await page.getByRole('link', { name: 'Create a login' }).click();
  await expect(page).toHaveURL(/\/signup$/);
});
