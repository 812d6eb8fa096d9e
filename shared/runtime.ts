// Connects the infrastructure a Passage process needs, chosen by configuration: the bus (Kafka or
// in-process), the schema codec (a real registry or in-process), the store (ClickHouse or chDB).
// Waits with backoff for components that are not up yet, then provisions topics and schemas.

import path from 'node:path';
import type { Config } from './config.js';
import type { Bus } from './bus/types.js';
import { KafkaBus } from './bus/kafka.js';
import { MemoryBus } from './bus/memory.js';
import type { Logger } from './log.js';
import { ConfluentSchemaRegistry } from './registry/confluent.js';
import { LocalSchemaRegistry } from './registry/local.js';
import type { SchemaCodec } from './registry/types.js';
import { withRetry } from './retry.js';
import { SensorRegistry } from './sensors.js';
import { ChdbStore } from './store/chdb.js';
import { ClickHouseStore } from './store/clickhouse.js';
import { migrate } from './store/migrate.js';
import { applyRetention } from './store/retention.js';
import type { Store } from './store/types.js';
import { Topics } from './topics.js';
import { registerAll } from '../schemas/index.js';
import { errorMessage } from './errors.js';

export interface Runtime {
  config: Config;
  logger: Logger;
  bus: Bus;
  codec: SchemaCodec;
  store: Store;
  topics: Topics;
  sensors: SensorRegistry;
  /** Embedded mode: in-process bus and registry, chDB store. */
  embedded: boolean;
  close(): Promise<void>;
}

export interface RuntimeOverrides {
  bus?: Bus;
  codec?: SchemaCodec;
  store?: Store;
}

export async function openRuntime(config: Config, logger: Logger, overrides: RuntimeOverrides = {}): Promise<Runtime> {
  const log = logger.child({ component: 'runtime' });
  const onRetry = (what: string) => (err: unknown, attempt: number, delayMs: number) =>
    log.warn({ err: errorMessage(err), attempt, delayMs }, `${what} not available yet; retrying`);

  const bus =
    overrides.bus ??
    (config.kafka ? new KafkaBus({ brokers: config.kafka.brokers, clientId: config.kafka.clientId, logger }) : new MemoryBus());
  const codec =
    overrides.codec ?? (config.schemaRegistryUrl ? new ConfluentSchemaRegistry(config.schemaRegistryUrl) : new LocalSchemaRegistry());
  const store =
    overrides.store ??
    (config.clickhouse ? new ClickHouseStore(config.clickhouse) : new ChdbStore(path.join(config.dataDir, 'chdb'), config.database));
  const topics = new Topics(config.topicPrefix);

  await withRetry(() => migrate(store), { onRetry: onRetry('store') });
  for (const c of await withRetry(() => applyRetention(store, config.retentionDays), { onRetry: onRetry('store') })) {
    log.info(c, c.toDays === null ? 'retention removed: rows are kept forever' : `retention set: rows expire after ${c.toDays} days`);
  }
  await withRetry(() => bus.ensureTopics(topics.specs(config.kafka?.partitions ?? 4, config.kafka?.rawRetentionMs ?? 7 * 86_400_000)), {
    onRetry: onRetry('bus'),
  });
  await withRetry(() => registerAll(codec, topics), { onRetry: onRetry('schema registry') });
  log.info({ bus: bus.kind, store: store.kind, registry: config.schemaRegistryUrl ?? 'in-process' }, 'infrastructure ready');

  return {
    config,
    logger,
    bus,
    codec,
    store,
    topics,
    sensors: new SensorRegistry(store),
    embedded: config.kafka === null,
    close: async () => {
      await bus.close();
      await codec.close();
      await store.close();
    },
  };
}
