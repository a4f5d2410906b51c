/** The original product's example request (seed-readme), as JSON. */
export const ORIGINAL_EXAMPLE = {
  email: 'example@mail.ru',
  products: [
    { name: 'Grain crusher', payment_state_int: 1, price: 100, commodity_type_int: 1, quantity: 1.0 },
    { name: 'Shipping', payment_state_int: 1, commodity_type_int: 4, price: 100, quantity: 1.0 },
  ],
  receiptType: 1,
  payments: [{ payment_type_int: 1, payment_sum: 200 }],
};

export type Body = Record<string, unknown>;

export const clone = <T>(v: T): T => structuredClone(v);

export const sellReceipt = (overrides: Body = {}): Body => ({ ...clone(ORIGINAL_EXAMPLE), ...overrides });

export const correctionReceipt = (overrides: Body = {}): Body => ({
  ...clone(ORIGINAL_EXAMPLE),
  receiptType: 7,
  correction_reason: 'Cash register was offline',
  correction_date: '01.11.2026',
  doc_number: '17',
  precept: false,
  mistaken_receipt_number: '12',
  ...overrides,
});
