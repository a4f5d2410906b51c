import { DomainError, invalid, notFound } from '../../domain/errors.js';
import type { SessionRepository } from '../../storage/sessions.js';
import type { StatsRepository } from '../../storage/stats.js';
import type { UserRepository, UserRow } from '../../storage/users.js';
import type { Authenticator } from '../auth.js';
import { hashPassword } from '../passwords.js';
import type { Actor, Auditor } from './audit-context.js';

export interface UserAdminDeps {
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

export const userView = (u: UserRow) => ({
  id: u.id,
  login: u.login,
  name: u.name,
  is_active: u.is_active === 1,
  is_superuser: u.is_superuser === 1,
  created_at: new Date(u.created_at).toISOString(),
  updated_at: new Date(u.updated_at).toISOString(),
});
export type UserView = ReturnType<typeof userView>;

const conflict = (code: string, message: string, field?: string) => new DomainError('conflict', field ? { field, code, message } : { code, message });

/** «Пользователи»: user management with the rules that keep the dashboard reachable. */
export function createUserAdmin(deps: UserAdminDeps) {
  async function mustGet(id: number): Promise<UserRow> {
    const u = await deps.users.findById(id);
    if (!u) throw notFound('user_not_found', `User ${id} does not exist`);
    return u;
  }
  /** Would this change leave no active superuser? */
  async function isLastSuperuser(u: UserRow): Promise<boolean> {
    return u.is_superuser === 1 && u.is_active === 1 && (await deps.users.countActiveSuperusers()) <= 1;
  }
  function checkPassword(password: string): void {
    if (password.length < MIN_PASSWORD) throw invalid('password', 'too_short', `The password must have at least ${MIN_PASSWORD} characters`);
  }
  /** Credentials changed: cached Basic-auth verifications and the user's other sessions die. */
  async function revoke(u: UserRow, actor: Actor): Promise<void> {
    deps.authenticator.forget(u.login);
    await deps.sessions.deleteForUser(u.id, u.id === actor.userId ? actor.sessionId : null);
  }

  return {
    async list(): Promise<(UserView & { receipts: number })[]> {
      const rows = await deps.users.list();
      return Promise.all(rows.map(async (u) => ({ ...userView(u), receipts: await deps.stats.receiptCountOfUser(u.id) })));
    },

    async create(input: UserInput, actor: Actor): Promise<UserView> {
      const login = input.login.trim();
      if (!LOGIN_RE.test(login)) throw invalid('login', 'invalid_login', 'The login may contain only latin letters, digits and . _ @ + - (up to 64)');
      checkPassword(input.password);
      if (await deps.users.findByLogin(login)) throw conflict('login_taken', `The login "${login}" is taken`, 'login');
      let row: UserRow;
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
      await deps.audit(actor, 'user.create', `user:${row.id}`, { login, is_active: input.is_active, is_superuser: input.is_superuser });
      return userView(row);
    },

    async update(id: number, patch: Partial<Pick<UserInput, 'name' | 'is_active' | 'is_superuser'>>, actor: Actor): Promise<UserView> {
      const u = await mustGet(id);
      const losesRights = (patch.is_active === false && u.is_active === 1) || (patch.is_superuser === false && u.is_superuser === 1);
      if (losesRights) {
        if (u.id === actor.userId) throw conflict('cannot_demote_self', 'You cannot deactivate yourself or remove your own superuser rights');
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
      await deps.audit(actor, 'user.update', `user:${id}`, patch);
      return userView(row);
    },

    async setPassword(id: number, password: string, actor: Actor): Promise<void> {
      const u = await mustGet(id);
      checkPassword(password);
      await deps.users.update(id, { passwordHash: await hashPassword(password) }, deps.now());
      await revoke(u, actor);
      await deps.audit(actor, 'user.password', `user:${id}`);
    },

    /** Receipts keep their user for the fiscal record: a user who registered any can only be deactivated. */
    async delete(id: number, actor: Actor): Promise<void> {
      const u = await mustGet(id);
      if (u.id === actor.userId) throw conflict('cannot_delete_self', 'You cannot delete yourself');
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
      await deps.audit(actor, 'user.delete', `user:${id}`, { login: u.login });
    },
  };
}
export type UserAdmin = ReturnType<typeof createUserAdmin>;
