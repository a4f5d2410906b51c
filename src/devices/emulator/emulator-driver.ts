import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DriverContext, DriverFactory, FaultControl, FiscalDocument, FiscalDriver } from '../driver.js';
import { createFaults } from '../fiscal-core/faults.js';
import type { MarkingFault, OperationClass } from '../fiscal-core/faults.js';
import { openFiscalDevice } from '../fiscal-core/fiscal-device.js';
import type { FiscalDevice, MarkingWork, StateReport } from '../fiscal-core/fiscal-device.js';
import { verifyFiscalSign } from '../fiscal-core/fiscal-sign.js';
import { createMarkingOperator } from '../fiscal-core/marking-operator.js';
import type { MarkingOperatorAnswer } from '../fiscal-core/marking-operator.js';
import { toFiscalDocument } from '../fiscal-core/ofd-json.js';
import type { StoredDocument, StoredNotification } from '../fiscal-core/store.js';
import { emulatorConfigSchema, emulatorDefaults } from './config.js';
import type { EmulatorConfig } from './config.js';

export const EMULATOR_MODEL = 'emulator';
export const EMULATOR_DEVICE_MODEL = 'Virtual register';

/** The virtual register: a FiscalDriver plus fault injection and hooks for tests and the admin API. */
export type EmulatorDriver = FiscalDriver & {
  readonly faults: FaultControl;
  closeArchive: NonNullable<FiscalDriver['closeArchive']>;
  /** Path of the FN memory file, or ':memory:'. */
  readonly file: string;
  /** Current state report (FD 21): unsent documents and FN flags, as a fiscal document. */
  stateReport(): Promise<StateReport>;
  /** Every document of the FN archive, in FD order. */
  journal(): Promise<FiscalDocument[]>;
  /** The archive documents in FFD form (tags), for tests that check tag-level rules. */
  rawJournal(): Promise<StoredDocument[]>;
  /** Whether document n's 1077 is the device's sign of its content; false when it does not exist. */
  verifyFiscalSign(fdNumber: number): Promise<boolean>;
  /** Switch the simulated OFD link at run time (config `ofd_enabled` sets the start value). */
  setOfdEnabled(enabled: boolean): void;
  /** The FN's marking work state and saved results (what Shtrih FF70h / ATOL checkImcWorkState report). */
  markingWork(): Promise<MarkingWork>;
  /** The FN's sale notifications (82), confirmed or not. */
  notifications(): Promise<StoredNotification[]>;
};

/** The answer each marking-operator fault forces. */
const FAULT_ANSWERS: Record<MarkingFault['kind'], MarkingOperatorAnswer> = {
  marking_unreachable: 'unreachable',
  marking_invalid: 'invalid_code',
  marking_wrong_status: 'wrong_status',
  marking_sale_stopped: 'sale_stopped',
  marking_slow: 'slow',
};

// Drivers made by createEmulatorDriver: recognising one by identity, not by the members it
// happens to have, keeps the tests' and tools' hooks (journal, stateReport) out of FiscalDriver.
const made = new WeakSet<FiscalDriver>();

/** Whether this driver is a virtual register (tests and tools reach its journal through this). */
export const isEmulatorDriver = (driver: FiscalDriver): driver is EmulatorDriver => made.has(driver);

/** Where the virtual FN keeps its memory: one SQLite file per device under the data dir. */
export const emulatorFile = (ctx: Pick<DriverContext, 'dataDir' | 'deviceId'>): string =>
  ctx.dataDir === null ? ':memory:' : join(ctx.dataDir, 'devices', `emulator-${ctx.deviceId}.sqlite`);

export function createEmulatorDriver(config: EmulatorConfig, ctx: DriverContext): EmulatorDriver {
  const c: EmulatorConfig = { ...emulatorDefaults(), ...config };
  const file = emulatorFile(ctx);
  const faults = createFaults();
  let device: FiscalDevice | null = null;
  let ofdEnabled = c.ofd_enabled;
  const operator = createMarkingOperator({ answer: c.marking_operator, answers: c.marking_answers, delayMs: c.marking_operator_delay_ms });
  // Notifications reach the operator unless it is configured unreachable or a marking_unreachable fault is active.
  const operatorReachable = (): boolean => operator.takesNotifications && !faults.isActive('marking_unreachable');

  const ensureOpen = (): FiscalDevice => {
    device ??= openFiscalDevice({
      file,
      seed: String(ctx.deviceId),
      clock: ctx.clock,
      timezoneOffset: c.timezone_offset,
      ofdEnabled,
      ofdAckDelayMs: c.ofd_ack_delay_ms,
      model: EMULATOR_DEVICE_MODEL,
      identity: {
        ffdVersion: c.ffd_version,
        companyName: c.company_name,
        companyInn: c.company_inn,
        operationsAddress: c.operations_address,
        operationsPlace: c.operations_place,
        taxSystems: c.tax_systems,
        ofdName: c.ofd_name,
        ofdInn: c.ofd_inn,
        automaticMode: c.automatic_mode,
        ...(c.machine_number === '' ? {} : { machineNumber: c.machine_number }),
        internetOnly: c.internet_only,
        services: c.services,
        bso: c.bso,
        encryption: c.encryption,
        printerInMachine: c.printer_in_machine,
        fnLifetimeDays: c.fn_lifetime_days,
        archiveCapacity: c.fn_archive_capacity,
      },
      marking: { fnKeys: c.marking_fn_keys, blockAfterHours: c.marking_block_after_hours, operatorReachable: operatorReachable() },
    });
    return device;
  };

  /** Every call goes through latency, then the injected faults, then the device. */
  async function call<T>(op: OperationClass, fn: (d: FiscalDevice) => T | Promise<T>): Promise<T> {
    if (c.latency_ms > 0) await sleep(c.latency_ms);
    // The last moment before the FN: a caller paused past its deadline must not write a document.
    if (op === 'document') ctx.checkFence?.();
    try {
      return await faults.run(op, () => {
        const d = ensureOpen();
        d.setMarkingOperatorReachable(operatorReachable());
        return fn(d);
      });
    } finally {
      // Answered (or failed after the FN wrote: a lost answer) only once the FN's writes are on disk.
      await device?.durable();
    }
  }

  const driver: EmulatorDriver = {
    model: EMULATOR_MODEL,
    faults,
    file,
    open: () => call('query', () => undefined),
    close: async () => {
      device?.close();
      device = null;
    },
    status: () =>
      call('query', (d) => {
        const s = d.status();
        if (!faults.isActive('paper_out')) return s;
        return { ...s, paperPresent: false, warnings: [...s.warnings, 'paper_out'] };
      }),
    registrationInfo: () => call('query', (d) => d.registrationInfo()),
    openShift: (cashier) => call('document', (d) => d.openShift(cashier)),
    closeShift: (cashier) => call('document', (d) => d.closeShift(cashier)),
    closeArchive: (cashier) => call('document', (d) => d.closeArchive(cashier)),
    xReport: () => call('query', (d) => d.xReport()),
    register: (receipt, options) => call('document', (d) => d.register(receipt, options)),
    lastFdNumber: () => call('query', (d) => d.lastFdNumber()),
    document: (n) =>
      call('query', (d) => {
        const doc = d.document(n);
        return doc ? toFiscalDocument(doc, d.offsetMinutes) : null;
      }),
    stateReport: () => call('document', (d) => d.stateReport()),
    journal: async () => {
      const d = ensureOpen();
      return d.journal().map((doc) => toFiscalDocument(doc, d.offsetMinutes));
    },
    rawJournal: async () => ensureOpen().journal(),
    verifyFiscalSign: async (n) => {
      const d = ensureOpen();
      const doc = d.document(n);
      return doc !== null && verifyFiscalSign(d.secret, { code: doc.code, tags: doc.signedTags ?? doc.tags });
    },
    setOfdEnabled(enabled) {
      ofdEnabled = enabled;
      device?.setOfdEnabled(enabled);
    },
    // Marking: B1 + B5 in the FN, the operator's answer (83) — awaited, a slow one on real timers —
    // then B6. An offline check asks no operator. A fault forces the operator's answer for one check.
    checkMarkingCode: (request) =>
      call('query', async (d) => {
        const start = d.beginMarkingCheck(request);
        if (start.request === null) return start.result;
        const fault = faults.takeMarking();
        const answer = operator.answerFor(start.request.gtin, fault === null ? null : FAULT_ANSWERS[fault.kind]);
        const reply = await operator.respond(start.request, answer, fault?.kind === 'marking_slow' ? fault.delayMs : undefined);
        // The device may have been closed and reopened while the operator answered.
        return ensureOpen().completeMarkingCheck(start.request.requestNumber, reply);
      }),
    acceptMarkingCode: (accept) => call('query', (d) => d.acceptMarkingCode(accept)),
    clearMarkingCodes: () => call('query', (d) => d.clearMarkingCodes()),
    markingState: () => call('query', (d) => d.markingState()),
    markingWork: async () => ensureOpen().markingWork(),
    notifications: async () => ensureOpen().notifications(),
  };
  made.add(driver);
  return driver;
}

export const emulatorDriver: DriverFactory<EmulatorConfig> = {
  model: EMULATOR_MODEL,
  title: { ru: 'Виртуальная касса (эмулятор)', en: 'Virtual register (emulator)' },
  deviceModels: [EMULATOR_DEVICE_MODEL],
  capabilities: { closeArchive: true },
  configSchema: emulatorConfigSchema,
  defaults: emulatorDefaults,
  create: createEmulatorDriver,
};
