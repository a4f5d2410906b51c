/** Device settings of a Shtrih-M register (dashboard form, validation and OpenAPI come from this schema). */
import { Type } from 'typebox';
import type { Static } from 'typebox';

export const shtrihConfigSchema = Type.Object({
  host: Type.String({ title: 'Host', description: 'IP address or host name of the register (or of a protocol emulator)', default: '127.0.0.1', minLength: 1 }),
  port: Type.Integer({ title: 'TCP port', description: 'TCP port of the register; Shtrih-M devices listen on 7778', default: 7778, minimum: 1, maximum: 65535 }),
  password: Type.Integer({ title: 'Password', description: 'Operator password sent with every command; FN commands need the system administrator (30)', default: 30, minimum: 0, maximum: 99999999 }),
  timeout_ms: Type.Integer({ title: 'Answer timeout, ms', description: 'How long to wait for the ACK and the answer of one command (printing a Z-report can take seconds)', default: 10000, minimum: 100, maximum: 120000 }),
  retries: Type.Integer({ title: 'Retries', description: 'Link-layer retries of ENQ, a NAKed frame or a corrupted answer (the protocol allows up to 10)', default: 10, minimum: 0, maximum: 10 }),
  timezone_offset: Type.String({ title: 'Device time zone', description: 'UTC offset of the register clock, e.g. +03:00 for Moscow; the protocol carries local time without a zone', default: '+03:00', pattern: '^[+-]\\d{2}:\\d{2}$' }),
  allow_new_vat_codes: Type.Boolean({ title: 'Send 2025+ VAT rates', description: 'Send 5 %, 7 %, 5/105, 7/107, 22 %, 22/122 with the emulator\'s FF46 codes 0x41–0x46. Leave off for real devices until the firmware codes are confirmed', default: false }),
});

export type ShtrihConfig = Static<typeof shtrihConfigSchema>;

export const shtrihDefaults = (): ShtrihConfig => ({
  host: '127.0.0.1',
  port: 7778,
  password: 30,
  timeout_ms: 10000,
  retries: 10,
  timezone_offset: '+03:00',
  allow_new_vat_codes: false,
});
