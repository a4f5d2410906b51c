import type { FastifyInstance } from 'fastify';
import type { Db } from '../storage/db.js';
import { createAtolOnlineRepository, type AtolOnlineRepository } from '../storage/atol-online.js';
import type { GroupRepository } from '../storage/groups.js';
import type { Authenticator } from '../services/auth.js';
import type { ReceiptService } from '../services/receipts.js';
import { atolOnlineRoutes } from './routes.js';
import { createAtolOnlineService, type AtolOnlineService } from './service.js';

export { atolReportOf, type AtolReport } from './report.js';
export type { AtolReceiptRecord } from '../storage/atol-online.js';

export interface AtolOnline {
  /** The /possystem routes, for buildApp's `plugins`. */
  plugin: (app: FastifyInstance) => Promise<void>;
  /** Tokens and the uuid ↔ receipt mapping; `byReceiptId` tells the callbacks worker a receipt came through ATOL. */
  repository: AtolOnlineRepository;
  service: AtolOnlineService;
}

/** The ATOL Online-compatible API (docs/atol-online.md), built once by the composition root. */
export function createAtolOnline(deps: { db: Db; groups: GroupRepository; authenticator: Authenticator; receipts: ReceiptService; now: () => number }): AtolOnline {
  const repository = createAtolOnlineRepository(deps.db);
  const service = createAtolOnlineService({ repo: repository, groups: deps.groups, authenticator: deps.authenticator, receipts: deps.receipts, now: deps.now });
  return { plugin: atolOnlineRoutes({ service, now: deps.now }), repository, service };
}
