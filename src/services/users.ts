import { DomainError, invalid, notFound } from '../domain/errors.js';
import type { SessionRepository } from '../storage/sessions.js';
import type { StatsRepository } from '../storage/stats.js';
import type { UserRepository } from '../storage/users.js';
import { requireSuperuser, type Actor } from './actor.js';
import type { Authenticator } from './auth.js';
import type { Auditor } from './auditor.js';
import { hashPassword } from './passwords.js';

export type UserRecord = NonNullable<Awaited<ReturnType<UserRepository['findById']>>>;

export interface UserServiceDeps {
  users: UserRepository;
  sessions: SessionRepository;
  stats: StatsRepository;
  authenticator: Authenticator;
  audit: Auditor;
  now: () => number;
}

export interface UserInput {
  login: string;
  name: string;
  password: string;
  is_active: boolean;
  is_superuser: boolean;
}

// Basic auth splits on the first ':'; logins are also shown in URLs and logs.
const LOGIN_RE = /^[A-Za-z0-9._@+-]{1,64}$/;
export const MIN_PASSWORD = 4;

const conflict = (code: string, message: string, field?: string) => new DomainError('conflict', field ? { field, code, message } : { code, message });

/** «Пользователи»: user management with the rules that keep the dashboard reachable. */
export function createUserService(deps: UserServiceDeps) {
  async function mustGet(id: number): Promise<UserRecord> {
    const u = await deps.users.findById(id);
    if (!u) throw notFound('user_not_found', `User ${id} does not exist`);
    return u;
  }
  /** Would this change leave no active superuser? */
  async function isLastSuperuser(u: UserRecord): Promise<boolean> {
    return u.is_superuser && u.is_active && (await deps.users.countActiveSuperusers()) <= 1;
  }
  function checkPassword(password: string): void {
    if (password.length < MIN_PASSWORD) throw invalid('password', 'too_short', `The password must have at least ${MIN_PASSWORD} characters`);
  }
  /** Credentials changed: cached Basic-auth verifications and the user's other sessions die. */
  async function revoke(u: UserRecord, actor: Actor): Promise<void> {
    deps.authenticator.forget(u.login);
    await deps.sessions.deleteForUser(u.id, u.id === actor.id ? actor.sessionId : null);
  }

  return {
    /** Every user with how many receipts each registered. */
    async list(actor: Actor): Promise<{ user: UserRecord; receipts: number }[]> {
      requireSuperuser(actor);
      const rows = await deps.users.list();
      return Promise.all(rows.map(async (u) => ({ user: u, receipts: await deps.stats.receiptCountOfUser(u.id) })));
    },

    async create(actor: Actor, input: UserInput): Promise<UserRecord> {
      requireSuperuser(actor);
      const login = input.login.trim();
      if (!LOGIN_RE.test(login)) throw invalid('login', 'invalid_login', 'The login may contain only latin letters, digits and . _ @ + - (up to 64)');
      checkPassword(input.password);
      if (await deps.users.findByLogin(login)) throw conflict('login_taken', `The login "${login}" is taken`, 'login');
      let row: UserRecord;
      try {
        row = await deps.users.create(
          { login, name: input.name.trim(), passwordHash: await hashPassword(input.password), isActive: input.is_active, isSuperuser: input.is_superuser },
          deps.now(),
        );
      } catch (e) {
        // Two admins creating the same login at once: the unique index decides.
        if (await deps.users.findByLogin(login)) throw conflict('login_taken', `The login "${login}" is taken`, 'login');
        throw e;
      }
      await deps.audit.write(actor, 'user.create', `user:${row.id}`, { login, is_active: input.is_active, is_superuser: input.is_superuser });
      return row;
    },

    async update(actor: Actor, id: number, patch: Partial<Pick<UserInput, 'name' | 'is_active' | 'is_superuser'>>): Promise<UserRecord> {
      requireSuperuser(actor);
      const u = await mustGet(id);
      const losesRights = (patch.is_active === false && u.is_active) || (patch.is_superuser === false && u.is_superuser);
      if (losesRights) {
        if (u.id === actor.id) throw conflict('cannot_demote_self', 'You cannot deactivate yourself or remove your own superuser rights');
        if (await isLastSuperuser(u)) throw conflict('last_superuser', 'This is the last active superuser');
      }
      const row = await deps.users.update(
        id,
        {
          ...(patch.name !== undefined ? { name: patch.name.trim() } : {}),
          ...(patch.is_active !== undefined ? { isActive: patch.is_active } : {}),
          ...(patch.is_superuser !== undefined ? { isSuperuser: patch.is_superuser } : {}),
        },
        deps.now(),
      );
      if (!row) throw notFound('user_not_found', `User ${id} does not exist`);
      if (losesRights) await revoke(u, actor);
      await deps.audit.write(actor, 'user.update', `user:${id}`, patch);
      return row;
    },

    async setPassword(actor: Actor, id: number, password: string): Promise<void> {
      requireSuperuser(actor);
      const u = await mustGet(id);
      checkPassword(password);
      await deps.users.update(id, { passwordHash: await hashPassword(password) }, deps.now());
      await revoke(u, actor);
      await deps.audit.write(actor, 'user.password', `user:${id}`);
    },

    /** Receipts keep their user for the fiscal record: a user who registered any can only be deactivated. */
    async delete(actor: Actor, id: number): Promise<void> {
      requireSuperuser(actor);
      const u = await mustGet(id);
      if (u.id === actor.id) throw conflict('cannot_delete_self', 'You cannot delete yourself');
      if (await isLastSuperuser(u)) throw conflict('last_superuser', 'This is the last active superuser');
      const receipts = await deps.stats.receiptCountOfUser(id);
      if (receipts > 0) throw conflict('user_has_receipts', `The user has ${receipts} receipt(s) and cannot be deleted; deactivate the user instead`);
      try {
        await deps.users.delete(id);
      } catch (e) {
        // A receipt registered between the check and the delete (foreign key).
        if ((await deps.stats.receiptCountOfUser(id)) > 0) throw conflict('user_has_receipts', 'The user has receipts and cannot be deleted; deactivate the user instead');
        throw e;
      }
      deps.authenticator.forget(u.login);
      await deps.audit.write(actor, 'user.delete', `user:${id}`, { login: u.login });
    },
  };
}
export type UserService = ReturnType<typeof createUserService>;
