import { test as base, expect } from '@playwright/test';

/**
 * Every page must load without script errors or CSP violations; in the
 * hydrated project, every page must also finish hydrating.
 */
export const test = base.extend<{ guard: void }>({
  guard: [
    async ({ page }, use, info) => {
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => {
        if (m.type() === 'error') problems.push(`console: ${m.text()}`);
      });
      if (info.project.name === 'hydrated') {
        page.on('load', async () => {
          await page.locator('body[data-hydrated="true"]').waitFor({ timeout: 15_000 }).catch(() => {
            problems.push(`not hydrated: ${page.url()}`);
          });
        });
      }
      await use();
      // Expected refusals (4xx answers to server functions) log as console errors in Chromium.
      const real = problems.filter((p) => !/status of 4\d\d/.test(p));
      expect(real).toEqual([]);
    },
    { auto: true },
  ],
});
export { expect };
