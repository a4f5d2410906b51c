import type { FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import type { AuditLog } from '../../services/audit-log.js';
import type { DeviceOperations } from '../../services/device-operations.js';
import type { GroupService } from '../../services/groups.js';
import type { OrphanService } from '../../services/orphans.js';
import type { CallbackService } from '../../services/callbacks.js';
import { callbackRoutes } from './routes/callbacks.js';
import type { Overview } from '../../services/overview.js';
import type { ReceiptService } from '../../services/receipts.js';
import type { SessionService } from '../../services/sessions.js';
import type { UserService } from '../../services/users.js';
import { securityHeaders } from './headers.js';
import { deviceRoutes } from './routes/device.js';
import { groupRoutes } from './routes/groups.js';
import { orphanRoutes } from './routes/orphans.js';
import { overviewRoutes } from './routes/overview.js';
import { receiptRoutes } from './routes/receipts.js';
import { sessionRoutes } from './routes/session.js';
import { userRoutes } from './routes/users.js';
import { actorOf, requireAdmin } from './session.js';
import { receiptExportRoutes } from '../routes/receipt-export.js';
import type { ReceiptExportService } from '../../services/receipt-export.js';
import { defaultWebRoot, registerDashboard } from './static.js';

/** The use cases the dashboard calls: the same services the REST API calls (built once in main.ts). */
export interface AdminDeps {
  /** The CSV export (the same route as the REST API's, with the session's actor). */
  receiptExports?: ReceiptExportService;
  sessions: SessionService;
  users: UserService;
  groups: GroupService;
  devices: DeviceOperations;
  receipts: ReceiptService;
  overview: Overview;
  auditLog: AuditLog;
  orphans: OrphanService;
  /** Completion callbacks: a receipt's delivery log and resend, users' signing secrets. */
  callbacks?: CallbackService;
  now: () => number;
  /** The built SPA (default: web/dist of the package). */
  webRoot?: string;
}

/** The dashboard: the SPA at /admin/ and its JSON API at /admin/api/ (session cookie + CSRF). */
export function createAdminPlugin(deps: AdminDeps) {
  return async function adminPlugin(root: FastifyInstance): Promise<void> {
    await root.register(async (admin) => {
      await admin.register(cookie);
      admin.decorateRequest('admin', null);
      admin.addHook('onSend', async (request, reply, payload) => {
        await securityHeaders(request, reply);
        return payload;
      });
      await admin.register(async (api) => {
        api.addHook('onRequest', requireAdmin(deps.sessions));
        await api.register(sessionRoutes({ sessions: deps.sessions }));
        await api.register(userRoutes({ users: deps.users }));
        await api.register(groupRoutes({ groups: deps.groups, devices: deps.devices, now: deps.now }));
        await api.register(receiptRoutes({ receipts: deps.receipts }));
        await api.register(deviceRoutes({ devices: deps.devices }));
        await api.register(overviewRoutes({ overview: deps.overview, auditLog: deps.auditLog }));
        await api.register(orphanRoutes({ orphans: deps.orphans }));
        if (deps.callbacks) await api.register(callbackRoutes({ callbacks: deps.callbacks }));
        if (deps.receiptExports) await api.register(receiptExportRoutes({ exports: deps.receiptExports, actor: actorOf }));
      }, { prefix: '/api' });
      await registerDashboard(admin, deps.webRoot ?? defaultWebRoot());
    }, { prefix: '/admin' });
  };
}
