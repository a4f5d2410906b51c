/** A model of a KKT with its fiscal drive, shared by the virtual register and the protocol emulators. */
export { openFiscalDevice, SHIFT_MAX_MS, DEFAULT_OFD_ACK_DELAY_MS } from './fiscal-device.js';
export type { FiscalDevice, FiscalDeviceOptions, StateReport } from './fiscal-device.js';
export { createFaults } from './faults.js';
export type { FaultRunner, OperationClass } from './faults.js';
export { computeFiscalSign, verifyFiscalSign } from './fiscal-sign.js';
export type { SignableDocument } from './fiscal-sign.js';
export { generateIdentity, ALL_TAX_SYSTEMS, DEFAULT_FN_LIFETIME_DAYS, DEFAULT_ARCHIVE_CAPACITY } from './identity.js';
export type { FnIdentity, IdentityOverrides } from './identity.js';
export { crc16CcittFalse, innWithCheckDigits, isValidInn, isValidRnm, makeRnm } from './identifiers.js';
export { toFiscalDocument, toFnsJson, receiptQr } from './ofd-json.js';
export type { StoredDocument } from './store.js';
export { formatDeviceTime, isUtcOffset, parseUtcOffset } from './datetime.js';
export { DOC_CODES, TAG } from './tags.js';
export type { TagList, TagValue, TagEntry } from './tlv.js';
