/**
 * `createShtrihEmulator`: a TCP server speaking the Shtrih-M link protocol (domain.md §5.1) in front
 * of any FiscalDriver, normally the virtual fiscal register. Real drivers are tested against it
 * over real sockets, and users can run it as a bench device (`cr-server emulate shtrih`).
 */
import net from 'node:net';
import type { Logger } from 'pino';
import type { FaultControl, FiscalDriver } from '../../driver.js';
import { commandName } from '../commands.js';
import { ACK, NAK, createFrameParser, encodeAnswer, splitCommand } from '../frame.js';
import { createEmulatedDevice } from './device.js';
import { createWireFaults } from './faults.js';

export interface ShtrihEmulatorOptions {
  driver: FiscalDriver;
  /** 0 picks a free port (tests); default 7778. */
  port?: number;
  host?: string;
  /** UTC offset of the emulated clock; must match the driver's `timezone_offset`. */
  timezoneOffset?: string;
  /** System administrator password FN commands must carry (default 30). */
  password?: number;
  /** Name answered to 0xFC. */
  deviceName?: string;
  logger?: Logger;
  /** Test hook: runs after a command executed and before its answer is sent. */
  hooks?: { afterCommand?(command: number): void | Promise<void> };
}

export interface ShtrihEmulator {
  listen(): Promise<number>;
  close(): Promise<void>;
  readonly port: number;
  /** Wire-level faults: offline (line dead), answers lost or cut before FN close, paper, FN full/expired, slow. */
  readonly faults: FaultControl;
}

/** The device resends an answer the host NAKs at most this often (§5.1). */
const MAX_RESENDS = 10;

export function createShtrihEmulator(options: ShtrihEmulatorOptions): ShtrihEmulator {
  const faults = createWireFaults();
  const device = createEmulatedDevice({
    driver: options.driver,
    faults,
    timezoneOffset: options.timezoneOffset ?? '+03:00',
    password: options.password ?? 30,
    deviceName: options.deviceName ?? 'ШТРИХ-М-01Ф',
    hooks: options.hooks,
  });
  const sockets = new Set<net.Socket>();
  let port = options.port ?? 7778;
  let server: net.Server | null = null;

  const serve = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let pending: Uint8Array | null = null; // answer sent but not yet ACKed
    let resends = 0;
    let busy = false;
    const send = (bytes: Uint8Array): void => {
      if (!socket.destroyed) socket.write(bytes);
    };
    const parser = createFrameParser((ev) => {
      if (faults.take('offline')) {
        socket.destroy();
        return;
      }
      switch (ev.type) {
        case 'enq':
          // ACK = "I have an answer for you" (resend it); NAK = idle, send your command.
          if (pending) {
            send(new Uint8Array([ACK]));
            send(pending);
          } else if (!busy) {
            send(new Uint8Array([NAK]));
          }
          break;
        case 'ack':
          pending = null;
          break;
        case 'nak':
          if (pending && resends++ < MAX_RESENDS) send(pending);
          break;
        case 'bad_frame':
          send(new Uint8Array([NAK]));
          break;
        case 'frame': {
          send(new Uint8Array([ACK]));
          let parsed;
          try {
            parsed = splitCommand(ev.payload);
          } catch {
            break;
          }
          const { command, rest } = parsed;
          busy = true;
          pending = null;
          device.execute(command, rest).then((out) => {
            busy = false;
            if ('drop' in out) {
              options.logger?.info({ command: commandName(command) }, 'shtrih emulator: dropping the line instead of answering');
              socket.destroy();
              return;
            }
            pending = encodeAnswer(command, out.error, out.data);
            resends = 0;
            send(pending);
          }, (err: unknown) => {
            busy = false;
            options.logger?.error({ err, command: commandName(command) }, 'shtrih emulator: command failed');
            socket.destroy();
          });
          break;
        }
      }
    });
    socket.on('data', (chunk: Buffer) => parser.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  };

  return {
    get port() {
      return port;
    },
    faults,
    listen() {
      return new Promise((resolve, reject) => {
        const s = net.createServer(serve);
        s.once('error', reject);
        s.listen(port, options.host ?? '127.0.0.1', () => {
          const addr = s.address();
          if (addr && typeof addr === 'object') port = addr.port;
          server = s;
          resolve(port);
        });
      });
    },
    close() {
      for (const s of sockets) s.destroy();
      sockets.clear();
      const s = server;
      server = null;
      return new Promise((resolve) => (s ? s.close(() => resolve()) : resolve()));
    },
  };
}
