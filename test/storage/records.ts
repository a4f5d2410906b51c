import type { DeviceStatus, FiscalResult, RegistrationInfo } from '../../src/devices/driver.js';
import type { StoredRequest } from '../../src/domain/records.js';

/** Typed values for repository tests: what services and workers hand to storage. */
export function storedRequest(total: number, orderId: string | null = null): StoredRequest {
  return {
    receiptType: 1,
    operationType: 1,
    taxSystem: 1,
    items: [{ name: 'item', price: total, quantity: 1000, total, vat: 6, paymentMethod: 4, paymentObject: 1, unit: null, measure: 0, quantityPrec: null, taxTypeInt: null }],
    payments: [{ type: 1, sum: total }],
    total,
    change: 0,
    email: null,
    phone: null,
    correction: null,
    mistakenReceiptNumber: null,
    cashier: null,
    needPrint: false,
    orderId,
  };
}

export const registration: RegistrationInfo = {
  registrationNumber: '0000000001012345',
  registratorSerial: '00106700000001',
  fnSerial: '9999078900001234',
  ffdVersion: '120',
  ofdName: 'OFD',
  ofdInn: '7704211201',
  companyName: 'Shop',
  companyInn: '7700000000',
  operationsAddress: 'Moscow',
  operationsPlace: 'shop.example',
  taxSystems: 1,
  model: 'Virtual register',
};

export function fiscalResult(fdNumber: number, total = 100): FiscalResult {
  return { fdNumber, fiscalSign: String(1_000_000 + fdNumber), shiftNumber: 1, receiptInShift: fdNumber, dateTime: '2026-06-01T12:00:00+03:00', total, change: 0, registration };
}

export const deviceStatus: DeviceStatus = {
  dateTime: '2026-06-01T12:00:00+03:00',
  shift: { state: 'open', number: 1, openedAt: '2026-06-01T09:00:00+03:00', expiresAt: '2026-06-02T09:00:00+03:00', receiptsInShift: 2 },
  lastFdNumber: 5,
  fn: { serial: registration.fnSerial, ffdVersion: '120', phase: 'fiscal', expiresAt: null, memoryUsed: 0.01 },
  ofd: { unsentCount: 0, oldestUnsentAt: null },
  paperPresent: true,
  warnings: [],
};
