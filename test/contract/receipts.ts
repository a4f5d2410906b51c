/**
 * Receipt factories for the driver contract: the fiscal core's test factories with the contract's
 * defaults (a price with kopecks, a name with quotes and «», a cashier with an INN for 1021/1203).
 */
import { item as coreItem, receipt as coreReceipt, type ItemSpec, type ReceiptSpec } from '../../src/devices/fiscal-core/testing.js';
import type { Cashier, FiscalReceipt, ReceiptItem } from '../../src/domain/receipt.js';

export const CASHIER: Cashier = { name: 'Иванова А.А.', inn: '770123456703' };

export const item = (spec: ItemSpec = {}): ReceiptItem => coreItem({ name: 'Товар «Пробный» №1', price: 12_345, ...spec });

export const receipt = (spec: ReceiptSpec = {}): FiscalReceipt => coreReceipt({ cashier: CASHIER, ...spec });
