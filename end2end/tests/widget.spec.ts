import http from 'node:http';
import { AddressInfo } from 'node:net';
import { AxeBuilder } from '@axe-core/playwright';
import { test, expect } from './fixtures';
import { createIntegration, signUpFromMail } from './helpers';

/** A partner's page, on its own origin (another port of this machine), with the snippet pasted in. */
async function partnerSite(snippet: string): Promise<{ url: string; close: () => void }> {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Partner</title>
    <style>body { font-family: serif; color: #8b0000; } iframe { border: 5px solid red; }</style></head>
    <body><h1>Partner Co.</h1><p>Build with us.</p>${snippet}</body></html>`;
  const server = http.createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  await new Promise<void>((ok) => server.listen(0, ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://localhost:${port}/`, close: () => server.close() };
}

// covers: SJ-1, SJ-2, SJ-3, TM-4
test('a visitor joins through the widget on a partner page; an unlisted site cannot frame it @js-only', async ({ page, browser }, info) => {
  const name = `Widget ${info.project.name} ${Date.now()}`;
  const domain = `w${Date.now()}.test`;
  const id = await createIntegration(page, name);
  await page.getByRole('button', { name: 'Make it public' }).click();
  await expect(page.getByText('Visibility: public')).toBeVisible();

  // SJ-1: switch joining on for one domain, on the team screen.
  await page.goto(`/integrations/${id}/team`);
  await page.getByLabel('Let people join as collaborators').check();
  await page.getByLabel('Eligible email domains').fill(domain.toUpperCase());
  await page.getByRole('button', { name: 'Save join settings' }).click();
  await expect(page.getByText('Join settings saved.')).toBeVisible();

  // The Embed tools screen: the snippet, and the partner's origin added to the allowed list.
  await page.goto(`/integrations/${id}/embed`);
  const snippet = await page.getByLabel('Snippet').inputValue();
  expect(snippet).toContain(`data-gatehouse-join="${id}"`);
  const partner = await partnerSite(snippet);
  const stranger = await partnerSite(snippet);
  try {
    const origin = new URL(partner.url).origin;
    await page.getByLabel('Allowed origin').fill(origin);
    await page.getByRole('button', { name: 'Allow this origin' }).click();
    await expect(page.locator('.origins')).toContainText(origin);

    // The visitor's browser: the partner page with the widget in it.
    const ctx = await browser.newContext();
    const visitor = await ctx.newPage();
    const base = new URL(page.url()).origin;
    const loads: { url: string; bytes: number }[] = [];
    visitor.on('requestfinished', async (req) => {
      if (!req.url().startsWith(base)) return;
      const sizes = await req.sizes();
      loads.push({ url: req.url(), bytes: sizes.responseBodySize + sizes.responseHeadersSize });
    });
    await visitor.goto(partner.url);
    const frame = visitor.frameLocator('iframe[title="Join the integration team"]');
    await expect(frame.getByRole('heading', { name: `Join the ${name} team` })).toBeVisible();
    // It fits its frame to the form (postMessage) and keeps its own look.
    const iframe = visitor.locator('iframe');
    await expect.poll(() => iframe.evaluate((el) => (el as HTMLIFrameElement).style.height)).not.toBe('240px');
    await expect(frame.locator('body')).toHaveCSS('font-family', /system-ui/);
    await visitor.waitForLoadState('networkidle');
    const total = loads.reduce((n, l) => n + l.bytes, 0);
    console.log(`widget first load: ${total} bytes over ${loads.length} requests: ${loads.map((l) => `${new URL(l.url).pathname} ${l.bytes}`).join(', ')}`);
    info.annotations.push({ type: 'widget-first-load-bytes', description: String(total) });
    expect(loads.map((l) => new URL(l.url).pathname).sort()).toEqual(['/embed.js', `/widget/join/${id}`, '/widget.css', '/widget.js'].sort());
    expect(total).toBeLessThanOrEqual(30 * 1024);

    // The widget page itself has no serious accessibility violations.
    const alone = await ctx.newPage();
    await alone.goto(`${base}/widget/join/${id}`);
    const axe = await new AxeBuilder({ page: alone }).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id)).toEqual([]);
    await alone.close();

    // An address on another domain gets the refusal inside the widget.
    await frame.getByLabel('Work email').fill(`someone@elsewhere.test`);
    await frame.getByRole('button', { name: 'Send me a link' }).click();
    await expect(frame.getByRole('alert')).toContainText('cannot join this team');
    // An eligible one gets the mail.
    const email = `vic-${info.project.name}-${Date.now()}@${domain}`;
    await frame.getByLabel('Work email').fill(email);
    await frame.getByRole('button', { name: 'Send me a link' }).click();
    await expect(frame.getByRole('status')).toContainText(`We sent an invitation to ${email}`);

    // The link finishes the join in Gatehouse itself: sign up, verify, sign in, accept.
    const vic = await ctx.newPage();
    await signUpFromMail(vic, email, `Finish joining the ${name} team`, 'Vic Visitor');
    await vic.getByRole('button', { name: 'Accept and join the team' }).click();
    await expect(vic.getByRole('heading', { name: `${name} team` })).toBeVisible();

    // The admin's team screen lists the new collaborator; the admin was mailed.
    await page.goto(`/integrations/${id}/team`);
    const row = page.getByRole('row', { name: new RegExp(email) });
    await expect(row).toContainText('collaborator');
    await expect(row).toContainText('accepted');
    await expect(row).toContainText('joined by domain');
    await page.goto(`/dev/mail?to=owner%40acme.test`);
    await expect(page.getByRole('link', { name: `Vic Visitor joined the ${name} team` })).toBeVisible();

    // The same snippet on a site that is not listed: the browser refuses the frame.
    const other = await (await browser.newContext()).newPage();
    const refused = other.waitForEvent('console', { predicate: (m) => /frame-ancestors/.test(m.text()), timeout: 20_000 });
    await other.goto(stranger.url);
    await refused;
    await expect(other.frameLocator('iframe').getByLabel('Work email')).toHaveCount(0);
  } finally {
    partner.close();
    stranger.close();
  }
});
