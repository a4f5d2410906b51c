/**
 * The Shtrih-M emulator's link layer byte by byte: raw bytes in, raw bytes out, no client library
 * in between. Each expectation cites the vendor's protocol description, section "Общие положения"
 * ("General"), as reproduced word for word in rosix-ru/shtrihm-fr, shtrihmfr/kkt.py (BaseKKT
 * docstring), and the vendor's own host implementation (shtrih-m/javapos_shtrih,
 * PrinterProtocol_1.java). Quotes are translated; [Формат] = the message format paragraph,
 * [Квитирование] = the acknowledgement paragraph, [ENQ] = the paragraph on the ENQ request.
 */
import net from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/devices/driver.js';
import { createEmulatorDriver, emulatorDefaults } from '../../src/devices/emulator/index.js';
import { CMD, decodeShortStatus, encodeClassicClose, encodeClassicItem } from '../../src/devices/shtrih/commands.js';
import { createShtrihEmulator } from '../../src/devices/shtrih/emulator/index.js';
import type { ShtrihEmulator } from '../../src/devices/shtrih/emulator/index.js';
import { ACK, ENQ, NAK, STX, encodeRequest } from '../../src/devices/shtrih/frame.js';

const logger = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const BYTE_TIMEOUT_MS = 100;
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);
const xor = (b: Iterable<number>): number => {
  let x = 0;
  for (const v of b) x ^= v;
  return x;
};

/** A raw TCP peer: write bytes, read exactly n bytes, or check that nothing comes. */
interface Raw {
  write(b: Uint8Array): void;
  read(n: number, timeoutMs?: number): Promise<Uint8Array>;
  /** Bytes that arrive within ms (expected: none). */
  quiet(ms: number): Promise<Uint8Array>;
  /** STX LEN … LRC: one whole answer frame. */
  frame(): Promise<Uint8Array>;
}

async function rawClient(port: number): Promise<Raw> {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  cleanups.push(async () => {
    socket.destroy();
  });
  let buffer: number[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    buffer.push(...chunk);
    wake?.();
  });
  const read = async (n: number, timeoutMs = 2000): Promise<Uint8Array> => {
    const deadline = Date.now() + timeoutMs;
    while (buffer.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`expected ${n} bytes, got [${buffer.join(',')}]`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
    const out = new Uint8Array(buffer.slice(0, n));
    buffer = buffer.slice(n);
    return out;
  };
  return {
    write: (b) => socket.write(b),
    read,
    async quiet(ms) {
      await new Promise((r) => setTimeout(r, ms));
      const out = new Uint8Array(buffer);
      buffer = [];
      return out;
    },
    async frame() {
      const head = await read(2);
      expect(head[0]).toBe(STX);
      const rest = await read((head[1] ?? 0) + 1);
      return new Uint8Array([...head, ...rest]);
    },
  };
}

async function emulatorOnTcp(): Promise<{ emulator: ShtrihEmulator; port: number; openShift: () => Promise<void> }> {
  const register = createEmulatorDriver({ ...emulatorDefaults(), ffd_version: '120' }, { deviceId: 1, dataDir: null, logger, clock: systemClock });
  await register.open();
  cleanups.push(() => register.close());
  const emulator = createShtrihEmulator({ driver: register, port: 0, logger, byteTimeoutMs: BYTE_TIMEOUT_MS });
  const port = await emulator.listen();
  cleanups.push(() => emulator.close());
  return { emulator, port, openShift: async () => void (await register.openShift(null)) };
}

/** 0x10 short status with password 30: STX 05 10 1E 00 00 00 LRC (0x0B). */
const STATUS = bytes(STX, 0x05, 0x10, 0x1e, 0x00, 0x00, 0x00, 0x0b);

describe('shtrih emulator, frame by frame (vendor link protocol)', () => {
  it('ENQ while idle → NAK; a command → ACK, then STX LEN CMD ERR DATA LRC', async () => {
    const { port } = await emulatorOnTcp();
    const c = await rawClient(port);
    // [ENQ] "NAK from the device means it is waiting for the next command."
    c.write(bytes(ENQ));
    expect(await c.read(1)).toEqual(bytes(NAK));
    // [Формат] byte 0 STX, byte 1 LEN (bytes 0, LEN and LRC not counted), byte 2 command,
    // then the parameters, last LRC = XOR of every byte but STX.
    expect(xor(STATUS.subarray(1, -1))).toBe(STATUS.at(-1));
    c.write(STATUS);
    // [Квитирование] "Every received message is confirmed with one byte: ACK …"
    expect(await c.read(1)).toEqual(bytes(ACK));
    const answer = await c.frame();
    const len = answer[1] ?? 0;
    expect(answer.length).toBe(len + 3);
    expect(answer[2]).toBe(0x10); // command echoed
    expect(answer[3]).toBe(0x00); // error byte
    expect(answer.at(-1)).toBe(xor(answer.subarray(1, -1)));
    expect(decodeShortStatus(answer.subarray(4, -1))).toMatchObject({ operator: 30, mode: 4 });
    c.write(bytes(ACK));
    c.write(bytes(ENQ));
    expect(await c.read(1)).toEqual(bytes(NAK));
  });

  it('bad LRC → NAK and nothing executed; the host resends the frame', async () => {
    const { port } = await emulatorOnTcp();
    const c = await rawClient(port);
    const broken = STATUS.slice();
    broken[broken.length - 1] = 0x00;
    c.write(broken);
    // [Квитирование] "NAK reports an interface error (data received with an error or STX not
    // recognised), not a wrong command."
    expect(await c.read(1)).toEqual(bytes(NAK));
    expect(await c.quiet(50)).toEqual(bytes());
    c.write(STATUS);
    expect(await c.read(1)).toEqual(bytes(ACK));
    expect((await c.frame())[2]).toBe(0x10);
  });

  it('STX with LEN 0 is received in error → NAK', async () => {
    const { port } = await emulatorOnTcp();
    const c = await rawClient(port);
    c.write(bytes(STX, 0x00));
    expect(await c.read(1)).toEqual(bytes(NAK));
  });

  it('a pause longer than the byte timeout inside a frame → NAK, the partial frame is dropped', async () => {
    const { port } = await emulatorOnTcp();
    const c = await rawClient(port);
    // "Default … byte timeout 50 ms" (the emulator's is configurable; 100 ms here).
    c.write(STATUS.subarray(0, 4));
    expect(await c.read(1, BYTE_TIMEOUT_MS * 5)).toEqual(bytes(NAK));
    // The rest arriving late is line noise, not a command; a whole frame then works.
    c.write(STATUS.subarray(4));
    expect(await c.quiet(50)).toEqual(bytes());
    c.write(STATUS);
    expect(await c.read(1)).toEqual(bytes(ACK));
    expect((await c.frame())[2]).toBe(0x10);
  });

  it('a frame split into chunks within the byte timeout is one command', async () => {
    const { port } = await emulatorOnTcp();
    const c = await rawClient(port);
    c.write(STATUS.subarray(0, 3));
    await new Promise((r) => setTimeout(r, BYTE_TIMEOUT_MS / 4));
    c.write(STATUS.subarray(3));
    expect(await c.read(1)).toEqual(bytes(ACK));
    expect((await c.frame())[2]).toBe(0x10);
  });

  it('host NAKs the answer → the device stays silent; ENQ → ACK and the same answer again', async () => {
    const { port } = await emulatorOnTcp();
    const c = await rawClient(port);
    c.write(STATUS);
    expect(await c.read(1)).toEqual(bytes(ACK));
    const first = await c.frame();
    // [Квитирование] "If the device gets NAK for its message, the message is not repeated; the
    // device waits for ENQ to repeat the answer."
    c.write(bytes(NAK));
    expect(await c.quiet(150)).toEqual(bytes());
    // [ENQ] "ACK means the device is preparing (holds) the answer." PrinterProtocol_1.readAnswer:
    // NAK, then ENQ; on ACK read the answer again.
    c.write(bytes(ENQ));
    expect(await c.read(1)).toEqual(bytes(ACK));
    expect(await c.frame()).toEqual(first);
    c.write(bytes(ACK));
    c.write(bytes(ENQ));
    expect(await c.read(1)).toEqual(bytes(NAK));
  });

  it('an answer never ACKed survives a reconnect: ENQ on a new connection → ACK + the answer', async () => {
    const { port } = await emulatorOnTcp();
    const a = await rawClient(port);
    a.write(STATUS);
    expect(await a.read(1)).toEqual(bytes(ACK));
    const answer = await a.frame();
    const b = await rawClient(port);
    b.write(bytes(ENQ));
    expect(await b.read(1)).toEqual(bytes(ACK));
    expect(await b.frame()).toEqual(answer);
    b.write(bytes(ACK));
    b.write(bytes(ENQ));
    expect(await b.read(1)).toEqual(bytes(NAK));
  });

  it('ENQ while the command executes → ACK ("preparing the answer"), then the answer', async () => {
    const { emulator, port } = await emulatorOnTcp();
    emulator.faults.inject({ kind: 'slow', delayMs: 200 }, 1);
    const c = await rawClient(port);
    c.write(STATUS);
    expect(await c.read(1)).toEqual(bytes(ACK));
    c.write(bytes(ENQ));
    expect(await c.read(1)).toEqual(bytes(ACK));
    const answer = await c.frame();
    expect(answer.subarray(2, 4)).toEqual(bytes(0x10, 0x00));
    // The device sent its answer once, to the connection that waits for it.
    expect(await c.quiet(50)).toEqual(bytes());
  });

  it('a command frame repeated after a lost ACK or answer is answered again, not executed twice', async () => {
    const { port, openShift } = await emulatorOnTcp();
    await openShift();
    const c = await rawClient(port);
    const sale = encodeRequest(CMD.sale, encodeClassicItem(1, { quantity: 1_000, price: 100, department: 1, taxes: [1, 0, 0, 0], text: 'Товар' }));
    const itemsInReceipt = async (): Promise<number> => {
      c.write(STATUS);
      await c.read(1);
      const a = await c.frame();
      c.write(bytes(ACK));
      return decodeShortStatus(a.subarray(4, -1)).operationsInReceipt;
    };

    c.write(sale);
    expect(await c.read(1)).toEqual(bytes(ACK));
    const first = await c.frame();
    expect(first.subarray(2, 5)).toEqual(bytes(0x80, 0x00, 0x01));
    // The host missed the ACK / answer and sends the same frame again, answer still un-ACKed.
    c.write(sale);
    expect(await c.read(1)).toEqual(bytes(ACK));
    expect(await c.frame()).toEqual(first);
    c.write(bytes(ACK));
    expect(await itemsInReceipt()).toBe(1);
    // Once the answer was ACKed, the same bytes are a new line (two equal items are legal).
    c.write(sale);
    expect(await c.read(1)).toEqual(bytes(ACK));
    await c.frame();
    c.write(bytes(ACK));
    expect(await itemsInReceipt()).toBe(2);

    // The same for the closing command: one fiscal document, the change answered twice.
    const closeFrame = encodeRequest(CMD.closeCheck, encodeClassicClose(1, { payments: [500], discount: 0, taxes: [0, 0, 0, 0], text: '' }));
    c.write(closeFrame);
    expect(await c.read(1)).toEqual(bytes(ACK));
    const closed = await c.frame();
    expect(closed.subarray(2, 4)).toEqual(bytes(0x85, 0x00));
    c.write(closeFrame);
    expect(await c.read(1)).toEqual(bytes(ACK));
    expect(await c.frame()).toEqual(closed);
    c.write(bytes(ACK));
    expect(await itemsInReceipt()).toBe(0);
    c.write(encodeRequest(CMD.closeCheck, encodeClassicClose(1, { payments: [500], discount: 0, taxes: [0, 0, 0, 0], text: '' })));
    expect(await c.read(1)).toEqual(bytes(ACK));
    expect((await c.frame()).subarray(2, 4)).toEqual(bytes(0x85, 0x55)); // no receipt open any more
  });

  it('malformed commands get an error byte, never silence: unknown 0x37, short 0x01, lone FF 0x01', async () => {
    const { port } = await emulatorOnTcp();
    const c = await rawClient(port);
    const ask = async (frame: Uint8Array): Promise<Uint8Array> => {
      c.write(frame);
      expect(await c.read(1)).toEqual(bytes(ACK));
      const a = await c.frame();
      c.write(bytes(ACK));
      return a.subarray(2, -1);
    };
    expect(await ask(encodeRequest(0x99, bytes(0x1e, 0, 0, 0)))).toEqual(bytes(0x99, 0x37));
    expect(await ask(encodeRequest(CMD.sale, bytes(0x01, 0, 0, 0, 0xe8, 0x03)))).toEqual(bytes(0x80, 0x01));
    expect(await ask(bytes(STX, 0x01, 0xff, 0x01 ^ 0xff))).toEqual(bytes(0xff, 0x01));
    // Wrong password (no operator 0): 0x4F.
    expect(await ask(encodeRequest(CMD.openCheck, bytes(0, 0, 0, 0, 0)))).toEqual(bytes(0x8d, 0x4f));
  });
});
