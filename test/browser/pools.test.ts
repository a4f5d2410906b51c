/**
 * A service group's register pool on the dashboard, in Debian's Chromium: «Добавить кассу» adds a
 * second virtual register through the driver form, «Пуск» drives both (each «Исправна»), «На
 * обслуживание» drains one, «Удалить из пула» is refused for the active one with the server's reason
 * and removes the drained one; the pool thresholds are edited in the group form, the overview names
 * the register in maintenance, and the pool is shown in English too. Screenshots go to screenshotDir().
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from '../../src/main.js';
import { adminApi, CHROMIUM, loginAsAdmin, screenshot, startDashboard } from '../support/web.js';
import { basic, eventually } from '../support/server.js';
import { ORIGINAL_EXAMPLE } from '../api/fixtures.js';

interface GroupView {
  id: number;
  device: { id: number } | null;
  registers: { id: number; service: string; health: { level: string } | null }[];
  settings: { pool_policy: Record<string, number> };
}

describe.runIf(existsSync(CHROMIUM) || process.env.CI === 'true')('register pools on the dashboard (Chromium)', () => {
  let server: Server;
  let browser: Browser;
  let page: Page;
  let problems: string[] = [];
  const shot = (name: string) => screenshot(page, `pools-${name}`);

  beforeAll(async () => {
    ({ server, browser, page, problems } = await startDashboard('pools-browser-test'));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('adds a register, drains it in maintenance, refuses to remove the active one and removes the drained one', async () => {
    const url = server.url;
    const api = await adminApi(url);

    // A service group with one virtual register, through the admin API.
    const created = await api<GroupView>('POST', '/service_groups', {
      name: 'Пул касс',
      driver: 'emulator',
      config: { company_name: 'ООО "Ромашка"', ofd_ack_delay_ms: 50 },
      default_tax_system: 1,
      default_vat: null,
      auto_open_shift: true,
      shift_duration: 1440,
      daily_close_time: null,
    });
    expect(created.registers).toHaveLength(1);
    const first = created.registers[0]!.id;

    await loginAsAdmin(page, url);
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    const card = page.locator(`article[data-group-id="${created.id}"]`);
    await card.waitFor();
    await card.getByRole('button', { name: /Устройство/ }).click();
    const pool = card.getByTestId('register-pool');
    await pool.getByRole('heading', { name: /Кассы/ }).waitFor();
    await expect.poll(() => pool.locator('li[data-register-id]').count()).toBe(1);
    // One register: no register choice for the operations.
    expect(await card.locator('select[name=register_id]').count()).toBe(0);

    // «Добавить кассу»: the model select and the driver's settings form, as in the group form.
    await pool.getByRole('button', { name: 'Добавить кассу' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Новая касса — «Пул касс»' }).waitFor();
    await dialog.locator('select[name=model]').selectOption({ label: 'Виртуальная касса' });
    await dialog.locator('input[name="config.company_name"]').fill('ООО "Ромашка"');
    await dialog.locator('input[name="config.ofd_ack_delay_ms"]').fill('50');
    await shot('01-add-register');
    await dialog.getByRole('button', { name: 'Сохранить' }).click();
    await dialog.waitFor({ state: 'detached' });
    await expect.poll(() => pool.locator('li[data-register-id]').count()).toBe(2);
    const second = Number(await pool.locator('li[data-register-id]').nth(1).getAttribute('data-register-id'));
    expect(second).not.toBe(first);
    await expect.poll(() => pool.getByTestId('pool-notice').textContent()).toBe(`Касса №${second} добавлена в пул.`);
    const one = pool.locator(`li[data-register-id="${first}"]`);
    const two = pool.locator(`li[data-register-id="${second}"]`);
    expect(await one.locator('.tag').textContent()).toBe('основная');

    // «Пуск»: both registers are driven and judged healthy.
    await card.getByRole('button', { name: 'Пуск' }).click();
    await card.getByRole('button', { name: 'Стоп' }).waitFor();
    for (const reg of [one, two]) {
      await expect.poll(() => reg.getByTestId('register-health').textContent(), { timeout: 20_000 }).toBe('Исправна');
      expect(await reg.getByTestId('register-service').textContent()).toBe('В работе');
    }
    // Each has its own FN and registration number, and the forecast of its FN's end.
    await expect.poll(() => two.textContent(), { timeout: 10_000 }).toMatch(/Номер ФН\d+/);
    expect(await two.textContent()).toMatch(/РН ККТ\d+/);
    expect(await two.textContent()).toContain('Доля чеков за час');
    await expect.poll(() => two.textContent()).toMatch(/Срок ФН истекает\d{2}\.\d{2}\.\d{4}/);
    await expect.poll(() => two.textContent()).toContain('pools-browser-test');
    // Two registers: the card's operations name the register they address.
    const choose = card.locator('select[name=register_id]');
    await choose.waitFor();
    expect(await choose.locator('option').allTextContents()).toEqual([`Касса №${first}`, `Касса №${second}`]);
    await choose.selectOption(String(second));
    await card.getByTestId('device-status-of').getByText(`Устройство — касса №${second}`).waitFor();
    await shot('02-pool-running');

    // The shift operations address the chosen register: the second one's shift opens, the first one's stays closed.
    await card.getByRole('button', { name: 'Открыть смену' }).click();
    await expect.poll(() => page.locator('.alert.ok').first().textContent(), { timeout: 20_000 }).toBe(`Пул касс, Касса №${second}: Готово: Открыть смену`);
    const shift = card.locator('.facts > div').filter({ hasText: 'Смена' }).locator('dd');
    await expect.poll(() => shift.textContent()).toMatch(/^открыта №1/);
    await choose.selectOption(String(first));
    await expect.poll(() => shift.textContent()).toBe('закрыта');

    // «Документы ФН» reads the chosen register's FN archive.
    await card.getByRole('link', { name: 'Документы ФН' }).click();
    const docRegister = page.locator('.page-head select[name=register_id]');
    await docRegister.waitFor();
    await page.locator('tr[data-fd]').first().waitFor();
    expect(await page.locator('tr[data-fd]').first().textContent()).not.toContain('Открытие смены');
    await docRegister.selectOption(String(second));
    await expect.poll(() => page.locator('tr[data-fd]').first().textContent()).toContain('Открытие смены');
    await shot('02b-documents-of-register');
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    await card.getByRole('button', { name: /Устройство/ }).click();

    // «На обслуживание»: the second register is drained and no longer available for receipts.
    await two.getByRole('button', { name: 'На обслуживание' }).click();
    await expect.poll(() => two.getAttribute('data-service')).toBe('maintenance');
    expect(await two.getByTestId('register-service').textContent()).toBe('Обслуживание');
    await expect.poll(() => pool.getByTestId('pool-notice').textContent()).toBe(`Касса №${second} на обслуживании: новых чеков она не получит.`);
    await expect.poll(() => two.getByTestId('register-health').textContent(), { timeout: 20_000 }).toBe('Недоступна');
    await two.locator('[data-reason=maintenance]').getByText('На обслуживании').waitFor();
    await two.getByRole('button', { name: 'Вернуть в работу' }).waitFor();
    expect(await choose.locator('option').allTextContents()).toEqual([`Касса №${first}`, `Касса №${second} (Обслуживание)`]);
    await shot('03-maintenance');

    // «Удалить из пула» on the active register: confirmed, then refused with the server's reason.
    await one.getByRole('button', { name: 'Удалить из пула' }).click();
    const confirm = page.getByRole('dialog');
    await confirm.getByRole('heading', { name: `Удалить кассу №${first} из пула?` }).waitFor();
    await confirm.getByRole('button', { name: 'Удалить из пула' }).click();
    await expect.poll(() => confirm.getByRole('alert').textContent()).toContain('Переведите кассу в обслуживание');
    await shot('04-remove-refused');
    await confirm.getByRole('button', { name: 'Отмена' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await one.count()).toBe(1);

    // The overview names the register in maintenance.
    await page.getByRole('navigation').getByRole('link', { name: 'Обзор' }).click();
    const item = page.locator('.attention-list li').filter({ has: page.locator('[data-code=register_maintenance]') });
    await expect.poll(() => item.locator('[data-code=register_maintenance]').textContent()).toBe('Касса на обслуживании');
    expect(await item.textContent()).toContain('Пул касс');
    expect(await item.locator(`[data-device-id="${second}"]`).textContent()).toBe(`Касса ${second}:`);
    await shot('05-overview');

    // Back on the card, «Удалить из пула» on the drained register: it took no receipt, so it is deleted.
    await page.getByRole('navigation').getByRole('link', { name: 'Кассовые сервисы' }).click();
    await card.getByRole('button', { name: /Устройство/ }).click();
    await two.getByRole('button', { name: 'Удалить из пула' }).click();
    await confirm.getByRole('button', { name: 'Удалить из пула' }).click();
    await confirm.waitFor({ state: 'detached' });
    await expect.poll(() => pool.getByTestId('pool-notice').textContent()).toBe(`Касса №${second} удалена из пула.`);
    await expect.poll(() => two.count()).toBe(0);
    expect(await pool.locator('li[data-register-id]').count()).toBe(1);
    expect(await card.locator('select[name=register_id]').count()).toBe(0);
    const after = await api<GroupView>('GET', `/service_groups/${created.id}`);
    expect(after.registers.map((r) => r.id)).toEqual([first]);
    await shot('06-removed');

    // «Пороги пула» in the group form: sent as pool_policy.
    await card.getByRole('button', { name: 'Изменить' }).click();
    const form = page.getByRole('dialog');
    const thresholds = form.getByTestId('pool-policy');
    await thresholds.getByText('Пороги пула').waitFor();
    expect(await thresholds.locator('input[name="pool_policy.warn_days"]').inputValue()).toBe('15');
    await thresholds.getByLabel('Предупреждать о прогнозе ФН за, дней').fill('30');
    await thresholds.getByLabel('Заполнение архива ФН, %').fill('80');
    await shot('07-pool-policy');
    await form.getByRole('button', { name: 'Сохранить' }).click();
    await form.waitFor({ state: 'detached' });
    const saved = await api<GroupView>('GET', `/service_groups/${created.id}`);
    expect(saved.settings.pool_policy).toMatchObject({ warn_days: 30, fn_fill_percent: 80, fn_expiry_days: 3, ofd_backlog_days: 25, shift_margin_min: 30 });

    // A register that receipts name leaves the pool retired: kept, greyed, without actions.
    const third = (await api<GroupView>('POST', `/service_groups/${created.id}/registers`, { driver: 'emulator', config: { company_name: 'ООО "Ромашка"', ofd_ack_delay_ms: 50 } }))
      .registers.find((r) => r.id !== first)!.id;
    await eventually(async () => (await api<GroupView>('GET', `/service_groups/${created.id}`)).registers.every((r) => r.health?.level === 'healthy'), 20_000, 100);
    await api('PATCH', `/service_groups/${created.id}/registers/${third}`, { service: 'maintenance' });
    const sale = await fetch(`${url}/service_groups/${created.id}/receipts/`, { method: 'POST', headers: { authorization: basic('admin', 'admin'), 'content-type': 'application/json' }, body: JSON.stringify(ORIGINAL_EXAMPLE) });
    expect(sale.status).toBe(200);
    const { id: receiptId } = (await sale.json()) as { id: string };
    await eventually(async () => {
      const r = (await (await fetch(`${url}/service_groups/${created.id}/receipts/${receiptId}`, { headers: { authorization: basic('admin', 'admin') } })).json()) as { state: string; registrator_id: number | null };
      return r.state === 'success' && r.registrator_id === first;
    }, 20_000, 100);
    await api('PATCH', `/service_groups/${created.id}/registers/${third}`, { service: 'active' });
    const three = pool.locator(`li[data-register-id="${third}"]`);
    await expect.poll(() => three.getAttribute('data-service'), { timeout: 10_000 }).toBe('active');
    await one.getByRole('button', { name: 'На обслуживание' }).click();
    await expect.poll(() => one.getAttribute('data-service')).toBe('maintenance');
    await one.getByRole('button', { name: 'Удалить из пула' }).click();
    await confirm.getByRole('button', { name: 'Удалить из пула' }).click();
    await confirm.waitFor({ state: 'detached' });
    await expect.poll(() => pool.getByTestId('pool-notice').textContent()).toBe(`Касса №${first} выведена из пула: по ней есть чеки, поэтому она остаётся в списке как «Выведена».`);
    await expect.poll(() => one.getAttribute('data-service')).toBe('retired');
    expect(await one.getByTestId('register-service').textContent()).toBe('Выведена');
    expect(await one.getByRole('button').count()).toBe(0);
    expect(await one.evaluate((el) => Number(getComputedStyle(el).opacity))).toBeLessThan(1);
    await shot('08-retired');

    // The pool in English.
    await page.getByTestId('lang').click();
    await pool.getByRole('heading', { name: /Registers/ }).waitFor();
    await expect.poll(() => three.getByTestId('register-health').textContent()).toBe('Healthy');
    expect(await three.getByTestId('register-service').textContent()).toBe('In service');
    expect(await one.getByTestId('register-service').textContent()).toBe('Retired');
    expect(await pool.getByTestId('pool-notice').textContent()).toBe(`Register #${first} has left the pool: receipts name it, so it stays in the list as “Retired”.`);
    await pool.getByRole('button', { name: 'Add register' }).waitFor();
    await shot('09-pool-en');
    await page.getByTestId('lang').click();
    await pool.getByRole('heading', { name: /Кассы/ }).waitFor();

    expect(problems).toEqual([]);
  }, 180_000);
});
