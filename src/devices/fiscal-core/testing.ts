import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECEIPT_TYPES } from '../../domain/enums.js';
import type { Measure, PaymentObject, PaymentType, ReceiptType, TaxSystem, Vat1199 } from '../../domain/enums.js';
import { lineCost } from '../../domain/quantity.js';
import type { Cashier, CorrectionData, FiscalReceipt, ReceiptItem } from '../../domain/receipt.js';
import { DeviceError } from '../driver.js';
import type { Clock } from '../driver.js';

/** Test fixtures for the fiscal core and the drivers built on it. Not used by production code. */

export interface FakeClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

/** 2026-10-22T11:43:50Z = 14:43:50 in Moscow. */
export const T0 = Date.UTC(2026, 9, 22, 11, 43, 50);

export function fakeClock(start = T0): FakeClock {
  let now = start;
  return {
    now: () => now,
    set: (ms) => {
      now = ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

export interface ItemSpec {
  name?: string;
  price?: number;
  /** millionths */
  quantity?: number;
  vat?: Vat1199;
  paymentObject?: PaymentObject;
  unit?: string | null;
  measure?: Measure;
}

export function item(spec: ItemSpec = {}): ReceiptItem {
  const price = spec.price ?? 10_000;
  const quantity = spec.quantity ?? 1_000_000;
  return {
    name: spec.name ?? 'Товар',
    price,
    quantity,
    total: lineCost(price, quantity),
    vat: spec.vat ?? 1,
    paymentMethod: 4,
    paymentObject: spec.paymentObject ?? 1,
    unit: spec.unit ?? null,
    measure: spec.measure ?? 0,
    quantityPrec: null,
    taxTypeInt: null,
  };
}

export interface ReceiptSpec {
  receiptType?: ReceiptType;
  taxSystem?: TaxSystem;
  items?: ReceiptItem[];
  /** Defaults to one cash payment of the exact total. */
  payments?: { type: PaymentType; sum: number }[];
  correction?: CorrectionData | null;
  email?: string | null;
  cashier?: Cashier;
}

export function receipt(spec: ReceiptSpec = {}): FiscalReceipt {
  const receiptType = spec.receiptType ?? 1;
  const items = spec.items ?? [item()];
  const total = items.reduce((a, i) => a + i.total, 0);
  const payments = spec.payments ?? [{ type: 0, sum: total }];
  const paid = payments.reduce((a, p) => a + p.sum, 0);
  const type = RECEIPT_TYPES[receiptType];
  return {
    receiptType,
    operationType: type.operationType,
    taxSystem: spec.taxSystem ?? 1,
    items,
    payments,
    total,
    change: Math.max(0, paid - total),
    email: spec.email ?? null,
    phone: null,
    correction: spec.correction ?? (type.correction ? { type: 0, reason: 'Не пробит чек', date: '2026-10-01', docNumber: '15' } : null),
    mistakenReceiptNumber: null,
    cashier: spec.cashier ?? { name: 'Иванов И.И.', inn: null },
    needPrint: false,
  };
}

/** A temporary directory removed by the returned cleanup. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'cr-fn-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The DeviceError `fn` throws; anything else (or no throw) fails the test. */
export function rejection(fn: () => unknown): DeviceError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DeviceError) return e;
    throw e;
  }
  throw new Error('expected a DeviceError');
}

export async function rejectionOf(promise: Promise<unknown>): Promise<DeviceError> {
  try {
    await promise;
  } catch (e) {
    if (e instanceof DeviceError) return e;
    throw e;
  }
  throw new Error('expected a DeviceError');
}
