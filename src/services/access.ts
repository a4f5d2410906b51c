import { DomainError, notFound } from '../domain/errors.js';
import type { GroupForReceipts, GroupRepository, GroupRecord } from '../storage/groups.js';
import type { AuthenticatedUser } from './auth.js';

/** 404 for a group that does not exist, 403 for one the user may not use; superusers may use all. */
function allowed(r: GroupForReceipts | undefined, groupId: number): Omit<GroupForReceipts, 'allowed'> {
  if (!r) throw notFound('service_group_not_found', `Service group ${groupId} does not exist`);
  if (!r.allowed) throw new DomainError('forbidden', { code: 'access_denied', message: 'This user may not use this service group' });
  return { group: r.group, device: r.device };
}

/** How storage names the caller in access checks: null for a superuser, who may use every group. */
export const callerId = (user: AuthenticatedUser): number | null => (user.isSuperuser ? null : user.id);

/** The group, if the user may use it (group and access check in one statement). */
export async function requireGroupAccess(groups: GroupRepository, user: AuthenticatedUser, groupId: number): Promise<GroupRecord> {
  return allowed(await groups.forReceipts(groupId, callerId(user)), groupId).group;
}

/**
 * requireGroupAccess for the receipt POST, with the group's device, reused for up to
 * GROUP_RECHECK_MS (storage/groups.ts) like a verified credential.
 */
export async function requireGroupForReceipts(groups: GroupRepository, user: AuthenticatedUser, groupId: number): Promise<Omit<GroupForReceipts, 'allowed'>> {
  return allowed(await groups.forReceiptsCached(groupId, callerId(user)), groupId);
}
