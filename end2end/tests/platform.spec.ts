import http from 'node:http';
import crypto from 'node:crypto';
import { AddressInfo } from 'node:net';
import { test, expect } from './fixtures';
import { createIntegration, DEMO_PASSWORD, openMail, signIn, submit } from './helpers';
import { sql } from './db';

type Received = { id: string; type: string; signature: string; body: string };

/** The platform's receiver of events: records every delivery, answers 204. */
async function receiver(): Promise<{ url: string; got: Received[]; close: () => void }> {
  const got: Received[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const h = (k: string) => String(req.headers[k] ?? '');
      got.push({ id: h('gatehouse-event-id'), type: h('gatehouse-event-type'), signature: h('gatehouse-signature'), body });
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/events`, got, close: () => server.close() };
}

/** What a receiver must check: the HMAC-SHA256 of "t.body" under the endpoint's secret. */
function signed(secret: string, header: string, body: string): boolean {
  const parts = Object.fromEntries(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const want = crypto.createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex');
  return typeof parts.v1 === 'string' && parts.v1.length === want.length && crypto.timingSafeEqual(Buffer.from(parts.v1), Buffer.from(want));
}

// covers: PL-2, PL-3, SH-6, OF-2
test('an invitee makes a connection and a Zap; the admin revokes; the Zap pauses and the platform hears, signed', async ({ page, browser, request }, info) => {
  // The platform: a token made by an operator, and a registered receiver.
  const rx = await receiver();
  const token = `gpt_e2e_${crypto.randomBytes(16).toString('hex')}`;
  await sql(
    "INSERT INTO platform_tokens (name, token_hash, hint, expires_at) VALUES ('e2e', sha256(convert_to($1, 'UTF8')), 'e2e', now() + interval '1 day')",
    [token],
  );
  const made = await request.post('/api/v1/platform/webhooks', {
    headers: { authorization: `Bearer ${token}` },
    data: { url: rx.url, description: `e2e ${info.project.name}` },
  });
  expect(made.status()).toBe(201);
  const { secret, webhook } = await made.json();

  // The admin's integration, with version 1.0.0, shared with Maria by email.
  const name = `Platform ${info.project.name} ${Date.now()}`;
  const id = await createIntegration(page, name);
  await page.getByLabel('New version').fill('1.0.0');
  await page.getByRole('button', { name: 'Add version' }).click();
  await expect(page.getByRole('listitem').filter({ hasText: '1.0.0' })).toBeVisible();
  const sharing = `/integrations/${id}/sharing`;
  await page.goto(sharing);
  await page.getByLabel('Email addresses').fill('maria@acme.test');
  await page.locator('#invite-version').selectOption({ label: 'Version 1.0.0' });
  await submit(page, page.getByRole('button', { name: 'Send invitations' }));

  const maria = await (await browser.newContext()).newPage();
  await signIn(maria, 'maria@acme.test', DEMO_PASSWORD);
  await openMail(maria, 'maria@acme.test', `You are invited to use ${name}`);
  await maria.locator('.mail-links a').first().click();
  await maria.getByRole('button', { name: 'Accept invitation' }).click();
  await expect(maria.getByRole('link', { name, exact: true })).toBeVisible();

  // Maria's own work: a connection, then a Zap on the shared version with a catch hook.
  const [{ id: account }] = await sql<{ id: string }>("SELECT id FROM accounts WHERE name = 'Acme Corp'");
  await maria.goto(`/accounts/${account}/work`);
  await maria.getByLabel('App', { exact: true }).fill('Slack');
  const connection = `Maria's Slack ${info.project.name} ${Date.now()}`;
  await maria.getByLabel('Connection name').fill(connection);
  await submit(maria, maria.getByRole('button', { name: 'Add connection' }));
  await maria.goto(`/accounts/${account}/work`);
  await expect(maria.getByRole('row', { name: new RegExp(connection) })).toBeVisible();
  const first = `Leads ${info.project.name} ${Date.now()}`;
  await maria.getByLabel('Zap name').fill(first);
  await maria.getByLabel('Integration version').selectOption({ label: `${name} 1.0.0` });
  await maria.getByLabel('Connection', { exact: true }).selectOption({ label: `${connection} (Slack)` });
  await maria.getByLabel('Trigger', { exact: true }).selectOption({ label: 'Catch hook (a webhook URL)' });
  await submit(maria, maria.getByRole('button', { name: 'Create Zap' }));
  await maria.goto(`/accounts/${account}/work`);
  await expect(maria.getByRole('listitem').filter({ hasText: first })).toContainText('Webhook URL: ');
  const hookBefore = await maria.getByRole('listitem').filter({ hasText: first }).locator('code').textContent();

  // She renames it and gives it a raw hook: a new webhook URL, which the platform hears of.
  const zap = `${first} renamed`;
  await maria.getByLabel(`Name of ${first}`).fill(zap);
  await maria.getByLabel(`Trigger of ${first}`).selectOption({ label: 'Catch raw hook (a webhook URL)' });
  await submit(maria, maria.getByRole('button', { name: `Save ${first}` }));
  await maria.goto(`/accounts/${account}/work`);
  const row = maria.getByRole('listitem').filter({ hasText: zap });
  await expect(row).toContainText(' · on · private');
  await expect(row).toContainText('Webhook URL: ');
  const hookAfter = (await row.locator('code').textContent()) ?? '';
  expect(hookAfter).not.toBe(hookBefore);
  await expect
    .poll(() => rx.got.some((e) => e.type === 'zap.webhook_changed' && hookAfter.endsWith(JSON.parse(e.body).data.webhook_path)), { timeout: 15_000 })
    .toBe(true);

  // The admin revokes Maria's access, after the confirmation.
  await page.goto(sharing);
  await page.getByRole('link', { name: 'Revoke Maria Member (1.0.0)…' }).click();
  await expect(page.getByRole('alertdialog')).toContainText('1 of their Zaps that use it will be paused');
  await page.getByRole('button', { name: 'Revoke access' }).click();
  await expect(page.getByText('Access revoked; 1 of their Zaps were paused.')).toBeVisible();

  // Maria sees the Zap paused, with the reason.
  await maria.goto(`/accounts/${account}/work`);
  await expect(maria.getByRole('listitem').filter({ hasText: zap })).toContainText(`paused: Access to ${name} was revoked`);

  // The platform got the signed event, with the Zap that paused.
  const [{ id: mariaId }] = await sql<{ id: string }>("SELECT id FROM users WHERE email = 'maria@acme.test'");
  const ended = () =>
    rx.got.find((e) => e.type === 'access.ended' && JSON.parse(e.body).data.integration_id === id && JSON.parse(e.body).data.user_id === mariaId);
  await expect.poll(() => ended() !== undefined, { timeout: 15_000 }).toBe(true);
  const event = ended()!;
  expect(signed(secret, event.signature, event.body)).toBe(true);
  expect(signed('whsec_not_it', event.signature, event.body)).toBe(false);
  const body = JSON.parse(event.body);
  expect(body.id).toBe(event.id);
  expect(body.data.zaps_paused.map((z: { name: string }) => z.name)).toEqual([zap]);

  // An operator (the demo owner) sees the delivery and sends it again: the same id.
  await page.goto('/operator/events');
  const delivery = page.locator('tr.delivery').filter({ hasText: event.id }).filter({ hasText: rx.url });
  await expect(delivery).toContainText('delivered');
  const sent = rx.got.filter((e) => e.id === event.id).length;
  await submit(page, delivery.getByRole('button', { name: /^Resend/ }));
  await expect.poll(() => rx.got.filter((e) => e.id === event.id).length, { timeout: 15_000 }).toBe(sent + 1);

  // Maria deletes her connection: the confirmation names the Zap that uses it.
  await maria.goto(`/accounts/${account}/work`);
  await maria.getByRole('link', { name: `Delete… ${connection}` }).click();
  await expect(maria.getByRole('heading', { name: `Delete the connection “${connection}”?` })).toBeVisible();
  await expect(maria.locator('.paused-zaps')).toContainText(zap);
  await submit(maria, maria.getByRole('button', { name: 'Delete connection' }));
  await expect(maria.getByText('The connection is deleted; the Zaps that used it are paused.')).toBeVisible();
  await expect(maria.getByRole('row', { name: new RegExp(connection) })).toHaveCount(0);
  // The platform stops listening: no more deliveries to this receiver.
  const removed = await request.delete(`/api/v1/platform/webhooks/${webhook.id}`, { headers: { authorization: `Bearer ${token}` } });
  expect(removed.status()).toBe(204);
  rx.close();
});
