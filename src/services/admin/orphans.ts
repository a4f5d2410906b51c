import type { Kysely } from 'kysely';
import { DomainError, notFound } from '../../domain/errors.js';
import type { OrphanRepository, OrphanRow } from '../../storage/orphans.js';
import type { Database } from '../../storage/schema.js';
import type { Actor, Auditor } from './audit-context.js';

export interface OrphanAdminDeps {
  db: Kysely<Database>;
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

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** One orphan as the dashboard shows it (money in roubles like the «Документы ФН» list). */
export function orphanView(row: OrphanRow, groupName: string | null) {
  return {
    id: Number(row.id),
    group_id: Number(row.group_id),
    group_name: groupName ?? `#${row.group_id}`,
    device_id: Number(row.device_id),
    fd_number: Number(row.fd_number),
    kind: row.kind,
    total_sum: row.total === null ? null : (Number(row.total) / 100).toFixed(2),
    document_at: row.document_at,
    fiscal_sign: row.fiscal_sign,
    found_at: iso(row.found_at) ?? '',
    found_by: row.found_by,
    acknowledged_at: iso(row.acknowledged_at),
    acknowledged_by: row.acknowledged_by,
  };
}
export type OrphanView = ReturnType<typeof orphanView>;

/**
 * «Документы без чека»: fiscal documents the journal reconciliation found in an FN that no receipt
 * owns. They stay on the dashboard until a superuser acknowledges each one (audited) — having
 * checked it and, if needed, refunded or corrected it on the register.
 */
export function createOrphanAdmin(deps: OrphanAdminDeps) {
  const { db } = deps;
  const groupNames = async (): Promise<Map<number, string>> =>
    new Map((await db.selectFrom('service_groups').select(['id', 'name']).execute()).map((g) => [Number(g.id), g.name]));

  return {
    /** Newest first, with the group's name; `open_count`: unacknowledged ones under the same group filter. */
    async list(filter: OrphanFilter) {
      let q = db.selectFrom('orphan_documents').selectAll();
      if (filter.groupId !== undefined) q = q.where('group_id', '=', filter.groupId);
      if (filter.open === true) q = q.where('acknowledged_at', 'is', null);
      if (filter.open === false) q = q.where('acknowledged_at', 'is not', null);
      const rows = await q.orderBy('found_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
      const names = await groupNames();
      const counts = await deps.orphans.openCounts();
      const openCount = filter.groupId !== undefined ? (counts.get(filter.groupId) ?? 0) : [...counts.values()].reduce((a, b) => a + b, 0);
      return { items: rows.map((r) => orphanView(r, names.get(Number(r.group_id)) ?? null)), open_count: openCount };
    },

    /** The operator has accounted for the document: 404 unknown, 409 already acknowledged. */
    async acknowledge(id: number, actor: Actor) {
      const row = await deps.orphans.acknowledge(id, actor.login, deps.now());
      if (!row) {
        const existing = await db.selectFrom('orphan_documents').selectAll().where('id', '=', id).executeTakeFirst();
        if (!existing) throw notFound('orphan_document_not_found', `Orphan document ${id} does not exist`);
        throw new DomainError('conflict', {
          code: 'orphan_document_acknowledged',
          message: `The document was already acknowledged by ${existing.acknowledged_by ?? '?'} at ${iso(existing.acknowledged_at) ?? '?'}`,
        });
      }
      await deps.audit(actor, 'device.orphan_acknowledged', `device:${row.device_id}`, {
        orphan: Number(row.id),
        service_group: Number(row.group_id),
        fd_number: Number(row.fd_number),
        kind: row.kind,
        total: row.total === null ? null : Number(row.total),
        document_at: row.document_at,
        fiscal_sign: row.fiscal_sign,
        found_by: row.found_by,
      });
      return orphanView(row, (await groupNames()).get(Number(row.group_id)) ?? null);
    },
  };
}
export type OrphanAdmin = ReturnType<typeof createOrphanAdmin>;
