import { formatMoney } from '../../domain/money.js';
import { formatQuantity, quantityPrecision } from '../../domain/quantity.js';
import { VAT_1199_TO_TAX_TYPE_INT, VAT_RATES } from '../../domain/enums.js';
import { receiptQr } from '../../domain/qr.js';
import { itemExtrasView, receiptExtrasView } from './ffd12.js';
import type { ReceiptRecord } from '../../storage/receipts.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The completion callback of a receipt with a callback_url: its latest delivery (state null until
 * the receipt is final and a delivery exists; also when the reader did not attach it).
 */
const callbackView = (row: ReceiptRecord) => {
  if (row.callback_url === null) return null;
  const d = row.delivery ?? null;
  return {
    url: row.callback_url,
    state: d?.state ?? null,
    attempts: d?.attempts ?? 0,
    last_status: d?.last_status ?? null,
    last_error: d?.last_error ?? null,
    next_attempt_at: d && d.state === 'pending' ? iso(d.next_attempt_at) : null,
    delivered_at: d?.delivered_at ? iso(d.delivered_at) : null,
  };
};

/**
 * The receipt resource of api.md. Every field of the original's example keeps its name (including
 * `paymetn_sum` and `ffd_inn`); the original's Python 'None' strings become JSON null.
 */
export function receiptView(row: ReceiptRecord) {
  const req = row.request;
  const fiscal = row.fiscal;
  const reg = fiscal?.registration ?? null;
  const paid = req.payments.reduce((a, p) => a + p.sum, 0);
  return {
    id: row.id,
    order_id: req.orderId,
    user_id: row.user_id,
    service_id: row.group_id,
    state: row.state,
    error: row.error,
    mistaken_receipt_number: req.mistakenReceiptNumber,
    email: req.email,
    phone_number: req.phone,
    receiptType: req.receiptType,
    tax_system: req.taxSystem,
    need_print: req.needPrint,
    cashier: req.cashier,
    correction_data: req.correction
      ? {
          correction_reason: req.correction.reason,
          correction_date: req.correction.date,
          doc_number: req.correction.docNumber,
          precept: req.correction.type === 1,
        }
      : null,
    registrator_id: row.device_id,
    fiscal_sign: fiscal?.fiscalSign ?? null,
    receipt_num: fiscal?.fdNumber ?? null,
    shift_num: fiscal?.shiftNumber ?? null,
    receipt_in_shift_num: fiscal?.receiptInShift ?? null,
    registration_datetime: fiscal?.dateTime ?? null,
    payments_total: formatMoney(paid),
    commodities_total_cost: formatMoney(req.total),
    change: formatMoney(req.change),
    commodities: req.items.map((it, i) => ({
      name: it.name,
      quantity: formatQuantity(it.quantity),
      price: formatMoney(it.price),
      total: formatMoney(it.total),
      commodity_type_int: it.paymentObject,
      payment_state_int: it.paymentMethod,
      quantity_prec: it.quantityPrec ?? quantityPrecision(it.quantity),
      quantity_unit: it.unit,
      tax_type_int: it.taxTypeInt ?? VAT_1199_TO_TAX_TYPE_INT[it.vat],
      tax_type: VAT_RATES[it.vat].name,
      measure: it.measure,
      ...(it.ffd12 ? itemExtrasView(it.ffd12, fiscal?.markingChecks?.[i]) : {}),
    })),
    ...(req.ffd12 ? receiptExtrasView(req.ffd12) : {}),
    payments: req.payments.map((p) => ({ payment_sum: formatMoney(p.sum), paymetn_sum: formatMoney(p.sum), payment_type_int: p.type })),
    registration_number: reg?.registrationNumber ?? null,
    registrator_serial: reg?.registratorSerial ?? null,
    fn_serial: reg?.fnSerial ?? null,
    ffd_version: reg?.ffdVersion ?? null,
    ofd_name: reg?.ofdName ?? null,
    ffd_inn: reg?.ofdInn ?? null,
    ofd_inn: reg?.ofdInn ?? null,
    company_name: reg?.companyName ?? null,
    company_inn: reg?.companyInn ?? null,
    operations_address: reg?.operationsAddress ?? null,
    operations_place: reg?.operationsPlace ?? null,
    qr: fiscal && reg
      ? receiptQr({ dateTime: fiscal.dateTime, total: fiscal.total, fnSerial: reg.fnSerial, fdNumber: fiscal.fdNumber, fiscalSign: fiscal.fiscalSign, operationType: req.operationType })
      : null,
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    callback: callbackView(row),
  };
}
export type ReceiptView = ReturnType<typeof receiptView>;

/**
 * The dashboard's receipt: the API resource plus the login of the API user who sent it (null when
 * that user was deleted — only users without receipts can be, so in practice never).
 */
export function adminReceiptView(row: ReceiptRecord, logins: ReadonlyMap<number, string>) {
  return { ...receiptView(row), user_login: logins.get(row.user_id) ?? null };
}
