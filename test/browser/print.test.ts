/**
 * The printable receipt of every receipt type (sell, refunds, purchase, the four corrections) on an
 * FFD 1.2 virtual register, rendered in Debian's Chromium and saved as screenshots.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { parseReceiptQr } from '../../src/domain/qr.js';
import { basic, eventually } from '../support/server.js';
import { correctionReceipt, sellReceipt } from '../api/fixtures.js';
import { screenshotDir } from '../support/web.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = screenshotDir();
// In CI the browser is installed by .ci/run: its absence must fail the run, not skip it.
const runnable = existsSync(CHROMIUM) || process.env.CI === 'true';

const TYPES: [number, string][] = [
  [1, 'КАССОВЫЙ ЧЕК · ПРИХОД'], [2, 'КАССОВЫЙ ЧЕК · ВОЗВРАТ ПРИХОДА'], [4, 'КАССОВЫЙ ЧЕК · РАСХОД'], [5, 'КАССОВЫЙ ЧЕК · ВОЗВРАТ РАСХОДА'],
  [7, 'ЧЕК КОРРЕКЦИИ · ПРИХОД'], [8, 'ЧЕК КОРРЕКЦИИ · ВОЗВРАТ ПРИХОДА'], [9, 'ЧЕК КОРРЕКЦИИ · РАСХОД'], [10, 'ЧЕК КОРРЕКЦИИ · ВОЗВРАТ РАСХОДА'],
];

describe.runIf(runnable)('printable receipts in Chromium', () => {
  let server: Server;
  let browser: Browser;
  let groupId = 0;
  const auth = basic('admin', 'admin');

  beforeAll(async () => {
    server = await startServer(loadConfig([], { CR_PROFILE: 'test', CR_PORT: '0', CR_LOG_LEVEL: 'silent' }, { nodeId: 'print-test' }));
    const groups = createGroupRepository(server.db);
    const { group } = await groups.create(
      { name: 'ФФД 1.2', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
      { driver: 'emulator', config: { ffd_version: '120', company_name: 'ООО "Ромашка"' } },
      Date.now(),
    );
    groupId = group.id;
    await groups.setRunning(group.id, true, Date.now());
    await server.workers.reconcile();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it.each(TYPES)('receipt type %i renders as «%s» with its QR code', async (type, title) => {
    const body = type >= 7
      ? correctionReceipt({ receiptType: type, mistaken_receipt_number: null, products: [{ name: 'Кофе 250 г', payment_state_int: 4, price: '459.90', commodity_type_int: 1, quantity: 2, tax_type: 'vat20' }, { name: 'Доставка', payment_state_int: 4, price: 150, commodity_type_int: 4, quantity: 1, tax_type: 'vat22' }], payments: [{ payment_type_int: 1, payment_sum: '1069.80' }] })
      : sellReceipt({ receiptType: type, products: [{ name: 'Кофе 250 г', payment_state_int: 4, price: '459.90', commodity_type_int: 1, quantity: 2, tax_type: 'vat20' }, { name: 'Сахар', payment_state_int: 4, price: '89.50', commodity_type_int: 1, quantity: '1.5', quantity_unit: 'кг', tax_type: 'vat10' }], payments: [{ payment_type_int: 0, payment_sum: 1100 }], cashier: { name: 'Иванова А.', inn: null } });
    const res = await server.app.inject({ method: 'POST', url: `/service_groups/${groupId}/receipts/`, headers: { authorization: auth }, payload: body });
    expect(res.statusCode, res.body).toBe(200);
    const { id } = res.json<{ id: string }>();
    const r = await eventually(async () => {
      const j = (await server.app.inject({ url: `/service_groups/${groupId}/receipts/${id}`, headers: { authorization: auth } })).json<{ state: string; qr: string; fn_serial: string; receipt_num: number; fiscal_sign: string; commodities_total_cost: string; registration_datetime: string; error: unknown }>();
      return j.state === 'success' || j.state === 'failed' ? j : null;
    });
    expect(r.state, JSON.stringify(r.error)).toBe('success');
    // The QR payload parses back to the receipt's date, total, FN, FD and fiscal sign.
    const qr = parseReceiptQr(r.qr);
    expect(qr).toMatchObject({ s: r.commodities_total_cost, fn: r.fn_serial, i: r.receipt_num, fp: r.fiscal_sign });
    expect(qr?.t).toBe(r.registration_datetime.slice(0, 16).replace(/[-:]/g, ''));

    const context = await browser.newContext({ viewport: { width: 420, height: 900 }, httpCredentials: { username: 'admin', password: 'admin' } });
    const page = await context.newPage();
    await page.goto(`${server.url}/service_groups/${groupId}/receipts/${id}/print`);
    await expect.poll(() => page.locator('.title').textContent()).toBe(title);
    expect(await page.locator('.qr svg').count()).toBe(1);
    const box = await page.locator('.qr svg').boundingBox();
    expect(box?.width).toBeGreaterThan(100);
    expect(await page.textContent('body')).toContain(r.fiscal_sign);
    await page.screenshot({ path: join(SHOTS, `print-type-${type}.png`), fullPage: true });
    await context.close();
  });
});
