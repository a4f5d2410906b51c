import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createAtolEmulator } from './server.js';
import type { AtolEmulator } from './server.js';
import { COMMON_EMULATOR_OPTIONS, closeOnSignals, nonNegativeIntArg, openVirtualRegister } from '../../emulator/cli-args.js';

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
      ...COMMON_EMULATOR_OPTIONS,
      username: { type: 'string' },
      password: { type: 'string' },
      'recovery-interval-ms': { type: 'string' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return null;
  }
  const log = logger ?? pino({ level: 'info' });
  const { dataDir, deviceId, driver } = await openVirtualRegister(values, './data-atol', log);
  const emulator: AtolEmulator = createAtolEmulator({
    port: nonNegativeIntArg('port', values.port, 16732),
    host: values.host ?? '127.0.0.1',
    driver,
    deviceId: String(deviceId),
    ...(values.username !== undefined ? { username: values.username, password: values.password ?? '' } : {}),
    stateFile: join(dataDir, 'devices', `atol-webserver-${deviceId}.json`),
    recoveryIntervalMs: nonNegativeIntArg('recovery-interval-ms', values['recovery-interval-ms'], 500),
    logger: log,
  });
  await emulator.listen();
  log.info({ url: emulator.url, dataDir, deviceId }, 'ATOL web server emulator listening');

  const close = closeOnSignals('ATOL emulator', log, emulator, driver);
  return {
    url: emulator.url,
    close,
  };
}
