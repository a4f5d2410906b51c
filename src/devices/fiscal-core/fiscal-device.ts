import type { Cashier, FiscalReceipt } from '../../domain/receipt.js';
import type {
  ArchiveCloseDocument, Clock, DeviceStatus, FiscalResult, MarkingCheckRequest, MarkingCheckResult, MarkingState, RegisterOptions, RegistrationInfo, ShiftDocument,
  ShiftStateName, XReport,
} from '../driver.js';
import { instantOfWall, wallSecondsAt } from '../ffd/wall-time.js';
import { DAY_MS, HOUR_MS, formatDeviceTime, parseUtcOffset } from './datetime.js';
import { closeArchiveTags, closeShiftTags, openShiftTags, receiptTags, registrationTags, stateReportTags } from './documents.js';
import type { MarkingReport, UnsentInfo } from './documents.js';
import { rejected } from './errors.js';
import { computeFiscalSign, newDeviceSecret } from './fiscal-sign.js';
import { checkFnAccepts, fnFlags, fnWarnings, memoryUsed } from './fn-health.js';
import type { HealthInput } from './fn-health.js';
import { generateIdentity, toRegistrationInfo } from './identity.js';
import type { FnIdentity, IdentityOverrides } from './identity.js';
import { checkReceipt } from './receipt-rules.js';
import {
  acceptCheck, answerCheck, beginCheck, clearChecks, consumeForReceipt, markingMemoryOf, newPeriod, notificationNegative, NOTIFICATION_KINDS,
  periodSigns, workState,
} from './marking.js';
import type { MarkingFnKeys, MarkingMemory, MarkingWorkState, SaleNotification } from './marking.js';
import type { OperatorReply, OperatorRequest } from './marking-operator.js';
import { openDeviceStore } from './store.js';
import type { FnState, NewDocument, NewNotification, ShiftTotals, StoredDocument, StoredNotification } from './store.js';
import { countDocument, countDocuments, emptyCounters } from './counters.js';
import type { SumCounters } from './counters.js';
import { DOC_CODES, TAG } from './tags.js';
import type { DocKind } from './tags.js';
import { tagNumber } from '../ffd/tag-list.js';
import type { TagList } from '../ffd/tag-list.js';

/**
 * A KKT with its fiscal drive: counters, the 24 h shift, the FN archive and its OFD outbox.
 * Synchronous (SQLite), no I/O besides the store; the driver adds faults and latency around it.
 */
export interface FiscalDeviceOptions {
  /** SQLite file of the FN memory, or ':memory:'. */
  file: string;
  /** Seed of the generated registration data (the device id). */
  seed: string;
  clock: Clock;
  identity?: IdentityOverrides;
  /** Device local UTC offset, default "+03:00" (Moscow). */
  timezoneOffset?: string;
  ofdEnabled?: boolean;
  /** The simulated OFD acknowledges a document this long after it is queued. */
  ofdAckDelayMs?: number;
  /** Model name the device reports. */
  model?: string;
  /** FN-M marking work (FFD 1.2 FNs only). */
  marking?: MarkingOptions;
}

export interface MarkingOptions {
  /** Which crypto tails the FN checks itself (marking.ts), default 'all'. */
  fnKeys?: MarkingFnKeys;
  /**
   * The FN refuses code checks ('marking_blocked') once the oldest unconfirmed sale notification is
   * older than this, default 72 h. Our choice [K]: the FN-M's real trigger is not published
   * (shtrih-m/fr_drv_ng#185: blocked with the storage under 50 % full but notifications long unsent).
   */
  blockAfterHours?: number;
  /** Whether the marking operator takes notifications at start (setMarkingOperatorReachable later), default true. */
  operatorReachable?: boolean;
}

/** A code check after B1 (and B5): the request to put to the operator, or the final result of an offline check. */
export type MarkingCheckStart = { request: OperatorRequest; result: null } | { request: null; result: MarkingCheckResult };

/** The FN's marking work as the protocol emulators report it (Shtrih FF70h, ATOL checkImcWorkState). */
export interface MarkingWork {
  state: MarkingWorkState;
  /** saved (accepted) check results */
  acceptedCount: number;
  /** 2104 and the oldest unconfirmed notification (ms) with its 2002 */
  unconfirmed: { count: number; oldestAt: number | null; firstNumber: number | null };
}

export interface StateReport extends ShiftDocument {
  unsentCount: number;
  oldestUnsentAt: string | null;
}

export interface FiscalDevice {
  readonly identity: FnIdentity;
  /** The FN key of the emulator's fiscal sign (fiscal-sign.ts). */
  readonly secret: Buffer;
  readonly offsetMinutes: number;
  registrationInfo(): RegistrationInfo;
  openShift(cashier: Cashier | null): ShiftDocument;
  closeShift(cashier: Cashier | null): ShiftDocument;
  register(receipt: FiscalReceipt, options: RegisterOptions): FiscalResult;
  xReport(): XReport;
  stateReport(): StateReport;
  /**
   * The report on closing the FN (document 6): refused while a shift is open; afterwards every
   * fiscal document is refused with 'fn_archive_closed' and the status says phase 'closed'.
   */
  closeArchive(cashier: Cashier | null): ArchiveCloseDocument;
  /** Whether the FN's archive is closed (its fiscal mode ended). */
  archiveClosed(): boolean;
  status(): DeviceStatus;
  shiftState(): ShiftStateName;
  lastFdNumber(): number;
  document(fdNumber: number): StoredDocument | null;
  journal(): StoredDocument[];
  setOfdEnabled(enabled: boolean): void;
  /**
   * Marking (FFD 1.2 FN; an FFD 1.05 FN refuses each with 'not_supported'). A check is two steps so
   * that the driver can wait for the operator between them: B1 + B5, then B6 with its answer.
   */
  beginMarkingCheck(request: MarkingCheckRequest): MarkingCheckStart;
  completeMarkingCheck(requestNumber: number, reply: OperatorReply | null): MarkingCheckResult;
  /** B2: returns the code's 2106. */
  acceptMarkingCode(accept: boolean): number;
  /** B3 */
  clearMarkingCodes(): void;
  markingState(): MarkingState;
  markingWork(): MarkingWork;
  /** Sale notifications (82) in 2002 order, confirmed or not. */
  notifications(): StoredNotification[];
  /** The marking operator reachable or not from now on (it confirms notifications only while reachable). */
  setMarkingOperatorReachable(reachable: boolean): void;
  /** Everything written so far is on disk (store.durable()): awaited before the driver answers. */
  durable(): Promise<void>;
  close(): void;
}

export const SHIFT_MAX_MS = 24 * HOUR_MS;
const SHIFT_EXPIRES_SOON_MS = HOUR_MS;
export const DEFAULT_OFD_ACK_DELAY_MS = 2000;
export const DEFAULT_MARKING_BLOCK_AFTER_HOURS = 72;

const zeroTotals = (): ShiftTotals => ({ sell: 0, sellReturn: 0, buy: 0, buyReturn: 0 });
const TOTAL_KEYS = { 1: 'sell', 2: 'sellReturn', 3: 'buy', 4: 'buyReturn' } as const;

export function openFiscalDevice(o: FiscalDeviceOptions): FiscalDevice {
  const { clock } = o;
  const offset = parseUtcOffset(o.timezoneOffset ?? '+03:00');
  const ackDelay = o.ofdAckDelayMs ?? DEFAULT_OFD_ACK_DELAY_MS;
  const model = o.model ?? 'Virtual register';

  const store = openDeviceStore(o.file, () => {
    const now = clock.now();
    const identity = generateIdentity(o.seed, now, o.identity);
    const secret = newDeviceSecret();
    const tags = registrationTags(identity, { fdNumber: 1, dateTime: wallSecondsAt(now, offset) }, keyResourceDays(identity, now));
    return {
      identity,
      secret,
      state: {
        fdNumber: 1, shiftNumber: 0, shiftOpen: false, shiftOpenedAt: null, receiptInShift: 0,
        shiftFdCount: 0, shiftTotals: zeroTotals(), lastDocumentAt: now, counters: { shift: emptyCounters(), fn: emptyCounters() },
      },
      documents: [seal(secret, DOC_CODES.registration, 1, tags, now)],
    };
  }, offset);
  const { identity, secret } = store;
  const iso = (ms: number): string => formatDeviceTime(ms, offset);

  // A store from before the sum counters: rebuild them once from the journal, which holds every receipt.
  if (store.readState().counters === undefined) {
    store.commit((s) => {
      if (s.counters !== undefined) return { state: s, documents: [], result: null };
      const journal = store.journal();
      const shift = s.shiftOpen ? countDocuments(journal.filter((d) => tagNumber(d.tags, TAG.shiftNumber) === s.shiftNumber)) : emptyCounters();
      return { state: { ...s, counters: { shift, fn: countDocuments(journal) } }, documents: [], result: null };
    });
  }
  const countersOf = (s: FnState): { shift: SumCounters; fn: SumCounters } => s.counters ?? { shift: emptyCounters(), fn: emptyCounters() };
  const sumReports = (s: FnState, now: number) => ({ ...countersOf(s), keyResourceDays: keyResourceDays(identity, now) });

  const ffd12 = identity.ffdVersion === '120';
  const fnKeys = o.marking?.fnKeys ?? 'all';
  const blockAfterMs = (o.marking?.blockAfterHours ?? DEFAULT_MARKING_BLOCK_AFTER_HOURS) * HOUR_MS;

  let ofdEnabledSince: number | null = (o.ofdEnabled ?? true) ? clock.now() : null;
  let operatorReachableSince: number | null = (o.marking?.operatorReachable ?? true) ? clock.now() : null;
  /**
   * Lets the simulated OFD catch up with the clock. Document operations call it inside their own
   * commit: the acknowledgements share the document's transaction and fsync instead of costing one
   * more (a rolled-back document rolls them back too — harmless, they are recomputed from the clock).
   */
  const pumpOfd = (now: number): void => {
    if (ofdEnabledSince !== null) store.ackOfd(now, ofdEnabledSince, ackDelay);
  };

  /** The marking operator's receipts (84) for the notifications it has had `ackDelay` ms to answer, like the OFD's. */
  const pumpMarking = (now: number): void => {
    if (operatorReachableSince !== null) store.confirmNotifications(now, operatorReachableSince, ackDelay);
  };
  /** An FFD 1.05 FN has no marking commands. */
  const requireMarking = (): void => {
    if (!ffd12) throw rejected('not_supported', `the FN is registered for FFD 1.05 and has no marking-code commands`);
  };
  const markingBlocked = (now: number): boolean => {
    const oldest = store.unconfirmedNotifications().oldestAt;
    return oldest !== null && now - oldest > blockAfterMs;
  };
  /** Runs one marking step on the FN's marking memory in its own transaction. */
  const markingStep = <T>(step: (m: MarkingMemory, now: number) => { memory: MarkingMemory; result: T }): T => {
    requireMarking();
    const now = clock.now();
    return store.commit((s) => {
      pumpMarking(now);
      const { memory, result } = step(markingMemoryOf(s), now);
      return { state: { ...s, marking: memory }, documents: [], result };
    });
  };
  /** 2104 for the reports and 2112/2113 for the close-shift report (FFD 1.2). */
  const markingReport = (s: FnState, now: number): MarkingReport | null => {
    if (!ffd12) return null;
    const m = markingMemoryOf(s);
    return { unconfirmed: store.unconfirmedNotifications().count, ...periodSigns(m, store.negativeReceipts(m.period.since, now)) };
  };

  const health = (now: number, state: FnState): HealthInput => ({ now, identity, fdNumber: state.fdNumber, unsent: store.unsent() });
  const unsentInfo = (): UnsentInfo => {
    const u = store.unsent();
    return { count: u.count, firstDate: u.oldestAt === null ? null : wallSecondsAt(u.oldestAt, offset), firstNumber: u.firstNumber };
  };
  const shiftStateOf = (s: FnState, now: number): ShiftStateName => {
    if (!s.shiftOpen) return 'closed';
    return s.shiftOpenedAt !== null && now - s.shiftOpenedAt >= SHIFT_MAX_MS ? 'expired' : 'open';
  };
  /** Common prologue of every document: OFD catch-up, FN-level refusals. */
  const begin = (kind: DocKind, s: FnState, now: number): void => {
    // After the report on closing the FN its fiscal mode is over: no document of any kind.
    if (s.archiveClosed !== undefined) throw rejected('fn_archive_closed', `closed by document ${s.archiveClosed.fdNumber} at ${iso(s.archiveClosed.at)}`);
    checkFnAccepts(kind, { ...health(now, s), lastDocumentAt: s.lastDocumentAt });
  };
  const stampOf = (s: FnState, now: number) => ({ fdNumber: s.fdNumber + 1, dateTime: wallSecondsAt(now, offset) });

  function openShiftIn(s: FnState, now: number, cashier: Cashier | null): { state: FnState; doc: NewDocument } {
    const shiftNumber = s.shiftNumber + 1;
    const stamp = stampOf(s, now);
    const doc = seal(secret, DOC_CODES.openShift, stamp.fdNumber, openShiftTags(identity, stamp, shiftNumber, cashier), now);
    return {
      doc,
      state: {
        ...s, fdNumber: stamp.fdNumber, shiftNumber, shiftOpen: true, shiftOpenedAt: now, receiptInShift: 0,
        shiftFdCount: 1, shiftTotals: zeroTotals(), lastDocumentAt: now, counters: { ...countersOf(s), shift: emptyCounters() },
      },
    };
  }

  const shiftResult = (doc: NewDocument, shiftNumber: number): ShiftDocument => ({
    fdNumber: doc.fdNumber, fiscalSign: doc.fiscalSign, shiftNumber, dateTime: iso(doc.createdAt),
  });

  const registrationInfo = (): RegistrationInfo => toRegistrationInfo(identity, model);

  return {
    identity,
    secret,
    offsetMinutes: offset,
    registrationInfo,

    openShift(cashier) {
      const now = clock.now();
      return store.commit((s) => {
        pumpOfd(now);
        begin('openShift', s, now);
        if (s.shiftOpen) throw rejected('shift_already_open', `shift ${s.shiftNumber} is open`);
        const { state, doc } = openShiftIn(s, now, cashier);
        return { state, documents: [doc], result: shiftResult(doc, state.shiftNumber) };
      });
    },

    closeShift(cashier) {
      const now = clock.now();
      return store.commit((s) => {
        pumpOfd(now);
        pumpMarking(now);
        begin('closeShift', s, now);
        if (!s.shiftOpen) throw rejected('shift_closed', `shift ${s.shiftNumber} is already closed`);
        const stamp = stampOf(s, now);
        const counts = { fdCount: s.shiftFdCount + 1, receiptCount: s.receiptInShift };
        const tags = closeShiftTags(identity, stamp, s.shiftNumber, cashier, counts, unsentInfo(), fnFlags(health(now, s)), sumReports(s, now), markingReport(s, now));
        const doc = seal(secret, DOC_CODES.closeShift, stamp.fdNumber, tags, now);
        const state: FnState = { ...s, fdNumber: stamp.fdNumber, shiftOpen: false, shiftFdCount: counts.fdCount, lastDocumentAt: now };
        // 2112/2113 cover the time since the previous close-shift report.
        if (ffd12) state.marking = newPeriod(markingMemoryOf(s), now);
        return { state, documents: [doc], result: shiftResult(doc, s.shiftNumber) };
      });
    },

    register(receipt, options) {
      const now = clock.now();
      return store.commit((before) => {
        pumpOfd(now);
        pumpMarking(now);
        begin('receipt', before, now);
        const documents: NewDocument[] = [];
        let s = before;
        switch (shiftStateOf(s, now)) {
          case 'expired':
            throw rejected('shift_expired', `shift ${s.shiftNumber} opened at ${iso(s.shiftOpenedAt ?? 0)}`);
          case 'closed': {
            if (!options.autoOpenShift) throw rejected('shift_closed');
            // Auto-open (ATOL SHIFT_AUTO_OPENED): the open-shift report and the receipt close in one
            // transaction, so a refused receipt leaves no half-opened shift behind.
            const opened = openShiftIn(s, now, receipt.cashier);
            documents.push(opened.doc);
            s = opened.state;
            break;
          }
          case 'open':
            break;
        }
        const marked = receipt.items.some((i) => (i.ffd12?.marking ?? null) !== null) || (options.marking ?? []).some((m) => m !== null);
        if (marked) requireMarking();
        const checked = checkReceipt(receipt, identity);
        // The FN takes each marked item's accepted check and forgets the saved results with the receipt.
        const used = ffd12 ? consumeForReceipt(markingMemoryOf(s), receipt, options.marking) : null;
        const stamp = { ...stampOf(s, now), shiftNumber: s.shiftNumber, receiptInShift: s.receiptInShift + 1 };
        const code = checked.correction ? DOC_CODES.correction : DOC_CODES.receipt;
        const doc = seal(secret, code, stamp.fdNumber, receiptTags(identity, stamp, receipt, checked, used?.marking ?? []), now);
        documents.push(doc);
        const notifications: NewNotification[] = [];
        let marking = s.marking;
        if (used !== null && (used.items.length > 0 || s.marking !== undefined)) {
          marking = used.memory;
          if (used.items.length > 0) {
            // One sale notification (82) per receipt with marked units, queued for the marking operator.
            const body: SaleNotification = {
              number: used.memory.notificationNumber + 1, dateTime: stamp.dateTime, fnSerial: identity.fnSerial, userInn: identity.companyInn,
              address: identity.operationsAddress, taxSystem: receipt.taxSystem, operationType: checked.operationType,
              operationKind: checked.correction ? NOTIFICATION_KINDS.correction : NOTIFICATION_KINDS.receipt, fdNumber: doc.fdNumber, items: used.items,
            };
            notifications.push({ number: body.number, createdAt: now, negative: notificationNegative(body), body });
            marking = { ...used.memory, notificationNumber: body.number };
          }
        }
        const key = TOTAL_KEYS[checked.operationType];
        const state: FnState = {
          ...s,
          fdNumber: stamp.fdNumber,
          receiptInShift: stamp.receiptInShift,
          shiftFdCount: s.shiftFdCount + 1,
          shiftTotals: { ...s.shiftTotals, [key]: s.shiftTotals[key] + checked.total },
          lastDocumentAt: now,
          counters: { shift: countDocument(countersOf(s).shift, code, doc.tags), fn: countDocument(countersOf(s).fn, code, doc.tags) },
          ...(marking === undefined ? {} : { marking }),
        };
        const result: FiscalResult = {
          fdNumber: doc.fdNumber, fiscalSign: doc.fiscalSign, shiftNumber: s.shiftNumber, receiptInShift: stamp.receiptInShift,
          dateTime: iso(now), total: checked.total, change: checked.change, registration: registrationInfo(),
        };
        return { state, documents, notifications, result };
      });
    },

    xReport() {
      const now = clock.now();
      const s = store.readState();
      const open = s.shiftOpen;
      return {
        shiftNumber: s.shiftNumber,
        dateTime: iso(now),
        receiptsInShift: open ? s.receiptInShift : 0,
        totals: open ? { ...s.shiftTotals } : zeroTotals(),
        fdNumber: null,
      };
    },

    stateReport() {
      const now = clock.now();
      return store.commit((s) => {
        pumpOfd(now);
        pumpMarking(now);
        begin('stateReport', s, now);
        const stamp = stampOf(s, now);
        const unsent = unsentInfo();
        const tags = stateReportTags(identity, stamp, s.shiftNumber, unsent, fnFlags(health(now, s)), sumReports(s, now), markingReport(s, now));
        const doc = seal(secret, DOC_CODES.stateReport, stamp.fdNumber, tags, now);
        const state: FnState = { ...s, fdNumber: stamp.fdNumber, shiftFdCount: s.shiftOpen ? s.shiftFdCount + 1 : s.shiftFdCount, lastDocumentAt: now };
        const result: StateReport = {
          ...shiftResult(doc, s.shiftNumber),
          unsentCount: unsent.count,
          oldestUnsentAt: unsent.firstDate === null ? null : iso(instantOfWall(unsent.firstDate, offset)),
        };
        return { state, documents: [doc], result };
      });
    },

    closeArchive(cashier) {
      const now = clock.now();
      return store.commit((s) => {
        pumpOfd(now);
        begin('closeArchive', s, now);
        // The FN closes its archive only with the shift closed (ATOL's own utility and FN manuals
        // ask for the Z-report first); the unsent backlog does not block it: the report joins the
        // outbox and the OFD exchange goes on after the close.
        if (s.shiftOpen) throw rejected('shift_already_open', `close shift ${s.shiftNumber} before closing the FN archive`);
        const stamp = stampOf(s, now);
        const doc = seal(secret, DOC_CODES.closeArchive, stamp.fdNumber, closeArchiveTags(identity, stamp, s.shiftNumber, cashier, sumReports(s, now)), now);
        const state: FnState = { ...s, fdNumber: stamp.fdNumber, lastDocumentAt: now, archiveClosed: { fdNumber: stamp.fdNumber, at: now } };
        const result: ArchiveCloseDocument = { fdNumber: doc.fdNumber, fiscalSign: doc.fiscalSign, dateTime: iso(doc.createdAt) };
        return { state, documents: [doc], result };
      });
    },

    archiveClosed: () => store.readState().archiveClosed !== undefined,

    status() {
      const now = clock.now();
      pumpOfd(now);
      const s = store.readState();
      const h = health(now, s);
      const shift = shiftStateOf(s, now);
      const expiresAt = s.shiftOpen && s.shiftOpenedAt !== null ? s.shiftOpenedAt + SHIFT_MAX_MS : null;
      const warnings: string[] = fnWarnings(h);
      if (shift === 'open' && expiresAt !== null && expiresAt - now < SHIFT_EXPIRES_SOON_MS) warnings.push('shift_expires_soon');
      return {
        dateTime: iso(now),
        shift: {
          state: shift,
          number: s.shiftNumber,
          openedAt: s.shiftOpen && s.shiftOpenedAt !== null ? iso(s.shiftOpenedAt) : null,
          expiresAt: expiresAt === null ? null : iso(expiresAt),
          receiptsInShift: s.shiftOpen ? s.receiptInShift : 0,
        },
        lastFdNumber: s.fdNumber,
        fn: {
          serial: identity.fnSerial,
          ffdVersion: identity.ffdVersion,
          // FF01 life phase bit 2 / ATOL livePhase: fiscal mode closed after document 6.
          phase: s.archiveClosed === undefined ? 'fiscal' : 'closed',
          expiresAt: iso(identity.expiresAt),
          memoryUsed: memoryUsed(h),
        },
        ofd: { unsentCount: h.unsent.count, oldestUnsentAt: h.unsent.oldestAt === null ? null : iso(h.unsent.oldestAt) },
        paperPresent: true,
        warnings,
      };
    },

    shiftState: () => shiftStateOf(store.readState(), clock.now()),
    lastFdNumber: () => store.readState().fdNumber,
    document: (n) => store.document(n),
    journal: () => store.journal(),
    setOfdEnabled(enabled) {
      const now = clock.now();
      if (enabled && ofdEnabledSince === null) ofdEnabledSince = now;
      if (!enabled && ofdEnabledSince !== null) {
        pumpOfd(now);
        ofdEnabledSince = null;
      }
    },

    beginMarkingCheck(request) {
      // A code check serves a receipt to come, which an FN with its archive closed will not make.
      if (store.readState().archiveClosed !== undefined) throw rejected('fn_archive_closed');
      return markingStep((m, now) => {
        // FN error 34h "work with marked goods temporarily blocked" (shtrih-m/fr_drv_ng#185).
        if (markingBlocked(now)) {
          const oldest = store.unconfirmedNotifications();
          throw rejected('marking_blocked', `sale notification ${oldest.firstNumber ?? '?'} is unconfirmed since ${iso(oldest.oldestAt ?? now)}`);
        }
        const { memory, request: toOperator, result } = beginCheck(m, request, fnKeys);
        const start: MarkingCheckStart = toOperator === null ? { request: null, result } : { request: toOperator, result: null };
        return { memory, result: start };
      });
    },
    completeMarkingCheck(requestNumber, reply) {
      return markingStep((m) => {
        const { memory, result } = answerCheck(m, requestNumber, reply);
        return { memory, result };
      });
    },
    acceptMarkingCode(accept) {
      return markingStep((m) => {
        const { memory, itemCheckResult } = acceptCheck(m, accept);
        return { memory, result: itemCheckResult };
      });
    },
    clearMarkingCodes() {
      markingStep((m) => ({ memory: clearChecks(m), result: null }));
    },
    markingState() {
      requireMarking();
      const now = clock.now();
      pumpMarking(now);
      const u = store.unconfirmedNotifications();
      return { blocked: markingBlocked(now), unconfirmedNotifications: u.count, oldestUnconfirmedAt: u.oldestAt === null ? null : iso(u.oldestAt) };
    },
    markingWork() {
      requireMarking();
      const now = clock.now();
      pumpMarking(now);
      const m = markingMemoryOf(store.readState());
      return { state: workState(m, markingBlocked(now)), acceptedCount: m.accepted.length, unconfirmed: store.unconfirmedNotifications() };
    },
    notifications: () => store.notifications(),
    setMarkingOperatorReachable(reachable) {
      const now = clock.now();
      if (reachable && operatorReachableSince === null) operatorReachableSince = now;
      if (!reachable && operatorReachableSince !== null) {
        pumpMarking(now);
        operatorReachableSince = null;
      }
    },
    durable: () => store.durable(),
    close: () => store.close(),
  };
}

/** 1213: whole days the FN's fiscal-sign key stays valid. */
const keyResourceDays = (id: FnIdentity, now: number): number => Math.max(0, Math.ceil((id.expiresAt - now) / DAY_MS));

/** Closes a document in the FN: the fiscal sign over its tags, appended as 1077. */
function seal(secret: Buffer, code: NewDocument['code'], fdNumber: number, tags: TagList, now: number): NewDocument {
  const fiscalSign = computeFiscalSign(secret, { code, tags });
  return { fdNumber, code, tags: [...tags, [TAG.fiscalSign, Number(fiscalSign)]], fiscalSign, createdAt: now };
}

