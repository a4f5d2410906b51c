import type { UserRecord } from '../../services/users.js';

export const userView = (u: UserRecord) => ({
  id: u.id,
  login: u.login,
  name: u.name,
  is_active: u.is_active,
  is_superuser: u.is_superuser,
  created_at: new Date(u.created_at).toISOString(),
  updated_at: new Date(u.updated_at).toISOString(),
});
