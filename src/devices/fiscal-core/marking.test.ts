import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ItemExtras, PlannedStatus } from '../../domain/ffd12.js';
import type { ReceiptItem } from '../../domain/receipt.js';
import type { MarkingCheckRequest } from '../driver.js';
import { tagLists, tagNumber } from '../ffd/tag-list.js';
import { HOUR_MS } from './datetime.js';
import { openFiscalDevice } from './fiscal-device.js';
import type { FiscalDevice, FiscalDeviceOptions } from './fiscal-device.js';
import { fnCheck, itemCheckResult, MARKING_WORK_STATES } from './marking.js';
import { createMarkingOperator, MARKING_OPERATOR_ANSWERS, operatorReply } from './marking-operator.js';
import type { MarkingOperatorAnswer } from './marking-operator.js';
import { TAG } from './tags.js';
import { fakeClock, item, receipt, rejection, tempDir } from './testing.js';
import type { FakeClock } from './testing.js';

const GS = '\u001d';
const TAIL44 = 'MDEGCCqFAwcBAQICBEDtXGZOKlcSqtLpMmyaWoUr1hXM';
/** GS1 codes with valid GTIN check digits: 91 + 92(44) (2100 = 4), 93 (2100 = 5), 92 without 91, no tail. */
const KM = {
  shoes: `010460123456789321ABCDEFGHIJKLM${GS}91EE06${GS}92${TAIL44}`,
  shoes2: `010460123456789321ABCDEFGHIJKLN${GS}91EE06${GS}92${TAIL44}`,
  milk: `0104607654321015215Abc123${GS}93dGVz`,
  noKeyId: `010460123456789321XYZ${GS}92${TAIL44}`,
  bare: '010460555000111621SERIAL0000001',
  tobacco: '04631325925035yFL5nJXnulldGVz',
  unknown: 'ABC-123',
} as const;
const GTIN_SHOES = '04601234567893';

const open: FiscalDevice[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const d of open.splice(0)) d.close();
  for (const c of cleanups.splice(0)) c();
});

function device(clock: FakeClock, o: Partial<FiscalDeviceOptions> = {}): FiscalDevice {
  const d = openFiscalDevice({ file: ':memory:', seed: '11', clock, ofdAckDelayMs: 2000, identity: { ffdVersion: '120' }, ...o });
  open.push(d);
  return d;
}

const request = (code: string, o: Partial<MarkingCheckRequest> = {}): MarkingCheckRequest =>
  ({ code, plannedStatus: 1, measure: 0, quantity: null, fractional: null, offline: false, ...o });

const extras = (code: string, plannedStatus: PlannedStatus = 1): ItemExtras => ({
  marking: { code, plannedStatus }, productCode: null, fractional: null, agentSign: null, agent: null, supplier: null,
  excise: null, countryCode: null, customsDeclaration: null, additionalRequisite: null, industry: [],
});
const marked = (code: string, name = 'Ботинки', price = 500_000): ReceiptItem => ({ ...item({ name, price, paymentObject: 33 }), ffd12: extras(code) });

/** B1 + B5, the operator's answer, B6; then B2. Returns the 2106 the FN gives. */
function checkAndAccept(d: FiscalDevice, code: string, answer: MarkingOperatorAnswer = 'valid', accept = true, o: Partial<MarkingCheckRequest> = {}): number {
  const start = d.beginMarkingCheck(request(code, o));
  if (start.request !== null) d.completeMarkingCheck(start.request.requestNumber, operatorReply(answer, start.request));
  return d.acceptMarkingCode(accept);
}

const itemsOf = (d: FiscalDevice, fd: number) => tagLists(d.document(fd)?.tags ?? [], TAG.item);

describe('FN local check (B1) and 2106', () => {
  it('recognises each code kind and checks the crypto tails it holds keys for', () => {
    expect(fnCheck(KM.shoes, 'all')).toMatchObject({ codeType: 4, gtin: GTIN_SHOES, fn: { checked: true, valid: true, reason: 'checked' } });
    expect(fnCheck(KM.shoes, 'none')).toMatchObject({ codeType: 3, fn: { checked: false, reason: 'no_keys' } });
    expect(fnCheck(KM.milk, 'all')).toMatchObject({ codeType: 5, fn: { checked: true, reason: 'checked' }, productId: '0104607654321015215Abc123' });
    expect(fnCheck(KM.milk, 'none')).toMatchObject({ codeType: 5, fn: { checked: false, reason: 'no_keys' } });
    expect(fnCheck(KM.noKeyId, 'all')).toMatchObject({ codeType: 3, fn: { checked: false, reason: 'no_keys' } });
    expect(fnCheck(KM.bare, 'all')).toMatchObject({ codeType: 0, fn: { checked: false, reason: 'no_gs1' } });
    expect(fnCheck(KM.tobacco, 'all')).toMatchObject({ codeType: 1, fn: { checked: false, reason: 'type_not_checkable' } });
    expect(fnCheck(KM.unknown, 'all')).toMatchObject({ codeType: 0, gtin: null, fn: { checked: false, reason: 'type_not_checkable' } });
    expect(rejection(() => fnCheck('0104601234567890', 'all'))).toMatchObject({ code: 'invalid_document' });
  });

  it('2106: FN bits 0–1, operator bits 2–3, autonomous bit 4', () => {
    const fnOk = { checked: true, valid: true, reason: 'checked' } as const;
    const noKeys = { checked: false, valid: false, reason: 'no_keys' } as const;
    const answered = (requestCode: 0 | 2, codeValid: boolean, statusCorrect: boolean, itemStatus: 1 | 2 | 3 | null) =>
      ({ answered: true, requestCode, codeValid, statusCorrect, itemStatus }) as const;
    expect(itemCheckResult(fnOk, answered(0, true, true, 1))).toBe(15);
    expect(itemCheckResult(noKeys, answered(0, true, true, 1))).toBe(12);
    expect(itemCheckResult(fnOk, answered(0, false, true, 1))).toBe(7);
    expect(itemCheckResult(fnOk, answered(0, true, false, 2))).toBe(7);
    expect(itemCheckResult(fnOk, answered(2, false, false, null))).toBe(7);
    expect(itemCheckResult(fnOk, { answered: false, reason: 'unreachable' })).toBe(19);
    expect(itemCheckResult(noKeys, { answered: false, reason: 'not_asked' })).toBe(16);
  });
});

describe('simulated marking operator', () => {
  it('answers 83 per configured answer; an unrecognised code gets 2105 = 2', () => {
    const req = { codeType: 4 };
    expect(operatorReply('valid', req)).toEqual({ requestCode: 0, processing: 10, itemStatus: 1 });
    expect(operatorReply('slow', req)).toEqual({ requestCode: 0, processing: 10, itemStatus: 1 });
    expect(operatorReply('invalid_code', req)).toEqual({ requestCode: 0, processing: 8, itemStatus: 1 });
    expect(operatorReply('wrong_status', req)).toEqual({ requestCode: 0, processing: 2, itemStatus: 2 });
    expect(operatorReply('sale_stopped', req)).toEqual({ requestCode: 0, processing: 2, itemStatus: 3 });
    expect(operatorReply('unreachable', req)).toBeNull();
    expect(operatorReply('valid', { codeType: 0 })).toEqual({ requestCode: 2, processing: 0, itemStatus: null });
  });

  it('picks a forced answer over the GTIN override over the default; slow answers late', async () => {
    const op = createMarkingOperator({ answer: 'valid', answers: { [GTIN_SHOES]: 'invalid_code' }, delayMs: 40 });
    expect(op.answerFor(GTIN_SHOES, null)).toBe('invalid_code');
    expect(op.answerFor('04607654321015', null)).toBe('valid');
    expect(op.answerFor(null, null)).toBe('valid');
    expect(op.answerFor(GTIN_SHOES, 'sale_stopped')).toBe('sale_stopped');
    expect(op.takesNotifications).toBe(true);
    expect(createMarkingOperator({ answer: 'unreachable', answers: {}, delayMs: 0 }).takesNotifications).toBe(false);
    const started = performance.now();
    expect(await op.respond({ requestNumber: 1, codeType: 4, gtin: null, plannedStatus: 1 }, 'slow')).toMatchObject({ requestCode: 0 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(MARKING_OPERATOR_ANSWERS).toHaveLength(6);
  });
});

describe('FN-M marking state machine', () => {
  it('walks 1 → 3 → 4 → 1 (B1+B5, B6, B2); an offline check stops at 2 with an autonomous result', () => {
    const d = device(fakeClock());
    expect(d.markingWork()).toMatchObject({ state: MARKING_WORK_STATES.idle, acceptedCount: 0 });
    const start = d.beginMarkingCheck(request(KM.shoes));
    expect(start).toEqual({ request: { requestNumber: 1, codeType: 4, gtin: GTIN_SHOES, plannedStatus: 1 }, result: null });
    expect(d.markingWork().state).toBe(MARKING_WORK_STATES.requestFormed);
    // No answer yet: nothing to accept.
    expect(rejection(() => d.acceptMarkingCode(true))).toMatchObject({ code: 'invalid_document' });
    const result = d.completeMarkingCheck(1, operatorReply('valid', { codeType: 4 }));
    expect(result).toEqual({
      codeType: 4, fn: { checked: true, valid: true, reason: 'checked' },
      operator: { answered: true, requestCode: 0, codeValid: true, statusCorrect: true, itemStatus: 1 }, itemCheckResult: 15,
    });
    expect(d.markingWork().state).toBe(MARKING_WORK_STATES.answerReceived);
    expect(d.acceptMarkingCode(true)).toBe(15);
    expect(d.markingWork()).toMatchObject({ state: MARKING_WORK_STATES.idle, acceptedCount: 1 });

    const offline = d.beginMarkingCheck(request(KM.milk, { offline: true }));
    expect(offline).toEqual({
      request: null,
      result: { codeType: 5, fn: { checked: true, valid: true, reason: 'checked' }, operator: { answered: false, reason: 'not_asked' }, itemCheckResult: 19 },
    });
    expect(d.markingWork().state).toBe(MARKING_WORK_STATES.codeChecked);
    expect(d.acceptMarkingCode(false)).toBe(19);
    expect(d.markingWork()).toMatchObject({ state: MARKING_WORK_STATES.idle, acceptedCount: 1 });
    // The next request number follows the last one; offline checks take none.
    expect(d.beginMarkingCheck(request(KM.shoes2)).request?.requestNumber).toBe(2);
  });

  it('an answer for a check that was cleared or replaced is refused', () => {
    const d = device(fakeClock());
    d.beginMarkingCheck(request(KM.shoes));
    d.clearMarkingCodes();
    expect(rejection(() => d.completeMarkingCheck(1, operatorReply('valid', { codeType: 4 })))).toMatchObject({ code: 'invalid_document' });
    d.beginMarkingCheck(request(KM.shoes));
    d.beginMarkingCheck(request(KM.shoes2));
    expect(rejection(() => d.completeMarkingCheck(2, null))).toMatchObject({ code: 'invalid_document' });
    expect(d.completeMarkingCheck(3, null)).toMatchObject({ operator: { answered: false, reason: 'unreachable' }, itemCheckResult: 19 });
  });

  it('every operator answer gives its 2106', () => {
    const d = device(fakeClock());
    const results = Object.fromEntries(MARKING_OPERATOR_ANSWERS.map((a) => {
      d.clearMarkingCodes();
      return [a, checkAndAccept(d, KM.shoes, a, false)];
    }));
    expect(results).toEqual({ valid: 15, invalid_code: 7, wrong_status: 7, sale_stopped: 7, unreachable: 19, slow: 15 });
    // Without FN keys only the operator's bits remain.
    const noKeys = device(fakeClock(), { marking: { fnKeys: 'none' } });
    expect(checkAndAccept(noKeys, KM.shoes, 'valid')).toBe(12);
    expect(checkAndAccept(noKeys, KM.milk, 'unreachable')).toBe(16);
  });

  it('refuses 1023 for piece goods, needs it for measured goods, and refuses a code accepted twice', () => {
    const d = device(fakeClock());
    expect(rejection(() => d.beginMarkingCheck(request(KM.milk, { quantity: 1_000_000 })))).toMatchObject({ kind: 'rejected', code: 'invalid_document' });
    expect(rejection(() => d.beginMarkingCheck(request(KM.milk, { plannedStatus: 2 })))).toMatchObject({ code: 'invalid_document' });
    expect(checkAndAccept(d, KM.milk, 'valid', true, { plannedStatus: 2, measure: 11, quantity: 500_000 })).toBe(15);
    const twice = rejection(() => d.beginMarkingCheck(request(KM.milk, { plannedStatus: 2, measure: 11, quantity: 500_000 })));
    expect(twice.message).toMatch(/already accepted/);
    d.clearMarkingCodes();
    expect(d.markingWork().acceptedCount).toBe(0);
    expect(d.beginMarkingCheck(request(KM.milk, { plannedStatus: 2, measure: 11, quantity: 500_000 })).request).not.toBeNull();
  });
});

describe('receipts with marked items', () => {
  it('writes the accepted 2106 per item, consumes the saved results and queues one sale notification', () => {
    const clock = fakeClock();
    const d = device(clock);
    const a = checkAndAccept(d, KM.shoes, 'valid');
    const b = checkAndAccept(d, KM.milk, 'invalid_code');
    const r = receipt({ items: [marked(KM.shoes), item({ name: 'Пакет', price: 500 }), marked(KM.milk, 'Молоко', 9_000)] });
    const res = d.register(r, { autoOpenShift: true, marking: [a, null, b] });
    const items = itemsOf(d, res.fdNumber);
    expect(items.map((t) => tagNumber(t, 2106))).toEqual([15, null, 7]);
    expect(tagNumber(d.document(res.fdNumber)?.tags ?? [], 2107)).toBe(1);
    expect(d.markingWork()).toMatchObject({ acceptedCount: 0, unconfirmed: { count: 1, firstNumber: 1 } });
    const [n] = d.notifications();
    expect(n).toMatchObject({ number: 1, createdAt: clock.now(), negative: true, confirmedAt: null });
    expect(n?.body).toMatchObject({
      number: 1, fdNumber: res.fdNumber, operationType: 1, taxSystem: 1, operationKind: 1, fnSerial: d.identity.fnSerial,
      items: [
        { code: KM.shoes, codeType: 4, productId: '010460123456789321ABCDEFGHIJKLM', status: 1, itemCheckResult: 15, name: 'Ботинки', price: 500_000, sum: 500_000, vat: 1, vatSum: 83_333, processingMode: 0 },
        { code: KM.milk, codeType: 5, status: 1, itemCheckResult: 7, sum: 9_000 },
      ],
    });
    // The saved results are gone: the same receipt again is refused.
    expect(rejection(() => d.register(r, { autoOpenShift: true, marking: [a, null, b] }))).toMatchObject({ code: 'invalid_document' });
    // A receipt without marked items leaves no notification.
    d.register(receipt(), { autoOpenShift: true });
    expect(d.notifications()).toHaveLength(1);
  });

  it('refuses a marked item without its accepted code, out of order, or with another 2106, and makes no document', () => {
    const d = device(fakeClock());
    d.openShift(null);
    const last = d.lastFdNumber();
    const declined = checkAndAccept(d, KM.shoes, 'valid', false);
    const e = rejection(() => d.register(receipt({ items: [marked(KM.shoes, 'Кроссовки')] }), { autoOpenShift: false, marking: [declined] }));
    expect(e).toMatchObject({ kind: 'rejected', code: 'invalid_document', retryable: false });
    expect(e.message).toContain('item 1 "Кроссовки"');
    const a = checkAndAccept(d, KM.shoes);
    const b = checkAndAccept(d, KM.shoes2);
    const swapped = receipt({ items: [marked(KM.shoes2), marked(KM.shoes)] });
    expect(rejection(() => d.register(swapped, { autoOpenShift: false, marking: [b, a] })).message).toContain('item 1');
    const inOrder = receipt({ items: [marked(KM.shoes), marked(KM.shoes2)] });
    expect(rejection(() => d.register(inOrder, { autoOpenShift: false, marking: [a, 3] })).message).toMatch(/item 2 .*2106 = 3/);
    expect(rejection(() => d.register(inOrder, { autoOpenShift: false })).message).toMatch(/2106 = none/);
    expect(rejection(() => d.register(receipt(), { autoOpenShift: false, marking: [15] })).message).toMatch(/no marking code/);
    expect(d.lastFdNumber()).toBe(last);
    // The refusals left the saved results in place.
    expect(d.register(inOrder, { autoOpenShift: false, marking: [a, b] }).fdNumber).toBe(last + 1);
  });

  it('a correction receipt with marked items is a notification of kind 2 (2116 bit 1)', () => {
    const d = device(fakeClock());
    const a = checkAndAccept(d, KM.shoes);
    d.register(receipt({ receiptType: 7, items: [marked(KM.shoes)] }), { autoOpenShift: true, marking: [a] });
    expect(d.notifications()[0]?.body.operationKind).toBe(2);
  });

  it('an FFD 1.05 FN refuses every marking call and marked receipts with not_supported', () => {
    const d = device(fakeClock(), { identity: { ffdVersion: '105' } });
    for (const call of [
      () => d.beginMarkingCheck(request(KM.shoes)), () => d.acceptMarkingCode(true), () => d.clearMarkingCodes(), () => d.markingState(),
      () => d.register(receipt({ items: [marked(KM.shoes)] }), { autoOpenShift: true, marking: [15] }),
    ]) {
      expect(rejection(call)).toMatchObject({ kind: 'rejected', code: 'not_supported', deviceCode: '0x37' });
    }
    expect(d.register(receipt(), { autoOpenShift: true }).fdNumber).toBe(3);
  });
});

describe('sale notifications and blocking', () => {
  const sell = (d: FiscalDevice, code: string): void => {
    const a = checkAndAccept(d, code);
    d.register(receipt({ items: [marked(code)] }), { autoOpenShift: true, marking: [a] });
  };

  it('the operator confirms each notification after the delay: the count rises, then falls', () => {
    const clock = fakeClock();
    const d = device(clock);
    sell(d, KM.shoes);
    clock.advance(1000);
    sell(d, KM.shoes2);
    expect(d.markingState()).toEqual({ blocked: false, unconfirmedNotifications: 2, oldestUnconfirmedAt: '2026-10-22T14:43:50+03:00' });
    clock.advance(1000);
    expect(d.markingState()).toMatchObject({ unconfirmedNotifications: 1, oldestUnconfirmedAt: '2026-10-22T14:43:51+03:00' });
    clock.advance(1000);
    expect(d.markingState()).toEqual({ blocked: false, unconfirmedNotifications: 0, oldestUnconfirmedAt: null });
    expect(d.notifications().map((n) => n.confirmedAt)).toEqual([clock.now() - 1000, clock.now()]);
  });

  it('blocks code checks once a notification waits longer than the limit, unblocks after confirmation', () => {
    const clock = fakeClock();
    const d = device(clock, { marking: { operatorReachable: false, blockAfterHours: 72 } });
    sell(d, KM.shoes);
    clock.advance(72 * HOUR_MS);
    expect(d.markingState().blocked).toBe(false);
    clock.advance(1);
    expect(d.markingState()).toMatchObject({ blocked: true, unconfirmedNotifications: 1 });
    expect(d.markingWork().state).toBe(MARKING_WORK_STATES.blocked);
    const e = rejection(() => d.beginMarkingCheck(request(KM.shoes2)));
    expect(e).toMatchObject({ kind: 'rejected', code: 'marking_blocked', deviceCode: '0x34', retryable: true });
    expect(e.message).toContain('sale notification 1');
    // Documents are not blocked: only the code checks.
    d.closeShift(null);
    expect(d.register(receipt(), { autoOpenShift: true }).shiftNumber).toBe(2);
    d.setMarkingOperatorReachable(true);
    clock.advance(2000);
    expect(d.markingState()).toEqual({ blocked: false, unconfirmedNotifications: 0, oldestUnconfirmedAt: null });
    expect(d.beginMarkingCheck(request(KM.shoes2)).request).not.toBeNull();
  });

  it('close-shift and state reports carry 2104, 2112 and 2113; a new period starts after the close', () => {
    const clock = fakeClock();
    const d = device(clock);
    checkAndAccept(d, KM.unknown, 'valid', false);
    sell(d, KM.shoes);
    const invalid = checkAndAccept(d, KM.shoes2, 'invalid_code');
    d.register(receipt({ items: [marked(KM.shoes2)] }), { autoOpenShift: true, marking: [invalid] });
    const state = d.stateReport();
    expect(tagNumber(d.document(state.fdNumber)?.tags ?? [], TAG.unconfirmedNotifications)).toBe(2);
    clock.advance(2000);
    const close = d.closeShift(null);
    const tags = d.document(close.fdNumber)?.tags ?? [];
    // 2112: bit 1 answers calling codes incorrect, bit 2 a receipt (84) for a notification with one; 2113 bit 0 a refused request (2105 = 2).
    expect([TAG.unconfirmedNotifications, TAG.invalidCodesSign, TAG.invalidRequestsSign].map((t) => tagNumber(tags, t))).toEqual([0, 6, 1]);
    sell(d, KM.milk);
    clock.advance(2000);
    const next = d.closeShift(null);
    const nextTags = d.document(next.fdNumber)?.tags ?? [];
    expect([TAG.unconfirmedNotifications, TAG.invalidCodesSign, TAG.invalidRequestsSign].map((t) => tagNumber(nextTags, t))).toEqual([0, 0, 0]);
  });

  it('keeps saved results, the check under way and the notification queue across a reopen', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const clock = fakeClock();
    const file = join(dir, 'fn.sqlite');
    const first = device(clock, { file, marking: { operatorReachable: false } });
    sell(first, KM.milk);
    const a = checkAndAccept(first, KM.shoes, 'wrong_status');
    first.beginMarkingCheck(request(KM.shoes2));
    first.close();
    open.splice(open.indexOf(first), 1);

    const again = device(clock, { file, marking: { operatorReachable: false } });
    expect(again.markingWork()).toMatchObject({ state: MARKING_WORK_STATES.requestFormed, acceptedCount: 1, unconfirmed: { count: 1 } });
    expect(again.completeMarkingCheck(3, operatorReply('valid', { codeType: 4 })).itemCheckResult).toBe(15);
    const b = again.acceptMarkingCode(true);
    const res = again.register(receipt({ items: [marked(KM.shoes), marked(KM.shoes2)] }), { autoOpenShift: true, marking: [a, b] });
    expect(itemsOf(again, res.fdNumber).map((t) => tagNumber(t, 2106))).toEqual([7, 15]);
    expect(again.notifications().map((n) => [n.number, n.body.items.length])).toEqual([[1, 1], [2, 2]]);
  });
});
