import { DomainError, notFound } from '../domain/errors.js';
import type { GroupForReceipts, GroupRepository, GroupRow } from '../storage/groups.js';
import type { AuthenticatedUser } from './auth.js';

/** 404 for a group that does not exist, 403 for one the user may not use; superusers may use all. */
export async function requireGroupAccess(groups: GroupRepository, user: AuthenticatedUser, groupId: number): Promise<GroupRow> {
  const group = await groups.get(groupId);
  if (!group) throw notFound('service_group_not_found', `Service group ${groupId} does not exist`);
  if (!user.isSuperuser && !(await groups.hasAccess(groupId, user.id))) {
    throw new DomainError('forbidden', { code: 'access_denied', message: 'This user may not use this service group' });
  }
  return group;
}

/**
 * requireGroupAccess for the receipt POST: the group, its device and the access check in one
 * statement, reused for up to GROUP_RECHECK_MS (storage/groups.ts) like a verified credential.
 */
export async function requireGroupForReceipts(groups: GroupRepository, user: AuthenticatedUser, groupId: number): Promise<Omit<GroupForReceipts, 'allowed'>> {
  const r = await groups.forReceiptsCached(groupId, user.isSuperuser ? null : user.id);
  if (!r) throw notFound('service_group_not_found', `Service group ${groupId} does not exist`);
  if (!r.allowed) throw new DomainError('forbidden', { code: 'access_denied', message: 'This user may not use this service group' });
  return { group: r.group, device: r.device };
}
