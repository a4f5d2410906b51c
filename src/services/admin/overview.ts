import type { ReceiptRepository } from '../../storage/receipts.js';
import type { StatsRepository } from '../../storage/stats.js';
import type { GroupAdmin } from './groups.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface Attention {
  group_id: number;
  group_name: string;
  /** error: the group cannot work; warning: it works but needs someone soon. */
  severity: 'error' | 'warning';
  code: string;
  message: string;
  /** How many things the item is about, when it counts them (the dashboard words it in its language). */
  count?: number;
}

type GroupView = Awaited<ReturnType<GroupAdmin['get']>>;

/** What needs an admin: shift near its 24 h limit, FN end of life, OFD backlog, device errors, doubtful receipts, orphan fiscal documents. */
export function attentionOf(g: GroupView, states: Map<string, number>, now: number): Attention[] {
  const out: Attention[] = [];
  const add = (severity: Attention['severity'], code: string, message: string, count?: number) =>
    out.push({ group_id: g.id, group_name: g.name, severity, code, message, ...(count !== undefined ? { count } : {}) });
  const d = g.device;
  if (g.state === 'error') add('error', 'device_error', g.state_reason ?? 'The device reported an error');
  // Fiscal documents in the FN that no receipt owns: until a superuser acknowledges each one.
  const orphans = g.orphan_documents;
  if (orphans > 0) add('error', 'orphan_documents', `${orphans} fiscal document(s) in the FN belong to no receipt; check them and acknowledge`, orphans);
  if (g.running && d?.shift?.state === 'expired') add('error', 'shift_expired', 'The shift is open for more than 24 hours; close it');
  const expires = d?.shift?.expires_at ? Date.parse(d.shift.expires_at) : null;
  if (d?.shift?.state === 'open' && expires !== null && expires - now < 2 * HOUR) add('warning', 'shift_expires_soon', `The shift expires at ${d.shift.expires_at}`);
  const fnExpires = d?.fn?.expires_at ? Date.parse(d.fn.expires_at) : null;
  if (fnExpires !== null && fnExpires - now < 30 * DAY) add(fnExpires < now ? 'error' : 'warning', 'fn_expires_soon', `The fiscal drive expires on ${d?.fn?.expires_at ?? ''}`);
  const oldest = d?.ofd?.oldest_unsent_at ? Date.parse(d.ofd.oldest_unsent_at) : null;
  if (d?.ofd && d.ofd.unsent_count > 0 && oldest !== null && now - oldest > DAY) {
    add(now - oldest > 25 * DAY ? 'error' : 'warning', 'ofd_backlog', `${d.ofd.unsent_count} document(s) not sent to the OFD since ${d.ofd.oldest_unsent_at ?? ''}`);
  }
  for (const w of d?.warnings ?? []) if (!out.some((a) => a.code === w)) add('warning', w, w);
  const inDoubt = states.get('in_doubt') ?? 0;
  if (inDoubt > 0) add('error', 'receipts_in_doubt', `${inDoubt} receipt(s) in doubt`);
  const failed = states.get('failed') ?? 0;
  if (failed > 0) add('warning', 'receipts_failed', `${failed} receipt(s) failed`);
  if (!g.running && g.queue_length > 0) add('warning', 'queue_stopped', `${g.queue_length} receipt(s) wait while the group is stopped`);
  return out;
}

export function createOverview(deps: { groupAdmin: GroupAdmin; stats: StatsRepository; receipts: ReceiptRepository; now: () => number }) {
  return {
    /** Receipts per day and sums per group for the last `days` local days, and what needs attention. */
    async get(days: number, tzOffsetMin: number) {
      const now = deps.now();
      const offset = tzOffsetMin * 60_000;
      const today = Math.floor((now + offset) / DAY);
      const first = today - days + 1;
      const buckets = await deps.stats.receiptsPerDay(first * DAY - offset, offset);
      const groups = await deps.groupAdmin.list();
      const counts = await deps.receipts.countByState();
      const statesOf = (id: number) => new Map(counts.filter((c) => c.group_id === id).map((c) => [c.state, c.n]));
      const dayList = Array.from({ length: days }, (_, i) => new Date((first + i) * DAY).toISOString().slice(0, 10));
      return {
        days: dayList,
        groups: groups.map((g) => {
          const mine = buckets.filter((b) => b.group_id === g.id);
          const at = (i: number) => mine.find((b) => b.day === first + i);
          return {
            id: g.id,
            name: g.name,
            state: g.state,
            counts: dayList.map((_, i) => at(i)?.count ?? 0),
            sums: dayList.map((_, i) => (at(i)?.success_total ?? 0) / 100),
            by_state: Object.fromEntries(statesOf(g.id)),
          };
        }),
        attention: groups.flatMap((g) => attentionOf(g, statesOf(g.id), now)),
      };
    },
  };
}
export type Overview = ReturnType<typeof createOverview>;
