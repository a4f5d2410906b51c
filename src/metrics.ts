import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ReceiptRepository } from './storage/receipts.js';

/** Prometheus metrics, one registry per server instance (no module-level singletons). */
export function createMetrics(deps: { receipts: ReceiptRepository }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cr_' });
  const httpRequests = new Counter({
    name: 'cr_http_requests_total',
    help: 'HTTP requests by route, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'cr_http_request_duration_seconds',
    help: 'HTTP request duration',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  const deviceOps = new Histogram({
    name: 'cr_device_operation_duration_seconds',
    help: 'Duration of fiscal device operations',
    labelNames: ['operation', 'ok'] as const,
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  // Collected on scrape from the receipts table, which is the queue: always the truth, on every node.
  new Gauge({
    name: 'cr_receipts',
    help: 'Receipts by service group and state',
    labelNames: ['service_group', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await deps.receipts.countByState()) this.set({ service_group: String(r.group_id), state: r.state }, r.n);
    },
  });
  new Gauge({
    name: 'cr_queue_length',
    help: 'Receipts waiting for or at the device (pending, processing, in_doubt) by service group',
    labelNames: ['service_group'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const by = new Map<number, number>();
      for (const r of await deps.receipts.countByState()) {
        if (r.state === 'pending' || r.state === 'processing' || r.state === 'in_doubt') by.set(r.group_id, (by.get(r.group_id) ?? 0) + r.n);
      }
      for (const [g, n] of by) this.set({ service_group: String(g) }, n);
    },
  });
  return {
    registry,
    observeRequest(method: string, route: string, status: number, seconds: number): void {
      httpRequests.inc({ method, route, status: String(status) });
      httpDuration.observe({ method, route }, seconds);
    },
    observeDevice(operation: string, seconds: number, ok: boolean): void {
      deviceOps.observe({ operation, ok: ok ? 'true' : 'false' }, seconds);
    },
  };
}
export type Metrics = ReturnType<typeof createMetrics>;
