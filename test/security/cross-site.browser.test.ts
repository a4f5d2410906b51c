/**
 * The attack from the issue, in Debian's Chromium: a browser holding Basic credentials for the
 * server (the documented print page was opened with them; `httpCredentials` answers the server's
 * challenge like a cached login) visits a page on another origin that auto-submits a text/plain
 * form to POST /service_groups/1/reports/x. The X report must not run. A same-origin fetch with
 * JSON from the same browser (from /docs) still works.
 */
import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/main.js';
import { listeningServer } from './raw.js';

const CHROMIUM = '/usr/bin/chromium';
// In CI the browser is installed by .ci/run: its absence must fail the run, not skip it.
const runnable = existsSync(CHROMIUM) || process.env.CI === 'true';

describe.runIf(runnable)('cross-site form post from a real browser', () => {
  let server: Server & { port: number };
  let attacker: HttpServer;
  let attackerUrl = '';
  let browser: Browser;
  let context: BrowserContext;
  /** What reached the API from the browser: method, path, Sec-Fetch-Site, Origin, status. */
  const seen: { method: string; url: string; site: string | undefined; origin: string | undefined; auth: boolean; status: number }[] = [];

  const count = async (table: 'device_jobs' | 'audit_log') => {
    const row = table === 'device_jobs'
      ? await server.db.kysely.selectFrom('device_jobs').where('kind', '=', 'x_report').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()
      : await server.db.kysely.selectFrom('audit_log').where('action', '=', 'service_group.x_report').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  };

  beforeAll(async () => {
    server = await listeningServer({}, 'cross-site-browser');
    server.app.server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!req.url?.startsWith('/service_groups/')) return;
      res.once('finish', () => seen.push({ method: req.method ?? '', url: req.url ?? '', site: req.headers['sec-fetch-site'], origin: req.headers.origin, auth: req.headers.authorization !== undefined, status: res.statusCode }));
    });
    const target = `${server.url}/service_groups/1/reports/x`;
    attacker = createServer((req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      if (req.url === '/form') {
        res.end(`<!doctype html><title>win a prize</title>
<form id="f" method="post" enctype="text/plain" action="${target}"><input type="hidden" name='{"a":"' value='b"}'></form>
<script>document.getElementById('f').submit()</script>`);
      } else {
        res.end('<!doctype html><title>blank</title>');
      }
    });
    await new Promise<void>((resolve) => attacker.listen(0, 'localhost', resolve));
    const addr = attacker.address();
    attackerUrl = `http://localhost:${typeof addr === 'object' && addr ? addr.port : 0}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    // The browser answers every Basic challenge with admin/admin, as one that has cached them would.
    context = await browser.newContext({ httpCredentials: { username: 'admin', password: 'admin' } });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (attacker ? attacker.close(r) : r(undefined)));
    await server?.close();
  });

  it('the browser holds working credentials for the API (the print page / a GET was opened with them)', async () => {
    const page = await context.newPage();
    const res = await page.goto(`${server.url}/service_groups/1`);
    expect(res?.status()).toBe(200);
    await page.close();
  });

  it('an auto-submitted text/plain form on another origin does not run the X report', async () => {
    const [jobs, audit] = [await count('device_jobs'), await count('audit_log')];
    seen.length = 0;
    const page = await context.newPage();
    const arrived = page.waitForURL(`${server.url}/service_groups/1/reports/x`, { timeout: 15_000 });
    await page.goto(`${attackerUrl}/form`);
    await arrived;
    const text = (await page.textContent('body')) ?? '';
    const body = JSON.parse(text) as { errors?: { code: string }[] };
    expect(body.errors?.[0]?.code, text).toBe('cross_site_request');
    // The browser did send it cross-site; nothing ran and nothing was audited.
    const posts = seen.filter((s) => s.method === 'POST');
    expect(posts.length).toBeGreaterThan(0);
    expect(posts.every((s) => s.site === 'cross-site' && s.status === 403)).toBe(true);
    expect([await count('device_jobs'), await count('audit_log')]).toEqual([jobs, audit]);
    await page.close();
  });

  it('a credentialed no-cors fetch from another origin does not run it either', async () => {
    const jobs = await count('device_jobs');
    seen.length = 0;
    const page = await context.newPage();
    await page.goto(`${attackerUrl}/blank`);
    await page.evaluate(async (url) => {
      await fetch(url, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{}' }).catch(() => undefined);
    }, `${server.url}/service_groups/1/reports/x`);
    await expect.poll(() => seen.filter((s) => s.method === 'POST').length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.method === 'POST').every((s) => s.status === 403)).toBe(true);
    expect(await count('device_jobs')).toBe(jobs);
    await page.close();
  });

  it('a same-origin fetch with JSON from the same browser runs the X report', async () => {
    const jobs = await count('device_jobs');
    seen.length = 0;
    const page = await context.newPage();
    // A page of the server that may run scripts: /docs (swagger-ui's «Try it out» is such a fetch).
    // API answers themselves carry `default-src 'none'`, so a JSON document cannot fetch anything.
    await page.goto(`${server.url}/service_groups/1`);
    await page.goto(`${server.url}/docs/`, { waitUntil: 'commit' });
    const result = await page.evaluate(async () => {
      const r = await fetch('/service_groups/1/reports/x', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { status: r.status, body: (await r.json()) as { kind?: string; state?: string } };
    });
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    expect(result.body).toMatchObject({ kind: 'x_report', state: 'success' });
    expect(seen.find((s) => s.method === 'POST' && s.status === 200)?.site).toBe('same-origin');
    expect(await count('device_jobs')).toBe(jobs + 1);
    await page.close();
  });
});
