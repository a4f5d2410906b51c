import type { FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { Kysely } from 'kysely';
import type { FiscalDriver } from '../../devices/driver.js';
import type { DriverRegistry } from '../../devices/registry.js';
import type { Authenticator } from '../../services/auth.js';
import type { GroupService } from '../../services/groups.js';
import type { ReceiptService } from '../../services/receipts.js';
import { auditor } from '../../services/admin/audit-context.js';
import { createDeviceAdmin } from '../../services/admin/device.js';
import { createGroupAdmin } from '../../services/admin/groups.js';
import { createOrphanAdmin } from '../../services/admin/orphans.js';
import { createOverview } from '../../services/admin/overview.js';
import { createReceiptAdmin } from '../../services/admin/receipts.js';
import { createAdminSessions } from '../../services/admin/sessions.js';
import { createUserAdmin } from '../../services/admin/users.js';
import { createAuditRepository } from '../../storage/audit.js';
import type { GroupRepository } from '../../storage/groups.js';
import { createOrphanRepository } from '../../storage/orphans.js';
import type { ReceiptRepository } from '../../storage/receipts.js';
import type { Database } from '../../storage/schema.js';
import { createSessionRepository } from '../../storage/sessions.js';
import { createStatsRepository } from '../../storage/stats.js';
import type { UserRepository } from '../../storage/users.js';
import { securityHeaders } from './headers.js';
import { deviceRoutes } from './routes/device.js';
import { groupRoutes } from './routes/groups.js';
import { orphanRoutes } from './routes/orphans.js';
import { overviewRoutes } from './routes/overview.js';
import { receiptRoutes } from './routes/receipts.js';
import { sessionRoutes } from './routes/session.js';
import { userRoutes } from './routes/users.js';
import { requireAdmin } from './session.js';
import { defaultWebRoot, registerDashboard } from './static.js';

export interface AdminDeps {
  kysely: Kysely<Database>;
  users: UserRepository;
  groups: GroupRepository;
  receipts: ReceiptRepository;
  registry: DriverRegistry;
  authenticator: Authenticator;
  groupService: GroupService;
  receiptService: ReceiptService;
  /** WorkerManager.reconcile: applies «Пуск»/«Стоп» and enable/disable to the device workers. */
  reconcile: () => Promise<void>;
  now: () => number;
  /** WorkerManager.driverOf: the driver this node runs for a group (fault injection on virtual registers). */
  driverOf?: (groupId: number) => FiscalDriver | undefined;
  /** WorkerManager.notify: wakes a group's worker (a retried receipt). */
  notify?: (groupId: number) => void;
  /** The built SPA (default: web/dist of the package). */
  webRoot?: string;
  sessionTtlMs?: number;
}

/** The dashboard: the SPA at /admin/ and its JSON API at /admin/api/ (session cookie + CSRF). */
export function createAdminPlugin(deps: AdminDeps) {
  const audit = createAuditRepository(deps.kysely);
  const sessionsRepo = createSessionRepository(deps.kysely);
  const stats = createStatsRepository(deps.kysely);
  const write = auditor(audit, deps.now);
  const sessions = createAdminSessions({ users: deps.users, sessions: sessionsRepo, authenticator: deps.authenticator, audit, now: deps.now, ...(deps.sessionTtlMs ? { ttlMs: deps.sessionTtlMs } : {}) });
  const users = createUserAdmin({ users: deps.users, sessions: sessionsRepo, stats, authenticator: deps.authenticator, audit: write, now: deps.now });
  const deviceAdmin = createDeviceAdmin({ groupService: deps.groupService, driverOf: deps.driverOf ?? (() => undefined), audit: write });
  const groupAdmin = createGroupAdmin({
    groups: deps.groups, users: deps.users, receipts: deps.receipts, stats, registry: deps.registry,
    groupService: deps.groupService, reconcile: deps.reconcile, audit: write, now: deps.now,
    faultsAvailable: (id) => deviceAdmin.faultsAvailable(id),
  });
  const receiptAdmin = createReceiptAdmin({ receipts: deps.receipts, receiptService: deps.receiptService, audit: write, now: deps.now, notify: deps.notify ?? (() => undefined) });
  const overview = createOverview({ groupAdmin, stats, receipts: deps.receipts, now: deps.now });
  const orphanAdmin = createOrphanAdmin({ db: deps.kysely, orphans: createOrphanRepository(deps.kysely), audit: write, now: deps.now });

  return async function adminPlugin(root: FastifyInstance): Promise<void> {
    // The dashboard's own print route (GET /admin/api/service_groups/:id/receipts/:receipt_id/print).
    const printView = () => true;
    await root.register(async (admin) => {
      await admin.register(cookie);
      admin.decorateRequest('admin', null);
      admin.addHook('onSend', async (request, reply, payload) => {
        await securityHeaders(request, reply);
        return payload;
      });
      await admin.register(async (api) => {
        api.addHook('onRequest', requireAdmin(sessions));
        await api.register(sessionRoutes({ sessions, printView }));
        await api.register(userRoutes({ users }));
        await api.register(groupRoutes({ groupAdmin }));
        await api.register(receiptRoutes({ groupAdmin, receipts: deps.receiptService, receiptAdmin }));
        await api.register(deviceRoutes({ groupAdmin, deviceAdmin }));
        await api.register(overviewRoutes({ overview, audit }));
        await api.register(orphanRoutes({ orphans: orphanAdmin }));
      }, { prefix: '/api' });
      await registerDashboard(admin, deps.webRoot ?? defaultWebRoot());
    }, { prefix: '/admin' });
  };
}
