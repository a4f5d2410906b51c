import type { Kysely, Selectable } from 'kysely';
import type { Database, UsersTable } from './schema.js';

type UserRow = Selectable<UsersTable>;

/** The callback signing keys (migration 007): read only through callbackSecrets, never part of a UserRecord. */
type SecretColumns = 'callback_secret' | 'callback_secret_previous' | 'callback_secret_rotated_at';

/** A stored user, its 0/1 columns as booleans. Without its callback secrets: a record travels (caches, views, logs). */
export type UserRecord = Omit<UserRow, 'is_active' | 'is_superuser' | SecretColumns> & { is_active: boolean; is_superuser: boolean };

const toUserRecord = (row: UserRow): UserRecord => {
  const { callback_secret: _s, callback_secret_previous: _p, callback_secret_rotated_at: _r, ...rest } = row;
  return { ...rest, is_active: row.is_active === 1, is_superuser: row.is_superuser === 1 };
};

/** A user's callback signing keys: the current one, the one before the last rotation, and when it was rotated. */
export interface CallbackSecrets {
  current: string | null;
  previous: string | null;
  rotatedAt: number | null;
}

export interface NewUser {
  login: string;
  name: string;
  passwordHash: string;
  isActive: boolean;
  isSuperuser: boolean;
}

const newRow = (u: NewUser, now: number) => ({
  login: u.login,
  name: u.name,
  password_hash: u.passwordHash,
  is_active: u.isActive ? 1 : 0,
  is_superuser: u.isSuperuser ? 1 : 0,
  credentials_version: 1,
  created_at: now,
  updated_at: now,
});

export function createUserRepository(db: Kysely<Database>) {
  const callbackSecrets = async (id: number): Promise<CallbackSecrets | undefined> => {
    const row = await db.selectFrom('users').select(['callback_secret', 'callback_secret_previous', 'callback_secret_rotated_at']).where('id', '=', id).executeTakeFirst();
    return row && { current: row.callback_secret, previous: row.callback_secret_previous, rotatedAt: row.callback_secret_rotated_at };
  };
  return {
    async findByLogin(login: string): Promise<UserRecord | undefined> {
      const row = await db.selectFrom('users').selectAll().where('login', '=', login).executeTakeFirst();
      return row && toUserRecord(row);
    },
    async findById(id: number): Promise<UserRecord | undefined> {
      const row = await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toUserRecord(row);
    },
    /** The logins of these users, in one query (a page of receipts or journal entries names its users). */
    async loginsOf(ids: readonly number[]): Promise<Map<number, string>> {
      const unique = [...new Set(ids)];
      if (unique.length === 0) return new Map();
      const rows = await db.selectFrom('users').select(['id', 'login']).where('id', 'in', unique).execute();
      return new Map(rows.map((r) => [r.id, r.login]));
    },
    async list(): Promise<UserRecord[]> {
      return (await db.selectFrom('users').selectAll().orderBy('id').execute()).map(toUserRecord);
    },
    async count(): Promise<number> {
      const r = await db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async countActiveSuperusers(): Promise<number> {
      const r = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('is_superuser', '=', 1)
        .where('is_active', '=', 1)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
    async create(u: NewUser, now: number): Promise<UserRecord> {
      return toUserRecord(await db.insertInto('users').values(newRow(u, now)).returningAll().executeTakeFirstOrThrow());
    },
    /** Creates the user unless the login exists (two nodes bootstrapping at once); true when created. */
    async createIfMissing(u: NewUser, now: number): Promise<boolean> {
      const r = await db.insertInto('users').values(newRow(u, now)).onConflict((oc) => oc.column('login').doNothing()).executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
    },
    /**
     * A change of password or status (active, superuser) bumps credentials_version: cached
     * verifications and address trust (login_trust) of the user end. A rename alone does not, so it
     * does not drop the trust of the user's backends. A deleted user's trust rows go with it (ON
     * DELETE CASCADE); a login created again is a new row with a new id, which nothing cached matches.
     */
    async update(
      id: number,
      patch: Partial<{ name: string; passwordHash: string; isActive: boolean; isSuperuser: boolean }>,
      now: number,
    ): Promise<UserRecord | undefined> {
      const credentials = patch.passwordHash !== undefined || patch.isActive !== undefined || patch.isSuperuser !== undefined;
      const row = await db
        .updateTable('users')
        .set((eb) => ({
          ...(patch.name !== undefined ? { name: patch.name } : {}),
          ...(patch.passwordHash !== undefined ? { password_hash: patch.passwordHash } : {}),
          ...(patch.isActive !== undefined ? { is_active: patch.isActive ? 1 : 0 } : {}),
          ...(patch.isSuperuser !== undefined ? { is_superuser: patch.isSuperuser ? 1 : 0 } : {}),
          ...(credentials ? { credentials_version: eb('credentials_version', '+', 1) } : {}),
          updated_at: now,
        }))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return row && toUserRecord(row);
    },
    async delete(id: number): Promise<boolean> {
      const r = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    /** The user's callback keys; undefined for a user that does not exist. */
    callbackSecrets,
    /**
     * Sets the first callback key unless the user has one (two nodes making it at once: the first
     * write wins, both read the winner's), and returns the keys.
     */
    async ensureCallbackSecret(id: number, fresh: string): Promise<CallbackSecrets | undefined> {
      await db.updateTable('users').set({ callback_secret: fresh }).where('id', '=', id).where('callback_secret', 'is', null).execute();
      return callbackSecrets(id);
    },
    /** A new callback key; the current one becomes the previous (valid for another 24 h, see callbacks/signing.ts). */
    async rotateCallbackSecret(id: number, fresh: string, now: number): Promise<CallbackSecrets | undefined> {
      const row = await db
        .updateTable('users')
        .set((eb) => ({ callback_secret_previous: eb.ref('callback_secret'), callback_secret: fresh, callback_secret_rotated_at: now }))
        .where('id', '=', id)
        .returning(['callback_secret', 'callback_secret_previous', 'callback_secret_rotated_at'])
        .executeTakeFirst();
      return row && { current: row.callback_secret, previous: row.callback_secret_previous, rotatedAt: row.callback_secret_rotated_at };
    },
  };
}
export type UserRepository = ReturnType<typeof createUserRepository>;
