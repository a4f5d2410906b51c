/**
 * The POST body as the HTTP schema has already shaped it (types checked, unknown fields ignored,
 * every string under the text rule of ./text.ts — validateReceipt checks that rule again).
 * Field names are the original API's.
 */
export type MoneyInput = number | string;

export interface ProductInput {
  name: string;
  price: MoneyInput;
  quantity: MoneyInput;
  payment_state_int: number;
  commodity_type_int: number;
  tax_type_int?: number | null;
  tax_type?: string | null;
  quantity_unit?: string | null;
  quantity_prec?: number | null;
}

export interface PaymentInput {
  payment_type_int: number;
  payment_sum: MoneyInput;
}

export interface ReceiptInput {
  receiptType: number;
  products: ProductInput[];
  payments: PaymentInput[];
  email?: string | null;
  phone_number?: string | null;
  tax_system?: number | null;
  order_id?: number | string | null;
  need_print?: boolean | null;
  mistaken_receipt_number?: string | null;
  correction_reason?: string | null;
  correction_date?: string | null;
  doc_number?: string | null;
  precept?: boolean | null;
  cashier?: { name: string; inn?: string | null } | null;
}

/** What the service group and its device contribute to validation. */
export interface ReceiptContext {
  defaultTaxSystem: number | null;
  defaultVat: number | null;
  /** From the device's registration data when known. */
  ffdVersion: '105' | '120' | null;
  /** 1062 bitmask when known. */
  registeredTaxSystems: number | null;
  /** The register is not in automatic mode (1001 = 0): every receipt names its cashier (1021). */
  cashierRequired?: boolean;
  /** Today in the device's time zone, yyyy-mm-dd: correction dates may not lie after it. */
  today: string;
}
