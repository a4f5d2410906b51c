/**
 * «Никогда молча»: a fiscal document in the FN that no receipt owns puts a red banner on every
 * dashboard page until a superuser acknowledges it. Rows are inserted as the journal
 * reconciliation records them; the walk is in Russian (the default), with a look at the English.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/main.js';
import { CHROMIUM, screenshot, startDashboard, loginAsAdmin } from '../support/web.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { createOrphanRepository } from '../../src/storage/orphans.js';

const NODE = 'orphans-browser-test';

describe.runIf(existsSync(CHROMIUM) || process.env.CI === 'true')('orphan fiscal documents on the dashboard (Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  const shot = (name: string) => screenshot(page, name);

  beforeAll(async () => {
    ({ server, browser, page, problems } = await startDashboard(NODE));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('shows the banner and the documents, and «Подтвердить» clears them', async () => {
    // Two receipt documents of the demo register that no receipt owns, found by another node.
    const device = await createDeviceRepository(server.db).deviceOf(1);
    if (!device) throw new Error('the demo group has no device');
    const orphans = createOrphanRepository(server.db.kysely);
    const base = { deviceId: device.id, groupId: 1, kind: 'receipt', fiscalSign: '3522343476', foundBy: 'node-b' };
    expect(await orphans.record({ ...base, fdNumber: 9001, total: 123_450, documentAt: '2026-03-01T10:15:00' }, Date.now() - 60_000)).toBe(true);
    expect(await orphans.record({ ...base, fdNumber: 9002, kind: 'correction', total: 5000, documentAt: '2026-03-01T11:00:00' }, Date.now())).toBe(true);

    await loginAsAdmin(page, server.url);

    // The red banner on the overview, with the count and the one-sentence explanation.
    const banner = page.getByTestId('orphan-banner');
    await expect.poll(() => banner.textContent()).toContain('Найдены фискальные документы без чека: 2');
    expect(await banner.textContent()).toContain('Документ есть в ФН, но ни один чек cr-server ему не соответствует');
    expect(await banner.evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(198, 40, 40)');
    // The overview's attention list words it in Russian.
    await expect.poll(() => page.locator('.attention-list').textContent()).toContain('Фискальных документов без чека: 2');
    await shot('orphans-01-overview-banner');

    // The group's card on «Кассовые сервисы»: the banner, the count, and the device lease in «Устройство».
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    const card = page.locator('[data-group-id="1"]');
    await card.waitFor();
    expect(await banner.isVisible()).toBe(true);
    await expect.poll(() => card.getByTestId('group-orphans').textContent()).toContain('Документов без чека: 2');
    await card.getByRole('button', { name: /Устройство/ }).click();
    const lease = card.getByTestId('device-lease');
    await expect.poll(() => lease.textContent(), { timeout: 10_000 }).toContain(NODE);
    expect(await lease.textContent()).toContain('Эпоха');
    await shot('orphans-02-group-card');

    // The banner's link → the list: ФД №, type, sum in roubles, document date, found when and by which node, group.
    await banner.getByRole('link', { name: /Найдены фискальные документы без чека/ }).click();
    await page.waitForURL(/\/admin\/orphans$/);
    await page.getByRole('heading', { name: 'Фискальные документы без чека' }).waitFor();
    const row = page.locator('tr[data-fd="9001"]');
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('9001');
    expect(text).toContain('Кассовый чек');
    expect(text).toMatch(/1\s?234,50/);
    expect(text).toContain('01.03.2026');
    expect(text).toContain('узел node-b');
    expect(text).toContain('Демо');
    expect(await page.locator('tr[data-fd="9002"]').textContent()).toContain('Чек коррекции');
    expect(await page.locator('tbody tr').count()).toBe(2);
    await shot('orphans-03-list');

    // «Подтвердить» the first: the row leaves the open list, the banner counts one.
    await row.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByRole('status').filter({ hasText: 'ФД №9001 подтверждён.' }).waitFor();
    await row.waitFor({ state: 'detached' });
    await expect.poll(() => banner.textContent()).toContain('Найдены фискальные документы без чека: 1');

    // English, then back.
    await page.getByTestId('lang').click();
    await expect.poll(() => banner.textContent()).toContain('Fiscal documents without a receipt found: 1');
    expect(await page.locator('tr[data-fd="9002"]').getByRole('button').textContent()).toBe('Acknowledge');
    await page.getByTestId('lang').click();

    // «Показать подтверждённые»: the acknowledged one, with who acknowledged it.
    await page.getByLabel('Показать подтверждённые').check();
    await expect.poll(() => page.locator('tr[data-fd="9001"]').textContent()).toContain('Подтверждён: admin');
    await page.getByLabel('Показать подтверждённые').uncheck();

    // The last one: the banner disappears.
    await page.locator('tr[data-fd="9002"]').getByRole('button', { name: 'Подтвердить' }).click();
    await banner.waitFor({ state: 'detached' });
    await page.getByText('Документов без чека нет.').waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Обзор' }).click();
    await page.getByRole('heading', { name: 'Обзор' }).waitFor();
    await expect.poll(() => page.locator('.card.attention').textContent()).not.toContain('без чека');
    expect(await banner.count()).toBe(0);

    // Both acknowledgements are in the audit journal.
    const audit = await server.db.kysely.selectFrom('audit_log').select(['action', 'login']).where('action', '=', 'device.orphan_acknowledged').execute();
    expect(audit).toEqual([{ action: 'device.orphan_acknowledged', login: 'admin' }, { action: 'device.orphan_acknowledged', login: 'admin' }]);
    expect(problems).toEqual([]);
  }, 120_000);
});
