import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { systemClock } from '../../driver.js';
import { emulatorDriver } from '../../emulator/index.js';
import { createAtolEmulator } from './server.js';
import type { AtolEmulator } from './server.js';
import { nonNegativeIntArg, parseEmulatorConfigArg } from '../../emulator/cli-args.js';

const USAGE = `Usage: cr-server emulate atol [options]

Runs an emulator of the ATOL driver web server (v2 JSON queue API) in front of the virtual register.

Options:
  --port <n>                  HTTP port (default 16732, the ATOL web server's)
  --host <addr>               bind address (default 127.0.0.1)
  --data-dir <dir>            where the virtual FN and the request queue live (default ./data-atol)
  --device-id <n>             virtual register id inside the data dir (default 1)
  --username <u>              require HTTP Basic auth with this user
  --password <p>              ... and this password
  --config <json|@file>       virtual register settings (ffd_version, company_name, ...), JSON or @path
  --recovery-interval-ms <n>  pause between reconnection attempts while blocked (default 500)
  --help
`;

export interface AtolEmulatorCliHandle {
  url: string;
  close(): Promise<void>;
}


/**
 * `cr-server emulate atol ...` (the main CLI passes the arguments after `atol`).
 * Resolves once listening; SIGINT/SIGTERM close it. Returns null after printing the help.
 */
export async function runAtolEmulatorCli(argv: readonly string[], logger?: Logger): Promise<AtolEmulatorCliHandle | null> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'device-id': { type: 'string' },
      username: { type: 'string' },
      password: { type: 'string' },
      config: { type: 'string' },
      'recovery-interval-ms': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return null;
  }
  const log = logger ?? pino({ level: 'info' });
  const dataDir = resolve(values['data-dir'] ?? './data-atol');
  const deviceId = nonNegativeIntArg('device-id', values['device-id'], 1);
  const config = parseEmulatorConfigArg(values.config);
  const driver = emulatorDriver.create(config, { deviceId, dataDir, logger: log, clock: systemClock });
  await driver.open();
  const emulator: AtolEmulator = createAtolEmulator({
    port: nonNegativeIntArg('port', values.port, 16732),
    host: values.host ?? '127.0.0.1',
    driver,
    ...(values.username !== undefined ? { username: values.username, password: values.password ?? '' } : {}),
    stateFile: join(dataDir, 'devices', `atol-webserver-${deviceId}.json`),
    recoveryIntervalMs: nonNegativeIntArg('recovery-interval-ms', values['recovery-interval-ms'], 500),
    logger: log,
  });
  await emulator.listen();
  log.info({ url: emulator.url, dataDir, deviceId }, 'ATOL web server emulator listening');

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await emulator.close();
      await driver.close();
    })());
  const onSignal = (): void => {
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, 'ATOL emulator: close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    url: emulator.url,
    close: async () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await close();
    },
  };
}
