// Admin API for grants: POST /v1/admin/grants {tenantId, dataset, cells|area|zone, minResolution,
// from?, to?} → 201 with the grant (its area as compacted H3 cells); GET /v1/admin/grants
// [?tenantId=&dataset=]; GET and DELETE /v1/admin/grants/{grantId}. Admin key only.

import { Type } from '@sinclair/typebox';
import { authorize } from '../../../shared/access.js';
import type { App } from '../../../shared/http.js';
import { problem, sendProblem } from '../../../shared/http.js';
import { DATASET_NAMES } from '../../datasets.js';
import type { Access } from '../../access/index.js';
import { ID_PATTERN } from '../../access/tenants.js';

const GrantId = Type.Object({ grantId: Type.String({ pattern: ID_PATTERN }) });
const Dataset = Type.Union(DATASET_NAMES.map((d) => Type.Literal(d)));
const Instant = Type.Union([Type.String(), Type.Integer()], { description: 'ISO-8601 with offset, or epoch milliseconds.' });

export function adminGrantRoutes(app: App, access: Access): void {
  const adminOnly = authorize(access.keys, { roles: [] });
  app.post(
    '/v1/admin/grants',
    {
      preHandler: adminOnly,
      schema: {
        body: Type.Object(
          {
            tenantId: Type.String({ pattern: ID_PATTERN }),
            dataset: Dataset,
            cells: Type.Optional(
              Type.Array(Type.String({ minLength: 15, maxLength: 15 }), {
                minItems: 1,
                maxItems: 100_000,
                description: 'H3 cells (resolution 0–10) of the area.',
              }),
            ),
            area: Type.Optional(
              Type.Object(
                { type: Type.String() },
                { additionalProperties: true, description: 'GeoJSON Polygon, MultiPolygon, Feature or FeatureCollection.' },
              ),
            ),
            zone: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'A named zone.' })),
            minResolution: Type.Integer({ minimum: 7, maximum: 10, description: 'The finest H3 resolution the tenant may ask for.' }),
            from: Type.Optional(Instant),
            to: Type.Optional(Instant),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => reply.code(201).send(await access.grants.create(req.body)),
  );
  app.get(
    '/v1/admin/grants',
    {
      preHandler: adminOnly,
      schema: {
        querystring: Type.Object({ tenantId: Type.Optional(Type.String({ pattern: ID_PATTERN })), dataset: Type.Optional(Dataset) }),
      },
    },
    async (req) => ({ data: await access.grants.list(req.query) }),
  );
  app.get('/v1/admin/grants/:grantId', { preHandler: adminOnly, schema: { params: GrantId } }, async (req, reply) => {
    const grant = await access.grants.get(req.params.grantId);
    return grant === null ? sendProblem(reply, problem(404, 'unknown_grant', `no grant ${req.params.grantId}`)) : grant;
  });
  app.delete('/v1/admin/grants/:grantId', { preHandler: adminOnly, schema: { params: GrantId } }, async (req, reply) => {
    if (!(await access.grants.delete(req.params.grantId)))
      return sendProblem(reply, problem(404, 'unknown_grant', `no grant ${req.params.grantId}`));
    return reply.code(204).send();
  });
}
