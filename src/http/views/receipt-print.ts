import QRCode from 'qrcode';
import { VAT_RATES, vatOf, type Vat1199 } from '../../domain/enums.js';
import { formatMoney } from '../../domain/money.js';
import type { ReceiptRecord } from '../../storage/receipts.js';
import { receiptView } from './receipt.js';

/** Printed names of the receipt types (1054 with the correction flag), as on a paper receipt. */
const TITLES: Record<number, string> = {
  1: 'КАССОВЫЙ ЧЕК · ПРИХОД',
  2: 'КАССОВЫЙ ЧЕК · ВОЗВРАТ ПРИХОДА',
  4: 'КАССОВЫЙ ЧЕК · РАСХОД',
  5: 'КАССОВЫЙ ЧЕК · ВОЗВРАТ РАСХОДА',
  7: 'ЧЕК КОРРЕКЦИИ · ПРИХОД',
  8: 'ЧЕК КОРРЕКЦИИ · ВОЗВРАТ ПРИХОДА',
  9: 'ЧЕК КОРРЕКЦИИ · РАСХОД',
  10: 'ЧЕК КОРРЕКЦИИ · ВОЗВРАТ РАСХОДА',
};
const PAYMENTS: Record<number, string> = { 0: 'НАЛИЧНЫМИ', 1: 'БЕЗНАЛИЧНЫМИ', 2: 'ПРЕДВАРИТЕЛЬНАЯ ОПЛАТА (АВАНС)', 3: 'ПОСЛЕДУЮЩАЯ ОПЛАТА (КРЕДИТ)', 4: 'ИНАЯ ФОРМА ОПЛАТЫ' };
const TAX_SYSTEMS: Record<number, string> = { 1: 'ОСН', 2: 'УСН доход', 4: 'УСН доход − расход', 8: 'ЕНВД', 16: 'ЕСХН', 32: 'ПСН' };
const VAT_LABELS: Record<Vat1199, string> = {
  1: 'НДС 20%', 2: 'НДС 10%', 3: 'НДС 20/120', 4: 'НДС 10/110', 5: 'НДС 0%', 6: 'БЕЗ НДС',
  7: 'НДС 5%', 8: 'НДС 7%', 9: 'НДС 5/105', 10: 'НДС 7/107', 11: 'НДС 22%', 12: 'НДС 22/122',
};
const METHODS: Record<number, string> = { 1: 'ПРЕДОПЛАТА 100%', 2: 'ПРЕДОПЛАТА', 3: 'АВАНС', 4: 'ПОЛНЫЙ РАСЧЕТ', 5: 'ЧАСТИЧНЫЙ РАСЧЕТ И КРЕДИТ', 6: 'ПЕРЕДАЧА В КРЕДИТ', 7: 'ОПЛАТА КРЕДИТА' };

/** 2108 as printed after the quantity. */
const MEASURE_LABELS: Record<number, string> = {
  0: 'шт', 10: 'г', 11: 'кг', 12: 'т', 20: 'см', 21: 'дм', 22: 'м', 30: 'кв. см', 31: 'кв. дм', 32: 'кв. м', 40: 'мл', 41: 'л',
  42: 'куб. м', 50: 'кВт·ч', 51: 'Гкал', 70: 'сутки', 71: 'час', 72: 'мин', 73: 'с', 80: 'Кбайт', 81: 'Мбайт', 82: 'Гбайт', 83: 'Тбайт',
};
/** 1222 as printed before the supplier. */
const AGENT_LABELS: Record<number, string> = {
  1: 'БАНК. ПЛ. АГЕНТ', 2: 'БАНК. ПЛ. СУБАГЕНТ', 4: 'ПЛ. АГЕНТ', 8: 'ПЛ. СУБАГЕНТ', 16: 'ПОВЕРЕННЫЙ', 32: 'КОМИССИОНЕР', 64: 'АГЕНТ',
};

/**
 * The printed mark of a marked item's check (FFD 1.2): [М+] both the FN and the marking operator
 * confirmed it, [М-] one of them did not, [М] it was not checked online (autonomous mode).
 */
function markingMark(check: { fn_checked: boolean; fn_valid: boolean; operator_checked: boolean; operator_status_correct: boolean } | null): string {
  if (check === null) return '[М]';
  if ((check.fn_checked && !check.fn_valid) || (check.operator_checked && !check.operator_status_correct)) return '[М-]';
  return check.operator_checked ? '[М+]' : '[М]';
}

const esc = (s: string | number | null | undefined) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const ruDate = (iso: string) => iso.split('-').reverse().join('.');

const row = (left: string, right: string, cls = '') => `<div class="row ${cls}"><span>${left}</span><span>${right}</span></div>`;

/**
 * The receipt as it looks on paper (the fields 54-FZ requires on a printed receipt), with the QR
 * code (tag 1196) drawn as SVG: HTML for a browser and for printing on 58/80 mm tape or A4.
 */
export async function renderReceiptHtml(record: ReceiptRecord): Promise<string> {
  const view = receiptView(record);
  const receipt = record.request;
  const vatByRate = new Map<Vat1199, number>();
  for (const it of receipt.items) vatByRate.set(it.vat, (vatByRate.get(it.vat) ?? 0) + vatOf(it.total, it.vat));
  const qrSvg = view.qr ? await QRCode.toString(view.qr, { type: 'svg', margin: 0, errorCorrectionLevel: 'M' }) : '';
  // Russian paper receipts print dd.mm.yyyy hh:mm in the device's local time.
  const dt = view.registration_datetime ? `${ruDate(view.registration_datetime.slice(0, 10))} ${view.registration_datetime.slice(11, 16)}` : '';
  const items = receipt.items
    .map((it, i) => {
      const c = view.commodities[i];
      const x = it.ffd12;
      const ffd12 = view.ffd_version === '120';
      // FFD 1.2 prints the measure (2108) after the quantity; 1.05 its free-text unit (1197).
      const unit = ffd12 ? ` ${MEASURE_LABELS[it.measure] ?? ''}` : it.unit ? ` ${esc(it.unit)}` : '';
      const fraction = x?.fractional ? ` (${x.fractional.numerator}/${x.fractional.denominator})` : '';
      const mark = x?.marking ? `${markingMark(c && 'marking_check' in c ? (c.marking_check ?? null) : null)} ` : '';
      const extra = [
        x?.agentSign ? row(esc(AGENT_LABELS[x.agentSign] ?? 'АГЕНТ'), '', 'small') : '',
        x?.supplier ? row('ПОСТАВЩИК', `${esc(x.supplier.name ?? '')} ИНН ${esc(x.supplier.inn)}`, 'small') : '',
        x?.excise != null ? row('АКЦИЗ', esc(formatMoney(x.excise)), 'small') : '',
        x?.countryCode ? row('СТРАНА ПРОИСХ.', esc(x.countryCode), 'small') : '',
        x?.customsDeclaration ? row('ДЕКЛАРАЦИЯ', esc(x.customsDeclaration), 'small') : '',
      ].join('');
      return `<div class="item"><div class="name">${i + 1}. ${mark}${esc(it.name)}</div>
        ${row(`${esc(c?.quantity)}${unit}${fraction} × ${esc(c?.price)}`, `= ${esc(c?.total)}`)}
        ${row(esc(VAT_LABELS[it.vat]), VAT_RATES[it.vat].rate ? esc(formatMoney(vatOf(it.total, it.vat))) : '', 'small')}
        ${row(esc(METHODS[it.paymentMethod]), '', 'small')}${extra}</div>`;
    })
    .join('');
  const buyer = receipt.ffd12?.buyer ?? null;
  const payments = receipt.payments.map((p) => row(esc(PAYMENTS[p.type]), esc(formatMoney(p.sum)))).join('');
  const vats = [...vatByRate.entries()]
    .sort(([a], [b]) => a - b)
    .map(([rate, sum]) => row(`СУММА ${esc(VAT_LABELS[rate])}`, VAT_RATES[rate].rate ? esc(formatMoney(sum)) : esc(formatMoney(receipt.items.filter((it) => it.vat === rate).reduce((a, it) => a + it.total, 0)))))
    .join('');
  const corr = view.correction_data
    ? row('ОСНОВАНИЕ КОРРЕКЦИИ', `${esc(view.correction_data.doc_number)} от ${esc(ruDate(view.correction_data.correction_date))}`) +
      row('ТИП КОРРЕКЦИИ', view.correction_data.precept ? 'ПО ПРЕДПИСАНИЮ' : 'САМОСТОЯТЕЛЬНО')
    : '';
  return `<!doctype html>
<html lang="ru"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Чек № ${esc(view.receipt_in_shift_num)} · ФД ${esc(view.receipt_num)}</title>
<style>
  body { background: #eef0f3; margin: 0; padding: 24px 8px; font: 13px/1.35 "DejaVu Sans Mono", "Courier New", monospace; color: #111; }
  .paper { background: #fff; width: 320px; margin: 0 auto; padding: 18px 16px 22px; box-shadow: 0 2px 10px rgba(0,0,0,.12); }
  .center { text-align: center; } .title { font-weight: bold; margin: 10px 0 6px; } .muted { color: #555; }
  .row { display: flex; justify-content: space-between; gap: 8px; } .row span:last-child { text-align: right; white-space: nowrap; }
  .small { font-size: 11px; color: #444; } .item { margin: 6px 0; } .name { font-weight: bold; }
  .total { font-size: 17px; font-weight: bold; margin: 8px 0; } hr { border: 0; border-top: 1px dashed #999; margin: 8px 0; }
  .qrtext { word-break: break-all; }
  .qr { width: 148px; height: 148px; margin: 12px auto 4px; } .qr svg { width: 100%; height: 100%; }
  @media print { body { background: #fff; padding: 0; } .paper { box-shadow: none; width: auto; } }
</style></head>
<body><div class="paper">
  <div class="center"><div>${esc(view.company_name)}</div><div class="muted">${esc(view.operations_address)}</div>
  <div class="muted">${esc(view.operations_place)}</div><div>ИНН ${esc(view.company_inn)}</div></div>
  <div class="center title">${esc(TITLES[receipt.receiptType])}</div>
  ${row(`Чек № ${esc(view.receipt_in_shift_num)}`, `Смена № ${esc(view.shift_num)}`)}
  ${row('Дата', esc(dt))}
  ${receipt.cashier ? row('Кассир', esc(receipt.cashier.name)) : ''}
  <hr>${items}<hr>
  ${row('ИТОГ', esc(view.commodities_total_cost), 'total')}
  ${payments}
  ${receipt.change > 0 ? row('СДАЧА', esc(view.change)) : ''}
  ${vats}<hr>
  ${row('СНО', esc(TAX_SYSTEMS[receipt.taxSystem]))}
  ${corr}
  ${buyer?.name ? row('ПОКУПАТЕЛЬ', esc(buyer.name)) : ''}
  ${buyer?.inn ? row('ИНН ПОКУПАТЕЛЯ', esc(buyer.inn)) : ''}
  ${view.email ? row('ЭЛ. АДР. ПОКУПАТЕЛЯ', esc(view.email)) : ''}
  ${view.phone_number ? row('ТЕЛ. ПОКУПАТЕЛЯ', esc(view.phone_number)) : ''}
  ${row('РН ККТ', esc(view.registration_number))}
  ${row('ЗН ККТ', esc(view.registrator_serial))}
  ${row('ФН', esc(view.fn_serial))}
  ${row('ФД', esc(view.receipt_num))}
  ${row('ФП', esc(view.fiscal_sign))}
  ${row('ОФД', esc(view.ofd_name))}
  ${row('САЙТ ФНС', 'www.nalog.gov.ru')}
  ${row('ФФД', view.ffd_version === '120' ? '1.2' : '1.05')}
  <div class="qr" role="img" aria-label="QR">${qrSvg}</div>
  <div class="center small qrtext">${esc(view.qr)}</div>
</div>
</body></html>`;
}
