import type { DeviceError } from '../../driver.js';
import { ATOL_ERRORS, ATOL_MARKING_ERRORS, atolCodeOf } from '../errors.js';
import { MARKING_ERRORS } from '../marking.js';

/**
 * The one table of error codes and texts the emulator puts on the wire (README "Sources").
 *
 * - Codes are libfptr's LIBFPTR_ERROR_* constants, which the web server passes through as the
 *   subtask error (the vendor's Java wrapper `public static final int LIBFPTR_ERROR_… = n`, and its
 *   JSON-task scripts `Fptr.result(Fptr.LIBFPTR_ERROR_RECEIPT_PARSE_ERROR, …)`).
 * - Texts are the driver's own descriptions, as reproduced by two independent clients
 *   (ExLuzZziVo/KKTServiceLib `KKTErrorType.cs`, AlexObukhoff/TerminalClient `Atol5OnlineFRConstants.h`).
 *   They are kept verbatim, including the Latin "e" in "Нeкорректное" (13), which both sources carry.
 * - 502 and 503 as subtask errors of `interrupted` / `canceled` requests, and 505 in the body of
 *   HTTP errors, are what «АТОЛ. Web Requests» 1.0.4.0 answers according to a reimplementation
 *   whose behaviour was recorded from it (kktsite-agent `src/device.js`, `src/server.js`).
 *
 * The driver reads codes, never texts (errors.ts), so every code the emulator answers for a
 * DeviceError goes through errors.ts `atolCodeOf`: the driver maps each back to the same stable code.
 */
export type ErrorSource = 'libfptr' | 'web-requests';

export interface ErrorRow {
  /** LIBFPTR_ERROR_* name without the prefix (or the Web Requests meaning). */
  readonly name: string;
  /** Description as the driver / web server returns it. */
  readonly text: string;
  readonly source: ErrorSource;
}

/** Codes of the web server itself (libfptr's LIBFPTR_ERROR_BASE_WEB range, 500–599). */
export const WEB_ERRORS = {
  OK: 0,
  RECEIPT_PARSE_ERROR: ATOL_ERRORS.RECEIPT_PARSE_ERROR,
  INTERRUPTED_BY_PREVIOUS_ERRORS: 502,
  CANCELED: 503,
  WEB_FAIL: 505,
} as const;

/** Codes the emulator answers with that errors.ts has no name for. */
export const EXTRA_ERRORS = {
  INVALID_PAYMENT_TYPE: ATOL_ERRORS.INVALID_PAYMENT_TYPE,
  NO_REQUIRED_FISCAL_PROPERTY: ATOL_ERRORS.NO_REQUIRED_FISCAL_PROPERTY,
  CONNECTION_LOST: 241,
} as const;

const row = (name: string, text: string, source: ErrorSource = 'libfptr'): ErrorRow => ({ name, text, source });

export const ERROR_TABLE: ReadonlyMap<number, ErrorRow> = new Map<number, ErrorRow>([
  [WEB_ERRORS.OK, row('OK', 'Ошибок нет')],
  [ATOL_ERRORS.NO_CONNECTION, row('NO_CONNECTION', 'Нет связи')],
  [ATOL_ERRORS.NOT_SUPPORTED, row('NOT_SUPPORTED', 'Не поддерживается в данной версии')],
  [ATOL_ERRORS.INVALID_MODE, row('INVALID_MODE', 'Не поддерживается в данном режиме')],
  [ATOL_ERRORS.INVALID_PARAM, row('INVALID_PARAM', 'Нeкорректное значение параметра')],
  [ATOL_ERRORS.UNKNOWN, row('UNKNOWN', 'Неизвестная ошибка')],
  [ATOL_ERRORS.INVALID_SUM, row('INVALID_SUM', 'Неверная цена (сумма)')],
  [ATOL_ERRORS.DATE_TIME_LESS_THAN_FS, row('DATE_TIME_LESS_THAN_FS', 'Переданные дата/время меньше даты/времени последнего фискального документа')],
  [ATOL_ERRORS.NO_PAPER, row('NO_PAPER', 'Нет бумаги')],
  [ATOL_ERRORS.COVER_OPENED, row('COVER_OPENED', 'Открыта крышка')],
  [ATOL_ERRORS.NONCACH_PAYMENTS_TOO_MUCH, row('NONCACH_PAYMENTS_TOO_MUCH', 'Сумма не наличных платежей превышает сумму чека')],
  [EXTRA_ERRORS.INVALID_PAYMENT_TYPE, row('INVALID_PAYMENT_TYPE', 'Неверный вид оплаты')],
  [ATOL_ERRORS.NOT_FULLY_PAID, row('NOT_FULLY_PAID', 'Чек оплачен не полностью')],
  [ATOL_ERRORS.SHIFT_EXPIRED, row('SHIFT_EXPIRED', 'Смена превысила 24 часа')],
  [ATOL_ERRORS.DENIED_IN_CLOSED_SHIFT, row('DENIED_IN_CLOSED_SHIFT', 'Смена закрыта - операция невозможна')],
  [ATOL_ERRORS.DENIED_IN_OPENED_SHIFT, row('DENIED_IN_OPENED_SHIFT', 'Смена открыта, операция невозможна')],
  [ATOL_ERRORS.FN_INVALID_STATE, row('FN_INVALID_STATE', 'Неверное состояние ФН')],
  [ATOL_ERRORS.FN_EXPIRED, row('FN_EXPIRED', 'Закончен срок эксплуатации ФН')],
  [ATOL_ERRORS.FN_OVERFLOW, row('FN_OVERFLOW', 'Архив ФН переполнен')],
  [ATOL_ERRORS.FN_INVALID_DATE_TIME, row('FN_INVALID_DATE_TIME', 'В ФН переданы неверная дата или время')],
  [ATOL_ERRORS.FN_NO_MORE_DATA, row('FN_NO_MORE_DATA', 'В ФН нет запрошенных данных')],
  [ATOL_ERRORS.FN_RESOURCE_HAS_EXPIRED, row('FN_RESOURCE_HAS_EXPIRED', 'Ресурс хранения ФД исчерпан')],
  [ATOL_ERRORS.FN_TIMEOUT, row('FN_TIMEOUT', 'Исчерпан ресурс ожидания передачи сообщения в ФН')],
  [ATOL_ERRORS.FN_SHIFT_EXPIRED, row('FN_SHIFT_EXPIRED', 'Продолжительность смены ФН более 24 часов')],
  [ATOL_ERRORS.FN_INVALID_TIME_DIFFERENCE, row('FN_INVALID_TIME_DIFFERENCE', 'Неверная разница во времени между двумя операциями ФН')],
  [ATOL_ERRORS.INVALID_TAXATION_TYPE, row('INVALID_TAXATION_TYPE', 'Некорректная СНО')],
  [ATOL_ERRORS.INVALID_TAX_TYPE, row('INVALID_TAX_TYPE', 'Недопустимый номер ставки налога')],
  [EXTRA_ERRORS.NO_REQUIRED_FISCAL_PROPERTY, row('NO_REQUIRED_FISCAL_PROPERTY', 'Не указаны обязательные реквизиты')],
  [ATOL_ERRORS.NO_ACTIVE_OPERATOR, row('NO_ACTIVE_OPERATOR', 'Кассир не зарегистрирован')],
  [ATOL_ERRORS.INVALID_TOTAL, row('INVALID_TOTAL', 'Неверный итог чека')],
  [EXTRA_ERRORS.CONNECTION_LOST, row('CONNECTION_LOST', 'Соединение с ККТ потеряно')],
  // FFD 1.2 marking, LIBFPTR_ERROR_* 401–426 (texts: KKTServiceLib `KKTErrorType.cs`).
  [MARKING_ERRORS.VALIDATION_IN_PROGRESS, row('MARKING_CODE_VALIDATION_IN_PROGRESS', 'Процедура проверки КМ уже запущена')],
  [MARKING_ERRORS.NO_CONNECTION_WITH_SERVER, row('NO_CONNECTION_WITH_SERVER', 'Ошибка соединения с сервером')],
  [MARKING_ERRORS.VALIDATION_CANCELED, row('MARKING_CODE_VALIDATION_CANCELED', 'Процедура проверки КМ прервана')],
  [ATOL_MARKING_ERRORS.INVALID_MARKING_CODE_STATUS, row('INVALID_MARKING_CODE_STATUS', 'Некорректное значение статуса КМ')],
  [ATOL_MARKING_ERRORS.MARKING_WORK_DENIED, row('MARKING_WORK_DENIED', 'Запрещена работа с маркированным товарами')],
  [MARKING_ERRORS.WORK_TEMPORARY_BLOCKED, row('MARKING_WORK_TEMPORARY_BLOCKED', 'Работа с маркированными товарами временно заблокирована')],
  [ATOL_MARKING_ERRORS.INVALID_MARKING_CODE, row('INVALID_MARKING_CODE', 'Некорректный код маркировки')],
  [MARKING_ERRORS.INVALID_STATE, row('INVALID_STATE', 'Неверное состояние')],
  [MARKING_ERRORS.OFD_EXCHANGE, row('OFD_EXCHANGE', 'Ошибка обмена с сервером ОФД или ИСМ')],
  [ATOL_MARKING_ERRORS.INVALID_MEASUREMENT_UNIT, row('INVALID_MEASUREMENT_UNIT', 'Некорректное значение единиц измерения')],
  [ATOL_MARKING_ERRORS.OPERATION_DENIED_IN_CURRENT_FFD, row('OPERATION_DENIED_IN_CURRENT_FFD', 'Операция не разрешена в данной версии ФФД')],
  [ATOL_MARKING_ERRORS.MARKING_OPERATION_DENIED, row('MARKING_OPERATION_DENIED', 'Операция не разрешена, при регистрации не был установлен признак ТМТ')],
  [ATOL_MARKING_ERRORS.MARK_NOT_CHECKED, row('MARK_NOT_CHECKED', 'КМ не проверен в ФН')],
  [MARKING_ERRORS.MARK_CHECK_TIMEOUT_EXPIRED, row('MARK_CHECK_TIMEOUT_EXPIRED', 'Истёк таймаут проверки КМ')],
  [ATOL_MARKING_ERRORS.NO_MARKING_CODE_IN_TABLE, row('NO_MARKING_CODE_IN_TABLE', 'Данный КМ отсутствует в таблице')],
  [ATOL_MARKING_ERRORS.PROPERTY_FOR_MARKING_POSITION_ONLY, row('PROPERTY_FOR_MARKING_POSITION_ONLY', 'Данный реквизит разрешён только для маркированной позиции')],
  [WEB_ERRORS.RECEIPT_PARSE_ERROR, row('RECEIPT_PARSE_ERROR', 'Ошибка парсинга запроса')],
  [WEB_ERRORS.INTERRUPTED_BY_PREVIOUS_ERRORS, row('INTERRUPTED_BY_PREVIOUS_ERRORS', 'Выполнение прервано из-за предыдущих ошибок')],
  // libfptr names 503 DRIVER_SCRIPT_ERROR; Web Requests reuses it for a cancelled request.
  [WEB_ERRORS.CANCELED, row('CANCELED', 'Задание отменено', 'web-requests')],
  // 505 (LIBFPTR_ERROR_WEB_FAIL) only appears in HTTP error bodies, always with a specific text.
]);

/** Subtask error as it travels: `{code, description}`. */
export interface WireError {
  code: number;
  description: string;
}

export const errorText = (code: number): string => ERROR_TABLE.get(code)?.text ?? `Ошибка ${code}`;

/** The table's text, or a task-specific one (the vendor scripts name the field at fault). */
export const wireError = (code: number, detail?: string): WireError => ({ code, description: detail ?? errorText(code) });

/** A refusal of the register behind the emulator → the ATOL error the driver maps back to the same stable code. */
export const deviceWireError = (err: DeviceError): WireError => wireError(atolCodeOf(err.code));

/**
 * A task the driver refuses before or instead of reaching the device: a malformed field (501,
 * with the vendor scripts' wording), a task the emulated register cannot do (11), ...
 */
export class JsonTaskError extends Error {
  constructor(
    readonly code: number,
    message = errorText(code),
  ) {
    super(message);
    this.name = 'JsonTaskError';
  }
}

/**
 * Why the queue stopped (`blockReason` of Web Requests, kktsite-agent `src/device.js`, which also
 * knows `fnError` and `paperError`). The emulator blocks only when the register's answer to a
 * fiscal document was lost, i.e. on the link; the emulated register has no printer.
 */
export type BlockReason = 'connectionError';
