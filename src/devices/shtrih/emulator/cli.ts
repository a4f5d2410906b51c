/** `cr-server emulate shtrih …`: a Shtrih-M register on TCP in front of a virtual register. */
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Logger } from 'pino';
import { createShtrihEmulator } from './server.js';
import { COMMON_EMULATOR_OPTIONS, closeOnSignals, nonNegativeIntArg, openVirtualRegister } from '../../emulator/cli-args.js';

const USAGE = `Usage: cr-server emulate shtrih [options]

Runs a Shtrih-M protocol emulator (binary protocol over TCP) in front of the virtual register.

Options:
  --port <n>              TCP port (default 7778, the Shtrih-M one)
  --host <addr>           bind address (default 127.0.0.1)
  --data-dir <dir>        where the virtual FN lives (default ./data-shtrih)
  --device-id <n>         virtual register id inside the data dir (default 1)
  --password <n>          system administrator password FN commands must carry (default 30)
  --model <name>          device name answered to 0xFC (default ШТРИХ-М-01Ф)
  --model-code <n>        model code answered to 0xFC (default 0); cash-core codes 16, 19, 20, 21,
                          45, 46 take an item's FF4D tags and FF67 before its FF46
  --byte-timeout <ms>     longest pause inside one frame before it is NAKed (default 500)
  --require-open-check    classic 0x80–0x83 need 0x8D first (default: the first line opens the receipt)
  --config <json|@file>   virtual register settings (ffd_version, company_name, timezone_offset, ...)
  --help
`;

export interface ShtrihEmulatorCliHandle {
  port: number;
  close(): Promise<void>;
}


/** Resolves once listening; SIGINT/SIGTERM close it. Returns null after printing the help. */
export async function runShtrihEmulatorCli(argv: readonly string[], logger?: Logger): Promise<ShtrihEmulatorCliHandle | null> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      ...COMMON_EMULATOR_OPTIONS,
      password: { type: 'string' },
      model: { type: 'string' },
      'model-code': { type: 'string' },
      'byte-timeout': { type: 'string' },
      'require-open-check': { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return null;
  }
  const modelCode = nonNegativeIntArg('model-code', values['model-code'], 0);
  if (modelCode > 0xff) throw new Error('--model-code must be 0–255 (one byte of the 0xFC answer)');
  const log = logger ?? pino({ level: 'info' });
  const { dataDir, deviceId, config, driver } = await openVirtualRegister(values, './data-shtrih', log);
  const emulator = createShtrihEmulator({
    driver,
    port: nonNegativeIntArg('port', values.port, 7778),
    host: values.host ?? '127.0.0.1',
    password: nonNegativeIntArg('password', values.password, 30),
    deviceName: values.model ?? 'ШТРИХ-М-01Ф',
    modelCode,
    byteTimeoutMs: nonNegativeIntArg('byte-timeout', values['byte-timeout'], 500),
    requireOpenCheck: values['require-open-check'] ?? false,
    timezoneOffset: config.timezone_offset,
    logger: log,
  });
  const port = await emulator.listen();
  log.info({ port, dataDir, deviceId }, 'Shtrih-M emulator listening');

  const close = closeOnSignals('Shtrih emulator', log, emulator, driver);
  return {
    port,
    close,
  };
}
