import { describe, expect, it } from 'vitest';
import { DomainError } from './errors.js';
import type { ReceiptContext, ReceiptInput, ProductInput } from './receipt-input.js';
import { ffdDate, defaultPlannedStatus } from './validate-ffd12.js';
import { validateReceipt } from './validate-receipt.js';

const GS = '\u001d';
const SHOES = `0104601662000016215N5QK8bYKOiqp${GS}91EE10${GS}92L3w7oXHrhQKAcIJiOF9uHgx37yNhpGc5AUrZEHQdHO0=`;
const DAIRY = `01030410947874432155Qbag!${GS}93Zjqw`;
const TOBACCO = '04606203098187jkMqYwFAABAaMlw';

const ctx12: ReceiptContext = { defaultTaxSystem: 1, defaultVat: 1, ffdVersion: '120', registeredTaxSystems: 63, today: '2026-11-28' };
const ctx105: ReceiptContext = { ...ctx12, ffdVersion: '105' };
const product = (x: Partial<ProductInput> = {}): ProductInput => ({ name: 'Товар', price: 100, quantity: 1, payment_state_int: 4, commodity_type_int: 33, marking_code: SHOES, ...x });
const receipt = (products: ProductInput[], x: Partial<ReceiptInput> = {}): ReceiptInput => ({
  receiptType: 1, email: 'a@b.ru', products, payments: [{ payment_type_int: 1, payment_sum: products.reduce((a, p) => a + Number(p.price), 0) }], ...x,
});

/** Every error of a refused receipt, as `field:code`. */
function errorsOf(input: ReceiptInput, ctx = ctx12): string[] {
  try {
    validateReceipt(input, ctx);
  } catch (e) {
    if (e instanceof DomainError) return e.errors.map((x) => `${x.field ?? ''}:${x.code}`);
    throw e;
  }
  return [];
}

describe('FFD 1.2 fields of a receipt', () => {
  it('turns a marked item into ItemExtras: the code with GS, 2003 from the receipt type', () => {
    const r = validateReceipt(receipt([product()]), ctx12);
    expect(r.items[0]?.ffd12?.marking).toEqual({ code: SHOES, plannedStatus: 1 });
    const ret = validateReceipt(receipt([product()], { receiptType: 2 }), ctx12);
    expect(ret.items[0]?.ffd12?.marking?.plannedStatus).toBe(3);
    // base64 of the code is accepted and stored as the code itself.
    const b64 = validateReceipt(receipt([product({ marking_code: Buffer.from(SHOES).toString('base64') })]), ctx12);
    expect(b64.items[0]?.ffd12?.marking?.code).toBe(SHOES);
    // The literal <GS> some clients send becomes the separator.
    const literal = validateReceipt(receipt([product({ marking_code: SHOES.replaceAll(GS, '<GS>') })]), ctx12);
    expect(literal.items[0]?.ffd12?.marking?.code).toBe(SHOES);
  });

  it('a fraction of a marked unit is sold with status 2, quantity 1 and 1291', () => {
    const r = validateReceipt(receipt([product({ marking_code: DAIRY, fractional_quantity: { numerator: 3, denominator: 10 } })]), ctx12);
    expect(r.items[0]?.ffd12).toMatchObject({ marking: { plannedStatus: 2 }, fractional: { numerator: 3, denominator: 10 } });
    expect(errorsOf(receipt([product({ marking_code: DAIRY, quantity: 2, fractional_quantity: { numerator: 3, denominator: 10 } })]))).toContain('products[0].quantity:invalid_quantity');
    expect(errorsOf(receipt([product({ fractional_quantity: { numerator: 10, denominator: 10 } })]))).toContain('products[0].fractional_quantity:invalid_fraction');
    expect(errorsOf(receipt([product({ planned_status: 1, fractional_quantity: { numerator: 1, denominator: 2 } })]))).toContain('products[0].planned_status:invalid_planned_status');
  });

  it('refuses malformed or misplaced marking data with the field named', () => {
    expect(errorsOf(receipt([product({ marking_code: '0104601662000017215N5QK8bYKOiqp' })]))).toEqual(['products[0].marking_code:invalid_marking_code']);
    expect(errorsOf(receipt([product({ commodity_type_int: 1 })]))).toEqual(['products[0].commodity_type_int:marked_subject_required']);
    expect(errorsOf(receipt([product({ marking_code: null })]))).toEqual(['products[0].marking_code:marking_code_required']);
    expect(errorsOf(receipt([product(), product()]))).toEqual(['products[1].marking_code:duplicate_marking_code']);
    expect(errorsOf(receipt([product({ planned_status: 7 })]))).toEqual(['products[0].planned_status:invalid_planned_status']);
    expect(errorsOf(receipt([product({ commodity_type_int: 1, marking_code: null, planned_status: 1 })]))).toEqual(['products[0].planned_status:not_allowed']);
    expect(errorsOf(receipt([product({ product_code: { kind: 'ean13', value: '4601662000016' } })]))).toEqual(['products[0].product_code:conflicting_fields']);
  });

  it('checks agents, suppliers, product codes, excise, origin and industry requisites against FFD', () => {
    const plain = (x: Partial<ProductInput>) => product({ commodity_type_int: 1, marking_code: null, ...x });
    const ok = validateReceipt(receipt([plain({
      agent_sign: 32, supplier: { name: 'ООО «Партнёр»', inn: '7707083893', phones: ['8 (495) 123-45-67'] },
      agent: { operation: 'Продажа', phones: ['+7 916 000 00 00'], transfer_operator_inn: '500100732259' },
      product_code: { kind: 'ean13', value: '4601662000016' }, excise: '12.50', country_code: '156', customs_declaration: '10702070/010120/0000001',
      additional_requisite: 'серия 7', industry_requisites: [{ foiv_id: '030', doc_date: '21.11.2023', doc_number: '1944', value: 'UUID=fb36&Time=1700571452000' }],
    })]), ctx12);
    expect(ok.items[0]?.ffd12).toMatchObject({
      agentSign: 32, supplier: { inn: '7707083893', phones: ['+74951234567'] }, agent: { agentPhones: ['+79160000000'] },
      productCode: { kind: 'ean13', value: '4601662000016' }, excise: 1250, countryCode: '156',
      industry: [{ foivId: '030', docDate: '21.11.2023', docNumber: '1944' }],
    });
    expect(errorsOf(receipt([plain({ agent_sign: 4 })]))).toEqual(['products[0].supplier:required']);
    expect(errorsOf(receipt([plain({ agent_sign: 3, supplier: { inn: '7707083893' } })]))).toEqual(['products[0].agent_sign:invalid_agent_sign']);
    expect(errorsOf(receipt([plain({ agent_sign: 4, supplier: { inn: '7707083894' } })]))).toEqual(['products[0].supplier.inn:invalid_inn']);
    expect(errorsOf(receipt([plain({ product_code: { kind: 'ean13', value: '46016620' } })]))).toEqual(['products[0].product_code.value:invalid_product_code']);
    expect(errorsOf(receipt([plain({ product_code: { kind: 'gs1m', value: '0104601662000016' } })]))).toEqual(['products[0].product_code.kind:invalid_product_code_kind']);
    expect(errorsOf(receipt([plain({ country_code: 'RU' })]))).toEqual(['products[0].country_code:invalid_country_code']);
    expect(errorsOf(receipt([plain({ industry_requisites: [{ foiv_id: '30', doc_date: '31.02.2023', doc_number: '', value: 'x' }] })]))).toEqual([
      'products[0].industry_requisites[0].foiv_id:invalid_foiv_id',
      'products[0].industry_requisites[0].doc_date:invalid_date',
      'products[0].industry_requisites[0].doc_number:required',
    ]);
  });

  it('checks the buyer, the operational requisite and the user requisite', () => {
    const base = [product({ commodity_type_int: 1, marking_code: null })];
    const r = validateReceipt(receipt(base, {
      buyer: { name: 'Иванов Иван Иванович', inn: '500100732259', birth_date: '01.02.1980', citizenship: '643', document_code: '21', document_data: '4510 123456' },
      operational_requisite: { id: 1, data: 'заказ 17', date_time: '2026-11-28T10:15' },
      user_requisite: { name: 'Магазин', value: '№ 5' }, agent_sign: 64,
    }), ctx12);
    expect(r.ffd12).toMatchObject({ buyer: { inn: '500100732259', birthDate: '01.02.1980' }, operational: { id: 1 }, userRequisite: { name: 'Магазин' }, agentSign: 64 });
    expect(errorsOf(receipt(base, { buyer: { inn: '500100732250' } }))).toEqual(['buyer.inn:invalid_inn']);
    expect(errorsOf(receipt(base, { buyer: { birth_date: '01.02.2030' } }))).toEqual(['buyer.birth_date:date_in_future']);
    expect(errorsOf(receipt(base, { buyer: { document_data: '4510 123456' } }))).toEqual(['buyer.document_code:required']);
    expect(errorsOf(receipt(base, { operational_requisite: { id: 300, data: 'x', date_time: '2026-11-28T25:00' } }))).toEqual([
      'operational_requisite.id:out_of_range', 'operational_requisite.date_time:invalid_date',
    ]);
  });

  it('an FFD 1.05 register refuses every 1.2-only field with 422, naming it', () => {
    expect(errorsOf(receipt([product()]), ctx105)).toEqual(['products[0].commodity_type_int:commodity_type_requires_ffd_1_2', 'products[0].marking_code:requires_ffd_1_2']);
    expect(errorsOf(receipt([product({ commodity_type_int: 1, marking_code: null })], { buyer: { inn: '500100732259' } }), ctx105)).toEqual(['buyer:requires_ffd_1_2']);
    expect(errorsOf(receipt([product({ commodity_type_int: 1, marking_code: null, excise: 10, country_code: '643' })]), ctx105)).toEqual([
      'products[0].excise:requires_ffd_1_2', 'products[0].country_code:requires_ffd_1_2',
    ]);
  });

  it('a tobacco pack short code is a marked piece', () => {
    const r = validateReceipt(receipt([product({ marking_code: TOBACCO })]), ctx12);
    expect(r.items[0]?.ffd12?.marking).toEqual({ code: TOBACCO, plannedStatus: 1 });
  });
});

describe('tag 1192 on FFD 1.2', () => {
  const plain = [product({ commodity_type_int: 1, marking_code: null })];
  it('additional_requisite writes 1192 on any receipt, not on 1.05, never next to mistaken_receipt_number', () => {
    expect(validateReceipt(receipt(plain, { additional_requisite: 'заказ 17' }), ctx12).mistakenReceiptNumber).toBe('заказ 17');
    expect(errorsOf(receipt(plain, { additional_requisite: 'заказ 17' }), ctx105)).toEqual(['additional_requisite:requires_ffd_1_2']);
    const correction = receipt(plain, {
      receiptType: 7, additional_requisite: 'x', mistaken_receipt_number: '12', correction_reason: 'r', correction_date: '2026-11-01', doc_number: '1', precept: false,
    });
    expect(errorsOf(correction)).toEqual(['additional_requisite:conflicting_fields']);
  });
});

describe('helpers', () => {
  it('FFD string dates are dd.mm.yyyy of an existing day', () => {
    expect(ffdDate('29.02.2024')).toBe('29.02.2024');
    expect(ffdDate('29.02.2023')).toBeNull();
    expect(ffdDate('2024-02-01')).toBeNull();
  });
  it('2003 defaults by the settlement sign', () => {
    expect([defaultPlannedStatus(1, false), defaultPlannedStatus(1, true), defaultPlannedStatus(2, false), defaultPlannedStatus(2, true), defaultPlannedStatus(4, false)]).toEqual([1, 2, 3, 4, 255]);
  });
});
