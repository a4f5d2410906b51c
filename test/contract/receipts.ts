/**
 * Receipt factories for the driver contract: the fiscal core's test factories with the contract's
 * defaults (a price with kopecks, a name with quotes and «», a cashier with an INN for 1021/1203).
 */
import { item as coreItem, receipt as coreReceipt, type ItemSpec, type ReceiptSpec } from '../../src/devices/fiscal-core/testing.js';
import type { ItemExtras } from '../../src/domain/ffd12.js';
import type { Cashier, FiscalReceipt, ReceiptItem } from '../../src/domain/receipt.js';

export const CASHIER: Cashier = { name: 'Иванова А.А.', inn: '770123456703' };

export const item = (spec: ItemSpec = {}): ReceiptItem => coreItem({ name: 'Товар «Пробный» №1', price: 12_345, ...spec });

export const receipt = (spec: ReceiptSpec = {}): FiscalReceipt => coreReceipt({ cashier: CASHIER, ...spec });

/** FFD 1.2 content of one item, everything absent unless given. */
export const extras = (x: Partial<ItemExtras> = {}): ItemExtras => ({
  marking: null, productCode: null, fractional: null, agentSign: null, agent: null, supplier: null, excise: null,
  countryCode: null, customsDeclaration: null, additionalRequisite: null, industry: [], ...x,
});

const GS = '\u001d';
/** Real-format codes (src/domain/marking-code.test.ts names their sources): shoes with 91/92, a 93 pack, a tobacco pack. */
export const SHOES = `0104601662000016215N5QK8bYKOiqp${GS}91EE10${GS}92L3w7oXHrhQKAcIJiOF9uHgx37yNhpGc5AUrZEHQdHO0=`;
export const DAIRY = `01030410947874432155Qbag!${GS}93Zjqw`;
export const TOBACCO = '04606203098187jkMqYwFAABAaMlw';

/** A retail receipt of FFD 1.2: a marked pair of shoes, 3 of a marked pack of 10, and an agent's sale for its supplier. */
export function retailReceipt(): FiscalReceipt {
  const permit = { foivId: '030', docDate: '21.11.2023', docNumber: '1944', value: 'UUID=fb36cd74-3f6e-4c39-8a33-5fd0d17b5b4b&Time=1700571452000' };
  const items: ReceiptItem[] = [
    { ...item({ name: 'Кроссовки', price: 499_000, paymentObject: 33 }), ffd12: extras({ marking: { code: SHOES, plannedStatus: 1 }, industry: [permit] }) },
    { ...item({ name: 'Йогурт, 3 из 10', price: 9_000, vat: 2, paymentObject: 33 }), ffd12: extras({ marking: { code: DAIRY, plannedStatus: 2 }, fractional: { numerator: 3, denominator: 10 } }) },
    {
      ...item({ name: 'Подарочная карта партнёра', price: 100_000, vat: 6, paymentObject: 4 }),
      ffd12: extras({ agentSign: 32, supplier: { name: 'ООО «Партнёр»', phones: ['+74951234567'], inn: '7707083893' } }),
    },
  ];
  const r = receipt({ items, payments: [{ type: 1, sum: items.reduce((a, i) => a + i.total, 0) }] });
  return {
    ...r,
    ffd12: {
      buyer: { name: 'ООО «Покупатель»', inn: '7736207543', birthDate: null, citizenship: null, documentCode: null, documentData: null, address: null },
      operational: null, industry: [permit], userRequisite: null, agentSign: null,
    },
  };
}
