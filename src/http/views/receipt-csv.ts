import { RECEIPT_TYPES } from '../../domain/enums.js';
import { formatMoney } from '../../domain/money.js';
import type { ExportRecord } from '../../storage/receipt-export.js';

/**
 * Receipts as CSV for accountants (RFC 4180 quoting). `;` and a UTF-8 BOM by default, which a
 * Russian-locale spreadsheet opens as columns with Cyrillic intact; `,` on request.
 */
export interface CsvOptions {
  delimiter: ';' | ',';
  lang: 'ru' | 'en';
}

interface Column {
  en: string;
  ru: string;
  value: (r: ExportRecord) => string | number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

const COLUMNS: readonly Column[] = [
  { en: 'id', ru: 'ID', value: (r) => r.id },
  { en: 'created_at', ru: 'Создан', value: (r) => iso(r.created_at) },
  { en: 'state', ru: 'Состояние', value: (r) => r.state },
  { en: 'receipt_type', ru: 'Тип чека', value: (r) => r.receipt_type },
  { en: 'operation_type', ru: 'Признак расчёта', value: (r) => RECEIPT_TYPES[r.receipt_type].operationType },
  { en: 'correction', ru: 'Коррекция', value: (r) => (RECEIPT_TYPES[r.receipt_type].correction ? 1 : 0) },
  { en: 'order_id', ru: 'Номер заказа', value: (r) => r.order_id },
  { en: 'total', ru: 'Итог', value: (r) => formatMoney(r.total) },
  { en: 'cash', ru: 'Наличными', value: (r) => formatMoney(r.payments.cash) },
  { en: 'electronic', ru: 'Безналичными', value: (r) => formatMoney(r.payments.electronic) },
  { en: 'prepaid', ru: 'Предоплатой', value: (r) => formatMoney(r.payments.prepaid) },
  { en: 'credit', ru: 'Постоплатой', value: (r) => formatMoney(r.payments.credit) },
  { en: 'other', ru: 'Встречным предоставлением', value: (r) => formatMoney(r.payments.other) },
  { en: 'tax_system', ru: 'СНО', value: (r) => r.tax_system },
  { en: 'fiscal_datetime', ru: 'Дата и время ФД', value: (r) => r.fiscal_datetime },
  { en: 'fd_number', ru: 'ФД', value: (r) => r.fd_number },
  { en: 'fiscal_sign', ru: 'ФП', value: (r) => r.fiscal_sign },
  { en: 'shift_number', ru: 'Смена', value: (r) => r.shift_number },
  { en: 'receipt_in_shift', ru: 'Чек за смену', value: (r) => r.receipt_in_shift },
  { en: 'fn_serial', ru: 'ФН', value: (r) => r.fn_serial },
  { en: 'registration_number', ru: 'РН ККТ', value: (r) => r.registration_number },
  { en: 'email', ru: 'Эл. почта', value: (r) => r.email },
  { en: 'phone', ru: 'Телефон', value: (r) => r.phone },
  { en: 'error_code', ru: 'Код ошибки', value: (r) => r.error_code },
];

function cell(v: string | number | null, delimiter: string): string {
  if (v === null) return '';
  const s = String(v);
  // Quote what would break a row; and a leading =, +, -, @ so a spreadsheet never runs it as a formula.
  const formula = /^[=+\-@]/.test(s) && typeof v === 'string';
  if (formula || s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r')) {
    return `"${formula ? "'" : ''}${s.replaceAll('"', '""')}"`;
  }
  return s;
}

export const csvHeader = (o: CsvOptions): string => `\uFEFF${COLUMNS.map((c) => cell(o.lang === 'ru' ? c.ru : c.en, o.delimiter)).join(o.delimiter)}\r\n`;

export function csvRows(rows: readonly ExportRecord[], o: CsvOptions): string {
  let out = '';
  for (const r of rows) {
    let line = '';
    for (let i = 0; i < COLUMNS.length; i++) {
      const column = COLUMNS[i];
      if (column === undefined) continue;
      line += (i === 0 ? '' : o.delimiter) + cell(column.value(r), o.delimiter);
    }
    out += `${line}\r\n`;
  }
  return out;
}
