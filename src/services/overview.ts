import type { ReceiptRepository } from '../storage/receipts.js';
import type { StatsRepository } from '../storage/stats.js';
import { requireSuperuser, type Actor } from './actor.js';
import { groupStatus, type GroupService, type GroupState } from './groups.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;

export interface Attention {
  group_id: number;
  group_name: string;
  /** The register of the pool the item is about (absent: the group as a whole). */
  device_id?: number;
  /** error: the group cannot work; warning: it works but needs someone soon. */
  severity: 'error' | 'warning';
  code: string;
  message: string;
  /** How many things the item is about, when it counts them (the dashboard words it in its language). */
  count?: number;
}

const FORECAST_TEXT = { expiry: 'the FN key validity ends', archive: 'the FN archive is full at the current rate', ofd_block: 'the FN blocks: a document unsent to the OFD for 30 days' } as const;

/**
 * What needs an admin: per register of the pool, shift near its 24 h limit, FN end of life and its
 * forecast, OFD backlog, device errors, marking block, maintenance; for the group, doubtful
 * receipts, orphan fiscal documents, a queue nobody drains.
 */
export function attentionOf(st: GroupState, states: Map<string, number>, now: number): Attention[] {
  const g = st.group;
  const out: Attention[] = [];
  const pool = st.registers.filter((r) => r.device.service !== 'retired');
  const multi = pool.length > 1;
  const add = (severity: Attention['severity'], code: string, message: string, count?: number, deviceId?: number) =>
    out.push({ group_id: g.id, group_name: g.name, ...(deviceId !== undefined ? { device_id: deviceId } : {}), severity, code, message, ...(count !== undefined ? { count } : {}) });
  for (const { device } of pool) {
    // In a pool, one register's trouble is routed around: a warning, unless the group can no longer work.
    const id = multi ? device.id : undefined;
    const on = multi ? `Register ${device.id}: ` : '';
    const status = device.status;
    if (g.enabled && g.running && device.state === 'error') add(multi ? 'warning' : 'error', 'device_error', on + (device.state_reason ?? 'The device reported an error'), undefined, id);
    if (device.service === 'maintenance') add('warning', 'register_maintenance', `${on}in maintenance («обслуживание»): it takes no new receipts`, undefined, id);
    if (g.running && status?.shift.state === 'expired') add('error', 'shift_expired', `${on}The shift is open for more than 24 hours; close it`, undefined, id);
    const expires = status?.shift.expiresAt ? Date.parse(status.shift.expiresAt) : null;
    if (status?.shift.state === 'open' && expires !== null && expires - now < 2 * HOUR) add('warning', 'shift_expires_soon', `${on}The shift expires at ${status.shift.expiresAt ?? ''}`, undefined, id);
    const fnExpires = status?.fn.expiresAt ? Date.parse(status.fn.expiresAt) : null;
    if (fnExpires !== null && fnExpires - now < 30 * DAY) add(fnExpires < now ? 'error' : 'warning', 'fn_expires_soon', `${on}The fiscal drive expires on ${status?.fn.expiresAt ?? ''}`, undefined, id);
    const oldest = status?.ofd.oldestUnsentAt ? Date.parse(status.ofd.oldestUnsentAt) : null;
    if (status && status.ofd.unsentCount > 0 && oldest !== null && now - oldest > DAY) {
      add(now - oldest > 25 * DAY ? 'error' : 'warning', 'ofd_backlog', `${on}${status.ofd.unsentCount} document(s) not sent to the OFD since ${status.ofd.oldestUnsentAt ?? ''}`, undefined, id);
    }
    // The FN lifecycle forecast (domain/pool.ts): the first limit within the group's warn_days.
    const warning = device.health?.warning ?? null;
    if (warning && !(warning.what === 'expiry' && out.some((a) => a.code === 'fn_expires_soon' && a.device_id === id))) {
      add(warning.at <= now ? 'error' : 'warning', 'fn_forecast', `${on}${new Date(warning.at).toISOString().slice(0, 10)}: ${FORECAST_TEXT[warning.what]}`, undefined, id);
    }
    // FFD 1.2: the FN refuses marked goods until the marking operator confirms its sale notifications.
    if (status?.marking?.blocked) add('error', 'marking_blocked', `${on}Work with marked goods is blocked: ${status.marking.unconfirmedNotifications} sale notification(s) wait for the marking operator since ${status.marking.oldestUnconfirmedAt ?? ''}`, status.marking.unconfirmedNotifications, id);
    for (const w of status?.warnings ?? []) if (!out.some((a) => a.code === w && a.device_id === id)) add('warning', w, on + w, undefined, id);
  }
  if (g.enabled && g.running && pool.length > 0 && pool.every((r) => r.device.service !== 'active') && st.queueLength > 0) {
    add('error', 'pool_drained', `${st.queueLength} receipt(s) wait: every register of the pool is in maintenance`, st.queueLength);
  }
  // Fiscal documents in the FN that no receipt owns: until a superuser acknowledges each one.
  const orphans = st.orphanDocuments;
  if (orphans > 0) add('error', 'orphan_documents', `${orphans} fiscal document(s) in the FN belong to no receipt; check them and acknowledge`, orphans);
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
