/**
 * `shtrihDriver`: the FiscalDriver of Shtrih-M registers over TCP (port 7778) speaking the binary
 * protocol of domain.md §5. Every method is a short sequence of protocol commands; see
 * register.ts for the receipt sequence and documents.ts for reading the FN archive.
 */
import type {
  Cashier,
} from '../../domain/receipt.js';
import type {
  DeviceStatus, DriverContext, DriverFactory, FiscalDriver, RegistrationInfo, ShiftDocument, XReport,
} from '../driver.js';
import {
  CMD, REG_FIELDS, REG_TABLE, decodeDeviceType, decodeFnStatus, decodeFnValidity, decodeFullStatus, decodeOfdStatus,
  decodeShiftParams, decodeShortStatus, decodeTableString, encodeReadTable, operationTagsFirst, withTlv,
} from './commands.js';
import type { RegField } from './commands.js';
import { readUintLE } from './bytes.js';
import { shtrihConfigSchema, shtrihDefaults } from './config.js';
import type { ShtrihConfig } from './config.js';
import { findDocument, findShiftOpening, readDocument } from './documents.js';
import { createShtrihLink } from './link.js';
import type { ShtrihLink } from './link.js';
import { markingCommands } from './marking.js';
import { cashierTags, registerReceipt } from './register.js';
import { afterCommit, createSession } from './session.js';
import type { Session } from './session.js';
import { encodeTlv } from './tlv.js';

export const SHTRIH_MODELS = [
  'ШТРИХ-М-01Ф', 'ШТРИХ-М-02Ф', 'ШТРИХ-ЛАЙТ-01Ф', 'ШТРИХ-ЛАЙТ-02Ф', 'ШТРИХ-ФР-01Ф',
  'ШТРИХ-ON-LINE', 'ШТРИХ-МИНИ-01Ф', 'РИТЕЙЛ-01Ф', 'ЭЛВЕС-ФР-Ф', 'ШТРИХ-СИТИ-Ф',
] as const;

/** Money registers with the shift's sums per 1054 type (emulator layout; read after an X-report). */
export const SHIFT_TOTAL_REGISTERS = { sell: 193, buy: 194, sellReturn: 195, buyReturn: 196 } as const;

const MODE_SHIFT_EXPIRED = 3;
const HOUR = 3_600_000;

export const shtrihDriver: DriverFactory<ShtrihConfig> = {
  model: 'shtrih',
  title: { ru: 'Штрих-М', en: 'Shtrih-M' },
  deviceModels: SHTRIH_MODELS,
  configSchema: shtrihConfigSchema,
  defaults: shtrihDefaults,
  create: (config, context) => createShtrihDriver(config, context),
};

export function createShtrihDriver(config: ShtrihConfig, ctx: Pick<DriverContext, 'clock' | 'checkFence'>, link?: ShtrihLink): FiscalDriver {
  const l = link ?? createShtrihLink({ host: config.host, port: config.port, timeoutMs: config.timeout_ms, retries: config.retries });
  const s = createSession(l, config.password, config.timezone_offset);
  let registration: RegistrationInfo | null = null;
  /** From the 0xFC model code: the register takes an item's tags before its FF46 (commands.ts). */
  let tagsFirst = false;
  const shiftOpenedAt = new Map<number, string>();

  const registrationInfo = async (): Promise<RegistrationInfo> => {
    const read = await readRegistration(s);
    registration = read.registration;
    tagsFirst = operationTagsFirst(read.modelCode);
    return registration;
  };
  const cachedRegistration = async (): Promise<RegistrationInfo> => registration ?? registrationInfo();
  const marking = markingCommands(s, cachedRegistration);

  /** FF41/FF42 → cashier tags by FF0C → E0/0x41; the report's FD comes from FF01 + FF0A. */
  async function shiftReport(begin: number, close: number, cashier: Cashier | null, what: string): Promise<ShiftDocument> {
    ctx.checkFence?.();
    await s.call(begin);
    if (cashier) {
      for (const t of cashierTags(cashier)) await s.call(CMD.fnSendTlv, withTlv(s.password, encodeTlv(t.tag, t.value)));
    }
    ctx.checkFence?.();
    await s.call(close);
    return afterCommit(what, async () => {
      const { lastFd } = decodeFnStatus(await s.call(CMD.fnStatus));
      const doc = await findDocument(s, lastFd);
      if (!doc) throw new Error(`FD ${lastFd} not found`);
      const shiftNumber = doc.shiftNumber ?? decodeShiftParams(await s.call(CMD.fnShiftParams)).shiftNumber;
      const dateTime = s.iso(doc.dateTime);
      if (begin === CMD.fnBeginOpenShift) shiftOpenedAt.set(shiftNumber, dateTime);
      return { fdNumber: doc.fdNumber, fiscalSign: String(doc.fiscalSign), shiftNumber, dateTime };
    });
  }

  const driver: FiscalDriver = {
    model: 'shtrih',
    async open() {
      await l.connect();
      await s.call(CMD.shortStatus);
    },
    close: () => l.close(),
    registrationInfo,

    async status(): Promise<DeviceStatus> {
      const short = decodeShortStatus(await s.call(CMD.shortStatus));
      const full = decodeFullStatus(await s.call(CMD.fullStatus));
      const fn = decodeFnStatus(await s.call(CMD.fnStatus));
      const shift = decodeShiftParams(await s.call(CMD.fnShiftParams));
      const ofd = decodeOfdStatus(await s.call(CMD.fnOfdStatus));
      const validity = decodeFnValidity(await s.call(CMD.fnValidity));
      const reg = await cachedRegistration();

      const mode = short.mode & 0x0f;
      const state = !shift.open ? 'closed' : mode === MODE_SHIFT_EXPIRED ? 'expired' : 'open';
      let openedAt: string | null = null;
      if (shift.open) {
        openedAt = shiftOpenedAt.get(shift.shiftNumber) ?? null;
        if (!openedAt) {
          const doc = await findShiftOpening(s, shift.shiftNumber, fn.lastFd, shift.receiptNumber);
          if (doc) {
            openedAt = s.iso(doc.dateTime);
            shiftOpenedAt.set(shift.shiftNumber, openedAt);
          }
        }
      }
      const expiresAt = openedAt ? s.iso(shiftDeadline(openedAt)) : null;
      const paperPresent = short.submode !== 1 && short.submode !== 2;
      const warnings: string[] = [];
      if (fn.warnings & 0x01) warnings.push('fn_replace_urgently');
      if (fn.warnings & 0x02) warnings.push('fn_expires_soon');
      if (fn.warnings & 0x04) warnings.push('fn_memory_almost_full');
      if (fn.warnings & 0x08) warnings.push('ofd_timeout');
      if (!paperPresent) warnings.push('paper_out');
      if (state === 'open' && expiresAt && Date.parse(expiresAt) - ctx.clock.now() < HOUR) warnings.push('shift_expires_soon');
      return {
        dateTime: s.iso(full.dateTime),
        shift: { state, number: shift.shiftNumber, openedAt, expiresAt, receiptsInShift: shift.receiptNumber },
        lastFdNumber: fn.lastFd,
        fn: {
          serial: fn.fnSerial,
          ffdVersion: reg.ffdVersion,
          phase: fn.phase & 0x08 ? 'finished' : fn.phase & 0x04 ? 'closed' : fn.phase & 0x02 ? 'fiscal' : 'configured',
          expiresAt: s.iso({ year: validity.year, month: validity.month, day: validity.day, hour: 0, minute: 0, second: 0 }),
          memoryUsed: null,
        },
        ofd: { unsentCount: ofd.count, oldestUnsentAt: ofd.firstDateTime ? s.iso(ofd.firstDateTime) : null },
        paperPresent,
        warnings,
      };
    },

    openShift: (cashier) => shiftReport(CMD.fnBeginOpenShift, CMD.openShift, cashier, 'open-shift report'),
    closeShift: (cashier) => shiftReport(CMD.fnBeginCloseShift, CMD.zReport, cashier, 'close-shift report'),

    async xReport(): Promise<XReport> {
      await s.call(CMD.xReport);
      const reg = async (n: number): Promise<number> => {
        const data = await s.call(CMD.moneyRegister, new Uint8Array([...passwordBytes(s.password), n]));
        return readUintLE(data, 1, 6);
      };
      const totals = {
        sell: await reg(SHIFT_TOTAL_REGISTERS.sell),
        sellReturn: await reg(SHIFT_TOTAL_REGISTERS.sellReturn),
        buy: await reg(SHIFT_TOTAL_REGISTERS.buy),
        buyReturn: await reg(SHIFT_TOTAL_REGISTERS.buyReturn),
      };
      const shift = decodeShiftParams(await s.call(CMD.fnShiftParams));
      const full = decodeFullStatus(await s.call(CMD.fullStatus));
      return { shiftNumber: shift.shiftNumber, dateTime: s.iso(full.dateTime), receiptsInShift: shift.receiptNumber, totals, fdNumber: null };
    },

    async register(receipt, options) {
      const reg = await cachedRegistration();
      return registerReceipt({
        session: s,
        registration: reg,
        allowNewVatCodes: config.allow_new_vat_codes,
        operationTagsFirst: tagsFirst,
        ...(ctx.checkFence ? { checkFence: ctx.checkFence } : {}),
        openShift: async () => {
          await driver.openShift(receipt.cashier);
        },
      }, receipt, options);
    },

    async lastFdNumber() {
      return decodeFnStatus(await s.call(CMD.fnStatus)).lastFd;
    },

    document: (fdNumber) => readDocument(s, fdNumber),

    checkMarkingCode: (request) => marking.checkMarkingCode(request),
    acceptMarkingCode: (accept) => marking.acceptMarkingCode(accept),
    clearMarkingCodes: () => marking.clearMarkingCodes(),
    markingState: () => marking.markingState(),
  };
  return driver;
}

const passwordBytes = (p: number): number[] => [p & 0xff, (p >> 8) & 0xff, (p >> 16) & 0xff, (p >>> 24) & 0xff];

function shiftDeadline(openedAtIso: string): { year: number; month: number; day: number; hour: number; minute: number; second: number } {
  // Wall-clock arithmetic on the device's own offset: read the ISO fields back and add 24 h.
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})/.exec(openedAtIso);
  const base = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) : 0;
  const d = new Date(base + 24 * HOUR);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
}

/** Registration data: table 18 (0x1F), the FN serial from FF01 and the model name and code from 0xFC. */
async function readRegistration(s: Session): Promise<{ registration: RegistrationInfo; modelCode: number }> {
  const field = async (name: RegField): Promise<Uint8Array> => s.call(CMD.readTable, encodeReadTable(s.password, REG_TABLE, 1, REG_FIELDS[name].field));
  const text = async (name: RegField): Promise<string> => decodeTableString(await field(name));
  const ffd = (await field('ffdVersion'))[0];
  const fn = decodeFnStatus(await s.call(CMD.fnStatus));
  const type = decodeDeviceType(await s.call(CMD.deviceType, new Uint8Array(0)));
  const registration: RegistrationInfo = {
    registrationNumber: await text('registrationNumber'),
    registratorSerial: await text('registratorSerial'),
    fnSerial: fn.fnSerial,
    ffdVersion: ffd === 4 ? '120' : '105',
    ofdName: await text('ofdName'),
    ofdInn: await text('ofdInn'),
    companyName: await text('companyName'),
    companyInn: await text('companyInn'),
    operationsAddress: await text('operationsAddress'),
    operationsPlace: await text('operationsPlace'),
    taxSystems: (await field('taxSystems'))[0] ?? 0,
    model: type.name,
  };
  return { registration, modelCode: type.model };
}
