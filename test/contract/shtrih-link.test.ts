/**
 * Link layer of the Shtrih driver against a scripted device on a real socket: retries on NAK and
 * on corrupted answers, stale answers drained after ENQ, and the offline / in_doubt split.
 */
import net from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACK, NAK, createFrameParser, encodeAnswer, splitCommand } from '../../src/devices/shtrih/frame.js';
import type { LinkEvent } from '../../src/devices/shtrih/frame.js';
import { createShtrihLink } from '../../src/devices/shtrih/link.js';
import type { ShtrihLink } from '../../src/devices/shtrih/link.js';

type Script = (ev: LinkEvent, socket: net.Socket) => void;

const servers: net.Server[] = [];
const links: ShtrihLink[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) await l.close();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function device(script: Script): Promise<number> {
  const server = net.createServer((socket) => {
    const parser = createFrameParser((ev) => script(ev, socket));
    socket.on('data', (c: Buffer) => parser.push(c));
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr !== 'object') throw new Error('no port');
  return addr.port;
}

function link(port: number): ShtrihLink {
  const l = createShtrihLink({ host: '127.0.0.1', port, timeoutMs: 300, retries: 2 });
  links.push(l);
  return l;
}

const answerOf = (payload: Uint8Array, error = 0, data = new Uint8Array([30])): Uint8Array =>
  encodeAnswer(splitCommand(payload).command, error, data);

describe('shtrih link layer', () => {
  it('connection refused → offline', async () => {
    const port = await device(() => undefined);
    await new Promise((r) => servers.pop()?.close(r));
    await expect(link(port).call(0x10, new Uint8Array(4))).rejects.toMatchObject({ kind: 'offline', code: 'device_offline' });
  });

  it('no answer to ENQ → offline after the retries, nothing sent', async () => {
    const frames: number[] = [];
    const port = await device((ev) => {
      if (ev.type === 'frame') frames.push(1);
    });
    await expect(link(port).call(0xff45, new Uint8Array(4))).rejects.toMatchObject({ kind: 'offline' });
    expect(frames).toEqual([]);
  });

  it('resends a NAKed frame and NAKs a corrupted answer until it is resent', async () => {
    let nakFrame = true;
    let corrupt = true;
    let pending: Uint8Array | null = null;
    const port = await device((ev, s) => {
      switch (ev.type) {
        case 'enq': s.write(new Uint8Array([NAK])); break;
        case 'frame':
          if (nakFrame) {
            nakFrame = false;
            s.write(new Uint8Array([NAK]));
            break;
          }
          s.write(new Uint8Array([ACK]));
          pending = answerOf(ev.payload, 0, new Uint8Array([30, 7]));
          if (corrupt) {
            corrupt = false;
            const bad = pending.slice();
            bad[bad.length - 1] = (bad.at(-1) ?? 0) ^ 0x55;
            s.write(bad);
          } else {
            s.write(pending);
          }
          break;
        case 'nak': if (pending) s.write(pending); break;
        case 'ack': case 'bad_frame': break;
      }
    });
    const answer = await link(port).call(0x10, new Uint8Array(4));
    expect(answer).toEqual({ command: 0x10, error: 0, data: new Uint8Array([30, 7]) });
    expect([nakFrame, corrupt]).toEqual([false, false]);
  });

  it('drains an answer left over from an earlier exchange (ENQ → ACK + frame)', async () => {
    let stale = true;
    const port = await device((ev, s) => {
      if (ev.type === 'enq') {
        if (stale) {
          stale = false;
          s.write(new Uint8Array([ACK]));
          s.write(encodeAnswer(0x40, 0, new Uint8Array([30])));
        } else {
          s.write(new Uint8Array([NAK]));
        }
      } else if (ev.type === 'frame') {
        s.write(new Uint8Array([ACK]));
        s.write(answerOf(ev.payload, 0x45, new Uint8Array(0)));
      }
    });
    expect(await link(port).call(0xff45, new Uint8Array(4))).toEqual({ command: 0xff45, error: 0x45, data: new Uint8Array(0) });
  });

  // Vendor rules (shtrihmfr/kkt.py BaseKKT docstring; javapos_shtrih PrinterProtocol_1.java): the
  // device never repeats an answer on NAK, only on ENQ (ACK + the answer); ENQ → NAK means idle.
  it('corrupted answer: NAK, then ENQ, and the device\'s ACK + answer (a device that does not resend on NAK)', async () => {
    const seen: string[] = [];
    let pending: Uint8Array | null = null;
    let corrupt = true;
    const port = await device((ev, s) => {
      seen.push(ev.type);
      switch (ev.type) {
        case 'enq':
          if (pending) {
            s.write(new Uint8Array([ACK]));
            s.write(pending);
          } else {
            s.write(new Uint8Array([NAK]));
          }
          break;
        case 'frame': {
          s.write(new Uint8Array([ACK]));
          pending = answerOf(ev.payload, 0, new Uint8Array([30, 9]));
          const out = pending.slice();
          if (corrupt) out[out.length - 1] = (out.at(-1) ?? 0) ^ 0x55;
          corrupt = false;
          s.write(out);
          break;
        }
        case 'ack': pending = null; break;
        case 'nak': case 'bad_frame': break;
      }
    });
    expect(await link(port).call(0x10, new Uint8Array(4))).toEqual({ command: 0x10, error: 0, data: new Uint8Array([30, 9]) });
    await vi.waitFor(() => expect(seen).toEqual(['enq', 'frame', 'nak', 'enq', 'ack']));
  });

  it('ACK of the command lost: the host asks with ENQ instead of resending, and reads the answer', async () => {
    const frames: Uint8Array[] = [];
    let pending: Uint8Array | null = null;
    let idle = true;
    const port = await device((ev, s) => {
      switch (ev.type) {
        case 'enq':
          if (idle) {
            idle = false;
            s.write(new Uint8Array([NAK]));
          } else if (pending) {
            s.write(new Uint8Array([ACK]));
            s.write(pending);
          }
          break;
        case 'frame':
          // The device executes the command; its ACK and answer never reach the host.
          frames.push(ev.payload);
          pending = answerOf(ev.payload, 0, new Uint8Array([30]));
          break;
        case 'ack': pending = null; break;
        case 'nak': case 'bad_frame': break;
      }
    });
    expect(await link(port).call(0xff45, new Uint8Array(4))).toEqual({ command: 0xff45, error: 0, data: new Uint8Array([30]) });
    expect(frames).toHaveLength(1);
  });

  it('command frame lost on the way: ENQ → NAK (the device has nothing), so the host resends it', async () => {
    const frames: Uint8Array[] = [];
    const port = await device((ev, s) => {
      switch (ev.type) {
        case 'enq': s.write(new Uint8Array([NAK])); break;
        case 'frame':
          frames.push(ev.payload);
          if (frames.length === 1) break; // garbled away: no ACK, nothing executed
          s.write(new Uint8Array([ACK]));
          s.write(answerOf(ev.payload));
          break;
        case 'ack': case 'nak': case 'bad_frame': break;
      }
    });
    expect(await link(port).call(0x10, new Uint8Array(4))).toMatchObject({ command: 0x10, error: 0 });
    expect(frames).toHaveLength(2);
  });

  it('line lost after sending: closing command → in_doubt, other command → offline', async () => {
    const port = await device((ev, s) => {
      if (ev.type === 'enq') s.write(new Uint8Array([NAK]));
      if (ev.type === 'frame') {
        s.write(new Uint8Array([ACK]));
        s.destroy();
      }
    });
    for (const closing of [0xff45, 0xe0, 0x41]) {
      await expect(link(port).call(closing, new Uint8Array(4))).rejects.toMatchObject({ kind: 'in_doubt', code: 'answer_lost' });
    }
    await expect(link(port).call(0xff46, new Uint8Array(4))).rejects.toMatchObject({ kind: 'offline', code: 'device_offline' });
  });
});
