import type { Fault, FiscalDocument } from '../../devices/driver.js';

/** The dashboard's «Документы ФН» row: the document's key tags beside its FNS/OFD JSON form. */
export const documentItemView = (d: FiscalDocument) => ({
  fd_number: d.fdNumber,
  kind: d.kind,
  date_time: d.dateTime,
  fiscal_sign: d.fiscalSign,
  shift_number: d.shiftNumber,
  operation_type: d.operationType,
  total_sum: d.totalSum === null ? null : (d.totalSum / 100).toFixed(2),
  json: d.json,
});

/** An injected fault as the dashboard's fault panel lists it. */
export const faultView = (a: { fault: Fault; remaining: number | null }) => ({
  kind: a.fault.kind,
  delay_ms: a.fault.kind === 'slow' ? a.fault.delayMs : null,
  remaining: a.remaining,
});
