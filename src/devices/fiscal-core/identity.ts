import { createHash } from 'node:crypto';
import type { FfdVersion } from '../../domain/enums.js';
import type { RegistrationInfo } from '../driver.js';
import { DAY_MS } from './datetime.js';
import { innWithCheckDigits, makeRnm } from './identifiers.js';

/**
 * Everything the FN learns at registration (report 1), plus its lifetime and archive size.
 * Generated once, deterministically from the device seed, and then kept in the device store:
 * like a real FN, later config changes do not rewrite it.
 */
export interface FnIdentity {
  /** 1041: 16 digits; 9999 marks an emulated FN (domain.md §3) */
  fnSerial: string;
  /** 1013 */
  kktSerial: string;
  /** 1037 */
  rnm: string;
  ffdVersion: FfdVersion;
  /** 1048 */
  companyName: string;
  /** 1018 */
  companyInn: string;
  /** 1009 */
  operationsAddress: string;
  /** 1187 */
  operationsPlace: string;
  /** 1062 bitmask */
  taxSystems: number;
  /** 1046 */
  ofdName: string;
  /** 1017 */
  ofdInn: string;
  /** 1060 */
  fnsSite: string;
  /** 1001: no cashier works the register; receipts need no 1021, and carry 1036 */
  automaticMode: boolean;
  /** 1036, the automat number (automatic mode only) */
  machineNumber: string;
  /** 1002: no OFD link; documents are never sent */
  offlineMode: boolean;
  /** 1056 */
  encryption: boolean;
  /** 1108: settlements on the Internet only, no printed receipt */
  internetOnly: boolean;
  /** 1109 */
  services: boolean;
  /** 1110 */
  bso: boolean;
  /** 1221: the printer is built into an automat */
  printerInMachine: boolean;
  /** ms, the time of the registration report */
  registeredAt: number;
  /** ms, end of the FN key lifetime */
  expiresAt: number;
  /** How many fiscal documents the archive holds. */
  archiveCapacity: number;
}

export interface IdentityOverrides {
  ffdVersion?: FfdVersion;
  companyName?: string;
  companyInn?: string;
  operationsAddress?: string;
  operationsPlace?: string;
  taxSystems?: number;
  ofdName?: string;
  ofdInn?: string;
  automaticMode?: boolean;
  machineNumber?: string;
  offlineMode?: boolean;
  encryption?: boolean;
  internetOnly?: boolean;
  services?: boolean;
  bso?: boolean;
  printerInMachine?: boolean;
  /** FN lifetime from registration; 470 days is the 15-month FN (domain.md §2.3). */
  fnLifetimeDays?: number;
  archiveCapacity?: number;
}

export const DEFAULT_FN_LIFETIME_DAYS = 470;
// Shtrih/ATOL FN-1.1 archives hold on the order of a few hundred thousand documents; the exact
// figure does not matter to cr-server, only that "full" and "90 %" are reachable in tests.
export const DEFAULT_ARCHIVE_CAPACITY = 250_000;
export const ALL_TAX_SYSTEMS = 63;

/** A deterministic digit stream from the seed, so the same device id always gets the same FN. */
function digitStream(seed: string): (n: number) => string {
  let counter = 0;
  let pool = '';
  return (n) => {
    while (pool.length < n) {
      const hash = createHash('sha256').update(`cr-server/emulator/${seed}/${counter++}`).digest();
      for (const byte of hash) if (byte < 250) pool += String(byte % 10);
    }
    const out = pool.slice(0, n);
    pool = pool.slice(n);
    return out;
  };
}

const nonZeroLead = (digits: string): string => (digits.startsWith('0') ? `1${digits.slice(1)}` : digits);

export function generateIdentity(seed: string, now: number, o: IdentityOverrides = {}): FnIdentity {
  const next = digitStream(seed);
  const fnSerial = `99990789${next(8)}`;
  const kktSerial = `00106${next(9)}`;
  const companyInn = o.companyInn ?? innWithCheckDigits(`77${nonZeroLead(next(8))}`);
  const rnm = makeRnm(nonZeroLead(next(10)), companyInn, kktSerial);
  const lifetimeDays = o.fnLifetimeDays ?? DEFAULT_FN_LIFETIME_DAYS;
  return {
    fnSerial,
    kktSerial,
    rnm,
    ffdVersion: o.ffdVersion ?? '105',
    companyName: o.companyName ?? `ООО "Виртуальная касса ${seed}"`,
    companyInn,
    operationsAddress: o.operationsAddress ?? 'г. Москва, ул. Тестовая, д. 1',
    operationsPlace: o.operationsPlace ?? 'Интернет-магазин',
    taxSystems: o.taxSystems ?? ALL_TAX_SYSTEMS,
    ofdName: o.ofdName ?? 'ООО "Эмулятор ОФД"',
    ofdInn: o.ofdInn ?? innWithCheckDigits('770000001'),
    fnsSite: 'www.nalog.gov.ru',
    ...registrationModes(seed, o),
    registeredAt: now,
    expiresAt: now + lifetimeDays * DAY_MS,
    archiveCapacity: o.archiveCapacity ?? DEFAULT_ARCHIVE_CAPACITY,
  };
}

type RegistrationModes = Pick<FnIdentity, 'automaticMode' | 'machineNumber' | 'offlineMode' | 'encryption' | 'internetOnly' | 'services' | 'bso' | 'printerInMachine'>;

/** The modes of report 1. The defaults are an internet shop's: automatic mode, Internet only. */
function registrationModes(seed: string, o: IdentityOverrides): RegistrationModes {
  return {
    automaticMode: o.automaticMode ?? true,
    // 1036 is String 20.
    machineNumber: o.machineNumber ?? `virtual-${seed}`.slice(0, 20),
    offlineMode: o.offlineMode ?? false,
    encryption: o.encryption ?? false,
    internetOnly: o.internetOnly ?? true,
    services: o.services ?? false,
    bso: o.bso ?? false,
    printerInMachine: o.printerInMachine ?? false,
  };
}

/**
 * An identity as stored. FNs created before the registration modes were recorded behaved as an
 * automatic, Internet-only register (no cashier was ever required), so that is what they get.
 */
export function storedIdentity(raw: Omit<FnIdentity, keyof RegistrationModes> & Partial<RegistrationModes>): FnIdentity {
  return { ...registrationModes(raw.kktSerial, {}), ...raw };
}

/** The registration data as drivers report it (tags 1037, 1013, 1041, 1046, 1017, 1048, 1018, 1009, 1187, 1062). */
export function toRegistrationInfo(id: FnIdentity, model: string): RegistrationInfo {
  return {
    registrationNumber: id.rnm,
    registratorSerial: id.kktSerial,
    fnSerial: id.fnSerial,
    ffdVersion: id.ffdVersion,
    ofdName: id.ofdName,
    ofdInn: id.ofdInn,
    companyName: id.companyName,
    companyInn: id.companyInn,
    operationsAddress: id.operationsAddress,
    operationsPlace: id.operationsPlace,
    taxSystems: id.taxSystems,
    automaticMode: id.automaticMode,
    model,
  };
}
