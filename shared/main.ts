#!/usr/bin/env node
// The `passage` command: `passage [all|ingest|processor|api]` starts that role with the
// configuration from the environment (README.md, Configuration); `passage backfill …` imports files
// (ingest/backfill/cli.ts); `passage simulate …` runs the simulators against a stack or a running
// Passage (ingest/simulate/cli.ts); `passage admin …` manages tenants, keys and grants
// (query-api/access/cli.ts). `all` without KAFKA_BROKERS is embedded mode: one process,
// in-process bus and registry, chDB store, simulators on.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PassageError } from './errors.js';
import { ConfigError, loadConfig, type Config, type Role } from './config.js';
import { createLogger } from './log.js';
import { startPassage } from './passage.js';
import { backfillCommand } from '../ingest/backfill/cli.js';
import { simulateCommand } from '../ingest/simulate/cli.js';
import { adminCommand } from '../query-api/access/cli.js';

const ROLES: Role[] = ['all', 'ingest', 'processor', 'api'];

/**
 * A secret from the environment, else (embedded mode only) from a file in the data folder, created
 * with fresh random bytes on first start.
 */
function secretFor(
  config: Config,
  given: string,
  variable: string,
  file: string,
  embedded: boolean,
  make: () => string,
): { value: string; generated: boolean } {
  if (given !== '') return { value: given, generated: false };
  if (!embedded) throw new ConfigError([{ variable, reason: 'is required outside embedded mode' }]);
  const at = path.join(config.dataDir, file);
  if (existsSync(at)) return { value: readFileSync(at, 'utf8').trim(), generated: false };
  mkdirSync(config.dataDir, { recursive: true });
  const value = make();
  writeFileSync(at, `${value}\n`, { mode: 0o600 });
  return { value, generated: true };
}

async function main(): Promise<void> {
  if (process.argv[2] === 'backfill') {
    const config = loadConfig();
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { role: 'backfill' });
    const secret = (): Buffer => {
      const given = config.pseudonym.secretFile !== '' ? readFileSync(config.pseudonym.secretFile, 'utf8').trim() : config.pseudonym.secret;
      if (given === '')
        throw new ConfigError([{ variable: 'PASSAGE_PSEUDONYM_SECRET', reason: 'is required to backfill straight into Kafka' }]);
      return Buffer.from(given);
    };
    process.exitCode = await backfillCommand(process.argv.slice(3), config, logger, secret);
    return;
  }
  if (process.argv[2] === 'simulate') {
    const config = loadConfig();
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, { role: 'simulate' });
    const secret = (): Buffer => {
      const given = config.pseudonym.secretFile !== '' ? readFileSync(config.pseudonym.secretFile, 'utf8').trim() : config.pseudonym.secret;
      if (given === '')
        throw new ConfigError([{ variable: 'PASSAGE_PSEUDONYM_SECRET', reason: 'is required to simulate straight into Kafka' }]);
      return Buffer.from(given);
    };
    process.exitCode = await simulateCommand(process.argv.slice(3), config, logger, secret);
    return;
  }
  if (process.argv[2] === 'admin') {
    process.exitCode = await adminCommand(process.argv.slice(3), loadConfig());
    return;
  }
  const { positionals } = parseArgs({ allowPositionals: true, options: {} });
  const role = (positionals[0] ?? 'all') as Role;
  if (!ROLES.includes(role)) throw new Error(`unknown command "${role}"; use one of ${ROLES.join(', ')}, backfill or simulate`);
  const config = loadConfig();
  const logger = createLogger(config.logLevel, { role });
  const embedded = config.kafka === null;
  const alone = embedded && role === 'all';
  // The processor serves only /healthz, /readyz and /metrics: it needs no admin key.
  const { value: key, generated } =
    role === 'processor'
      ? { value: '', generated: false }
      : secretFor(
          config,
          config.adminKey,
          'PASSAGE_ADMIN_KEY',
          'admin-key',
          alone,
          () => `pk_admin_${randomBytes(24).toString('base64url')}`,
        );
  const given = (s: { secret: string; secretFile: string }): string =>
    s.secretFile !== '' ? readFileSync(s.secretFile, 'utf8').trim() : s.secret;
  const givenSecret = given(config.pseudonym);
  const pseudonymSecret =
    role === 'all' || role === 'ingest'
      ? Buffer.from(
          secretFor(config, givenSecret, 'PASSAGE_PSEUDONYM_SECRET', 'pseudonym-secret', alone, () => randomBytes(32).toString('base64url'))
            .value,
        )
      : null;
  const givenPrivacySecret = given(config.privacy);
  if (givenPrivacySecret !== '' && givenPrivacySecret.length < 32)
    throw new ConfigError([{ variable: 'PASSAGE_PRIVACY_SECRET_FILE', reason: 'must hold at least 32 characters' }]);
  // The api role releases history and live feeds, the processor role publishes released windows.
  const privacySecret =
    role === 'all' || role === 'api' || role === 'processor'
      ? Buffer.from(
          secretFor(config, givenPrivacySecret, 'PASSAGE_PRIVACY_SECRET', 'privacy-secret', alone, () =>
            randomBytes(32).toString('base64url'),
          ).value,
        )
      : null;
  const passage = await startPassage(config, logger, {
    role,
    adminKey: key,
    pseudonymSecret,
    privacySecret,
    simulate: alone && config.simulate,
  });
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
  const known = err instanceof ConfigError || err instanceof PassageError;
  process.stderr.write(`${known ? (err as Error).message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
