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
  // FFD 1.2 (validate-ffd12.ts).
  measure?: number | null;
  marking_code?: string | null;
  planned_status?: number | null;
  fractional_quantity?: { numerator: number; denominator: number } | null;
  product_code?: { kind: string; value: string } | null;
  agent_sign?: number | null;
  agent?: AgentInput | null;
  supplier?: { name?: string | null; phones?: string[] | null; inn: string } | null;
  excise?: MoneyInput | null;
  country_code?: string | null;
  customs_declaration?: string | null;
  additional_requisite?: string | null;
  industry_requisites?: IndustryRequisiteInput[] | null;
}

export interface AgentInput {
  operation?: string | null;
  phones?: string[] | null;
  operator_phones?: string[] | null;
  transfer_operator_phones?: string[] | null;
  transfer_operator_name?: string | null;
  transfer_operator_address?: string | null;
  transfer_operator_inn?: string | null;
}

export interface IndustryRequisiteInput {
  foiv_id: string;
  doc_date: string;
  doc_number: string;
  value: string;
}

export interface BuyerInput {
  name?: string | null;
  inn?: string | null;
  birth_date?: string | null;
  citizenship?: string | null;
  document_code?: string | null;
  document_data?: string | null;
  address?: string | null;
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
  // FFD 1.2 (validate-ffd12.ts).
  buyer?: BuyerInput | null;
  operational_requisite?: { id: number; data: string; date_time: string } | null;
  industry_requisites?: IndustryRequisiteInput[] | null;
  user_requisite?: { name: string; value: string } | null;
  agent_sign?: number | null;
  additional_requisite?: string | null;
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
