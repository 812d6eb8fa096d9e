// Admin API for tenants: POST /v1/admin/tenants {name} → 201 {id, name, createdAt};
// GET /v1/admin/tenants; GET /v1/admin/tenants/{tenantId} (with its keys and grants);
// DELETE /v1/admin/tenants/{tenantId} deletes it, revokes its keys and deletes its grants. Admin key only.

import { Type } from '@sinclair/typebox';
import { authorize } from '../../../shared/access.js';
import type { App } from '../../../shared/http.js';
import { problem, sendProblem } from '../../../shared/http.js';
import type { Access } from '../../access/index.js';
import { ID_PATTERN } from '../../access/tenants.js';

const TenantId = Type.Object({ tenantId: Type.String({ pattern: ID_PATTERN }) });

export function adminTenantRoutes(app: App, access: Access): void {
  const adminOnly = authorize(access.keys, { roles: [] });
  app.post(
    '/v1/admin/tenants',
    {
      preHandler: adminOnly,
      schema: {
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 200, description: 'Unique among tenants.' }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => reply.code(201).send(await access.tenants.create(req.body.name.trim())),
  );
  app.get('/v1/admin/tenants', { preHandler: adminOnly }, async () => ({ data: await access.tenants.list() }));
  app.get('/v1/admin/tenants/:tenantId', { preHandler: adminOnly, schema: { params: TenantId } }, async (req, reply) => {
    const tenant = await access.tenants.get(req.params.tenantId);
    if (tenant === null) return sendProblem(reply, problem(404, 'unknown_tenant', `no tenant ${req.params.tenantId}`));
    const [keys, grants] = await Promise.all([access.keys.list({ tenantId: tenant.id }), access.grants.list({ tenantId: tenant.id })]);
    return { ...tenant, keys, grants };
  });
  app.delete('/v1/admin/tenants/:tenantId', { preHandler: adminOnly, schema: { params: TenantId } }, async (req, reply) => {
    if ((await access.deleteTenant(req.params.tenantId)) === false)
      return sendProblem(reply, problem(404, 'unknown_tenant', `no tenant ${req.params.tenantId}`));
    return reply.code(204).send();
  });
}
