/**
 * Host side of the link layer over TCP (domain.md §5.1): ENQ → NAK (idle) / ACK (an answer is
 * pending, read and drop it), send the frame, wait for the device's ACK, read the answer frame and
 * ACK it. Recovery follows the vendor's description (shtrihmfr/kkt.py BaseKKT docstring) and the
 * vendor's own host (javapos_shtrih PrinterProtocol_1.java): a corrupted answer gets NAK and then
 * ENQ, because the device repeats its answer only on ENQ; a missing ACK after our frame is asked
 * about with ENQ (ACK = it got the command, NAK = resend), so a command is never sent twice
 * blindly. Each step is retried up to `retries` times.
 *
 * Failure classes matter for "never fiscalize twice": anything that fails before our frame was
 * written is 'offline' (nothing reached the FN). Once a closing command (FF45, E0, 0x41 …) was
 * written, a lost answer is 'in_doubt' / answer_lost; the caller resolves it by the FD counter.
 */
import net from 'node:net';
import { DeviceError } from '../driver.js';
import { CLOSING_COMMANDS, commandName } from './commands.js';
import { ACK, ENQ, NAK, createFrameParser, encodeRequest, splitCommand } from './frame.js';
import type { LinkEvent } from './frame.js';

export interface LinkOptions {
  host: string;
  port: number;
  /** Wait for the device's ACK and answer of one command. */
  timeoutMs: number;
  /** Retries of ENQ, of a NAKed frame and of a bad answer frame. */
  retries: number;
}

export interface Answer {
  command: number;
  error: number;
  data: Uint8Array;
}

export interface ShtrihLink {
  connect(): Promise<void>;
  close(): Promise<void>;
  call(command: number, data: Uint8Array): Promise<Answer>;
}

type Wait = LinkEvent | { type: 'timeout' } | { type: 'closed' };

/** Grace for a device that repeats a NAKed answer on its own before we ask with ENQ. */
const RESEND_GRACE_MS = 100;
/** Bound on control bytes and stale frames read while waiting for one answer. */
const MAX_ANSWER_EVENTS = 64;

const trySplit = (payload: Uint8Array): { command: number; rest: Uint8Array } | null => {
  try {
    return splitCommand(payload);
  } catch {
    return null;
  }
};

/** Marks a failure after our frame left, so call() can decide between offline and in_doubt. */
class LostAfterSend extends Error {}

export function createShtrihLink(options: LinkOptions): ShtrihLink {
  let socket: net.Socket | null = null;
  const queue: Wait[] = [];
  let waiter: ((w: Wait) => void) | null = null;

  const deliver = (w: Wait): void => {
    if (waiter) {
      const w0 = waiter;
      waiter = null;
      w0(w);
    } else {
      queue.push(w);
    }
  };
  const parser = createFrameParser(deliver);

  const next = (timeoutMs: number): Promise<Wait> => {
    const queued = queue.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiter = null;
        resolve({ type: 'timeout' });
      }, timeoutMs);
      waiter = (w) => {
        clearTimeout(timer);
        resolve(w);
      };
    });
  };

  const drop = (): void => {
    socket?.destroy();
    socket = null;
    queue.length = 0;
    parser.reset();
  };

  const offline = (why: string): DeviceError =>
    new DeviceError('offline', 'device_offline', `Shtrih ${options.host}:${options.port}: ${why}`, { retryable: true });

  const connect = (): Promise<void> => {
    if (socket && !socket.destroyed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const s = net.createConnection({ host: options.host, port: options.port });
      s.setNoDelay(true);
      const timer = setTimeout(() => {
        s.destroy();
        reject(offline('connect timeout'));
      }, options.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        socket = s;
        queue.length = 0;
        parser.reset();
        resolve();
      });
      s.on('data', (chunk: Buffer) => parser.push(chunk));
      s.on('error', (err) => {
        clearTimeout(timer);
        if (socket !== s) reject(offline(err.message));
      });
      s.on('close', () => {
        if (socket === s) {
          socket = null;
          deliver({ type: 'closed' });
        }
      });
    });
  };

  const write = (bytes: Uint8Array): void => {
    if (!socket) throw new LostAfterSend('connection closed');
    socket.write(bytes);
  };

  /** ENQ handshake: returns once the device says it is idle (NAK). */
  async function handshake(): Promise<void> {
    const enqTimeout = Math.min(options.timeoutMs, 1000);
    // Whatever arrived before our ENQ cannot be its reply (a late ACK or answer of an earlier
    // exchange); a device still holding an answer repeats it after this ENQ.
    queue.length = 0;
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      if (!socket) throw offline('connection closed');
      socket.write(new Uint8Array([ENQ]));
      const w = await next(enqTimeout);
      switch (w.type) {
        case 'nak': return;
        case 'ack': {
          // The device holds an answer nobody read (e.g. after our own timeout): take it, ACK, drop.
          const stale = await next(options.timeoutMs);
          if (stale.type === 'frame') socket?.write(new Uint8Array([ACK]));
          break;
        }
        case 'frame': socket.write(new Uint8Array([ACK])); break;
        case 'closed': throw offline('connection closed');
        case 'enq': case 'bad_frame': case 'timeout': break;
      }
    }
    throw offline('no answer to ENQ');
  }

  const control = (byte: number): Uint8Array => new Uint8Array([byte]);

  /** Sends the command frame until the device ACKs it (NAK = received in error: resend). */
  async function sendFrame(frame: Uint8Array): Promise<void> {
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      write(frame);
      const w = await next(options.timeoutMs);
      switch (w.type) {
        case 'ack': return;
        case 'nak': break;
        case 'closed': throw new LostAfterSend('connection closed after sending');
        case 'timeout':
          // Our frame or the device's ACK was lost. Ask before resending, never resend blindly.
          if (await deviceHasCommand()) return;
          break;
        case 'enq': case 'frame': case 'bad_frame': break;
      }
    }
    throw new LostAfterSend('command NAKed too often');
  }

  /**
   * ENQ after a missing ACK: ACK = the device got the command (it prepares or holds the answer,
   * which follows), NAK = it is idle with nothing to answer, so the frame never arrived.
   */
  async function deviceHasCommand(): Promise<boolean> {
    write(control(ENQ));
    for (let step = 0; step <= options.retries; step++) {
      const w = await next(options.timeoutMs);
      switch (w.type) {
        case 'ack': return true;
        case 'nak': return false;
        case 'frame': queue.unshift(w); return true;
        case 'closed': throw new LostAfterSend('connection closed after sending');
        case 'timeout': throw new LostAfterSend('no ACK for the command and no answer to ENQ');
        case 'enq': case 'bad_frame': break;
      }
    }
    throw new LostAfterSend('no ACK for the command');
  }

  /**
   * After NAKing a corrupted answer. The vendor's rule: the device does not repeat on NAK, it
   * waits for ENQ and then sends ACK and the answer again. A device that repeats on NAK by itself
   * gets a short grace first, so it is not asked twice.
   */
  async function askForAnswerAgain(): Promise<void> {
    const w = await next(Math.min(options.timeoutMs, RESEND_GRACE_MS));
    if (w.type !== 'timeout') {
      queue.unshift(w);
      return;
    }
    write(control(ENQ));
  }

  async function readAnswer(command: number): Promise<Answer> {
    let corrupted = 0;
    for (let step = 0; step < MAX_ANSWER_EVENTS; step++) {
      const w = await next(options.timeoutMs);
      switch (w.type) {
        case 'frame': {
          write(control(ACK));
          const split = trySplit(w.payload);
          if (!split || split.command !== command) continue; // a stale answer to an earlier command, or garbage
          return { command, error: split.rest[0] ?? 0, data: split.rest.subarray(1) };
        }
        case 'bad_frame':
          if (corrupted++ >= options.retries) throw new LostAfterSend('answer frame corrupted too often');
          write(control(NAK));
          await askForAnswerAgain();
          break;
        case 'closed': throw new LostAfterSend('connection closed before the answer');
        case 'timeout': throw new LostAfterSend('no answer');
        // ACK: the device answers our ENQ before repeating the answer.
        case 'ack': case 'nak': case 'enq': break;
      }
    }
    throw new LostAfterSend('no usable answer');
  }

  async function exchange(command: number, data: Uint8Array): Promise<Answer> {
    await sendFrame(encodeRequest(command, data));
    return readAnswer(command);
  }

  return {
    connect: async () => {
      await connect();
    },
    close: async () => {
      drop();
    },
    async call(command, data) {
      await connect();
      try {
        await handshake();
      } catch (err) {
        drop();
        throw err;
      }
      try {
        return await exchange(command, data);
      } catch (err) {
        // Resynchronise: a late answer on this socket must not be read as the next command's.
        drop();
        if (!(err instanceof LostAfterSend)) throw err;
        if (CLOSING_COMMANDS.has(command)) {
          throw new DeviceError('in_doubt', 'answer_lost', `${commandName(command)} was sent but its answer was lost: ${err.message}`, { retryable: true });
        }
        throw offline(`${commandName(command)}: ${err.message}`);
      }
    },
  };
}
