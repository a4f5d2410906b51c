import type { OrphanRow } from '../../storage/orphans.js';

const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString());

/** One orphan as the dashboard shows it (money in roubles like the «Документы ФН» list). */
export function orphanView({ row, groupName }: { row: OrphanRow; groupName: string | null }) {
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

