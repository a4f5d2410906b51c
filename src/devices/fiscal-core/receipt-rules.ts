import { FFD12_ONLY_OBJECTS, RECEIPT_TYPES, isTaxSystem, isVat1199 } from '../../domain/enums.js';
import type { OperationType } from '../../domain/enums.js';
import { lineCost } from '../../domain/quantity.js';
import type { FiscalReceipt } from '../../domain/receipt.js';
import { rejected } from './errors.js';
import type { FnIdentity } from './identity.js';

/** What the device computes from a receipt it accepts. */
export interface CheckedReceipt {
  correction: boolean;
  operationType: OperationType;
  total: number;
  /** Cash in excess of the total. */
  change: number;
  /** 1031, 1081, 1215, 1216, 1217: cash net of change, so they add up to 1020 (domain.md §1.5). */
  sums: { cash: number; electronic: number; prepaid: number; credit: number; other: number };
}

const isMoney = (n: number): boolean => Number.isSafeInteger(n) && n >= 0;

/**
 * The checks a KKT + FN make before closing a receipt (domain.md §2.4, §1.6, §1.7). Each refusal is
 * a DeviceError('rejected') with a stable code; nothing here touches device state.
 */
export function checkReceipt(r: FiscalReceipt, id: FnIdentity): CheckedReceipt {
  const type = RECEIPT_TYPES[r.receiptType];
  if (!type) throw rejected('invalid_document', `unknown receipt type ${String(r.receiptType)}`);
  if (type.operationType !== r.operationType) {
    throw rejected('invalid_document', `1054=${r.operationType} does not match receipt type ${r.receiptType}`);
  }
  checkTaxSystem(r, id);
  // 1021 is mandatory in receipts and corrections of a register not in automatic mode (1001 = 0).
  if (!id.automaticMode && r.cashier === null) throw rejected('cashier_required', 'the register is not in automatic mode; 1021 is required');
  if (type.correction) checkCorrection(r, id);
  else if (r.correction !== null) throw rejected('invalid_document', 'correction data on a normal receipt');

  // 1.05 corrections may be totals-only (domain.md §1.6); everything else needs items.
  const itemsOptional = type.correction && id.ffdVersion === '105';
  if (r.items.length === 0 && !itemsOptional) throw rejected('invalid_document', 'a receipt needs at least one item (1059)');
  let itemsTotal = 0;
  r.items.forEach((item, i) => {
    if (!isMoney(item.price) || !Number.isSafeInteger(item.quantity) || item.quantity <= 0) {
      throw rejected('invalid_document', `item ${i + 1}: bad price or quantity`);
    }
    if (!isVat1199(item.vat)) throw rejected('invalid_document', `item ${i + 1}: unknown 1199 rate ${String(item.vat)}`);
    if (id.ffdVersion === '105' && FFD12_ONLY_OBJECTS.has(item.paymentObject)) {
      throw rejected('invalid_document', `item ${i + 1}: 1212=${item.paymentObject} exists only in FFD 1.2`);
    }
    const expected = lineCost(item.price, item.quantity);
    if (item.total !== expected) {
      throw rejected('sum_mismatch', `item ${i + 1}: 1043=${item.total}, price × quantity = ${expected}`);
    }
    itemsTotal += item.total;
  });
  if (r.items.length > 0 && r.total !== itemsTotal) {
    throw rejected('sum_mismatch', `1020=${r.total}, Σ 1043 = ${itemsTotal}`);
  }
  if (!Number.isSafeInteger(r.total) || r.total <= 0) throw rejected('zero_total');

  const sums = { cash: 0, electronic: 0, prepaid: 0, credit: 0, other: 0 };
  for (const p of r.payments) {
    if (!isMoney(p.sum)) throw rejected('invalid_document', `bad payment sum ${p.sum}`);
    switch (p.type) {
      case 0: sums.cash += p.sum; break;
      case 1: sums.electronic += p.sum; break;
      case 2: sums.prepaid += p.sum; break;
      case 3: sums.credit += p.sum; break;
      case 4: sums.other += p.sum; break;
      default: throw rejected('invalid_document', `unknown payment type ${String(p.type)}`);
    }
  }
  const nonCash = sums.electronic + sums.prepaid + sums.credit + sums.other;
  if (sums.cash + nonCash < r.total) throw rejected('insufficient_payment', `paid ${sums.cash + nonCash} of ${r.total}`);
  // Only cash can be handed back; a card payment larger than the receipt is an error (ATOL 52, Shtrih 0x4D).
  if (nonCash > r.total) throw rejected('noncash_exceeds_total', `non-cash ${nonCash} > ${r.total}`);
  const change = sums.cash + nonCash - r.total;
  sums.cash -= change;
  return { correction: type.correction, operationType: r.operationType, total: r.total, change, sums };
}

function checkTaxSystem(r: FiscalReceipt, id: FnIdentity): void {
  // 1055 is exactly one bit, and it must be one the FN was registered with (1062).
  if (!isTaxSystem(r.taxSystem) || (id.taxSystems & r.taxSystem) === 0) {
    throw rejected('tax_system_not_registered', `1055=${String(r.taxSystem)}, registered 1062=${id.taxSystems}`);
  }
}

function checkCorrection(r: FiscalReceipt, id: FnIdentity): void {
  const c = r.correction;
  if (c === null) throw rejected('invalid_document', 'a correction receipt needs 1173/1174');
  if (c.type !== 0 && c.type !== 1) throw rejected('invalid_document', `1173=${String(c.type)}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(c.date)) throw rejected('invalid_document', `1178 date "${c.date}"`);
  switch (id.ffdVersion) {
    case '105':
      // FFD 1.05 knows only income and expense corrections (RT_SELL_CORRECTION 7, RT_BUY_CORRECTION 9).
      if (r.operationType !== 1 && r.operationType !== 3) {
        throw rejected('invalid_document', `FFD 1.05 corrections allow 1054 = 1 or 3, got ${r.operationType}`);
      }
      if (c.docNumber.trim() === '') throw rejected('invalid_document', '1179 is required in FFD 1.05');
      break;
    case '120':
      // 1179 is the FNS instruction number: present exactly when the correction is by instruction.
      if (c.type === 1 && c.docNumber.trim() === '') throw rejected('invalid_document', '1179 is required when 1173=1');
      break;
  }
}
