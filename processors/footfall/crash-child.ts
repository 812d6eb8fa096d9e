// Child process of crash.int.test.ts: one footfall processor on real Kafka, a real Schema Registry and
// chDB in the given data directory, so the test can kill it with SIGKILL for real. Logs JSON lines
// (pino) to stdout, with the group's committed offsets every second; SIGTERM stops it cleanly (exit 0).

import { parseArgs } from 'node:util';
import { KafkaBus } from '../../shared/bus/kafka.js';
import { loadConfig } from '../../shared/config.js';
import { errorMessage } from '../../shared/errors.js';
import { createLogger } from '../../shared/log.js';
import { ConfluentSchemaRegistry } from '../../shared/registry/confluent.js';
import { SensorRegistry } from '../../shared/sensors.js';
import { ChdbStore } from '../../shared/store/chdb.js';
import { migrate } from '../../shared/store/migrate.js';
import { Topics } from '../../shared/topics.js';
import { FootfallProcessor } from './processor.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    registry: { type: 'string' },
    prefix: { type: 'string' },
    'data-dir': { type: 'string' },
    database: { type: 'string' },
    'flush-max-records': { type: 'string', default: '5000' },
    'session-timeout-ms': { type: 'string', default: '6000' },
  },
  strict: true,
});

function required(name: keyof typeof values): string {
  const v = values[name];
  if (v === undefined || v === '') throw new Error(`--${name} is required`);
  return v;
}

const logger = createLogger('info', { component: 'crash-child', pid: process.pid });

async function main(): Promise<void> {
  const brokers = required('brokers').split(',');
  const topics = new Topics(required('prefix'));
  // Explicit values only (never this process's environment): the processing settings under test.
  const config = loadConfig({ PASSAGE_FLUSH_MAX_RECORDS: required('flush-max-records'), PASSAGE_LOG_LEVEL: 'info' });
  const bus = new KafkaBus({
    brokers,
    clientId: `passage-crash-child-${process.pid}`,
    logger,
    sessionTimeoutMs: Number(required('session-timeout-ms')),
  });
  const codec = new ConfluentSchemaRegistry(required('registry'));
  const store = new ChdbStore(required('data-dir'), required('database'));
  await migrate(store);
  const processor = new FootfallProcessor({
    bus,
    codec,
    store,
    sensors: new SensorRegistry(store),
    topics,
    logger,
    processing: config.processing,
    maxFutureMs: config.ingest.maxFutureMs,
  });
  await processor.start();
  logger.info({ groupId: processor.groupId, topic: topics.raw('camera') }, 'crash child: processor started');

  const progress = setInterval(() => {
    bus.committed(processor.groupId, topics.raw('camera')).then(
      (c) => logger.info({ committed: Object.fromEntries(c.map((p) => [p.partition, p.offset])) }, 'crash child: progress'),
      (err: unknown) => logger.warn({ err: errorMessage(err) }, 'crash child: reading committed offsets failed'),
    );
  }, 1000);
  progress.unref();

  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    clearInterval(progress);
    logger.info('crash child: SIGTERM, stopping');
    (async () => {
      await processor.stop();
      await bus.close();
      await codec.close();
      await store.close();
    })().then(
      () => {
        logger.info('crash child: stopped cleanly');
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err: errorMessage(err) }, 'crash child: stopping failed');
        process.exit(1);
      },
    );
  });
}

main().catch((err: unknown) => {
  logger.error({ err: errorMessage(err) }, 'crash child: failed');
  process.exit(1);
});
