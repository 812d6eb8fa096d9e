// Admin API for keys: POST /v1/admin/keys {role, owner, sources?} → 201 with the key (shown once,
// stored hashed); GET /v1/admin/keys lists them without the keys; DELETE /v1/admin/keys/{keyId}
// revokes one. Admin key only.

import { Type } from '@sinclair/typebox';
import { authorize, ROLES, type KeyStore } from '../../../shared/access.js';
import type { App } from '../../../shared/http.js';
import { problem, sendProblem } from '../../../shared/http.js';
import { RAW_SOURCES } from '../../../shared/topics.js';

export function adminKeyRoutes(app: App, keys: KeyStore): void {
  const adminOnly = authorize(keys, { roles: [] });
  app.post(
    '/v1/admin/keys',
    {
      preHandler: adminOnly,
      schema: {
        body: Type.Object(
          {
            role: Type.Union(ROLES.map((r) => Type.Literal(r))),
            owner: Type.String({
              minLength: 1,
              maxLength: 128,
              description: 'Whom the key acts for (a vendor, a subscriber organisation).',
            }),
            sources: Type.Optional(Type.Array(Type.Union(RAW_SOURCES.map((s) => Type.Literal(s))), { uniqueItems: true })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const { key, info } = await keys.create(req.body.role, req.body.owner, req.body.sources ?? []);
      return reply.code(201).send({ ...info, key });
    },
  );
  app.get('/v1/admin/keys', { preHandler: adminOnly }, async () => ({ data: await keys.list() }));
  app.delete(
    '/v1/admin/keys/:keyId',
    { preHandler: adminOnly, schema: { params: Type.Object({ keyId: Type.String({ pattern: '^[0-9a-f]{16}$' }) }) } },
    async (req, reply) => {
      if (!(await keys.revoke(req.params.keyId))) return sendProblem(reply, problem(404, 'unknown_key', `no key ${req.params.keyId}`));
      return reply.code(204).send();
    },
  );
}
