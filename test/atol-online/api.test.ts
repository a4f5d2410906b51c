import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS, postgresReachable } from '../support/databases.js';
import { eventually, testServer, type TestServer } from '../support/server.js';
import { createGroupRepository } from '../../src/storage/groups.js';
import { createUserRepository } from '../../src/storage/users.js';
import { hashPassword } from '../../src/services/passwords.js';
import { apiUser, atolGroup, containing, fixture, matching, satisfies, shapeDiff, TIMESTAMP, UUID, type Json } from './helpers.js';

const pgOk = await postgresReachable();

type Reply = { uuid?: string; status?: string; error: { error_id: string; code: number; text: string; type: string } | null; timestamp: string } & Json;

/**
 * The contract of the ATOL Online-compatible API, driven the way ATOL's clients drive ATOL: ATOL's
 * example requests (and v5 requests written from its field list) in, answers checked against ATOL's
 * published schemas and the shape of its example answers. The receipts are native receipts: each
 * one is read through the native API too.
 */
describe.each(BACKENDS)('ATOL Online API on %s', (backend) => {
  const skip = backend === 'postgres' && !pgOk;
  let s: TestServer;
  let g105 = 0;
  let g120 = 0;
  let cashierToken = '';
  const V4 = 'shop-v4_105';
  const V5 = 'shop-v5_120';
  const OTHER = 'other-shop';

  const inject = (method: 'GET' | 'POST', url: string, opts: { token?: string; payload?: unknown; headers?: Record<string, string> } = {}) =>
    s.app.inject({
      method,
      url,
      headers: { ...(opts.token === undefined ? {} : { token: opts.token }), ...opts.headers },
      ...(opts.payload === undefined ? {} : { payload: opts.payload as Json }),
    });
  const getToken = async (login: string, pass: string, version = 'v4'): Promise<string> => {
    const r = await inject('POST', `/possystem/${version}/getToken`, { payload: { login, pass } });
    expect(r.statusCode, r.body).toBe(200);
    return r.json<{ token: string }>().token;
  };
  const register = (version: string, code: string, op: string, body: unknown, token = cashierToken) => inject('POST', `/possystem/${version}/${code}/${op}`, { token, payload: body });
  const report = (version: string, code: string, uuid: string, token = cashierToken) => inject('GET', `/possystem/${version}/${code}/report/${uuid}`, { token });
  const final = (version: string, code: string, uuid: string) =>
    eventually(async () => {
      const r = (await report(version, code, uuid)).json<Reply>();
      return r.status === 'wait' ? null : r;
    }, 20_000);
  /** The native receipt behind an ATOL document, through the native API (its order_id is the external_id). */
  const native = async (groupId: number, externalId: string) => {
    const list = (await s.app.inject({ url: `/service_groups/${groupId}/receipts/?order_id=${encodeURIComponent(externalId)}`, headers: { authorization: s.admin } })).json<{ items: Json[] }>();
    return list.items;
  };
  const withoutCallback = <T extends Json>(body: T): T => {
    delete body.service;
    return body;
  };
  let seq = 0;
  const fresh = <T extends Json>(body: T, prefix = 'ext'): T => ({ ...withoutCallback(body), external_id: `${prefix}-${backend}-${++seq}` });

  beforeAll(async () => {
    if (skip) return;
    s = await testServer(backend);
    g105 = await atolGroup(s, V4, { ffd_version: '105' });
    g120 = await atolGroup(s, V5, { ffd_version: '120' });
    const other = await atolGroup(s, OTHER, { ffd_version: '105' });
    await apiUser(s, 'cashier', 'secret-1', [g105, g120]);
    await apiUser(s, 'outsider', 'secret-2', [other]);
    cashierToken = await getToken('cashier', 'secret-1');
  }, 120_000);
  afterAll(async () => {
    if (!skip) await s.cleanup();
  });

  describe('getToken', () => {
    it.skipIf(skip)('answers a token as ATOL does, by POST and by GET, for v4 and v5', async () => {
      for (const version of ['v4', 'v5']) {
        const post = await inject('POST', `/possystem/${version}/getToken`, { payload: { login: 'cashier', pass: 'secret-1', source: 'my_cms' } });
        const get = await inject('GET', `/possystem/${version}/getToken?login=cashier&pass=secret-1`);
        for (const r of [post, get]) {
          expect(r.statusCode, r.body).toBe(200);
          const body = r.json<Json>();
          expect(shapeDiff(fixture('responses/get-token-success.json'), body)).toEqual({ missing: [], mismatched: [] });
          expect(body).toMatchObject({ error: null, token: matching(/^[A-Za-z0-9_-]{64}$/), timestamp: matching(TIMESTAMP) });
        }
        expect(post.json<Json>().token).not.toBe(get.json<Json>().token);
      }
    });

    it.skipIf(skip)('refuses a wrong password with 12, a malformed login with 32 naming it as ATOL does', async () => {
      const wrong = await inject('POST', '/possystem/v4/getToken', { payload: { login: 'cashier', pass: 'nope' } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json<Reply>()).toMatchObject({ error: { code: 12, type: 'system', text: 'Неверный логин или пароль', error_id: matching(UUID) }, timestamp: matching(TIMESTAMP) });
      expect(wrong.json<Json>()).not.toHaveProperty('token');

      const invalid = await inject('POST', '/possystem/v4/getToken', { payload: { login: 'with space', pass: 'x' } });
      expect(invalid.statusCode).toBe(400);
      const sample = fixture<Reply>('responses/get-token-validation-32.json');
      expect(invalid.json<Reply>()).toMatchObject({ status: 'fail', error: { code: 32, type: 'system', text: sample.error?.text } });
      expect(shapeDiff(sample, invalid.json<Json>())).toEqual({ missing: [], mismatched: [] });

      const missing = await inject('GET', '/possystem/v5/getToken?login=cashier');
      expect(missing.json<Reply>().error?.text).toBe('Ошибка валидации входящего чека. Ошибочные поля : PropertyRequired: #/pass');
    });

    it.skipIf(skip)('never writes the password or the token of a query to the log', async () => {
      const { redactUrl } = await import('../../src/atol-online/routes.js');
      expect(redactUrl('/possystem/v4/getToken?login=cashier&pass=S3cr3t&source=x')).toBe('/possystem/v4/getToken?login=cashier&pass=[redacted]&source=x');
      expect(redactUrl('/possystem/v4/g/report/u?token=abc&tokenid=def')).toBe('/possystem/v4/g/report/u?token=[redacted]&tokenid=[redacted]');
    });
  });

  describe('tokens', () => {
    it.skipIf(skip)('is accepted in the Token header and in ?token=, and refused as ATOL refuses', async () => {
      const body = fresh(fixture('requests/v4-sell.json'));
      const byQuery = await inject('POST', `/possystem/v4/${V4}/sell?token=${cashierToken}`, { payload: body });
      expect(byQuery.statusCode, byQuery.body).toBe(200);

      const none = await register('v4', V4, 'sell', fresh(fixture('requests/v4-sell.json')), '');
      expect(none.statusCode).toBe(401);
      expect(none.json<Reply>().error).toMatchObject({ code: 10, text: 'Не распознан токен запроса', type: 'system' });
      expect(shapeDiff(fixture('responses/get-token-missing-token-10.json'), none.json<Json>())).toEqual({ missing: [], mismatched: [] });
      const unknown = await register('v4', V4, 'sell', fresh(fixture('requests/v4-sell.json')), 'not-a-token');
      expect(unknown.json<Reply>().error?.code).toBe(10);
    });

    it.skipIf(skip)('expires after 24 h (an expired row) and when the password changes: 11', async () => {
      const users = createUserRepository(s.db.kysely);
      const u = await users.create({ login: 'expiring', name: 'e', passwordHash: await hashPassword('pw-1'), isActive: true, isSuperuser: true }, Date.now());
      const token = await getToken('expiring', 'pw-1');
      const ok = await register('v4', V4, 'sell', fresh(fixture('requests/v4-sell.json')), token);
      expect(ok.statusCode, ok.body).toBe(200);

      // Issued 24 h ago: the row says so.
      const rows = await s.db.kysely.selectFrom('atol_tokens').selectAll().where('user_id', '=', u.id).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.token_hash).not.toBe(token);
      expect(Number(rows[0]?.expires_at) - Number(rows[0]?.created_at)).toBe(24 * 3_600_000);
      await s.db.kysely.updateTable('atol_tokens').set({ expires_at: Date.now() - 1 }).where('user_id', '=', u.id).execute();
      const expired = await register('v4', V4, 'sell', fresh(fixture('requests/v4-sell.json')), token);
      expect(expired.statusCode).toBe(401);
      expect(expired.json<Reply>().error).toMatchObject({ code: 11, text: 'Переданный токен не активен' });
      expect(shapeDiff(fixture('responses/expired-token-11.json'), expired.json<Json>())).toEqual({ missing: [], mismatched: [] });

      const second = await getToken('expiring', 'pw-1');
      expect((await report('v4', V4, ok.json<Reply>().uuid ?? '', second)).statusCode).toBe(200);
      await users.update(u.id, { passwordHash: await hashPassword('pw-2') }, Date.now());
      const changed = await report('v4', V4, ok.json<Reply>().uuid ?? '', second);
      expect(changed.statusCode).toBe(401);
      expect(changed.json<Reply>().error?.code).toBe(11);
    });
  });

  describe('access', () => {
    it.skipIf(skip)('answers 20 for a group code that is not the token user\'s, or no group\'s; superusers reach every group', async () => {
      const outsider = await getToken('outsider', 'secret-2');
      const foreign = await register('v4', V4, 'sell', fresh(fixture('requests/v4-sell.json')), outsider);
      expect(foreign.statusCode).toBe(401);
      expect(foreign.json<Reply>().error).toMatchObject({ code: 20, type: 'system' });
      const nowhere = await register('v4', 'no-such-group', 'sell', fresh(fixture('requests/v4-sell.json')));
      expect(nowhere.json<Reply>().error?.code).toBe(20);

      const accepted = (await register('v4', V4, 'sell', fresh(fixture('requests/v4-sell.json')))).json<Reply>();
      expect((await report('v4', V4, accepted.uuid ?? '', outsider)).json<Reply>().error?.code).toBe(20);
      // The same uuid under another group's code (the outsider's own group): not a document of that group.
      const elsewhere = await report('v4', OTHER, accepted.uuid ?? '', outsider);
      expect(elsewhere.statusCode).toBe(400);
      expect(elsewhere.json<Reply>()).toMatchObject({ status: 'fail', error: { code: 30 } });

      const admin = await getToken('admin', 'admin');
      expect((await register('v4', OTHER, 'sell', fresh(fixture('requests/v4-sell.json')), admin)).statusCode).toBe(200);
    });

    it.skipIf(skip)('refuses v5 on an FFD 1.05 register (21) and operations a version lacks (31)', async () => {
      const v5 = await register('v5', V4, 'sell', fresh(fixture('requests/v5-sell.json')));
      expect(v5.statusCode).toBe(401);
      expect(v5.json<Reply>().error?.code).toBe(21);
      const lacking = await register('v4', V4, 'sell_refund_correction', fresh(fixture('requests/v4-correction.json')));
      expect(lacking.statusCode).toBe(400);
      expect(lacking.json<Reply>().error).toMatchObject({ code: 31, text: 'Операция "sell_refund_correction" не поддерживается в протоколе v4' });
      expect((await register('v4', V4, 'refund', {})).json<Reply>().error?.code).toBe(31);
    });
  });

  describe('documents', () => {
    const v4Operations = ['sell', 'sell_refund', 'buy', 'buy_refund', 'sell_correction', 'buy_correction'] as const;
    const v5Operations = [...v4Operations, 'sell_refund_correction', 'buy_refund_correction'] as const;

    it.skipIf(skip)('registers every v4 operation: accepted as ATOL answers, done with the payload, the same receipt in the native API', async () => {
      for (const op of v4Operations) {
        const correction = op.endsWith('correction');
        const body = fresh(fixture<Json>(correction ? 'requests/v4-correction.json' : 'requests/v4-sell.json'), `v4-${op}`);
        // cr-server sends an electronic copy of every document: a v4 correction names the seller's address.
        if (correction) (body.correction as { company: Json }).company.email = 'chek@romashka.ru';
        expect(satisfies(correction ? 'v4-correction-request.json' : 'v4-sell-request.json', body).errors).toEqual([]);
        const res = await register('v4', V4, op, body);
        expect(res.statusCode, `${op}: ${res.body}`).toBe(200);
        const accepted = res.json<Reply>();
        expect(accepted).toMatchObject({ uuid: matching(UUID), status: 'wait', error: null, timestamp: matching(TIMESTAMP) });
        expect(satisfies('v4-registration-response.json', accepted).errors).toEqual([]);
        expect(shapeDiff(fixture('responses/registration-accepted.json'), accepted)).toEqual({ missing: [], mismatched: [] });

        const done = await final('v4', V4, accepted.uuid ?? '');
        expect(done.status, `${op}: ${JSON.stringify(done.error)}`).toBe('done');
        expect(satisfies('v4-report-response.json', { ...done, warnings: done.warnings ?? {} }).errors).toEqual([]);
        expect(shapeDiff(fixture('responses/report-done.json'), done)).toEqual({ missing: [], mismatched: [] });
        expect(done).toMatchObject({ uuid: accepted.uuid, group_code: V4, daemon_code: 'cr-server', external_id: body.external_id, callback_url: '', warnings: null, error: null });

        const [receipt] = await native(g105, String(body.external_id));
        expect(receipt, op).toBeDefined();
        const payload = done.payload as Json;
        expect(payload).toMatchObject({
          fiscal_document_number: receipt?.receipt_num,
          fiscal_document_attribute: Number(receipt?.fiscal_sign),
          shift_number: receipt?.shift_num,
          fiscal_receipt_number: receipt?.receipt_in_shift_num,
          fn_number: receipt?.fn_serial,
          ecr_registration_number: receipt?.registration_number,
          total: correction ? 2000 : 400,
          fns_site: 'www.nalog.gov.ru',
          ofd_inn: receipt?.ofd_inn,
          receipt_datetime: matching(TIMESTAMP),
        });
        // The register's local time, as its QR code shows it.
        const iso = String(receipt?.registration_datetime);
        expect(payload.receipt_datetime).toBe(`${iso.slice(8, 10)}.${iso.slice(5, 7)}.${iso.slice(0, 4)} ${iso.slice(11, 19)}`);
        expect(receipt).toMatchObject({ state: 'success', order_id: body.external_id });
      }
    });

    it.skipIf(skip)('registers a v4 correction of ATOL\'s example: a line per VAT rate, the rest of the payments without VAT', async () => {
      const body = fresh(fixture<Json>('requests/v4-correction.json'), 'v4-corr-lines');
      (body.correction as { company: Json }).company.email = 'chek@romashka.ru';
      const accepted = (await register('v4', V4, 'sell_correction', body)).json<Reply>();
      expect((await final('v4', V4, accepted.uuid ?? '')).status).toBe('done');
      const [receipt] = await native(g105, String(body.external_id));
      expect(receipt).toMatchObject({ receiptType: 7, commodities_total_cost: '2000.00', correction_data: { doc_number: '1175', correction_date: '2017-07-25', precept: false } });
      expect((receipt?.commodities as Json[]).map((c) => [c.tax_type, c.total])).toEqual([['vat20', '60.00'], ['vat10', '220.00'], ['none', '1720.00']]);
    });

    it.skipIf(skip)('registers every v5 operation on an FFD 1.2 register, with marking, agents, buyer and props', async () => {
      for (const op of v5Operations) {
        const correction = op.endsWith('correction');
        const body = fresh(fixture<Json>(correction ? 'requests/v5-correction.json' : 'requests/v5-sell.json'), `v5-${op}`);
        if (!correction && op !== 'sell') {
          // Refunds and purchases of marked goods carry other planned statuses: the plain lines only.
          const receipt = body.receipt as { items: Json[]; payments: Json[]; vats?: unknown; total: number };
          receipt.items = receipt.items.slice(2);
          delete receipt.vats;
          receipt.payments = [{ type: 1, sum: 1840 }];
          receipt.total = 1840;
        }
        const res = await register('v5', V5, op, body);
        expect(res.statusCode, `${op}: ${res.body}`).toBe(200);
        const accepted = res.json<Reply>();
        expect(satisfies('v4-registration-response.json', accepted).errors).toEqual([]);
        const done = await final('v5', V5, accepted.uuid ?? '');
        expect(done.status, `${op}: ${JSON.stringify(done.error)}`).toBe('done');
        expect(satisfies('v4-report-response.json', { ...done, warnings: done.warnings ?? {} }).errors).toEqual([]);
        const [receipt] = await native(g120, String(body.external_id));
        expect(receipt).toMatchObject({ state: 'success', ffd_version: '120' });
        if (op === 'sell') {
          expect(done.payload).toMatchObject({
            total: 6920,
            marks_result: [
              { position: 0, mark_code: (body.receipt as { items: { mark_code: { gs1m: string } }[] }).items[0]?.mark_code.gs1m, result: 15 },
              { position: 1, result: 15 },
            ],
          });
          const items = receipt?.commodities as Json[];
          expect(items[0]).toMatchObject({ commodity_type_int: 33, planned_status: 1, marking_check: { result: 15 }, industry_requisites: [{ foiv_id: '030', doc_number: '1944' }] });
          expect(items[1]).toMatchObject({ fractional_quantity: { numerator: 3, denominator: 10 }, planned_status: 2 });
          expect(items[2]).toMatchObject({ agent_sign: 32, agent: { operation: 'Комиссия', phones: ['+74951234567'] }, supplier: { inn: '7707083893', name: 'ООО «Партнёр»', phones: ['+74957654321'] } });
          expect(items[3]).toMatchObject({ product_code: { kind: 'ean13', value: '4601234567893' }, tax_type: 'vat22' });
          expect(receipt).toMatchObject({
            buyer: { name: 'ООО «Покупатель»', inn: '7736207543' },
            phone_number: '+79161234567',
            cashier: { name: 'Петрова А.А.', inn: '500100732259' },
            user_requisite: { name: 'Номер заказа', value: '200777' },
            operational_requisite: { id: 0, data: 'Доставка курьером', date_time: '2026-03-14T12:15:30' },
          });
        }
        if (op === 'sell_refund_correction') {
          expect(receipt).toMatchObject({ receiptType: 8, email: 'buyer@example.ru', correction_data: { doc_number: '12/3-45', correction_date: '2026-03-10', precept: true } });
        }
      }
    });

    it.skipIf(skip)('answers a resent external_id with 33 and the first uuid, whatever the body, and never makes a second document', async () => {
      const body = fresh(fixture<Json>('requests/v4-sell.json'), 'dup');
      const first = (await register('v4', V4, 'sell', body)).json<Reply>();
      const again = await register('v4', V4, 'sell', body);
      expect(again.statusCode).toBe(400);
      expect(again.json<Reply>()).toMatchObject({
        uuid: first.uuid, status: 'wait',
        error: { code: 33, type: 'system', text: `В системе существует чек с external_id : "${String(body.external_id)}" и group_code: "${V4}"` },
      });
      const changed = { ...body, receipt: { ...(body.receipt as Json), total: 1 } };
      expect((await register('v4', V4, 'sell', changed)).json<Reply>()).toMatchObject({ uuid: first.uuid, error: { code: 33 } });
      // Ten at once: one document, one uuid.
      const burst = fresh(fixture<Json>('requests/v4-sell.json'), 'burst');
      const replies = await Promise.all(Array.from({ length: 10 }, () => register('v4', V4, 'sell', burst)));
      const uuids = new Set(replies.map((r) => r.json<Reply>().uuid));
      expect(uuids.size).toBe(1);
      expect(replies.filter((r) => r.statusCode === 200)).toHaveLength(1);
      expect(replies.filter((r) => r.json<Reply>().error?.code === 33)).toHaveLength(9);
      await final('v4', V4, [...uuids][0] ?? '');
      expect(await native(g105, String(burst.external_id))).toHaveLength(1);
      expect(await native(g105, String(body.external_id))).toHaveLength(1);
      // external_id is scoped to the group code: another group's document of the same id is another document.
      const elsewhere = await register('v4', OTHER, 'sell', body, await getToken('admin', 'admin'));
      expect(elsewhere.statusCode, elsewhere.body).toBe(200);
      expect(elsewhere.json<Reply>().uuid).not.toBe(first.uuid);
    });

    it.skipIf(skip)('reports as ATOL does: wait with 34 before the end, fail with a driver error for a refusal, a system error for a cancel', async () => {
      const code = `faulty-${backend}`;
      const g = await atolGroup(s, code, { ffd_version: '105' });
      const admin = await getToken('admin', 'admin');
      const rest = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Json) =>
        s.app.inject({ method, url, headers: { authorization: s.admin }, ...(payload ? { payload } : {}) });
      const send = async (prefix: string) => {
        const body = fresh(fixture<Json>('requests/v4-sell.json'), prefix);
        const r = await register('v4', code, 'sell', body, admin);
        expect(r.statusCode, r.body).toBe(200);
        return { uuid: r.json<Reply>().uuid ?? '', externalId: String(body.external_id) };
      };
      const reportOf = async (uuid: string) => (await report('v4', code, uuid, admin)).json<Reply>();
      const finalOf = (uuid: string) => eventually(async () => {
        const r = await reportOf(uuid);
        return r.status === 'wait' ? null : r;
      }, 20_000);

      // The shift is open after the first document.
      expect((await finalOf((await send('warmup')).uuid)).status).toBe('done');

      // A slow register: A is at the device, B waits behind it.
      expect((await rest('POST', `/service_groups/${g}/device/faults`, { kind: 'slow', delay_ms: 1500 })).statusCode).toBe(200);
      const a = await send('slow-a');
      const b = await send('slow-b');
      const waiting = await report('v4', code, a.uuid, admin);
      expect(waiting.statusCode).toBe(200);
      expect(waiting.json<Reply>()).toMatchObject({ uuid: a.uuid, status: 'wait', payload: null, error: { code: 34, type: 'system', text: 'Состояние чека не найдено. Попробуйте позднее' } });
      expect(shapeDiff(fixture('responses/report-wait-34.json'), waiting.json<Json>())).toEqual({ missing: [], mismatched: [] });
      const [pendingB] = await native(g, b.externalId);
      const cancel = await rest('POST', `/service_groups/${g}/receipts/${String(pendingB?.id)}/cancel`);
      expect(cancel.statusCode, cancel.body).toBe(200);
      await rest('DELETE', `/service_groups/${g}/device/faults`);
      expect((await finalOf(a.uuid)).status).toBe('done');
      const canceled = await finalOf(b.uuid);
      expect(canceled).toMatchObject({ status: 'fail', payload: null, error: { code: 1, type: 'system' } });
      expect(canceled.error?.text).toContain('Отменён администратором');

      // The FN refuses the next document: a driver error with the ATOL driver's code (120, FN expired).
      expect((await rest('POST', `/service_groups/${g}/device/faults`, { kind: 'fn_expired', times: 1 })).statusCode).toBe(200);
      const refused = await finalOf((await send('refused')).uuid);
      expect(refused).toMatchObject({ status: 'fail', payload: null, device_code: null, error: { code: 120, type: 'driver', text: matching(/^Срок действия фискального накопителя истёк/) } });
      expect(satisfies('v4-report-response.json', { ...refused, device_code: '', warnings: {} }).errors).toEqual([]);
      expect(shapeDiff(fixture('responses/report-fail-agent-2009.json'), refused)).toEqual({ missing: [], mismatched: [] });

      // A stopped group takes no documents: the native API's 503, ATOL's code 50.
      await createGroupRepository(s.db).setRunning(g, false, Date.now());
      await s.workers.reconcile();
      const stopped = await register('v4', code, 'sell', fresh(fixture<Json>('requests/v4-sell.json')), admin);
      expect(stopped.statusCode).toBe(503);
      expect(stopped.json<Reply>().error).toMatchObject({ code: 50, type: 'system', text: containing('остановлен') });
      expect(shapeDiff(fixture('responses/server-error-50.json'), stopped.json<Json>())).toEqual({ missing: [], mismatched: [] });

      const unknown = await report('v4', code, '00000000-0000-4000-8000-000000000000', admin);
      expect(unknown.statusCode).toBe(400);
      expect(unknown.json<Reply>()).toMatchObject({ status: 'fail', error: { code: 30, type: 'system', text: 'Передан некорректный UUID : "00000000-0000-4000-8000-000000000000". Необходимо повторить запрос с корректными данными' } });
      expect(shapeDiff(fixture('responses/report-bad-uuid-30.json'), unknown.json<Json>())).toEqual({ missing: [], mismatched: [] });
    });
  });

  describe('validation', () => {
    const refused = async (version: string, code: string, op: string, body: unknown) => {
      const r = await register(version, code, op, body);
      expect(r.statusCode, r.body).toBe(400);
      const reply = r.json<Reply>();
      expect(reply).toMatchObject({ status: 'fail', error: { code: 32, type: 'system' }, timestamp: matching(TIMESTAMP) });
      expect(reply).not.toHaveProperty('uuid');
      expect(satisfies('v4-registration-response.json', { ...reply, uuid: '' }).errors).toEqual([]);
      return reply.error?.text ?? '';
    };

    it.skipIf(skip)('names a schema violation as ATOL does: <Kind>: #/pointer', async () => {
      const body = fresh(fixture<Json>('requests/v4-sell.json'));
      delete ((body.receipt as { items: Json[] }).items[0] as Json).sum;
      expect(await refused('v4', V4, 'sell', body)).toBe('Ошибка валидации входящего чека. Ошибочные поля : PropertyRequired: #/receipt/items/0/sum');
      const long = fresh(fixture<Json>('requests/v4-sell.json'));
      ((long.receipt as { items: Json[] }).items[1] as Json).name = 'x'.repeat(129);
      expect(await refused('v4', V4, 'sell', long)).toContain('StringTooLong: #/receipt/items/1/name');
      const type = fresh(fixture<Json>('requests/v4-sell.json'));
      (type.receipt as Json).total = '400';
      expect(await refused('v4', V4, 'sell', type)).toContain('NumberExpected: #/receipt/total');
      const vat18 = fresh(fixture<Json>('requests/v4-sell.json'));
      ((vat18.receipt as { items: { vat: Json }[] }).items[0] as { vat: Json }).vat.type = 'vat18';
      expect(await refused('v4', V4, 'sell', vat18)).toContain('NotInEnumeration: #/receipt/items/0/vat/type');
      const noItems = fresh(fixture<Json>('requests/v4-correction.json'));
      expect(await refused('v4', V4, 'sell', noItems)).toContain('PropertyRequired: #/receipt');
    });

    it.skipIf(skip)('checks sums, VAT and the INN the way ATOL does, and the native fiscal rules in one place', async () => {
      const sum = fresh(fixture<Json>('requests/v4-sell.json'));
      ((sum.receipt as { items: Json[] }).items[0] as Json).sum = 299;
      expect(await refused('v4', V4, 'sell', sum)).toContain('IncorrectValue: #/receipt/items/0/sum');
      const vat = fresh(fixture<Json>('requests/v4-sell.json'));
      ((vat.receipt as { items: { vat: Json }[] }).items[0] as { vat: Json }).vat.sum = 60;
      expect(await refused('v4', V4, 'sell', vat)).toContain('IncorrectValue: #/receipt/items/0/vat/sum');
      const vats = fresh(fixture<Json>('requests/v4-sell.json'));
      (vats.receipt as Json).vats = [{ type: 'vat20', sum: 40 }, { type: 'vat10', sum: 9.09 }];
      expect(await refused('v4', V4, 'sell', vats)).toContain('IncorrectValue: #/receipt/vats/0/sum');
      (vats.receipt as Json).vats = [{ type: 'vat0', sum: 0 }];
      expect(await refused('v4', V4, 'sell', vats)).toContain('IncorrectValue: #/receipt/vats/0/type');
      const inn = fresh(fixture<Json>('requests/v4-sell.json'));
      ((inn.receipt as { company: Json }).company).inn = '7707083893';
      expect(await refused('v4', V4, 'sell', inn)).toContain('IncorrectValue: #/receipt/company/inn (ИНН 7707083893 не совпадает с ИНН 770123456703');
      const paid = fresh(fixture<Json>('requests/v4-sell.json'));
      (paid.receipt as Json).payments = [{ type: 1, sum: 300 }];
      expect(await refused('v4', V4, 'sell', paid)).toContain('InsufficientPayment: #/receipt/payments (сумма оплат меньше итога чека)');
      const email = fresh(fixture<Json>('requests/v4-sell.json'));
      ((email.receipt as { client: Json }).client).email = 'not-an-email';
      expect(await refused('v4', V4, 'sell', email)).toContain('InvalidEmail: #/receipt/client/email');
      // FFD 1.2 content a 1.05 register cannot take: the native 422, named by its ATOL field.
      const buyer = fresh(fixture<Json>('requests/v4-sell.json'));
      ((buyer.receipt as { client: Json }).client).inn = '7736207543';
      expect(await refused('v4', V4, 'sell', buyer)).toContain('RequiresFfd12: #/receipt/client (реквизит есть только в ФФД 1.2');
      const noContact = fresh(fixture<Json>('requests/v4-correction.json'));
      expect(await refused('v4', V4, 'sell_correction', noContact)).toContain('PropertyRequired: #/correction/company/email');
      const marked = fresh(fixture<Json>('requests/v5-sell.json'));
      ((marked.receipt as { items: Json[] }).items[0] as Json).mark_code = { gs1m: 'MDEwNDYwMTY2MjAwMDAxNzIxNU41UUs4YllLT2lxcB05MUVFMTAdOTJMM3c3b1hIcmhRS0FjSUppT0Y5dUhneDM3eU5ocEdjNUFVclpFSFFkSE8wPQ==' }; // a GTIN whose check digit is wrong
      expect(await refused('v5', V5, 'sell', marked)).toContain('InvalidMarkingCode: #/receipt/items/0/mark_code/gs1m');
    });

    it.skipIf(skip)('answers a wrong Content-Type with 41 and malformed JSON with 40', async () => {
      const ct = await inject('POST', `/possystem/v4/${V4}/sell`, { token: cashierToken, payload: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(ct.statusCode).toBe(415);
      expect(ct.json<Reply>().error?.code).toBe(41);
      const bad = await inject('POST', `/possystem/v4/${V4}/sell`, { token: cashierToken, payload: '{"timestamp":', headers: { 'content-type': 'application/json; charset=utf-8' } });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<Reply>().error?.code).toBe(40);
    });
  });

  describe('callback_url', () => {
    it.skipIf(skip)('takes a URL matching ATOL\'s mask onto the native receipt, and reports one that does not in warnings', async () => {
      const masked = fresh(fixture<Json>('requests/v4-sell.json'), 'cb-bad');
      masked.service = { callback_url: 'ftp://shop.example.ru/cb' };
      const accepted = (await register('v4', V4, 'sell', masked)).json<Reply>();
      const r = await final('v4', V4, accepted.uuid ?? '');
      expect(r).toMatchObject({ callback_url: 'ftp://shop.example.ru/cb', warnings: { callback_url: 'callback_url не соответствует маске' } });
      expect(satisfies('v4-report-response.json', r).errors).toEqual([]);
      const rows = await s.db.kysely.selectFrom('receipts').select(['callback_url']).where('order_id', '=', String(masked.external_id)).execute();
      expect(rows.map((x) => x.callback_url)).toEqual([null]);

      const good = fresh(fixture<Json>('requests/v4-sell.json'), 'cb-good');
      good.service = { callback_url: 'https://shop.example.ru/atol/callback' };
      const ok = (await register('v4', V4, 'sell', good)).json<Reply>();
      const rep = await final('v4', V4, ok.uuid ?? '');
      expect(rep).toMatchObject({ callback_url: 'https://shop.example.ru/atol/callback', warnings: null });
      const stored = await s.db.kysely.selectFrom('receipts').select(['callback_url']).where('order_id', '=', String(good.external_id)).execute();
      expect(stored.map((x) => x.callback_url)).toEqual(['https://shop.example.ru/atol/callback']);
    });
  });

  it.skipIf(skip)('answers unknown paths under /possystem in ATOL\'s envelope', async () => {
    const r = await inject('GET', '/possystem/v3/getToken?login=a&pass=b');
    expect(r.statusCode).toBe(404);
    expect(r.json<Reply>()).toMatchObject({ error: { code: 40, type: 'system' }, timestamp: matching(TIMESTAMP) });
  });
});
