import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import { startServer, type Server } from '../../src/main.js';

const ROOT = join(import.meta.dirname, '..', '..');
const WEB = join(ROOT, 'web');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    newest = Math.max(newest, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return newest;
}

/** Builds web/dist when it is missing or older than the sources (browser tests drive the built dashboard). */
export function ensureWebBuilt(): void {
  const index = join(WEB, 'dist', 'index.html');
  const sources = Math.max(newestMtime(join(WEB, 'src')), statSync(join(WEB, 'index.html')).mtimeMs, statSync(join(WEB, 'vite.config.ts')).mtimeMs);
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', join(WEB, 'vite.config.ts'), '--logLevel', 'warn'], { cwd: ROOT, stdio: 'inherit' });
}

export const CHROMIUM = '/usr/bin/chromium';

/** Where the browser suites leave their screenshots for a person to look at (not the working tree). */
export function screenshotDir(): string {
  const dir = process.env.CR_SCREENSHOTS ?? join(tmpdir(), 'cr-screens');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Debian's Chromium (never a downloaded browser) with a Russian 1280×800 page; console errors and
 * page errors (CSP violations, script errors) are collected in `problems`. The only console errors
 * let through are the browser's own lines for answers a page shows as a refusal on purpose (400
 * validation, 403, 409 conflicts): a 401 is not among them, so the login page's session probe and
 * an expired session must not log one.
 */
export async function openDashboardPage(): Promise<{ browser: Browser; page: Page; problems: string[] }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--lang=ru-RU', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'ru-RU' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 40[039]/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
  return { browser, page, problems };
}

/**
 * A test-profile server (admin/admin, the demo register) on a free port with the dashboard built,
 * and a Chromium page to drive it. The caller closes both.
 */
export async function startDashboard(nodeId: string): Promise<{ server: Server; browser: Browser; page: Page; problems: string[] }> {
  ensureWebBuilt();
  const server = await startServer(loadConfig([], { CR_PROFILE: 'test', CR_PORT: '0', CR_LOG_LEVEL: 'silent' }, { nodeId }));
  return { server, ...(await openDashboardPage()) };
}

/**
 * A screenshot in the screenshot directory, returning its path: pages at full length from the top,
 * dialogs as the viewport shows them (fixed elements do not compose in full-page shots, and a
 * full-page shot keeps the sticky top bar where the page is scrolled to).
 */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dialog = (await page.getByRole('dialog').count()) > 0;
  if (!dialog) await page.evaluate(() => window.scrollTo(0, 0));
  const path = join(screenshotDir(), `${name}.png`);
  await page.screenshot({ path, fullPage: !dialog, animations: 'disabled' });
  return path;
}

/** Logs the page in as the test server's admin (admin/admin) and waits for the overview. */
export async function loginAsAdmin(page: Page, baseUrl: string): Promise<void> {
  await page.goto(`${baseUrl}/admin/`);
  await page.waitForURL(/\/admin\/login$/);
  await page.getByLabel('Логин').fill('admin');
  await page.getByLabel('Пароль').fill('admin');
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('heading', { name: 'Обзор' }).waitFor();
}

/** A second dashboard session of admin/admin (cookie and CSRF token) for admin API calls. */
export async function adminApi(url: string) {
  const res = await fetch(`${url}/admin/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: 'admin' }) });
  if (res.status !== 200) throw new Error(`admin login: ${res.status}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrf_token: csrf } = (await res.json()) as { csrf_token: string };
  return async <T>(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<T> => {
    const r = await fetch(`${url}/admin/api${path}`, {
      method,
      headers: { cookie, 'x-csrf-token': csrf, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return (await r.json()) as T;
  };
}
