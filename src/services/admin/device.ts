import { DomainError } from '../../domain/errors.js';
import type { Fault, FaultControl, FiscalDocument, FiscalDriver } from '../../devices/driver.js';
import { hasFaults } from '../../devices/emulator/index.js';
import type { GroupRow } from '../../storage/groups.js';
import type { GroupService } from '../groups.js';
import type { Actor, Auditor } from './audit-context.js';

export interface DeviceAdminDeps {
  groupService: GroupService;
  /** The driver this node drives for the group (undefined: stopped, or driven by another node). */
  driverOf: (groupId: number) => FiscalDriver | undefined;
  audit: Auditor;
}

export interface FaultInput {
  kind: Fault['kind'];
  delay_ms?: number;
  times?: number;
}

const asUser = (actor: Actor) => ({ id: actor.userId, login: actor.login, isSuperuser: true });

/** A device job's outcome: its result, or 503 with the device's error (or a timeout). */
function unwrap<T>(job: { state: string; result: unknown; error: unknown }): T {
  if (job.state === 'success') return job.result as T;
  if (job.state === 'failed') {
    const e = job.error as { code?: string; message?: string } | null;
    throw new DomainError('unavailable', { code: e?.code ?? 'device_error', message: e?.message ?? 'The device failed' });
  }
  throw new DomainError('unavailable', { code: 'device_busy', message: 'The device did not answer in time' });
}

const faultView = (a: { fault: Fault; remaining: number | null }) => ({
  kind: a.fault.kind,
  delay_ms: a.fault.kind === 'slow' ? a.fault.delayMs : null,
  remaining: a.remaining,
});

/**
 * «Документы ФН» read through the group's device queue (never interleaved with a receipt), and
 * fault injection on virtual registers driven by this node — a test tool, audited.
 */
export function createDeviceAdmin(deps: DeviceAdminDeps) {
  function faultsOf(groupId: number): FaultControl {
    const driver = deps.driverOf(groupId);
    if (!driver) throw new DomainError('unavailable', { code: 'device_not_driven_here', message: 'The group is stopped or its device is driven by another node' });
    if (!hasFaults(driver)) throw new DomainError('conflict', { code: 'faults_not_supported', message: 'Fault injection exists only on virtual registers and protocol emulators' });
    return driver.faults;
  }

  return {
    /** Whether the panel applies: a virtual register (or protocol emulator) driven here. */
    faultsAvailable(groupId: number): boolean {
      const driver = deps.driverOf(groupId);
      return driver !== undefined && hasFaults(driver);
    },

    /** The FN's documents numbered below `before` (all when null), newest first. */
    async documents(g: GroupRow, actor: Actor, before: number | null, limit: number) {
      const res = unwrap<{ last: number; documents: FiscalDocument[] }>(await deps.groupService.runJob(g, asUser(actor), 'documents', { before, limit }));
      const lowest = res.documents.at(-1)?.fdNumber ?? null;
      return {
        items: res.documents.map((d) => ({
          fd_number: d.fdNumber,
          kind: d.kind,
          date_time: d.dateTime,
          fiscal_sign: d.fiscalSign,
          shift_number: d.shiftNumber,
          operation_type: d.operationType,
          total_sum: d.totalSum === null ? null : (d.totalSum / 100).toFixed(2),
          json: d.json,
        })),
        next_before: lowest !== null && lowest > 1 ? lowest : null,
        last_fd_number: res.last,
      };
    },

    activeFaults(groupId: number) {
      return { active: faultsOf(groupId).active().map(faultView) };
    },

    async injectFault(groupId: number, input: FaultInput, actor: Actor) {
      const faults = faultsOf(groupId);
      const fault: Fault = input.kind === 'slow' ? { kind: 'slow', delayMs: input.delay_ms ?? 1000 } : { kind: input.kind };
      faults.inject(fault, input.times);
      await deps.audit(actor, 'device.fault_inject', `service_group:${groupId}`, input);
      return { active: faults.active().map(faultView) };
    },

    async clearFaults(groupId: number, actor: Actor) {
      const faults = faultsOf(groupId);
      faults.clear();
      await deps.audit(actor, 'device.fault_clear', `service_group:${groupId}`);
      return { active: faults.active().map(faultView) };
    },
  };
}
export type DeviceAdmin = ReturnType<typeof createDeviceAdmin>;
