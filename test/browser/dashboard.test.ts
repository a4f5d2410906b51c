/**
 * The original README's dashboard walk, word for word, in Debian's Chromium: log in as admin,
 * «Пользователи» → «Добавить» → «Сохранить», «Кассовые сервисы» → «Добавить» → model and
 * configuration → «Сохранить», «Настройки доступа» → move the user right, «Пуск», then the new
 * user's receipt reaches the dashboard's receipt list. Screenshots go to screenshotDir() (a temp dir).
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/main.js';
import { CHROMIUM, screenshot, startDashboard } from '../support/web.js';
import { basic } from '../support/server.js';
import { ORIGINAL_EXAMPLE } from '../api/fixtures.js';



describe.runIf(existsSync(CHROMIUM) || process.env.CI === 'true')('dashboard in Chromium (the original README walk)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  const shot = (name: string) => screenshot(page, name);

  beforeAll(async () => {
    ({ server, browser, page, problems } = await startDashboard('browser-test'));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('walks login → users → cash register services → access → start → receipts', async () => {
    const url = server.url;

    // Follow '{your_host_name}/admin/' and log in with superuser credentials (admin/admin in test).
    await page.goto(`${url}/admin/`);
    await page.waitForURL(/\/admin\/login$/);
    await shot('01-login');
    await page.getByLabel('Логин').fill('admin');
    await page.getByLabel('Пароль').fill('admin');
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('heading', { name: 'Обзор' }).waitFor();

    // 'Пользователи' → 'Добавить' → set the user's settings → 'Сохранить' → the user is in the list.
    await page.getByRole('navigation').getByRole('link', { name: 'Пользователи' }).click();
    await page.getByRole('button', { name: 'Добавить' }).click();
    const userDialog = page.getByRole('dialog');
    await userDialog.locator('input[name=login]').fill('demo');
    await userDialog.locator('input[name=name]').fill('Демо Кассир');
    await userDialog.locator('input[name=password]').fill('p@55w0rd');
    await shot('02-user-modal');
    await userDialog.getByRole('button', { name: 'Сохранить' }).click();
    await userDialog.waitFor({ state: 'detached' });
    await expect.poll(() => page.locator('tr[data-login=demo]').count()).toBe(1);
    await shot('03-users');

    // 'Кассовые сервисы' → 'Добавить' → choose the model, set its configuration → 'Сохранить'.
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    await page.locator('[data-group-id="1"]').waitFor();
    await page.getByRole('button', { name: 'Добавить' }).click();
    const groupDialog = page.getByRole('dialog');
    await groupDialog.locator('input[name=name]').fill('Интернет-магазин');
    await groupDialog.locator('select[name=model]').selectOption({ label: 'Виртуальная касса' });
    await groupDialog.locator('input[name="config.company_name"]').fill('ООО "Ромашка"');
    await groupDialog.locator('input[name="config.ofd_ack_delay_ms"]').fill('50');
    await groupDialog.locator('select[name=default_tax_system]').selectOption('1');
    await shot('04-group-modal');
    // Server-side validation names the field.
    await groupDialog.locator('input[name="config.company_inn"]').fill('123');
    await groupDialog.getByRole('button', { name: 'Сохранить' }).click();
    await groupDialog.locator('.field.invalid input[name="config.company_inn"]').waitFor();
    await shot('04b-group-modal-error');
    await groupDialog.locator('input[name="config.company_inn"]').fill('7701234567');
    await groupDialog.getByRole('button', { name: 'Сохранить' }).click();
    await groupDialog.waitFor({ state: 'detached' });
    const card = page.locator('article[data-group="Интернет-магазин"]');
    await card.waitFor();
    const groupId = Number(await card.getAttribute('data-group-id'));
    expect(groupId).toBeGreaterThan(1);

    // 'Настройки доступа' → move the user to the right list with the arrow in the center → save.
    await card.getByRole('button', { name: 'Настройки доступа' }).click();
    const accessDialog = page.getByRole('dialog');
    await accessDialog.locator('[data-testid=access-left] li[data-login=demo]').click();
    await accessDialog.getByRole('button', { name: 'Разрешить' }).click();
    await accessDialog.locator('[data-testid=access-right] li[data-login=demo]').waitFor();
    await shot('05-access-modal');
    await accessDialog.getByRole('button', { name: 'Сохранить' }).click();
    await accessDialog.waitFor({ state: 'detached' });

    // 'Пуск'.
    await card.getByRole('button', { name: 'Пуск' }).click();
    await card.getByRole('button', { name: 'Стоп' }).waitFor();
    await expect.poll(() => card.locator('.badge.ok').count()).toBe(1);
    await shot('06-groups');

    // The new user's Basic-auth POST of the README's example receipt.
    const post = (gid: number) => fetch(`${url}/service_groups/${gid}/receipts/`, {
      method: 'POST',
      headers: { authorization: basic('demo', 'p@55w0rd'), 'content-type': 'application/json' },
      body: JSON.stringify(ORIGINAL_EXAMPLE),
    });
    const res = await post(groupId);
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string; location: string };

    // The receipt appears in the dashboard's list with state success.
    await card.getByRole('link', { name: 'Чеки' }).click();
    const row = page.locator(`tr[data-receipt="${id}"]`);
    await row.waitFor();
    await row.locator('[data-state=success]').waitFor({ timeout: 20_000 });
    await shot('07-receipts');
    await row.click();
    await page.getByRole('heading', { name: `Чек №${id}` }).waitFor();
    await page.getByRole('cell', { name: 'Grain crusher' }).waitFor();
    // The paper receipt is shown right away in a frame (served by the admin API, SAMEORIGIN).
    const paper = page.frameLocator('iframe.print-frame');
    await paper.getByText(/КАССОВЫЙ ЧЕК/).waitFor();
    expect(await paper.locator('.qr svg').count()).toBe(1);
    await expect.poll(() => page.locator('iframe.print-frame').evaluate((f) => f.clientHeight)).toBeGreaterThan(500);
    expect(await page.getByRole('link', { name: /Открыть для печати/ }).getAttribute('href')).toBe(`/admin/api/service_groups/${groupId}/receipts/${id}/print`);
    await shot('08-receipt');
    const fd = (await (await fetch(`${url}/service_groups/${groupId}/receipts/${id}`, { headers: { authorization: basic('demo', 'p@55w0rd') } })).json()) as { receipt_num: number };

    // «Документы ФН»: the FN archive newest first; a click shows the document's FNS JSON.
    await page.locator('.crumbs').getByRole('link', { name: 'Интернет-магазин' }).click();
    await page.locator('.tabs').getByRole('link', { name: 'Документы ФН' }).click();
    const firstDoc = page.locator('tr[data-fd]').first();
    await firstDoc.waitFor();
    expect(Number(await firstDoc.getAttribute('data-fd'))).toBe(fd.receipt_num);
    expect(await page.locator('tr[data-fd]').last().getAttribute('data-fd')).toBe('1');
    await shot('08b-documents');
    await firstDoc.click();
    await page.getByRole('dialog').getByTestId('document-json').getByText(/"receipt"/).waitFor();
    await shot('08c-document-json');
    await page.keyboard.press('Escape');

    // The same user is refused on a group they were not granted (the demo group 1).
    expect((await post(1)).status).toBe(403);

    // Shift state and device details after the receipt.
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    await card.getByRole('button', { name: /Устройство/ }).click();
    await card.locator('.device-details').waitFor();
    await shot('09-groups-details');

    // «Имитация неисправностей (для тестов)»: a slow register keeps the next receipt pending ...
    const faults = card.getByTestId('fault-panel');
    await faults.getByText('Имитация неисправностей (для тестов)').waitFor();
    await faults.locator('select[name=fault_kind]').selectOption('slow');
    await faults.locator('input[name=fault_delay]').fill('1500');
    await faults.getByRole('button', { name: 'Включить' }).click();
    await faults.locator('[data-fault=slow]').waitFor();
    await shot('09b-faults');
    await post(groupId);
    const { id: queued } = (await (await post(groupId)).json()) as { id: string };

    // ... which the receipt page cancels (confirm dialog), then retries once the fault is cleared.
    await page.goto(`${url}/admin/groups/${groupId}/receipts/${queued}`);
    await page.getByTestId('cancel').click();
    await page.getByRole('dialog').getByText('Чек ещё не пробит').waitFor();
    await shot('09c-cancel-confirm');
    await page.getByRole('dialog').getByRole('button', { name: 'Отменить чек' }).click();
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    await page.locator('.page-head [data-state=failed]').waitFor();
    await page.getByText('canceled', { exact: true }).waitFor();
    await shot('09d-receipt-canceled');
    await page.goto(`${url}/admin/groups`);
    await card.getByRole('button', { name: /Устройство/ }).click();
    await faults.getByRole('button', { name: 'Сбросить все' }).click();
    await faults.getByText('Неисправностей нет.').waitFor();
    await page.goto(`${url}/admin/groups/${groupId}/receipts/${queued}`);
    await page.getByTestId('retry').click();
    await page.getByRole('dialog').getByRole('button', { name: 'Повторить' }).click();
    await page.locator('.page-head [data-state=success]').waitFor({ timeout: 20_000 });
    await page.frameLocator('iframe.print-frame').getByText(/КАССОВЫЙ ЧЕК/).waitFor();
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    await card.waitFor();

    await page.getByRole('navigation').getByRole('link', { name: 'Обзор' }).click();
    await page.locator('svg.chart rect').first().waitFor();
    await shot('10-overview');
    await page.getByRole('navigation').getByRole('link', { name: 'Журнал' }).click();
    // Actions are named in words; the code stays on the row for tools.
    for (const [action, words] of [['service_group.access', 'Изменён доступ'], ['receipt.cancel', 'Чек отменён'], ['receipt.retry', 'Чек отправлен повторно'], ['device.fault_inject', 'Включена имитация неисправности'], ['device.fault_clear', 'Сброшены неисправности']] as const) {
      await page.locator(`tr[data-action="${action}"]`).first().getByText(words, { exact: true }).waitFor();
    }
    await shot('11-audit');

    // English, persisted across reloads.
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    await page.getByTestId('lang').click();
    await page.getByRole('heading', { name: 'Cash register services' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Cash register services' }).waitFor();
    await shot('12-groups-en');
    await page.getByTestId('lang').click();
    await page.getByRole('heading', { name: 'Кассовые сервисы' }).waitFor();

    // Phone width.
    await page.setViewportSize({ width: 375, height: 800 });
    await shot('13-groups-phone');
    await page.goto(`${url}/admin/groups/${groupId}/receipts`);
    await row.waitFor();
    await shot('14-receipts-phone');
    await page.goto(`${url}/admin/groups`);
    await page.locator(`article[data-group-id="${groupId}"]`).getByRole('button', { name: 'Настройки доступа' }).click();
    await shot('15-access-phone');

    expect(problems).toEqual([]);
  }, 180_000);
});
