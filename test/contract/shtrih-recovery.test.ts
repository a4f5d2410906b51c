/**
 * Shtrih-specific recovery over a real socket: the emulator dies after the FN closed the receipt
 * (power loss between FF45 commit and its answer) and comes back on the same FN file; a receipt
 * left open by a dead connection is cancelled (0x88) before the next one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import type { EmulatorDriver } from '../../src/devices/emulator/index.js';
import { DeviceError, systemClock } from '../../src/devices/driver.js';
import type { FiscalDriver } from '../../src/devices/driver.js';
import { shtrihDriver } from '../../src/devices/shtrih/index.js';
import { createShtrihEmulator } from '../../src/devices/shtrih/emulator/index.js';
import type { ShtrihEmulator, ShtrihEmulatorOptions } from '../../src/devices/shtrih/emulator/index.js';
import { CASHIER, item, receipt } from './receipts.js';

const logger = pino({ level: 'silent' });
const FF45 = 0xff45;
const FF46 = 0xff46;

let dataDir: string | null = null;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  dataDir = null;
});

function register(dir: string | null): EmulatorDriver {
  const r = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: '120' }, { deviceId: 7, dataDir: dir, logger, clock: systemClock });
  cleanups.push(() => r.close());
  return r;
}

async function emulator(options: ShtrihEmulatorOptions): Promise<ShtrihEmulator> {
  const e = createShtrihEmulator({ logger, ...options });
  await e.listen();
  cleanups.push(() => e.close());
  return e;
}

function connect(port: number, extra: Partial<ReturnType<typeof shtrihDriver.defaults>> = {}): FiscalDriver {
  const d = shtrihDriver.create({ ...shtrihDriver.defaults(), port, timeout_ms: 2000, retries: 2, ...extra }, { deviceId: 7, dataDir: null, logger, clock: systemClock });
  cleanups.push(() => d.close());
  return d;
}

describe('shtrih driver recovery', () => {
  it('emulator killed after the FF45 commit and restarted on the same FN file: in_doubt, then exactly one document', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'shtrih-restart-'));
    const first = register(dataDir);
    let killed = false;
    const a: ShtrihEmulator = await emulator({
      driver: first,
      port: 0,
      hooks: {
        afterCommand: async (command) => {
          // Power loss: the FN has closed the receipt, the answer never leaves the device.
          if (command === FF45 && !killed) {
            killed = true;
            await a.close();
            await first.close();
          }
        },
      },
    });
    const driver = connect(a.port);
    await driver.open();
    await driver.openShift(CASHIER);
    const before = await driver.lastFdNumber();
    const r = receipt({ items: [item({ price: 31_400 })] });

    const err = await driver.register(r, { autoOpenShift: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeviceError);
    expect(err).toMatchObject({ kind: 'in_doubt', code: 'answer_lost' });
    expect(killed).toBe(true);

    // While the device is down the worker only learns that it is offline.
    await expect(driver.lastFdNumber()).rejects.toMatchObject({ kind: 'offline' });

    await emulator({ driver: register(dataDir), port: a.port });
    const last = await driver.lastFdNumber();
    expect(last).toBe(before + 1);
    expect(await driver.document(last)).toMatchObject({ kind: 'receipt', totalSum: r.total, operationType: 1 });
    expect(await driver.document(last + 1)).toBeNull();
    // The restarted device is consistent and numbers on.
    expect((await driver.register(receipt(), { autoOpenShift: false })).fdNumber).toBe(before + 2);
  });

  it('cancels a receipt left open by a dead connection before the next one (0x88)', async () => {
    let cut = true;
    const e = await emulator({
      driver: register(null),
      port: 0,
      hooks: {
        afterCommand: (command) => {
          if (command === FF46 && cut) {
            cut = false;
            throw new Error('line cut after FF46');
          }
        },
      },
    });
    const driver = connect(e.port);
    await driver.open();
    await driver.openShift(CASHIER);
    const before = await driver.lastFdNumber();
    await expect(driver.register(receipt({ items: [item({ price: 100 })] }), { autoOpenShift: false })).rejects.toMatchObject({ kind: 'offline' });
    const res = await driver.register(receipt({ items: [item({ price: 200 })] }), { autoOpenShift: false });
    expect(res).toMatchObject({ fdNumber: before + 1, total: 200 });
    expect((await driver.document(before + 1))?.itemCount).toBe(1);
  });

  it('keeps the device error byte and refuses unconfirmed VAT codes unless enabled', async () => {
    const e = await emulator({ driver: register(null), port: 0 });
    const driver = connect(e.port);
    await driver.openShift(CASHIER);
    const short = receipt({ payments: [{ type: 0, sum: 1 }] });
    await expect(driver.register({ ...short, change: 0 }, { autoOpenShift: false })).rejects.toMatchObject({ kind: 'rejected', code: 'insufficient_payment', deviceCode: '0x45' });
    const vat5 = receipt({ items: [item({ vat: 7 })] });
    await expect(driver.register(vat5, { autoOpenShift: false })).rejects.toMatchObject({ kind: 'rejected', code: 'not_supported', deviceCode: null });

    const lenient = connect(e.port, { allow_new_vat_codes: true });
    const res = await lenient.register(vat5, { autoOpenShift: false });
    const doc = await lenient.document(res.fdNumber);
    expect((doc?.json as { receipt: { items: { nds: number }[] } }).receipt.items[0]?.nds).toBe(7);
  });
});
