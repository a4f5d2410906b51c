/**
 * The device side of the Shtrih-M link layer (domain.md §5.1), as the vendor's protocol description
 * states it (reproduced in rosix-ru/shtrihm-fr shtrihmfr/kkt.py, BaseKKT docstring; the vendor's
 * host side in shtrih-m/javapos_shtrih PrinterProtocol_1.java):
 *
 * - ENQ → NAK when idle ("waiting for the next command"), ACK while it prepares an answer or holds
 *   one the host has not ACKed; a held answer follows the ACK again.
 * - Every received message is confirmed with one byte: ACK, or NAK when it was received in error
 *   (bad LRC, LEN 0, a byte timeout inside the frame). NAK is about the line, never the command.
 * - "If the device gets NAK for its message, the message is not repeated; the device waits for ENQ
 *   to repeat the answer." So NAK from the host changes nothing here; ENQ resends.
 * - The host's ACK releases the answer.
 *
 * One state per register, shared by every TCP connection: a register has one protocol state
 * machine whatever the transport, so a host that reconnects after a lost answer still finds it.
 * A frame that repeats, byte for byte, the command being executed or the one whose answer is still
 * un-ACKed is a retransmission (the host missed our ACK or the answer): it is ACKed and answered,
 * never executed twice. Once the host ACKed an answer, an identical frame is a new command (two
 * equal 0x80 lines are two items), which is why a host must ACK every answer it reads.
 */
import { ACK, NAK, encodeAnswer, splitCommand } from '../frame.js';
import type { LinkEvent } from '../frame.js';
import type { Outcome } from './outcome.js';

/** One connection as the link state sees it (a net.Socket in production). */
export interface Line {
  write(bytes: Uint8Array): unknown;
  destroy(): unknown;
  readonly destroyed: boolean;
}

export interface LinkStateOptions {
  execute(command: number, data: Uint8Array): Promise<Outcome>;
  onDrop?(command: number): void;
  onFailure?(command: number, err: unknown): void;
}

export interface LinkPeer {
  onEvent(event: LinkEvent): void;
  /** A frame stopped arriving mid-way (byte timeout): it was received in error. */
  nakPartialFrame(): void;
}

interface Flight {
  request: Uint8Array;
  /** Connections waiting for this answer: the sender, plus any that repeated it or sent ENQ. */
  lines: Set<Line>;
}

/** ERR byte for a payload we cannot even split into a command ("unknown command / bad format"). */
const BAD_FORMAT = 0x01;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

export function createLinkState(o: LinkStateOptions): { connect(line: Line): LinkPeer } {
  /** The last answer sent and not yet ACKed, with the command frame it answers. */
  let pending: { request: Uint8Array; answer: Uint8Array } | null = null;
  const inFlight: Flight[] = [];

  const send = (line: Line, bytes: Uint8Array): void => {
    if (!line.destroyed) line.write(bytes);
  };
  const control = (byte: number): Uint8Array => new Uint8Array([byte]);

  function settle(flight: Flight, command: number, out: Outcome): void {
    inFlight.splice(inFlight.indexOf(flight), 1);
    if ('drop' in out) {
      o.onDrop?.(command);
      for (const line of flight.lines) line.destroy();
      return;
    }
    const answer = encodeAnswer(command, out.error, out.data);
    pending = { request: flight.request, answer };
    for (const line of flight.lines) send(line, answer);
  }

  function fail(flight: Flight, command: number, err: unknown): void {
    inFlight.splice(inFlight.indexOf(flight), 1);
    o.onFailure?.(command, err);
    for (const line of flight.lines) line.destroy();
  }

  function onFrame(line: Line, payload: Uint8Array): void {
    send(line, control(ACK));
    const running = inFlight.find((f) => sameBytes(f.request, payload));
    if (running) {
      running.lines.add(line);
      return;
    }
    if (pending && sameBytes(pending.request, payload)) {
      send(line, pending.answer);
      return;
    }
    // A new command: an answer the host never ACKed is abandoned.
    pending = null;
    let parsed: { command: number; rest: Uint8Array };
    try {
      parsed = splitCommand(payload);
    } catch {
      // A lone FF (no second command byte): answer the byte we got with "bad format".
      const answer = encodeAnswer(payload[0] ?? 0, BAD_FORMAT, new Uint8Array(0));
      pending = { request: payload, answer };
      send(line, answer);
      return;
    }
    const { command, rest } = parsed;
    const flight: Flight = { request: payload, lines: new Set([line]) };
    inFlight.push(flight);
    o.execute(command, rest).then((out) => settle(flight, command, out), (err: unknown) => fail(flight, command, err));
  }

  function onEnq(line: Line): void {
    const running = inFlight.at(-1);
    if (running) {
      // "ACK: the device is preparing the answer"; it goes to this connection too when ready.
      running.lines.add(line);
      send(line, control(ACK));
    } else if (pending) {
      send(line, control(ACK));
      send(line, pending.answer);
    } else {
      send(line, control(NAK));
    }
  }

  return {
    connect(line) {
      return {
        onEvent(ev) {
          switch (ev.type) {
            case 'enq': onEnq(line); break;
            case 'ack': pending = null; break;
            // The device does not repeat on NAK; the host asks again with ENQ.
            case 'nak': break;
            case 'bad_frame': send(line, control(NAK)); break;
            case 'frame': onFrame(line, ev.payload); break;
          }
        },
        nakPartialFrame() {
          send(line, control(NAK));
        },
      };
    },
  };
}
