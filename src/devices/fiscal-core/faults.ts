import { setTimeout as sleep } from 'node:timers/promises';
import type { Fault, FaultControl, FaultKind } from '../driver.js';
import { answerLost, offline, rejected } from './errors.js';

/**
 * Fault injection for the virtual register (driver.ts FaultControl). Never active unless
 * injected. `times` counts the operations a fault actually hit; at zero it clears itself.
 */

/** 'query': reads (status, document, ...); 'document': operations that close a fiscal document. */
export type OperationClass = 'query' | 'document';

interface ActiveFault {
  fault: Fault;
  remaining: number | null;
}

/** Faults of the simulated marking operator: they change its answers, not the device operation. */
export type MarkingFault = Extract<Fault, { kind: MarkingFaultKind }>;
export type MarkingFaultKind = 'marking_unreachable' | 'marking_invalid' | 'marking_wrong_status' | 'marking_sale_stopped' | 'marking_slow';
const MARKING_FAULT_KINDS: ReadonlySet<FaultKind> = new Set<MarkingFaultKind>([
  'marking_unreachable', 'marking_invalid', 'marking_wrong_status', 'marking_sale_stopped', 'marking_slow',
]);
const isMarkingFault = (f: Fault): f is MarkingFault => MARKING_FAULT_KINDS.has(f.kind);

export interface FaultRunner extends FaultControl {
  /** Runs one device operation under the active faults. */
  run<T>(op: OperationClass, fn: () => Promise<T> | T): Promise<T>;
  /** Whether a fault of this kind is active (does not consume it). */
  isActive(kind: FaultKind): boolean;
  /** Consumes one use of the earliest injected marking-operator fault, for a check the operator answers. */
  takeMarking(): MarkingFault | null;
}

/** Which faults touch which operations. */
function affects(kind: FaultKind, op: OperationClass): boolean {
  switch (kind) {
    case 'offline':
    case 'slow':
      return true;
    case 'lose_answer_after_close':
    case 'disconnect_before_close':
    case 'paper_out':
    case 'fn_full':
    case 'fn_expired':
      return op === 'document';
    // Taken by the marking operator itself (takeMarking), once per check it answers.
    case 'marking_unreachable':
    case 'marking_invalid':
    case 'marking_wrong_status':
    case 'marking_sale_stopped':
    case 'marking_slow':
      return false;
  }
}

export function createFaults(): FaultRunner {
  let active: ActiveFault[] = [];

  const use = (a: ActiveFault): void => {
    if (a.remaining === null) return;
    a.remaining -= 1;
    if (a.remaining <= 0) active = active.filter((x) => x !== a);
  };
  /** Consumes one use of the first active fault of `kind` that affects `op`. */
  const take = (kind: FaultKind, op: OperationClass): Fault | null => {
    const a = active.find((x) => x.fault.kind === kind && affects(kind, op));
    if (!a) return null;
    use(a);
    return a.fault;
  };

  return {
    inject(fault, times) {
      if (times !== undefined && (!Number.isInteger(times) || times < 1)) throw new RangeError('times must be a positive integer');
      active = active.filter((a) => a.fault.kind !== fault.kind);
      active.push({ fault, remaining: times ?? null });
    },
    clear(kind) {
      active = kind === undefined ? [] : active.filter((a) => a.fault.kind !== kind);
    },
    active: () => active.map((a) => ({ fault: a.fault, remaining: a.remaining })),
    isActive: (kind) => active.some((a) => a.fault.kind === kind),
    takeMarking() {
      const a = active.find((x) => isMarkingFault(x.fault));
      if (!a || !isMarkingFault(a.fault)) return null;
      use(a);
      return a.fault;
    },

    async run(op, fn) {
      const slow = take('slow', op);
      // Real timers on purpose: `slow` exercises the server's own timeouts, which use real time.
      if (slow?.kind === 'slow') await sleep(slow.delayMs);
      if (take('offline', op)) throw offline();
      if (op === 'query') return fn();
      // Before the FN sees the document: nothing is committed.
      if (take('paper_out', op)) throw rejected('paper_out');
      if (take('fn_full', op)) throw rejected('fn_memory_full');
      if (take('fn_expired', op)) throw rejected('fn_expired');
      // The document was sent but the link dropped before the FN closed it: the server cannot tell.
      if (take('disconnect_before_close', op)) throw answerLost();
      const loseAnswer = take('lose_answer_after_close', op);
      if (!loseAnswer) return fn();
      // The FN closes (or refuses) the document, then the answer is lost either way.
      try {
        await fn();
      } catch {
        // the refusal is lost with the answer
      }
      throw answerLost();
    },
  };
}
