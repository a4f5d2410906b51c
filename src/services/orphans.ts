import { DomainError, notFound } from '../domain/errors.js';
import type { OrphanRepository } from '../storage/orphans.js';
import type { GroupRepository } from '../storage/groups.js';
import { requireSuperuser, type Actor } from './actor.js';
import type { Auditor } from './auditor.js';

export interface OrphanServiceDeps {
  groups: GroupRepository;
  orphans: OrphanRepository;
  audit: Auditor;
  now: () => number;
}

export interface OrphanFilter {
  groupId?: number;
  /** true: unacknowledged only; false: acknowledged only; undefined: both. */
  open?: boolean;
  limit: number;
}

/**
 * «Документы без чека»: fiscal documents the journal reconciliation found in an FN that no receipt
 * owns. They stay on the dashboard until a superuser acknowledges each one (audited) — having
 * checked it and, if needed, refunded or corrected it on the register.
 */
export function createOrphanService(deps: OrphanServiceDeps) {
  const groupNames = async (): Promise<Map<number, string>> => new Map((await deps.groups.list()).map((g) => [g.id, g.name]));

  return {
    /** Newest first, with the group's name; `open_count`: unacknowledged ones under the same group filter. */
    async list(actor: Actor, filter: OrphanFilter) {
      requireSuperuser(actor);
      const rows = await deps.orphans.list(filter);
      const names = await groupNames();
      const counts = await deps.orphans.openCounts();
      const openCount = filter.groupId !== undefined ? (counts.get(filter.groupId) ?? 0) : [...counts.values()].reduce((a, b) => a + b, 0);
      return { items: rows.map((row) => ({ row, groupName: names.get(Number(row.group_id)) ?? null })), openCount };
    },

    /** The operator has accounted for the document: 404 unknown, 409 already acknowledged. */
    async acknowledge(actor: Actor, id: number) {
      requireSuperuser(actor);
      const row = await deps.orphans.acknowledge(id, actor.login, deps.now());
      if (!row) {
        const existing = await deps.orphans.get(id);
        if (!existing) throw notFound('orphan_document_not_found', `Orphan document ${id} does not exist`);
        throw new DomainError('conflict', {
          code: 'orphan_document_acknowledged',
          message: `The document was already acknowledged by ${existing.acknowledged_by ?? '?'} at ${existing.acknowledged_at === null ? '?' : new Date(Number(existing.acknowledged_at)).toISOString()}`,
        });
      }
      await deps.audit.write(actor, 'device.orphan_acknowledged', `device:${row.device_id}`, {
        orphan: Number(row.id),
        service_group: Number(row.group_id),
        fd_number: Number(row.fd_number),
        kind: row.kind,
        total: row.total === null ? null : Number(row.total),
        document_at: row.document_at,
        fiscal_sign: row.fiscal_sign,
        found_by: row.found_by,
      });
      return { row, groupName: (await groupNames()).get(Number(row.group_id)) ?? null };
    },
  };
}
export type OrphanService = ReturnType<typeof createOrphanService>;
