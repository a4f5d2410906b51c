import type { Fault, FiscalDocument } from '../../devices/driver.js';

/**
 * A document as the REST API serves it: the FNS JSON with `rawData`, the base64 of the TLV as the
 * FN stores it (the field the OFD→FNS exchange format gives it), when the driver can read it.
 */
export function documentJson(d: FiscalDocument): Record<string, unknown> {
  if (d.rawTlv === null) return d.json;
  const out: Record<string, unknown> = {};
  for (const [wrapper, body] of Object.entries(d.json)) {
    out[wrapper] = typeof body === 'object' && body !== null ? { ...body, rawData: d.rawTlv } : body;
  }
  return out;
}

/** The dashboard's «Документы ФН» row: the document's key tags beside its FNS/OFD JSON form. */
export const documentItemView = (d: FiscalDocument) => ({
  fd_number: d.fdNumber,
  kind: d.kind,
  date_time: d.dateTime,
  fiscal_sign: d.fiscalSign,
  shift_number: d.shiftNumber,
  operation_type: d.operationType,
  total_sum: d.totalSum === null ? null : (d.totalSum / 100).toFixed(2),
  json: documentJson(d),
});

/** An injected fault as the dashboard's fault panel lists it. */
export const faultView = (a: { fault: Fault; remaining: number | null }) => ({
  kind: a.fault.kind,
  delay_ms: a.fault.kind === 'slow' || a.fault.kind === 'marking_slow' ? (a.fault.delayMs ?? null) : null,
  remaining: a.remaining,
});
