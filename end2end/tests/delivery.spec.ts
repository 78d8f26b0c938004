import { test, expect } from './fixtures';
import type { Response } from '@playwright/test';
import { DEMO_PASSWORD } from './helpers';

// The client's files arrive compressed and are kept for good (issue 13): their names
// carry a hash of their content, so a new build is a new name, never a stale file. The
// first page loads only the main module; a screen outside the sign-in flow loads the
// module split off it (app::screens) when it is first shown.
test('the first page loads its client brotli-encoded and cacheable for good, and screens still change @js-only', async ({ page }) => {
  const client: Response[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/pkg/')) client.push(r);
  });
  const byKind = (ext: string) => client.filter((r) => new URL(r.url()).pathname.endsWith(ext));
  // Distinct files: a page opened again may answer a file from the browser's cache.
  const modules = () => new Set(byKind('.wasm').map((r) => new URL(r.url()).pathname)).size;
  const delivered = async (res: Response) => {
    expect(new URL(res.url()).pathname).toMatch(
      /^\/pkg\/(gatehouse\.[0-9a-f]{16}\.(wasm|js|css)|__wasm_split\.[0-9a-f]{16}\.js)$/,
    );
    expect(res.status()).toBe(200);
    const headers = await res.allHeaders();
    expect(headers['content-encoding'], res.url()).toBe('br');
    expect(headers['cache-control'], res.url()).toBe('public, max-age=31536000, immutable');
  };

  await page.goto('/signin');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  for (const ext of ['.wasm', '.js', '.css']) {
    expect(byKind(ext).length, `a ${ext} file was loaded`).toBeGreaterThan(0);
  }
  for (const res of client) await delivered(res);
  // The sign-in page needs the main module only.
  expect(modules()).toBe(1);
  // What was sent is far smaller than what it unpacks to.
  const wasm = byKind('.wasm')[0];
  const sizes = await wasm.request().sizes();
  const unpacked = (await wasm.body()).length;
  expect(sizes.responseBodySize).toBeLessThan(unpacked / 2);

  // Signing in here, in the hydrated client, moves to a screen outside the main module
  // without a new page (a mark set on the window survives): the app fetches the split
  // module, which arrives the same way, and moving between screens still works.
  await page.evaluate(() => ((window as unknown as { stay: boolean }).stay = true));
  const stayed = () => page.evaluate(() => (window as unknown as { stay?: boolean }).stay === true);
  await page.getByLabel('Email').fill('owner@acme.test');
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Your accounts' })).toBeVisible();
  expect(await stayed()).toBe(true);
  await expect.poll(modules).toBe(2);
  for (const res of client) await delivered(res);
  await page.getByRole('link', { name: 'Integrations' }).first().click();
  await expect(page.getByRole('heading', { name: 'Integrations', exact: true })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Your accounts' })).toBeVisible();
  expect(await stayed()).toBe(true);
  expect(modules()).toBe(2);
});
