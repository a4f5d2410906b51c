import type { Kysely, Selectable } from 'kysely';
import { auditValues, type AuditEntry } from './audit.js';
import type { Database, OrphanDocumentsTable } from './schema.js';

export type OrphanRow = Selectable<OrphanDocumentsTable>;

export interface NewOrphan {
  deviceId: number;
  groupId: number;
  fdNumber: number;
  kind: string;
  total: number | null;
  documentAt: string | null;
  fiscalSign: string | null;
  foundBy: string;
}

async function insert(q: Kysely<Database>, o: NewOrphan, now: number): Promise<boolean> {
  const r = await q
    .insertInto('orphan_documents')
    .values({
      device_id: o.deviceId,
      group_id: o.groupId,
      fd_number: o.fdNumber,
      kind: o.kind,
      total: o.total,
      document_at: o.documentAt,
      fiscal_sign: o.fiscalSign,
      found_at: now,
      found_by: o.foundBy,
    })
    .onConflict((oc) => oc.columns(['device_id', 'fd_number']).doNothing())
    .executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Receipt documents found in an FN journal that no receipt owns: what a node that lost its lease
 * could still leave behind, or a sale made on the register outside cr-server. Each is a real fiscal
 * document the shop must account for, so they are kept until an operator acknowledges them.
 */
export function createOrphanRepository(db: Kysely<Database>) {
  return {
    /**
     * True when this document was not known yet (the caller reports it once). `audit`: its journal
     * entry, written in the same transaction and only with a new row — a crash between two writes
     * would keep the orphan and lose its entry for good (the next pass finds the row known).
     */
    async record(o: NewOrphan, now: number, audit?: AuditEntry): Promise<boolean> {
      if (audit === undefined) return insert(db, o, now);
      return db.transaction().execute(async (trx) => {
        const fresh = await insert(trx, o, now);
        if (fresh) await trx.insertInto('audit_log').values(auditValues(audit, now)).execute();
        return fresh;
      });
    },
    async list(filter: { groupId?: number; open?: boolean; limit: number }): Promise<OrphanRow[]> {
      let q = db.selectFrom('orphan_documents').selectAll();
      if (filter.groupId !== undefined) q = q.where('group_id', '=', filter.groupId);
      if (filter.open === true) q = q.where('acknowledged_at', 'is', null);
      if (filter.open === false) q = q.where('acknowledged_at', 'is not', null);
      return q.orderBy('found_at', 'desc').orderBy('id', 'desc').limit(filter.limit).execute();
    },
    async get(id: number): Promise<OrphanRow | undefined> {
      return db.selectFrom('orphan_documents').selectAll().where('id', '=', id).executeTakeFirst();
    },
    /** Unacknowledged orphans per group (the table holds a handful of rows, never the receipts' volume). */
    async openCounts(): Promise<Map<number, number>> {
      const rows = await db
        .selectFrom('orphan_documents')
        .select(['group_id', (eb) => eb.fn.countAll<number>().as('n')])
        .where('acknowledged_at', 'is', null)
        .groupBy('group_id')
        .execute();
      return new Map(rows.map((r) => [Number(r.group_id), Number(r.n)]));
    },
    /** The operator has accounted for the document (e.g. refunded it with a return receipt). */
    async acknowledge(id: number, by: string, now: number): Promise<OrphanRow | undefined> {
      return db
        .updateTable('orphan_documents')
        .set({ acknowledged_at: now, acknowledged_by: by })
        .where('id', '=', id)
        .where('acknowledged_at', 'is', null)
        .returningAll()
        .executeTakeFirst();
    },
  };
}
export type OrphanRepository = ReturnType<typeof createOrphanRepository>;
