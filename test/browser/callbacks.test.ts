/**
 * Completion callbacks on the dashboard, in Debian's Chromium: the receipt page shows the delivery
 * and its log (a 500, then a 200), «Повторить отправку» sends it again as a new event; the users
 * page changes a user's «Секрет уведомлений» and shows the new secret once — the one the next
 * callback is signed with.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';
import { createUserRepository } from '../../src/storage/users.js';
import { basic, eventually } from '../support/server.js';
import { CHROMIUM, ensureWebBuilt, openDashboardPage, screenshot, loginAsAdmin } from '../support/web.js';
import { sellReceipt } from '../api/fixtures.js';
import { startReceiver, verify, type Receiver } from '../callbacks/receiver.js';

describe.runIf(existsSync(CHROMIUM) || process.env.CI === 'true')('callbacks on the dashboard (Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  let rx: Receiver;
  const auth = basic('admin', 'admin');

  beforeAll(async () => {
    ensureWebBuilt();
    rx = await startReceiver();
    // The receiver is on 127.0.0.1: allowed explicitly; a short backoff so the retry comes at once.
    server = await startServer(
      loadConfig([], { CR_PROFILE: 'test', CR_PORT: '0', CR_LOG_LEVEL: 'silent', CR_CALLBACK_ALLOW: '127.0.0.1/32' }, { nodeId: 'callbacks-browser-test' }),
      { callbacks: { baseDelayMs: 200, capDelayMs: 1000, pollMs: 50 } },
    );
    ({ browser, page, problems } = await openDashboardPage());
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await rx?.close();
  });

  it('shows the delivery log, sends again, and changes a user\'s secret', async () => {
    rx.script([{ status: 500 }], { status: 200 });
    const res = await fetch(`${server.url}/service_groups/1/receipts/`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(sellReceipt({ callback_url: rx.url })) });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    await eventually(async () => rx.requests.length >= 2, 15_000);

    await loginAsAdmin(page, server.url);

    // The receipt page: the callback card with its state and the log, newest attempt first.
    await page.goto(`${server.url}/admin/groups/1/receipts/${id}`);
    const card = page.getByTestId('callback');
    await card.getByRole('heading', { name: 'Уведомление о результате' }).waitFor();
    await expect.poll(() => card.getByTestId('callback-state').textContent()).toBe('доставлено');
    expect(await card.textContent()).toContain(rx.url);
    const rows = card.getByTestId('callback-attempt');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await rows.nth(0).locator('td').nth(2).textContent()).toBe('200');
    expect(await rows.nth(1).locator('td').nth(2).textContent()).toBe('500');
    expect(await rows.nth(0).textContent()).toContain('receipt.success');
    expect(await rows.nth(0).textContent()).toContain('callbacks-browser-test');
    await screenshot(page, 'callbacks-01-receipt-log');

    // «Повторить отправку»: a new event, delivered, on top of the log.
    await card.getByRole('button', { name: /Повторить отправку/ }).click();
    await expect.poll(() => card.getByRole('status').textContent()).toContain('Уведомление поставлено в очередь');
    await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(3);
    expect(await rows.nth(0).textContent()).toContain('повтор');
    expect(new Set(rx.requests.map((r) => r.headers['x-cr-event-id'])).size).toBe(2);
    await screenshot(page, 'callbacks-02-resent');

    // The journal words the resend.
    await page.getByRole('navigation').getByRole('link', { name: 'Журнал' }).click();
    await expect.poll(() => page.locator('main').textContent()).toContain('Повторная отправка уведомления');

    // «Пользователи» → «Секрет уведомлений» → «Сменить секрет»: shown once, and it signs the next callback.
    await page.getByRole('navigation').getByRole('link', { name: 'Пользователи' }).click();
    await page.locator('tr[data-login="admin"]').getByTestId('callback-secret').click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByTestId('secret-status').textContent()).toContain('Секрет задан');
    await dialog.getByRole('button', { name: 'Сменить секрет' }).click();
    const secret = (await dialog.getByTestId('new-secret').textContent()) ?? '';
    expect(secret).toMatch(/^crcb_/);
    expect(await dialog.textContent()).toContain('больше он показан не будет');
    expect(await dialog.textContent()).toMatch(/Прежний секрет действует до/);
    await screenshot(page, 'callbacks-03-secret');
    await dialog.getByRole('button', { name: 'Закрыть' }).last().click();
    const admin = await createUserRepository(server.db.kysely).findByLogin('admin');
    expect((await createUserRepository(server.db.kysely).callbackSecrets(admin?.id ?? 0))?.current).toBe(secret);
    // Opened again: the status, never the secret.
    await page.locator('tr[data-login="admin"]').getByTestId('callback-secret').click();
    await expect.poll(() => page.getByRole('dialog').getByTestId('secret-status').textContent()).toContain('Сменён');
    expect(await page.getByRole('dialog').textContent()).not.toContain(secret);

    const before = rx.requests.length;
    const next = await fetch(`${server.url}/service_groups/1/receipts/`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(sellReceipt({ callback_url: rx.url })) });
    expect(next.status).toBe(200);
    const req = await eventually(async () => rx.requests[before], 15_000);
    expect(verify(secret, req.headers, req.body)).toBe(true);
    expect(problems).toEqual([]);
  });
});
