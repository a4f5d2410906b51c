/**
 * The register behind the protocol emulator: executes one decoded command against a FiscalDriver
 * (the virtual fiscal register) and answers with an error byte and data, or asks the server to
 * drop the line (a lost answer). One command at a time, like the real device.
 */
import type { DeviceStatus, FiscalDocument, FiscalDriver, FiscalDocumentKind, XReport } from '../../driver.js';
import { DeviceError } from '../../driver.js';
import { concat, readUintLE, u16, u8, uintLE } from '../bytes.js';
import {
  CLOSING_COMMANDS, CMD, DOC_TYPES, REG_FIELDS, REG_TABLE, decodeCloseReceipt, decodeFdRequest, decodeOperation, decodeReadTable,
  encodeCloseReceiptAnswer, encodeDeviceType, encodeFnStatus, encodeFnValidity, encodeFoundDocument, encodeFullStatus, encodeOfdStatus,
  encodeShiftParams, encodeShortStatus, encodeTableString, encodeTlvDocumentInfo, operationTagsFirst,
} from '../commands.js';
import type { WallTime } from '../commands.js';
import { CODE_TO_SHTRIH } from '../errors.js';
import { fiscalSignTlvValue, isoToWallSeconds, jsonToTlvs, parseOffset } from '../ffd-json.js';
import type { TimeContext } from '../ffd-json.js';
import { SHIFT_TOTAL_REGISTERS } from '../driver.js';
import { decodeTlvs, encodeTlv, tlvByte, tlvString, tlvU32, tlvVln } from '../tlv.js';
import type { Tlv } from '../tlv.js';
import type { WireFaults } from './faults.js';
import { CLASSIC_COMMANDS, createClassicCommands } from './classic.js';
import type { Outcome } from './outcome.js';
import { ok, refuse } from './outcome.js';
import { MARKING_COMMANDS, createMarkingCommands } from './marking.js';
import {
  RECEIPT_TLV_TAGS, ShtrihRefusal, applyItemTag, buildReceipt, cashierFromTags, draftItem, itemFromOperation, newOpenReceipt,
  registerOptionsOf, takePending,
} from './receipt-builder.js';
import type { DocumentState, OpenReceipt } from './receipt-builder.js';

export type { Outcome } from './outcome.js';

export interface DeviceOptions {
  driver: FiscalDriver;
  faults: WireFaults;
  timezoneOffset: string;
  /** Passwords the register accepts (cashiers 1–28, administrator 29, system administrator 30). */
  password: number;
  deviceName: string;
  /**
   * Model code answered to 0xFC (default 0). Cash-core codes (16, 19, 20, 21, 45, 46) make the
   * register take an item's FF4D tags and FF67 before its FF46 (commands.ts operationTagsFirst).
   */
  modelCode?: number;
  /** Classic 0x80–0x83 need 0x8D first (answer 0x55 otherwise); default false, the first item opens the receipt. */
  requireOpenCheck?: boolean;
  hooks?: { afterCommand?(command: number): void | Promise<void> };
}

const NO_DATA = 0x08;
const TLV_CHUNK = 240;
const PRINTING: ReadonlySet<number> = new Set([CMD.fnCloseReceipt, CMD.closeCheck, CMD.closeCheckExtended, CMD.openShift, CMD.zReport, CMD.xReport]);
/** FF xx commands that touch the FN need the system administrator's password. */
const passwordOf = (data: Uint8Array): number | null => (data.length >= 4 ? readUintLE(data, 0, 4) : null);

const DOC_TYPE_OF: Record<FiscalDocumentKind, number> = {
  registration: DOC_TYPES.registration,
  openShift: DOC_TYPES.openShift,
  receipt: DOC_TYPES.receipt,
  correction: DOC_TYPES.correction,
  closeShift: DOC_TYPES.closeShift,
  stateReport: DOC_TYPES.stateReport,
  // Container code 6, the report on closing the FN (domain.md §1.1): only a store closed elsewhere has one.
  closeArchive: 6,
};
/** Mode-8 status nibble: 0 sale, 1 buy, 2 sale return, 3 buy return (§5.2). */
const RECEIPT_NIBBLE = { 1: 0, 2: 2, 3: 1, 4: 3 } as const;

export function createEmulatedDevice(o: DeviceOptions): { execute(command: number, data: Uint8Array): Promise<Outcome> } {
  const tc: TimeContext = { offsetMinutes: parseOffset(o.timezoneOffset) };
  const d = o.driver;
  /** The document open on the register; shared with the classic commands (classic.ts). */
  const doc: DocumentState = { receipt: null, correctionPending: false };
  const modelCode = o.modelCode ?? 0;
  const tagsFirst = operationTagsFirst(modelCode);
  /** TLVs sent by FF0C between FF41/FF42 and E0/0x41 (cashier of the shift report). */
  let reportTags: Tlv[] = [];
  let lastX: XReport | null = null;
  let tlvStream: { tlvs: Uint8Array[]; next: number } | null = null;
  let queue: Promise<unknown> = Promise.resolve();

  const wall = (iso: string): WallTime => {
    const t = new Date(isoToWallSeconds(iso, tc) * 1000);
    return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate(), hour: t.getUTCHours(), minute: t.getUTCMinutes(), second: t.getUTCSeconds() };
  };
  const marking = createMarkingCommands({ driver: o.driver, doc, tagsFirst, wallAt: (ms) => wall(new Date(ms).toISOString()) });
  const classic = createClassicCommands({
    driver: o.driver, doc, requireOpenCheck: o.requireOpenCheck ?? false, onReceiptClosed: () => marking.receiptClosed(),
  });

  const mode = (st: DeviceStatus): number => {
    if (doc.receipt) return 8 | (RECEIPT_NIBBLE[doc.receipt.operationType] << 4);
    if (doc.correctionPending) return 8;
    switch (st.shift.state) {
      case 'open': return 2;
      case 'expired': return 3;
      case 'closed': return 4;
    }
  };

  async function run(command: number, data: Uint8Array): Promise<Outcome> {
    const pw = passwordOf(data);
    if (command !== CMD.deviceType && (pw === null || pw < 1 || pw > 30 || (command > 0xff && pw !== o.password))) return refuse(0x4f);
    const closing = CLOSING_COMMANDS.has(command);
    if (closing && o.faults.take('disconnect_before_close')) return { drop: true };
    if (PRINTING.has(command) && o.faults.take('paper_out')) return refuse(CODE_TO_SHTRIH.paper_out);
    if (closing && o.faults.take('fn_full')) return refuse(CODE_TO_SHTRIH.fn_memory_full);
    if (closing && o.faults.take('fn_expired')) return refuse(CODE_TO_SHTRIH.fn_expired);
    const out = await dispatch(command, data);
    if (closing && 'error' in out && out.error === 0 && o.faults.take('lose_answer_after_close')) return { drop: true };
    return out;
  }

  async function dispatch(command: number, data: Uint8Array): Promise<Outcome> {
    // The operator number answers carry is the one whose password came with the command (the
    // factory passwords of operators 1–30 are their numbers; 30 is the system administrator).
    const operatorNumber = passwordOf(data) ?? 30;
    const OPERATOR = u8(operatorNumber);
    switch (command) {
      case CMD.shortStatus: {
        const st = await d.status();
        return ok(encodeShortStatus({ operator: operatorNumber, flags: 0, mode: mode(st), submode: st.paperPresent ? 0 : 1, operationsInReceipt: doc.receipt?.items.length ?? 0 }));
      }
      case CMD.fullStatus: {
        const [st, reg] = [await d.status(), await d.registrationInfo()];
        return ok(encodeFullStatus({
          firmware: '1.0', documentNumber: st.lastFdNumber, mode: mode(st), submode: st.paperPresent ? 0 : 1, dateTime: wall(st.dateTime),
          serial: Number(reg.registratorSerial.replace(/\D/g, '').slice(-9) || '0'),
          lastClosedShift: st.shift.state === 'closed' ? st.shift.number : Math.max(0, st.shift.number - 1),
          inn: reg.companyInn,
          operator: operatorNumber,
        }));
      }
      case CMD.deviceType:
        return ok(encodeDeviceType({ type: 0, subtype: 0, protocol: 1, subprotocol: 2, model: modelCode, language: 0, name: o.deviceName }));
      case CMD.readTable: {
        const { table, row, field } = decodeReadTable(data);
        const entry = Object.entries(REG_FIELDS).find(([, f]) => f.field === field);
        if (table !== REG_TABLE || row !== 1 || !entry) return refuse(0x33);
        const reg = await d.registrationInfo();
        const [name, def] = entry as [keyof typeof REG_FIELDS, (typeof REG_FIELDS)[keyof typeof REG_FIELDS]];
        switch (name) {
          case 'taxSystems': return ok(u8(reg.taxSystems));
          case 'ffdVersion': return ok(u8(reg.ffdVersion === '120' ? 4 : 2));
          default: return ok(encodeTableString(reg[name], def.width));
        }
      }
      case CMD.moneyRegister: {
        const n = data[4] ?? 0;
        const key = (Object.keys(SHIFT_TOTAL_REGISTERS) as (keyof typeof SHIFT_TOTAL_REGISTERS)[]).find((k) => SHIFT_TOTAL_REGISTERS[k] === n);
        return ok(concat([OPERATOR, uintLE(key && lastX ? lastX.totals[key] : 0, 6)]));
      }
      case CMD.xReport:
        // Like the Z report, the X report is refused while a receipt is open.
        if (doc.receipt) return refuse(0x4a);
        lastX = await d.xReport();
        return ok(OPERATOR);
      case CMD.fnBeginOpenShift:
      case CMD.fnBeginCloseShift:
        reportTags = [];
        return ok();
      case CMD.openShift: {
        const cashier = cashierFromTags(reportTags);
        reportTags = [];
        await d.openShift(cashier);
        return ok(OPERATOR);
      }
      case CMD.zReport: {
        if (doc.receipt) return refuse(0x4a);
        const cashier = cashierFromTags(reportTags);
        reportTags = [];
        await d.closeShift(cashier);
        return ok(OPERATOR);
      }
      case CMD.cancelReceipt:
      case CMD.fnCancelDocument:
        if (!doc.receipt && !doc.correctionPending) return refuse(0x55);
        doc.receipt = null;
        doc.correctionPending = false;
        marking.receiptCancelled();
        return ok(OPERATOR);
      case CMD.fnStatus: {
        const [st, reg] = [await d.status(), await d.registrationInfo()];
        const bit = (w: string, b: number): number => (st.warnings.includes(w) ? b : 0);
        const phase = { configured: 0x01, fiscal: 0x03, closed: 0x07, finished: 0x0f }[st.fn.phase];
        return ok(encodeFnStatus({
          phase,
          currentDocument: doc.receipt ? (doc.receipt.correction ? 0x14 : 0x04) : doc.correctionPending ? 0x14 : 0,
          documentData: doc.receipt && doc.receipt.items.length > 0 ? 1 : 0,
          shiftOpen: st.shift.state !== 'closed',
          warnings: bit('fn_replace_urgently', 1) | bit('fn_expires_soon', 2) | bit('fn_memory_almost_full', 4) | bit('ofd_timeout', 8),
          dateTime: wall(st.dateTime),
          fnSerial: reg.fnSerial,
          lastFd: st.lastFdNumber,
        }));
      }
      case CMD.fnValidity: {
        const st = await d.status();
        const t = st.fn.expiresAt ? wall(st.fn.expiresAt) : { year: 2099, month: 12, day: 31 };
        return ok(encodeFnValidity({ year: t.year, month: t.month, day: t.day, remainingRegistrations: 29, doneRegistrations: 1 }));
      }
      case CMD.beep:
        return ok(OPERATOR);
      case CMD.fnUnconfirmedCount: {
        const st = await d.status();
        return ok(u16(Math.min(st.ofd.unsentCount, 0xffff)));
      }
      case CMD.fnOfdStatus: {
        const st = await d.status();
        return ok(encodeOfdStatus({
          status: st.ofd.unsentCount > 0 ? 1 : 0, readState: 0, count: st.ofd.unsentCount,
          firstDocument: 0, firstDateTime: st.ofd.oldestUnsentAt ? wall(st.ofd.oldestUnsentAt) : null,
        }));
      }
      case CMD.fnShiftParams: {
        const st = await d.status();
        return ok(encodeShiftParams({ open: st.shift.state !== 'closed', shiftNumber: st.shift.number, receiptNumber: st.shift.receiptsInShift }));
      }
      case CMD.fnFindDocument: {
        const doc = await d.document(decodeFdRequest(data));
        if (!doc) return refuse(NO_DATA);
        return ok(encodeFoundDocument({
          docType: DOC_TYPE_OF[doc.kind], ofdAck: false, dateTime: wall(doc.dateTime), fdNumber: doc.fdNumber,
          fiscalSign: Number(doc.fiscalSign) >>> 0, operationType: doc.operationType, total: doc.totalSum, shiftNumber: doc.shiftNumber,
        }));
      }
      case CMD.fnRequestDocumentTlv: {
        const doc = await d.document(decodeFdRequest(data));
        if (!doc) return refuse(NO_DATA);
        const bytes = documentBytes(doc, tc);
        // FF3B hands the TLV out in pieces that fit a frame; the host joins them.
        const tlvs: Uint8Array[] = [];
        for (let at = 0; at < bytes.length; at += TLV_CHUNK) tlvs.push(bytes.subarray(at, at + TLV_CHUNK));
        tlvStream = { tlvs, next: 0 };
        return ok(encodeTlvDocumentInfo(DOC_TYPE_OF[doc.kind], bytes.length));
      }
      case CMD.fnReadDocumentTlv: {
        const chunk = tlvStream?.tlvs[tlvStream.next];
        if (!tlvStream || !chunk) return refuse(NO_DATA);
        tlvStream.next++;
        return ok(chunk);
      }
      case CMD.fnBeginCorrection:
        if (doc.receipt || doc.correctionPending) return refuse(0x4a);
        doc.correctionPending = true;
        return ok();
      case CMD.fnOperation: {
        const op = decodeOperation(data);
        if (op.type < 1 || op.type > 4) return refuse(0x33);
        if (!doc.receipt) {
          // Opening a receipt needs an open shift that is not past 24 h.
          const st = await d.status();
          if (st.shift.state === 'closed') return refuse(CODE_TO_SHTRIH.shift_closed);
          if (st.shift.state === 'expired') return refuse(CODE_TO_SHTRIH.shift_expired);
          doc.receipt = newOpenReceipt(op.type as OpenReceipt['operationType'], doc.correctionPending);
          doc.correctionPending = false;
        } else if (doc.receipt.operationType !== op.type) {
          return refuse(0x33);
        }
        const item = itemFromOperation(op);
        // Tags-first registers: the FF4D tags and FF67 code sent before this FF46 are its own.
        takePending(doc.receipt, item);
        doc.receipt.items.push(item);
        return ok();
      }
      case CMD.fnOperationTlv: {
        const tlvs = decodeTlvs(data.subarray(4));
        if (tagsFirst) {
          if (!doc.receipt) return refuse(0x55);
          const pending = (doc.receipt.pending ??= { draft: draftItem(), tlvs: [], binding: null });
          for (const t of tlvs) applyItemTag(pending.draft, t);
          pending.tlvs.push(...tlvs);
          return ok();
        }
        const item = doc.receipt?.items.at(-1);
        if (!item) return refuse(0x33);
        for (const t of tlvs) applyItemTag(item, t);
        return ok();
      }
      case CMD.fnSendTlv: {
        const tlvs = decodeTlvs(data.subarray(4));
        if (doc.receipt) {
          if (tlvs.some((t) => !RECEIPT_TLV_TAGS.has(t.tag))) return refuse(0x33);
          doc.receipt.tags.push(...tlvs);
        } else reportTags.push(...tlvs);
        return ok();
      }
      case CMD.fnCloseReceipt: {
        if (!doc.receipt) return refuse(0x55);
        // Tags sent for an item that never came (tags-first order without the FF46).
        if (doc.receipt.pending) return refuse(0x33);
        const r = buildReceipt(doc.receipt, decodeCloseReceipt(data));
        // A real register needs an open shift: no auto-open behind the host's back (0x3D).
        const result = await d.register(r, registerOptionsOf(doc.receipt));
        doc.receipt = null;
        marking.receiptClosed();
        return ok(encodeCloseReceiptAnswer({ change: result.change, fdNumber: result.fdNumber, fiscalSign: Number(result.fiscalSign) >>> 0 }));
      }
      default:
        if (MARKING_COMMANDS.has(command)) return marking.execute(command, data);
        return CLASSIC_COMMANDS.has(command) ? classic.execute(command, data, OPERATOR) : refuse(0x37);
    }
  }

  async function guarded(command: number, data: Uint8Array): Promise<Outcome> {
    const slow = o.faults.take('slow');
    if (slow) await new Promise((r) => setTimeout(r, slow.delayMs));
    try {
      const out = await run(command, data);
      await o.hooks?.afterCommand?.(command);
      return out;
    } catch (err) {
      if (err instanceof ShtrihRefusal) return refuse(err.byte);
      if (err instanceof DeviceError) {
        // The virtual register lost contact or the outcome is unknown: say nothing, like a dead line.
        if (err.kind !== 'rejected') return { drop: true };
        return refuse(CODE_TO_SHTRIH[err.code as keyof typeof CODE_TO_SHTRIH] ?? CODE_TO_SHTRIH.device_error);
      }
      if (err instanceof RangeError) return refuse(0x01); // a short or malformed command
      throw err;
    }
  }

  return {
    execute(command, data) {
      const result = queue.then(() => guarded(command, data));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

/**
 * A stored document's TLV as FF3B hands it out: the FN's own bytes when the register behind the
 * emulator has them (the virtual register does), without the container header FF3A reports
 * separately; otherwise rebuilt from the document's fields and JSON.
 */
function documentBytes(doc: FiscalDocument, tc: TimeContext): Uint8Array {
  if (doc.rawTlv !== null) return Buffer.from(doc.rawTlv, 'base64').subarray(4);
  return concat(documentTlvs(doc, tc).map((t) => encodeTlv(t.tag, t.value)));
}

/** A document rebuilt for FF3B: its fixed tags first, then the rest of its JSON. */
function documentTlvs(doc: FiscalDocument, tc: TimeContext): Tlv[] {
  const fixed: Tlv[] = [
    tlvU32(1040, doc.fdNumber),
    { tag: 1012, value: uintLE(isoToWallSeconds(doc.dateTime, tc), 4) },
    { tag: 1077, value: fiscalSignTlvValue(Number(doc.fiscalSign)) },
    tlvU32(1038, doc.shiftNumber),
  ];
  if (doc.receiptInShift !== null) fixed.push(tlvU32(1042, doc.receiptInShift));
  if (doc.operationType !== null) fixed.push(tlvByte(1054, doc.operationType));
  if (doc.taxSystem !== null) fixed.push(tlvByte(1055, doc.taxSystem));
  if (doc.totalSum !== null) fixed.push(tlvVln(1020, doc.totalSum));
  if (doc.buyerContact) fixed.push(tlvString(1008, doc.buyerContact));
  const seen = new Set(fixed.map((t) => t.tag));
  const body = Object.values(doc.json)[0];
  const rest = body && typeof body === 'object' && !Array.isArray(body) ? jsonToTlvs(body as Record<string, unknown>, tc, doc.kind === 'registration') : [];
  return [...fixed, ...rest.filter((t) => !seen.has(t.tag))];
}

