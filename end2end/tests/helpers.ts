import { expect, Locator, Page } from '@playwright/test';

export const DEMO_PASSWORD = 'demo-password';

/** A fresh address per test and per project, so runs never collide. */
export function freshEmail(tag: string, project: string): string {
  return `${tag}-${project}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Open the newest mail to `email` with `subject` in the in-app mail viewer. */
export async function openMail(page: Page, email: string, subject: string) {
  await page.goto(`/dev/mail?to=${encodeURIComponent(email)}`);
  await page.getByRole('link', { name: subject }).first().click();
  await expect(page.getByRole('heading', { name: subject })).toBeVisible();
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/signin');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Your accounts' })).toBeVisible();
}

/** Follow the newest mailed link to `email`, sign up with that address, verify, sign in. */
export async function signUpFromMail(p: Page, email: string, subject: string, name: string) {
  await openMail(p, email, subject);
  await p.locator('.mail-links a').first().click();
  await p.getByRole('link', { name: 'Create a login' }).click();
  await p.getByLabel('Your name').fill(name);
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill('a-good-password');
  await p.getByRole('button', { name: 'Sign up' }).click();
  await expect(p.getByRole('heading', { name: 'Check your inbox' })).toBeVisible();
  await openMail(p, email, 'Confirm your email address');
  await p.locator('.mail-links a').first().click();
  await p.getByLabel('Password').fill('a-good-password');
  await p.getByRole('button', { name: 'Confirm my email address' }).click();
  await expect(p.getByText('Your email address is verified')).toBeVisible();
  await p.getByLabel('Email').fill(email);
  await p.getByLabel('Password').fill('a-good-password');
  await p.getByRole('button', { name: 'Sign in' }).click();
}


/** As the demo owner: a fresh (private) integration; returns its id, on its Overview page. */
export async function createIntegration(page: Page, name: string): Promise<string> {
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.goto('/integrations');
  await page.getByLabel('Integration name').fill(name);
  await page.getByRole('button', { name: 'Create integration' }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
  return page.url().split('/').pop()!;
}

/**
 * Click a form's submit button and wait until the server has answered its POST,
 * with or without JavaScript (a fetch when hydrated, a navigation when not), so a
 * following `goto` cannot cancel the request before it reaches the server.
 */
export async function submit(page: Page, button: Locator) {
  const answered = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.startsWith('/api/'));
  await button.click();
  await answered;
  await page.waitForLoadState();
}

/** Open a member row's three-dot menu on the Members screen and follow one of its actions. */
export async function memberAction(page: Page, member: string, action: string) {
  await page.getByLabel(`Actions for ${member} (`).click();
  await page.getByRole('link', { name: action, exact: true }).click();
}

/**
 * Buttons and links on the page (inside main) that share an accessible name but do different
 * things: a screen reader user cannot tell them apart. Empty when every name is unambiguous.
 */
export async function namesThatCollide(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const text = (el: Element | null) => (el?.textContent ?? '').replace(/\s+/g, ' ').trim();
    const nameOf = (el: HTMLElement): string => {
      const label = el.getAttribute('aria-label');
      if (label) return label.trim();
      const by = el.getAttribute('aria-labelledby');
      if (by) return by.split(/\s+/).map((id) => text(document.getElementById(id))).join(' ').trim();
      if (el instanceof HTMLInputElement) return el.value.trim();
      return text(el);
    };
    // What a control does: where a link goes; which form a button sends, with what.
    const doesOf = (el: HTMLElement, i: number): string => {
      if (el instanceof HTMLAnchorElement) return `go ${el.href}`;
      const form = (el as HTMLButtonElement).form;
      if (el.tagName === 'SUMMARY' || !form) return `own ${i}`;
      const data = new URLSearchParams(new FormData(form) as unknown as Record<string, string>).toString();
      return `send ${form.action} ${data}`;
    };
    const seen = new Map<string, Set<string>>();
    const controls = Array.from(
      document.querySelectorAll<HTMLElement>('main a[href], main button, main summary, main input[type=submit], main [role=button], main [role=link]'),
    );
    controls.forEach((el, i) => {
      if (el.closest('[hidden], [aria-hidden="true"]')) return;
      const role = el instanceof HTMLAnchorElement || el.getAttribute('role') === 'link' ? 'link' : 'button';
      const key = `${role} “${nameOf(el)}”`;
      if (!seen.has(key)) seen.set(key, new Set());
      seen.get(key)!.add(doesOf(el, i));
    });
    return Array.from(seen.entries()).filter(([, does]) => does.size > 1).map(([key, does]) => `${key} ×${does.size}`);
  });
}
