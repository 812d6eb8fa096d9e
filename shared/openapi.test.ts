// The OpenAPI document every service serves: valid OpenAPI 3.1, generated from the route schemas of
// exactly the routes the service registered (each with its path and query parameters), every
// operation with the problem+json error responses, API keys as the default security scheme.

import SwaggerParser from '@apidevtools/swagger-parser';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as Http from './http.js';
import type { Passage } from './passage.js';
import { embeddedPassage } from './testing/fixtures.js';

// Records every route the service declares (with its schema), as fastify-swagger sees them.
const recorded = vi.hoisted(() => [] as RouteOptions[]);
vi.mock('./http.js', async (importOriginal) => {
  const http = await importOriginal<typeof Http>();
  return {
    ...http,
    createHttpServer: async (opts: Parameters<typeof http.createHttpServer>[0]) => {
      const app = await http.createHttpServer(opts);
      app.addHook('onRoute', (r) => {
        recorded.push(r);
      });
      return app;
    },
  };
});

interface Operation {
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; required?: boolean; schema?: unknown }[];
  responses: Record<string, unknown>;
}
interface Doc {
  openapi: string;
  info: { title: string; version: string; description?: string };
  security: Record<string, string[]>[];
  components: { securitySchemes: Record<string, { type: string; scheme?: string }>; schemas: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
}

const propertyNames = (schema: unknown): string[] =>
  Object.keys((schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {}).sort();

describe('OpenAPI document', () => {
  let p: Passage;
  let doc: Doc;

  beforeAll(async () => {
    p = await embeddedPassage();
    const r = await p.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    doc = r.json<Doc>();
  });
  afterAll(() => p?.close());

  it('is valid OpenAPI 3.1 (checked against the OpenAPI schema, every $ref resolved)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Passage API');
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('documents every /v1 route the service registered, with its path and query parameters', () => {
    const routes = recorded.filter((r) => r.url.startsWith('/v1/') && r.schema?.hide !== true);
    expect(routes.length).toBeGreaterThan(5);
    for (const route of routes) {
      for (const method of [route.method].flat().filter((m) => m !== 'HEAD')) {
        const path = route.url.replace(/:(\w+)/g, '{$1}');
        const op = doc.paths[path]?.[method.toLowerCase()];
        expect(op, `${method} ${path}`).toBeDefined();
        const names = (where: string) =>
          (op!.parameters ?? [])
            .filter((x) => x.in === where)
            .map((x) => x.name)
            .sort();
        expect(names('query'), `${method} ${path} query`).toEqual(propertyNames(route.schema?.querystring));
        expect(names('path'), `${method} ${path} path`).toEqual(propertyNames(route.schema?.params));
      }
    }
    // The history routes are there with their filters.
    const footfall = doc.paths['/v1/footfall']!.get!;
    expect(footfall.parameters!.map((x) => x.name)).toEqual(
      expect.arrayContaining(['cells', 'from', 'to', 'bucket', 'resolution', 'source', 'metric']),
    );
    expect(footfall.parameters!.find((x) => x.name === 'from')).toMatchObject({ in: 'query', required: true });
    expect(doc.paths['/v1/flows']!.get!.parameters!.map((x) => x.name)).toEqual(expect.arrayContaining(['origin', 'destination']));
  });

  it('describes problem+json errors on every operation, API keys as the default, public routes without one', () => {
    expect(doc.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ apiKey: [] }]);
    const problem = doc.components.schemas.Problem as { type: string; required: string[] };
    expect(problem.type).toBe('object');
    expect([...problem.required].sort()).toEqual(['code', 'detail', 'status', 'title', 'type']);
    const ops = Object.values(doc.paths).flatMap((item) => Object.values(item));
    for (const op of ops) {
      expect(op.responses['4XX']).toEqual({ $ref: '#/components/responses/Problem' });
      expect(op.responses['5XX']).toEqual({ $ref: '#/components/responses/Problem' });
      expect(op.tags?.length).toBe(1);
    }
    expect(doc.paths['/healthz']!.get!.security).toEqual([]);
    expect(doc.paths['/v1/footfall']!.get!.security).toBeUndefined(); // the document's default: a key
    expect(doc.paths['/v1/footfall']!.get!.tags).toEqual(['footfall']);
    // The document itself and the UI are not operations of the API.
    expect(Object.keys(doc.paths).filter((k) => k.startsWith('/docs') || k === '/openapi.json')).toEqual([]);
  });

  it('serves the browsable documentation at /docs', async () => {
    const r = await p.app.inject({ method: 'GET', url: '/docs' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.body).toContain('swagger-ui');
    const json = await p.app.inject({ method: 'GET', url: '/docs/json' });
    expect(json.json<Doc>().info.title).toBe('Passage API');
  });
});
