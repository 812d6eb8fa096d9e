// Structured JSON logging (pino). One root logger per process, handed to fastify and to workers;
// children carry a `component` field so every line says where it came from.

import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base: { service: 'passage', ...base },
    timestamp: pino.stdTimeFunctions.isoTime,
    // NOTE: identifiers are pseudonymised at the edge (DESIGN.md, Privacy); this is a second line of
    // defence so that an accidentally logged request body or auth header never carries secrets.
    redact: { paths: ['req.headers.authorization', 'headers.authorization', 'apiKey', 'adminKey'], censor: '[redacted]' },
  });
}
