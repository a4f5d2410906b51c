/**
 * Host side of the link layer over TCP (domain.md §5.1): ENQ → NAK (idle) / ACK (an answer is
 * pending, read and drop it), send the frame, wait for the device's ACK, read the answer frame and
 * ACK it (NAK on a bad LRC asks for a resend). Each step is retried up to `retries` times.
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

  async function exchange(command: number, data: Uint8Array): Promise<Answer> {
    const frame = encodeRequest(command, data);
    let acked = false;
    for (let attempt = 0; attempt <= options.retries && !acked; attempt++) {
      write(frame);
      const w = await next(options.timeoutMs);
      switch (w.type) {
        case 'ack': acked = true; break;
        case 'nak': break; // the device saw a bad LRC: resend
        case 'closed': throw new LostAfterSend('connection closed after sending');
        case 'timeout': throw new LostAfterSend('no ACK for the command');
        case 'enq': case 'frame': case 'bad_frame': break;
      }
    }
    if (!acked) throw new LostAfterSend('command NAKed too often');
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      const w = await next(options.timeoutMs);
      switch (w.type) {
        case 'frame': {
          write(new Uint8Array([ACK]));
          const { command: echoed, rest } = splitCommand(w.payload);
          if (echoed !== command) continue; // a stale answer to an earlier command
          return { command, error: rest[0] ?? 0, data: rest.subarray(1) };
        }
        case 'bad_frame': write(new Uint8Array([NAK])); break;
        case 'closed': throw new LostAfterSend('connection closed before the answer');
        case 'timeout': throw new LostAfterSend('no answer');
        case 'ack': case 'nak': case 'enq': break;
      }
    }
    throw new LostAfterSend('answer frame corrupted too often');
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
