import type { FastifyPluginAsync } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { UserService } from '../../../services/users.js';
import { ErrorSchema } from '../../schemas.js';
import { userView } from '../../views/users.js';
import { IdParams, PasswordBody, User, UserCreateBody, UserPatchBody, UserWithCounts } from '../schemas.js';
import { actorOf } from '../session.js';

export function userRoutes(deps: { users: UserService }): FastifyPluginAsync {
  return async (app) => {
    const r = app.withTypeProvider<TypeBoxTypeProvider>();
    const errors = { 400: ErrorSchema, 401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };
    const tags = ['admin: users'];

    r.get('/users', { schema: { summary: 'Users', tags, response: { 200: Type.Array(UserWithCounts), ...errors } } },
      async (request) => (await deps.users.list(actorOf(request))).map((u) => ({ ...userView(u.user), receipts: u.receipts })));

    r.post('/users', { schema: { summary: 'Create a user', tags, body: UserCreateBody, response: { 200: User, ...errors } } },
      async (request) => userView(await deps.users.create(actorOf(request), { ...request.body, is_active: request.body.is_active ?? true, is_superuser: request.body.is_superuser ?? false })));

    r.patch('/users/:id', {
      schema: { summary: 'Edit, deactivate or promote a user', description: 'Never yourself, never the last active superuser.', tags, params: IdParams, body: UserPatchBody, response: { 200: User, ...errors } },
    }, async (request) => userView(await deps.users.update(actorOf(request), Number(request.params.id), request.body)));

    r.put('/users/:id/password', {
      schema: { summary: 'Change a user’s password', description: 'Ends the user’s other dashboard sessions and cached API logins.', tags, params: IdParams, body: PasswordBody, response: { 200: Type.Object({ ok: Type.Boolean() }), ...errors } },
    }, async (request) => {
      await deps.users.setPassword(actorOf(request), Number(request.params.id), request.body.password);
      return { ok: true };
    });

    r.delete('/users/:id', {
      schema: { summary: 'Delete a user', description: 'Refused for yourself, the last active superuser, and users with receipts (deactivate them).', tags, params: IdParams, response: { 200: Type.Object({ ok: Type.Boolean() }), ...errors } },
    }, async (request) => {
      await deps.users.delete(actorOf(request), Number(request.params.id));
      return { ok: true };
    });
  };
}
