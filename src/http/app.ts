import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { Config } from '../config.js';
import type { Db } from '../storage/db.js';
import type { Metrics } from '../metrics.js';
import type { Authenticator } from '../services/auth.js';
import type { ReceiptService } from '../services/receipts.js';
import type { GroupService } from '../services/groups.js';
import type { DeviceOperations } from '../services/device-operations.js';
import type { BodyCache } from './views/body-cache.js';
import { basicAuth } from './auth.js';
import { errorHandler, sendErrors } from './errors.js';
import { parseJsonBody } from './json-parser.js';
import { receiptExportRoutes } from './routes/receipt-export.js';
import { receiptRoutes } from './routes/receipts.js';
import type { ReceiptExportService } from '../services/receipt-export.js';
import { groupRoutes } from './routes/groups.js';
import { opsRoutes } from './routes/ops.js';
import { receiptOperationRoutes } from './routes/receipt-operations.js';
import { deviceRoutes } from './routes/device.js';
import { callbackRoutes } from './routes/callbacks.js';
import type { CallbackService } from '../services/callbacks.js';
import type { InFlight } from './in-flight.js';
import type { StorageHealth } from '../storage/health.js';
import { limitConnections, registerCloseAfterUnreadBody, timeoutOptions } from './limits.js';
import { clientErrorHandler, frameworkErrors } from './framework-errors.js';
import { registerApiSecurityHeaders } from './security-headers.js';
import { crossSiteGuard } from './cross-site.js';

export interface AppDeps {
  config: Pick<Config, 'bodyLimit' | 'logLevel' | 'publicUrl' | 'trustProxy'
    | 'requestTimeoutMs' | 'headersTimeoutMs' | 'idleTimeoutMs' | 'keepAliveTimeoutMs' | 'maxConnections' | 'maxConnectionsPerIp'
    | 'metricsToken'>;
  db: Db;
  metrics: Metrics;
  authenticator: Authenticator;
  receiptService: ReceiptService;
  receiptExports: ReceiptExportService;
  groupService: GroupService;
  deviceOperations: DeviceOperations;
  /** Completion callbacks: a receipt's attempt log and resend (absent: the routes are not served). */
  callbackService?: CallbackService;
  /** Rendered bodies of fiscalized receipts for the API's GET (absent: no caching). */
  bodies?: BodyCache;
  now: () => number;
  isStopping: () => boolean;
  /** The data directory check behind /ready (embedded profile). */
  health?: StorageHealth;
  /** Counts running handlers, so shutdown can wait for them before closing the database. */
  inFlight?: InFlight;
  /** Extra plugins (the admin API and dashboard) registered by the composition root. */
  plugins?: ((app: FastifyInstance) => Promise<void>)[];
}

/** Trust the nearest `n` proxies in X-Forwarded-For (Fastify's hop-count form). */
const trustHops = (n: number) => (_address: string, hop: number) => hop < n;

/** Builds the HTTP app; never listens (main.ts owns the process, tests use app.inject()). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: {
      level: deps.config.logLevel,
      // Credentials never reach the log.
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-csrf-token"]', 'password', '*.password'], censor: '[redacted]' },
    },
    bodyLimit: deps.config.bodyLimit,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 100 },
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, useDefaults: false } },
    trustProxy: typeof deps.config.trustProxy === 'number' ? trustHops(deps.config.trustProxy) : deps.config.trustProxy,
    return503OnClosing: true,
    // Slow clients are cut (src/http/limits.ts); router and HTTP-parser errors answer in the API format.
    ...timeoutOptions(deps.config),
    frameworkErrors,
    clientErrorHandler,
  });
  limitConnections(app.server, deps.config, app.log);

  app.decorateRequest('user', null);
  app.removeContentTypeParser(['application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => sendErrors(reply, request, 404, [{ code: 'not_found', message: `No route ${request.method} ${request.url.split('?')[0]}` }]));

  deps.inFlight?.register(app);
  registerCloseAfterUnreadBody(app);
  registerApiSecurityHeaders(app);

  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'cr-server', version: '0.3.0', description: 'Online fiscal cash register server (54-FZ): REST API' },
      servers: [{ url: deps.config.publicUrl }],
      components: { securitySchemes: { basic: { type: 'http', scheme: 'basic' } } },
      security: [{ basic: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  await app.register(opsRoutes({ db: deps.db, metrics: deps.metrics, isStopping: deps.isStopping, metricsToken: deps.config.metricsToken, ...(deps.health ? { health: deps.health } : {}) }));

  // The REST API: Basic auth on every route, checked before the body is read.
  // Before it, state-changing requests must be same-origin (or not from a browser) and carry JSON
  // or no body (src/http/cross-site.ts): a refused request does not even count as a login attempt.
  await app.register(async (api) => {
    api.addHook('onRequest', crossSiteGuard({ publicUrl: deps.config.publicUrl }));
    api.addHook('onRequest', basicAuth(deps.authenticator));
    await api.register(receiptRoutes({ receipts: deps.receiptService, ...(deps.bodies ? { bodies: deps.bodies } : {}) }));
    await api.register(receiptExportRoutes({ exports: deps.receiptExports }));
    await api.register(groupRoutes({ groups: deps.groupService, devices: deps.deviceOperations, now: deps.now }));
    await api.register(receiptOperationRoutes({ receipts: deps.receiptService }));
    await api.register(deviceRoutes({ devices: deps.deviceOperations }));
    if (deps.callbackService) await api.register(callbackRoutes({ callbacks: deps.callbackService }));
  });

  for (const plugin of deps.plugins ?? []) await app.register(plugin);

  return app;
}
