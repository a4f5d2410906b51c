/**
 * Enumerations of the API and of FFD, one table per concept (domain.md §1.4).
 * API codes are the original product's (ATOL driver constants); the FFD tag values they map to
 * are kept next to them so no mapping is scattered through the code.
 */

import { lookupTable } from './lookup.js';

/** API `receiptType` (ATOL LIBFPTR_RT_* constants) → tag 1054 and whether it is a correction (doc 31). */
export const RECEIPT_TYPES = {
  1: { name: 'sell', operationType: 1, correction: false },
  2: { name: 'sellReturn', operationType: 2, correction: false },
  4: { name: 'buy', operationType: 3, correction: false },
  5: { name: 'buyReturn', operationType: 4, correction: false },
  7: { name: 'sellCorrection', operationType: 1, correction: true },
  8: { name: 'sellReturnCorrection', operationType: 2, correction: true },
  9: { name: 'buyCorrection', operationType: 3, correction: true },
  10: { name: 'buyReturnCorrection', operationType: 4, correction: true },
} as const;
export type ReceiptType = keyof typeof RECEIPT_TYPES;
export const RECEIPT_TYPE_CODES = Object.keys(RECEIPT_TYPES).map(Number) as ReceiptType[];
export const isReceiptType = (n: unknown): n is ReceiptType => typeof n === 'number' && n in RECEIPT_TYPES;

/** Tag 1054 calculation sign. */
export type OperationType = 1 | 2 | 3 | 4;

/** Tag 1055 / 1062 bits: API `tax_system` uses the same values. */
export const TAX_SYSTEMS = {
  1: 'osn',
  2: 'usnIncome',
  4: 'usnIncomeOutcome',
  8: 'envd',
  16: 'esn',
  32: 'patent',
} as const;
export type TaxSystem = keyof typeof TAX_SYSTEMS;
export const TAX_SYSTEM_CODES = Object.keys(TAX_SYSTEMS).map(Number) as TaxSystem[];
export const isTaxSystem = (n: unknown): n is TaxSystem => typeof n === 'number' && n in TAX_SYSTEMS;

/**
 * Tag 1199 VAT rate. `rate` is the percentage; `included` marks the calculated rates (20/120 ...),
 * where the VAT is the share r/(100+r) of the sum. For the plain rates the price also includes
 * VAT (54-FZ prices are gross), so the item VAT is computed the same way.
 */
export const VAT_RATES = {
  1: { name: 'vat20', rate: 20, calculated: false },
  2: { name: 'vat10', rate: 10, calculated: false },
  3: { name: 'vat120', rate: 20, calculated: true },
  4: { name: 'vat110', rate: 10, calculated: true },
  5: { name: 'vat0', rate: 0, calculated: false },
  6: { name: 'none', rate: null, calculated: false },
  7: { name: 'vat5', rate: 5, calculated: false },
  8: { name: 'vat7', rate: 7, calculated: false },
  9: { name: 'vat105', rate: 5, calculated: true },
  10: { name: 'vat107', rate: 7, calculated: true },
  11: { name: 'vat22', rate: 22, calculated: false },
  12: { name: 'vat122', rate: 22, calculated: true },
} as const;
export type Vat1199 = keyof typeof VAT_RATES;
export const VAT_1199_CODES = Object.keys(VAT_RATES).map(Number) as Vat1199[];
export const isVat1199 = (n: unknown): n is Vat1199 => typeof n === 'number' && n in VAT_RATES;

/** API `tax_type_int` (ATOL constants, api.md) → tag 1199. */
export const TAX_TYPE_INT_TO_1199: Readonly<Record<number, Vat1199>> = lookupTable({ 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 1, 8: 3 });
/** API `tax_type` names → tag 1199. */
export const TAX_TYPE_NAME_TO_1199: Readonly<Record<string, Vat1199>> = lookupTable(
  Object.fromEntries(Object.entries(VAT_RATES).map(([code, v]) => [v.name, Number(code) as Vat1199])),
);
/** Tag 1199 → the original's `tax_type_int` in responses (null when the integer codes lack the rate). */
export const VAT_1199_TO_TAX_TYPE_INT: Record<Vat1199, number | null> = {
  1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: null, 8: null, 9: null, 10: null, 11: null, 12: null,
};

/** VAT in kopecks of a gross sum at a 1199 rate: round(sum × r / (100 + r)) half-up (domain.md §2.4). */
export function vatOf(sumKopecks: number, vat: Vat1199): number {
  const { rate } = VAT_RATES[vat];
  if (rate === null || rate === 0) return 0;
  return Math.floor((sumKopecks * rate * 2 + (100 + rate)) / (2 * (100 + rate)));
}

/** API `payment_type_int` → the receipt sum tag it feeds (domain.md §1.5). */
export const PAYMENT_TYPES = {
  0: { name: 'cash', tag: 1031 },
  1: { name: 'electronically', tag: 1081 },
  2: { name: 'prepaid', tag: 1215 },
  3: { name: 'credit', tag: 1216 },
  4: { name: 'other', tag: 1217 },
} as const;
export type PaymentType = keyof typeof PAYMENT_TYPES;
export const isPaymentType = (n: unknown): n is PaymentType => typeof n === 'number' && n in PAYMENT_TYPES;

/** Tag 1214 payment method (API `payment_state_int`). */
export const PAYMENT_METHODS = {
  1: 'fullPrepayment',
  2: 'prepayment',
  3: 'advance',
  4: 'fullPayment',
  5: 'partialPayment',
  6: 'credit',
  7: 'creditPayment',
} as const;
export type PaymentMethod = keyof typeof PAYMENT_METHODS;
export const isPaymentMethod = (n: unknown): n is PaymentMethod => typeof n === 'number' && n in PAYMENT_METHODS;

/** Tag 1212 subject of calculation (API `commodity_type_int`); 20–27 and 30–33 are FFD 1.2 only. */
export const PAYMENT_OBJECTS = {
  1: 'commodity', 2: 'excise', 3: 'job', 4: 'service', 5: 'gamblingBet', 6: 'gamblingPrize',
  7: 'lottery', 8: 'lotteryPrize', 9: 'intellectualActivity', 10: 'payment', 11: 'agentCommission',
  12: 'composite', 13: 'another', 14: 'proprietaryLaw', 15: 'nonOperatingIncome',
  16: 'otherContributions', 17: 'merchantTax', 18: 'resortFee', 19: 'deposit', 20: 'consumption',
  21: 'soleProprietorCPIContributions', 22: 'cpiContributions', 23: 'soleProprietorCMIContributions',
  24: 'cmiContributions', 25: 'csiContributions', 26: 'casinoPayment', 27: 'fundsIssuance',
  30: 'exciseWithoutMarking', 31: 'exciseWithMarking', 32: 'commodityWithoutMarking', 33: 'commodityWithMarking',
} as const;
export type PaymentObject = keyof typeof PAYMENT_OBJECTS;
export const isPaymentObject = (n: unknown): n is PaymentObject => typeof n === 'number' && n in PAYMENT_OBJECTS;
export const FFD12_ONLY_OBJECTS: ReadonlySet<number> = new Set([20, 21, 22, 23, 24, 25, 26, 27, 30, 31, 32, 33]);

/** Tag 2108 measure of quantity (FFD 1.2). */
export const MEASURES = {
  0: 'piece', 10: 'gram', 11: 'kilogram', 12: 'ton', 20: 'centimeter', 21: 'decimeter', 22: 'meter',
  30: 'squareCentimeter', 31: 'squareDecimeter', 32: 'squareMeter', 40: 'milliliter', 41: 'liter',
  42: 'cubicMeter', 50: 'kilowattHour', 51: 'gkal', 70: 'day', 71: 'hour', 72: 'minute', 73: 'second',
  80: 'kilobyte', 81: 'megabyte', 82: 'gigabyte', 83: 'terabyte', 255: 'otherUnits',
} as const;
export type Measure = keyof typeof MEASURES;
export const isMeasure = (n: unknown): n is Measure => typeof n === 'number' && n in MEASURES;

/** FFD version as the API reports it (`ffd_version`) and as tag 1209 encodes it. */
export const FFD_VERSIONS = { '105': 2, '120': 4 } as const;
export type FfdVersion = keyof typeof FFD_VERSIONS;

/** Receipt states of api.md. */
export const RECEIPT_STATES = ['pending', 'processing', 'success', 'failed', 'in_doubt'] as const;
export type ReceiptState = (typeof RECEIPT_STATES)[number];
