/**
 * The Shtrih-M emulator's status answers, read the way a third-party client reads them: a raw 0x11
 * over TCP, decoded by the protocol's byte layout (docs/domain.md §5.2).
 */
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/devices/driver.js';
import { createEmulatorDriver, emulatorDefaults, type EmulatorConfig } from '../../src/devices/emulator/index.js';
import { password4, readUintLE } from '../../src/devices/shtrih/bytes.js';
import { CMD, decodeFullStatus, decodeShortStatus } from '../../src/devices/shtrih/commands.js';
import { createShtrihEmulator } from '../../src/devices/shtrih/emulator/index.js';
import { createShtrihLink } from '../../src/devices/shtrih/link.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A virtual register behind the Shtrih-M emulator on a free port, and a raw link to it. */
async function emulatorOnTcp(config: Partial<EmulatorConfig>) {
  const register = createEmulatorDriver({ ...emulatorDefaults(), ...config }, { deviceId: 1, dataDir: null, logger, clock: systemClock });
  await register.open();
  cleanups.push(() => register.close());
  const emulator = createShtrihEmulator({ driver: register, port: 0, logger });
  const port = await emulator.listen();
  cleanups.push(() => emulator.close());
  const link = createShtrihLink({ host: '127.0.0.1', port, timeoutMs: 2000, retries: 2 });
  cleanups.push(() => link.close());
  return { register, link };
}

describe('shtrih emulator 0x11 full status', () => {
  it.each(['770123456703', '7825706086'])('carries the user INN %s the register is registered with', async (inn) => {
    const { register, link } = await emulatorOnTcp({ company_inn: inn });

    const answer = await link.call(CMD.fullStatus, password4(30));
    expect(answer.error).toBe(0);
    const status = decodeFullStatus(answer.data);
    expect(status.inn).toBe(inn);
    expect((await register.registrationInfo()).companyInn).toBe(inn);
  });

  it('answers with the operator whose password came; 0x13 beeps; FF3F counts the documents the OFD has not confirmed', async () => {
    const { register, link } = await emulatorOnTcp({ ofd_ack_delay_ms: 60_000 });

    expect(decodeShortStatus((await link.call(CMD.shortStatus, password4(1))).data).operator).toBe(1);
    expect(decodeFullStatus((await link.call(CMD.fullStatus, password4(3))).data).operator).toBe(3);
    const beep = await link.call(CMD.beep, password4(7));
    expect(beep).toMatchObject({ error: 0, data: new Uint8Array([7]) });

    await register.openShift(null);
    const unsent = (await register.status()).ofd.unsentCount;
    expect(unsent).toBeGreaterThan(0);
    const count = await link.call(CMD.fnUnconfirmedCount, password4(30));
    expect(count.error).toBe(0);
    expect(readUintLE(count.data, 0, 2)).toBe(unsent);
    // FN commands still need the system administrator's password.
    expect((await link.call(CMD.fnUnconfirmedCount, password4(1))).error).not.toBe(0);
  });
});
