// Test fixtures: unique names (every test owns its topics, groups, databases), a chDB store per
// test process, a quiet logger, and configuration built from explicit values rather than the
// environment.

import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../config.js';
import { createLogger, type Logger } from '../log.js';
import { ChdbStore } from '../store/chdb.js';
import { migrate } from '../store/migrate.js';
import { KafkaBus } from '../bus/kafka.js';
import { MemoryBus } from '../bus/memory.js';
import { ConfluentSchemaRegistry } from '../registry/confluent.js';
import { startPassage, type Passage } from '../passage.js';
import { LocalSchemaRegistry } from '../registry/local.js';

export function uid(prefix = 't'): string {
  return `${prefix}${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

export function quietLogger(): Logger {
  return createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
}

/** libchdb binds one data directory per process: every test in a process shares it, each with its own database. */
export const CHDB_TEST_PATH = path.join(os.tmpdir(), `passage-test-chdb-${process.pid}`);

export async function chdbStore(database = uid('db_')): Promise<ChdbStore> {
  const store = new ChdbStore(CHDB_TEST_PATH, database);
  await migrate(store);
  return store;
}

export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ PASSAGE_DATA_DIR: path.join(os.tmpdir(), uid('passage-data-')), PASSAGE_LOG_LEVEL: 'silent', ...env });
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes (then returns the last value). */
export async function eventually<T>(fn: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (done(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';
export const TEST_PSEUDONYM_SECRET = Buffer.from('test-pseudonym-secret-0123456789abcdef');
export const TEST_PRIVACY_SECRET = Buffer.from('test-privacy-secret-0123456789abcdef');

/** A whole Passage on real Kafka and a real registry (chDB store), its topics under a fresh prefix. */
export async function kafkaPassage(
  brokers: string[],
  registryUrl: string,
  env: Record<string, string> = {},
  logger: Logger = quietLogger(),
): Promise<Passage> {
  return startPassage(
    testConfig({
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      KAFKA_TOPIC_PREFIX: `${uid()}.`,
      KAFKA_TOPIC_PARTITIONS: '2',
      ...env,
    }),
    logger,
    {
      role: 'all',
      adminKey: TEST_ADMIN_KEY,
      pseudonymSecret: TEST_PSEUDONYM_SECRET,
      privacySecret: TEST_PRIVACY_SECRET,
      overrides: {
        bus: new KafkaBus({ brokers, clientId: uid('passage-test-'), logger, sessionTimeoutMs: 10_000 }),
        codec: new ConfluentSchemaRegistry(registryUrl),
        store: await chdbStore(),
      },
    },
  );
}

/** A whole Passage in embedded mode (in-process bus and registry, chDB) for route and slice tests. */
export async function embeddedPassage(env: Record<string, string> = {}, logger: Logger = quietLogger()): Promise<Passage> {
  return startPassage(testConfig(env), logger, {
    role: 'all',
    adminKey: TEST_ADMIN_KEY,
    pseudonymSecret: TEST_PSEUDONYM_SECRET,
    privacySecret: TEST_PRIVACY_SECRET,
    overrides: { bus: new MemoryBus(), codec: new LocalSchemaRegistry(), store: await chdbStore() },
  });
}
