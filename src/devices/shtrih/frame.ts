/**
 * Link-layer framing (domain.md §5.1): `STX LEN CMD DATA LRC`, LEN = bytes of CMD+DATA,
 * LRC = XOR over LEN..DATA. Control bytes ENQ/ACK/NAK travel outside frames. FN commands have a
 * two-byte code `FF xx`; we keep every command as one number (0x10, 0xFF46) and split it here.
 */
import { concat } from './bytes.js';

export const STX = 0x02;
export const ENQ = 0x05;
export const ACK = 0x06;
export const NAK = 0x15;

/** LEN is one byte, so CMD+DATA cannot exceed 255 bytes. */
export const MAX_PAYLOAD = 255;

export const commandBytes = (command: number): Uint8Array =>
  command > 0xff ? new Uint8Array([command >> 8, command & 0xff]) : new Uint8Array([command]);

export function lrc(bytes: Uint8Array): number {
  let x = 0;
  for (const b of bytes) x ^= b;
  return x;
}

/** Wraps a payload (CMD+DATA, or CMD+ERR+DATA for an answer) into a frame. */
export function encodeFrame(payload: Uint8Array): Uint8Array {
  if (payload.length === 0 || payload.length > MAX_PAYLOAD) throw new RangeError(`frame payload of ${payload.length} bytes`);
  const body = concat([new Uint8Array([payload.length]), payload]);
  return concat([new Uint8Array([STX]), body, new Uint8Array([lrc(body)])]);
}

export const encodeRequest = (command: number, data: Uint8Array): Uint8Array =>
  encodeFrame(concat([commandBytes(command), data]));

export const encodeAnswer = (command: number, error: number, data: Uint8Array): Uint8Array =>
  encodeFrame(concat([commandBytes(command), new Uint8Array([error]), data]));

/** Splits a payload into its command code and the bytes after it. */
export function splitCommand(payload: Uint8Array): { command: number; rest: Uint8Array } {
  const first = payload[0];
  if (first === undefined) throw new RangeError('empty payload');
  if (first === 0xff) {
    const second = payload[1];
    if (second === undefined) throw new RangeError('truncated FF command');
    return { command: 0xff00 | second, rest: payload.subarray(2) };
  }
  return { command: first, rest: payload.subarray(1) };
}

export type LinkEvent =
  | { type: 'enq' }
  | { type: 'ack' }
  | { type: 'nak' }
  | { type: 'frame'; payload: Uint8Array }
  /** A complete frame whose LRC did not match, or STX with LEN 0; the receiver answers NAK. */
  | { type: 'bad_frame' };

export interface FrameParser {
  push(chunk: Uint8Array): void;
  /** Drops a partly received frame (after an inter-byte timeout). */
  reset(): void;
  /** True between STX and the frame's last byte: the receiver is timing the bytes of a message. */
  inFrame(): boolean;
}

/**
 * Streaming parser: feed it TCP chunks as they come (a frame may be split over several chunks or
 * several frames and control bytes merged into one); it emits complete events in order.
 * Bytes outside a frame other than ENQ/ACK/NAK/STX are line noise and are skipped.
 */
export function createFrameParser(onEvent: (event: LinkEvent) => void): FrameParser {
  let frame: Uint8Array | null = null;
  let expected = 0; // LEN + payload + LRC
  let filled = 0;

  const reset = (): void => {
    frame = null;
    expected = 0;
    filled = 0;
  };

  const push = (chunk: Uint8Array): void => {
    for (const byte of chunk) {
      if (frame === null) {
        if (expected === -1) {
          // The byte after STX is LEN. LEN 0 (no command byte) cannot be a message: received in error.
          if (byte === 0) {
            expected = 0;
            onEvent({ type: 'bad_frame' });
            continue;
          }
          frame = new Uint8Array(byte + 2);
          frame[0] = byte;
          filled = 1;
          expected = byte + 2;
          continue;
        }
        switch (byte) {
          case STX: expected = -1; break;
          case ENQ: onEvent({ type: 'enq' }); break;
          case ACK: onEvent({ type: 'ack' }); break;
          case NAK: onEvent({ type: 'nak' }); break;
          default: break;
        }
        continue;
      }
      frame[filled++] = byte;
      if (filled === expected) {
        const body = frame.subarray(0, expected - 1);
        const ok = lrc(body) === frame[expected - 1];
        const payload = frame.slice(1, expected - 1);
        reset();
        onEvent(ok ? { type: 'frame', payload } : { type: 'bad_frame' });
      }
    }
  };

  return { push, reset, inFrame: () => frame !== null || expected === -1 };
}
