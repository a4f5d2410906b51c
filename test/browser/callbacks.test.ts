/**
 * Completion callbacks on the dashboard, in Debian's Chromium: the receipt page shows the delivery
 * and its log (a 500, then a 200), «Повторить отправку» sends it again as a new event; the users
 * page changes a user's «Секрет уведомлений» and shows the new secret once — the one the next
 * callback is signed with. The group's «Уведомления» tab lists its register events (an FN forecast
 * warning) with their bodies and attempts, and «Отправить снова» sends one again under a new id.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';
import { createUserRepository } from '../../src/storage/users.js';
import { basic, eventually } from '../support/server.js';
import { adminApi, CHROMIUM, ensureWebBuilt, openDashboardPage, screenshot, loginAsAdmin } from '../support/web.js';
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

  it("lists the group's register events and sends one again", async () => {
    rx.script([], { status: 200 });
    const api = await adminApi(server.url);
    // A virtual FN expiring in two days: within the default warning days, so its first judgement warns.
    const g = await api<{ id: number }>('POST', '/service_groups', {
      name: 'Склад', driver: 'emulator', config: { company_name: 'ООО "Ромашка"', fn_lifetime_days: 2 }, default_tax_system: 1, default_vat: null,
      auto_open_shift: true, shift_duration: 1440, daily_close_time: null, events_url: rx.url,
    });
    await api('POST', `/service_groups/${g.id}/start`);
    const warned = () => rx.requests.filter((r) => r.headers['x-cr-event'] === 'register.fn_warning');
    await eventually(async () => warned().length === 1, 15_000);

    await page.goto(`${server.url}/admin/groups/${g.id}/receipts`);
    await page.getByRole('link', { name: 'Уведомления' }).click();
    await page.getByRole('heading', { name: 'Уведомления о кассах — Склад' }).waitFor();
    expect(await page.getByTestId('events-url').textContent()).toContain(rx.url);
    const rows = page.getByTestId('event-delivery');
    await expect.poll(() => rows.count()).toBe(1);
    await expect.poll(() => rows.nth(0).getByTestId('event-state').textContent()).toBe('доставлено');
    expect(await rows.nth(0).textContent()).toContain('истекает срок ФН');
    expect(await rows.nth(0).textContent()).toMatch(/осталось дней: [12]/);
    await screenshot(page, 'callbacks-04-events');

    // The row opens the delivery: every attempt with its node, and the body as sent.
    await rows.nth(0).click();
    const dialog = page.getByRole('dialog');
    await expect.poll(() => dialog.getByTestId('event-attempt').count()).toBe(1);
    expect(await dialog.getByTestId('event-attempt').textContent()).toContain('callbacks-browser-test');
    const body = JSON.parse((await dialog.getByTestId('event-json').textContent()) ?? '{}') as { event_id?: string; warning?: { what?: string } };
    expect(body.event_id).toBe(warned()[0]?.headers['x-cr-event-id']);
    expect(body.warning?.what).toBe('expiry');
    await dialog.getByRole('button', { name: 'Закрыть' }).last().click();

    // «Отправить снова»: a new delivery on top, delivered, under a new event id.
    await rows.nth(0).getByRole('button', { name: /Отправить снова/ }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('с новым ID');
    await expect.poll(() => rows.count()).toBe(2);
    await expect.poll(() => rows.nth(0).getByTestId('event-state').textContent(), { timeout: 15_000 }).toBe('доставлено');
    expect(await rows.nth(0).textContent()).toContain('повтор');
    await eventually(async () => warned().length === 2, 15_000);
    expect(new Set(warned().map((r) => r.headers['x-cr-event-id'])).size).toBe(2);
    await screenshot(page, 'callbacks-05-event-resent');

    // Without an events URL the page says so and the button is off; the history stays.
    await api('PATCH', `/service_groups/${g.id}`, { events_url: '' });
    await page.getByRole('button', { name: 'Обновить' }).click();
    await expect.poll(() => page.getByTestId('events-url').textContent()).toContain('не задан');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).getByRole('button', { name: /Отправить снова/ }).isDisabled()).toBe(true);

    // English.
    await page.getByTestId('lang').click();
    await page.getByRole('heading', { name: 'Register notifications — Склад' }).waitFor();
    expect(await rows.nth(0).textContent()).toContain('the FN expires');
    await page.getByTestId('lang').click();
    await page.getByRole('heading', { name: 'Уведомления о кассах — Склад' }).waitFor();
    expect(problems).toEqual([]);
  });
});
