import type { ItemExtras, ReceiptExtras } from './ffd12.js';
import type { Measure, OperationType, PaymentMethod, PaymentObject, PaymentType, ReceiptType, TaxSystem, Vat1199 } from './enums.js';

/**
 * A receipt as cr-server stores it and hands it to a device: validated, money in kopecks,
 * quantities in millionths, every enumeration already mapped to its FFD tag value.
 * Stored as JSON in `receipts.request`; drivers translate it to their wire format.
 */
export interface ReceiptItem {
  /** 1030 */
  name: string;
  /** 1079, kopecks */
  price: number;
  /** 1023, millionths */
  quantity: number;
  /** 1043 = round(price × quantity), kopecks */
  total: number;
  /** 1199 */
  vat: Vat1199;
  /** 1214 */
  paymentMethod: PaymentMethod;
  /** 1212 */
  paymentObject: PaymentObject;
  /** 1197 free-text unit (FFD 1.05) */
  unit: string | null;
  /** 2108 measure (FFD 1.2); 0 (piece) when not given */
  measure: Measure;
  /** The original's informational `quantity_prec`, echoed back. */
  quantityPrec: number | null;
  /** The API code the client sent, echoed back as `tax_type_int`. */
  taxTypeInt: number | null;
  /** FFD 1.2 content (marking, agent, supplier, …); absent on receipts that carry none. */
  ffd12?: ItemExtras;
}

export interface ReceiptPayment {
  type: PaymentType;
  /** kopecks */
  sum: number;
}

export interface CorrectionData {
  /** 1173: 0 self-correction, 1 by tax authority instruction */
  type: 0 | 1;
  /** 1177 (FFD 1.05) */
  reason: string;
  /** 1178, ISO date yyyy-mm-dd */
  date: string;
  /** 1179 */
  docNumber: string;
}

export interface Cashier {
  /** 1021 */
  name: string;
  /** 1203 */
  inn: string | null;
}

export interface FiscalReceipt {
  receiptType: ReceiptType;
  /** 1054 */
  operationType: OperationType;
  /** 1055 */
  taxSystem: TaxSystem;
  items: ReceiptItem[];
  payments: ReceiptPayment[];
  /** 1020 = Σ 1043 */
  total: number;
  /** Cash in excess of the total. */
  change: number;
  email: string | null;
  /** Normalized: +7XXXXXXXXXX for Russian numbers, else +digits. */
  phone: string | null;
  correction: CorrectionData | null;
  /** 1192 */
  mistakenReceiptNumber: string | null;
  cashier: Cashier | null;
  needPrint: boolean;
  /** FFD 1.2 content of the receipt (buyer, operational and industry requisites); absent when none. */
  ffd12?: ReceiptExtras;
}

/** The per-tag payment sums of a receipt (domain.md §1.5); cash is net of change, so they add up to 1020. */
export interface PaymentTotals {
  cash: number;
  electronic: number;
  prepaid: number;
  credit: number;
  other: number;
}

export function paymentTotals(r: Pick<FiscalReceipt, 'payments' | 'change'>): PaymentTotals {
  const t: PaymentTotals = { cash: 0, electronic: 0, prepaid: 0, credit: 0, other: 0 };
  for (const p of r.payments) {
    switch (p.type) {
      case 0: t.cash += p.sum; break;
      case 1: t.electronic += p.sum; break;
      case 2: t.prepaid += p.sum; break;
      case 3: t.credit += p.sum; break;
      case 4: t.other += p.sum; break;
    }
  }
  t.cash -= r.change;
  return t;
}

/** The buyer contact that goes into tag 1008. */
export const buyerContact = (r: Pick<FiscalReceipt, 'email' | 'phone'>): string | null => r.email ?? r.phone;
