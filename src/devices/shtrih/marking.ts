/**
 * FFD 1.2 marking codes on a Shtrih-M register (FN-M): FF61 checks a code, FF69 accepts, declines
 * or clears, FF70 and FF68 report the FN's marking state. The exchange with the marking operator
 * (FN B5 request → operator → B6 answer) is the register's own work inside FF61: it answers with the
 * FN's check and, when it reached the operator, the operator's answer (shtrih-m/javapos_shtrih
 * FSCheckMC.java; a real exchange in shtrih-m/fr_drv_ng#145). Layouts: commands.ts.
 */
import type { MarkingCheckResult } from '../../domain/ffd12.js';
import { MARKING_BITS } from '../../domain/ffd12.js';
import { DeviceError } from '../driver.js';
import type { MarkingCheckRequest, MarkingState, RegistrationInfo } from '../driver.js';
import { encodeTlv as encodeTagList } from '../ffd/tag-list.js';
import type { TagEntry } from '../ffd/tag-list.js';
import {
  CMD, MARKING_ACTION, MARKING_ONLINE, decodeMarkingAcceptAnswer, decodeMarkingCheckAnswer, decodeMarkingNotificationStatus,
  decodeMarkingStatus, encodeMarkingAccept, encodeMarkingCheck, encodeMarkingCodeText,
} from './commands.js';
import type { MarkingCheckAnswer } from './commands.js';
import { MAX_PAYLOAD } from './frame.js';
import { decodeTlvs, readVln } from './tlv.js';
import type { Session } from './session.js';

/** Tags of the marking operator's answer (form 83) that FF61 passes on. */
export const ANSWER_TAGS = {
  /** 2105: 0 request and code well-formed, 1 request malformed, 2 code not recognised */
  requestCode: 2105,
  /** 2109: 1 planned status correct, 2 incorrect, 3 sale stopped */
  itemStatus: 2109,
  /** 2005: bit 1 the code's check positive, bit 3 the planned status correct */
  processing: 2005,
} as const;

/** 2005 bits of the operator's answer. */
export const PROCESSING_BITS = { codeValid: 0b10, statusCorrect: 0b1000 } as const;

/** 2003 values of measured goods: the check carries 2108 / 1023 / 1291. */
export const MEASURED_STATUSES: ReadonlySet<number> = new Set([2, 4]);

const FN_REASONS = ['checked', 'type_not_checkable', 'no_keys', 'no_gs1', 'other'] as const;

/** FF61 frame: 2 command bytes, password, 4 header bytes, then code and TLV. */
const CHECK_ROOM = MAX_PAYLOAD - 2 - 4 - 4;

const invalid = (message: string): DeviceError => new DeviceError('rejected', 'invalid_document', message, { retryable: false });

/**
 * The TLV FF61 carries: 2108, 1023 and 1291 {1293, 1294} for measured goods (2003 = 2 or 4), nothing
 * for piece goods. A piece good with 1023 is refused by the register's format check ("тег 1023 не
 * должен быть передан … для планируемого статуса штучный", shtrih-m/fr_drv_ng_examples#39), so it is
 * refused here before anything is sent; so is a fraction with a piece status (the vendor's recipe
 * for a fraction in the same thread uses status 2, measure 0, fraction 1/3). The vendor's driver
 * builds the same list (SMFiscalPrinterImpl.checkItemCode; fr_drv_ng_examples
 * classic_interface/main.cpp).
 */
export function checkTlv(r: MarkingCheckRequest): Uint8Array {
  if (!MEASURED_STATUSES.has(r.plannedStatus)) {
    if (r.quantity !== null || r.fractional !== null) {
      throw invalid(`planned status ${r.plannedStatus} is a piece good: the check carries no quantity (1023) or fraction (1291)`);
    }
    return new Uint8Array(0);
  }
  const tags: TagEntry[] = [[2108, r.measure]];
  if (r.quantity !== null) tags.push([1023, r.quantity]);
  if (r.fractional) tags.push([1291, [[1293, r.fractional.numerator], [1294, r.fractional.denominator]]]);
  return encodeTagList(tags, { form: 'fn' });
}

/** The FF61 answer as the driver contract's MarkingCheckResult. */
export function checkResultOf(a: MarkingCheckAnswer, offline: boolean): MarkingCheckResult {
  const fn = {
    checked: (a.fnCheck & MARKING_BITS.fnChecked) !== 0,
    valid: (a.fnCheck & MARKING_BITS.fnValid) !== 0,
    reason: FN_REASONS[a.fnReason] ?? 'other',
  };
  const fnBits = a.fnCheck & (MARKING_BITS.fnChecked | MARKING_BITS.fnValid);
  // No answer from the operator: the result is formed without it, as in autonomous mode (2106 bit 4).
  const alone = (reason: 'unreachable' | 'timeout' | 'not_asked'): MarkingCheckResult => ({
    codeType: a.codeType, fn, operator: { answered: false, reason }, itemCheckResult: fnBits | MARKING_BITS.autonomous,
  });
  if (!a.online) return alone(offline ? 'not_asked' : 'unreachable');
  if (a.online.result === MARKING_ONLINE.timeout) return alone('timeout');
  // 0x20: an answer came but the FN refused it (its signature, request or FN number): no usable answer.
  if (a.online.result !== MARKING_ONLINE.answered) return alone('unreachable');

  const tags = decodeTlvs(a.online.tlv);
  const byteOf = (tag: number): number | null => {
    const t = tags.find((x) => x.tag === tag);
    return t ? readVln(t.value) : null;
  };
  const request = byteOf(ANSWER_TAGS.requestCode) ?? 0;
  // 2005 when the answer has it; else bits 1 and 3 of the FN's status byte, which 2106 shares with 2005.
  const processing = byteOf(ANSWER_TAGS.processing) ?? a.online.status;
  const itemStatus = byteOf(ANSWER_TAGS.itemStatus);
  return {
    codeType: a.codeType,
    fn,
    operator: {
      answered: true,
      requestCode: request === 0 || request === 1 || request === 2 ? request : 1,
      codeValid: (processing & PROCESSING_BITS.codeValid) !== 0,
      statusCorrect: (processing & PROCESSING_BITS.statusCorrect) !== 0,
      itemStatus: itemStatus === 1 || itemStatus === 2 || itemStatus === 3 ? itemStatus : null,
    },
    itemCheckResult: a.online.status,
  };
}

export interface MarkingCommands {
  checkMarkingCode(request: MarkingCheckRequest): Promise<MarkingCheckResult>;
  acceptMarkingCode(accept: boolean): Promise<number>;
  clearMarkingCodes(): Promise<void>;
  markingState(): Promise<MarkingState>;
}

/** The four FiscalDriver marking methods over one session; `registration` says the FFD version. */
export function markingCommands(s: Session, registration: () => Promise<RegistrationInfo>): MarkingCommands {
  /** FFD 1.05 (an FN without marking): refused before anything is sent. */
  const requireFfd12 = async (): Promise<void> => {
    if ((await registration()).ffdVersion !== '120') {
      throw new DeviceError('rejected', 'not_supported', 'marking codes need an FN registered for FFD 1.2', { retryable: false });
    }
  };

  return {
    async checkMarkingCode(request) {
      await requireFfd12();
      if (request.code.length === 0) throw invalid('empty marking code');
      let code: Uint8Array;
      try {
        code = encodeMarkingCodeText(request.code);
      } catch (err) {
        throw invalid(err instanceof Error ? err.message : String(err));
      }
      const tlv = checkTlv(request);
      if (code.length + tlv.length > CHECK_ROOM) throw invalid(`marking code and its tags exceed one FF61 frame (${CHECK_ROOM} bytes)`);
      // 2102 is always 0: the only processing mode FFD 1.2 defines.
      const answer = await s.call(CMD.fnCheckMarking, encodeMarkingCheck(s.password, { plannedStatus: request.plannedStatus, mode: 0, code: request.code, tlv }));
      return checkResultOf(decodeMarkingCheckAnswer(answer), request.offline);
    },

    async acceptMarkingCode(accept) {
      await requireFfd12();
      const answer = await s.call(CMD.fnAcceptMarking, encodeMarkingAccept(s.password, accept ? MARKING_ACTION.accept : MARKING_ACTION.decline));
      const result = decodeMarkingAcceptAnswer(answer);
      if (result === null) throw new DeviceError('rejected', 'device_error', 'FF69 answered without the 2106 check result', { retryable: false });
      return result;
    },

    /**
     * A code still under check is declined first (FF69 0: the FN wants B2 after each B1, and B3 is
     * not allowed before it), then the saved results are cleared (FF69 2). Nothing is sent when
     * FF70 shows neither, because B3 with nothing saved is refused on some firmware
     * (shtrih-m/javapos_shtrih#156: "Invalid 0xBx command sequence" on ШТРИХ-НАНО-Ф).
     */
    async clearMarkingCodes() {
      await requireFfd12();
      const status = decodeMarkingStatus(await s.call(CMD.fnMarkingStatus));
      if (status.checkState >= 2) await s.call(CMD.fnAcceptMarking, encodeMarkingAccept(s.password, MARKING_ACTION.decline));
      if (status.savedResults > 0) await s.call(CMD.fnAcceptMarking, encodeMarkingAccept(s.password, MARKING_ACTION.clear));
    },

    async markingState() {
      await requireFfd12();
      const status = decodeMarkingStatus(await s.call(CMD.fnMarkingStatus));
      const exchange = decodeMarkingNotificationStatus(await s.call(CMD.fnMarkingNotifications));
      return {
        blocked: status.checkState === 0,
        unconfirmedNotifications: exchange.queued,
        oldestUnconfirmedAt: exchange.queued > 0 && exchange.currentDateTime ? s.iso(exchange.currentDateTime) : null,
      };
    },
  };
}
