import { formatMoney } from './money.js';

/**
 * The receipt QR payload (tag 1196, domain.md §2.6):
 * t=YYYYMMDDTHHMM&s=RUB.KK&fn=<1041>&i=<1040>&fp=<1077>&n=<1054>.
 * `t` is the device's local time to minutes, taken from the ISO string as written (with its offset).
 */
export function receiptQr(p: { dateTime: string; total: number; fnSerial: string; fdNumber: number; fiscalSign: string; operationType: number }): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(p.dateTime);
  const t = m ? `${m[1]}${m[2]}${m[3]}T${m[4]}${m[5]}` : '';
  return `t=${t}&s=${formatMoney(p.total)}&fn=${p.fnSerial}&i=${p.fdNumber}&fp=${p.fiscalSign}&n=${p.operationType}`;
}

export interface ParsedQr {
  t: string;
  s: string;
  fn: string;
  i: number;
  fp: string;
  n: number;
}

export function parseReceiptQr(qr: string): ParsedQr | null {
  const params = new URLSearchParams(qr);
  const t = params.get('t');
  const s = params.get('s');
  const fn = params.get('fn');
  const i = params.get('i');
  const fp = params.get('fp');
  const n = params.get('n');
  if (!t || !/^\d{8}T\d{4}(\d{2})?$/.test(t) || !s || !/^\d+\.\d{2}$/.test(s) || !fn || !/^\d{16}$/.test(fn)) return null;
  if (!i || !/^\d+$/.test(i) || !fp || !/^\d{1,10}$/.test(fp) || !n || !/^[1-4]$/.test(n)) return null;
  return { t, s, fn, i: Number(i), fp, n: Number(n) };
}
