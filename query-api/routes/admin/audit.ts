// Admin API for the audit log: GET /v1/admin/audit[?keyId=&tenantId=&limit=] → the latest entries
// first (who asked what, when, with what answer and how many rows). Admin key only.

import { Type } from '@sinclair/typebox';
import { authorize } from '../../../shared/access.js';
import type { App } from '../../../shared/http.js';
import type { Access } from '../../access/index.js';
import { ID_PATTERN } from '../../access/tenants.js';

export function adminAuditRoutes(app: App, access: Access): void {
  app.get(
    '/v1/admin/audit',
    {
      preHandler: authorize(access.keys, { roles: [] }),
      schema: {
        querystring: Type.Object(
          {
            keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
            tenantId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
            limit: Type.Integer({ minimum: 1, maximum: 10_000, default: 100 }),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req) => ({ data: await access.audit.recent(req.query) }),
  );
}
