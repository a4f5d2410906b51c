import type { Logger } from 'pino';
import type { Profile } from '../config.js';
import type { DriverRegistry } from '../devices/registry.js';
import type { GroupRepository } from '../storage/groups.js';
import type { UserRepository } from '../storage/users.js';
import { generatePassword, hashPassword } from './passwords.js';

/**
 * First start: the superuser `admin` (password from config, else generated and printed once) and,
 * on the test and embedded profiles, a running demo service group on the virtual register with
 * taxation system OSN, so the README's curl example works as written.
 */
export async function bootstrap(deps: {
  profile: Profile;
  adminPassword: string | null;
  users: UserRepository;
  groups: GroupRepository;
  registry: DriverRegistry;
  logger: Logger;
  now: number;
}): Promise<{ generatedPassword: string | null }> {
  let generatedPassword: string | null = null;
  if ((await deps.users.count()) === 0) {
    const password = deps.adminPassword ?? generatePassword();
    // Several nodes may start on an empty database at once: only one creates the superuser.
    const created = await deps.users.createIfMissing({ login: 'admin', name: 'Administrator', passwordHash: await hashPassword(password), isActive: true, isSuperuser: true }, deps.now);
    if (created && deps.adminPassword === null) generatedPassword = password;
    if (!created) {
      deps.logger.info('Superuser "admin" was created by another node');
    } else if (generatedPassword) {
      deps.logger.warn(`First start: created superuser "admin" with password ${generatedPassword} — shown only once; change it in the dashboard.`);
    } else {
      deps.logger.info('First start: created superuser "admin"');
    }
  }
  if (deps.profile !== 'postgres' && (await deps.groups.count()) === 0) {
    const emulator = deps.registry.get('emulator');
    if (emulator) {
      const { group } = await deps.groups.create(
        { name: 'Демо-касса', enabled: true, defaultTaxSystem: 1, defaultVat: null, autoOpenShift: true, shiftDurationMin: 1440, dailyCloseTime: null },
        { driver: 'emulator', config: emulator.defaults() },
        deps.now,
      );
      await deps.groups.setRunning(group.id, true, deps.now);
      deps.logger.info({ serviceGroup: group.id }, 'First start: created the demo service group on the virtual register');
    }
  }
  return { generatedPassword };
}
