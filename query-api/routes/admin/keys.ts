// Admin API for keys: POST /v1/admin/keys {tenantId?, role, owner?, sources?} → 201 with the key
// (shown once, stored hashed); GET /v1/admin/keys[?tenantId=] lists them without the keys;
// GET /v1/admin/keys/{keyId}; DELETE /v1/admin/keys/{keyId} revokes one. Admin key only.
// A vendor or subscriber key belongs to a tenant (its grants say what it may read); `owner` — whom
// a vendor key's sensors belong to — defaults to the tenant id.

import { Type } from '@sinclair/typebox';
import { authorize, ROLES, type KeyStore } from '../../../shared/access.js';
import { badRequest } from '../../../shared/errors.js';
import type { App } from '../../../shared/http.js';
import { problem, sendProblem } from '../../../shared/http.js';
import { RAW_SOURCES } from '../../../shared/topics.js';
import { ID_PATTERN, type TenantStore } from '../../access/tenants.js';

const KeyId = Type.Object({ keyId: Type.String({ pattern: ID_PATTERN }) });

export function adminKeyRoutes(app: App, keys: KeyStore, tenants?: TenantStore): void {
  const adminOnly = authorize(keys, { roles: [] });
  app.post(
    '/v1/admin/keys',
    {
      preHandler: adminOnly,
      schema: {
        body: Type.Object(
          {
            tenantId: Type.Optional(Type.String({ pattern: ID_PATTERN, description: 'The tenant the key belongs to.' })),
            role: Type.Union(ROLES.map((r) => Type.Literal(r))),
            owner: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 128,
                description: 'Whom the key acts for (sensors a vendor key registers belong to it); default: the tenant id.',
              }),
            ),
            sources: Type.Optional(Type.Array(Type.Union(RAW_SOURCES.map((s) => Type.Literal(s))), { uniqueItems: true })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const { tenantId, role } = req.body;
      if (tenantId !== undefined && (tenants === undefined || (await tenants.get(tenantId)) === null))
        throw badRequest('unknown_tenant', `no tenant ${tenantId}`, [{ field: 'tenantId', reason: 'is not a tenant' }]);
      if (tenantId === undefined && req.body.owner === undefined && role !== 'admin')
        throw badRequest('invalid_request', `a ${role} key needs a tenant`, [
          { field: 'tenantId', reason: `is required for a ${role} key` },
        ]);
      const owner = req.body.owner ?? tenantId ?? 'admin';
      const { key, info } = await keys.create(role, owner, req.body.sources ?? [], tenantId ?? '');
      return reply.code(201).send({ ...info, key });
    },
  );
  app.get(
    '/v1/admin/keys',
    { preHandler: adminOnly, schema: { querystring: Type.Object({ tenantId: Type.Optional(Type.String({ pattern: ID_PATTERN })) }) } },
    async (req) => ({ data: await keys.list({ tenantId: req.query.tenantId }) }),
  );
  app.get('/v1/admin/keys/:keyId', { preHandler: adminOnly, schema: { params: KeyId } }, async (req, reply) => {
    const info = await keys.get(req.params.keyId);
    return info === null ? sendProblem(reply, problem(404, 'unknown_key', `no key ${req.params.keyId}`)) : info;
  });
  app.delete('/v1/admin/keys/:keyId', { preHandler: adminOnly, schema: { params: KeyId } }, async (req, reply) => {
    if (!(await keys.revoke(req.params.keyId))) return sendProblem(reply, problem(404, 'unknown_key', `no key ${req.params.keyId}`));
    return reply.code(204).send();
  });
}
