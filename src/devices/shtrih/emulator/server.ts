/**
 * `createShtrihEmulator`: a TCP server speaking the Shtrih-M link protocol (domain.md §5.1) in front
 * of any FiscalDriver, normally the virtual fiscal register. Real drivers are tested against it
 * over real sockets, and users can run it as a bench device (`cr-server emulate shtrih`).
 */
import net from 'node:net';
import type { Logger } from 'pino';
import type { FaultControl, FiscalDriver } from '../../driver.js';
import { commandName } from '../commands.js';
import { createFrameParser } from '../frame.js';
import { createEmulatedDevice } from './device.js';
import { createWireFaults } from './faults.js';
import { createLinkState } from './link-state.js';

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
  /**
   * Model code answered to 0xFC (default 0, a desktop model). A cash-core code (16, 19, 20, 21, 45,
   * 46) makes the register take an item's FF4D tags and FF67 before its FF46, as those do.
   */
  modelCode?: number;
  /**
   * Longest pause between two bytes of one frame before the partial frame is dropped and NAKed.
   * The vendor's default is 50 ms on a serial line; over TCP the default is 500 ms.
   */
  byteTimeoutMs?: number;
  /** Classic 0x80–0x83 need 0x8D first (answer 0x55 otherwise); default false: the first item opens the receipt. */
  requireOpenCheck?: boolean;
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

const DEFAULT_BYTE_TIMEOUT_MS = 500;

export function createShtrihEmulator(options: ShtrihEmulatorOptions): ShtrihEmulator {
  const faults = createWireFaults();
  const device = createEmulatedDevice({
    driver: options.driver,
    faults,
    timezoneOffset: options.timezoneOffset ?? '+03:00',
    password: options.password ?? 30,
    deviceName: options.deviceName ?? 'ШТРИХ-М-01Ф',
    ...(options.modelCode === undefined ? {} : { modelCode: options.modelCode }),
    requireOpenCheck: options.requireOpenCheck,
    hooks: options.hooks,
  });
  // One register, one protocol state: every connection sees the same pending answer (link-state.ts).
  const link = createLinkState({
    execute: (command, data) => device.execute(command, data),
    onDrop: (command) => options.logger?.info({ command: commandName(command) }, 'shtrih emulator: dropping the line instead of answering'),
    onFailure: (command, err) => options.logger?.error({ err, command: commandName(command) }, 'shtrih emulator: command failed'),
  });
  const byteTimeoutMs = options.byteTimeoutMs ?? DEFAULT_BYTE_TIMEOUT_MS;
  const sockets = new Set<net.Socket>();
  let port = options.port ?? 7778;
  let server: net.Server | null = null;

  const serve = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.setNoDelay(true);
    const peer = link.connect(socket);
    const parser = createFrameParser((ev) => {
      if (faults.take('offline')) {
        socket.destroy();
        return;
      }
      peer.onEvent(ev);
    });
    // Vendor description: a message is received once STX and LEN are; each further byte must come
    // within the byte timeout, else the message was received in error (NAK) and the host resends.
    let byteTimer: NodeJS.Timeout | null = null;
    const stopTimer = (): void => {
      if (byteTimer) clearTimeout(byteTimer);
      byteTimer = null;
    };
    socket.on('data', (chunk: Buffer) => {
      stopTimer();
      parser.push(chunk);
      if (!parser.inFrame() || socket.destroyed) return;
      byteTimer = setTimeout(() => {
        byteTimer = null;
        parser.reset();
        peer.nakPartialFrame();
      }, byteTimeoutMs);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      stopTimer();
      sockets.delete(socket);
    });
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
