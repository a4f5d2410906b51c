/** Receipt factories for the driver contract: valid FiscalReceipts with money in kopecks. */
import { RECEIPT_TYPES } from '../../src/domain/enums.js';
import type { PaymentType, ReceiptType, TaxSystem, Vat1199 } from '../../src/domain/enums.js';
import { lineCost } from '../../src/domain/quantity.js';
import type { Cashier, CorrectionData, FiscalReceipt, ReceiptItem } from '../../src/domain/receipt.js';

export function item(spec: { name?: string; price?: number; quantity?: number; vat?: Vat1199 } = {}): ReceiptItem {
  const price = spec.price ?? 12_345;
  const quantity = spec.quantity ?? 1_000_000;
  return {
    name: spec.name ?? 'Товар «Пробный» №1',
    price,
    quantity,
    total: lineCost(price, quantity),
    vat: spec.vat ?? 1,
    paymentMethod: 4,
    paymentObject: 1,
    unit: null,
    measure: 0,
    quantityPrec: null,
    taxTypeInt: null,
  };
}

export const CASHIER: Cashier = { name: 'Иванова А.А.', inn: '770123456703' };

export interface ReceiptSpec {
  receiptType?: ReceiptType;
  taxSystem?: TaxSystem;
  items?: ReceiptItem[];
  payments?: { type: PaymentType; sum: number }[];
  email?: string | null;
  correction?: CorrectionData | null;
}

export function receipt(spec: ReceiptSpec = {}): FiscalReceipt {
  const receiptType = spec.receiptType ?? 1;
  const type = RECEIPT_TYPES[receiptType];
  const items = spec.items ?? [item()];
  const total = items.reduce((a, i) => a + i.total, 0);
  const payments = spec.payments ?? [{ type: 0, sum: total }];
  const paid = payments.reduce((a, p) => a + p.sum, 0);
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
    correction: type.correction ? (spec.correction ?? { type: 0, reason: 'Не пробит чек', date: '2026-10-20', docNumber: '15' }) : null,
    mistakenReceiptNumber: null,
    cashier: CASHIER,
    needPrint: false,
  };
}
