/**
 * The one test body every FiscalDriver must pass (emulator in process, ATOL and Shtrih through
 * their protocol emulators). A driver plugs in with
 *
 *   runDriverContract('my driver (FFD 1.2)', async () => ({ driver, faults, teardown }));
 *
 * `setup` runs before every test and must return a freshly registered device with a closed shift,
 * its driver made with `checkFence` as DriverContext.checkFence; `faults` is the fault injection of
 * whatever sits behind the driver (virtual register or protocol emulator). Assertions are on stable
 * codes and on the FN archive read back through the driver, never on one driver's wire details.
 *
 * Besides the fiscal behaviour, the suite checks each obligation FiscalDriver's doc comments state
 * for the device worker: `status().lastFdNumber` is `lastFdNumber()` after every kind of document,
 * `document()` is a read whose receipt fields let the worker's own in-doubt resolution
 * (src/workers/in-doubt.ts) find the receipt and rebuild exactly the result `register` returned,
 * `register` never leaves a second document after a lost answer, the fence is asked before the FN
 * step, and `open()` works again after `close()`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RECEIPT_TYPES, vatOf } from '../../src/domain/enums.js';
import type { ReceiptType } from '../../src/domain/enums.js';
import { DeviceError, leaseLost } from '../../src/devices/driver.js';
import type { DeviceErrorCode, DeviceErrorKind, FaultControl, FiscalDriver } from '../../src/devices/driver.js';
import type { FiscalReceipt } from '../../src/domain/receipt.js';
import { documentMatches, resolveInDoubt, resultFromDocument } from '../../src/workers/in-doubt.js';
import { CASHIER, DAIRY, SHOES, item, receipt, retailReceipt } from './receipts.js';
import type { MarkingCheckRequest } from '../../src/devices/driver.js';

export interface ContractDevice {
  driver: FiscalDriver;
  faults: FaultControl;
  teardown(): Promise<void>;
}

const NO_AUTO = { autoOpenShift: false };
const AUTO = { autoOpenShift: true };

/** Awaits a rejection and returns it as a DeviceError (fails the test otherwise). */
async function deviceError(p: Promise<unknown>): Promise<DeviceError> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DeviceError);
    return err as DeviceError;
  }
  throw new Error('expected a DeviceError, the call succeeded');
}

async function expectDeviceError(p: Promise<unknown>, kind: DeviceErrorKind, code: DeviceErrorCode): Promise<DeviceError> {
  const err = await deviceError(p);
  expect({ kind: err.kind, code: err.code }).toEqual({ kind, code });
  return err;
}

/** What the worker's in-doubt resolution concludes for `r` from the device, as the worker asks it. */
async function resolveFromDevice(driver: FiscalDriver, r: FiscalReceipt, fdBefore: number) {
  return resolveInDoubt({
    request: r,
    fdBefore,
    last: await driver.lastFdNumber(),
    document: (n) => driver.document(n),
    taken: async () => false,
    registration: () => driver.registrationInfo(),
  });
}

export function runDriverContract(name: string, setup: (checkFence: () => void) => Promise<ContractDevice>): void {
  describe(`FiscalDriver contract: ${name}`, () => {
    let dev: ContractDevice;
    let driver: FiscalDriver;
    // The worker's fence, as the driver's context sees it: refusing makes every checkFence() throw.
    let refuse = false;
    const checkFence = () => {
      if (refuse) throw leaseLost('refused by the contract test');
    };

    beforeEach(async () => {
      refuse = false;
      dev = await setup(checkFence);
      driver = dev.driver;
      await driver.open();
    });
    afterEach(async () => {
      dev.faults.clear();
      await driver.close();
      await dev.teardown();
    });

    it('reads the registration data and a consistent status', async () => {
      const reg = await driver.registrationInfo();
      expect(reg.registrationNumber.trim()).toMatch(/^\d{16}$/);
      expect(reg.fnSerial).toMatch(/^\d{16}$/);
      expect(reg.companyInn).toMatch(/^(\d{10}|\d{12})$/);
      expect(['105', '120']).toContain(reg.ffdVersion);
      expect(reg.taxSystems).toBeGreaterThan(0);
      expect(reg.companyName.length).toBeGreaterThan(0);
      expect(reg.model.length).toBeGreaterThan(0);

      const st = await driver.status();
      expect(st.fn.serial).toBe(reg.fnSerial);
      expect(st.fn.ffdVersion).toBe(reg.ffdVersion);
      expect(st.fn.phase).toBe('fiscal');
      expect(st.shift.state).toBe('closed');
      expect(st.lastFdNumber).toBeGreaterThanOrEqual(1);
      expect(await driver.lastFdNumber()).toBe(st.lastFdNumber);
      const first = await driver.document(1);
      expect(first?.kind).toBe('registration');
      expect(await driver.document(st.lastFdNumber + 1)).toBeNull();
    });

    it('opens and closes a shift, each as one fiscal document', async () => {
      const before = await driver.lastFdNumber();
      const opened = await driver.openShift(CASHIER);
      expect(opened.fdNumber).toBe(before + 1);
      expect(opened.fiscalSign).toMatch(/^\d{1,10}$/);
      const st = await driver.status();
      expect(st.shift).toMatchObject({ state: 'open', number: opened.shiftNumber, receiptsInShift: 0 });
      expect(st.shift.openedAt).not.toBeNull();
      const openDoc = await driver.document(opened.fdNumber);
      expect(openDoc).toMatchObject({ kind: 'openShift', fdNumber: opened.fdNumber, fiscalSign: opened.fiscalSign, shiftNumber: opened.shiftNumber });

      await expectDeviceError(driver.openShift(CASHIER), 'rejected', 'shift_already_open');

      const closed = await driver.closeShift(CASHIER);
      expect(closed.fdNumber).toBe(before + 2);
      expect(closed.shiftNumber).toBe(opened.shiftNumber);
      expect((await driver.status()).shift.state).toBe('closed');
      expect((await driver.document(closed.fdNumber))?.kind).toBe('closeShift');
      await expectDeviceError(driver.closeShift(CASHIER), 'rejected', 'shift_closed');
      expect(await driver.lastFdNumber()).toBe(before + 2);
    });

    it('refuses a receipt in a closed shift unless asked to open one', async () => {
      const before = await driver.lastFdNumber();
      const err = await expectDeviceError(driver.register(receipt(), NO_AUTO), 'rejected', 'shift_closed');
      expect(err.retryable).toBe(true);
      expect(await driver.lastFdNumber()).toBe(before);

      const r = await driver.register(receipt(), AUTO);
      expect(r.fdNumber).toBe(before + 2); // open-shift report, then the receipt
      expect((await driver.status()).shift.state).toBe('open');
    });

    it('registers every receipt type the FFD allows', async () => {
      const reg = await driver.registrationInfo();
      await driver.openShift(CASHIER);
      const types: ReceiptType[] = reg.ffdVersion === '120' ? [1, 2, 4, 5, 7, 8, 9, 10] : [1, 2, 4, 5, 7, 9];
      let fd = await driver.lastFdNumber();
      let inShift = 0;
      for (const receiptType of types) {
        const r = receipt({ receiptType, items: [item({ price: 1000 * receiptType })] });
        const res = await driver.register(r, NO_AUTO);
        fd += 1;
        inShift += 1;
        expect(res).toMatchObject({ fdNumber: fd, total: r.total, change: 0, receiptInShift: inShift });
        expect(res.registration.fnSerial).toBe(reg.fnSerial);
        const doc = await driver.document(fd);
        expect(doc).toMatchObject({
          kind: RECEIPT_TYPES[receiptType].correction ? 'correction' : 'receipt',
          fdNumber: fd,
          operationType: RECEIPT_TYPES[receiptType].operationType,
          totalSum: r.total,
          fiscalSign: res.fiscalSign,
          dateTime: res.dateTime,
          shiftNumber: res.shiftNumber,
          receiptInShift: inShift,
          taxSystem: 1,
        });
      }
      expect((await driver.status()).shift.receiptsInShift).toBe(inShift);
    });

    it('computes change, payment tags and VAT sums', async () => {
      await driver.openShift(CASHIER);
      const items = [item({ price: 10_000, quantity: 1_500_000, vat: 1 }), item({ name: 'Молоко', price: 8_990, quantity: 2_000_000, vat: 2 })];
      const total = items.reduce((a, i) => a + i.total, 0); // 15000 + 17980
      const r = receipt({ items, payments: [{ type: 1, sum: 20_000 }, { type: 0, sum: 20_000 }], email: 'buyer@example.com' });
      const res = await driver.register(r, NO_AUTO);
      expect(res.total).toBe(total);
      expect(res.change).toBe(40_000 - total);
      const doc = await driver.document(res.fdNumber);
      expect(doc).toMatchObject({ totalSum: total, itemCount: 2, buyerContact: 'buyer@example.com' });
      expect(doc?.json).toHaveProperty('receipt');
      const body = (doc?.json as { receipt: Record<string, unknown> }).receipt;
      expect(body).toMatchObject({
        totalSum: total,
        ecashTotalSum: 20_000,
        cashTotalSum: total - 20_000,
        nds18: vatOf(items[0]?.total ?? 0, 1),
        nds10: vatOf(items[1]?.total ?? 0, 2),
      });
      expect((body.items as unknown[]).length).toBe(2);
    });

    it('reports shift totals by operation type in the X-report', async () => {
      await driver.openShift(CASHIER);
      const sell = await driver.register(receipt({ items: [item({ price: 50_000 })] }), NO_AUTO);
      await driver.register(receipt({ receiptType: 2, items: [item({ price: 20_000 })] }), NO_AUTO);
      const before = await driver.lastFdNumber();
      const x = await driver.xReport();
      expect(x).toMatchObject({ shiftNumber: sell.shiftNumber, receiptsInShift: 2 });
      expect(x.totals).toEqual({ sell: 50_000, sellReturn: 20_000, buy: 0, buyReturn: 0 });
      expect(await driver.lastFdNumber()).toBe(x.fdNumber ?? before);
    });

    it('rejects bad payments with stable codes and fiscalizes nothing', async () => {
      await driver.openShift(CASHIER);
      const before = await driver.lastFdNumber();
      const short = receipt({ payments: [{ type: 0, sum: 100 }] });
      const e1 = await expectDeviceError(driver.register({ ...short, change: 0 }, NO_AUTO), 'rejected', 'insufficient_payment');
      expect(e1.retryable).toBe(false);
      const over = receipt({ payments: [{ type: 1, sum: 99_999 }] });
      await expectDeviceError(driver.register({ ...over, change: 0 }, NO_AUTO), 'rejected', 'noncash_exceeds_total');
      expect(await driver.lastFdNumber()).toBe(before);
      // Nothing is left half-open: the next receipt goes through.
      const ok = await driver.register(receipt(), NO_AUTO);
      expect(ok.fdNumber).toBe(before + 1);
    });

    it('reports paper out as a retryable rejection', async () => {
      await driver.openShift(CASHIER);
      const before = await driver.lastFdNumber();
      dev.faults.inject({ kind: 'paper_out' }, 1);
      const err = await expectDeviceError(driver.register(receipt(), NO_AUTO), 'rejected', 'paper_out');
      expect(err.retryable).toBe(true);
      expect(await driver.lastFdNumber()).toBe(before);
      expect((await driver.register(receipt(), NO_AUTO)).fdNumber).toBe(before + 1);
    });

    it('reports an unreachable device as offline with nothing fiscalized', async () => {
      await driver.openShift(CASHIER);
      const before = await driver.lastFdNumber();
      dev.faults.inject({ kind: 'offline' });
      await expectDeviceError(driver.register(receipt(), NO_AUTO), 'offline', 'device_offline');
      dev.faults.clear('offline');
      expect(await driver.lastFdNumber()).toBe(before);
      expect((await driver.register(receipt(), NO_AUTO)).fdNumber).toBe(before + 1);
    });

    it('answer lost after the FN closed the receipt: in_doubt, resolved by the FD counter without a duplicate', async () => {
      await driver.openShift(CASHIER);
      const before = await driver.lastFdNumber();
      const r = receipt({ items: [item({ price: 77_700 })] });
      dev.faults.inject({ kind: 'lose_answer_after_close' }, 1);
      await expectDeviceError(driver.register(r, NO_AUTO), 'in_doubt', 'answer_lost');

      // Exactly one document, and the worker's resolution finds it as this receipt's.
      const last = await driver.lastFdNumber();
      expect(last).toBe(before + 1);
      const doc = await driver.document(last);
      expect(doc).toMatchObject({ kind: 'receipt', totalSum: r.total, operationType: 1 });
      expect(await driver.document(last + 1)).toBeNull();
      expect(await resolveFromDevice(driver, r, before)).toMatchObject({ outcome: 'registered', fdNumber: before + 1 });
      // The device is usable again and numbers on from there.
      expect((await driver.register(receipt(), NO_AUTO)).fdNumber).toBe(before + 2);
    });

    it('link cut before the FN closed the receipt: in_doubt, resolved as not registered, re-sent once', async () => {
      await driver.openShift(CASHIER);
      const before = await driver.lastFdNumber();
      const r = receipt({ items: [item({ price: 55_500 })] });
      dev.faults.inject({ kind: 'disconnect_before_close' }, 1);
      await expectDeviceError(driver.register(r, NO_AUTO), 'in_doubt', 'answer_lost');
      expect(await driver.lastFdNumber()).toBe(before);
      expect(await resolveFromDevice(driver, r, before)).toEqual({ outcome: 'not_registered' });
      const res = await driver.register(r, NO_AUTO);
      expect(res.fdNumber).toBe(before + 1);
      expect(await driver.lastFdNumber()).toBe(before + 1);
      expect((await driver.document(before + 1))?.totalSum).toBe(r.total);
    });

    it('obligation: status().lastFdNumber is lastFdNumber(), the number of the last document of any kind', async () => {
      const same = async (expected: number) => {
        expect(await driver.lastFdNumber()).toBe(expected);
        expect((await driver.status()).lastFdNumber).toBe(expected);
      };
      const opened = await driver.openShift(CASHIER);
      await same(opened.fdNumber);
      const sold = await driver.register(receipt(), NO_AUTO);
      expect(sold.fdNumber).toBe(opened.fdNumber + 1);
      await same(sold.fdNumber);
      const x = await driver.xReport();
      await same(x.fdNumber ?? sold.fdNumber);
      const closed = await driver.closeShift(CASHIER);
      await same(closed.fdNumber);
      // Auto-opened shift: two documents, the receipt last.
      const auto = await driver.register(receipt(), AUTO);
      expect(auto.fdNumber).toBe(closed.fdNumber + 2);
      await same(auto.fdNumber);
    });

    it('obligation: document() is a read; null for 0 and past the last document', async () => {
      await driver.openShift(CASHIER);
      const res = await driver.register(receipt(), NO_AUTO);
      for (let n = 0; n <= res.fdNumber + 1; n++) await driver.document(n);
      expect(await driver.document(0)).toBeNull();
      expect(await driver.document(res.fdNumber + 1)).toBeNull();
      expect(await driver.lastFdNumber()).toBe(res.fdNumber);
      expect((await driver.status()).shift.receiptsInShift).toBe(1);
    });

    it('obligation: a receipt read back is found by in-doubt matching and gives back the result register returned', async () => {
      await driver.openShift(CASHIER);
      const reg = await driver.registrationInfo();
      const byEmail = receipt({ items: [item(), item({ name: 'Второй', price: 990 })], payments: [{ type: 0, sum: 20_000 }], email: 'buyer@example.com' });
      const byPhone = { ...receipt({ receiptType: 2, items: [item({ price: 4_321 })] }), phone: '+79001234567' };
      for (const r of [byEmail, byPhone]) {
        const res = await driver.register(r, NO_AUTO);
        const doc = await driver.document(res.fdNumber);
        expect(doc).not.toBeNull();
        if (!doc) return;
        expect(documentMatches(doc, r)).toBe(true);
        expect(resultFromDocument(doc, r, reg)).toEqual(res);
        // Not a different receipt: another total, or another operation type.
        expect(documentMatches(doc, { ...r, total: r.total + 1 })).toBe(false);
        expect(documentMatches(doc, { ...r, operationType: r.operationType === 1 ? 2 : 1 })).toBe(false);
      }
    });

    it('obligation: a refused fence stops register and shift documents before the FN; nothing is fiscalized', async () => {
      const before = await driver.lastFdNumber();
      refuse = true;
      await expectDeviceError(driver.openShift(CASHIER), 'offline', 'lease_lost');
      await expectDeviceError(driver.register(receipt(), AUTO), 'offline', 'lease_lost');
      refuse = false;
      expect(await driver.lastFdNumber()).toBe(before);
      await driver.openShift(CASHIER);
      refuse = true;
      await expectDeviceError(driver.register(receipt(), NO_AUTO), 'offline', 'lease_lost');
      await expectDeviceError(driver.closeShift(CASHIER), 'offline', 'lease_lost');
      refuse = false;
      expect(await driver.lastFdNumber()).toBe(before + 1);
      expect((await driver.register(receipt(), NO_AUTO)).fdNumber).toBe(before + 2);
    });

    /** Checks and accepts each marked item of `r` as the worker does (workers/marking.ts); 2106 per item. */
    async function acceptAll(r: FiscalReceipt): Promise<(number | null)[]> {
      await driver.clearMarkingCodes();
      const checks: (number | null)[] = [];
      for (const it of r.items) {
        const m = it.ffd12?.marking;
        if (!m) {
          checks.push(null);
          continue;
        }
        const measured = m.plannedStatus === 2 || m.plannedStatus === 4;
        const request: MarkingCheckRequest = { code: m.code, plannedStatus: m.plannedStatus, measure: it.measure, quantity: measured ? it.quantity : null, fractional: it.ffd12?.fractional ?? null, offline: false };
        const result = await driver.checkMarkingCode(request);
        expect(result.fn.checked || result.fn.reason !== 'checked', 'the FN says whether it checked the code').toBe(true);
        checks.push(await driver.acceptMarkingCode(true));
      }
      return checks;
    }

    it('FFD 1.2: marked piece and fractional items, an agent sale with its supplier, a buyer and industry requisites read back with all tags', async () => {
      const reg = await driver.registrationInfo();
      if (reg.ffdVersion === '105') {
        const request: MarkingCheckRequest = { code: SHOES, plannedStatus: 1, measure: 0, quantity: null, fractional: null, offline: false };
        await expectDeviceError(driver.checkMarkingCode(request), 'rejected', 'not_supported');
        return;
      }
      const r = retailReceipt();
      const checks = await acceptAll(r);
      expect(checks[0]).toBe(15);
      const res = await driver.register(r, { ...AUTO, marking: checks });
      const doc = await driver.document(res.fdNumber);
      const body = (doc?.json.receipt ?? {}) as Record<string, unknown>;
      const items = body.items as Record<string, unknown>[];
      expect(items[0]).toMatchObject({
        productType: 33, labelCodeProcesMode: 0, checkingProdInformationResult: 15,
        productCodeNew: { gs1m: { rawProductCode: '0104601662000016215N5QK8bYKOiqp', gtin: '04601662000016', sernum: '5N5QK8bYKOiqp' } },
        itemsIndustryDetails: [{ idFoiv: '030', foundationDocDateTime: '21.11.2023', foundationDocNumber: '1944' }],
      });
      expect(items[1]).toMatchObject({
        itemsQuantityMeasure: 0, productCodeNew: { gs1m: { gtin: '03041094787443', sernum: '55Qbag!' } },
        labeledProdFractionalQuantity: { fractionalPart: '3/10', numerator: 3, denominator: 10 },
      });
      // CP866 (an FN's strings) has no «»: Shtrih-M registers write them as ASCII quotes.
      expect(items[2]).toMatchObject({ paymentAgentByProductType: 32, providerInn: '7707083893  ', providerData: { providerName: expect.stringMatching(/^ООО ["«]Партнёр["»]$/) as unknown, providerPhone: ['+74951234567'] } });
      expect(items[2]).not.toHaveProperty('productCodeNew');
      expect(body).toMatchObject({
        checkingLabeledProdResult: 0,
        buyerInformation: { buyer: expect.stringMatching(/^ООО ["«]Покупатель["»]$/) as unknown, buyerInn: '7736207543  ' },
        industryReceiptDetails: [{ idFoiv: '030' }],
      });
      const state = await driver.markingState();
      expect(state.blocked).toBe(false);
      expect(state.unconfirmedNotifications).toBeGreaterThanOrEqual(1);
    });

    it('FFD 1.2: a marked item whose code was not accepted is refused and nothing is fiscalized', async () => {
      if ((await driver.registrationInfo()).ffdVersion === '105') return;
      const r = receipt({ items: [{ ...item({ paymentObject: 33 }), ffd12: { ...retailReceipt().items[1]!.ffd12!, marking: { code: DAIRY, plannedStatus: 1 }, fractional: null } }] });
      await driver.clearMarkingCodes();
      const before = await driver.lastFdNumber();
      const err = await deviceError(driver.register(r, { ...AUTO, marking: [15] }));
      expect(err.kind).toBe('rejected');
      expect(await driver.lastFdNumber()).toBe(before);
    });

    it('obligation: open() works again after close(), and close() twice is harmless', async () => {
      const before = await driver.lastFdNumber();
      await driver.close();
      await driver.close();
      await driver.open();
      expect(await driver.lastFdNumber()).toBe(before);
      expect((await driver.register(receipt(), AUTO)).fdNumber).toBe(before + 2);
    });
  });
}
