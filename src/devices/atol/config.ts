import { Type } from 'typebox';
import type { Static } from 'typebox';

/** Device models the ATOL driver (via the ATOL Web Server) can drive, as shown in the dashboard. */
export const ATOL_DEVICE_MODELS = [
  'ATOL 25F', 'ATOL 30F', 'ATOL 55F', 'ATOL 22F', 'ATOL 52F', 'ATOL 11F', 'ATOL 77F', 'ATOL 90F', 'ATOL 60F',
  'ATOL 42FS', 'ATOL 15F', 'ATOL 50F', 'ATOL 20F', 'ATOL 91F', 'ATOL 92F', 'ATOL SIGMA 10', 'ATOL 27F',
  'ATOL SIGMA 7F', 'ATOL SIGMA 8F', 'ATOL 1F', 'KAZNACHEY FA',
] as const;
export type AtolDeviceModel = (typeof ATOL_DEVICE_MODELS)[number];

export const atolConfigSchema = Type.Object(
  {
    url: Type.String({
      title: 'Web server URL',
      description: 'Base URL of the ATOL driver web server (atol-fptr-web-requests).',
      default: 'http://127.0.0.1:16732',
      format: 'uri',
    }),
    device_id: Type.Optional(
      Type.String({
        title: 'Device ID',
        description: "The web server's deviceID of this register; empty for the web server's default device.",
        minLength: 1,
        maxLength: 128,
      }),
    ),
    username: Type.Optional(
      Type.String({ title: 'Username', description: 'HTTP Basic auth user of the web server, if it requires one.', maxLength: 128 }),
    ),
    password: Type.Optional(
      Type.String({ title: 'Password', description: 'HTTP Basic auth password of the web server.', maxLength: 256 }),
    ),
    device_model: Type.Enum(ATOL_DEVICE_MODELS, {
      title: 'Device model',
      description: 'The ATOL register model.',
      default: 'ATOL 30F',
    }),
    poll_interval_ms: Type.Integer({
      title: 'Poll interval, ms',
      description: 'How often to ask the web server for the result of a queued request (the first polls come sooner: 25 ms, doubling up to this).',
      minimum: 10,
      maximum: 10_000,
      default: 250,
    }),
    timeout_ms: Type.Integer({
      title: 'Timeout, ms',
      description:
        'How long to wait for a request result. A receipt still unanswered after this is reported in doubt and resolved by resending it with the same request uuid.',
      minimum: 1_000,
      maximum: 600_000,
      default: 60_000,
    }),
    timezone_offset: Type.String({
      title: 'Device time zone',
      description: 'UTC offset of the register clock (e.g. +03:00), used when the device reports a date-time without an offset.',
      pattern: '^[+-]\\d{2}:\\d{2}$',
      default: '+03:00',
    }),
  },
  { additionalProperties: false },
);

export type AtolConfig = Static<typeof atolConfigSchema>;

export const atolDefaults = (): AtolConfig => ({
  url: 'http://127.0.0.1:16732',
  device_model: 'ATOL 30F',
  poll_interval_ms: 250,
  timeout_ms: 60_000,
  timezone_offset: '+03:00',
});
