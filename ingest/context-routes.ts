// POST /v1/context/{weather|events|incidents}: context feeds in the formats providers publish
// (plain JSON, Open-Meteo, DMI metObs GeoJSON, iCalendar; ingest/context) → records on the
// compacted pm.ctx.<kind>.v1 topics, keyed by id so the latest version of each wins.
// 202 {accepted, rejected}; 400 when nothing was accepted; 415 when no format fits the body.

import { Type } from '@sinclair/typebox';
import { authorize, type KeyStore } from '../shared/access.js';
import type { Bus } from '../shared/bus/types.js';
import type { App } from '../shared/http.js';
import { problem, sendProblem } from '../shared/http.js';
import type { SchemaCodec } from '../shared/registry/types.js';
import { CONTEXT_KINDS, subjectOf, type ContextKind, type Topics } from '../shared/topics.js';
import { contextMapper, detectContextFormat } from './context/index.js';
import { countOutcome, rejection, type IngestResult } from './result.js';
import type { FieldError } from '../shared/errors.js';

export interface ContextRoutesOptions {
  bus: Bus;
  codec: SchemaCodec;
  topics: Topics;
  keys: KeyStore;
}

export function contextRoutes(app: App, opts: ContextRoutesOptions): void {
  app.post(
    '/v1/context/:kind',
    {
      preHandler: authorize(opts.keys, { roles: ['vendor'] }),
      schema: {
        params: Type.Object({ kind: Type.String({ maxLength: 32 }) }),
        querystring: Type.Object({
          format: Type.Optional(Type.String({ maxLength: 32, description: 'Force a format (plain, open-meteo, dmi-metobs, ics).' })),
        }),
      },
    },
    async (req, reply) => {
      const kind = CONTEXT_KINDS.find((k) => k === req.params.kind);
      if (kind === undefined) {
        return sendProblem(
          reply,
          problem(404, 'unknown_context_kind', `unknown context kind ${req.params.kind}; kinds are ${CONTEXT_KINDS.join(', ')}`, [
            { field: 'kind', reason: 'is not a known context kind' },
          ]),
        );
      }
      const mapper =
        req.query.format !== undefined
          ? contextMapper(kind, req.query.format)
          : detectContextFormat(kind, req.headers['content-type'], req.body);
      if (mapper === null) {
        return sendProblem(
          reply,
          problem(415, 'unknown_context_format', `no ${kind} format fits this body; see the formats in ingest/context/README.md`, [
            { field: req.query.format !== undefined ? 'format' : 'body', reason: `is not a known ${kind} format` },
          ]),
        );
      }
      const result = await produceContext(opts, kind, mapper.map(req.body, Date.now()));
      countOutcome(`ctx_${kind}`, result);
      if (result.accepted === 0) return reply.code(400).send(result);
      return reply.code(202).send(result);
    },
  );
}

/** Encodes and produces the records of a mapper's output; rejects are grouped per input index. */
export async function produceContext(
  deps: Pick<ContextRoutesOptions, 'bus' | 'codec' | 'topics'>,
  kind: ContextKind,
  outputs: ReturnType<NonNullable<ReturnType<typeof contextMapper>>['map']>,
): Promise<IngestResult> {
  const topic = deps.topics.context(kind);
  const messages = [];
  const errors = new Map<number, FieldError[]>();
  for (const o of outputs) {
    if (o.kind === 'record') {
      messages.push({ key: o.record.id, value: await deps.codec.encode(subjectOf(topic), o.record as unknown as Record<string, unknown>) });
    } else {
      errors.set(o.index, [...(errors.get(o.index) ?? []), { field: o.field, reason: o.reason }]);
    }
  }
  await deps.bus.produce(topic, messages);
  const rejected = [...errors].sort(([a], [b]) => a - b).map(([index, e]) => rejection(index, e));
  return { accepted: messages.length, rejected };
}
