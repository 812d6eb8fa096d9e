// GET /v1/usage: metered rows per key, dataset and day (days in PASSAGE_TIMEZONE). The admin key
// sees every tenant's (filter with tenantId, keyId); any other key sees its own tenant's (a key
// without a tenant: its own), and asking for another tenant or key is a 403 naming the field.

import { Type } from '@sinclair/typebox';
import { authorize } from '../../../shared/access.js';
import { badRequest } from '../../../shared/errors.js';
import type { App } from '../../../shared/http.js';
import { DATASET_NAMES } from '../../datasets.js';
import type { Access } from '../../access/index.js';
import { ID_PATTERN } from '../../access/tenants.js';
import type { UsageFilter } from '../../access/usage.js';

const Day = (description: string) => Type.String({ format: 'date', description });

const Querystring = Type.Object(
  {
    tenantId: Type.Optional(Type.String({ pattern: ID_PATTERN })),
    keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    dataset: Type.Optional(Type.Union(DATASET_NAMES.map((d) => Type.Literal(d)))),
    from: Type.Optional(Day('First day (YYYY-MM-DD), inclusive.')),
    to: Type.Optional(Day('Last day (YYYY-MM-DD), inclusive.')),
  },
  { additionalProperties: false },
);

export function usageRoute(app: App, access: Access): void {
  app.get(
    '/v1/usage',
    { preHandler: authorize(access.keys, { roles: ['subscriber', 'vendor'] }), schema: { querystring: Querystring } },
    async (req) => {
      const p = req.principal!;
      const filter: UsageFilter = { ...req.query };
      if (p.role !== 'admin') {
        const forbidden = (field: string, reason: string) =>
          badRequest(
            'forbidden_usage',
            `this key may not see ${reason}`,
            [{ field, reason: `may only be ${field === 'tenantId' ? 'your tenant' : 'your key'}` }],
            403,
          );
        if (p.tenantId !== '') {
          if (filter.tenantId !== undefined && filter.tenantId !== p.tenantId) throw forbidden('tenantId', "another tenant's usage");
          filter.tenantId = p.tenantId;
        } else {
          if (filter.keyId !== undefined && filter.keyId !== p.keyId) throw forbidden('keyId', "another key's usage");
          filter.keyId = p.keyId;
        }
      }
      if (filter.from !== undefined && filter.to !== undefined && filter.to < filter.from)
        throw badRequest('invalid_request', 'to must not be before from', [{ field: 'to', reason: 'must not be before from' }]);
      return { query: filter, data: await access.usage.query(filter) };
    },
  );
}
