import type { AdminPrincipal } from '../../services/sessions.js';
import { userView } from './users.js';

/** GET/POST /admin/api/session: the logged-in user and the CSRF token to send back. */
export const sessionView = (p: AdminPrincipal) => ({
  user: userView(p.user),
  csrf_token: p.session.csrf_token,
  expires_at: new Date(p.session.expires_at).toISOString(),
});
