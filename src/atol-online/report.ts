import { errorText } from '../domain/error-codes.js';
import type { ReceiptError } from '../domain/records.js';
import { atolCodeOf, ATOL_MARKING_ERRORS } from '../devices/atol/errors.js';
import type { AtolReceiptRecord } from '../storage/atol-online.js';
import type { ReceiptRecord } from '../storage/receipts.js';
import { errorBody, type AtolErrorBody } from './errors.js';
import { atolTimestamp, registerLocalTimestamp, SERVICE_ERRORS, type AtolStatus } from './protocol.js';

/** The FNS site every register reports (tag 1060). */
const FNS_SITE = 'www.nalog.gov.ru';
/** `daemon_code`: the name of the server that processes the document, in ATOL's replies an agent's name. */
export const DAEMON_CODE = 'cr-server';

export interface AtolPayload {
  fiscal_receipt_number: number;
  shift_number: number;
  receipt_datetime: string;
  total: number;
  fn_number: string;
  ecr_registration_number: string;
  fiscal_document_number: number;
  fiscal_document_attribute: number;
  fns_site: string;
  ofd_inn: string;
  ofd_receipt_url: string;
  /** v5: the check result (2106) of each marked item. */
  marks_result?: { position: number; mark_code: string; result: number }[];
}

/** ATOL's report: the reply of GET …/report/{uuid}, and the body of the callback (the same packet). */
export interface AtolReport {
  uuid: string;
  status: AtolStatus;
  error: AtolErrorBody | null;
  payload: AtolPayload | null;
  timestamp: string;
  group_code: string;
  daemon_code: string;
  device_code: string | null;
  external_id: string;
  callback_url: string;
  warnings: { callback_url: string } | null;
}

/**
 * A failed receipt's error in ATOL's terms. A refusal of the register is a `driver` error with the
 * ATOL driver's code for it (the same table the ATOL driver reads, src/devices/atol/errors.ts), so a
 * shop's handling of ATOL's driver errors keeps working; an admin's cancel is a `system` error; the
 * text is cr-server's Russian text of the code, with the device's own code when it gave one.
 */
export function failureOf(error: ReceiptError | null): AtolErrorBody {
  const code = error?.code ?? 'device_error';
  const known = errorText(code, 'ru');
  const device = error?.device_code ? ` (код ошибки устройства: ${error.device_code})` : '';
  const text = `${known ?? error?.message ?? 'Ошибка регистрации документа'}${device}`;
  switch (code) {
    case 'canceled':
      return errorBody(SERVICE_ERRORS.processing_failed.code, `${text}. Попыток регистрировать чек не производилось`, 'system');
    case 'marking_check_failed':
      return errorBody(ATOL_MARKING_ERRORS.INVALID_MARKING_CODE_STATUS, text, 'driver');
    case 'marking_operator_unavailable':
      // LIBFPTR_ERROR_* 421: no answer from the marking operator.
      return errorBody(421, text, 'driver');
    default:
      return known === undefined ? errorBody(0, text, 'unknown') : errorBody(atolCodeOf(code), text, 'driver');
  }
}

/**
 * The ATOL report of a receipt that came through the ATOL API: `status` from the receipt's state
 * (pending, processing and in doubt are `wait` — the document is not final yet, and an in-doubt
 * receipt is resolved from the FN, never resent), `payload` from its fiscal data, `error` for a
 * failed one (and ATOL's code 34 while it waits, as ATOL answers a report asked for too early).
 *
 * The callbacks worker calls it to build the body it POSTs for such a receipt: ATOL's clients read
 * their callbacks as the report. `now` is the reply's `timestamp`.
 */
export function atolReportOf(record: ReceiptRecord, atol: AtolReceiptRecord, options: { now?: number; daemonCode?: string } = {}): AtolReport {
  const fiscal = record.state === 'success' ? record.fiscal : null;
  const status: AtolStatus = record.state === 'success' ? 'done' : record.state === 'failed' ? 'fail' : 'wait';
  const reg = fiscal?.registration ?? null;
  let payload: AtolPayload | null = null;
  if (fiscal && reg) {
    payload = {
      fiscal_receipt_number: fiscal.receiptInShift,
      shift_number: fiscal.shiftNumber,
      receipt_datetime: registerLocalTimestamp(fiscal.dateTime),
      total: fiscal.total / 100,
      fn_number: reg.fnSerial,
      ecr_registration_number: reg.registrationNumber,
      fiscal_document_number: fiscal.fdNumber,
      fiscal_document_attribute: Number(fiscal.fiscalSign),
      fns_site: FNS_SITE,
      ofd_inn: reg.ofdInn,
      // The OFD's page of the receipt: cr-server does not know the OFD's address scheme.
      ofd_receipt_url: '',
    };
    const marks = (atol.mark_codes ?? []).flatMap((code, position) => {
      const result = fiscal.markingChecks?.[position];
      return code === null || result === null || result === undefined ? [] : [{ position, mark_code: code, result }];
    });
    if (atol.version === 'v5' && marks.length > 0) payload.marks_result = marks;
  }
  const waiting = SERVICE_ERRORS.not_ready;
  return {
    uuid: atol.uuid,
    status,
    error: status === 'fail' ? failureOf(record.error) : status === 'wait' ? errorBody(waiting.code, waiting.text, 'system') : null,
    payload,
    timestamp: atolTimestamp(options.now ?? Date.now()),
    group_code: atol.group_code,
    daemon_code: options.daemonCode ?? DAEMON_CODE,
    device_code: reg?.registratorSerial ?? null,
    external_id: atol.external_id,
    callback_url: atol.callback_url ?? '',
    warnings: atol.callback_warning === null ? null : { callback_url: atol.callback_warning },
  };
}
