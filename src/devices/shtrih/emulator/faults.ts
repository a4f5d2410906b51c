/**
 * Fault injection at the wire: the protocol emulator plays the failures a real register shows on
 * the line, independent of the virtual register behind it.
 */
import type { Fault, FaultControl, FaultKind } from '../../driver.js';

export interface WireFaults extends FaultControl {
  /** Consumes one occurrence of an active fault of this kind, if any. */
  take<K extends FaultKind>(kind: K): Extract<Fault, { kind: K }> | null;
  peek<K extends FaultKind>(kind: K): Extract<Fault, { kind: K }> | null;
}

export function createWireFaults(): WireFaults {
  const active: { fault: Fault; remaining: number | null }[] = [];
  const find = <K extends FaultKind>(kind: K): { fault: Extract<Fault, { kind: K }>; remaining: number | null } | undefined =>
    active.find((a) => a.fault.kind === kind) as { fault: Extract<Fault, { kind: K }>; remaining: number | null } | undefined;
  return {
    inject(fault, times) {
      const i = active.findIndex((a) => a.fault.kind === fault.kind);
      if (i >= 0) active.splice(i, 1);
      active.push({ fault, remaining: times ?? null });
    },
    clear(kind) {
      for (let i = active.length - 1; i >= 0; i--) if (kind === undefined || active[i]?.fault.kind === kind) active.splice(i, 1);
    },
    active: () => active.map((a) => ({ fault: a.fault, remaining: a.remaining })),
    peek: (kind) => find(kind)?.fault ?? null,
    take(kind) {
      const entry = find(kind);
      if (!entry) return null;
      if (entry.remaining !== null && --entry.remaining <= 0) active.splice(active.indexOf(entry), 1);
      return entry.fault;
    },
  };
}
