import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACK, ENQ, NAK, STX, createFrameParser, encodeAnswer, encodeRequest, lrc, splitCommand } from './frame.js';
import type { LinkEvent } from './frame.js';

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

function collect(chunks: Uint8Array[]): LinkEvent[] {
  const events: LinkEvent[] = [];
  const p = createFrameParser((e) => events.push(e));
  for (const c of chunks) p.push(c);
  return events;
}

describe('frames (STX LEN CMD DATA LRC)', () => {
  it('0x10 short status with password 30', () => {
    // LEN 5 = CMD + 4 password bytes; LRC = 05 ^ 10 ^ 1E ^ 00 ^ 00 ^ 00 = 0B
    expect(encodeRequest(0x10, bytes(0x1e, 0, 0, 0))).toEqual(bytes(STX, 0x05, 0x10, 0x1e, 0, 0, 0, 0x0b));
  });

  it('two-byte FN command FF01', () => {
    // LRC = 06 ^ FF ^ 01 ^ 1E = E6
    expect(encodeRequest(0xff01, bytes(0x1e, 0, 0, 0))).toEqual(bytes(STX, 0x06, 0xff, 0x01, 0x1e, 0, 0, 0, 0xe6));
  });

  it('answers carry the command echo and the error byte', () => {
    const f = encodeAnswer(0xff45, 0x45, bytes());
    expect(f).toEqual(bytes(STX, 0x03, 0xff, 0x45, 0x45, 0x03 ^ 0xff ^ 0x45 ^ 0x45));
    expect(splitCommand(f.subarray(2, -1))).toEqual({ command: 0xff45, rest: bytes(0x45) });
    expect(splitCommand(bytes(0x10, 0x00, 0x1e))).toEqual({ command: 0x10, rest: bytes(0x00, 0x1e) });
  });

  it('lrc is the XOR of LEN..DATA', () => {
    expect(lrc(bytes(0x05, 0x10, 0x1e, 0, 0, 0))).toBe(0x0b);
    expect(lrc(bytes())).toBe(0);
  });

  it('refuses payloads that do not fit LEN', () => {
    expect(() => encodeRequest(0x10, new Uint8Array(255))).toThrow(RangeError);
  });
});

describe('streaming parser', () => {
  const frame = encodeRequest(0xff46, bytes(1, 2, 3, 4, 5));

  it('reassembles a frame split byte by byte', () => {
    const events = collect(Array.from(frame, (b) => bytes(b)));
    expect(events).toEqual([{ type: 'frame', payload: bytes(0xff, 0x46, 1, 2, 3, 4, 5) }]);
  });

  it('separates control bytes and frames merged into one chunk, skipping noise', () => {
    const merged = new Uint8Array([ENQ, 0x99, ...frame, ACK, ...encodeRequest(0x10, bytes(0x1e, 0, 0, 0)), NAK]);
    expect(collect([merged]).map((e) => e.type)).toEqual(['enq', 'frame', 'ack', 'frame', 'nak']);
  });

  it('reports a frame with a wrong LRC as bad_frame and recovers', () => {
    const broken = frame.slice();
    broken[broken.length - 1] = (broken.at(-1) ?? 0) ^ 0xff;
    expect(collect([broken, frame]).map((e) => e.type)).toEqual(['bad_frame', 'frame']);
  });

  it('STX with LEN 0 is a message received in error', () => {
    expect(collect([bytes(STX, 0x00), frame]).map((e) => e.type)).toEqual(['bad_frame', 'frame']);
  });

  it('tells when it is inside a frame (for the byte timeout) and drops a partial frame on reset', () => {
    const events: LinkEvent[] = [];
    const p = createFrameParser((e) => events.push(e));
    expect(p.inFrame()).toBe(false);
    p.push(frame.subarray(0, 1));
    expect(p.inFrame()).toBe(true);
    p.push(frame.subarray(1, 4));
    expect(p.inFrame()).toBe(true);
    p.reset();
    expect(p.inFrame()).toBe(false);
    p.push(frame);
    expect(p.inFrame()).toBe(false);
    expect(events.map((e) => e.type)).toEqual(['frame']);
  });

  it('any chunking of any frame sequence yields the same frames (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ minLength: 1, maxLength: 60 }), { minLength: 1, maxLength: 5 }),
      fc.array(fc.integer({ min: 1, max: 17 }), { minLength: 1, maxLength: 20 }),
      (payloads, cuts) => {
        const stream = new Uint8Array(payloads.flatMap((p) => [...encodeRequest(0x20, p)]));
        const chunks: Uint8Array[] = [];
        let at = 0;
        for (let i = 0; at < stream.length; i++) {
          const n = cuts[i % cuts.length] ?? 1;
          chunks.push(stream.subarray(at, at + n));
          at += n;
        }
        const got = collect(chunks);
        expect(got).toEqual(payloads.map((p) => ({ type: 'frame', payload: new Uint8Array([0x20, ...p]) })));
      },
    ));
  });
});
