import { test, expect } from './fixtures';
import type { Response } from '@playwright/test';
import { DEMO_PASSWORD, signIn } from './helpers';

// The client's files arrive compressed and are kept for good (issue 13): their names
// carry a hash of their content, so a new build is a new name, never a stale file.
test('the first page loads its client brotli-encoded and cacheable for good, and screens still change @js-only', async ({ page }) => {
  const client: Response[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith('/pkg/')) client.push(r);
  });
  await page.goto('/signin');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');

  const byKind = (ext: string) => client.filter((r) => new URL(r.url()).pathname.endsWith(ext));
  for (const ext of ['.wasm', '.js', '.css']) {
    const [res] = byKind(ext);
    expect(res, `a ${ext} file was loaded`).toBeTruthy();
    expect(new URL(res.url()).pathname).toMatch(new RegExp(`^/pkg/gatehouse\\.[0-9a-f]{16}\\${ext}$`));
    expect(res.status()).toBe(200);
    const headers = await res.allHeaders();
    expect(headers['content-encoding'], res.url()).toBe('br');
    expect(headers['cache-control'], res.url()).toBe('public, max-age=31536000, immutable');
  }
  // What was sent is far smaller than what it unpacks to.
  const wasm = byKind('.wasm')[0];
  const sizes = await wasm.request().sizes();
  const unpacked = (await wasm.body()).length;
  expect(sizes.responseBodySize).toBeLessThan(unpacked / 2);

  // Moving between screens still works in the hydrated client.
  await signIn(page, 'owner@acme.test', DEMO_PASSWORD);
  await page.getByRole('link', { name: 'Integrations' }).first().click();
  await expect(page.getByRole('heading', { name: 'Integrations', exact: true })).toBeVisible();
  await page.goBack();
  await expect(page.getByRole('heading', { name: 'Your accounts' })).toBeVisible();
});
