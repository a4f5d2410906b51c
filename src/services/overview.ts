import type { ReceiptRepository } from '../storage/receipts.js';
import type { StatsRepository } from '../storage/stats.js';
import { requireSuperuser, type Actor } from './actor.js';
import { groupStatus, type GroupService, type GroupState } from './groups.js';

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

/** What needs an admin: shift near its 24 h limit, FN end of life, OFD backlog, device errors, doubtful receipts, orphan fiscal documents. */
export function attentionOf(st: GroupState, states: Map<string, number>, now: number): Attention[] {
  const g = st.group;
  const out: Attention[] = [];
  const add = (severity: Attention['severity'], code: string, message: string, count?: number) =>
    out.push({ group_id: g.id, group_name: g.name, severity, code, message, ...(count !== undefined ? { count } : {}) });
  const status = st.device?.status ?? null;
  if (groupStatus(st) === 'error') add('error', 'device_error', st.device?.state_reason ?? 'The device reported an error');
  // Fiscal documents in the FN that no receipt owns: until a superuser acknowledges each one.
  const orphans = st.orphanDocuments;
  if (orphans > 0) add('error', 'orphan_documents', `${orphans} fiscal document(s) in the FN belong to no receipt; check them and acknowledge`, orphans);
  if (g.running && status?.shift.state === 'expired') add('error', 'shift_expired', 'The shift is open for more than 24 hours; close it');
  const expires = status?.shift.expiresAt ? Date.parse(status.shift.expiresAt) : null;
  if (status?.shift.state === 'open' && expires !== null && expires - now < 2 * HOUR) add('warning', 'shift_expires_soon', `The shift expires at ${status.shift.expiresAt ?? ''}`);
  const fnExpires = status?.fn.expiresAt ? Date.parse(status.fn.expiresAt) : null;
  if (fnExpires !== null && fnExpires - now < 30 * DAY) add(fnExpires < now ? 'error' : 'warning', 'fn_expires_soon', `The fiscal drive expires on ${status?.fn.expiresAt ?? ''}`);
  const oldest = status?.ofd.oldestUnsentAt ? Date.parse(status.ofd.oldestUnsentAt) : null;
  if (status && status.ofd.unsentCount > 0 && oldest !== null && now - oldest > DAY) {
    add(now - oldest > 25 * DAY ? 'error' : 'warning', 'ofd_backlog', `${status.ofd.unsentCount} document(s) not sent to the OFD since ${status.ofd.oldestUnsentAt ?? ''}`);
  }
  // FFD 1.2: the FN refuses marked goods until the marking operator confirms its sale notifications.
  if (status?.marking?.blocked) add('error', 'marking_blocked', `Work with marked goods is blocked: ${status.marking.unconfirmedNotifications} sale notification(s) wait for the marking operator since ${status.marking.oldestUnconfirmedAt ?? ''}`, status.marking.unconfirmedNotifications);
  for (const w of status?.warnings ?? []) if (!out.some((a) => a.code === w)) add('warning', w, w);
  const inDoubt = states.get('in_doubt') ?? 0;
  if (inDoubt > 0) add('error', 'receipts_in_doubt', `${inDoubt} receipt(s) in doubt`);
  const failed = states.get('failed') ?? 0;
  if (failed > 0) add('warning', 'receipts_failed', `${failed} receipt(s) failed`);
  if (!g.running && st.queueLength > 0) add('warning', 'queue_stopped', `${st.queueLength} receipt(s) wait while the group is stopped`);
  return out;
}

export function createOverview(deps: { groups: GroupService; stats: StatsRepository; receipts: ReceiptRepository; now: () => number }) {
  return {
    /** Receipts per day and sums per group for the last `days` local days, and what needs attention. */
    async get(actor: Actor, days: number, tzOffsetMin: number) {
      requireSuperuser(actor);
      const now = deps.now();
      const offset = tzOffsetMin * 60_000;
      const today = Math.floor((now + offset) / DAY);
      const first = today - days + 1;
      const buckets = await deps.stats.receiptsPerDay(first * DAY - offset, offset);
      const groups = await deps.groups.listAdmin(actor);
      const counts = await deps.receipts.countByState();
      const statesOf = (id: number) => new Map(counts.filter((c) => c.group_id === id).map((c) => [c.state, c.n]));
      const dayList = Array.from({ length: days }, (_, i) => new Date((first + i) * DAY).toISOString().slice(0, 10));
      return {
        days: dayList,
        groups: groups.map((st) => {
          const g = st.group;
          const mine = buckets.filter((b) => b.group_id === g.id);
          const at = (i: number) => mine.find((b) => b.day === first + i);
          return {
            id: g.id,
            name: g.name,
            state: groupStatus(st),
            counts: dayList.map((_, i) => at(i)?.count ?? 0),
            sums: dayList.map((_, i) => (at(i)?.success_total ?? 0) / 100),
            by_state: Object.fromEntries(statesOf(g.id)),
          };
        }),
        attention: groups.flatMap((st) => attentionOf(st, statesOf(st.group.id), now)),
      };
    },
  };
}
export type Overview = ReturnType<typeof createOverview>;
