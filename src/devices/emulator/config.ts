import { Type } from 'typebox';
import type { Static } from 'typebox';
import type { MarkingOperatorAnswer } from '../fiscal-core/marking-operator.js';

/**
 * Settings of the virtual register. The registration fields (FFD version, company, address, tax
 * systems, OFD, the modes of report 1, FN lifetime) are written into the virtual FN when it is
 * created, as at a real
 * registration; changing them later does not rewrite an existing FN (that needs re-registration,
 * which the emulator does not model). Delete the device file to start over.
 */
export const EMULATOR_DEFAULTS = {
  ffd_version: '105',
  company_name: 'ООО "Виртуальная касса"',
  // A syntactically valid individual's INN (check digits correct), not a real taxpayer.
  company_inn: '770123456703',
  operations_address: 'г. Москва, ул. Тестовая, д. 1',
  operations_place: 'Интернет-магазин',
  tax_systems: 63,
  ofd_name: 'ООО "Эмулятор ОФД"',
  ofd_inn: '7701234560',
  automatic_mode: true,
  machine_number: '',
  internet_only: true,
  services: false,
  bso: false,
  encryption: false,
  printer_in_machine: false,
  timezone_offset: '+03:00',
  ofd_ack_delay_ms: 2000,
  ofd_enabled: true,
  fn_lifetime_days: 470,
  fn_archive_capacity: 250_000,
  latency_ms: 0,
  marking_operator: 'valid',
  marking_operator_delay_ms: 2000,
  marking_answers: {},
  marking_fn_keys: 'all',
  marking_block_after_hours: 72,
} as const;

const D = EMULATOR_DEFAULTS;

/**
 * One of MARKING_OPERATOR_ANSWERS, spelled out: TypeBox needs a literal tuple for the static type
 * (the driver passes the value to the operator, so tsc refuses an answer the operator lacks; the
 * emulator test checks the list is complete).
 */
const markingAnswer = (options: { default?: MarkingOperatorAnswer; title?: string; description?: string } = {}) =>
  Type.Union([
    Type.Literal('valid'), Type.Literal('invalid_code'), Type.Literal('wrong_status'), Type.Literal('sale_stopped'),
    Type.Literal('unreachable'), Type.Literal('slow'),
  ], options);

export const emulatorConfigSchema = Type.Object(
  {
    ffd_version: Type.Union([Type.Literal('105'), Type.Literal('120')], {
      default: D.ffd_version,
      title: 'FFD version',
      description: 'Fiscal data format the virtual FN is registered for: 1.05 ("105") or 1.2 ("120").',
    }),
    company_name: Type.String({
      minLength: 1, maxLength: 256, default: D.company_name,
      title: 'Company name', description: 'User (organisation) name, tag 1048.',
    }),
    company_inn: Type.String({
      pattern: '^(\\d{10}|\\d{12})$', default: D.company_inn,
      title: 'Company INN', description: 'Taxpayer id of the user, tag 1018: 10 digits (company) or 12 (individual).',
    }),
    operations_address: Type.String({
      minLength: 1, maxLength: 256, default: D.operations_address,
      title: 'Settlement address', description: 'Address of settlements, tag 1009 (a site URL for online shops).',
    }),
    operations_place: Type.String({
      minLength: 1, maxLength: 256, default: D.operations_place,
      title: 'Settlement place', description: 'Place of settlements, tag 1187.',
    }),
    tax_systems: Type.Integer({
      minimum: 1, maximum: 63, default: D.tax_systems,
      title: 'Taxation systems',
      description: 'Bitmask of registered taxation systems, tag 1062: 1 OSN, 2 USN income, 4 USN income − expense, 8 ENVD, 16 ESHN, 32 patent. 63 = all.',
    }),
    ofd_name: Type.String({
      minLength: 1, maxLength: 256, default: D.ofd_name,
      title: 'OFD name', description: 'Fiscal data operator name, tag 1046. The emulator never contacts a real OFD.',
    }),
    ofd_inn: Type.String({
      pattern: '^(\\d{10}|\\d{12})$', default: D.ofd_inn,
      title: 'OFD INN', description: 'Fiscal data operator INN, tag 1017.',
    }),
    automatic_mode: Type.Boolean({
      default: D.automatic_mode,
      title: 'Automatic mode',
      description: 'Tag 1001. On: no cashier works the register and receipts carry the automat number (1036). Off: every receipt and correction must name its cashier (1021), or the API refuses it with 422 cashier_required.',
    }),
    machine_number: Type.String({
      maxLength: 20, default: D.machine_number,
      title: 'Automat number', description: 'Tag 1036, written in automatic mode. Empty: "virtual-<device id>".',
    }),
    internet_only: Type.Boolean({
      default: D.internet_only,
      title: 'Internet settlements only', description: 'Tag 1108: the register serves settlements on the Internet and prints no paper receipts.',
    }),
    services: Type.Boolean({ default: D.services, title: 'Services', description: 'Tag 1109: the register is used for services.' }),
    bso: Type.Boolean({ default: D.bso, title: 'Strict reporting forms (BSO)', description: 'Tag 1110: the register issues BSO.' }),
    encryption: Type.Boolean({ default: D.encryption, title: 'Encryption', description: 'Tag 1056: fiscal data are sent to the OFD encrypted.' }),
    printer_in_machine: Type.Boolean({
      default: D.printer_in_machine,
      title: 'Printer in an automat', description: 'Tag 1221: the receipt printer is built into an automat.',
    }),
    timezone_offset: Type.String({
      pattern: '^[+-]\\d{2}:\\d{2}$', default: D.timezone_offset,
      title: 'Time zone offset', description: 'UTC offset of the device clock, e.g. +03:00 (Moscow).',
    }),
    ofd_ack_delay_ms: Type.Integer({
      minimum: 0, default: D.ofd_ack_delay_ms,
      title: 'OFD acknowledgement delay, ms', description: 'How long the simulated OFD takes to acknowledge each fiscal document.',
    }),
    ofd_enabled: Type.Boolean({
      default: D.ofd_enabled,
      title: 'OFD reachable', description: 'Off: documents pile up unsent, raising ofd_timeout after 2 days and blocking the FN after 30.',
    }),
    fn_lifetime_days: Type.Integer({
      minimum: 1, maximum: 1110, default: D.fn_lifetime_days,
      title: 'FN lifetime, days', description: 'Validity of the virtual fiscal drive from registration (410, 470 or 1110 for real FNs).',
    }),
    fn_archive_capacity: Type.Integer({
      minimum: 10, default: D.fn_archive_capacity,
      title: 'FN archive capacity', description: 'Number of fiscal documents the virtual FN archive holds before it is full.',
    }),
    latency_ms: Type.Integer({
      minimum: 0, maximum: 60_000, default: D.latency_ms,
      title: 'Latency, ms', description: 'Artificial delay added to every device operation.',
    }),
    marking_operator: markingAnswer({
      default: D.marking_operator,
      title: 'Marking operator answer',
      description:
        'How the simulated marking operator answers FFD 1.2 code checks: valid; invalid_code (the code check fails); wrong_status (planned status incorrect); ' +
        'sale_stopped (circulation suspended); unreachable (no answer: the FN forms the result alone and sale notifications stay unconfirmed); slow (valid, after the delay below).',
    }),
    marking_operator_delay_ms: Type.Integer({
      minimum: 0, maximum: 600_000, default: D.marking_operator_delay_ms,
      title: 'Marking operator delay, ms', description: 'How long a "slow" marking operator takes to answer a code check; the check waits for it, within the device call timeout.',
    }),
    marking_answers: Type.Record(Type.String({ pattern: '^\\d{14}$' }), markingAnswer(), {
      default: D.marking_answers, additionalProperties: false,
      title: 'Marking answers by GTIN',
      description: 'Operator answers for particular products, over the answer above: {"<GTIN-14>": "<answer>"}, e.g. one valid and one invalid code in the same receipt.',
    }),
    marking_fn_keys: Type.Union([Type.Literal('all'), Type.Literal('none')], {
      default: D.marking_fn_keys,
      title: 'FN marking keys',
      description: 'all: the virtual FN checks the crypto tail (91/92 or 93) of every GS1 code itself (2106 bits 0–1); none: it has no keys and checks nothing (reason "no keys").',
    }),
    marking_block_after_hours: Type.Integer({
      minimum: 1, maximum: 8760, default: D.marking_block_after_hours,
      title: 'Marking block after, hours',
      description: 'The FN refuses code checks (marking_blocked) once a sale notification has waited this long for the operator\'s confirmation. Our choice: the real FN-M threshold is not published.',
    }),
  },
  { additionalProperties: false },
);

export type EmulatorConfig = Static<typeof emulatorConfigSchema>;

export const emulatorDefaults = (): EmulatorConfig => ({ ...EMULATOR_DEFAULTS, marking_answers: {} });
