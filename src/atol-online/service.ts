import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DomainError } from '../domain/errors.js';
import type { ReceiptInput } from '../domain/receipt-input.js';
import type { Actor } from '../services/actor.js';
import type { Authenticator } from '../services/auth.js';
import type { ReceiptService, ReceiptTarget } from '../services/receipts.js';
import type { AtolOnlineRepository, AtolReceiptRecord } from '../storage/atol-online.js';
import type { GroupRepository } from '../storage/groups.js';
import type { ReceiptRecord } from '../storage/receipts.js';
import type { UserRecord } from '../storage/users.js';
import { AtolError, serviceError, validationError } from './errors.js';
import { mapRequest, type AtolRequest } from './mapping.js';
import { atolReportOf, DAEMON_CODE, type AtolReport } from './report.js';
import { atolTimestamp, CALLBACK_MASK_WARNING, CALLBACK_URL_MASK, OPERATIONS, SERVICE_ERRORS, type AtolOperation, type AtolVersion } from './protocol.js';

/** A token lives 24 h from its issue, as ATOL's do. */
export const TOKEN_TTL_MS = 24 * 3_600_000;
/** ATOL's tokens are at most 1000 characters; anything longer is not one of ours. */
const TOKEN_MAX = 1000;

export interface AtolOnlineDeps {
  repo: AtolOnlineRepository;
  groups: Pick<GroupRepository, 'findByGroupCode'>;
  authenticator: Pick<Authenticator, 'verify'>;
  receipts: Pick<ReceiptService, 'target' | 'register' | 'get' | 'mayRead'>;
  now: () => number;
  tokenTtlMs?: number;
  daemonCode?: string;
}

/** Who sends the request and to which group, once the token and the group code were checked. */
export interface AtolCaller {
  actor: Actor;
  target: ReceiptTarget;
  groupCode: string;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The native idempotency key of an ATOL document: its external_id, hashed to fit the native key's
 * 128 printable characters whatever the external_id holds. Scoped to the group like the native
 * key, as ATOL scopes external_id to the group code.
 */
export const idempotencyKeyOf = (externalId: string): string => `atol:${createHash('sha256').update(externalId).digest('base64url')}`;

/** The marking codes of a v5 request's items as sent (mark_code.gs1m / .short), by item; null without any. */
function markCodesOf(version: AtolVersion, body: AtolRequest, operation: AtolOperation): (string | null)[] | null {
  if (version !== 'v5') return null;
  const doc = OPERATIONS[operation].correction ? body.correction : body.receipt;
  const codes = (doc?.items ?? []).map((it) => it.mark_code?.gs1m ?? it.mark_code?.short ?? null);
  return codes.some((c) => c !== null) ? codes : null;
}

/**
 * The ATOL Online-compatible API's use cases (docs/atol-online.md): tokens, registering a document
 * through the native receipts service (the same receipt in the native API and the dashboard), and
 * its report. Access is the native API's: the user must be allowed on the group, superusers may use
 * every group.
 */
export function createAtolOnlineService(deps: AtolOnlineDeps) {
  const ttl = deps.tokenTtlMs ?? TOKEN_TTL_MS;
  const daemonCode = deps.daemonCode ?? DAEMON_CODE;

  /** The receipts service answers 404 / 403 for a group the caller may not use: to ATOL, a group code not the token's (20). */
  const groupMismatch = (groupCode: string) => serviceError('group_mismatch', `Код группы "${groupCode}" не доступен пользователю токена`);

  async function duplicate(row: AtolReceiptRecord, groupCode: string): Promise<never> {
    throw new AtolError({
      http: SERVICE_ERRORS.duplicate.http,
      code: SERVICE_ERRORS.duplicate.code,
      text: `${SERVICE_ERRORS.duplicate.text} : "${row.external_id}" и group_code: "${groupCode}"`,
      status: 'wait',
      uuid: row.uuid,
    });
  }

  return {
    /**
     * getToken: the login and password of a cr-server user, checked by the native authenticator —
     * the same throttle, trust and failed-login journal as HTTP Basic — then a random token whose
     * sha256 is stored with the user's credentials_version and its end.
     */
    async issueToken(login: string, pass: string, ip: string): Promise<{ token: string; timestamp: string }> {
      let user: UserRecord;
      try {
        user = await deps.authenticator.verify(login, pass, ip);
      } catch (e) {
        if (e instanceof DomainError && e.kind === 'unauthenticated') throw serviceError('wrong_credentials');
        if (e instanceof DomainError && e.kind === 'rate_limited') {
          const wait = e.retryAfter ?? 1;
          throw serviceError('user_blocked', `Слишком много неудачных попыток входа; повторите через ${wait} с`, { http: 429, retryAfter: wait });
        }
        throw e;
      }
      const token = randomBytes(48).toString('base64url');
      const now = deps.now();
      await deps.repo.insertToken({ tokenHash: sha256(token), userId: user.id, credentialsVersion: user.credentials_version, now, expiresAt: now + ttl });
      return { token, timestamp: atolTimestamp(now) };
    },

    /** The actor a token stands for: 10 for no or an unknown token, 11 for one expired or ended by a credentials change. */
    async actorOf(token: string | undefined, ip: string): Promise<Actor> {
      if (token === undefined || token === '' || token.length > TOKEN_MAX) throw serviceError('missing_token');
      const owner = await deps.repo.tokenOwner(sha256(token));
      if (!owner) throw serviceError('missing_token');
      if (owner.expiresAt <= deps.now() || !owner.isActive || owner.issuedVersion !== owner.currentVersion) throw serviceError('expired_token');
      return { id: owner.userId, login: owner.login, isSuperuser: owner.isSuperuser, ip, sessionId: null };
    },

    /**
     * The group of a group code, if the actor may use it (20 otherwise, also for a code no group
     * has: a token never reveals which codes exist). A v5 document needs an FFD 1.2 register (21),
     * as an ATOL group serves one protocol version; v4 documents are accepted on both.
     */
    async caller(actor: Actor, version: AtolVersion, groupCode: string): Promise<AtolCaller> {
      const group = await deps.groups.findByGroupCode(groupCode);
      if (!group) throw groupMismatch(groupCode);
      let target: ReceiptTarget;
      try {
        target = await deps.receipts.target(actor, group.id);
      } catch (e) {
        if (e instanceof DomainError && (e.kind === 'not_found' || e.kind === 'forbidden')) throw groupMismatch(groupCode);
        throw e;
      }
      if (version === 'v5' && target.device?.registration?.ffdVersion === '105') {
        throw serviceError('protocol_mismatch', `Касса группы "${groupCode}" зарегистрирована по ФФД 1.05: используйте протокол v4`);
      }
      return { actor, target, groupCode };
    },

    /**
     * Registers a document: a resent external_id answers 33 with the first uuid before anything
     * else (ATOL compares no bodies); the request is mapped onto a native receipt and registered
     * through the native receipts service with an idempotency key made of the external_id, so two
     * concurrent sends, or a send after a crash between the two writes, still make one document.
     */
    async register(caller: AtolCaller, version: AtolVersion, operation: AtolOperation, body: AtolRequest): Promise<{ uuid: string; timestamp: string }> {
      const { actor, target, groupCode } = caller;
      const groupId = target.group.id;
      const known = await deps.repo.byExternalId(groupId, body.external_id);
      if (known) return duplicate(known, groupCode);

      const reg = target.device?.registration ?? null;
      const mapped = mapRequest(version, operation, body, {
        ffdVersion: reg?.ffdVersion ?? null,
        companyInn: reg?.companyInn ?? null,
        defaultVat: target.group.default_vat,
      });
      if (mapped.issues.length > 0) throw validationError(mapped.issues);

      // A callback URL failing ATOL's mask does not refuse the document: the report says so and nothing is called.
      const url = body.service?.callback_url?.trim() ?? '';
      let warning: string | null = null;
      const input: ReceiptInput & { callback_url?: string } = { ...mapped.input };
      if (url !== '') {
        if (CALLBACK_URL_MASK.test(url)) input.callback_url = url;
        else warning = CALLBACK_MASK_WARNING;
      }

      const key = idempotencyKeyOf(body.external_id);
      let receiptId: number;
      try {
        receiptId = Number((await deps.receipts.register(actor, target, input, key)).id);
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        if (e.kind === 'conflict' && e.errors.some((x) => x.code === 'idempotency_key_reused')) {
          // Another body under this external_id got there first (a race, or an earlier attempt cut
          // short before its uuid was stored): its receipt is the document.
          const row = await deps.repo.byExternalId(groupId, body.external_id);
          if (row) return duplicate(row, groupCode);
          const id = await deps.repo.receiptIdByKey(groupId, key);
          if (id === undefined) throw e;
          const { row: held } = await deps.repo.insertReceipt(
            { uuid: randomUUID(), receipt_id: id, group_id: groupId, group_code: groupCode, external_id: body.external_id, version, operation, client_timestamp: body.timestamp, callback_url: url === '' ? null : url, callback_warning: warning, mark_codes: markCodesOf(version, body, operation) },
            deps.now(),
          );
          return duplicate(held, groupCode);
        }
        if ((e.kind === 'invalid' || e.kind === 'unprocessable') && input.callback_url !== undefined && e.errors.every((x) => x.field === 'callback_url')) {
          // The native API refuses this destination (a private address, say): the document goes without it.
          delete input.callback_url;
          warning = CALLBACK_MASK_WARNING;
          receiptId = Number((await deps.receipts.register(actor, target, input, key)).id);
        } else if (e.kind === 'invalid' || e.kind === 'unprocessable') {
          throw validationError(mapped.translate(e.errors));
        } else {
          throw e;
        }
      }

      const now = deps.now();
      const { row, created } = await deps.repo.insertReceipt(
        { uuid: randomUUID(), receipt_id: receiptId, group_id: groupId, group_code: groupCode, external_id: body.external_id, version, operation, client_timestamp: body.timestamp, callback_url: url === '' ? null : url, callback_warning: warning, mark_codes: markCodesOf(version, body, operation) },
        now,
      );
      // A concurrent send of the same external_id stored its uuid first: that one is the document's.
      if (!created) return duplicate(row, groupCode);
      return { uuid: row.uuid, timestamp: atolTimestamp(now) };
    },

    /** The report of a document of the group: 20 for a group the caller may not use, 30 for a uuid the group does not have. */
    async report(actor: Actor, groupCode: string, uuid: string): Promise<AtolReport> {
      const group = await deps.groups.findByGroupCode(groupCode);
      if (!group || !(await deps.receipts.mayRead(actor, group.id))) throw groupMismatch(groupCode);
      const missing = () => new AtolError({
        http: SERVICE_ERRORS.missing_uuid.http,
        code: SERVICE_ERRORS.missing_uuid.code,
        text: `${SERVICE_ERRORS.missing_uuid.text} : "${uuid}". Необходимо повторить запрос с корректными данными`,
        status: 'fail',
      });
      const atol = await deps.repo.byUuid(uuid);
      if (!atol || atol.group_id !== group.id) throw missing();
      let record: ReceiptRecord;
      try {
        record = await deps.receipts.get(actor, group.id, atol.receipt_id);
      } catch (e) {
        if (e instanceof DomainError && e.kind === 'not_found') throw missing();
        if (e instanceof DomainError && e.kind === 'forbidden') throw groupMismatch(groupCode);
        throw e;
      }
      return atolReportOf(record, atol, { now: deps.now(), daemonCode });
    },
  };
}
export type AtolOnlineService = ReturnType<typeof createAtolOnlineService>;
