import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { eventually, testServer, type TestServer } from '../support/server.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import type { MarkingPolicy } from '../../src/domain/ffd12.js';
import type { Body } from './fixtures.js';

const pgOk = await postgresReachable();

/** The example request of docs/api.md "FFD 1.2 content", as the documentation shows it. */
function docsExample(): Body {
  const md = readFileSync(new URL('../../docs/api.md', import.meta.url), 'utf8');
  const section = md.slice(md.indexOf('### FFD 1.2 content'));
  const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
  if (!json) throw new Error('docs/api.md has no example request under "FFD 1.2 content"');
  return JSON.parse(json) as Body;
}

describe.each(BACKENDS)('FFD 1.2 content and the marking check on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let s: TestServer;

  beforeAll(async () => {
    if (skip) return;
    s = await testServer(backend);
  });
  afterAll(async () => {
    if (!skip) await s.cleanup();
  });

  const req = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    s.app.inject({ method, url, headers: { authorization: s.admin }, ...(payload === undefined ? {} : { payload: payload as Body }) });

  /** A running group on a virtual register with these settings; waits until its registration is known. */
  async function group(config: Record<string, unknown>, markingPolicy: MarkingPolicy = 'offline_allowed'): Promise<number> {
    const groups = createGroupRepository(s.db);
    const { group: g } = await groups.create(
      { name: `ФФД ${String(config.ffd_version)} ${markingPolicy}`, enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null, markingPolicy },
      { driver: 'emulator', config },
      Date.now(),
    );
    await groups.setRunning(g.id, true, Date.now());
    await s.workers.reconcile();
    await eventually(async () => ((await req('GET', `/service_groups/${g.id}`)).json<{ device: { registration: Body | null } }>().device.registration ? true : null));
    return g.id;
  }

  const final = (groupId: number, id: string) =>
    eventually(async () => {
      const r = (await req('GET', `/service_groups/${groupId}/receipts/${id}`)).json<Body & { state: string }>();
      return r.state === 'success' || r.state === 'failed' ? r : null;
    });

  it.skipIf(skip)('the documented example fiscalizes on an FFD 1.2 register and reads back with every tag', async () => {
    const g = await group({ ffd_version: '120' });
    const res = await req('POST', `/service_groups/${g}/receipts/`, docsExample());
    expect(res.statusCode, res.body).toBe(200);
    const r = await final(g, res.json<{ id: string }>().id);
    expect(r.state, JSON.stringify(r.error)).toBe('success');
    const products = r.commodities as Body[];
    expect(products[0]).toMatchObject({ planned_status: 1, marking_check: { result: 15, fn_checked: true, operator_status_correct: true, autonomous: false } });
    expect(products[2]).toMatchObject({ fractional_quantity: { numerator: 3, denominator: 10 }, planned_status: 2 });
    expect(products[3]).toMatchObject({ agent_sign: 32, supplier: { inn: '7707083893' }, marking_check: null });
    expect(r.buyer).toMatchObject({ inn: '7736207543' });

    const doc = (await req('GET', `/service_groups/${g}/documents/${r.receipt_num as number}`)).json<{ receipt: Body }>().receipt;
    const items = doc.items as Body[];
    expect(items[0]).toMatchObject({ checkingProdInformationResult: 15, productCodeNew: { gs1m: { gtin: '04601662000016' } }, itemsIndustryDetails: [{ idFoiv: '030' }] });
    expect(items[1]).toMatchObject({ productCodeNew: { kmk: { rawProductCode: '04606203098187jkMqYwF' } } });
    expect(items[2]).toMatchObject({ labeledProdFractionalQuantity: { fractionalPart: '3/10' } });
    expect(items[3]).toMatchObject({ paymentAgentByProductType: 32, providerInn: '7707083893  ' });
    expect(doc).toMatchObject({ checkingLabeledProdResult: 0, buyerInformation: { buyerInn: '7736207543  ' } });

    const print = await req('GET', `/service_groups/${g}/receipts/${r.id as string}/print`);
    expect(print.body).toContain('[М+] Кроссовки');
    expect(print.body).toContain('КОМИССИОНЕР');
    expect(print.body).toContain('ИНН ПОКУПАТЕЛЯ');

    const state = (await req('GET', `/service_groups/${g}`)).json<{ device: { marking: Body | null } }>().device.marking;
    expect(state).toMatchObject({ blocked: false });
  });

  it.skipIf(skip)('an FFD 1.05 register refuses the 1.2 fields with 422 naming each, and stores nothing', async () => {
    const g = await group({ ffd_version: '105' });
    const res = await req('POST', `/service_groups/${g}/receipts/`, docsExample());
    expect(res.statusCode).toBe(422);
    const fields = res.json<{ errors: { field: string; code: string }[] }>().errors.filter((e) => e.code === 'requires_ffd_1_2').map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['products[0].marking_code', 'products[0].industry_requisites', 'products[3].agent_sign', 'products[3].supplier', 'buyer']));
    expect((await req('GET', `/service_groups/${g}/receipts/`)).json<{ items: unknown[] }>().items).toEqual([]);
  });

  it.skipIf(skip)('the group policy decides: a stopped sale fails the receipt naming the item; record_only sells and records it', async () => {
    const body = (code: string): Body => ({
      receiptType: 1, email: 'buyer@example.com', tax_system: 1,
      products: [{ name: 'Йогурт', price: 90, quantity: 1, payment_state_int: 4, commodity_type_int: 33, tax_type: 'vat10', marking_code: code }],
      payments: [{ payment_type_int: 1, payment_sum: 90 }],
    });
    const dairy = '01030410947874432155Qbag!\u001d93Zjqw';
    const strict = await group({ ffd_version: '120', marking_operator: 'sale_stopped' }, 'strict');
    const refused = await final(strict, (await req('POST', `/service_groups/${strict}/receipts/`, body(dairy))).json<{ id: string }>().id);
    expect(refused).toMatchObject({ state: 'failed', error: { code: 'marking_check_failed' } });
    expect(String((refused.error as Body).message)).toContain('products[0]');

    const lenient = await group({ ffd_version: '120', marking_operator: 'sale_stopped' }, 'record_only');
    const sold = await final(lenient, (await req('POST', `/service_groups/${lenient}/receipts/`, body(dairy))).json<{ id: string }>().id);
    expect(sold.state).toBe('success');
    expect((sold.commodities as Body[])[0]).toMatchObject({ marking_check: { operator_checked: true, operator_status_correct: false } });
    const doc = (await req('GET', `/service_groups/${lenient}/documents/${sold.receipt_num as number}`)).json<{ receipt: Body }>().receipt;
    expect(doc.checkingLabeledProdResult).toBe(1);

    // Unreachable operator: offline_allowed sells in autonomous mode.
    const offline = await group({ ffd_version: '120', marking_operator: 'unreachable' }, 'offline_allowed');
    const auto = await final(offline, (await req('POST', `/service_groups/${offline}/receipts/`, body(dairy))).json<{ id: string }>().id);
    expect(auto.state).toBe('success');
    expect((auto.commodities as Body[])[0]).toMatchObject({ marking_check: { autonomous: true, operator_checked: false } });
  });

  it.skipIf(skip)('checks a code without a receipt through the device queue', async () => {
    const g = await group({ ffd_version: '120' });
    const ok = await req('POST', `/service_groups/${g}/marking-codes/check`, { marking_code: '04606203098187jkMqYwFAABAaMlw' });
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json()).toMatchObject({ code_type: 1, operator: { answered: true, item_status: 1 }, sellable: true, policy: 'offline_allowed' });
    const bad = await req('POST', `/service_groups/${g}/marking-codes/check`, { marking_code: '0104601662000017215N5QK8bYKOiqp' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ errors: Body[] }>().errors).toContainEqual(expect.objectContaining({ field: 'marking_code', code: 'invalid_marking_code' }));
    const old = await group({ ffd_version: '105' });
    expect((await req('POST', `/service_groups/${old}/marking-codes/check`, { marking_code: '04606203098187jkMqYwFAABAaMlw' })).statusCode).toBe(422);
  });
});
