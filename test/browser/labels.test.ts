/**
 * The dashboard speaks Russian on a fresh server: empty charts and tables say so, model names and
 * VAT names are words, taxation systems are checkboxes, the receipt page names its columns and
 * shows money with a comma, the journal shows logins and actions in words (a failed login too),
 * breadcrumbs end without a separator, and the logged-in user stays visible at 375 px. Opening the
 * login page logs nothing in the console. Screenshots go to screenshotDir() for a person to look at.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/main.js';
import { CHROMIUM, screenshot, startDashboard } from '../support/web.js';
import { basic, eventually } from '../support/server.js';
import { sellReceipt } from '../api/fixtures.js';

describe.runIf(existsSync(CHROMIUM) || process.env.CI === 'true')('dashboard labels, empty states and the journal (Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  const shots: string[] = [];
  const shot = async (name: string) => {
    shots.push(await screenshot(page, `labels-${name}`));
  };

  beforeAll(async () => {
    ({ server, browser, page, problems } = await startDashboard('labels-test'));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (shots.length) console.log(`screenshots:\n${shots.join('\n')}`);
  });

  it('says everything in Russian, with the empty states, on a fresh server', async () => {
    const url = server.url;
    const admin = basic('admin', 'admin');

    // The login page: the session probe answers "nobody" without an error in the console.
    await page.goto(`${url}/admin/`);
    await page.waitForURL(/\/admin\/login$/);
    await page.getByRole('button', { name: 'Войти' }).waitFor();
    expect(problems).toEqual([]);
    await shot('01-login');

    // A failed API login (wrong password) is journaled.
    expect((await fetch(`${url}/service_groups/1/receipts/1`, { headers: { authorization: basic('admin', 'wrong') } })).status).toBe(401);

    await page.getByLabel('Логин').fill('admin');
    await page.getByLabel('Пароль').fill('admin');
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('heading', { name: 'Обзор' }).waitFor();

    // No receipts yet: both charts say so instead of drawing an axis of zeros.
    await expect.poll(() => page.getByTestId('chart-empty').count()).toBe(2);
    expect(await page.getByTestId('chart-empty').first().textContent()).toBe('Чеков за этот период нет');
    await shot('02-overview-empty');

    // The demo service on the virtual register: the model is named in Russian.
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    const card = page.locator('article[data-group-id="1"]');
    await card.waitFor();
    await expect.poll(() => card.locator('.facts').textContent()).toContain('Виртуальная касса');
    expect(await card.locator('.facts').textContent()).not.toContain('Virtual register');

    // Its settings: taxation systems (tag 1062) are checkboxes with names, the model select says «Виртуальная касса».
    await card.getByRole('button', { name: 'Изменить' }).click();
    const dialog = page.getByRole('dialog');
    const taxes = dialog.getByTestId('config.tax_systems');
    await taxes.waitFor();
    expect(await taxes.locator('input[type=checkbox]').count()).toBe(6);
    for (const name of ['ОСН', 'УСН доход', 'УСН доход − расход', 'ЕНВД', 'ЕСХН', 'Патент']) expect(await taxes.getByLabel(name, { exact: true }).isChecked()).toBe(true);
    expect(await dialog.locator('input[name="config.tax_systems"]').count()).toBe(0);
    expect(await dialog.locator('select[name=model] option:checked').textContent()).toBe('Виртуальная касса');
    expect(await dialog.locator('select[name=default_vat] option').allTextContents()).toContain('Без НДС');
    await taxes.getByLabel('ЕНВД', { exact: true }).uncheck();
    await taxes.getByLabel('Патент', { exact: true }).uncheck();
    await shot('03-group-taxes');
    await dialog.getByRole('button', { name: 'Сохранить' }).click();
    await dialog.waitFor({ state: 'detached' });
    const stored = (await (await fetch(`${url}/admin/api/service_groups/1`, { headers: { cookie: await cookieHeader(page) } })).json()) as { config: { tax_systems: number } };
    expect(stored.config.tax_systems).toBe(1 | 2 | 4 | 16);

    // The receipt list of a service without receipts says so; the breadcrumbs end with the link.
    await card.getByRole('link', { name: 'Чеки' }).click();
    await page.getByTestId('receipts-empty').waitFor();
    expect(await page.getByTestId('receipts-empty').textContent()).toBe('Чеков пока нет');
    expect((await page.locator('.crumbs').textContent())?.trim()).toBe('Кассовые сервисы');
    await shot('04-receipts-empty');

    // A receipt with kopecks and no VAT, sent by the API user admin.
    const res = await fetch(`${url}/service_groups/1/receipts/`, {
      method: 'POST',
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify(sellReceipt({
        phone_number: '+79990001122',
        products: [{ name: 'Кофе 250 г', payment_state_int: 4, price: '459.90', commodity_type_int: 1, quantity: 2 }, { name: 'Сахар', payment_state_int: 4, price: '89.50', commodity_type_int: 1, quantity: '1.5', quantity_unit: 'кг' }],
        payments: [{ payment_type_int: 1, payment_sum: '1054.05' }],
      })),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const { id } = (await res.json()) as { id: string };
    await eventually(async () => {
      const r = (await (await fetch(`${url}/service_groups/1/receipts/${id}`, { headers: { authorization: admin } })).json()) as { state: string };
      return r.state === 'success';
    }, 20_000);

    await page.goto(`${url}/admin/groups/1/receipts`);
    const row = page.locator(`tr[data-receipt="${id}"]`);
    await row.locator('[data-state=success]').waitFor({ timeout: 20_000 });
    expect(norm(await row.textContent())).toContain('1 054,05');
    await row.click();
    await page.getByRole('heading', { name: `Чек №${id}` }).waitFor();
    const main = page.locator('.receipt-main');
    const text = norm(await main.textContent());
    for (const stale of ['Телефон / Phone', 'Дата ФД / FD time', 'НДС / VAT']) expect(text).not.toContain(stale);
    for (const label of ['Телефон', 'Дата и время ФД', 'Организация', 'Пользователь API']) expect(text).toContain(label);
    expect(await page.getByTestId('receipt-user').locator('dd').textContent()).toBe('admin');
    expect(norm(await page.getByTestId('receipt-sum').locator('dd').textContent())).toBe('1 054,05 ₽');
    expect(await main.locator('.items-table th').allTextContents()).toEqual(['Наименование', 'Количество', 'Цена, ₽', 'Стоимость, ₽', 'НДС']);
    const coffee = main.locator('.items-table tr', { hasText: 'Кофе 250 г' });
    expect(await coffee.locator('td').allTextContents()).toEqual(['Кофе 250 г', '2', '459,90', '919,80', 'Без НДС']);
    expect(await main.locator('.items-table tr', { hasText: 'Сахар' }).locator('td').nth(1).textContent()).toBe('1,5 кг');
    expect((await main.locator('.payments-table td').allTextContents()).map(norm)).toEqual(['Безналичные', '1 054,05']);
    // Breadcrumbs: two links, one separator between them, none after.
    expect(norm(await page.locator('.crumbs').textContent()).trim()).toBe('Кассовые сервисы / Демо-касса');
    await shot('05-receipt');

    // The journal: logins, actions in words, readable details, the failed login.
    await page.getByRole('navigation').getByRole('link', { name: 'Журнал' }).click();
    const failed = page.locator('tr[data-action="auth.login_failed"]').first();
    await failed.waitFor();
    expect(await failed.textContent()).toContain('Неудачный вход');
    expect(await failed.locator('.audit-details').textContent()).toContain('неверный логин или пароль');
    const login = page.locator('tr[data-action="session.login"]').first();
    expect(await login.locator('td').nth(1).textContent()).toBe('admin');
    expect(await login.locator('td').nth(2).textContent()).toBe('Вход в панель');
    const update = page.locator('tr[data-action="service_group.update"]').first();
    expect(await update.locator('td').nth(2).textContent()).toBe('Изменён кассовый сервис');
    expect(await update.locator('td').nth(3).textContent()).toBe('Кассовый сервис №1');
    expect(await page.locator('.audit-table').textContent()).not.toMatch(/[{}]|"[a-z_]+":/);
    await shot('06-journal');

    // A phone: the logged-in user stays visible in the top bar.
    await page.setViewportSize({ width: 375, height: 800 });
    const me = page.getByTestId('me');
    expect(await me.isVisible()).toBe(true);
    expect(await me.textContent()).toBe('admin');
    const box = await me.boundingBox();
    expect(box && box.x + box.width).toBeLessThanOrEqual(375);
    await shot('07-journal-phone');
    await page.goto(`${url}/admin/groups/1/receipts/${id}`);
    await page.getByRole('heading', { name: `Чек №${id}` }).waitFor();
    await shot('08-receipt-phone');

    // English is there too.
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('lang').click();
    await page.getByText('Organisation').waitFor();
    expect(await page.getByTestId('receipt-sum').locator('dd').textContent()).toBe('1,054.05 ₽');
    expect(await main.locator('.items-table tr', { hasText: 'Кофе 250 г' }).locator('td').last().textContent()).toBe('No VAT');
    await page.getByTestId('lang').click();
    await page.getByText('Организация').waitFor();

    expect(problems).toEqual([]);
  }, 180_000);
});

/** Intl puts no-break spaces between digit groups (and before ₽): compare them as spaces. */
const norm = (s: string | null): string => (s ?? '').replace(/\s/g, ' ');

/** The page's session cookie, to read the admin API as the page does. */
async function cookieHeader(page: Page): Promise<string> {
  return (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}
