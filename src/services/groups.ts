import type { DeviceStatus, RegistrationInfo } from '../devices/driver.js';
import { DomainError, notFound } from '../domain/errors.js';
import type { GroupRepository, GroupRow } from '../storage/groups.js';
import type { JobKind, JobRepository } from '../storage/jobs.js';
import type { OrphanRepository } from '../storage/orphans.js';
import type { ReceiptRepository } from '../storage/receipts.js';
import type { AuthenticatedUser } from './auth.js';

export interface GroupServiceDeps {
  groups: GroupRepository;
  receipts: ReceiptRepository;
  jobs: JobRepository;
  /** Fiscal documents in an FN that no receipt owns (the journal reconciliation's findings). */
  orphans: Pick<OrphanRepository, 'openCounts'>;
  now: () => number;
  notify: (groupId: number) => void;
}

const iso = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString() : null);

export function createGroupService(deps: GroupServiceDeps) {
  async function summary(g: GroupRow) {
    const device = await deps.groups.deviceOf(g.id);
    return {
      id: g.id,
      name: g.name,
      enabled: g.enabled === 1,
      running: g.running === 1,
      device_model: device?.model ?? null,
      state: g.enabled !== 1 ? 'disabled' : g.running !== 1 ? 'stopped' : device?.state === 'error' ? 'error' : 'running',
      state_reason: device?.state === 'error' ? device.state_reason : null,
    };
  }

  return {
    summary,
    async list(user: AuthenticatedUser) {
      const rows = user.isSuperuser ? await deps.groups.list() : await deps.groups.listForUser(user.id);
      return Promise.all(rows.map(summary));
    },

    /** Group state with the device status last read by its worker (api.md "Service group operations"). */
    async view(g: GroupRow) {
      const device = await deps.groups.deviceOf(g.id);
      const registration = device?.registration ? (JSON.parse(device.registration) as RegistrationInfo) : null;
      const status = device?.status ? (JSON.parse(device.status) as DeviceStatus) : null;
      const last = await deps.receipts.last(g.id);
      const now = deps.now();
      const openedAt = status?.shift.openedAt ? Date.parse(status.shift.openedAt) : null;
      return {
        ...(await summary(g)),
        settings: {
          default_tax_system: g.default_tax_system,
          default_vat: g.default_vat,
          auto_open_shift: g.auto_open_shift === 1,
          shift_duration: g.shift_duration_min,
          daily_close_time: g.daily_close_time,
        },
        queue_length: await deps.receipts.queueLength(g.id),
        last_receipt_at: iso(last?.created_at),
        // Unacknowledged receipt documents in the FN journal that no receipt owns: never silent.
        orphan_documents: (await deps.orphans.openCounts()).get(g.id) ?? 0,
        device: device
          ? {
              id: device.id,
              model: device.model,
              state: device.state,
              state_reason: device.state_reason,
              online: device.state === 'running' && status !== null,
              status_at: iso(device.status_at),
              registration: registration && {
                registration_number: registration.registrationNumber,
                registrator_serial: registration.registratorSerial,
                fn_serial: registration.fnSerial,
                ffd_version: registration.ffdVersion,
                company_name: registration.companyName,
                company_inn: registration.companyInn,
                ofd_name: registration.ofdName,
                ofd_inn: registration.ofdInn,
                operations_address: registration.operationsAddress,
                operations_place: registration.operationsPlace,
                tax_systems: registration.taxSystems,
                model: registration.model,
              },
              shift: status && {
                state: status.shift.state,
                number: status.shift.number,
                opened_at: status.shift.openedAt,
                expires_at: status.shift.expiresAt,
                age_seconds: openedAt !== null && status.shift.state !== 'closed' ? Math.max(0, Math.floor((now - openedAt) / 1000)) : null,
                receipts_in_shift: status.shift.receiptsInShift,
              },
              last_fd_number: status?.lastFdNumber ?? null,
              fn: status && {
                serial: status.fn.serial,
                ffd_version: status.fn.ffdVersion,
                phase: status.fn.phase,
                expires_at: status.fn.expiresAt,
                memory_used: status.fn.memoryUsed,
              },
              ofd: status && { unsent_count: status.ofd.unsentCount, oldest_unsent_at: status.ofd.oldestUnsentAt },
              paper_present: status?.paperPresent ?? null,
              warnings: status?.warnings ?? [],
            }
          : null,
      };
    },

    /**
     * Queues a manual shift operation for the group's worker and waits for it: it runs between
     * receipts, never interleaved with one.
     */
    async runJob(g: GroupRow, user: AuthenticatedUser, kind: JobKind, params: unknown = null, waitMs = 30_000) {
      if (g.enabled !== 1 || g.running !== 1) {
        throw new DomainError('unavailable', { code: g.enabled !== 1 ? 'service_group_disabled' : 'service_group_stopped', message: 'The service group is not running' });
      }
      const job = await deps.jobs.create(g.id, user.id, kind, params, deps.now());
      deps.notify(g.id);
      const deadline = Date.now() + waitMs;
      for (;;) {
        const j = await deps.jobs.get(job.id);
        if (!j) throw notFound('job_not_found', 'The operation disappeared');
        if (j.state === 'success') return { id: j.id, kind, state: j.state, result: j.result ? (JSON.parse(j.result) as unknown) : null, error: null };
        if (j.state === 'failed') return { id: j.id, kind, state: j.state, result: null, error: j.error ? (JSON.parse(j.error) as unknown) : null };
        if (Date.now() > deadline) return { id: j.id, kind, state: j.state, result: null, error: null };
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
export type GroupService = ReturnType<typeof createGroupService>;
