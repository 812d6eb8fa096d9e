#!/usr/bin/env node
// The `passage` command: `passage [all|ingest|processor|api]` starts that role with the
// configuration from the environment (README.md, Configuration). `all` without KAFKA_BROKERS is
// embedded mode: one process, in-process bus and registry, chDB store, simulators on.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config, type Role } from './config.js';
import { createLogger } from './log.js';
import { startPassage } from './passage.js';

const ROLES: Role[] = ['all', 'ingest', 'processor', 'api'];

function adminKeyFor(config: Config, embedded: boolean): { key: string; generated: boolean } {
  if (config.adminKey !== '') return { key: config.adminKey, generated: false };
  if (!embedded) throw new ConfigError([{ variable: 'PASSAGE_ADMIN_KEY', reason: 'is required outside embedded mode' }]);
  const file = path.join(config.dataDir, 'admin-key');
  if (existsSync(file)) return { key: readFileSync(file, 'utf8').trim(), generated: false };
  mkdirSync(config.dataDir, { recursive: true });
  const key = `pk_admin_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, generated: true };
}

async function main(): Promise<void> {
  const { positionals } = parseArgs({ allowPositionals: true, options: {} });
  const role = (positionals[0] ?? 'all') as Role;
  if (!ROLES.includes(role)) throw new Error(`unknown role "${role}"; use one of ${ROLES.join(', ')}`);
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { role });
  const embedded = config.kafka === null;
  const { key, generated } = adminKeyFor(config, embedded && role === 'all');
  const passage = await startPassage(config, logger, { role, adminKey: key, simulate: embedded && role === 'all' && config.simulate });
  await passage.app.listen({ port: config.server.port, host: config.server.host });
  const url = `http://${config.server.host}:${config.server.port}`;
  if (embedded && role === 'all') {
    process.stdout.write(
      `\nPassage is running in embedded mode at ${url}\n` +
        `  admin key ${generated ? '(new, kept in ' + path.join(config.dataDir, 'admin-key') + ')' : '(from ' + (config.adminKey !== '' ? 'PASSAGE_ADMIN_KEY' : path.join(config.dataDir, 'admin-key')) + ')'}: ${key}\n` +
        `  try: curl -H "Authorization: Bearer ${key}" "${url}/v1/sensors"\n\n`,
    );
  }
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    passage.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
