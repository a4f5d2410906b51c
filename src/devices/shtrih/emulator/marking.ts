/**
 * The emulated register's FFD 1.2 marking commands, answered from the virtual register's FN-M
 * (FiscalDriver.checkMarkingCode / acceptMarkingCode / clearMarkingCodes / markingState):
 * FF61 check, FF69 accept / decline / clear, FF67 bind a code to an item, FF70 marking state, FF68
 * notification exchange. Layouts: commands.ts (vendor sources cited there).
 *
 * A real register talks to the marking operator itself inside FF61 (B1, B5, the operator, B6); here
 * the virtual register's simulated operator does. The register keeps, as the FN does, the code under
 * check and the accepted ones: FF67 finds the accepted check of the code it binds, and its 2106 goes
 * to the receipt (RegisterOptions.marking) at FF45.
 */
import type { MarkingCheckResult } from '../../../domain/ffd12.js';
import { MARKING_BITS, isPlannedStatus } from '../../../domain/ffd12.js';
import type { PlannedStatus } from '../../../domain/ffd12.js';
import { isMeasure } from '../../../domain/enums.js';
import type { FiscalDriver } from '../../driver.js';
import { isEmulatorDriver } from '../../emulator/emulator-driver.js';
import { decodeEntries, tagLists, tagNumber } from '../../ffd/tag-list.js';
import {
  CMD, MARKING_ACTION, MARKING_ONLINE, decodeMarkingAccept, decodeMarkingBind, decodeMarkingCheck, encodeMarkingAcceptAnswer,
  encodeMarkingBindAnswer, encodeMarkingCheckAnswer, encodeMarkingNotificationStatus, encodeMarkingStatus,
} from '../commands.js';
import type { MarkingCheckAnswer, WallTime } from '../commands.js';
import { ANSWER_TAGS, MEASURED_STATUSES, PROCESSING_BITS } from '../marking.js';
import { concat } from '../bytes.js';
import { decodeTlvs, encodeTlv } from '../tlv.js';
import type { Outcome } from './outcome.js';
import { ok, refuse } from './outcome.js';
import { ShtrihRefusal, bindMarking, draftItem } from './receipt-builder.js';
import type { DocumentState } from './receipt-builder.js';

export const MARKING_COMMANDS: ReadonlySet<number> = new Set([
  CMD.fnCheckMarking, CMD.fnAcceptMarking, CMD.fnBindMarking, CMD.fnMarkingStatus, CMD.fnMarkingNotifications,
]);

const BAD_PARAMETERS = 0x33;
/** "Чек закрыт – операция невозможна" */
const RECEIPT_CLOSED = 0x55;

export interface MarkingOptions {
  driver: FiscalDriver;
  doc: DocumentState;
  /** The register takes an item's FF4D tags and FF67 before its FF46 (commands.ts operationTagsFirst). */
  tagsFirst: boolean;
  /** The register's wall clock at an instant (ms). */
  wallAt(ms: number): WallTime;
}

/** What FF70 and FF68 report. */
interface Work {
  state: number;
  saved: number;
  queued: number;
  firstNumber: number;
  oldest: WallTime | null;
}

interface Checked {
  code: string;
  plannedStatus: PlannedStatus;
  result: MarkingCheckResult;
}
interface Accepted extends Checked {
  check: number;
  bound: boolean;
}

const REASON_BYTE: Record<MarkingCheckResult['fn']['reason'], number> = { checked: 0, type_not_checkable: 1, no_keys: 2, no_gs1: 3, other: 4 };

/** A check result as the FF61 answer carries it: 2004, the reason, 2100 and the operator's answer. */
export function checkAnswerOf(r: MarkingCheckResult): MarkingCheckAnswer {
  const fnCheck = (r.fn.checked ? MARKING_BITS.fnChecked : 0) | (r.fn.valid ? MARKING_BITS.fnValid : 0);
  const head = { fnCheck, fnReason: REASON_BYTE[r.fn.reason], codeType: r.codeType };
  const op = r.operator;
  if (op.answered) {
    // The answer's tags (form 83): 2105, 2109 when given, 2005 (bit 1 code valid, bit 3 status correct).
    const tlv = concat([
      encodeTlv(ANSWER_TAGS.requestCode, new Uint8Array([op.requestCode])),
      ...(op.itemStatus === null ? [] : [encodeTlv(ANSWER_TAGS.itemStatus, new Uint8Array([op.itemStatus]))]),
      encodeTlv(ANSWER_TAGS.processing, new Uint8Array([(op.codeValid ? PROCESSING_BITS.codeValid : 0) | (op.statusCorrect ? PROCESSING_BITS.statusCorrect : 0)])),
    ]);
    return { ...head, online: { result: MARKING_ONLINE.answered, status: r.itemCheckResult, tlv } };
  }
  if (op.reason === 'timeout') return { ...head, online: { result: MARKING_ONLINE.timeout, status: 0, tlv: new Uint8Array(0) } };
  return { ...head, online: null };
}

/**
 * FF67 answer's code type and Data Matrix type (emulator layout): 0x444D ("DM", the FFD 1.05 1162
 * type of a Data Matrix code) for a recognised code, else 0; Data Matrix type per FSBindMC.java
 * (0 check code of 88, 2 tobacco, 3 check code of 44, 0xFF anything else).
 */
function bindTypes(codeType: number): { productCodeType: number; dataMatrixType: number } {
  const dataMatrixType = codeType === 2 ? 0 : codeType === 1 ? 2 : codeType === 3 || codeType === 4 ? 3 : 0xff;
  return { productCodeType: codeType === 0 ? 0 : 0x444d, dataMatrixType };
}

export function createMarkingCommands(o: MarkingOptions): {
  execute(command: number, data: Uint8Array): Promise<Outcome>;
  /** After FF45 closed a receipt: the FN has used its accepted codes. */
  receiptClosed(): void;
  /** After 0x88 / FF08: the codes stay accepted in the FN, bound to nothing. */
  receiptCancelled(): void;
} {
  const d = o.driver;
  let pending: Checked | null = null;
  let accepted: Accepted[] = [];

  /**
   * FF61: 1023 and 1291 only for measured goods (2003 = 2 or 4): the register refuses 1023 with a
   * piece status (shtrih-m/fr_drv_ng_examples#39, error 0x0033009C), and a fraction is sold with
   * status 2 or 4 (the vendor's recipe in the same thread: status 2, measure 0, fraction 1/3).
   */
  async function check(data: Uint8Array): Promise<Outcome> {
    const r = decodeMarkingCheck(data);
    if (!isPlannedStatus(r.plannedStatus) || r.mode !== 0 || r.code.length === 0) return refuse(BAD_PARAMETERS);
    const tags = decodeEntries(decodeTlvs(r.tlv));
    const measure = tagNumber(tags, 2108);
    const quantity = tagNumber(tags, 1023);
    const [fraction] = tagLists(tags, 1291);
    if (tags.some(([t]) => t !== 2108 && t !== 1023 && t !== 1291)) return refuse(BAD_PARAMETERS);
    if (!MEASURED_STATUSES.has(r.plannedStatus) && (quantity !== null || fraction !== undefined)) return refuse(BAD_PARAMETERS);
    if (measure !== null && !isMeasure(measure)) return refuse(BAD_PARAMETERS);
    const fractional = fraction ? { numerator: tagNumber(fraction, 1293) ?? 0, denominator: tagNumber(fraction, 1294) ?? 0 } : null;
    if (fractional && (fractional.numerator <= 0 || fractional.denominator <= 0)) return refuse(BAD_PARAMETERS);
    // A new check replaces the one left undecided, as in the FN, also when this one is refused.
    pending = null;
    const result = await d.checkMarkingCode({
      code: r.code,
      plannedStatus: r.plannedStatus,
      measure: measure ?? 0,
      quantity,
      fractional,
      // FF61 has no switch for it: whether the operator is asked is the register's own setting.
      offline: false,
    });
    pending = { code: r.code, plannedStatus: r.plannedStatus, result };
    return ok(encodeMarkingCheckAnswer(checkAnswerOf(result)));
  }

  async function accept(data: Uint8Array): Promise<Outcome> {
    const action = decodeMarkingAccept(data);
    if (action === MARKING_ACTION.clear) {
      await d.clearMarkingCodes();
      pending = null;
      accepted = [];
      return ok(encodeMarkingAcceptAnswer(0));
    }
    if (action !== MARKING_ACTION.accept && action !== MARKING_ACTION.decline) return refuse(BAD_PARAMETERS);
    const itemCheckResult = await d.acceptMarkingCode(action === MARKING_ACTION.accept);
    if (action === MARKING_ACTION.accept && pending) accepted.push({ ...pending, check: itemCheckResult, bound: false });
    pending = null;
    return ok(encodeMarkingAcceptAnswer(itemCheckResult));
  }

  /**
   * FF67: binds an accepted code to the last item, or (tags-first registers) to the next FF46. A real
   * register checks a code nobody checked yet right here (shtrih-m/fr_drv_ng#249); the emulator
   * refuses it (0x33) instead, so a receipt only carries codes checked and accepted beforehand.
   */
  function bind(data: Uint8Array): Outcome {
    const { code } = decodeMarkingBind(data);
    const receipt = o.doc.receipt;
    if (!receipt) return refuse(RECEIPT_CLOSED);
    const entry = accepted.find((a) => a.code === code && !a.bound);
    if (!entry) throw new ShtrihRefusal(BAD_PARAMETERS, 'FF67: the code was not checked and accepted');
    const binding = { code, plannedStatus: entry.plannedStatus, check: entry.check };
    if (o.tagsFirst) {
      receipt.pending ??= { draft: draftItem(), tlvs: [], binding: null };
      if (receipt.pending.binding) throw new ShtrihRefusal(BAD_PARAMETERS, 'one marking code per item');
      bindMarking(null, receipt.pending.draft, binding);
      receipt.pending.binding = binding;
    } else {
      const item = receipt.items.at(-1);
      if (!item) throw new ShtrihRefusal(BAD_PARAMETERS, 'FF67 before any item');
      bindMarking(receipt, item, binding);
    }
    entry.bound = true;
    const head = checkAnswerOf(entry.result);
    return ok(encodeMarkingBindAnswer({ ...bindTypes(entry.result.codeType), check: { ...head, online: null } }));
  }

  /**
   * The FN's marking work. The virtual register reports it whole (state, saved results, the first
   * unconfirmed notification's 2002 and time); another FiscalDriver only has markingState(), so the
   * check state and saved results come from what this register saw, and the notification number is 0.
   */
  async function work(): Promise<Work> {
    if (isEmulatorDriver(d)) {
      const w = await d.markingWork();
      return {
        state: w.state, saved: w.acceptedCount, queued: w.unconfirmed.count, firstNumber: w.unconfirmed.firstNumber ?? 0,
        oldest: w.unconfirmed.oldestAt === null ? null : o.wallAt(w.unconfirmed.oldestAt),
      };
    }
    const st = await d.markingState();
    return {
      state: st.blocked ? 0 : pending ? (pending.result.operator.answered ? 4 : 2) : 1,
      saved: accepted.length,
      queued: st.unconfirmedNotifications,
      firstNumber: 0,
      oldest: st.oldestUnconfirmedAt === null ? null : o.wallAt(Date.parse(st.oldestUnconfirmedAt)),
    };
  }

  /**
   * FF70. Allowed commands as the FN-M allows them in each state (emulator figures): B1 and B3 when
   * idle, B7 once results are saved (0x25 with saved results, as in the status printed in
   * shtrih-m/fr_drv_ng#185), B2 while a code waits, only B3 while blocked. No notification is being
   * formed and the storage is below 50 % (the virtual FN does not model them).
   */
  async function status(): Promise<Outcome> {
    const w = await work();
    const waiting = w.state >= 2;
    const allowed = w.state === 0 ? (w.saved > 0 ? 0x04 : 0) : waiting ? 0x02 : 0x01 | (w.saved > 0 ? 0x24 : 0);
    return ok(encodeMarkingStatus({
      checkState: w.state, notificationState: 0, allowedCommands: allowed, savedResults: Math.min(w.saved, 0xff), codesInNotification: 0,
      storageWarning: 0, queuedNotifications: Math.min(w.queued, 0xffff),
    }));
  }

  /** FF68: the oldest unconfirmed notification (its 2002 and time); storage use is not modelled (0 %). */
  async function notifications(): Promise<Outcome> {
    const w = await work();
    const queued = Math.min(w.queued, 0xffff);
    return ok(encodeMarkingNotificationStatus({
      exchangeState: queued > 0 ? 2 : 0,
      queued,
      currentNumber: queued > 0 ? w.firstNumber : 0,
      currentDateTime: queued > 0 ? w.oldest : null,
      storageUsedPercent: 0,
    }));
  }

  return {
    async execute(command, data) {
      switch (command) {
        case CMD.fnCheckMarking: return check(data);
        case CMD.fnAcceptMarking: return accept(data);
        case CMD.fnBindMarking: return bind(data);
        case CMD.fnMarkingStatus: return status();
        case CMD.fnMarkingNotifications: return notifications();
        default: return refuse(0x37);
      }
    },
    receiptClosed() {
      accepted = [];
    },
    receiptCancelled() {
      for (const a of accepted) a.bound = false;
    },
  };
}

