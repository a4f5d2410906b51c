/**
 * Registers on the wire for the fleet benchmark: FARM_SHTRIH Shtrih-M protocol emulators (binary
 * protocol over TCP) and FARM_ATOL ATOL web-server emulators (HTTP JSON tasks), each in front of a
 * virtual register of its own (FN under FARM_DIR; FARM_LATENCY_MS per receipt, as the fleet's
 * in-process virtual registers take per receipt), all in this one process on 127.0.0.1 — the same
 * emulators `cr-server emulate shtrih|atol` runs. The server under test drives them through its
 * real Shtrih-M and ATOL drivers: framing, polling, the protocol's round trips and their sockets
 * are part of what it pays for these registers. Reports {type:'ready'} over IPC once all listen,
 * answers IPC {type:'ports'} with {type:'ports', shtrih:[port…], atol:[url…]}; SIGTERM closes
 * everything.
 *
 * env: FARM_SHTRIH, FARM_ATOL (counts), FARM_DIR, FARM_LATENCY_MS, FARM_OFD_ACK_DELAY_MS.
 */
import { pino } from 'pino';
import { systemClock, type FiscalDriver } from '../src/devices/driver.js';
import { emulatorDriver } from '../src/devices/emulator/index.js';
import { createShtrihEmulator } from '../src/devices/shtrih/emulator/server.js';
import { createAtolEmulator } from '../src/devices/atol/emulator/server.js';

const count = (name: string): number => {
  const n = Number(process.env[name] ?? '0');
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}: a count ≥ 0; got "${process.env[name] ?? ''}"`);
  return n;
};

async function main(): Promise<void> {
  const dataDir = process.env.FARM_DIR;
  if (!dataDir) throw new Error('FARM_DIR is required');
  const logger = pino({ level: 'warn' });
  const latencyMs = count('FARM_LATENCY_MS');
  // The latency is the receipt's, once, as in the fleet's in-process virtual registers (one
  // `register` call each), not each protocol command's: the Shtrih-M emulator turns a receipt into
  // several commands that reach the FN (open, items, payment, close), and a virtual register's
  // `latency_ms` would charge each of them the full 300 ms of a printed receipt.
  const config = { ...emulatorDriver.defaults(), latency_ms: 0, ofd_ack_delay_ms: count('FARM_OFD_ACK_DELAY_MS') };
  const slow = (driver: FiscalDriver): FiscalDriver => {
    if (latencyMs === 0) return driver;
    const register = driver.register.bind(driver);
    // The same object (the emulators recognise the virtual register by identity), its receipt slower.
    driver.register = async (receipt, options) => {
      await new Promise((r) => setTimeout(r, latencyMs));
      return register(receipt, options);
    };
    return driver;
  };
  const drivers: FiscalDriver[] = [];
  const closers: (() => Promise<void>)[] = [];
  let deviceId = 0;
  const register = async (): Promise<FiscalDriver> => {
    deviceId += 1;
    const driver = emulatorDriver.create(config, { deviceId, dataDir, logger, clock: systemClock });
    await driver.open();
    drivers.push(driver);
    return slow(driver);
  };

  const shtrih: number[] = [];
  for (let i = 0; i < count('FARM_SHTRIH'); i++) {
    const emulator = createShtrihEmulator({ driver: await register(), port: 0, host: '127.0.0.1', timezoneOffset: config.timezone_offset, logger });
    shtrih.push(await emulator.listen());
    closers.push(() => emulator.close());
  }
  const atol: string[] = [];
  for (let i = 0; i < count('FARM_ATOL'); i++) {
    const emulator = createAtolEmulator({ driver: await register(), port: 0, host: '127.0.0.1', logger });
    await emulator.listen();
    atol.push(emulator.url);
    closers.push(() => emulator.close());
  }
  process.on('message', (m: { type?: string }) => {
    if (m.type === 'ports') process.send?.({ type: 'ports', shtrih, atol });
  });
  process.send?.({ type: 'ready', url: '', groups: [] });
  process.on('SIGTERM', () => {
    void (async () => {
      for (const close of closers) await close().catch(() => undefined);
      for (const d of drivers) await d.close().catch(() => undefined);
      process.exit(0);
    })();
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`emulator-farm: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
