/**
 * FFD 1.2 marking on the dashboard, in Debian's Chromium: «Кассовые сервисы» → «Добавить» with
 * «Проверка маркировки» set, the FN's marking state on the group's card (unconfirmed notifications,
 * the warning when marking work is blocked), the policy edited, and the same in English. The device
 * status is written as the group's worker stores it (the group is left stopped, so no worker
 * overwrites it).
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/main.js';
import type { MarkingState } from '../../src/devices/driver.js';
import { createDeviceRepository } from '../../src/storage/devices.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { CHROMIUM, screenshot, startDashboard, loginAsAdmin } from '../support/web.js';
import { deviceStatus, fiscalResult } from '../storage/records.js';
import type { StoredRequest } from '../../src/domain/records.js';
import { MARKING_BITS } from '../../src/domain/ffd12.js';

/** A GS1 DataMatrix code as scanned: GTIN (01), serial (21), GS, key id (91), GS, crypto tail (92). */
const CODE = '010460043993125621JgXJ5.T\u001d91EE06\u001d92YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo0NTY3ODkwMTIzNDU2Nzg5MA==';
const CODE_2 = '010460043993132721aBcDeFgHiJkLm\u001d91EE06\u001d92ZmVkY2JhOTg3NjU0MzIxMHp5eHd2dXRzcnFwb25tbGtqaWhnZmVkY2Jh';

/** A stored FFD 1.2 receipt: two marked lines (one sold by 3/10 of a pack, by an agent), one weighed line, a buyer. */
function markedRequest(): StoredRequest {
  const line = { vat: 6 as const, paymentMethod: 4 as const, paymentObject: 33 as const, unit: null, quantityPrec: null, taxTypeInt: null };
  const none = { productCode: null, fractional: null, agentSign: null, agent: null, supplier: null, excise: null, countryCode: null, customsDeclaration: null, additionalRequisite: null, industry: [] };
  return {
    receiptType: 1,
    operationType: 1,
    taxSystem: 1,
    items: [
      { ...line, name: 'Кроссовки', price: 499_000, quantity: 1_000_000, total: 499_000, measure: 0, ffd12: { ...none, marking: { code: CODE, plannedStatus: 1 } } },
      {
        ...line, name: 'Сигареты (3 пачки из блока)', price: 150_000, quantity: 1_000_000, total: 45_000, measure: 0,
        ffd12: {
          ...none,
          marking: { code: CODE_2, plannedStatus: 1 },
          fractional: { numerator: 3, denominator: 10 },
          agentSign: 32,
          supplier: { name: 'ООО "Поставщик"', phones: ['+79990000000'], inn: '7707083893' },
        },
      },
      { ...line, name: 'Сахар', price: 8_950, quantity: 1_500_000, total: 13_425, measure: 11, paymentObject: 1 },
    ],
    payments: [{ type: 1, sum: 557_425 }],
    total: 557_425,
    change: 0,
    email: 'buyer@example.ru',
    phone: null,
    correction: null,
    mistakenReceiptNumber: null,
    cashier: null,
    needPrint: false,
    orderId: 'marking-1',
    ffd12: {
      buyer: { name: 'ООО "Покупатель"', inn: '7728168971', birthDate: null, citizenship: null, documentCode: null, documentData: null, address: null },
      operational: null,
      industry: [],
      userRequisite: null,
      agentSign: null,
    },
  };
}

describe.runIf(existsSync(CHROMIUM) || process.env.CI === 'true')('marking policy and marking state on the dashboard (Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  const shot = (name: string) => screenshot(page, name);

  beforeAll(async () => {
    ({ server, browser, page, problems } = await startDashboard('marking-browser-test'));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('sets «Проверка маркировки» in the form and shows the FN marking state on the card', async () => {
    const groups = createGroupRepository(server.db);
    const devices = createDeviceRepository(server.db);

    await loginAsAdmin(page, server.url);

    // «Кассовые сервисы» → «Добавить»: the select offers the three policies, offline_allowed first chosen.
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    await page.locator('[data-group-id="1"]').waitFor();
    await page.getByRole('button', { name: 'Добавить' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.locator('input[name=name]').fill('Маркированный');
    await dialog.locator('select[name=model]').selectOption({ label: 'Виртуальная касса' });
    const policy = dialog.getByLabel('Проверка маркировки');
    expect(await policy.inputValue()).toBe('offline_allowed');
    expect(await policy.locator('option').allTextContents()).toEqual(['Строгая', 'Разрешать автономный режим (по умолчанию)', 'Только записывать результат']);
    const field = dialog.locator('label.field', { has: page.locator('select[name=marking_policy]') });
    expect(await field.locator('.hint').textContent()).toContain('если ОИСМ недоступна, чек пробивается в автономном режиме');
    await policy.selectOption({ label: 'Строгая' });
    expect(await field.locator('.hint').textContent()).toBe('Чек не пробивается ни при отрицательном ответе, ни когда ОИСМ недоступна.');
    await policy.scrollIntoViewIfNeeded();
    await shot('marking-01-group-form');
    await dialog.getByRole('button', { name: 'Сохранить' }).click();
    await dialog.waitFor({ state: 'detached' });
    const card = page.locator('article[data-group="Маркированный"]');
    await card.waitFor();
    const groupId = Number(await card.getAttribute('data-group-id'));
    expect((await groups.get(groupId))?.marking_policy).toBe('strict');
    // Not read yet: no marking line, no warning.
    expect(await card.getByTestId('group-marking').count()).toBe(0);
    expect(await card.getByTestId('group-marking-blocked').count()).toBe(0);

    // The worker read the FN: 17 notifications unconfirmed, marking work blocked.
    const device = await devices.deviceOf(groupId);
    if (!device) throw new Error('the group has no device');
    const setMarking = async (marking: MarkingState | null) => {
      await devices.updateDevice(device.id, { status: { ...deviceStatus, marking }, statusAt: Date.now() }, Date.now());
      await page.reload();
      await card.waitFor();
    };
    await setMarking({ blocked: true, unconfirmedNotifications: 17, oldestUnconfirmedAt: '2026-05-29T10:15:00+03:00' });
    const line = card.getByTestId('group-marking');
    await expect.poll(() => line.textContent()).toContain('уведомлений не подтверждено 17 (старейшее 29.05.2026');
    expect(await line.locator('dt').textContent()).toBe('Маркировка');
    const blocked = card.getByTestId('group-marking-blocked');
    expect(await blocked.textContent()).toContain('Работа с маркировкой заблокирована: ФН ждёт подтверждения уведомлений');
    expect(await blocked.getAttribute('role')).toBe('alert');
    await shot('marking-02-blocked');

    // «Изменить»: the form shows the stored policy; «Только записывать результат» is saved.
    await card.getByRole('button', { name: 'Изменить' }).click();
    const edit = page.getByRole('dialog');
    expect(await edit.getByLabel('Проверка маркировки').inputValue()).toBe('strict');
    await edit.getByLabel('Проверка маркировки').selectOption('record_only');
    expect(await edit.locator('label.field', { has: page.locator('select[name=marking_policy]') }).locator('.hint').textContent()).toContain('теги 2106, 2107');
    await edit.getByRole('button', { name: 'Сохранить' }).click();
    await edit.waitFor({ state: 'detached' });
    expect((await groups.get(groupId))?.marking_policy).toBe('record_only');

    // English.
    await page.getByTestId('lang').click();
    await expect.poll(() => line.textContent()).toContain('17 notifications unconfirmed (oldest ');
    expect(await blocked.textContent()).toContain('Marking work is blocked: the FN is waiting for its notifications to be confirmed');
    await card.getByRole('button', { name: 'Edit' }).click();
    const en = page.getByRole('dialog');
    expect(await en.getByLabel('Marking code check').inputValue()).toBe('record_only');
    expect(await en.getByLabel('Marking code check').locator('option').allTextContents()).toEqual(['Strict', 'Allow autonomous mode (default)', 'Record only']);
    expect(await en.locator('label.field', { has: page.locator('select[name=marking_policy]') }).locator('.hint').textContent()).toBe('The receipt is sold whatever the answer; the answers are recorded in it (tags 2106, 2107).');
    await en.getByLabel('Marking code check').scrollIntoViewIfNeeded();
    await shot('marking-03-form-en');
    await en.getByRole('button', { name: 'Cancel' }).click();
    await en.waitFor({ state: 'detached' });
    await page.getByTestId('lang').click();

    // Notifications confirmed: the warning goes, the line says so.
    await setMarking({ blocked: false, unconfirmedNotifications: 0, oldestUnconfirmedAt: null });
    await expect.poll(() => line.textContent()).toContain('все уведомления подтверждены');
    expect(await blocked.count()).toBe(0);
    // A register without marking: no line at all.
    await setMarking(null);
    await line.waitFor({ state: 'detached' });
    await shot('marking-04-no-marking');

    const audit = await server.db.kysely.selectFrom('audit_log').select(['action', 'details']).where('target', '=', `service_group:${groupId}`).orderBy('id').execute();
    expect(audit.map((a) => a.action)).toEqual(['service_group.create', 'service_group.update']);
    expect(audit[1]?.details).toContain('"marking_policy":"record_only"');
    expect(problems).toEqual([]);
  }, 120_000);

  it('shows a receipt’s marking codes, planned status, decoded 2106, fractional quantity, agent, supplier, measure and buyer', async () => {
    // Stored as the worker leaves them: a fiscalized receipt with each marked line's 2106, and one still queued.
    const group = (await createGroupRepository(server.db).list()).find((g) => g.name === 'Маркированный');
    if (!group) throw new Error('the first test creates the group');
    const device = await createDeviceRepository(server.db).deviceOf(group.id);
    const request = markedRequest();
    const now = Date.now();
    // 2106: the FN and the operator both positive (0b1111); the FN positive and no answer, autonomous (bit 4).
    const positive = MARKING_BITS.fnChecked | MARKING_BITS.fnValid | MARKING_BITS.operatorChecked | MARKING_BITS.operatorStatusCorrect;
    const autonomous = MARKING_BITS.fnChecked | MARKING_BITS.fnValid | MARKING_BITS.autonomous;
    const row = (state: string, fiscal: string | null, fd: number | null) => ({
      group_id: group.id, user_id: 1, device_id: device?.id ?? null, state, attempts: fiscal ? 1 : 0, request_hash: `h-${state}`, request: JSON.stringify(request),
      order_id: null, receipt_type: 1, total: request.total, fd_number: fd, fiscal, created_at: now, updated_at: now, fiscalized_at: fiscal ? now : null,
    });
    const [done, queued] = await server.db.kysely.insertInto('receipts').values([
      row('success', JSON.stringify({ ...fiscalResult(41, request.total), markingChecks: [positive, autonomous, null] }), 41),
      row('pending', null, null),
    ]).returning('id').execute();
    if (!done || !queued) throw new Error('not inserted');

    await page.goto(`${server.url}/admin/groups/${group.id}/receipts/${done.id}`);
    await page.getByRole('heading', { name: `Чек №${done.id}` }).waitFor();
    const first = page.locator('tr[data-item="0"]');
    await first.getByTestId('item-ffd12').waitFor();
    // The code shortened, the whole code (GS shown as <GS>) on hover.
    const code = first.getByTestId('marking-code');
    expect(await code.textContent()).toBe('010460043993125621JgXJ5.T<GS>91…');
    expect(await code.getAttribute('title')).toBe(CODE.replaceAll('\u001d', '<GS>'));
    expect(await first.locator('[data-field=planned_status] dd').textContent()).toBe('штучный товар реализован');
    const check = first.getByTestId('marking-check');
    expect(await check.textContent()).toContain('ФН: код верен');
    expect(await check.textContent()).toContain('ОИСМ: статус подтверждён');
    expect(await check.textContent()).toContain('2106 = 15');
    expect(await check.textContent()).not.toContain('автономный режим');

    const second = page.locator('tr[data-item="1"]');
    const check2 = await second.getByTestId('marking-check').textContent();
    expect(check2).toContain('ОИСМ не ответила');
    expect(check2).toContain('автономный режим');
    expect(check2).toContain('2106 = 19');
    expect(await second.locator('[data-field=fractional] dd').textContent()).toBe('3/10 упаковки');
    expect(await second.locator('[data-field=agent] dd').textContent()).toBe('комиссионер');
    expect(await second.locator('[data-field=supplier] dd').textContent()).toBe('ООО "Поставщик" · ИНН 7707083893 · +79990000000');

    // The weighed line: its measure (2108 = 11, kg), no FFD 1.2 block.
    const third = page.locator('tr[data-item="2"]');
    expect(await third.locator('td.num').first().textContent()).toMatch(/^1,5\s?кг$/);
    expect(await third.getByTestId('item-ffd12').count()).toBe(0);

    // The buyer (1256).
    const extras = page.getByTestId('receipt-ffd12');
    expect(await extras.textContent()).toContain('Покупатель (клиент)');
    expect(await extras.getByTestId('buyer-name').textContent()).toContain('ООО "Покупатель"');
    expect(await extras.getByTestId('buyer-inn').textContent()).toContain('7728168971');
    await shot('marking-05-receipt');

    // English.
    await page.getByTestId('lang').click();
    await expect.poll(() => first.getByTestId('marking-check').textContent()).toContain('FN: code valid');
    expect(await first.locator('[data-field=planned_status] dd').textContent()).toBe('piece sold');
    expect(await second.getByTestId('marking-check').textContent()).toContain('autonomous mode');
    expect(await extras.textContent()).toContain('Buyer (client)');
    await page.getByTestId('lang').click();

    // Not fiscalized yet: the check is still to come.
    await page.goto(`${server.url}/admin/groups/${group.id}/receipts/${queued.id}`);
    await page.getByRole('heading', { name: `Чек №${queued.id}` }).waitFor();
    await expect.poll(() => page.locator('tr[data-item="0"] [data-field=marking_check] dd').textContent()).toBe('будет проверен при пробитии');
    expect(await page.getByTestId('marking-check').count()).toBe(0);
    expect(problems).toEqual([]);
  }, 120_000);
});
